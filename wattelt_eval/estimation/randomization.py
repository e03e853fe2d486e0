"""Randomization inference when the arm is assigned per cluster (team or municipality).

When whole teams work one way or the other, the honest reference distribution of any
estimate is the one over the assignments that could have happened: every way of choosing
which ``G1`` of the ``G`` teams work demand-driven. With few teams this set is small
(4 + 4 teams: 70 assignments) and is enumerated exactly; otherwise it is sampled.

The p-value is ``mean(|T(a)| >= |T(observed)|)`` over the assignments, the observed one
included, so it is never below ``1 / n_assignments`` (with one treated team of eight,
1/8: such a pilot cannot give strong evidence, whatever its t statistic says). A
confidence interval follows by inverting the test of a constant additive effect ``tau``
(outcomes of treated rows shifted by ``-tau``).

References
----------
Fisher, R. A. (1935). *The Design of Experiments*. Oliver & Boyd.

Imbens, G. W., & Rubin, D. B. (2015). *Causal Inference for Statistics, Social, and
Biomedical Sciences*, chapter 5. Cambridge University Press.

Young, A. (2019). Channeling Fisher: randomization tests and the statistical
insignificance of seemingly significant experimental results. *Quarterly Journal of
Economics*, 134(2), 557-598.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._inversion import invert_test, share_at_least

#: enumerate every assignment when there are at most this many
MAX_EXACT = 20_000

Statistic = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class RandomizationTest:
    """Result of a cluster randomization test.

    Attributes
    ----------
    statistic : float
        The statistic under the observed assignment.
    p_value : float
        Two-sided randomization p-value (observed assignment included).
    null : ndarray
        The statistic under every enumerated or sampled assignment.
    n_assignments : int
        Assignments used.
    n_possible : int
        Assignments possible, ``comb(G, G1)``.
    exact : bool
        True when every possible assignment was used.
    """

    statistic: float
    p_value: float
    null: np.ndarray
    n_assignments: int
    n_possible: int
    exact: bool

    @property
    def min_p_value(self) -> float:
        """The smallest p-value this design can give, ``1 / n_possible``."""
        return 1.0 / self.n_possible


def cluster_assignments(
    cluster_arm: np.ndarray,
    n_draws: int = 9_999,
    rng: np.random.Generator | None = None,
    max_exact: int = MAX_EXACT,
) -> tuple[np.ndarray, bool]:
    """Assignments of the clusters to the treated arm, keeping the number treated.

    Returns ``(A, exact)`` with ``A`` a (M, G) 0/1 array whose first row is the observed
    assignment. Exact enumeration when ``comb(G, G1) <= max_exact``; otherwise the
    observed row plus ``n_draws`` random permutations.
    """
    observed = np.asarray(cluster_arm, dtype=int)
    g, g1 = len(observed), int(observed.sum())
    total = math.comb(g, g1)
    if total <= max_exact:
        rows = []
        for chosen in itertools.combinations(range(g), g1):
            a = np.zeros(g, dtype=int)
            a[list(chosen)] = 1
            rows.append(a)
        A = np.array(rows)
        first = int(np.flatnonzero((A == observed).all(axis=1))[0])
        A[[0, first]] = A[[first, 0]]
        return A, True
    rng = rng if rng is not None else np.random.default_rng(0)
    perms = np.array([rng.permutation(observed) for _ in range(n_draws)])
    return np.vstack([observed, perms]), False


def randomization_test(
    y: np.ndarray,
    cluster: np.ndarray,
    treated: np.ndarray,
    statistic: Statistic,
    *,
    tau: float = 0.0,
    centre: bool = True,
    n_draws: int = 9_999,
    seed: int | np.random.Generator | None = 0,
    assignments: np.ndarray | None = None,
) -> RandomizationTest:
    """Test ``H0: every resident's outcome is the same under either arm, up to tau``.

    Parameters
    ----------
    y : ndarray (n,)
        Outcome per row.
    cluster : ndarray (n,)
        Cluster of each row; the arm must be constant within a cluster.
    treated : ndarray (n,)
        1 for rows in the treated arm.
    statistic : callable ``(y, treated) -> float``
        The estimate (or t statistic) computed from outcomes and a row-level arm vector.
    tau : float
        Constant additive effect under the null (0 for the sharp null of no effect).
    centre : bool
        True when ``statistic`` estimates the effect (then ``|T - tau|`` is compared);
        False for a statistic already centred under the null (e.g. a t statistic).
    n_draws, seed
        Sampling when the assignments are too many to enumerate.
    assignments : ndarray, optional
        Precomputed (M, G) cluster assignments (first row observed), e.g. to reuse one
        set of assignments across the values of ``tau`` of a test inversion.
    """
    y = np.asarray(y, dtype=float)
    treated = np.asarray(treated, dtype=int)
    uniq, codes = np.unique(np.asarray(cluster), return_inverse=True)
    share = np.bincount(codes, weights=treated, minlength=len(uniq)) / np.bincount(codes)
    if not np.all((share == 0) | (share == 1)):
        raise ValueError("Randomization inference needs the arm constant within each cluster.")
    cluster_arm = (share == 1).astype(int)
    if assignments is None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        assignments, exact = cluster_assignments(cluster_arm, n_draws, rng)
    else:
        exact = len(assignments) == math.comb(len(cluster_arm), int(cluster_arm.sum()))
    y0 = y - tau * treated  # outcomes under control, if the null holds
    null = np.array([statistic(y0 + tau * a[codes], a[codes]) for a in assignments])
    obs = null[0]
    centred = null - tau if centre else null
    p = share_at_least(centred, centred[0])
    return RandomizationTest(
        statistic=float(obs),
        p_value=p,
        null=null,
        n_assignments=len(assignments),
        n_possible=math.comb(len(cluster_arm), int(cluster_arm.sum())),
        exact=exact,
    )


def difference_in_means(y: np.ndarray, treated: np.ndarray) -> float:
    """Mean of treated rows minus mean of control rows."""
    t = treated == 1
    return float(y[t].mean() - y[~t].mean())


def randomization_interval(
    y: np.ndarray,
    cluster: np.ndarray,
    treated: np.ndarray,
    statistic: Statistic,
    *,
    alpha: float = 0.05,
    scale: float | None = None,
    n_draws: int = 9_999,
    seed: int = 0,
    tol: float = 1e-4,
) -> tuple[float, float]:
    """Confidence interval for a constant additive effect by inverting the test.

    The set of ``tau`` not rejected at level ``alpha``; endpoints found by bisection
    (the same assignments for every ``tau``). ``scale`` sets the search step (default:
    the spread of the observed outcomes). An endpoint is infinite when no ``tau`` is
    rejected — with so few assignments that ``1 / n_possible > alpha`` this is the honest
    answer.
    """
    y = np.asarray(y, dtype=float)
    treated = np.asarray(treated, dtype=int)
    uniq, codes = np.unique(np.asarray(cluster), return_inverse=True)
    share = np.bincount(codes, weights=treated, minlength=len(uniq)) / np.bincount(codes)
    cluster_arm = (share == 1).astype(int)
    A, _ = cluster_assignments(cluster_arm, n_draws, np.random.default_rng(seed))
    if 1.0 / math.comb(len(cluster_arm), int(cluster_arm.sum())) > alpha:
        return -np.inf, np.inf
    est = statistic(y, treated)
    step = scale if scale is not None else float(np.std(y)) or 1.0

    def p_at(tau: float) -> float:
        return randomization_test(y, cluster, treated, statistic, tau=tau, assignments=A).p_value

    return invert_test(p_at, est, step, alpha, tol=tol)


# ------------------------------------------------------------------ placebo DiD (few treated units)


@dataclass(frozen=True)
class PlaceboDiD:
    """Placebo (permutation) inference for a difference-in-differences.

    Attributes
    ----------
    estimate : float
        The DiD under the observed assignment.
    p_value : float
        Share of assignments (observed included) whose DiD is at least as far from 0.
    ci_low, ci_high : float
        Test-inversion interval for a constant additive effect (infinite when the design
        cannot reject anything at ``alpha``).
    estimates : ndarray (M,)
        The DiD under every assignment (first: observed).
    n_assignments, n_possible : int
    exact : bool
    """

    estimate: float
    p_value: float
    ci_low: float
    ci_high: float
    estimates: np.ndarray
    n_assignments: int
    n_possible: int
    exact: bool


def did_estimates(
    y: np.ndarray,
    post: np.ndarray,
    codes: np.ndarray,
    assignments: np.ndarray,
    covariates: np.ndarray | None = None,
) -> np.ndarray:
    """The OLS DiD coefficient under each cluster assignment, for each outcome column.

    The model is ``y ~ 1 + g + post + g:post (+ covariates)`` with ``g = A[codes]``. All
    cross-products involving ``g`` are sums over clusters and periods, so the normal
    equations for M assignments are built from (G, 2) cluster-period sums and solved in
    one batch — no loop over rows. Covariates collinear with ``g`` (unit fixed effects)
    are allowed.

    Parameters
    ----------
    y : ndarray (n,) or (n, m)
    post : ndarray (n,) 0/1
    codes : ndarray (n,) int cluster index 0..G-1
    assignments : ndarray (M, G) 0/1
    covariates : ndarray (n, kz), optional (no intercept column)

    Returns
    -------
    ndarray (M, m) (or (M,) for a one-dimensional ``y``)
    """
    y = np.asarray(y, dtype=float)
    flat = y.ndim == 1
    Y = y[:, None] if flat else y
    post = np.asarray(post, dtype=float)
    A = np.asarray(assignments, dtype=float)
    Z = np.zeros((len(post), 0)) if covariates is None else np.asarray(covariates, float)
    # standardised covariates (the DiD is invariant to affine changes of them), so that
    # the pseudo-inverse below can tell collinear columns (e.g. unit fixed effects, which
    # absorb g) from badly scaled ones; constant columns are absorbed by the intercept
    sd = Z.std(axis=0)
    Z = (Z[:, sd > 0] - Z[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    g_n = A.shape[1]
    # base columns that do not depend on the assignment: 1, post, covariates
    B = np.column_stack([np.ones(len(post)), post, Z])  # (n, kb)
    cell = codes * 2 + post.astype(int)  # cluster-period cell

    def cell_sums(V: np.ndarray) -> np.ndarray:  # (G, 2, k)
        out = np.zeros((g_n * 2, V.shape[1]))
        np.add.at(out, cell, V)
        return out.reshape(g_n, 2, V.shape[1])

    SB, SY = cell_sums(B), cell_sums(Y)
    # g'V = A @ (sum over periods), (g post)'V = A @ (post-period sums)
    gB, gpB = A @ SB.sum(1), A @ SB[:, 1]  # (M, kb)
    gY, gpY = A @ SY.sum(1), A @ SY[:, 1]  # (M, m)
    n_c = np.bincount(cell, minlength=g_n * 2).reshape(g_n, 2).astype(float)
    gg, gpgp = A @ n_c.sum(1), A @ n_c[:, 1]  # g'g = g'1, (gp)'(gp) = (gp)'1 = g'(gp)
    BB, BY = B.T @ B, B.T @ Y
    kb, m_ = B.shape[1], A.shape[0]
    k = kb + 2  # columns: [B..., g, g post]
    XtX = np.empty((m_, k, k))
    XtX[:, :kb, :kb] = BB
    XtX[:, :kb, kb] = gB
    XtX[:, kb, :kb] = gB
    XtX[:, :kb, kb + 1] = gpB
    XtX[:, kb + 1, :kb] = gpB
    XtX[:, kb, kb] = gg
    XtX[:, kb, kb + 1] = gpgp
    XtX[:, kb + 1, kb] = gpgp
    XtX[:, kb + 1, kb + 1] = gpgp
    XtY = np.concatenate(
        [np.broadcast_to(BY, (m_, kb, Y.shape[1])), gY[:, None, :], gpY[:, None, :]], axis=1
    )
    # the DiD coefficient is estimable also when g is collinear with the covariates, so
    # the minimum-norm solution gives it
    beta = np.linalg.pinv(XtX, rcond=1e-10, hermitian=True) @ XtY  # (M, k, m)
    out = beta[:, kb + 1, :]
    return out[:, 0] if flat else out


def placebo_did(
    y: np.ndarray,
    post: np.ndarray,
    codes: np.ndarray,
    cluster_arm: np.ndarray,
    covariates: np.ndarray | None = None,
    *,
    alpha: float = 0.05,
    n_draws: int = 9_999,
    seed: int = 0,
) -> PlaceboDiD:
    """Placebo inference for a DiD with few treated (or few control) clusters.

    The pilot status is reassigned to every possible set of ``G1`` clusters (with one
    treated cluster: each cluster in turn; exact when at most :data:`MAX_EXACT`
    assignments, sampled otherwise) and the DiD re-estimated; the p-value is the share of
    assignments with ``|DiD| >= |DiD observed|``. Under a constant effect ``tau`` the
    DiD under assignment ``a`` of the outcomes with the effect removed is
    ``D_y(a) - tau D_gp(a)`` (OLS is linear in the outcome; ``D_gp(a)`` is the DiD of the
    observed treated-after indicator), so the interval ``{tau : p(tau) > alpha}`` is found
    by bisection without refitting.

    References: Conley & Taber (2011), Rev Econ Stat 93(1); MacKinnon & Webb (2020),
    J Econometrics 218(2) (randomization inference with few treated clusters).
    """
    cluster_arm = np.asarray(cluster_arm, dtype=int)
    A, exact = cluster_assignments(cluster_arm, n_draws, np.random.default_rng(seed))
    g_obs = cluster_arm[codes].astype(float)
    D = did_estimates(np.column_stack([y, g_obs * post]), post, codes, A, covariates)
    dy, dgp = D[:, 0], D[:, 1]
    est = float(dy[0])

    def p_at(tau: float) -> float:
        stat = np.abs(dy - tau * dgp)
        obs = abs(est - tau)
        return share_at_least(stat, obs)

    n_possible = math.comb(len(cluster_arm), int(cluster_arm.sum()))
    lo, hi = -np.inf, np.inf
    if 1.0 / min(n_possible, len(A)) <= alpha:
        step = float(np.std(dy)) or 1.0
        lo, hi = invert_test(p_at, est, step, alpha)
    return PlaceboDiD(est, p_at(0.0), lo, hi, dy, len(A), n_possible, exact)
