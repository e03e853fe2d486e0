"""Multiple imputation of missing covariates and Rubin's rules (``missing="mi"``).

:func:`impute_and_compare` fills the missing covariates of a comparison ``m`` times by
chained equations (:func:`impute`), runs :func:`~wattelt_eval.estimation.compare` on each
completed table and pools the per-term estimates with Rubin's rules and the
Barnard-Rubin small-sample degrees of freedom (:func:`pool_rubin`). The result,
:class:`MIResult`, is a :class:`~wattelt_eval.estimation.results.CompareResult` whose
``.table`` names the method as ``"multiple imputation (m=20, chained_equations) +
<inner method>"`` and carries the fraction of missing information (``fmi``) per term.

The imputation model (see ``docs/methods.md``, *Missing covariates*) follows R ``mice``
(van Buuren & Groothuis-Oudshoorn 2011): one chain per imputation; numeric covariates by
predictive mean matching with a Bayesian linear-regression draw (``mice.impute.pmm``),
categorical and boolean covariates by a logistic / multinomial logistic regression whose
coefficients are drawn from their (weak normal prior) posterior (``logreg``/``polyreg``).
Every conditional model includes the outcome, the arm, their product and the cluster
(as fixed-effect indicators), so that the imputations are congenial with the analysis;
the outcome, the arm and the cluster are never imputed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from ._models import covariate_columns
from ._shared import ci_text, data_error, numeric, txt, usage_error
from .literals import Lang, Method, check
from .results import CompareResult, title

__all__ = ["impute", "impute_and_compare", "pool_rubin", "MIResult", "Imputer", "IMPUTERS"]

#: imputation engine (only the chained equations of this module so far)
Imputer = Literal["chained_equations"]
#: imputer -> how the conditional models impute, for the method label
IMPUTERS = {"chained_equations": "chained_equations"}

#: ridge of the linear imputation model, relative to diag(X'X) (as ``mice``'s ``ridge``)
_PMM_RIDGE = 1e-5
#: precision of the normal prior on the standardised logistic coefficients (sd ~ 3.2)
_LOGIT_PRIOR = 0.1


# ------------------------------------------------------------------------------ Rubin's rules


def pool_rubin(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float = np.inf, alpha: float = 0.05
) -> dict[str, float]:
    """Rubin's rules for one scalar with the Barnard-Rubin degrees of freedom.

    Parameters
    ----------
    estimates, variances : array of length m
        The estimate and its squared standard error in each completed data set.
    df_complete : float
        Degrees of freedom of the complete-data analysis (``inf`` for a normal reference).
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        ``estimate`` (mean), ``within`` (mean variance, W), ``between`` (B), ``total``
        (T = W + (1 + 1/m) B), ``se`` (sqrt T), ``df`` (Barnard & Rubin 1999), ``riv``
        (relative increase in variance, (1 + 1/m) B / W), ``lambda`` ((1 + 1/m) B / T),
        ``fmi`` (fraction of missing information, Rubin 1987: (riv + 2 / (df_old + 3)) /
        (1 + riv)),
        ``ci_low``, ``ci_high`` and ``p_value`` (t reference, H0: 0).

    Notes
    -----
    As R ``mice::pool``: lambda is floored at 1e-4 in the df, ``df_old = (m - 1) /
    lambda^2``, ``df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lambda)`` and
    ``df = df_old * df_obs / (df_old + df_obs)`` (``df_old`` for an infinite ``df_com``).
    The fraction of missing information uses Rubin's (1987) ``df_old``; R ``mice`` uses
    the Barnard-Rubin df there, which with a small complete-data df (a t with 3-6 df for
    4 + 4 teams) lets ``2 / (df + 3)`` dominate and reports a large fraction when the
    imputations add almost no variance. ``lambda`` is what statsmodels' ``MICEResults``
    calls ``frac_miss_info``.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    qbar = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1)) if m > 1 else 0.0
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    riv = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam_df = max(lam, 1e-4)
    df_old = (m - 1) / lam_df**2
    if np.isfinite(df_complete):
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam_df)
        df = df_old * df_obs / (df_old + df_obs)
    else:
        df = df_old
    fmi = (riv + 2 / (df_old + 3)) / (1 + riv) if np.isfinite(riv) else 1.0
    se = math.sqrt(t)
    crit = stats.t.ppf(1 - alpha / 2, df)
    p = float(2 * stats.t.sf(abs(qbar) / se, df)) if se > 0 else np.nan
    return {
        "estimate": qbar,
        "within": w,
        "between": b,
        "total": t,
        "se": se,
        "df": float(df),
        "riv": float(riv),
        "lambda": float(lam),
        "fmi": float(fmi),
        "ci_low": qbar - crit * se,
        "ci_high": qbar + crit * se,
        "p_value": p,
    }


