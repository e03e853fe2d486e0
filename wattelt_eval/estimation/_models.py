"""Model fits with influence functions (internal).

Every nuisance model used by the comparison engine is a statsmodels likelihood model.
From the full-sample fit we keep the parameters and each row's contribution to the
parameter estimate in *sum scale* (``beta_hat - beta ~= sum_i delta_i``), obtained from
the per-row scores and the observed Hessian:

    delta_i = -H^{-1} s_i(beta_hat)

These contributions drive the sandwich / cluster-robust variances (as sums of influence
functions) and the one-step weighted bootstrap (``beta_b = beta_hat + (W_b - 1) @ delta``,
Hu & Kalbfleisch 2000, Kline & Santos 2012), so no model is ever refitted in a loop.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import special, stats

LINKS = ("identity", "logit", "log")


def inv_link(eta: np.ndarray, link: str) -> np.ndarray:
    if link == "identity":
        return eta
    if link == "logit":
        return special.expit(eta)
    return np.exp(np.clip(eta, -700, 700))


def d_inv_link(mu: np.ndarray, link: str) -> np.ndarray:
    """Derivative of the inverse link, expressed in the mean ``mu``."""
    if link == "identity":
        return np.ones_like(mu)
    if link == "logit":
        return mu * (1.0 - mu)
    return mu


@dataclass
class Fit:
    """A fitted nuisance model with its per-row influence contributions."""

    name: str
    link: str
    beta: np.ndarray
    delta: np.ndarray  # (n_rows, p): contribution of each analysis row to beta_hat
    converged: bool
    info: dict[str, Any] = field(default_factory=dict)

    def mean(self, X: np.ndarray, beta: np.ndarray | None = None) -> np.ndarray:
        b = self.beta if beta is None else beta
        return inv_link(X @ b.T, self.link)


def _influence(model: Any, params: np.ndarray) -> np.ndarray:
    score = np.asarray(model.score_obs(params))
    hess = np.asarray(model.hessian(params))
    try:
        hinv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        hinv = np.linalg.pinv(hess)
    return -score @ hinv.T


def fit_glm(
    y: np.ndarray,
    X: np.ndarray,
    family: str,
    *,
    var_weights: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    n_total: int | None = None,
) -> Fit:
    """Fit a GLM (``gaussian``, ``binomial``, ``poisson``, ``gamma``, ``negbin``).

    ``rows`` (boolean mask over ``n_total`` rows) restricts the fit to a subset; the
    influence contributions of rows outside it are zero.
    """
    n_all = len(y) if n_total is None else n_total
    if rows is not None:
        y, X = y[rows], X[rows]
        if var_weights is not None:
            var_weights = var_weights[rows]
    converged = True
    info: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if family == "negbin":
            model = sm.NegativeBinomial(y, X, loglike_method="nb2")
            start = None
            try:
                pois = sm.GLM(y, X, family=sm.families.Poisson()).fit()
                start = np.append(pois.params, 0.1)
            except Exception:  # pragma: no cover - start values are optional
                start = None
            res = model.fit(start_params=start, disp=0, maxiter=200, method="bfgs")
            res = model.fit(start_params=res.params, disp=0, maxiter=50, method="newton")
            converged = bool(res.mle_retvals.get("converged", True))
            params = np.asarray(res.params)
            info["alpha"] = float(params[-1])
            delta = _influence(model, params)[:, :-1]
            beta = params[:-1]
            link = "log"
        else:
            fam = {
                "gaussian": sm.families.Gaussian(),
                "binomial": sm.families.Binomial(),
                "poisson": sm.families.Poisson(),
                "gamma": sm.families.Gamma(link=sm.families.links.Log()),
            }[family]
            model = sm.GLM(y, X, family=fam, var_weights=var_weights)
            res = model.fit(maxiter=100)
            converged = bool(getattr(res, "converged", True))
            beta = np.asarray(res.params)
            delta = _influence(model, beta)
            link = {"gaussian": "identity", "binomial": "logit"}.get(family, "log")
            info["scale"] = float(res.scale)
            info["pearson_chi2"] = float(res.pearson_chi2)
            info["df_resid"] = float(res.df_resid)
    msgs = [
        str(w.message)
        for w in caught
        if "converge" in str(w.message).lower() or "perfect" in str(w.message).lower()
    ]
    if msgs:
        converged = False
        info["warnings"] = msgs
    if not np.all(np.isfinite(beta)):
        converged = False
    if rows is not None:
        full = np.zeros((n_all, delta.shape[1]))
        full[rows] = delta
        delta = full
    return Fit(family, link, beta, delta, converged, info)


def overdispersion_test(y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Cameron & Trivedi (1990) auxiliary-regression test of Poisson overdispersion.

    Regress ``((y - mu)^2 - y) / mu`` on ``mu`` without intercept; a one-sided t-test of
    the slope > 0 tests ``Var(y) = mu + alpha mu^2`` against ``alpha = 0``.
    Returns (alpha_hat, one-sided p-value).
    """
    z = ((y - mu) ** 2 - y) / mu
    xtx = float(mu @ mu)
    alpha = float(mu @ z) / xtx
    resid = z - alpha * mu
    n = len(y)
    s2 = float(resid @ resid) / max(n - 1, 1)
    se = np.sqrt(s2 / xtx)
    t = alpha / se if se > 0 else 0.0
    return alpha, float(stats.t.sf(t, max(n - 1, 1)))


