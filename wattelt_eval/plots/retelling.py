"""Retellings: how often residents tell their story again, and where.

Drawn from the outcome stage's per-contact table (:func:`wattelt_eval.outcome.contact_table`):
the telling rule is defined there once (``docs/outcomes.md`` section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import schema
from ..i18n import check_lang
from ..i18n import format as fmt
from ._common import (
    Lang,
    _arm_colors,
    _arm_order,
    _dropped_note,
    _finish,
    _labels,
    _pct_axis,
    _pilot,
    _rule,
    _t,
    _threshold,
    arm_label,
)

if TYPE_CHECKING:
    from ..data import PilotData


def contact_tellings(data: PilotData) -> pd.DataFrame:
    """Per contact: whether it was a telling, and whether it was a retelling.

    The outcome stage's per-contact table (:func:`wattelt_eval.outcome.contact_table`),
    which applies the telling rule of ``docs/outcomes.md`` section 3: ``story_told``
    where given; otherwise an ``intake`` or ``assessment`` with an organisation not
    seen earlier in the trajectory (contacts ordered by date, then ``contact_id``) and
    ``plan_available`` not true. A *retelling* is every telling after the trajectory's
    first.

    Returns
    -------
    DataFrame
        The contacts the outcome table counts (columns ``trajectory_id, contact_id,
        date, organisation, role, contact_type``) plus ``arm``, ``telling``,
        ``inferred`` and ``retelling``.
    """
    from ..outcome import contact_table

    out = contact_table(data)
    return out.assign(
        trajectory_id=out["trajectory_id"].astype(str), arm=out["arm"].astype("string")
    )


def retelling_data(
    data: PilotData, *, min_count: int | None = None, max_bin: int = 4
) -> dict[str, pd.DataFrame]:
    """Tables behind :func:`retellings`.

    Returns
    -------
    dict of DataFrame
        ``distribution``: per arm and bin of ``n_retells`` (``0``, ``1``, ...,
        ``k+``): ``n`` (true count, not for publication) and ``share`` of trajectories,
        the upper bins merged until every bin has at least ``min_count`` trajectories
        in each arm (or two bins are left); ``share`` as the suppressed arm x bin table
        publishes it (:func:`wattelt_eval.disclosure.published_shares`: zero included,
        complementary suppression), NaN and ``suppressed = True`` where hidden. ``by_role`` and ``by_type``: per arm
        and role (contact type), ``n_retellings``, ``per_trajectory`` (retellings
        there divided by the arm's trajectories, so they sum to the arm's mean
        ``n_retells``) and ``suppressed`` (fewer than ``min_count`` retellings).
        ``arms``: per arm ``n_trajectories`` (with at least one contact; the others
        have no ``n_retells``, as in the outcome table) and ``mean_retells``.
    """
    data = _pilot(data, "retelling_data")
    thr = _threshold(data, min_count)
    ct = contact_tellings(data)
    # per trajectory with contacts (the others have no n_retells, as in the outcome table):
    # its retellings add up to n_retells
    ct = ct[ct["arm"].notna()]
    traj = (
        ct.groupby("trajectory_id", sort=False)
        .agg(arm=("arm", "first"), n_retells=("retelling", "sum"))
        .reset_index()
    )
    traj = traj.assign(arm=traj["arm"].astype(str), n_retells=traj["n_retells"].astype(int))
    arms = _arm_order(traj["arm"])
    arm_n = traj.groupby("arm").size().reindex(arms)
    arm_tab = pd.DataFrame(
        {
            "n_trajectories": arm_n,
            "mean_retells": traj.groupby("arm")["n_retells"].mean().reindex(arms),
        }
    )
    arm_tab["suppressed"] = arm_tab["n_trajectories"] < thr
    shown_arms = [a for a in arms if not arm_tab.loc[a, "suppressed"]]

    def _dist(k: int) -> pd.DataFrame:
        b = traj["n_retells"].clip(upper=k)
        tab = pd.crosstab(traj["arm"], b).reindex(index=arms, columns=range(k + 1), fill_value=0)
        return tab

    k = max_bin
    tab = _dist(k)

    rule = _rule(data, min_count)

    def _small(x: pd.DataFrame) -> bool:
        return bool(rule.is_small(x.loc[shown_arms].to_numpy()).any())

    while k > 1 and _small(tab):
        k -= 1
        tab = _dist(k)
    labels = [str(i) for i in range(k)] + [f"{k}+"]
    dist = tab.set_axis(labels, axis=1).stack().rename("n").reset_index()
    dist.columns = ["arm", "bin", "n"]
    # shares as a published table of these counts allows (zero counts and complementary
    # cells hidden: the arm's n is printed, so one hidden bin would follow from the others)
    share = pd.Series(np.nan, index=pd.MultiIndex.from_frame(dist[["arm", "bin"]]))
    if shown_arms:
        from ..disclosure import published_shares

        ps = published_shares(tab.loc[shown_arms].set_axis(labels, axis=1), rule)
        share.update(ps.shares.stack(future_stack=True))
    dist["share"] = share.to_numpy()
    dist["suppressed"] = dist["share"].isna()
    dist.attrs["merged"] = k < max_bin
    dist.attrs["top_label"] = labels[-1]

    rt = ct[ct["retelling"]].assign(arm=lambda d: d["arm"].astype(str))

    def _by(col: str, codes: Sequence[str]) -> pd.DataFrame:
        t = pd.crosstab(rt["arm"], rt[col]) if not rt.empty else pd.DataFrame()
        t = t.reindex(index=arms, columns=list(codes), fill_value=0)
        o = t.stack().rename("n_retellings").reset_index()
        o.columns = ["arm", col, "n_retellings"]
        o["per_trajectory"] = o["n_retellings"] / o["arm"].map(arm_n)
        o["suppressed"] = (o["n_retellings"] > 0) & (o["n_retellings"] < thr)
        return o

    return {
        "distribution": dist,
        "by_role": _by("role", schema.ROLE),
        "by_type": _by("contact_type", schema.CONTACT_TYPE),
        "arms": arm_tab.rename_axis("arm").reset_index(),
    }


def retellings(
    data: PilotData,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Retellings per arm: their distribution, and at which role and kind of contact they happen.

    Panels: (1) the share of trajectories with 0, 1, 2, ... retellings; (2) the mean
    number of retellings per trajectory that happened at each role; (3) the same
    by kind of contact (e.g. a handover). Bars in (2) and (3) of one arm sum to its
    mean ``n_retells``. Small cells are merged or not drawn, with a note.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry ``gid`` ``"dist:<arm>:<bin>"``, ``"role:<arm>:<role>"`` and
        ``"type:<arm>:<contact_type>"``.
    """
    check_lang(lang)
    thr = _threshold(data, min_count)
    tabs = retelling_data(data, min_count=thr)
    arm_tab = tabs["arms"]
    arms = [a for a, s in zip(arm_tab["arm"], arm_tab["suppressed"], strict=False) if not s]
    dropped = [
        arm_label(a, lang) for a, s in zip(arm_tab["arm"], arm_tab["suppressed"], strict=False) if s
    ]
    colors = _arm_colors(list(arm_tab["arm"]))
    notes = _dropped_note(dropped, thr, lang)
    fig, axes = plt.subplots(
        1, 3, figsize=(14, 4.4), layout="constrained", gridspec_kw={"width_ratios": [1, 1.2, 1.2]}
    )
    n_arm = max(len(arms), 1)
    width = 0.8 / n_arm
    dist = tabs["distribution"]
    bins = list(dict.fromkeys(dist["bin"]))
    small_cells = 0
    for i, a in enumerate(arms):
        sub = dist[dist["arm"] == a].set_index("bin").reindex(bins)
        xs = np.arange(len(bins)) + (i - (n_arm - 1) / 2) * width
        for x, b in zip(xs, bins, strict=False):
            if sub.loc[b, "suppressed"]:
                small_cells += 1
                continue
            axes[0].bar(
                x,
                sub.loc[b, "share"],
                width=width * 0.95,
                color=colors[a],
                gid=f"dist:{a}:{b}",
                label=None,
            )
        n = int(arm_tab.set_index("arm").loc[a, "n_trajectories"])
        axes[0].bar(
            [], [], color=colors[a], label=f"{arm_label(a, lang)} (n = {fmt.number(n, 0, lang)})"
        )
    axes[0].set_xticks(range(len(bins)), bins)
    axes[0].set_xlabel(_t("n_retells", lang))
    axes[0].set_ylabel(_t("share_traj", lang))
    _pct_axis(axes[0].yaxis, lang)
    if arms:
        axes[0].legend(fontsize=8, frameon=False)
    axes[0].set_title(_t("distribution", lang), fontsize=10)
    if dist.attrs.get("merged"):
        notes.append(_t("merged_bins", lang, label=dist.attrs["top_label"]))

    for ax, key, col, lab, title in (
        (
            axes[1],
            "by_role",
            "role",
            _labels(schema.ROLE_LABELS_NL, schema.ROLE_LABELS_EN, lang),
            "by_role",
        ),
        (
            axes[2],
            "by_type",
            "contact_type",
            _labels(schema.CONTACT_TYPE_LABELS_NL, schema.CONTACT_TYPE_LABELS_EN, lang),
            "by_type",
        ),
    ):
        t = tabs[key]
        codes = list(dict.fromkeys(t[col]))
        y0 = np.arange(len(codes))
        for i, a in enumerate(arms):
            sub = t[t["arm"] == a].set_index(col).reindex(codes)
            ys = y0 + (i - (n_arm - 1) / 2) * width
            for yv, code in zip(ys, codes, strict=False):
                if sub.loc[code, "suppressed"]:
                    small_cells += 1
                    continue
                ax.barh(
                    yv,
                    sub.loc[code, "per_trajectory"],
                    height=width * 0.95,
                    color=colors[a],
                    gid=f"{col.split('_')[-1]}:{a}:{code}",
                )
        ax.set_yticks(y0, [lab.get(c, c) for c in codes], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(_t("retells_per_traj", lang))
        ax.set_title(_t(title, lang), fontsize=10)
    if small_cells:
        notes.append(_t("small_bars", lang, k=small_cells, t=thr))
    fig.suptitle(_t("retell_title", lang))
    return _finish(fig, notes)
