"""The Wat telt board over time: mean score per measurement, per domain and arm.

Drawn from the scores the outcome stage counts (:func:`wattelt_eval.outcome.score_table`,
``docs/outcomes.md`` section 6).
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
from ._common import (
    Lang,
    _arm_colors,
    _arm_order,
    _finish,
    _labels,
    _pilot,
    _t,
    _threshold,
    _wrap,
    arm_label,
)

if TYPE_CHECKING:
    from ..data import PilotData


def domain_trends_data(data: PilotData, *, rater: str = "resident") -> pd.DataFrame:
    """Mean score per arm, domain and measurement for one rater (the board over time).

    Every trajectory scored by the rater at a measurement counts at that measurement,
    so later measurements rest on the trajectories that were followed that long (the
    mix can change over time; the cohort board compares each trajectory with itself).

    Returns
    -------
    DataFrame
        Columns ``arm, domain, measurement, n, mean, sd, share_problem`` (``n``:
        trajectories; ``share_problem``: score in the instrument's problem range), in
        instrument domain order, then arm, then measurement.
    """
    data = _pilot(data, "domain_trends_data")
    if rater not in schema.RATER:
        raise ValueError(f"rater must be one of {', '.join(schema.RATER)}, got {rater!r}")
    from ..outcome import score_table

    inst = data.instrument
    ds = score_table(data)
    # one counted score per trajectory, domain and measurement (outcome stage)
    ds = ds[(ds["rater"] == rater) & ds["arm"].notna()]
    per = pd.DataFrame(
        {
            "arm": ds["arm"].astype(str),
            "domain": ds["domain"].astype(str),
            "measurement": ds["measurement"].astype("int64"),
            "trajectory_id": ds["trajectory_id"].astype(str),
            "score": ds["score"],
            "problem": ds["problem"],
        }
    )
    g = per.groupby(["arm", "domain", "measurement"], observed=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean": g["score"].mean(),
            "sd": g["score"].std(),
            "share_problem": g["problem"].mean(),
        }
    ).reset_index()
    out["arm"] = out["arm"].astype(str)
    out["domain"] = out["domain"].astype(str)
    out["measurement"] = out["measurement"].astype("int64")
    out["n"] = out["n"].astype("int64")
    order = {c: i for i, c in enumerate(inst.domain_codes)}
    aorder = {a: i for i, a in enumerate(_arm_order(out["arm"]))}
    out = out.assign(_d=out["domain"].map(order).fillna(len(order)), _a=out["arm"].map(aorder))
    out = out.sort_values(["_d", "domain", "_a", "measurement"], kind="stable")
    return out.drop(columns=["_d", "_a"]).reset_index(drop=True)


def domain_trends(
    data: PilotData,
    *,
    rater: str = "resident",
    domains: Sequence[str] | None = None,
    lang: Lang = "nl",
    min_count: int | None = None,
    ncols: int = 5,
) -> Figure:
    """The Wat telt board over time: mean score per measurement, per domain and arm.

    One small panel per domain; one line per arm; the shaded band is the problem
    range. Points resting on fewer than ``min_count`` residents are not drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The line of arm ``a`` in domain ``d`` carries ``gid`` ``"trend:<a>:<d>"``
        (x: measurement, y: mean; NaN where suppressed).
    """
    check_lang(lang)
    thr = _threshold(data, min_count)
    df = domain_trends_data(data, rater=rater)
    inst = data.instrument
    labels = inst.domain_labels(lang)
    doms = list(dict.fromkeys(df["domain"])) if domains is None else [str(d) for d in domains]
    unknown = [d for d in doms if d not in set(df["domain"])]
    if unknown:
        raise ValueError(f"no {rater} scores for domain(s): {', '.join(unknown)}")
    arms = _arm_order(df["arm"])
    colors = _arm_colors(arms)
    ncols = max(1, min(int(ncols), len(doms)))
    nrows = int(np.ceil(len(doms) / ncols)) if doms else 1
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(2.6 * ncols + 0.6, 2.1 * nrows + 1.2),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    small = int((df["n"] < thr).sum()) if not df.empty else 0
    ms = sorted(df["measurement"].unique()) if not df.empty else [0]
    lo, hi = inst.scale_min, inst.scale_max
    for k, ax in enumerate(axes.flat):
        if k >= len(doms):
            ax.set_axis_off()
            continue
        d = doms[k]
        if inst.direction == "lower_is_better":
            ax.axhspan(inst.problem_threshold, hi, color="#EEEEEE", zorder=0)
        else:
            ax.axhspan(lo, inst.problem_threshold, color="#EEEEEE", zorder=0)
        for a in arms:
            sub = df[(df["domain"] == d) & (df["arm"] == a)]
            y = sub["mean"].where(sub["n"] >= thr).to_numpy(float)
            ax.plot(
                sub["measurement"].to_numpy(float),
                y,
                "o-",
                color=colors[a],
                ms=3.5,
                lw=1.4,
                gid=f"trend:{a}:{d}",
                label=arm_label(a, lang) if k == 0 else None,
            )
        ax.set_title(_wrap(labels.get(d, d), 26), fontsize=8.5)
        ax.set_ylim(lo, hi)
        ax.set_xticks(ms)
        ax.tick_params(labelsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel(_t("measurement", lang), fontsize=7.5)
    for ax in axes[:, 0]:
        ax.set_ylabel(_t("mean_score", lang), fontsize=7.5)
    if arms:
        fig.legend(loc="outside upper right", fontsize=8, frameon=False, ncols=len(arms))
    rl = (_labels(schema.RATER_LABELS_NL, schema.RATER_LABELS_EN, lang))[rater]
    fig.suptitle(_t("trend_title", lang, rater=rl))
    notes = [_t("small_points", lang, k=small, t=thr)] if small else []
    return _finish(fig, notes)
