"""Model layer of the panel designs: cells, two-way fixed effects, the imputation estimator.

Everything works on *cells* (unit x period) with their row count ``n`` and outcome sum
``s``: an OLS fit with unit and period fixed effects on the rows equals the weighted fit
on the cell means (weights ``n``), and every cluster score is a sum over cells, so the
cost does not grow with the number of rows (trajectories) but with units x periods.

- :func:`cells`: rows -> cells, with event time and treatment;
- :func:`twfe_fit`: ``y ~ D | unit + period`` with CRV1 (pyfixest's/fixest's small-sample
  factor);
- :func:`imputation_fit`: the imputation estimator of Borusyak, Jaravel & Spiess (2024),
  computed as Gardner's (2022) two-stage DiD, with its GMM cluster variance (Butts &
  Gardner 2022), for any set of targets (event times, cohorts, overall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg

NEVER = np.iinfo(np.int64).max // 4  #: adoption period of never-treated units


@dataclass(frozen=True)
class Cells:
    """Unit x period cells of a panel (one row per observed cell)."""

    unit: np.ndarray  # int codes 0..U-1
    period: np.ndarray  # int codes 0..T-1 (ordered)
    cluster: np.ndarray  # int codes 0..G-1
    adoption: np.ndarray  # period code of adoption (NEVER for never treated)
    d: np.ndarray  # treated cell (bool)
    event: np.ndarray  # event time in period units (-NEVER for never treated)
    pnum: np.ndarray  # period number as given (int)
    n: np.ndarray  # rows per cell (float)
    s: np.ndarray  # sum of the outcome per cell
    n_units: int
    n_periods: int
    n_clusters: int

    @property
    def treated(self) -> np.ndarray:
        return self.d

    @property
    def ybar(self) -> np.ndarray:
        return self.s / self.n


def cells(
    unit: np.ndarray,
    period: np.ndarray,
    adoption: np.ndarray,
    cluster: np.ndarray,
    y: np.ndarray,
    d: np.ndarray | None = None,
) -> Cells:
    """Aggregate rows to cells. ``period``/``adoption`` are integer period numbers
    (``adoption`` = :data:`NEVER` for never treated); ``unit``/``cluster`` any codes;
    ``d`` the treatment of each row (default ``period >= adoption``), constant per cell."""
    if d is None:
        d = period >= adoption
    u_codes, _u = pd.factorize(unit, sort=True)
    p_vals = np.unique(period)
    p_codes = np.searchsorted(p_vals, period)
    g_codes, _g = pd.factorize(cluster, sort=True)
    # adoption as a period code: the first observed period at or after adoption
    a_codes = np.where(adoption == NEVER, NEVER, np.searchsorted(p_vals, adoption))
    T = len(p_vals)
    key = u_codes.astype(np.int64) * T + p_codes
    order = np.argsort(key, kind="stable")
    k_sorted = key[order]
    first = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]])
    idx = order[first]
    n = np.add.reduceat(np.ones(len(key)), first)
    s = np.add.reduceat(y[order].astype(float), first)
    return Cells(
        unit=u_codes[idx].astype(np.int64),
        period=p_codes[idx].astype(np.int64),
        cluster=g_codes[idx].astype(np.int64),
        adoption=a_codes[idx].astype(np.int64),
        d=np.asarray(d, dtype=bool)[idx],
        event=np.where(adoption == NEVER, -NEVER, period - adoption)[idx].astype(np.int64),
        pnum=np.asarray(period, dtype=np.int64)[idx],
        n=n,
        s=s,
        n_units=len(_u),
        n_periods=T,
        n_clusters=len(_g),
    )


def subset(c: Cells, keep: np.ndarray) -> Cells:
    """The cells ``keep`` (codes kept; units/periods/clusters without cells stay counted
    only if still present)."""
    unit = pd.factorize(c.unit[keep], sort=True)[0].astype(np.int64)
    per_vals = np.unique(c.period[keep])
    period = np.searchsorted(per_vals, c.period[keep]).astype(np.int64)
    adoption = np.where(
        c.adoption[keep] == NEVER, NEVER, np.searchsorted(per_vals, c.adoption[keep])
    ).astype(np.int64)
    cluster = pd.factorize(c.cluster[keep], sort=True)[0].astype(np.int64)
    return Cells(
        unit,
        period,
        cluster,
        adoption,
        c.d[keep],
        c.event[keep],
        c.pnum[keep],
        c.n[keep],
        c.s[keep],
        int(unit.max()) + 1,
        len(per_vals),
        int(cluster.max()) + 1,
    )


class FE:
    """The fixed-effect design ``F`` (unit dummies, period dummies without the first) of
    the cells, used through its structure (two ones per row) instead of a dense matrix:
    ``F' v``, ``F theta`` and the weighted Gram matrix ``F' diag(w) F``."""

    def __init__(self, c: Cells) -> None:
        self.U, self.T = c.n_units, c.n_periods
        self.p = self.U + self.T - 1
        self.unit = c.unit
        self.per = c.period
        self.has_p = c.period >= 1
        self.pcol = self.U + c.period - 1  # column of the period dummy (if has_p)

    def tmul(self, v: np.ndarray) -> np.ndarray:
        """``F' v`` for a vector or a (cells x k) matrix."""
        v2 = v.reshape(len(v), -1)
        hp = self.has_p
        out = np.empty((self.p, v2.shape[1]))
        for j in range(v2.shape[1]):
            out[:, j] = np.bincount(self.unit, weights=v2[:, j], minlength=self.p)
            out[:, j] += np.bincount(self.pcol[hp], weights=v2[hp, j], minlength=self.p)
        return out.reshape(self.p) if v.ndim == 1 else out

    def mul(self, theta: np.ndarray) -> np.ndarray:
        """``F theta`` for a vector or a (p x k) matrix."""
        t2 = theta.reshape(self.p, -1)
        out = t2[self.unit].copy()
        out[self.has_p] += t2[self.pcol[self.has_p]]
        return out.reshape(len(self.unit)) if theta.ndim == 1 else out

    def gram(self, w: np.ndarray) -> np.ndarray:
        """``F' diag(w) F``."""
        p, hp = self.p, self.has_p
        u, pc = self.unit, self.pcol[hp]
        idx = np.concatenate([u * p + u, pc * p + pc, u[hp] * p + pc, pc * p + u[hp]])
        wts = np.concatenate([w, w[hp], w[hp], w[hp]])
        return np.bincount(idx, weights=wts, minlength=p * p).reshape(p, p)


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve the (symmetric, positive semi-definite) normal equations; least squares if
    singular (a unit or period without any weight)."""
    try:
        return scipy.linalg.solve(A, b, assume_a="pos")
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _wls(fe: FE, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fitted values of ``y ~ F`` with weights ``w``."""
    return fe.mul(_solve(fe.gram(w), fe.tmul(w * y)))


