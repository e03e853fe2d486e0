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
    p = float(np.mean(np.abs(centred) >= abs(centred[0]) - 1e-12 * max(1.0, abs(centred[0]))))
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

    bounds = []
    for direction in (-1.0, 1.0):
        inner, width = est, step
        outer = est + direction * width
        while p_at(outer) > alpha:
            inner, width = outer, width * 2
            outer = est + direction * width
            if width > 1e6 * step:
                bounds.append(direction * np.inf)
                break
        else:
            lo, hi = inner, outer
            while abs(hi - lo) > tol * step:
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if p_at(mid) > alpha else (lo, mid)
            bounds.append(0.5 * (lo + hi))
    return float(bounds[0]), float(bounds[1])
