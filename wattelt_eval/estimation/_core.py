"""Point estimators and their influence functions (internal).

An :class:`Estimate` holds the two marginal means (control, treated), their influence
functions (n, 2) in sum scale and a vectorised functional that recomputes the means for
a batch of bootstrap weight vectors from one-step parameter updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse, special

from ._models import Design, Fit, d_inv_link, fit_glm, inv_link, overdispersion_test
from .bootstrap import BootWeights

BootFn = Callable[[np.ndarray | BootWeights], np.ndarray]  # (B, n) weights -> (B, 2) means


def _unique_rows(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the side-by-side columns and each row's index into them."""
    M = np.column_stack([np.asarray(c, dtype=float).reshape(len(c), -1) for c in cols])
    U, inv = np.unique(M, axis=0, return_inverse=True)
    return U, inv.ravel()


def _indicator(inv: np.ndarray, vals: np.ndarray, n_u: int) -> sparse.csr_matrix:
    """Sparse (n, U) matrix with ``vals[i]`` at (i, inv[i]): W @ it sums W v per row group."""
    n = len(inv)
    return sparse.csr_matrix((vals, (np.arange(n), inv)), shape=(n, n_u))


@dataclass
class Estimate:
    mu: np.ndarray  # (2,) control, treated
    phi: np.ndarray  # (n, 2)
    boot: BootFn
    models: list[str]
    converged: bool
    diagnostics: dict[str, Any] = field(default_factory=dict)


class OutcomeModel:
    """Outcome regression m(a, x): one GLM, or a two-part model for costs."""

    def __init__(self, y: np.ndarray, X: np.ndarray, kind: str, trials: np.ndarray | None):
        self.kind = kind
        self.diag: dict[str, Any] = {}
        n = len(y)
        if kind == "continuous":
            self.fits = [fit_glm(y, X, "gaussian")]
        elif kind == "binary":
            self.fits = [fit_glm(y, X, "binomial")]
        elif kind == "proportion":
            self.fits = [fit_glm(y, X, "binomial", var_weights=trials)]
        elif kind == "count":
            pois = fit_glm(y, X, "poisson")
            mu = pois.mean(X)
            alpha, p = overdispersion_test(y, np.maximum(mu, 1e-12))
            self.diag["overdispersion_alpha"] = alpha
            self.diag["overdispersion_p"] = p
            chosen = pois
            if p < 0.05 and alpha > 0:
                try:
                    nb = fit_glm(y, X, "negbin")
                    if nb.converged:
                        chosen = nb
                except Exception as exc:  # NB failed: keep Poisson (robust SEs)
                    self.diag["negbin_error"] = str(exc)
            self.fits = [chosen]
        elif kind == "cost":
            pos = y > 0
            self.diag["share_zero"] = float(1 - pos.mean())
            if pos.all():
                self.fits = [fit_glm(y, X, "gamma")]
            else:
                part1 = fit_glm(pos.astype(float), X, "binomial")
                part2 = fit_glm(y, X, "gamma", rows=pos, n_total=n)
                self.fits = [part1, part2]
        else:  # pragma: no cover - checked at the boundary
            raise ValueError(kind)
        self.delta = np.hstack([f.delta for f in self.fits])
        self.sizes = [len(f.beta) for f in self.fits]

    @property
    def names(self) -> list[str]:
        lab = {
            "gaussian": "linear (OLS)",
            "binomial": "logistic" if self.kind != "proportion" else "binomial (logit, trials)",
            "poisson": "Poisson (log)",
            "negbin": "negative binomial NB2 (log)",
            "gamma": "gamma (log)",
        }
        if self.kind == "cost" and len(self.fits) == 2:
            return ["two-part: logistic P(cost>0) x gamma (log) E[cost | cost>0]"]
        return [lab[f.name] for f in self.fits]

    @property
    def converged(self) -> bool:
        return all(f.converged for f in self.fits)

    def predict(self, X: np.ndarray, betas: list[np.ndarray] | None = None) -> np.ndarray:
        """m(x) at the fitted parameters ((n,)), or for a batch (list of (B, p)) -> (B, n)."""
        if betas is None:
            betas = [f.beta for f in self.fits]
        out = None
        for f, b in zip(self.fits, betas, strict=True):
            m = inv_link(X @ b.T, f.link)
            out = m if out is None else out * m
        return out.T if out.ndim == 2 else out

    def grad(self, X: np.ndarray) -> np.ndarray:
        """d m_i / d params (n, P) at the fitted parameters."""
        means = [f.mean(X) for f in self.fits]
        total = np.prod(means, axis=0)
        blocks = []
        for f, m in zip(self.fits, means, strict=True):
            other = np.divide(total, m, out=np.zeros_like(total), where=m != 0)
            blocks.append((d_inv_link(m, f.link) * other)[:, None] * X)
        return np.hstack(blocks)

    def batch_params(self, W: np.ndarray | BootWeights) -> list[np.ndarray]:
        """One-step bootstrap parameters for weights W (B, n)."""
        full = BootWeights.wrap(W).rsum(self.delta) - self.delta.sum(axis=0)  # (B, P)
        out, k = [], 0
        for f, p in zip(self.fits, self.sizes, strict=True):
            out.append(f.beta[None, :] + full[:, k : k + p])
            k += p
        return out


