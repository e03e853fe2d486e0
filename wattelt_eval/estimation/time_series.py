"""``we.its``: interrupted time series on a monthly series (segmented regression)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from ._shared import data_error, require_columns, txt, usage_error
from .literals import Lang, check
from .results import TableView, estimate_view, title


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
    effect at the last period (level + slope x periods since the interruption), with
    Newey-West CIs (t with n - 4 df)."""

    TITLE: ClassVar[dict[str, str]] = title("its")

    outcome: str
    table: pd.DataFrame
    fitted: pd.DataFrame  # time, observed, fitted, counterfactual
    lags: int
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
    lags: int | None = None,
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> ITSResult:
    """Interrupted time series by segmented regression with Newey-West errors.

    ``y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t`` with ``t`` the period number
    (0, 1, ...), ``post_t = 1`` from the interruption ``t0`` on.

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
    lags : int, optional
        Newey-West truncation lag (default ``floor(4 (n/100)^(2/9))``).

    References
    ----------
    Bernal JL, Cummins S, Gasparrini A (2017). Interrupted time series regression for the
    evaluation of public health interventions: a tutorial. Int J Epidemiol 46(1).
    Newey WK, West KD (1987). Econometrica 55(3).
    """
    check("lang", lang, Lang)
    times, y, name, counts, interruption = _series(series, interruption, time, outcome, freq)
    if np.isnan(y).any():
        raise data_error("its_missing")
    n = len(y)
    t = np.arange(n, dtype=float)
    if np.issubdtype(np.asarray(times).dtype, np.datetime64):
        times = np.asarray(times, dtype="datetime64[ns]")
        interruption = pd.Timestamp(interruption).to_datetime64()
    post = (times >= interruption).astype(float)
    if post.sum() < 2 or (1 - post).sum() < 2:
        raise data_error("its_short")
    t0 = float(np.argmax(post))
    X = np.column_stack([np.ones(n), t, post, (t - t0) * post])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    L = newey_west_lags(n) if lags is None else int(lags)
    cov = hac_cov(X, resid, L)
    dfree = n - 4
    rows = _effect_rows(beta, cov, t[-1] - t0, dfree, alpha)
    fitted = pd.DataFrame(
        {"time": times, "observed": y, "fitted": X @ beta, "counterfactual": X[:, :2] @ beta[:2]}
    )
    if counts is not None:
        fitted["n"] = counts
    # lag-1 autocorrelation of residuals as a diagnostic
    r1 = float(np.corrcoef(resid[1:], resid[:-1])[0, 1]) if n > 3 else np.nan
    tab = pd.DataFrame(rows)
    tab.insert(0, "outcome", name)
    tab["ci_method"] = f"newey_west_{L}"
    start = times[int(t0)]
    if isinstance(start, np.datetime64):
        start = pd.Timestamp(start).date()
    design = txt(
        "its.design",
        lang,
        n=n,
        before=int((1 - post).sum()),
        after=int(post.sum()),
        start=start,
    )
    method = txt("its.method", lang, lags=L)
    return ITSResult(
        name,
        tab,
        fitted,
        L,
        {"coefficients": beta.tolist(), "resid_autocorr_lag1": r1, "n": n},
        lang,
        method,
        design,
    )
