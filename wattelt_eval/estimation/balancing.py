"""``we.balance``: the baseline table by arm, with standardised mean differences,
unweighted and weighted, and the love plot.

Conventions (as in R's cobalt for the ATE): the SMD of a numeric covariate is the
difference in (weighted) means divided by the pooled *unweighted* standard deviation
``sqrt((s1^2 + s0^2) / 2)``, so weighting changes the numerator only; a binary covariate
or categorical level uses ``sqrt((p1(1-p1) + p0(1-p0)) / 2)``. A categorical covariate
also gets one overall SMD, the Mahalanobis form of Yang & Dalton (2012), computed with
the levels that occur in at least one arm, so a level present in one arm only (a known
failure of tableone) is handled: its per-level SMD is finite unless the level covers one
arm entirely while absent in the other, in which case it is ``inf`` and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..disclosure import attach_notes, dropped_note
from ..i18n import format as fmt
from ._shared import arm_indicator, require_columns, txt, usage_error
from .literals import Lang, check
from .results import TableView, title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..data import StudySettings
    from ..disclosure import DisclosureRule


def _wstats(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    m = float(np.average(x, weights=w))
    v = float(np.average((x - m) ** 2, weights=w))
    # unbiased-type correction with the effective sample size
    ess = w.sum() ** 2 / (w**2).sum()
    v = v * ess / (ess - 1) if ess > 1 else np.nan
    return m, np.sqrt(v)


def _wquantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    o = np.argsort(x)
    cw = np.cumsum(w[o])
    cw = cw / cw[-1]
    return [float(x[o][np.searchsorted(cw, q)]) for q in qs]


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


@dataclass(repr=False)
class BalanceResult(TableView):
    """Baseline table by arm.

    ``table`` (tidy) has one row per numeric covariate, per categorical level and per
    categorical variable (``level == ""``, with the overall Yang-Dalton SMD), with per-arm
    ``n``, ``n_missing``, ``mean``, ``sd``, ``median``, ``q1``, ``q3``, ``pct`` (share of the
    level, of non-missing values), weighted versions ``*_w`` and ``smd``, ``smd_weighted``.
    """

    TITLE: ClassVar[dict[str, str]] = title("balance")

    table: pd.DataFrame
    treated: Any
    control: Any
    weighted: bool
    ess: dict[str, float]
    lang: str = "nl"
    nonnormal: tuple[str, ...] = ()

    def _cell(self, r: pd.Series, arm: str, lang: str) -> str:
        """One arm's cell: mean (SD), median [IQR], n= or count (%)."""

        def num(x: Any) -> str:
            return fmt.number(x, 1, lang)

        if r.type == "numeric":
            if r.variable in self.nonnormal:
                return f"{num(r[f'median_{arm}'])} [{num(r[f'q1_{arm}'])}, {num(r[f'q3_{arm}'])}]"
            return f"{num(r[f'mean_{arm}'])} ({num(r[f'sd_{arm}'])})"
        if r.level == "":
            return f"n={int(r[f'n_{arm}'])}"
        return f"{fmt.number(r[f'count_{arm}'], 0, lang)} ({fmt.percent(r[f'pct_{arm}'], 1, lang)})"

    def view(self, lang: str | None = None) -> pd.DataFrame:
        """The formatted baseline table (mean (SD), median [IQR] or %)."""
        lang = self._lang(lang)
        rows = []
        for _, r in self.table.iterrows():
            row = {txt("balance.variable", lang): r.variable, txt("balance.level", lang): r.level}
            for arm, lab in (("t", self.treated), ("c", self.control)):
                row[str(lab)] = self._cell(r, arm, lang)
            row[txt("balance.missing", lang)] = (
                f"{int(r.n_missing_t)}/{int(r.n_missing_c)}"
                if r.level == "" or r.type == "numeric"
                else ""
            )
            row[txt("balance.smd", lang)] = fmt.number(r.smd, 3, lang)
            if self.weighted:
                row[txt("balance.smd_weighted", lang)] = fmt.number(r.smd_weighted, 3, lang)
            rows.append(row)
        return pd.DataFrame(rows)

    def _subject(self, lang: str) -> str:
        return txt("balance.subject", lang, treated=self.treated, control=self.control)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        return []

    def _view(self, lang: str) -> pd.DataFrame:
        return self.view(lang)

    def _notes(self, lang: str) -> list[str]:
        if not self.weighted:
            return []
        ess = ", ".join(f"{k} {fmt.number(v, 1, lang)}" for k, v in self.ess.items())
        return [txt("balance.ess", lang, ess=ess)]

    def plot(
        self,
        threshold: float = 0.1,
        lang: Lang | None = None,
        *,
        min_count: int | None = None,
        rule: Any = None,
    ) -> Figure:
        """Love plot (:func:`love_plot`), with the small-number filter."""
        return love_plot(self, threshold, lang=lang, min_count=min_count, rule=rule)