# ------------------------------------------------------------------------------ TWFE


@dataclass(frozen=True)
class TWFEFit:
    estimate: float
    se: float
    df: int
    vcov_raw: float  # sandwich without small-sample factors
    factor: float  # (N-1)/(N-K) * G/(G-1)
    n_rows: int
    weights: np.ndarray  # weight of each treated cell in the TWFE estimate (sums to 1)


def twfe_fit(c: Cells) -> TWFEFit:
    """``y ~ D | unit + period`` with CRV1 (clusters nest units).

    Small-sample factor as fixest/pyfixest by default (``ssc(k_fixef="nonnested")``):
    ``(N-1)/(N-K) * G/(G-1)`` with ``K = 1 + T`` (the unit effects are nested in the
    clusters and do not count, except one), t with ``G-1`` df.
    """
    fe = FE(c)
    d = c.treated.astype(float)
    # Frisch-Waugh: residualise D and y on the fixed effects (weights n)
    d_t = d - _wls(fe, d, c.n)
    y_t = c.ybar - _wls(fe, c.ybar, c.n)
    sdd = float(np.sum(c.n * d_t * d_t))
    beta = float(np.sum(c.n * d_t * y_t) / sdd)
    # row residuals sum per cell: s - n * fitted; fitted = ybar - (y_t - beta d_t)
    r_sum = c.n * (y_t - beta * d_t)
    score = np.bincount(c.cluster, weights=d_t * r_sum, minlength=c.n_clusters)
    v_raw = float(np.sum(score**2)) / sdd**2
    N, G = float(c.n.sum()), c.n_clusters
    K = 1 + c.n_periods
    factor = (N - 1) / (N - K) * G / (G - 1)
    w = np.where(d > 0, c.n * d_t, 0.0)
    return TWFEFit(beta, float(np.sqrt(v_raw * factor)), G - 1, v_raw, factor, int(N), w / w.sum())


