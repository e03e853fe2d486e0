"""Wild cluster bootstrap for one linear restriction in a linear model (internal).

Implements the restricted (WCR, null imposed) and unrestricted (WCU) wild cluster
bootstrap of the cluster-robust t statistic for a hypothesis ``R'beta = r`` in
``y = X beta + u``, with Rademacher or Webb weights, full enumeration when the number
of distinct weight vectors is at most the number of draws, and confidence intervals by
test inversion (WCR). The algebra follows Roodman, MacKinnon, Nielsen & Webb (2019):
every bootstrap statistic is computed from cluster-level sums, so a draw costs O(G^2)
and the rows are touched once.

Notation: ``P = (X'X)^-1``, ``u`` the (restricted or unrestricted) residuals,
``w_b`` the weights of draw b (one per cluster), ``y*_b = X beta_0 + u * w_b``.
Then ``R'beta*_b - R'beta_0 = R'P S' w_b`` with ``S_g = X_g' u_g``, and the
bootstrap residuals are ``u*_b = u * w_b - X P S' w_b``, whose CR1 score for the
restriction in cluster g is ``w_bg c_g - (D P S')_g w_b`` with ``q = X P R``,
``c_g = sum_{i in g} q_i u_i`` and ``D_g = sum_{i in g} q_i X_i``.

References
----------
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements
for inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.

Webb, M. D. (2014/2023). Reworking wild bootstrap-based inference for clustered errors.
*Canadian Journal of Economics*, 56(3), 839-858.

Roodman, D., MacKinnon, J. G., Nielsen, M. O., & Webb, M. D. (2019). Fast and wild:
Bootstrap inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._inversion import invert_test, share_at_least

WildWeights = Literal["rademacher", "webb"]

#: Webb's six-point distribution (mean 0, variance 1, fourth moment 7/6).
WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
RADEMACHER_POINTS = np.array([-1.0, 1.0])


@dataclass(frozen=True)
class WildTest:
    """Result of one wild cluster bootstrap test of ``R'beta = r``.

    Attributes
    ----------
    estimate : float
        ``R'beta_hat`` (unrestricted OLS).
    t_stat : float
        Cluster-robust (CR1) t statistic of the data.
    p_value : float
        Symmetric two-sided bootstrap p-value, ``mean(|t*| >= |t|)``.
    t_boot : ndarray
        The bootstrap statistics.
    n_boot : int
        Number of draws used (``2**G`` under full enumeration).
    enumerated : bool
        True when every distinct weight vector was used once.
    impose_null : bool
        Restricted (WCR) or unrestricted (WCU) bootstrap.
    weights : str
        ``"rademacher"`` or ``"webb"``.
    n_clusters : int
        Number of clusters G.
    """

    estimate: float
    t_stat: float
    p_value: float
    t_boot: np.ndarray
    n_boot: int
    enumerated: bool
    impose_null: bool
    weights: str
    n_clusters: int


def draw_weights(
    n_clusters: int,
    n_boot: int,
    weights: WildWeights,
    rng: np.random.Generator,
    enumerate_all: bool | None = None,
) -> tuple[np.ndarray, bool]:
    """Bootstrap weights (B, G) and whether they enumerate every distinct vector.

    With Rademacher weights and ``2**G <= n_boot`` every sign vector is used once
    (the bootstrap distribution is then exact given the data; Webb's 6**G likewise).
    """
    points = WEBB_POINTS if weights == "webb" else RADEMACHER_POINTS
    total = len(points) ** n_clusters
    if enumerate_all is None:
        enumerate_all = total <= n_boot
    if enumerate_all:
        grid = np.array(list(itertools.product(points, repeat=n_clusters)), dtype=float)
        return grid, True
    return rng.choice(points, size=(n_boot, n_clusters)), False


class WildClusterBootstrap:
    """Wild cluster bootstrap of one linear restriction in an OLS fit.

    Parameters
    ----------
    X : ndarray (n, k)
        Design matrix (full column rank).
    y : ndarray (n,)
        Outcome.
    cluster : ndarray (n,)
        Cluster labels (any hashable values).
    R : ndarray (k,)
        The restriction vector: the hypothesis is ``R @ beta == r``.

    Notes
    -----
    The t statistic uses CR1 standard errors,
    ``G/(G-1) * (n-1)/(n-k) * R'P (sum_g X_g'u_g u_g'X_g) P R``, the convention of
    Stata, statsmodels, fixest/pyfixest and wildboottest, in the data and in every
    bootstrap draw.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, cluster: np.ndarray, R: np.ndarray):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.R = np.asarray(R, dtype=float)
        n, k = self.X.shape
        _, self.codes = np.unique(np.asarray(cluster), return_inverse=True)
        self.G = int(self.codes.max()) + 1
        if self.G < 2:
            raise ValueError("The wild cluster bootstrap needs at least two clusters.")
        self.P = np.linalg.inv(self.X.T @ self.X)
        self.beta = self.P @ (self.X.T @ self.y)
        self.small = self.G / (self.G - 1) * (n - 1) / (n - k)
        self.PR = self.P @ self.R
        self.q = self.X @ self.PR  # (n,)
        # D_g = sum_{i in g} q_i X_i  (G, k)
        self.D = self._csum(self.X * self.q[:, None])
        self.estimate = float(self.R @ self.beta)

    # -------------------------------------------------------------------- pieces
    def _csum(self, a: np.ndarray) -> np.ndarray:
        """Cluster sums of the rows of ``a`` ((n,) or (n, m))."""
        if a.ndim == 1:
            return np.bincount(self.codes, weights=a, minlength=self.G)
        out = np.zeros((self.G, a.shape[1]))
        np.add.at(out, self.codes, a)
        return out

    def restricted_beta(self, r: float) -> np.ndarray:
        """Least squares under ``R'beta = r``."""
        return self.beta - self.PR * (self.estimate - r) / float(self.R @ self.PR)

    def _stats(self, u: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Bootstrap t statistics for residuals ``u`` and weights ``W`` (B, G)."""
        S = self._csum(self.X * u[:, None])  # (G, k): X_g'u_g
        A = self.P @ S.T  # (k, G): beta*_b - beta_0 = A w_b
        num = W @ (self.R @ A)  # (B,): R'beta*_b - R'beta_0
        c = self._csum(self.q * u)  # (G,)
        scores = W * c[None, :] - W @ (self.D @ A).T  # (B, G)
        se = np.sqrt(self.small * np.einsum("bg,bg->b", scores, scores))
        return num / np.maximum(se, 1e-300)

    def t_stat(self, r: float = 0.0) -> float:
        """The CR1 t statistic of the data for ``R'beta = r``."""
        u = self.y - self.X @ self.beta
        c = self._csum(self.q * u)
        se = np.sqrt(self.small * float(c @ c))
        return (self.estimate - r) / se

    def se(self) -> float:
        """The CR1 standard error of ``R'beta_hat``."""
        u = self.y - self.X @ self.beta
        c = self._csum(self.q * u)
        return float(np.sqrt(self.small * float(c @ c)))

    # -------------------------------------------------------------------- tests
    def test(
        self,
        r: float = 0.0,
        *,
        W: np.ndarray,
        impose_null: bool = True,
    ) -> tuple[float, float, np.ndarray]:
        """(t, p, t*) for ``R'beta = r`` with the given weights ``W`` (B, G)."""
        t = self.t_stat(r)
        beta0 = self.restricted_beta(r) if impose_null else self.beta
        tb = self._stats(self.y - self.X @ beta0, W)
        p = share_at_least(tb, t)
        return t, p, tb

    def confidence_interval(
        self,
        W: np.ndarray,
        alpha: float = 0.05,
        tol: float = 1e-6,
    ) -> tuple[float, float]:
        """WCR interval by test inversion: all ``r`` whose bootstrap p-value exceeds ``alpha``.

        The endpoints are found by bisection between the estimate and a point whose
        p-value is below ``alpha`` (searched outwards in steps of the CR1 standard error).
        Returns ``(nan, nan)``-free finite bounds, or ``inf`` when no rejection is
        reachable within 1e4 standard errors (possible with very few clusters).
        """
        se = self.se()
        est = self.estimate

        def pval(r: float) -> float:
            return self.test(r, W=W, impose_null=True)[1]

        return invert_test(pval, est, se, alpha, tol=tol, limit=1e4)


def wild_cluster_test(
    X: np.ndarray,
    y: np.ndarray,
    cluster: np.ndarray,
    R: np.ndarray,
    r: float = 0.0,
    *,
    impose_null: bool = True,
    weights: WildWeights = "rademacher",
    n_boot: int = 9999,
    seed: int | np.random.Generator | None = 0,
) -> WildTest:
    """Wild cluster bootstrap test of ``R'beta = r`` in an OLS fit.

    Parameters
    ----------
    X, y, cluster, R
        See :class:`WildClusterBootstrap`.
    r : float
        Value of ``R'beta`` under the null.
    impose_null : bool
        True for WCR (recommended; MacKinnon & Webb), False for WCU.
    weights : {"rademacher", "webb"}
        Webb's six-point weights are preferred with fewer than about 12 clusters.
    n_boot : int
        Number of draws; when the weights have at most ``n_boot`` distinct vectors,
        all of them are enumerated instead.
    seed : int or Generator
        Random seed (deterministic results).

    Returns
    -------
    WildTest
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    boot = WildClusterBootstrap(X, y, cluster, R)
    W, enumerated = draw_weights(boot.G, n_boot, weights, rng)
    t, p, tb = boot.test(r, W=W, impose_null=impose_null)
    return WildTest(
        estimate=boot.estimate,
        t_stat=float(t),
        p_value=p,
        t_boot=tb,
        n_boot=len(W),
        enumerated=enumerated,
        impose_null=impose_null,
        weights=weights,
        n_clusters=boot.G,
    )
