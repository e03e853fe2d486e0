"""``we.its``: interrupted time series on a monthly series (segmented regression).

The default inference is Prais-Winsten FGLS with a restricted parametric AR(1) bootstrap
and test-inversion intervals (:mod:`.segmented`); OLS with Newey-West errors stays
available as ``method="newey_west"`` but over-rejects at pilot lengths (see
``benchmarks/sim_its.py`` and docs/methods.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from . import segmented as sg
from ._shared import arm_indicator, data_error, require_columns, txt, usage_error
from .literals import Lang, check
from .results import TableView, estimate_view, title

#: ``method=`` of :func:`its`
ITSMethod = Literal["ar1_bootstrap", "newey_west"]

#: the three reported terms
TERMS = ("level_change", "slope_change", "effect_at_end")


def newey_west_lags(n: int) -> int:
    """Default truncation lag ``floor(4 (n/100)^(2/9))`` (Newey & West 1994)."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def hac_cov(X: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett kernel) covariance of OLS coefficients, with the small-sample
    factor n/(n-k)."""
    n, k = X.shape
    xu = X * resid[:, None]
    S = xu.T @ xu
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        G = xu[lag:].T @ xu[:-lag]
        S += w * (G + G.T)
    bread = np.linalg.inv(X.T @ X)
    return n / (n - k) * bread @ S @ bread


@dataclass(repr=False)
class ITSResult(TableView):
    """Segmented-regression result. ``table`` has the level change, slope change and the
    effect at the last period (level + slope x periods since the interruption) with their
    intervals and p-values; ``ci_method`` names the inference (``ar1_bootstrap`` or
    ``newey_west_<lags>``). For a controlled ITS the terms are those of the difference
    pilot minus comparison series. ``lags`` is the Newey-West lag (None for the
    bootstrap)."""

    TITLE: ClassVar[dict[str, str]] = title("its")

    outcome: str
    table: pd.DataFrame
    fitted: pd.DataFrame  # time, observed, fitted, counterfactual
    lags: int | None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"
    method: str = ""
    design: str = ""

    def _row(self, term: str) -> pd.Series:
        return self.table.set_index("term").loc[term]

    @property
    def level_change(self) -> float:
        return float(self._row("level_change").estimate)

    @property
    def slope_change(self) -> float:
        return float(self._row("slope_change").estimate)

    def _subject(self, lang: str) -> str:
        return self.outcome

    def _view(self, lang: str) -> pd.DataFrame:
        return estimate_view(self.table, lang)


def _series(series, interruption, time, outcome, freq):
    """(times, values, name, rows per period or None, interruption) of the input series."""
    counts = None
    if isinstance(series, pd.Series):
        s = series.sort_index()
        times, y, name = s.index.to_numpy(), s.to_numpy(dtype=float), str(series.name or "y")
    else:
        if time is None or outcome is None:
            raise usage_error("its_columns")
        require_columns(series, [time, outcome])
        counts = None
        if freq is not None:
            per = pd.to_datetime(series[time]).dt.to_period(freq)
            yy = pd.to_numeric(series[outcome], errors="coerce").astype(float)
            agg = pd.DataFrame({"t": per, "y": yy}).dropna().groupby("t")["y"].agg(["mean", "size"])
            full = pd.period_range(agg.index.min(), agg.index.max(), freq=freq)
            gaps = full.difference(agg.index)
            if len(gaps):
                raise data_error("its_gaps", periods=[str(x) for x in gaps[:5]])
            agg.index = agg.index.to_timestamp()
            d = agg.reset_index()
            times, y, counts = d["t"].to_numpy(), d["mean"].to_numpy(float), d["size"].to_numpy()
            interruption = pd.Timestamp(interruption).to_datetime64()
        else:
            d = series.sort_values(time)
            times, y = d[time].to_numpy(), d[outcome].to_numpy(dtype=float)
        name = outcome
    return times, y, name, counts, interruption


def _effect_rows(beta, cov, k_end, dfree, alpha) -> list[dict[str, Any]]:
    """Level change, slope change and effect at the end with t intervals."""
    q = stats.t.ppf(1 - alpha / 2, dfree)
    rows = []
    for term, c in (
        ("level_change", [0, 0, 1, 0]),
        ("slope_change", [0, 0, 0, 1]),
        ("effect_at_end", [0, 0, 1, k_end]),
    ):
        c = np.array(c, dtype=float)
        est, se = float(c @ beta), float(np.sqrt(c @ cov @ c))
        rows.append(
            {
                "term": term,
                "estimate": est,
                "se": se,
                "ci_low": est - q * se,
                "ci_high": est + q * se,
                "p_value": float(2 * stats.t.sf(abs(est / se), dfree)),
                "df": dfree,
            }
        )
    return rows


def its(
    series: pd.DataFrame | pd.Series,
    interruption: Any,
    *,
    time: str | None = None,
    outcome: str | None = None,
    freq: str | None = None,
    comparison: pd.DataFrame | pd.Series | str | None = None,
    treated: Any = None,
    method: ITSMethod = "ar1_bootstrap",
    lags: int | None = None,
    n_boot: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> ITSResult:
    """Interrupted time series by segmented regression.

    ``y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t`` with ``t`` the period number
    (0, 1, ...), ``post_t = 1`` from the interruption ``t0`` on. Reported: the level change
    ``b2``, the slope change ``b3`` and the effect at the last period
    ``b2 + b3 (n - 1 - t0)``, each with its interval and p-value.

    Parameters
    ----------
    series : Series (indexed by period) or DataFrame with ``time`` and ``outcome`` columns
        A regular series, e.g. monthly counts of applications or mean cost per month. Rows
        are sorted by time; missing values are not allowed (aggregate first).
    interruption : value of the time index/column at which the new way of working starts.
    freq : str, optional
        Aggregate a per-trajectory table first: ``time`` (a date column, e.g.
        ``start_date``) is floored to periods of this pandas period frequency (``"M"`` for
        calendar months) and ``outcome`` averaged per period; periods without rows are an
        error (the series must be regular). ``fitted`` then also has ``n`` per period.
    comparison : Series, DataFrame or str, optional
        A comparison series for a *controlled* ITS: a second series in the same form as
        ``series`` (same periods), or the name of a group column of the DataFrame
        ``series`` with two values, ``treated=`` naming the pilot's (each group then
        gives one series). The model is fitted to the difference pilot minus comparison
        per period, so shocks common to both series cancel; it assumes the *difference*
        would have kept its pre-interruption trend.
    treated : optional
        The pilot value of the ``comparison`` group column.
    method : {"ar1_bootstrap", "newey_west"}
        ``"ar1_bootstrap"`` (default): Prais-Winsten FGLS (AR(1) errors) with a restricted
        parametric bootstrap test (``rho`` bias-corrected) and test-inversion intervals;
        false-positive rate near 5% at 24-48 monthly points. ``"newey_west"``: OLS with
        Newey-West (HAC) errors and t(n - 4), the earlier default, which over-rejects at
        these lengths (15-26% at 24 months, see docs/methods.md).
    lags : int, optional
        Newey-West truncation lag (default ``floor(4 (n/100)^(2/9))``); only with
        ``method="newey_west"``.
    n_boot, seed : int
        Bootstrap draws and seed (``"ar1_bootstrap"``); same seed, same result.

    References
    ----------
    Bernal JL, Cummins S, Gasparrini A (2017). Interrupted time series regression for the
    evaluation of public health interventions: a tutorial. Int J Epidemiol 46(1).
    Prais SJ, Winsten CB (1954). Trend estimators and serial correlation. Cowles
    Commission Discussion Paper 383.
    Newey WK, West KD (1987). Econometrica 55(3).
    """
    check("lang", lang, Lang)
    check("method", method, ITSMethod)
    if lags is not None and method != "newey_west":
        raise usage_error("its_lags_method")
    times, y, name, counts, interruption, comp = _input_series(
        series, interruption, time, outcome, freq, comparison, treated
    )
    if np.isnan(y).any() or (comp is not None and np.isnan(comp).any()):
        raise data_error("its_missing")
    observed = y
    if comp is not None:
        y = y - comp
    n = len(y)
    t = np.arange(n, dtype=float)
    if np.issubdtype(np.asarray(times).dtype, np.datetime64):
        times = np.asarray(times, dtype="datetime64[ns]")
        interruption = pd.Timestamp(interruption).to_datetime64()
    post = (times >= interruption).astype(float)
    if post.sum() < 2 or (1 - post).sum() < 2:
        raise data_error("its_short")
    t0 = float(np.argmax(post))
    k_end = t[-1] - t0
    X = np.column_stack([np.ones(n), t, post, (t - t0) * post])
    diagnostics: dict[str, Any] = {"n": n}
    if method == "newey_west":
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        L = newey_west_lags(n) if lags is None else int(lags)
        rows = _effect_rows(beta, hac_cov(X, resid, L), k_end, n - 4, alpha)
        ci_method = f"newey_west_{L}"
        method_txt = txt("its.method", lang, lags=L)
    else:
        L = None
        beta, resid, rows, rho = _bootstrap_rows(X, y, k_end, alpha, n_boot, seed)
        ci_method = "ar1_bootstrap"
        method_txt = txt("its_ar1.method", lang, n_boot=n_boot, df=n - 5)
        diagnostics.update(rho=rho, n_boot=n_boot, seed=seed)
    fitted = pd.DataFrame(
        {
            "time": times,
            "observed": observed,
            "fitted": X @ beta,
            "counterfactual": X[:, :2] @ beta[:2],
        }
    )
    if comp is not None:
        fitted.insert(2, "comparison", comp)
        fitted.insert(3, "difference", y)
    if counts is not None:
        fitted["n"] = counts
    # lag-1 autocorrelation of the OLS residuals as a diagnostic
    ols_resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    r1 = float(np.corrcoef(ols_resid[1:], ols_resid[:-1])[0, 1]) if n > 3 else np.nan
    diagnostics.update(coefficients=beta.tolist(), resid_autocorr_lag1=r1)
    tab = pd.DataFrame(rows)
    tab.insert(0, "outcome", name)
    tab["ci_method"] = ci_method
    start = times[int(t0)]
    if isinstance(start, np.datetime64):
        start = pd.Timestamp(start).date()
    counts_txt = {"n": n, "before": int((1 - post).sum()), "after": int(post.sum())}
    design = (
        txt("its.design", lang, start=start, **counts_txt)
        if comp is None
        else txt("its_ar1.design_controlled", lang, start=start, **counts_txt)
    )
    return ITSResult(name, tab, fitted, L, diagnostics, lang, method_txt, design)


def _bootstrap_rows(X, y, k_end, alpha, n_boot, seed):
    """Prais-Winsten estimates with bootstrap p-values and test-inversion intervals.

    The effect at the end is tested as the ``post`` coefficient of the reparametrised
    design ``[1, t, post, (t - t0 - k_end) post]`` (same fit, same model).
    """
    Xe = X.copy()
    Xe[:, 3] = X[:, 3] - k_end * X[:, 2]
    fit = sg.prais_winsten(X, y)
    df = len(y) - X.shape[1] - 1
    rows = []
    for term, design, j in (
        ("level_change", X, 2),
        ("slope_change", X, 3),
        ("effect_at_end", Xe, 2),
    ):
        f = fit if design is X else sg.prais_winsten(design, y)
        test = sg.bootstrap_test(
            design, y, j, n_boot=n_boot, rng=np.random.default_rng(seed), fit=f, bias_correct=True
        )
        lo, hi = sg.bootstrap_interval(
            design, y, j, alpha=alpha, n_boot=n_boot, seed=seed, tol=1e-2, bias_correct=True
        )
        rows.append(
            {
                "term": term,
                "estimate": test.estimate,
                "se": test.se,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": test.p_value,
                "df": df,
            }
        )
    beta = fit.beta[0]
    return beta, y - X @ beta, rows, float(fit.rho[0])


def _input_series(series, interruption, time, outcome, freq, comparison, treated):
    """The pilot series and, for a controlled ITS, the comparison values per period."""
    if comparison is None:
        return (*_series(series, interruption, time, outcome, freq), None)
    if isinstance(comparison, str):
        if not isinstance(series, pd.DataFrame):
            raise usage_error("its_comparison_column")
        require_columns(series, [comparison])
        g, _, _ = arm_indicator(series[comparison], comparison, treated)
        pilot, other = series.loc[g == 1], series.loc[g == 0]
    else:
        pilot, other = series, comparison
    times, y, name, counts, start = _series(pilot, interruption, time, outcome, freq)
    c_times, c, *_ = _series(other, interruption, time, outcome, freq)
    if len(c_times) != len(times) or not np.array_equal(
        np.asarray(pd.Index(c_times)), np.asarray(pd.Index(times))
    ):
        raise data_error("its_comparison_periods")
    return times, y, name, counts, start, np.asarray(c, dtype=float)