def gcomp(y, a, v, design: Design, kind, trials, ps_fixed: bool = False) -> Estimate:
    """Regression standardisation (g-computation) over the analysis sample."""
    om = OutcomeModel(y, design.X, kind, trials)
    V = v.sum()
    mus, phis = [], []
    for Xa in (design.X0, design.X1):
        m = om.predict(Xa)
        mu = float(v @ m / V)
        dmu = (v[:, None] * om.grad(Xa)).sum(axis=0) / V
        phis.append(v * (m - mu) / V + om.delta @ dmu)
        mus.append(mu)

    # rows with the same covariate pattern share their prediction: predict on the
    # distinct rows only and sum the bootstrap weights per pattern (sparse)
    groups = []
    for Xa in (design.X0, design.X1):
        U, inv = _unique_rows(Xa)
        groups.append((U, _indicator(inv, v, len(U))))

    def boot(W: np.ndarray | BootWeights) -> np.ndarray:
        W = BootWeights.wrap(W)
        betas = om.batch_params(W)
        den = W.rsum(v)
        return np.column_stack(
            [np.einsum("bu,bu->b", om.predict(U, betas), W.rsum(S)) / den for U, S in groups]
        )

    return Estimate(
        np.array(mus), np.column_stack(phis), boot, om.names, om.converged, dict(om.diag)
    )


def propensity(a: np.ndarray, Z: np.ndarray) -> Fit:
    return fit_glm(a.astype(float), Z, "binomial")


def weight_diagnostics(a: np.ndarray, e: np.ndarray, v: np.ndarray) -> dict[str, Any]:
    """Stabilised weights, effective sample size and overlap."""
    p1 = float(np.average(a, weights=v))
    sw = np.where(a == 1, p1 / e, (1 - p1) / (1 - e))
    out: dict[str, Any] = {}
    for lab, m in (("control", a == 0), ("treated", a == 1)):
        w = sw[m]
        out[f"weights_{lab}"] = {
            "mean": float(w.mean()),
            "min": float(w.min()),
            "max": float(w.max()),
            "ess": float(w.sum() ** 2 / (w**2).sum()),
            "n": int(m.sum()),
        }
        out[f"ps_range_{lab}"] = (float(e[m].min()), float(e[m].max()))
    out["share_ps_outside_05_95"] = float(np.mean((e < 0.05) | (e > 0.95)))
    lo = max(e[a == 1].min(), e[a == 0].min())
    hi = min(e[a == 1].max(), e[a == 0].max())
    out["share_outside_common_support"] = float(np.mean((e < lo) | (e > hi)))
    out["stabilised_weights"] = sw
    return out


