"""The Wat telt board of one trajectory and the cohort board per arm.

Both draw from the outcome stage's domain tables (``domain_changes`` and
``cohort_domains``, ``docs/outcomes.md`` section 7).
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
    _pilot,
    _require_columns,
    _short,
    _t,
    _threshold,
    arm_label,
)

if TYPE_CHECKING:
    from ..data import PilotData
from ..i18n import format as fmt
from ._common import CHANGE_COLORS, CHANGES, OKABE_ITO, RATER_COLORS


def board_data(data: PilotData, trajectory_id: str) -> pd.DataFrame:
    """Scores of one trajectory per domain and rater: first and latest measurement.

    Taken from the outcome stage's ``domain_changes`` for this trajectory
    (:func:`wattelt_eval.outcome.domain_tables`): the score rows that count there.

    Returns
    -------
    DataFrame
        Columns ``domain, rater, first_measurement, first, latest_measurement,
        latest, change`` (``latest``/``change`` missing when the rater scored
        the domain only once), domains in the instrument's order.
    """
    from ..outcome import domain_tables

    data = _pilot(data, "board_data")
    ch = domain_tables(data, [str(trajectory_id)])["changes"]
    if ch.empty:
        raise ValueError(f"trajectory {trajectory_id!r} has no domain scores")
    single = ch["n_measurements"].to_numpy() < 2
    out = pd.DataFrame(
        {
            "domain": ch["domain"].astype(str),
            "rater": ch["rater"].astype(str),
            "first_measurement": ch["first_measurement"].astype("Int64"),
            "first": ch["first"].astype(float),
            "latest_measurement": ch["latest_measurement"].astype("Int64").mask(single),
            "latest": ch["latest"].astype(float).mask(single),
            "change": ch["change"].astype(float),
        }
    )
    order = {c: i for i, c in enumerate(data.instrument.domain_codes)}
    rorder = {r: i for i, r in enumerate(schema.RATER)}
    out["_d"] = out["domain"].map(order).fillna(len(order)).astype(float)
    out["_r"] = out["rater"].map(rorder).fillna(len(rorder)).astype(float)
    out = out.sort_values(["_d", "domain", "_r"], kind="stable").drop(columns=["_d", "_r"])
    return out.reset_index(drop=True)


def board(
    data: PilotData,
    trajectory_id: str,
    *,
    lang: Lang = "nl",
    show_id: bool = False,
) -> Figure:
    """The Wat telt board of one trajectory: per domain, each rater's first and latest score.

    Open markers are the first measurement, filled markers the latest, joined by a
    line; the shaded band is the instrument's problem range.

    Parameters
    ----------
    data : PilotData
    trajectory_id : str
    lang : {"nl", "en"}
    show_id : bool
        Put the trajectory id in the title (default off: the figure shows one
        resident's data and is meant for the researcher's workbench only).

    Returns
    -------
    matplotlib.figure.Figure
        The markers carry ``gid`` ``"first:<rater>"`` and ``"latest:<rater>"``.
    """
    check_lang(lang)
    df = board_data(data, trajectory_id)
    inst = data.instrument
    labels = inst.domain_labels(lang)
    domains = list(dict.fromkeys(df["domain"]))
    y_of = {d: i for i, d in enumerate(domains)}
    raters = [r for r in schema.RATER if r in set(df["rater"])] + sorted(
        set(df["rater"]) - set(schema.RATER)
    )
    offsets = dict(
        zip(
            raters,
            np.linspace(-0.22, 0.22, len(raters)) if len(raters) > 1 else [0.0],
            strict=False,
        )
    )
    rater_labels = _labels(schema.RATER_LABELS_NL, schema.RATER_LABELS_EN, lang)

    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(domains) + 1.8), layout="constrained")
    lo, hi = inst.scale_min, inst.scale_max
    pad = 0.05 * (hi - lo)
    if inst.direction == "lower_is_better":
        ax.axvspan(inst.problem_threshold, hi + pad, color="#EEEEEE", zorder=0)
    else:
        ax.axvspan(lo - pad, inst.problem_threshold, color="#EEEEEE", zorder=0)
    for r in raters:
        sub = df[df["rater"] == r]
        y = sub["domain"].map(y_of).to_numpy(float) + offsets[r]
        color = RATER_COLORS.get(r, OKABE_ITO["black"])
        both = sub["latest"].notna().to_numpy()
        ax.hlines(
            y[both],
            sub["first"].to_numpy()[both],
            sub["latest"].to_numpy()[both],
            color=color,
            lw=1.5,
            zorder=2,
        )
        ax.scatter(
            sub["first"],
            y,
            s=42,
            facecolors="white",
            edgecolors=color,
            linewidths=1.5,
            zorder=3,
            gid=f"first:{r}",
        )
        ax.scatter(
            sub["latest"].to_numpy()[both],
            y[both],
            s=42,
            color=color,
            zorder=4,
            gid=f"latest:{r}",
            label=rater_labels.get(r, r),
        )
        if not both.any():  # keep the rater in the legend
            ax.scatter([], [], s=42, color=color, label=rater_labels.get(r, r))
    ax.set_yticks(range(len(domains)), [labels.get(d, d) for d in domains])
    ax.invert_yaxis()
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel(_t("score", lang))
    m0 = df["first_measurement"].min()
    m1 = df["latest_measurement"].max()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            mfc="white",
            mec="#444444",
            label=f"{_t('first', lang)} ({m0})",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color="#444444",
            label=f"{_t('latest', lang)} ({fmt.MISSING if pd.isna(m1) else m1})",
        ),
        Patch(
            color="#EEEEEE", label=_t("problem_range", lang, t=_short(inst.problem_threshold, lang))
        ),
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8
    )
    title = _t("board_title", lang)
    if show_id:
        title += f" ({trajectory_id})"
    ax.set_title(title)
    return _finish(fig, [_t("board_private", lang)])


def cohort_board_data(
    data: PilotData, *, rater: str = "resident", outcome_set: Any = None
) -> pd.DataFrame:
    """Per arm and domain: residents, mean first and latest score, shares improved/same/worse.

    Taken from ``OutcomeSet.cohort_domains`` (computed by :func:`wattelt_eval.outcome_set`
    unless passed): a trajectory counts for a domain when the rater scored it at two
    or more measurements; *first* is its earliest, *latest* its last measurement.

    Returns
    -------
    DataFrame
        Columns ``arm, domain, n, mean_first, mean_latest, mean_change,
        share_improved, share_same, share_worse`` in instrument domain order.
    """
    data = _pilot(data, "cohort_board_data")
    if outcome_set is None:
        from ..outcome import outcome_set as _outcome_set

        outcome_set = _outcome_set(data)
    cd = outcome_set.cohort_domains
    cols = [
        "arm",
        "domain",
        "n",
        "mean_first",
        "mean_latest",
        "mean_change",
        "share_improved",
        "share_same",
        "share_worse",
    ]
    _require_columns(cd, [*cols, "rater"], "OutcomeSet.cohort_domains")
    out = cd[cd["rater"].astype(str) == rater][cols].copy()
    out["arm"] = out["arm"].astype(str)
    out["domain"] = out["domain"].astype(str)
    out["n"] = out["n"].astype("int64")
    order = {c: i for i, c in enumerate(data.instrument.domain_codes)}
    aorder = {a: i for i, a in enumerate(_arm_order(out["arm"]))}
    out = out.sort_values(
        ["domain", "arm"],
        key=lambda s: s.map(order if s.name == "domain" else aorder).fillna(99),
    )
    return out.reset_index(drop=True)


def cohort_board(
    data: PilotData,
    *,
    rater: str = "resident",
    lang: Lang = "nl",
    min_count: int | None = None,
    outcome_set: Any = None,
) -> Figure:
    """The cohort board: per domain and arm, mean first vs latest score and the change shares.

    Left panel: the mean first (open) and latest (filled) score per domain, one row
    per arm. Right panel: the shares of residents improved, the same and worse.
    Domain × arm cells with fewer than ``min_count`` residents are not shown.

    Parameters
    ----------
    data : PilotData
    rater : {"resident", "professional", "informal_carer"}
    lang : {"nl", "en"}
    min_count : int, optional
        Disclosure threshold (default the study's, 10).
    outcome_set : OutcomeSet, optional
        Reuse an already computed ``we.outcome_set(data)``.

    Returns
    -------
    matplotlib.figure.Figure
        Left-panel markers carry ``gid`` ``"first:<arm>"`` / ``"latest:<arm>"``;
        the right-panel bars carry ``gid`` ``"<change>:<arm>"``.
    """
    check_lang(lang)
    if rater not in schema.RATER:
        raise ValueError(f"rater must be one of {', '.join(schema.RATER)}, got {rater!r}")
    thr = _threshold(data, min_count)
    df = cohort_board_data(data, rater=rater, outcome_set=outcome_set)
    small = df["n"] < thr
    labels = data.instrument.domain_labels(lang)
    dropped = [
        f"{labels.get(d, d)} ({arm_label(a, lang)})"
        for a, d in zip(df.loc[small, "arm"], df.loc[small, "domain"], strict=False)
    ]
    shown = df[~small]
    domains = list(dict.fromkeys(df["domain"]))
    arms = _arm_order(df["arm"])
    colors = _arm_colors(arms)
    y_of = {d: i for i, d in enumerate(domains)}
    n_arm = max(len(arms), 1)
    height = 0.8 / n_arm
    off = {a: (i - (n_arm - 1) / 2) * height for i, a in enumerate(arms)}

    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(11, 0.5 * max(len(domains), 3) + 2),
        sharey=True,
        layout="constrained",
        gridspec_kw={"width_ratios": [1.2, 1]},
    )
    inst = data.instrument
    ax1.axvspan(inst.scale_min, inst.problem_threshold, color="#EEEEEE", zorder=0)
    for a in arms:
        sub = shown[shown["arm"] == a]
        y = sub["domain"].map(y_of).to_numpy(float) + off[a]
        c = colors[a]
        ax1.hlines(y, sub["mean_first"], sub["mean_latest"], color=c, lw=1.5)
        ax1.scatter(
            sub["mean_first"],
            y,
            s=36,
            facecolors="white",
            edgecolors=c,
            linewidths=1.5,
            gid=f"first:{a}",
            zorder=3,
        )
        ax1.scatter(
            sub["mean_latest"],
            y,
            s=36,
            color=c,
            gid=f"latest:{a}",
            zorder=4,
            label=arm_label(a, lang),
        )
        left = np.zeros(len(sub))
        for ch in CHANGES:
            w = sub[f"share_{ch}"].to_numpy(float)
            ax2.barh(
                y,
                w,
                left=left,
                height=height * 0.92,
                color=CHANGE_COLORS[ch],
                edgecolor=c,
                linewidth=1.2,
                gid=f"{ch}:{a}",
                label=_t(ch, lang) if a == arms[0] else None,
            )
            left = left + w
    ax1.set_yticks(range(len(domains)), [labels.get(d, d) for d in domains])
    ax1.invert_yaxis()
    ax1.set_xlim(inst.scale_min, inst.scale_max)
    ax1.set_xlabel(_t("mean_score", lang) + f"  (○ {_t('first', lang)}, ● {_t('latest', lang)})")
    ax1.legend(loc="lower left", fontsize=8, frameon=True)
    ax2.set_xlim(0, 1)
    _pct_axis(ax2.xaxis, lang)
    ax2.set_xlabel(_t("share_residents", lang))
    ax2.legend(loc="lower right", fontsize=8, ncols=3, frameon=True)
    rl = (_labels(schema.RATER_LABELS_NL, schema.RATER_LABELS_EN, lang))[rater]
    fig.suptitle(_t("cohort_title", lang, rater=rl))
    return _finish(fig, _dropped_note(dropped, thr, lang))