# ------------------------------------------------------------------------------ model draws


def _draw_linear(X, y, rng, ridge=_PMM_RIDGE):
    """(fitted coefficients, one posterior draw) of a normal linear model (mice ``.norm.draw``)."""
    xtx = X.T @ X
    pen = ridge * np.diag(xtx)
    v = np.linalg.inv(xtx + np.diag(pen))
    v = (v + v.T) / 2
    coef = v @ (X.T @ y)
    resid = y - X @ coef
    df = max(len(y) - X.shape[1], 1)
    sigma = math.sqrt(float(resid @ resid) / rng.chisquare(df))
    chol = np.linalg.cholesky(v + 1e-12 * np.eye(len(v)))
    return coef, coef + sigma * (chol @ rng.standard_normal(X.shape[1]))


def mlogit_fit(
    X: np.ndarray,
    codes: np.ndarray,
    k: int,
    prior: float = _LOGIT_PRIOR,
    start: np.ndarray | None = None,
):
    """Multinomial logistic regression (first level the reference) by Newton-Raphson.

    Returns the coefficients (p, k-1) and the inverse of the (penalised) information,
    the covariance of their normal approximation. ``prior`` is the precision of an
    independent normal prior on each coefficient (0: maximum likelihood, as statsmodels
    ``MNLogit``). ``start``: starting coefficients (p, k-1), e.g. the previous iteration's.
    """
    n, p = X.shape
    j = k - 1
    Y = (codes[:, None] == np.arange(1, k)[None, :]).astype(float)
    beta = np.zeros(p * j) if start is None or start.shape != (p, j) else start.T.ravel()
    eye = np.eye(p * j)
    for _ in range(100):
        B = beta.reshape(j, p).T
        P = _softmax(X @ B)[:, 1:]
        grad = (X.T @ (Y - P)).T.ravel() - prior * beta
        H = np.empty((p * j, p * j))
        for r in range(j):
            for c in range(r, j):
                wgt = P[:, r] * ((r == c) - P[:, c])
                blk = X.T @ (X * wgt[:, None])
                H[r * p : (r + 1) * p, c * p : (c + 1) * p] = blk
                H[c * p : (c + 1) * p, r * p : (r + 1) * p] = blk
        H += prior * eye + 1e-10 * eye
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    cov = np.linalg.inv(H)
    return beta.reshape(j, p).T, (cov + cov.T) / 2


def _softmax(eta):
    """Category probabilities (n, k) from the linear predictors of levels 1..k-1 (n, k-1)."""
    full = np.column_stack([np.zeros(len(eta)), eta])
    return special.softmax(full, axis=1)


def _impute_categorical(X, codes, obs, k, rng, start=None):
    """Draws for the missing rows of a categorical covariate (integer codes) and the
    fitted coefficients (the next iteration's start)."""
    Xo = X[obs]
    B, cov = mlogit_fit(Xo, codes[obs], k, start=start)
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(cov)))
    draw = B.T.ravel() + chol @ rng.standard_normal(len(cov))
    P = _softmax(X[~obs] @ draw.reshape(k - 1, -1).T)
    u = rng.random(int((~obs).sum()))
    cum = np.cumsum(P, axis=1)
    return np.minimum((u[:, None] > cum).sum(axis=1), k - 1), B