def _smd_num(m1, m0, s1, s0) -> float:
    den = np.sqrt((s1**2 + s0**2) / 2)
    if den == 0:
        return 0.0 if m1 == m0 else np.inf
    return float((m1 - m0) / den)


def _smd_prop(p1w, p0w, p1, p0) -> float:
    den = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    if den == 0:
        return 0.0 if p1w == p0w else float(np.sign(p1w - p0w) * np.inf)
    return float((p1w - p0w) / den)


def _smd_cat(P1w: np.ndarray, P0w: np.ndarray, P1: np.ndarray, P0: np.ndarray) -> float:
    """Yang & Dalton (2012) multivariate SMD over levels 2..k (pooled unweighted S)."""
    keep = (P1 + P0) > 0
    P1w, P0w, P1, P0 = P1w[keep][1:], P0w[keep][1:], P1[keep][1:], P0[keep][1:]
    if len(P1) == 0:
        return 0.0
    off = -(np.outer(P1, P1) + np.outer(P0, P0)) / 2
    np.fill_diagonal(off, (P1 * (1 - P1) + P0 * (1 - P0)) / 2)
    S = off
    d = P1w - P0w
    val = float(d @ np.linalg.pinv(S) @ d)
    return float(np.sqrt(max(val, 0.0)))


