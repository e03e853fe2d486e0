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
from ._common import COST_COMPONENT_COLORS, COST_COMPONENT_COLUMNS, _outcome_table


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
    return {"arms": tab.rename_axis("arm").reset_index(), "components": comp_long}


def costs(
    table: Any,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Costs per arm: the zeros, the positive part on a log scale, and the breakdown.

    Panels: (1) share of trajectories without any cost in the window and (hatched) the
    share without an individual provision (``any_provision`` false); (2) violin of
    the positive costs on a log scale, median marked (no individual points are
    drawn); (3) mean cost per trajectory stacked by CBS group of iWmo categories
    (Hulp bij het huishouden; Ondersteuning thuis; Hulpmiddelen en diensten;
    Verblijf en opvang; general provisions) and professional time.

    Parameters
    ----------
    table : DataFrame, OutcomeSet or PilotData
        The outcome table (columns of ``we.outcomes``).

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry ``gid`` ``"zero:<arm>"``, ``"no_provision:<arm>"`` and
        ``"component:<arm>:<component>"``.
    """
    check_lang(lang)
    thr = _threshold(table, min_count)
    tabs = cost_data(table, min_count=thr)
    t = _outcome_table(table)
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
    # (2) positive part, log scale
    pos = t[t["arm"].astype("string").isin(arms) & (t["cost_total"] > 0)]
    pos = pos.assign(arm=pos["arm"].astype(str), log_cost=np.log10(pos["cost_total"].astype(float)))
    enough = [a for a in arms if (pos["arm"] == a).sum() >= thr]
    if enough:
        import seaborn as sns

        sns.violinplot(
            data=pos[pos["arm"].isin(enough)],
            x="arm",
            y="log_cost",
            order=enough,
            hue="arm",
            hue_order=enough,
            palette=colors,
            legend=False,
            inner="quart",
            cut=1,
            ax=axes[1],
            density_norm="width",
        )
        med = np.log10(at.loc[enough, "median_positive"].astype(float).to_numpy())
        axes[1].scatter(
            range(len(enough)),
            med,
            color="white",
            edgecolor="black",
            zorder=5,
            s=30,
            gid="median_positive",
        )
    axes[1].set_xticks(range(len(enough)), [arm_label(a, lang) for a in enough], fontsize=8)
    axes[1].set_xlabel("")
    axes[1].set_ylabel("")
    lo, hi = axes[1].get_ylim()
    ticks = np.arange(np.floor(lo), np.ceil(hi) + 1)
    axes[1].set_yticks(
        ticks,
        [fmt.euro(10**v, lang) for v in ticks],
    )
    axes[1].set_ylim(lo, hi)
    axes[1].set_title(_t("positive_costs", lang), fontsize=10)
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