def _impute_pmm(X, y, obs, rng, donors):
    """Predictive mean matching (type 1, ``donors`` nearest) for the missing rows."""
    coef, draw = _draw_linear(X[obs], y[obs], rng)
    yhat_obs = X[obs] @ coef
    yhat_mis = X[~obs] @ draw
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    n_obs = len(sorted_hat)
    d = min(donors, n_obs)
    pos = np.searchsorted(sorted_hat, yhat_mis)
    # candidate window of 2d sorted neighbours, the d nearest among them
    start = np.clip(pos - d, 0, max(n_obs - 2 * d, 0))
    win = start[:, None] + np.arange(min(2 * d, n_obs))[None, :]
    dist = np.abs(sorted_hat[win] - yhat_mis[:, None])
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :d]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, d, len(yhat_mis))]
    return y[obs][order[win[np.arange(len(yhat_mis)), pick]]]


# ------------------------------------------------------------------------------ chained equations


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _dummies(codes: np.ndarray, k: int) -> np.ndarray:
    return (codes[:, None] == np.arange(1, k)[None, :]).astype(float)


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


class _State:
    """Current values of the covariates being imputed (numeric floats / integer codes)."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        self.columns = columns
        self.cat = {c: _is_categorical(frame[c]) for c in columns}
        self.values: dict[str, np.ndarray] = {}
        self.levels: dict[str, np.ndarray] = {}
        self.missing: dict[str, np.ndarray] = {}
        for c in columns:
            s = frame[c]
            self.missing[c] = s.isna().to_numpy()
            if self.cat[c]:
                codes, levels = pd.factorize(s, sort=True)
                self.values[c], self.levels[c] = codes.astype(int), np.asarray(levels)
            else:
                self.values[c] = numeric(s, c).to_numpy().copy()

    def block(self, c: str) -> np.ndarray:
        """Predictor block of covariate ``c`` (standardised value or level indicators)."""
        v = self.values[c]
        return _dummies(v, len(self.levels[c])) if self.cat[c] else _standardise(v)[:, None]


def _fixed_block(frame: pd.DataFrame, y: np.ndarray, a: np.ndarray, extra: list[str]):
    """Predictors that are never imputed: constant, outcome, arm, outcome x arm, cluster
    and auxiliary columns (categoricals as indicators)."""
    ys = _standardise(y)
    cols = [np.ones(len(y)), ys, a, ys * a]
    blocks = [np.column_stack(cols)]
    for c in extra:
        s = frame[c]
        if _is_categorical(s):
            codes, levels = pd.factorize(s, sort=True)
            blocks.append(_dummies(codes, len(levels)))
        else:
            blocks.append(_standardise(numeric(s, c).to_numpy())[:, None])
    return np.column_stack(blocks)


def _independent(X: np.ndarray) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns (pivoted QR)."""
    small = np.linalg.qr(X, mode="r")  # same column dependencies as X, p x p
    _, R, piv = linalg.qr(small, pivoting=True)
    d = np.abs(np.diag(R))
    rank = int((d > 1e-9 * max(d[0], 1.0)).sum()) if len(d) else 0
    return np.sort(piv[:rank])


def _chain(frame, columns, fixed, n_iter, donors, rng) -> dict[str, np.ndarray]:
    """One chain of chained equations; the completed values per column."""
    st = _State(frame, columns)
    for c in columns:  # start: random draws from the observed values (as mice)
        mis = st.missing[c]
        if mis.any():
            st.values[c][mis] = rng.choice(st.values[c][~mis], int(mis.sum()))
    order = sorted(columns, key=lambda c: (st.missing[c].sum(), columns.index(c)))
    order = [c for c in order if st.missing[c].any()]
    coefs: dict[str, np.ndarray] = {}
    for _ in range(n_iter):
        for c in order:
            X = np.column_stack([fixed] + [st.block(o) for o in columns if o != c])
            obs = ~st.missing[c]
            X = X[:, _independent(X[obs])]
            if st.cat[c]:
                k = len(st.levels[c])
                new, coefs[c] = _impute_categorical(X, st.values[c], obs, k, rng, coefs.get(c))
            else:
                new = _impute_pmm(X, st.values[c], obs, rng, donors)
            st.values[c][~obs] = new
    out = {}
    for c in columns:
        out[c] = st.levels[c][st.values[c]] if st.cat[c] else st.values[c]
    return out