def ipw(y, a, v, design: Design, kind, trials, ps_fixed: bool = False) -> Estimate:
    """Hajek IPW with stabilised weights (the normalisation makes stabilisation exact).

    With ``ps_fixed`` the weights are treated as known (as a robust weighted regression /
    GEE does), which ignores the estimation of the propensity score and is conservative.
    """
    if design.Z is None:
        raise ValueError("method='ipw' needs covariates for the propensity model.")
    ps = propensity(a, design.Z)
    Z = design.Z
    e = ps.mean(Z)
    mus, phis = [], []
    for arm in (0, 1):
        ind = (a == arm).astype(float)
        w = ind / (e if arm == 1 else 1 - e)
        S = float((v * w).sum())
        mu = float((v * w * y).sum() / S)
        # derivative of mu wrt the propensity parameters
        dw = -(1 - e) if arm == 1 else e  # d log(weight) / d eta
        D = ((v * w * (y - mu) * dw)[:, None] * Z).sum(axis=0) / S
        phis.append(v * w * (y - mu) / S + (0.0 if ps_fixed else ps.delta @ D))
        mus.append(mu)

    # Hajek means from sums per distinct propensity pattern: sum_i W v 1[a=arm] y / e(z_i)
    U, inv = _unique_rows(Z)
    sums = {
        arm: (_indicator(inv, v * (a == arm) * y, len(U)), _indicator(inv, v * (a == arm), len(U)))
        for arm in (0, 1)
    }

    def boot(W: np.ndarray | BootWeights) -> np.ndarray:
        W = BootWeights.wrap(W)
        g = ps.beta[None, :] + (0.0 if ps_fixed else W.rsum(ps.delta) - ps.delta.sum(axis=0))
        eb = special.expit(U @ g.T).T  # (B, U)
        out = []
        for arm in (0, 1):
            inv_e = 1.0 / (eb if arm == 1 else 1.0 - eb)
            sy, s1 = sums[arm]
            out.append(
                np.einsum("bu,bu->b", inv_e, W.rsum(sy)) / np.einsum("bu,bu->b", inv_e, W.rsum(s1))
            )
        return np.column_stack(out)

    diag = weight_diagnostics(a, e, v)
    diag["propensity_converged"] = ps.converged
    return Estimate(
        np.array(mus), np.column_stack(phis), boot, ["propensity: logistic"], ps.converged, diag
    )


def aipw(y, a, v, design: Design, kind, trials, ps_fixed: bool = False) -> Estimate:
    """Augmented IPW (doubly robust), standardised over the analysis sample."""
    if design.Z is None:
        raise ValueError("method='aipw' needs covariates for the propensity model.")
    ps = propensity(a, design.Z)
    Z = design.Z
    e = ps.mean(Z)
    om = OutcomeModel(y, design.X, kind, trials)
    V = v.sum()
    mus, phis = [], []
    for arm, Xa in ((0, design.X0), (1, design.X1)):
        m = om.predict(Xa)
        w = (a == arm) / (e if arm == 1 else 1 - e)
        term = m + w * (y - m)
        mu = float(v @ term / V)
        phis.append(v * (term - mu) / V)
        mus.append(mu)

    # per distinct (outcome pattern under arm, propensity pattern):
    # sum_i W v [m + 1[a=arm] (y - m) / e] = sum_u m_u S1 + (Sy - m_u Sind) / e_u
    groups = []
    for arm, Xa in ((0, design.X0), (1, design.X1)):
        U, inv = _unique_rows(Xa, Z)
        ind = (a == arm).astype(float)
        groups.append(
            (
                arm,
                U[:, : Xa.shape[1]],
                U[:, Xa.shape[1] :],
                _indicator(inv, v, len(U)),
                _indicator(inv, v * ind * y, len(U)),
                _indicator(inv, v * ind, len(U)),
            )
        )

    def boot(W: np.ndarray | BootWeights) -> np.ndarray:
        W = BootWeights.wrap(W)
        betas = om.batch_params(W)
        g = ps.beta[None, :] + W.rsum(ps.delta) - ps.delta.sum(axis=0)
        den = W.rsum(v)
        out = []
        for arm, UX, UZ, s1, sy, sind in groups:
            m = om.predict(UX, betas)  # (B, U)
            eb = special.expit(UZ @ g.T).T
            inv_e = 1.0 / (eb if arm == 1 else 1.0 - eb)
            tot = np.einsum("bu,bu->b", m, W.rsum(s1)) + np.einsum(
                "bu,bu->b", inv_e, W.rsum(sy) - m * W.rsum(sind)
            )
            out.append(tot / den)
        return np.column_stack(out)

    diag = weight_diagnostics(a, e, v)
    diag.update(om.diag)
    diag["propensity_converged"] = ps.converged
    return Estimate(
        np.array(mus),
        np.column_stack(phis),
        boot,
        om.names + ["propensity: logistic"],
        om.converged and ps.converged,
        diag,
    )


ESTIMATORS = {"unadjusted": gcomp, "regression": gcomp, "ipw": ipw, "aipw": aipw}