# --------------------------------------------------------------------------- design


@dataclass
class Design:
    """Design matrices for the outcome and propensity models."""

    X: np.ndarray  # outcome-model design as observed
    X1: np.ndarray  # with every row set to the treated arm
    X0: np.ndarray  # with every row set to the control arm
    columns: list[str]
    Z: np.ndarray | None  # propensity design (no arm terms); None without covariates
    z_columns: list[str]


def covariate_columns(covariates: str | list[str] | None, data: pd.DataFrame) -> list[str]:
    """Columns of ``data`` that a covariate spec refers to (for missing-data handling)."""
    if covariates is None:
        return []
    if isinstance(covariates, str):
        desc = patsy.ModelDesc.from_formula(covariates)
        names: set[str] = set()
        for term in desc.rhs_termlist:
            for factor in term.factors:
                code = factor.code
                for col in data.columns:
                    if _mentions(code, str(col)):
                        names.add(str(col))
        return [c for c in data.columns if c in names]
    return list(covariates)


def _mentions(code: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", code) is not None


def formula_rhs(covariates: str | list[str] | None, data: pd.DataFrame) -> str:
    """Formula right-hand side of a covariate spec (a formula is kept; columns are quoted,
    text, categorical and boolean columns wrapped in ``C()``)."""
    if covariates is None or (not isinstance(covariates, str) and len(covariates) == 0):
        return ""
    if isinstance(covariates, str):
        return covariates.strip()
    parts = []
    for c in covariates:
        s = data[c]
        if (
            isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
            or pd.api.types.is_bool_dtype(s)
        ):
            parts.append(f'C(Q("{c}"))')
        else:
            parts.append(f'Q("{c}")')
    return " + ".join(parts)


def build_design(data: pd.DataFrame, arm_name: str, covariates: str | list[str] | None) -> Design:
    """Outcome design ``arm + covariates`` (formula terms may interact with the arm)
    and propensity design ``covariates`` without terms that mention the arm."""
    rhs = formula_rhs(covariates, data)
    formula = f"{arm_name} + {rhs}" if rhs else arm_name
    # patsy reads pandas string/object columns value by value; as categoricals (levels
    # sorted, as patsy would) they are coded at once. Unused levels give all-zero columns,
    # which the caller drops.
    texts = [
        c for c in covariate_columns(covariates, data) if pd.api.types.is_string_dtype(data[c])
    ]
    if texts:
        data = data.copy()
        for c in texts:
            data[c] = pd.Categorical(
                data[c].astype(str), categories=sorted(data[c].astype(str).unique())
            )
    X = patsy.dmatrix(formula, data, return_type="dataframe", NA_action="raise")
    info = X.design_info
    d1 = data.copy()
    d1[arm_name] = 1.0
    d0 = data.copy()
    d0[arm_name] = 0.0
    (X1,) = patsy.build_design_matrices([info], d1, NA_action="raise")
    (X0,) = patsy.build_design_matrices([info], d0, NA_action="raise")
    Z = None
    z_cols: list[str] = []
    if rhs:
        desc = patsy.ModelDesc.from_formula(rhs)
        terms = [
            t for t in desc.rhs_termlist if not any(_mentions(f.code, arm_name) for f in t.factors)
        ]
        zdesc = patsy.ModelDesc([], terms)
        Zdf = patsy.dmatrix(zdesc, data, return_type="dataframe", NA_action="raise")
        if "Intercept" not in Zdf.columns:
            Zdf.insert(0, "Intercept", 1.0)
        Z = np.asarray(Zdf, dtype=float)
        z_cols = list(Zdf.columns)
    return Design(
        np.asarray(X, dtype=float),
        np.asarray(X1, dtype=float),
        np.asarray(X0, dtype=float),
        list(X.columns),
        Z,
        z_cols,
    )
