"""Inference for the arm difference when clusters (teams) are few (internal).

Two methods, used by :func:`~wattelt_eval.estimation.compare`:

``wild`` — the restricted wild cluster bootstrap (WCR, null imposed; Webb weights).
  For a linear estimator (the unadjusted difference in means, or regression
  standardisation with a linear outcome model) the marginal difference is a linear
  combination ``c'beta`` of OLS coefficients and the bootstrap refits the model in every
  draw (:mod:`.wild`, the algorithm of Roodman et al. 2019); the ratio of the arm means is
  tested through the linear restriction ``mu_1 - r mu_0 = 0``. For the other estimators
  (GLM outcome models, IPW, AIPW) it is the restricted *score* bootstrap of Kline &
  Santos (2012): the influence function is evaluated at the null value, its cluster sums
  are perturbed, and the self-normalised score statistic is compared. Intervals by test
  inversion.

``randomization`` — when the arm is assigned per cluster: the estimate recomputed under
  every possible assignment of the clusters to the arms (:mod:`.randomization`), the same
  estimator refitted each time. For linear estimators the interval inverts the test of a
  constant additive effect exactly (the estimate under assignment ``a`` of the shifted
  outcomes is linear in the shift); for non-linear estimators only the p-value is
  defined and the interval is reported missing with that reason.

References
----------
Kline, P., & Santos, A. (2012). A score based approach to wild bootstrap inference.
*Journal of Econometric Methods*, 1(1), 23-41.

MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different
cluster sizes. *Journal of Applied Econometrics*, 32(2), 233-254.

Roodman, D., MacKinnon, J. G., Nielsen, M. O., & Webb, M. D. (2019). Fast and wild:
bootstrap inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from ._inversion import invert_test, share_at_least
from ._models import Design
from .bootstrap import Clusters, if_variance
from .randomization import cluster_assignments
from .wild import WildClusterBootstrap, draw_weights

#: below this many clusters in an arm (or with one cluster in an arm, or two in all), a
#: cluster-robust t reference is not trusted: see docs/methods.md ("Few teams")
MIN_CLUSTERS_PER_ARM = 3


@dataclass(frozen=True)
class Interval:
    """An interval and p-value for one term, with the method actually used."""

    low: float
    high: float
    p_value: float
    label: str
    se: float = math.nan
    note: str = ""


def analytic_cluster_trusted(clusters: Clusters) -> bool:
    """False when a cluster-robust t cannot be trusted (one treated or control cluster,
    fewer than :data:`MIN_CLUSTERS_PER_ARM` in an arm, or two clusters in all)."""
    if clusters.codes is None:
        return True
    if clusters.n_clusters <= 2:
        return False
    if clusters.pure:
        return min(clusters.n_clusters_arm) >= MIN_CLUSTERS_PER_ARM
    return True


def is_linear(fit: Any) -> bool:
    """The marginal difference is a linear combination of OLS coefficients."""
    return fit.method == "unadjusted" or (fit.method == "regression" and fit.kind == "continuous")


# ------------------------------------------------------------------------------- wild


def _ols_parts(fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted design and outcome (sqrt(v) scaled) and the arm-mean contrasts R0, R1."""
    v = fit.v
    s = np.sqrt(v)
    X = fit.design.X * s[:, None]
    y = fit.y * s
    R0 = v @ fit.design.X0 / v.sum()
    R1 = v @ fit.design.X1 / v.sum()
    return X, y, R0, R1


def wild_linear(fit: Any, term: str, stat: float, se: float, W: np.ndarray, alpha: float):
    """WCR for ``difference`` (``stat``) or ``ratio`` (``stat`` on the log scale)."""
    X, y, R0, R1 = _ols_parts(fit)
    codes = fit.cluster_values
    if term == "difference":
        boot = WildClusterBootstrap(X, y, codes, R1 - R0)

        def pval(r: float) -> float:
            return boot.test(r, W=W)[1]

        lo, hi = invert_test(pval, boot.estimate, max(boot.se(), 1e-12), alpha, tol=1e-4)
        return Interval(lo, hi, pval(0.0), "wild_cluster_wcr_webb", se=boot.se())

    def pval_ratio(log_r: float) -> float:
        r = math.exp(log_r)
        return WildClusterBootstrap(X, y, codes, R1 - r * R0).test(0.0, W=W)[1]

    lo, hi = invert_test(pval_ratio, stat, max(se, 1e-6), alpha, tol=1e-4)
    return Interval(lo, hi, pval_ratio(0.0), "wild_cluster_wcr_webb", se=se)


def _score_stat(psi: np.ndarray, clusters: Clusters, w: np.ndarray) -> np.ndarray:
    """Self-normalised score statistics for weights ``w`` (B, G) and cluster sums ``psi``."""
    star = w * psi[None, :]
    num = star.sum(axis=1)
    if clusters.pure and min(clusters.n_clusters_arm) >= 2:
        var = np.zeros(len(w))
        for arm in (0, 1):
            m = clusters.cluster_arm == arm
            g = int(m.sum())
            var += g / (g - 1) * (star[:, m] ** 2).sum(axis=1)
    else:
        g = clusters.n_clusters
        var = g / (g - 1) * (star**2).sum(axis=1)
    return num / np.sqrt(np.maximum(var, 1e-300))


