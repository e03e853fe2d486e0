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

import html
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .effects import _arm_indicator, _check_literal

LABELS = {
    "variable": {"nl": "kenmerk", "en": "variable"},
    "level": {"nl": "niveau", "en": "level"},
    "n": {"nl": "n", "en": "n"},
    "missing": {"nl": "ontbrekend", "en": "missing"},
    "smd": {"nl": "SMD", "en": "SMD"},
    "smd_w": {"nl": "SMD gewogen", "en": "SMD weighted"},
    "title": {"nl": "Balans van de achtergrondkenmerken", "en": "Covariate balance"},
    "unweighted": {"nl": "ongewogen", "en": "unweighted"},
    "weighted": {"nl": "gewogen", "en": "weighted"},
    "xlab": {
        "nl": "|gestandaardiseerd verschil in gemiddelden|",
        "en": "|standardised mean difference|",
    },
}


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


@dataclass
class BalanceResult:
    """Baseline table by arm.

    ``table`` (tidy) has one row per numeric covariate, per categorical level and per
    categorical variable (``level == ""``, with the overall Yang-Dalton SMD), with per-arm
    ``n``, ``n_missing``, ``mean``, ``sd``, ``median``, ``q1``, ``q3``, ``pct`` (share of the
    level, of non-missing values), weighted versions ``*_w`` and ``smd``, ``smd_weighted``.
    """

    table: pd.DataFrame
    treated: Any
    control: Any
    weighted: bool
    ess: dict[str, float]
    lang: str = "nl"
    nonnormal: tuple[str, ...] = ()

    def view(self, lang: str | None = None) -> pd.DataFrame:
        """The formatted baseline table (mean (SD), median [IQR] or %)."""
        lang = lang or self.lang
        rows = []
        for _, r in self.table.iterrows():
            row = {LABELS["variable"][lang]: r.variable, LABELS["level"][lang]: r.level}
            for arm, lab in (("t", self.treated), ("c", self.control)):
                if r.type == "numeric":
                    if r.variable in self.nonnormal:
                        txt = (
                            f"{r[f'median_{arm}']:.1f} [{r[f'q1_{arm}']:.1f}, {r[f'q3_{arm}']:.1f}]"
                        )
                    else:
                        txt = f"{r[f'mean_{arm}']:.1f} ({r[f'sd_{arm}']:.1f})"
                elif r.level == "":
                    txt = f"n={int(r[f'n_{arm}'])}"
                else:
                    txt = f"{r[f'count_{arm}']:.0f} ({100 * r[f'pct_{arm}']:.1f}%)"
                row[str(lab)] = txt
            row[LABELS["missing"][lang]] = (
                f"{int(r.n_missing_t)}/{int(r.n_missing_c)}"
                if r.level == "" or r.type == "numeric"
                else ""
            )
            row[LABELS["smd"][lang]] = f"{r.smd:.3f}"
            if self.weighted:
                row[LABELS["smd_w"][lang]] = f"{r.smd_weighted:.3f}"
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, lang: str | None = None) -> str:
        return self.view(lang).to_string(index=False)

    def _repr_html_(self) -> str:
        cap = html.escape(LABELS["title"][self.lang])
        return f"<div><b>{cap}</b>{self.view().to_html(index=False, escape=True)}</div>"

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, threshold: float = 0.1, lang: str | None = None):
        return love_plot(self, threshold=threshold, lang=lang or self.lang)


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
    lang: Literal["nl", "en"] = "nl",
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
    _check_literal("lang", lang, Literal["nl", "en"])
    if covariates is None:
        raise ValueError("Give covariates=[...]. / Geef covariates=[...].")
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split("+") if c.strip()]
    missing = [c for c in [arm, *covariates] if c not in table.columns]
    if missing:
        raise ValueError(f"Columns not in the table: {missing}. / Kolommen ontbreken: {missing}.")
    a_all, t_lab, c_lab = _arm_indicator(table[arm], arm, treated)
    ok_arm = ~np.isnan(a_all)
    df = table.loc[ok_arm].reset_index(drop=True)
    a = a_all[ok_arm]
    if weights is None:
        w = np.ones(len(df))
    else:
        w = np.asarray(table[weights] if isinstance(weights, str) else weights, dtype=float)
        if w.shape != (len(table),):
            raise ValueError("weights must have one value per row of table.")
        w = w[ok_arm]
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative.")
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


def love_plot(
    bal: BalanceResult,
    threshold: float = 0.1,
    lang: Literal["nl", "en"] | None = None,
):
    """Love plot: |SMD| per covariate (and categorical level), unweighted and weighted.

    Returns a matplotlib Figure; the dashed line marks ``threshold`` (0.1, Austin 2009).
    """
    import matplotlib.pyplot as plt

    lang = lang or bal.lang
    t = bal.table
    t = t[(t["type"] == "numeric") | (t["level"] != "")]
    labels = [v if lv == "" else f"{v}: {lv}" for v, lv in zip(t.variable, t.level, strict=True)]
    y = np.arange(len(t))[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(t) + 1.5))
    un = np.abs(t.smd.to_numpy(dtype=float))
    ax.scatter(np.minimum(un, 5), y, color="#E69F00", marker="o", label=LABELS["unweighted"][lang])
    if bal.weighted:
        wt = np.abs(t.smd_weighted.to_numpy(dtype=float))
        ax.scatter(
            np.minimum(wt, 5), y, color="#0072B2", marker="D", label=LABELS["weighted"][lang]
        )
        for yi, u, v in zip(y, un, wt, strict=True):
            ax.plot([min(u, 5), min(v, 5)], [yi, yi], color="#999999", lw=0.8, zorder=0)
    ax.axvline(threshold, color="#000000", ls="--", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(LABELS["xlab"][lang])
    ax.set_title(LABELS["title"][lang])
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig
