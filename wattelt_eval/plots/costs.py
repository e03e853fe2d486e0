"""Costs per arm: the zeros, the positive part on a log scale, and the breakdown.

Drawn from the outcome table's cost columns (``docs/outcomes.md`` section 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import schema
from ..i18n import check_lang
from ._common import (
    Lang,
    _arm_colors,
    _arm_order,
    _dropped_note,
    _finish,
    _labels,
    _pct_axis,
    _require_columns,
    _t,
    _threshold,
    arm_label,
)

if TYPE_CHECKING:
    pass
from ..i18n import format as fmt
from ._common import COST_COMPONENT_COLORS, COST_COMPONENT_COLUMNS, OKABE_ITO, _outcome_table, _rule

#: Colour and hatching of the bands of positive costs (light to dark: colour is not alone).
COST_BAND_STYLE: tuple[tuple[str, str], ...] = (
    (OKABE_ITO["sky_blue"], ".."),
    (OKABE_ITO["blue"], ""),
    (OKABE_ITO["orange"], "//"),
    (OKABE_ITO["vermillion"], "\\\\"),
)


def cost_data(table: Any, *, min_count: int | None = None) -> dict[str, pd.DataFrame]:
    """Tables behind :func:`costs`, from the outcome table (or an OutcomeSet / PilotData).

    Returns
    -------
    dict of DataFrame
        ``arms``: per arm ``n``, ``n_zero``, ``share_zero``, ``mean_total``,
        ``median_positive``, ``suppressed`` (arm smaller than the threshold) and
        ``zero_suppressed`` (fewer than the threshold with, or without, costs); where the
        table has ``any_provision`` also ``n_no_provision``, ``share_no_provision`` (no
        individual provision in the window: the zeros of the provision costs that
        matter for policy) and ``no_provision_suppressed``.
        ``components``: per arm and component (CBS groups of iWmo categories and
        ``staff``) the mean cost per trajectory (``mean``); the components of an arm
        sum to its mean ``cost_total``.
        ``positive``: per shown arm and band of :data:`POSITIVE_BANDS` the trajectories
        with costs (``n``, not for publication) and the published ``share``,
        ``hidden`` and ``n_positive`` (:func:`wattelt_eval.disclosure.published_shares`).
    """
    t = _outcome_table(table)
    thr = _threshold(table, min_count)
    _require_columns(t, ["arm", "cost_total", *COST_COMPONENT_COLUMNS.values()], "outcome table")
    t = t[t["arm"].notna() & t["cost_total"].notna()]
    arm = t["arm"].astype(str)
    arms = _arm_order(arm)
    g = t.groupby(arm)
    zero = (t["cost_total"] <= 0).groupby(arm).sum()
    n = g.size()
    pos = t["cost_total"].where(t["cost_total"] > 0)
    tab = pd.DataFrame(
        {
            "n": n,
            "n_zero": zero.astype(int),
            "share_zero": zero / n,
            "mean_total": g["cost_total"].mean(),
            "median_positive": pos.groupby(arm).median(),
        }
    ).reindex(arms)
    tab["suppressed"] = tab["n"] < thr
    tab["zero_suppressed"] = (tab["n_zero"] < thr) | ((tab["n"] - tab["n_zero"]) < thr)
    if "any_provision" in t.columns:
        none = (~t["any_provision"].astype("boolean").fillna(True)).astype(int).groupby(arm).sum()
        tab["n_no_provision"] = none.reindex(arms).astype(int)
        tab["share_no_provision"] = tab["n_no_provision"] / tab["n"]
        tab["no_provision_suppressed"] = (tab["n_no_provision"] < thr) | (
            (tab["n"] - tab["n_no_provision"]) < thr
        )
    comp = g[list(COST_COMPONENT_COLUMNS.values())].mean().reindex(arms)
    comp.columns = list(COST_COMPONENT_COLUMNS)
    comp_long = comp.stack().rename("mean").reset_index()
    comp_long.columns = ["arm", "component", "mean"]
    shown = [a for a in arms if not tab.loc[a, "suppressed"]]
    return {
        "arms": tab.rename_axis("arm").reset_index(),
        "components": comp_long,
        "positive": _positive_table(t[arm.isin(shown)], shown, _rule(table, min_count)),
    }


#: Lower bounds (euros) of the bands of positive costs in panel 2 of :func:`costs`.
POSITIVE_BANDS: tuple[float, ...] = (0.0, 100.0, 1000.0, 10000.0)


def _band_label(lo: float, hi: float, lang: str) -> str:
    if not np.isfinite(hi):
        return f"{fmt.euro(lo, lang)}+"
    return f"{fmt.euro(max(lo, 1), lang)} – {fmt.euro(hi - 1, lang)}"


def _positive_table(t: pd.DataFrame, arms: list[str], rule: Any) -> pd.DataFrame:
    """Trajectories with costs per arm and band, as published (suppressed, shares).

    The outer bands are merged into their neighbour while they hold a small cell (and
    more than two bands are left), then the arm x band table is suppressed as a
    published table would be. Columns ``arm, band`` (number), ``lo``, ``hi`` (euros;
    ``hi`` exclusive, ``inf`` for the open band), ``n`` (true count: not for
    publication), ``share`` (of the arm's trajectories with costs, from the published
    counts; NaN where the table hides the cell), ``hidden`` (the arm's hidden cells
    together) and ``n_positive`` (the arm's trajectories with costs, NaN where hidden).
    """
    from ..disclosure import published_shares

    cols = ["arm", "band", "lo", "hi", "n", "share", "hidden", "n_positive"]
    pos = t[t["cost_total"] > 0]
    if not arms:
        return pd.DataFrame(columns=cols)
    edges = [*POSITIVE_BANDS, np.inf]
    band = np.searchsorted(np.asarray(POSITIVE_BANDS), pos["cost_total"].to_numpy(float)) - 1
    counts = pd.crosstab(pos["arm"].astype(str).to_numpy(), np.clip(band, 0, len(edges) - 2))
    counts = counts.reindex(index=arms, columns=range(len(edges) - 1), fill_value=0)
    c = counts.to_numpy()
    while c.shape[1] > 2 and rule.is_small(c[:, 0]).any():
        c = np.column_stack([c[:, 0] + c[:, 1], c[:, 2:]])
        edges.pop(1)
    while c.shape[1] > 2 and rule.is_small(c[:, -1]).any():
        c = np.column_stack([c[:, :-2], c[:, -2] + c[:, -1]])
        edges.pop(-2)
    counts = pd.DataFrame(c, index=arms)
    ps = published_shares(counts, rule)
    long = ps.shares.stack(future_stack=True).rename("share").reset_index()
    long.columns = ["arm", "band", "share"]
    long["lo"] = [edges[b] for b in long["band"]]
    long["hi"] = [edges[b + 1] for b in long["band"]]
    long["n"] = counts.stack().to_numpy()
    long["hidden"] = long["arm"].map(ps.hidden)
    long["n_positive"] = long["arm"].map(ps.totals)
    return long[cols]


def _positive_bands(ax: Any, pos: pd.DataFrame, lang: str, notes: list[str]) -> None:
    """Panel 2: per arm a 100% bar of the positive costs in bands; hidden cells grey."""
    from matplotlib.patches import Patch

    arms = list(dict.fromkeys(pos["arm"]))
    bands = pos.drop_duplicates("band").set_index("band")[["lo", "hi"]]
    shades = [COST_BAND_STYLE[j] for j in range(len(bands))]
    hidden_drawn = False
    for y, a in enumerate(arms):
        sub = pos[pos["arm"] == a].set_index("band")
        left = 0.0
        for j, (colour, hatch) in enumerate(shades):
            w = float(sub.loc[j, "share"])
            if not np.isfinite(w) or w <= 0:
                continue
            ax.barh(
                y,
                w,
                left=left,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                gid=f"positive:{a}:{j}",
            )
            left += w
        h = float(sub["hidden"].iloc[0])
        if np.isfinite(h) and h > 1e-12:
            ax.barh(
                y,
                h,
                left=left,
                color="#DDDDDD",
                hatch="xx",
                edgecolor="#777777",
                lw=0.5,
                gid=f"positive_hidden:{a}",
            )
            hidden_drawn = True
    labels = [
        f"{arm_label(a, lang)}\n(n = {fmt.number(n, 0, lang) if np.isfinite(n) else '–'})"
        for a, n in zip(arms, pos.groupby("arm", sort=False)["n_positive"].first(), strict=True)
    ]
    ax.set_yticks(range(len(arms)), labels, fontsize=8)
    ax.set_ylim(len(arms) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    _pct_axis(ax.xaxis, lang)
    handles = [
        Patch(facecolor=c, hatch=h, edgecolor="white", label=_band_label(lo, hi, lang))
        for (c, h), (lo, hi) in zip(shades, bands.itertuples(index=False), strict=True)
    ]
    if hidden_drawn:
        handles.append(
            Patch(facecolor="#DDDDDD", hatch="xx", edgecolor="#777777", label=_t("not_shown", lang))
        )
        notes.append(_t("positive_hidden", lang))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=2,
        frameon=False,
        fontsize=7,
    )
    ax.set_title(_t("positive_costs", lang), fontsize=10)


def costs(
    table: Any,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Costs per arm: the zeros, the positive part on a log scale, and the breakdown.

    Panels: (1) share of trajectories without any cost in the window and (hatched) the
    share without an individual provision (``any_provision`` false); (2) per arm the
    trajectories with costs in bands (€ 1–99, € 100–999, € 1.000–9.999, € 10.000+; an outer
    band with a small cell merged into its neighbour), as
    shares of a 100% bar drawn from the suppressed arm x band table (cells the table
    would hide are drawn together in grey; no mark stands for one resident); (3) mean cost per trajectory stacked by CBS group of iWmo categories
    (Hulp bij het huishouden; Ondersteuning thuis; Hulpmiddelen en diensten;
    Verblijf en opvang; general provisions) and professional time.

    Parameters
    ----------
    table : DataFrame, OutcomeSet or PilotData
        The outcome table (columns of ``we.outcomes``).

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry ``gid`` ``"zero:<arm>"``, ``"no_provision:<arm>"``,
        ``"positive:<arm>:<band>"``, ``"positive_hidden:<arm>"`` and
        ``"component:<arm>:<component>"``.
    """
    check_lang(lang)
    thr = _threshold(table, min_count)
    tabs = cost_data(table, min_count=thr)
    at = tabs["arms"]
    arms = [a for a, s in zip(at["arm"], at["suppressed"], strict=False) if not s]
    dropped = [arm_label(a, lang) for a, s in zip(at["arm"], at["suppressed"], strict=False) if s]
    colors = _arm_colors(list(at["arm"]))
    notes = _dropped_note(dropped, thr, lang)
    at = at.set_index("arm")
    fig, axes = plt.subplots(
        1, 3, figsize=(14, 4.4), layout="constrained", gridspec_kw={"width_ratios": [0.7, 1.2, 1.2]}
    )
    labels = [f"{arm_label(a, lang)}\n(n = {fmt.number(at.loc[a, 'n'], 0, lang)})" for a in arms]
    # (1) zeros: no cost at all, and (where known) no individual provision
    kinds = [("zero", "share_zero", "zero_suppressed", "zero_total", None)]
    if "share_no_provision" in at.columns:
        kinds.append(
            (
                "no_provision",
                "share_no_provision",
                "no_provision_suppressed",
                "zero_provision",
                "//",
            )
        )
    width = 0.8 / len(kinds)
    for k, (gid, col, sup, lab, hatch) in enumerate(kinds):
        for i, a in enumerate(arms):
            if at.loc[a, sup]:
                what = f"{_t('share_zero', lang)} ({_t(lab, lang)})"
                notes.append(_t("zero_not_shown", lang, what=what, arm=arm_label(a, lang)))
                continue
            x = i + (k - (len(kinds) - 1) / 2) * width
            v = float(at.loc[a, col])
            axes[0].bar(
                x,
                v,
                width=width * 0.95,
                color=colors[a],
                hatch=hatch,
                edgecolor="white" if hatch else None,
                gid=f"{gid}:{a}",
            )
            axes[0].text(x, v, fmt.percent(v, 0, lang), ha="center", va="bottom", fontsize=8)
    if len(kinds) > 1:
        from matplotlib.patches import Patch

        axes[0].legend(
            handles=[
                Patch(fc="#777777", ec="white", hatch=h, label=_t(lab, lang))
                for _, _, _, lab, h in kinds
            ],
            fontsize=7,
            frameon=False,
            loc="upper left",
        )
    axes[0].set_xticks(range(len(arms)), labels, fontsize=8)
    axes[0].set_ylim(0, 1)
    _pct_axis(axes[0].yaxis, lang)
    axes[0].set_title(_t("share_zero", lang), fontsize=10)
    # (2) positive part in bands, from the suppressed arm x band table (no individual marks)
    _positive_bands(axes[1], tabs["positive"], lang, notes)
    # (3) breakdown
    comp = tabs["components"]
    glab = _labels(schema.CBS_GROUP_LABELS_NL, schema.CBS_GROUP_LABELS_EN, lang)
    bottom = np.zeros(len(arms))
    for c in COST_COMPONENT_COLUMNS:
        v = (
            comp[comp["component"] == c]
            .set_index("arm")["mean"]
            .reindex(arms)
            .fillna(0)
            .to_numpy(float)
        )
        bars = axes[2].bar(
            range(len(arms)),
            v,
            bottom=bottom,
            color=COST_COMPONENT_COLORS[c],
            label=glab.get(c, _t("staff", lang)),
            edgecolor="white",
            lw=0.5,
        )
        for b, a in zip(bars, arms, strict=False):
            b.set_gid(f"component:{a}:{c}")
        bottom = bottom + v
    axes[2].set_xticks(range(len(arms)), labels, fontsize=8)
    axes[2].set_title(_t("mean_cost", lang), fontsize=10)
    axes[2].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.suptitle(_t("cost_title", lang))
    return _finish(fig, notes)