def wild_score(stat: float, phi: np.ndarray, se: float, clusters: Clusters, W: np.ndarray, alpha):
    """Restricted score bootstrap (Kline & Santos 2012) for an influence-function estimator.

    ``phi`` is the sum-scale influence function of ``stat`` (sum of phi = 0); at a null
    value ``s0`` the restricted scores are ``phi_i + (stat - s0) / n`` (they sum to
    ``stat - s0``).
    """
    n = len(phi)
    sizes = np.bincount(clusters.codes, minlength=clusters.n_clusters) / n
    psi = np.bincount(clusters.codes, weights=phi, minlength=clusters.n_clusters)
    ones = np.ones((1, clusters.n_clusters))

    def pval(s0: float) -> float:
        psi_r = psi + (stat - s0) * sizes
        t = _score_stat(psi_r, clusters, ones)[0]
        tb = _score_stat(psi_r, clusters, W)
        return share_at_least(tb, t)

    lo, hi = invert_test(pval, stat, max(se, 1e-12), alpha, tol=1e-4)
    return Interval(lo, hi, pval(0.0), "score_bootstrap_wcr_webb", se=se)


def wild_intervals(fit, stats_, clusters, n_boot, rng, alpha) -> dict[str, Interval]:
    """Wild bootstrap intervals for the ``difference`` and ``ratio`` terms."""
    W, _ = draw_weights(clusters.n_clusters, n_boot, "webb", rng)
    out = {}
    for term in ("difference", "ratio"):
        if term not in stats_:
            continue
        stat, phi = stats_[term]
        se = if_variance(phi, clusters, fit.design.X.shape[1]).se
        if is_linear(fit):
            out[term] = wild_linear(fit, term, stat, se, W, alpha)
        else:
            out[term] = wild_score(stat, phi, se, clusters, W, alpha)
    return out


# ---------------------------------------------------------------------- randomization


def _estimate_under(fit: Any, a: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(difference, log ratio) of the fitted estimator refitted with arm ``a``."""
    design = fit.design
    X = design.X0 + a[:, None] * (design.X1 - design.X0)
    d = Design(X, design.X1, design.X0, design.columns, design.Z, design.z_columns)
    trials = fit.v if fit.has_trials else None
    est = _core.ESTIMATORS[fit.method](y, a, fit.v, d, fit.kind, trials)
    mu = est.mu
    ratio = math.log(mu[1] / mu[0]) if mu[0] > 0 and mu[1] > 0 else math.nan
    return float(mu[1] - mu[0]), ratio


def _linear_estimates(fit: Any, A_rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The linear estimator's difference for each assignment (rows of ``A_rows``)."""
    v = fit.v
    s = np.sqrt(v)
    R = v @ (fit.design.X1 - fit.design.X0) / v.sum()
    out = np.empty(len(A_rows))
    for i, a in enumerate(A_rows):
        X = (fit.design.X0 + a[:, None] * (fit.design.X1 - fit.design.X0)) * s[:, None]
        out[i] = R @ np.linalg.lstsq(X, target * s, rcond=None)[0]
    return out


def randomization_intervals(fit, stats_, clusters, n_boot, rng, alpha) -> dict[str, Interval]:
    """Randomization inference over cluster assignments for ``difference`` and ``ratio``."""
    A, exact = cluster_assignments(clusters.cluster_arm, n_boot, rng)
    A_rows = A[:, clusters.codes].astype(float)
    label = "randomization_exact" if exact else "randomization_sampled"
    n_possible = math.comb(clusters.n_clusters, int(clusters.cluster_arm.sum()))
    tiny = 1e-12
    out: dict[str, Interval] = {}
    if is_linear(fit):
        u = _linear_estimates(fit, A_rows, fit.y)
        s = _linear_estimates(fit, A_rows, fit.a.astype(float))

        def p_diff(tau: float) -> float:
            c = u - tau * s
            return share_at_least(c, c[0])

        est = float(u[0])
        if 1.0 / n_possible > alpha:
            lo, hi = -math.inf, math.inf
        else:
            lo, hi = invert_test(p_diff, est, max(float(np.std(u)), 1e-9), alpha, tol=1e-4)
        out["difference"] = Interval(lo, hi, p_diff(0.0), label)
        null_ratio = None
    else:
        diffs, ratios = zip(*(_estimate_under(fit, a, fit.y) for a in A_rows), strict=True)
        d = np.asarray(diffs)
        p = share_at_least(d, d[0])
        out["difference"] = Interval(math.nan, math.nan, p, label, note="ci_needs_additive")
        null_ratio = np.asarray(ratios)
    if "ratio" in stats_:
        if null_ratio is None:
            null_ratio = np.array([_estimate_under(fit, a, fit.y)[1] for a in A_rows])
        ok = np.isfinite(null_ratio)
        r = null_ratio[ok]
        p = float(np.mean(np.abs(r) >= abs(r[0]) - tiny)) if ok[0] else math.nan
        out["ratio"] = Interval(math.nan, math.nan, p, label, note="ci_needs_additive")
    return out