def balance(
    table: pd.DataFrame,
    arm: str = "arm",
    covariates: list[str] | str | None = None,
    weights: np.ndarray | pd.Series | str | None = None,
    *,
    treated: Any = None,
    nonnormal: list[str] | tuple[str, ...] = (),
    lang: Lang = "nl",
) -> BalanceResult:
    """Baseline table by arm with standardised mean differences.

    Parameters
    ----------
    table : DataFrame
        One row per trajectory.
    arm : str
        Two-valued column; ``"arm"`` has treated level ``demand_driven``.
    covariates : list of str, or ``"a + b + c"``
        Columns to describe. Numeric columns get mean (SD) and median [IQR]; other
        columns (strings, categories, booleans) a count and % per level.
    weights : array, Series or column name, optional
        Balancing weights (e.g. stabilised IP weights); adds weighted means, proportions
        and SMDs. Rows with missing weights are not allowed.
    treated : optional
        Treated value of ``arm`` when it cannot be inferred.
    nonnormal : list of str
        Numeric covariates shown as median [IQR] in the formatted view.
    lang : {"nl", "en"}

    Returns
    -------
    BalanceResult
        ``.table`` tidy, ``.view()`` formatted, ``.plot()`` love plot.

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. Stat Med 28.
    Yang D, Dalton JE (2012). A unified approach to measuring the effect size between two
    groups using SAS. SAS Global Forum, paper 335.
    """
    check("lang", lang, Lang)
    if covariates is None:
        raise usage_error("give_covariates")
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split("+") if c.strip()]
    require_columns(table, [arm, *covariates])
    a_all, t_lab, c_lab = arm_indicator(table[arm], arm, treated)
    ok_arm = ~np.isnan(a_all)
    df = table.loc[ok_arm].reset_index(drop=True)
    a = a_all[ok_arm]
    if weights is None:
        w = np.ones(len(df))
    else:
        w = np.asarray(table[weights] if isinstance(weights, str) else weights, dtype=float)
        if w.shape != (len(table),):
            raise usage_error("weights_length")
        w = w[ok_arm]
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise usage_error("weights_values")
    arms = {"t": a == 1, "c": a == 0}
    ess = {
        str(lab): float(w[m].sum() ** 2 / (w[m] ** 2).sum())
        for lab, m in ((t_lab, arms["t"]), (c_lab, arms["c"]))
    }
    rows: list[dict[str, Any]] = []
    for var in covariates:
        s = df[var]
        base: dict[str, Any] = {"variable": var}
        for k, m in arms.items():
            base[f"n_{k}"] = int((m & s.notna().to_numpy()).sum())
            base[f"n_missing_{k}"] = int((m & s.isna().to_numpy()).sum())
        if not _is_categorical(s):
            x = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            r = dict(base, level="", type="numeric")
            for k, m in arms.items():
                mm = m & ~np.isnan(x)
                xv, wv = x[mm], w[mm]
                r[f"mean_{k}"], r[f"sd_{k}"] = _wstats(xv, np.ones_like(xv))
                r[f"mean_w_{k}"], r[f"sd_w_{k}"] = _wstats(xv, wv)
                r[f"median_{k}"], r[f"q1_{k}"], r[f"q3_{k}"] = np.quantile(xv, [0.5, 0.25, 0.75])
                r[f"median_w_{k}"], r[f"q1_w_{k}"], r[f"q3_w_{k}"] = _wquantiles(
                    xv, wv, [0.5, 0.25, 0.75]
                )
            r["smd"] = _smd_num(r["mean_t"], r["mean_c"], r["sd_t"], r["sd_c"])
            r["smd_weighted"] = _smd_num(r["mean_w_t"], r["mean_w_c"], r["sd_t"], r["sd_c"])
            rows.append(r)
            continue
        vals = s.astype("string")
        levels = sorted(pd.unique(vals.dropna()))
        P = {}
        for k, m in arms.items():
            mm = m & vals.notna().to_numpy()
            v_arm = vals[mm].to_numpy()
            wv = w[mm]
            P[k] = np.array([(v_arm == lev).mean() if len(v_arm) else np.nan for lev in levels])
            P[f"w_{k}"] = np.array(
                [wv[v_arm == lev].sum() / wv.sum() if len(v_arm) else np.nan for lev in levels]
            )
            P[f"count_{k}"] = np.array([(v_arm == lev).sum() for lev in levels])
        header = dict(base, level="", type="categorical")
        header["smd"] = _smd_cat(P["t"], P["c"], P["t"], P["c"])
        header["smd_weighted"] = _smd_cat(P["w_t"], P["w_c"], P["t"], P["c"])
        rows.append(header)
        for i, lev in enumerate(levels):
            r = dict(base, level=str(lev), type="categorical")
            for k in arms:
                r[f"count_{k}"] = int(P[f"count_{k}"][i])
                r[f"pct_{k}"] = float(P[k][i])
                r[f"pct_w_{k}"] = float(P[f"w_{k}"][i])
            r["smd"] = _smd_prop(P["t"][i], P["c"][i], P["t"][i], P["c"][i])
            r["smd_weighted"] = _smd_prop(P["w_t"][i], P["w_c"][i], P["t"][i], P["c"][i])
            r["only_in_one_arm"] = bool((P["count_t"][i] == 0) != (P["count_c"][i] == 0))
            rows.append(r)
    tab = pd.DataFrame(rows)
    if "only_in_one_arm" not in tab:
        tab["only_in_one_arm"] = False
    tab["only_in_one_arm"] = tab["only_in_one_arm"].fillna(False).astype(bool)
    return BalanceResult(tab, t_lab, c_lab, weights is not None, ess, lang, tuple(nonnormal))