def impute(
    table: pd.DataFrame,
    columns: list[str],
    outcome: str,
    arm: str,
    *,
    m: int = 20,
    cluster: str | None = None,
    auxiliary: list[str] | None = None,
    n_iter: int = 5,
    donors: int = 5,
    seed: int | None = None,
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``table`` by chained equations (one chain each).

    Only ``columns`` are imputed, and only in rows whose outcome, arm, cluster and
    auxiliary columns are observed (other rows are returned unchanged: the analysis drops
    them for those reasons). Predictors of each conditional model: the outcome, the arm
    (as 0/1 for the second of its sorted values; any coding gives the same model), their
    product, the cluster (indicators), the auxiliary columns and the other covariates;
    linearly dependent predictors are dropped (pivoted QR). Imputation ``j`` uses the
    child seed ``SeedSequence(seed).spawn(m)[j]``, so the result is deterministic for a
    seed. Dtypes are kept (integer values stay integer: PMM imputes observed values).
    """
    usable, sub, fixed = _prepare(table, columns, outcome, arm, cluster, auxiliary)
    return list(_completed(table, columns, usable, sub, fixed, m, n_iter, donors, seed))


def _completed(table, columns, usable, sub, fixed, m, n_iter, donors, seed):
    """The completed tables one at a time (one copy in memory at national scale)."""
    children = np.random.SeedSequence(seed).spawn(m)
    for j in range(m):
        rng = np.random.default_rng(children[j])
        values = _chain(sub, columns, fixed, n_iter, donors, rng)
        done = table.copy()
        for c in columns:
            col = done[c].copy()
            filled = pd.Series(values[c], index=table.index[usable])
            if not pd.api.types.is_float_dtype(col):
                filled = filled.astype(col.dtype)
            col.loc[usable] = filled
            done[c] = col
        yield done


def _prepare(table, columns, outcome, arm, cluster, auxiliary):
    """Usable rows, their frame and the never-imputed predictor block."""
    extra = ([cluster] if cluster else []) + list(auxiliary or [])
    usable = ~table[[outcome, arm] + extra].isna().any(axis=1).to_numpy()
    sub = table.loc[usable].reset_index(drop=True)
    y = numeric(sub[outcome], outcome).to_numpy()
    arm_codes, _ = pd.factorize(sub[arm], sort=True)
    fixed = _fixed_block(sub, y, arm_codes.astype(float), extra)
    for c in columns:
        if sub[c].notna().sum() < 2 or (_is_categorical(sub[c]) and sub[c].nunique() < 2):
            raise data_error("mi_too_few_observed", column=c)
    return usable, sub, fixed


# ------------------------------------------------------------------------------ the comparison


def impute_and_compare(
    table: pd.DataFrame,
    outcome: str,
    arm: str = "arm",
    covariates: str | list[str] | None = None,
    *,
    method: Method = "aipw",
    m: int = 20,
    imputer: Imputer = "chained_equations",
    cluster: str | None = None,
    auxiliary: list[str] | None = None,
    n_iter: int = 5,
    donors: int = 5,
    seed: int | None = None,
    alpha: float = 0.05,
    lang: Lang = "nl",
    **compare_kwargs: Any,
) -> MIResult:
    """Compare two arms with missing covariates filled by multiple imputation.

    Parameters
    ----------
    table, outcome, arm, covariates, method, cluster, alpha, lang
        As :func:`~wattelt_eval.estimation.compare` (``covariates`` as column names or a
        formula right-hand side; the columns it mentions are the ones imputed).
    m : int
        Number of imputations (at least 2; default 20).
    imputer : {"chained_equations"}
        Imputation engine: chained equations with predictive mean matching for numeric
        and (multinomial) logistic regression for categorical and boolean covariates.
    auxiliary : list of str, optional
        Fully observed columns used as extra predictors in the imputation models only.
    n_iter : int
        Iterations of each chain (default 5, as R ``mice``'s ``maxit``).
    donors : int
        Donors of predictive mean matching (default 5).
    seed : int, optional
        Seed of the imputations; imputation ``j`` runs ``compare`` with ``seed + j``.
    **compare_kwargs
        Passed on to :func:`~wattelt_eval.estimation.compare` (``kind``, ``ci``,
        ``n_boot``, ``treated``, ``trials``, ``by``, ``trim``, ...).

    Returns
    -------
    MIResult
        A :class:`CompareResult` whose table holds the pooled estimates (Rubin's rules,
        the ratio on the log scale) with Barnard-Rubin df and the fraction of missing
        information ``fmi`` per term.
    """
    from .effects import compare

    check("imputer", imputer, Imputer)
    check("lang", lang, Lang)
    if not isinstance(m, (int, np.integer)) or m < 2:
        raise usage_error("mi_m", m=m)
    if n_iter < 1 or donors < 1:
        raise usage_error("mi_iterations")
    if not isinstance(table, pd.DataFrame):
        raise usage_error("not_a_frame")
    columns = covariate_columns(covariates, table)
    columns = [c for c in columns if c != arm]
    if not columns:
        raise usage_error("mi_no_covariates")
    fixed = [outcome, arm] + ([cluster] if cluster else []) + list(auxiliary or [])
    absent = [c for c in fixed + columns if c not in table.columns]
    if absent:
        raise data_error("columns_missing", columns=absent)
    if any(c in columns for c in fixed):
        raise usage_error("mi_imputed_fixed", columns=[c for c in fixed if c in columns])
    if any(table[c].isna().any() for c in auxiliary or []):
        raise data_error("mi_auxiliary_missing", columns=list(auxiliary or []))
    usable = ~table[fixed].isna().any(axis=1)
    incomplete = usable & table[columns].isna().any(axis=1)
    missing_per_column = {c: int((usable & table[c].isna()).sum()) for c in columns}
    kwargs = dict(compare_kwargs, method=method, cluster=cluster, alpha=alpha, lang=lang)
    if not incomplete.any():
        res = compare(table, outcome, arm, covariates, seed=seed, **kwargs)
        return _as_mi(res, 0, imputer, 0, missing_per_column, [res], res.table)
    usable_, sub, fixed_block = _prepare(table, columns, outcome, arm, cluster, auxiliary)
    tables = _completed(table, columns, usable_, sub, fixed_block, int(m), n_iter, donors, seed)
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for j, done in enumerate(tables):
            inner_seed = None if seed is None else int(seed) + j
            results.append(compare(done, outcome, arm, covariates, seed=inner_seed, **kwargs))
    _rewarn(caught, m)
    pooled = _pool_tables([r.table for r in results], int(m), imputer, alpha)
    n_inc = int(incomplete.sum())
    return _as_mi(results[0], int(m), imputer, n_inc, missing_per_column, results, pooled)


def _rewarn(caught, m: int) -> None:
    """Repeat each distinct warning of the m analyses once, with how often it occurred."""
    counts: dict[tuple[type, str], int] = {}
    for w in caught:
        key = (w.category, str(w.message))
        counts[key] = counts.get(key, 0) + 1
    for (cat, msg), n in counts.items():
        warnings.warn(f"{msg} [{n}/{m}]", cat, stacklevel=3)


def _label(m: int, imputer: str, inner: str) -> str:
    return f"multiple imputation (m={m}, {IMPUTERS[imputer]}) + {inner}"


def _pool_tables(tables: list[pd.DataFrame], m: int, imputer: str, alpha: float) -> pd.DataFrame:
    """Pool the tidy tables of the m analyses term by term (ratios on the log scale)."""
    base = tables[0].copy()
    keys = list(zip(base["group"], base["term"], strict=True))
    indexed = [t.set_index(["group", "term"]) for t in tables]
    rows = []
    for key in keys:
        present = [t.loc[key] for t in indexed if key in t.index]
        est = np.array([float(r["estimate"]) for r in present])
        se = np.array([float(r["se"]) for r in present])
        dfs = np.array([float(r["df"]) for r in present])
        is_ratio = key[1].endswith("ratio")
        out = dict(base.set_index(["group", "term"]).loc[key])
        out.update(group=key[0], term=key[1])
        inner = str(present[0]["ci_method"])
        out["ci_method"] = _label(m, imputer, inner)
        if len(present) < m or not np.all(np.isfinite(se)) or (is_ratio and np.any(est <= 0)):
            out.update(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan)
            out.update(p_value=np.nan, df=np.nan, fmi=np.nan, **{"lambda": np.nan})
            rows.append(out)
            continue
        q = np.log(est) if is_ratio else est
        df_com = float(np.mean(dfs)) if np.all(np.isfinite(dfs)) else np.inf
        pr = pool_rubin(q, se**2, df_com, alpha)
        lo, hi, e = pr["ci_low"], pr["ci_high"], pr["estimate"]
        if is_ratio:
            e, lo, hi = np.exp(e), np.exp(lo), np.exp(hi)
        p = np.nan if key[1].startswith("mean") else pr["p_value"]
        out.update(estimate=e, se=pr["se"], ci_low=lo, ci_high=hi, p_value=p, df=pr["df"])
        out.update(fmi=pr["fmi"], **{"lambda": pr["lambda"]})
        rows.append(out)
    cols = list(base.columns) + ["fmi", "lambda"]
    return pd.DataFrame(rows)[cols].reset_index(drop=True)


def _as_mi(res, m, imputer, n_incomplete, missing_per_column, results, table) -> MIResult:
    """The :class:`MIResult` with the pooled ``table`` and the first analysis' metadata."""
    diag = dict(res.diagnostics)
    diag.update(
        imputer=imputer,
        m=m,
        n_incomplete=n_incomplete,
        missing_per_column=missing_per_column,
        inner_ci_method=diag.get("ci_method"),
    )
    if m:
        diag["ci_method"] = _label(m, imputer, str(diag.get("ci_method")))
        diag.pop("models", None)
        diag["models"] = results[0].diagnostics.get("models", [])
    return MIResult(
        outcome=res.outcome,
        kind=res.kind,
        method=res.method,
        design=res.design,
        arm=res.arm,
        treated=res.treated,
        control=res.control,
        table=table,
        diagnostics=diag,
        lang=res.lang,
        alpha=res.alpha,
        fit=None,
        m=m,
        imputer=imputer,
        n_incomplete=n_incomplete,
        results=results,
    )


@dataclass(repr=False)
class MIResult(CompareResult):
    """Result of :func:`impute_and_compare`: a :class:`CompareResult` pooled over imputations.

    Attributes
    ----------
    table : DataFrame
        As :class:`CompareResult` plus ``fmi`` (fraction of missing information, Rubin
        1987) and ``lambda`` (share of the total variance due to the missing values)
        per term; ``df`` is the Barnard-Rubin df,
        ``ci_method`` ``"multiple imputation (m=.., chained_equations) + <inner>"``.
    m : int
        Number of imputations (0 when no analysed row had a missing covariate: the table
        is then the complete-data analysis).
    imputer : str
        Imputation engine.
    n_incomplete : int
        Analysed rows with at least one missing covariate.
    results : list of CompareResult
        The analyses of the completed tables (not part of the tidy table).
    """

    TITLE: ClassVar[dict[str, str]] = title("compare")

    m: int = 0
    imputer: str = "chained_equations"
    n_incomplete: int = 0
    results: list[Any] = field(default_factory=list, compare=False)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        head = super()._header(lang)
        inner = self.diagnostics.get("inner_ci_method")
        if self.m:
            mi = txt("mi.inference", lang, m=self.m, inner=ci_text(str(inner), lang))
        else:
            mi = txt("mi.nothing_missing", lang)
        head = [(k, mi if k == txt("label.inference", lang) else v) for k, v in head]
        head.append(
            (
                txt("mi.label_incomplete", lang),
                txt("mi.incomplete", lang, n=self.n_incomplete),
            )
        )
        return head

    def _notes(self, lang: str) -> list[str]:
        notes = super()._notes(lang)
        if self.m:
            r = self._row("difference")
            if r is not None and np.isfinite(r["fmi"]):
                from ..i18n import format as fmt

                notes.append(txt("mi.fmi_note", lang, fmi=fmt.percent(r["fmi"], 0, lang)))
        return notes

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(m=self.m, imputer=self.imputer, n_incomplete=self.n_incomplete)
        return out