# ------------------------------------------------------------------------------ imputation


@dataclass(frozen=True)
class ImputationFit:
    """Targets' estimates and their GMM cluster covariance (no small-sample factor)."""

    estimate: np.ndarray
    vcov: np.ndarray
    n_rows: np.ndarray  # rows behind each target
    n_clusters_target: np.ndarray  # clusters with rows in each target
    usable: np.ndarray  # cells used (identified)


def identified(c: Cells) -> np.ndarray:
    """Cells whose unit and period have at least one untreated cell (else no imputation)."""
    u0 = ~c.treated
    unit_ok = np.bincount(c.unit[u0], minlength=c.n_units) > 0
    per_ok = np.bincount(c.period[u0], minlength=c.n_periods) > 0
    return unit_ok[c.unit] & per_ok[c.period]


def imputation_fit(c: Cells, targets: np.ndarray, y: np.ndarray | None = None) -> ImputationFit:
    """The imputation estimator for targets (``targets[i]`` = target index of cell ``i``,
    or -1): each estimate is the row-weighted mean over its cells of ``y - y0_hat``,
    ``y0_hat`` from ``y ~ unit + period`` fitted on untreated cells.

    ``y`` (cell means) replaces the outcome when given (used for the expected estimates
    under a hypothetical trend). The covariance is the two-stage GMM sandwich summed
    over clusters (as pyfixest's ``did2s``).
    """
    ybar = c.ybar if y is None else y
    fe = FE(c)
    u0 = ~c.treated
    n0 = c.n * u0
    # weighted normal equations of the first stage (untreated cells only)
    A = fe.gram(n0)
    theta = _solve(A, fe.tmul(n0 * ybar))
    r1 = ybar - fe.mul(theta)  # first-stage residual of each cell mean
    k = int(targets.max()) + 1 if (targets >= 0).any() else 0
    has = targets >= 0
    nk = np.bincount(targets[has], weights=c.n[has], minlength=k).astype(float)
    est = np.bincount(targets[has], weights=(c.n * r1)[has], minlength=k) / np.where(
        nk > 0, nk, np.nan
    )
    r2 = r1 - np.where(has, np.nan_to_num(est)[np.maximum(targets, 0)], 0.0)
    # GMM: W_g = X2g' u2g - X2'X1 (X10'X10)^-1 X10g' u1g  (row sums: n * residual)
    X2n = np.zeros((len(ybar), k))
    X2n[np.flatnonzero(has), targets[has]] = c.n[has]
    Vt = _solve(A, fe.tmul(X2n))  # p x k: (X10'X10)^-1 X1'X2
    s2 = np.zeros((len(ybar), k))
    s2[np.flatnonzero(has), targets[has]] = (c.n * r2)[has]  # per-cell X2' u2
    s1V = (n0 * r1)[:, None] * fe.mul(Vt)  # per-cell (X10' u1)' V'
    G = c.n_clusters
    W = np.zeros((G, k))
    np.add.at(W, c.cluster, s2 - s1V)
    scores = W / np.where(nk > 0, nk, np.nan)
    vcov = scores.T @ scores
    ncl = np.array([len(np.unique(c.cluster[targets == j])) for j in range(k)], dtype=np.int64)
    return ImputationFit(est, vcov, nk, ncl, np.ones(len(ybar), dtype=bool))


def imputation_weights(c: Cells, treated: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Cell weights ``a`` with ``estimate = a @ ybar`` for the imputation estimator of the
    row-weighted mean effect over the ``target`` cells when ``treated`` marks the treated
    cells (the first stage uses the others): ``a = w - n u0 * F A^+ F' w``."""
    fe = FE(c)
    n0 = c.n * ~treated
    w = np.where(target, c.n, 0.0)
    w = w / w.sum()
    x = _solve(fe.gram(n0), fe.tmul(w))
    return w - n0 * fe.mul(x)