def _small_covariates(tab: pd.DataFrame, min_count: int | None, rule: Any) -> tuple[pd.Series, int]:
    """Rows of covariates with fewer than the threshold non-missing values in an arm."""
    from ..disclosure import resolve_rule

    if min_count is not None and (isinstance(min_count, bool) or int(min_count) < 1):
        raise usage_error("invalid_option", name="min_count", value=repr(min_count), choices=">= 1")
    thr = int(min_count) if min_count is not None else int(resolve_rule(rule).min_n)
    small = (tab["n_t"] < thr) | (tab["n_c"] < thr)
    return small, thr


def love_plot(
    balance: BalanceResult,
    threshold: float = 0.1,
    *,
    lang: Lang | None = None,
    min_count: int | None = None,
    rule: str | DisclosureRule | StudySettings | None = None,
) -> Figure:
    """Love plot of covariate balance: |SMD| per covariate (and categorical level),
    unweighted and, when the balance is weighted, weighted.

    Disclosure: a covariate whose non-missing values in either arm number fewer than
    ``min_count`` residents (default the smallest group a published statistic may rest on
    under ``rule``: 10 for the default ``min10`` rule) is not drawn, nor are its levels;
    the figure says so in a note (``fig.wattelt_notes``).

    Parameters
    ----------
    balance : BalanceResult
        From ``we.balance(table, arm=..., covariates=..., weights=...)``.
    threshold : float
        Dashed reference line (0.1, Austin 2009).
    lang : {"nl", "en"}, optional
        Language of the labels; default the language of ``balance``.
    min_count : int, optional
        Smallest number of residents per arm behind a drawn covariate.
    rule : {"min10", "cbs"}, DisclosureRule or StudySettings, optional
        Disclosure rule giving the default ``min_count`` (see
        :func:`wattelt_eval.disclosure.resolve_rule`).

    Returns
    -------
    matplotlib.figure.Figure
        Axis 0 holds the unweighted |SMD| points (first collection) and, when weighted,
        the weighted ones (second collection).
    """
    lang = _lang_of(balance, lang)
    tab = balance.table
    notes: list[str] = []
    if {"n_t", "n_c"} <= set(tab.columns):
        small, thr = _small_covariates(tab, min_count, rule)
        if small.any():
            dropped = list(dict.fromkeys(tab.loc[small, "variable"].astype(str)))
            notes = dropped_note(dropped, thr, lang)
            balance = replace(balance, table=tab[~small].reset_index(drop=True))
    return attach_notes(_draw_love_plot(balance, threshold, lang), notes)


def _lang_of(result: Any, lang: str | None) -> str:
    """``lang``, or the language of ``result``, checked."""
    check("lang", lang or result.lang, Lang)
    return lang or result.lang


def _draw_love_plot(bal: BalanceResult, threshold: float, lang: str) -> Figure:
    """The figure itself (no disclosure filtering here: see :func:`love_plot`)."""
    import matplotlib.pyplot as plt

    t = bal.table
    t = t[(t["type"] == "numeric") | (t["level"] != "")]
    labels = [v if lv == "" else f"{v}: {lv}" for v, lv in zip(t.variable, t.level, strict=True)]
    y = np.arange(len(t))[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(t) + 1.5))
    un = np.abs(t.smd.to_numpy(dtype=float))
    ax.scatter(
        np.minimum(un, 5), y, color="#E69F00", marker="o", label=txt("balance.unweighted", lang)
    )
    if bal.weighted:
        wt = np.abs(t.smd_weighted.to_numpy(dtype=float))
        ax.scatter(
            np.minimum(wt, 5), y, color="#0072B2", marker="D", label=txt("balance.weighted", lang)
        )
        for yi, u, v in zip(y, un, wt, strict=True):
            ax.plot([min(u, 5), min(v, 5)], [yi, yi], color="#999999", lw=0.8, zorder=0)
    ax.axvline(threshold, color="#000000", ls="--", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(txt("balance.xlab", lang))
    ax.set_title(BalanceResult.TITLE[lang])
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig
