"""Variance from influence functions, cluster-robust and few-cluster corrections,
and vectorised bootstrap weights (internal).

All influence functions here are in *sum scale*: ``theta_hat - theta ~= sum_i phi_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class Clusters:
    """Cluster structure of the analysis rows."""

    codes: np.ndarray | None  # (n,) int cluster index, or None (every row its own cluster)
    n_clusters: int
    pure: bool  # every cluster holds one arm only (treatment assigned at cluster level)
    cluster_arm: np.ndarray | None  # (G,) arm of each cluster when pure
    n_clusters_arm: tuple[int, int]  # (control, treated) clusters when pure


def make_clusters(cluster_values: np.ndarray | None, arm: np.ndarray) -> Clusters:
    if cluster_values is None:
        return Clusters(None, len(arm), False, None, (0, 0))
    uniq, codes = np.unique(cluster_values, return_inverse=True)
    g = len(uniq)
    tsum = np.bincount(codes, weights=arm, minlength=g)
    size = np.bincount(codes, minlength=g)
    share = tsum / size
    pure = bool(np.all((share == 0) | (share == 1)))
    carm = (share == 1).astype(int) if pure else None
    n_arm = (int((carm == 0).sum()), int((carm == 1).sum())) if pure else (0, 0)
    return Clusters(codes, g, pure, carm, n_arm)


@dataclass
class VarianceResult:
    se: float
    df: float  # np.inf for a normal reference distribution
    label: str


def if_variance(phi: np.ndarray, clusters: Clusters, n_params: int = 1) -> VarianceResult:
    """Variance of a statistic from its influence function ``phi`` (n,) or (n, k).

    * no clusters: HC1, ``n/(n-p) * sum phi_i^2``, normal reference;
    * clusters containing both arms: CR1, ``G/(G-1) (n-1)/(n-p) sum psi_g^2`` with
      ``psi_g`` the cluster sums, t with G-1 df (the Stata/statsmodels convention);
    * clusters holding one arm each (treatment assigned at team level): the cluster sums
      are treated as independent draws within each arm, ``sum_a G_a/(G_a-1) sum_{g in a}
      psi_g^2`` (the per-arm small-sample factor, which is what CR2 reduces to for a
      difference in cluster-level means), and a t reference with Welch-Satterthwaite df
      from the two arm components.
    """
    phi = np.asarray(phi, dtype=float)
    n = len(phi)
    if clusters.codes is None:
        v = n / max(n - n_params, 1) * float(phi @ phi)
        return VarianceResult(np.sqrt(v), np.inf, "HC1")
    psi = np.bincount(clusters.codes, weights=phi, minlength=clusters.n_clusters)
    g = clusters.n_clusters
    if clusters.pure and min(clusters.n_clusters_arm) >= 2:
        comps = []
        dfs = []
        for a in (0, 1):
            pa = psi[clusters.cluster_arm == a]
            ga = len(pa)
            comps.append(ga / (ga - 1) * float(pa @ pa))
            dfs.append(ga - 1)
        v = sum(comps)
        denom = sum(c**2 / d for c, d in zip(comps, dfs, strict=True))
        df = v**2 / denom if denom > 0 else float(g - 2)
        df = float(min(max(df, 1.0), g - 2))
        return VarianceResult(np.sqrt(v), df, "cluster_arm_welch")
    if g < 2:
        from ..errors import DataError
        from ..i18n import pair

        raise DataError(*pair("estimation.error.two_clusters"))
    v = g / (g - 1) * (n - 1) / max(n - n_params, 1) * float(psi @ psi)
    return VarianceResult(np.sqrt(v), float(g - 1), "CR1")


class BootWeights:
    """Bootstrap weights for B replicates over n rows, kept at the cluster level when rows
    share their cluster's weight: the (B, n) matrix is ``cw[:, codes]`` and is only built
    when asked (:meth:`full`); sums over rows (:meth:`rsum`) are done as ``cw @ (cluster
    sums)``, so a clustered bootstrap costs O(B G) instead of O(B n) there."""

    def __init__(self, cw: np.ndarray, codes: np.ndarray | None = None):
        self.cw = cw
        self.codes = codes
        self._full: np.ndarray | None = cw if codes is None else None

    @classmethod
    def wrap(cls, W: np.ndarray | BootWeights) -> BootWeights:
        return W if isinstance(W, BootWeights) else cls(np.asarray(W, dtype=float))

    @property
    def n_boot(self) -> int:
        return self.cw.shape[0]

    def full(self) -> np.ndarray:
        """The (B, n) weights."""
        if self._full is None:
            self._full = self.cw[:, self.codes]
        return self._full

    def rsum(self, A: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """``W @ A`` for A of shape (n,) or (n, k) (dense or sparse)."""
        if self.codes is None:
            if sparse.issparse(A):
                return np.asarray((A.T @ self.cw.T).T)
            return self.cw @ A
        g = self.cw.shape[1]
        n = len(self.codes)
        onehot = sparse.csr_matrix((np.ones(n), (self.codes, np.arange(n))), shape=(g, n))
        Ag = onehot @ A
        if sparse.issparse(Ag):
            Ag = Ag.toarray()
        return self.cw @ np.asarray(Ag)


def bootstrap_weights(
    rng: np.random.Generator,
    n_boot: int,
    arm: np.ndarray,
    clusters: Clusters,
) -> np.ndarray:
    """Multinomial bootstrap counts (B, n); see :func:`bootstrap_counts`."""
    return bootstrap_counts(rng, n_boot, arm, clusters).full()


def bootstrap_counts(
    rng: np.random.Generator,
    n_boot: int,
    arm: np.ndarray,
    clusters: Clusters,
) -> BootWeights:
    """Multinomial bootstrap counts, resampling clusters (or rows) within arm when
    the arm is constant within clusters (or always, for rows), so that every replicate
    has both arms. Rows of one cluster share the count of their cluster."""
    if clusters.codes is None:
        out = np.zeros((n_boot, len(arm)))
        for a in (0, 1):
            idx = np.flatnonzero(arm == a)
            k = len(idx)
            out[:, idx] = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot)
        return BootWeights(out)
    g = clusters.n_clusters
    cw = np.zeros((n_boot, g))
    if clusters.pure:
        for a in (0, 1):
            idx = np.flatnonzero(clusters.cluster_arm == a)
            k = len(idx)
            cw[:, idx] = rng.multinomial(k, np.full(k, 1.0 / k), size=n_boot)
    else:
        cw = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
    return BootWeights(cw.astype(float), clusters.codes)
