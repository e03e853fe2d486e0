"""Goal flow: the resident's own goals from intake to the final plan, per arm.

Drawn from the outcome stage's per-goal table (:func:`wattelt_eval.outcome.goal_table`):
resident goals, lineage and retention are defined there once (``docs/outcomes.md`` section 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import schema
from ..i18n import check_lang
from ._common import (
    Lang,
    _arm_order,
    _dropped_note,
    _finish,
    _labels,
    _pct_axis,
    _pilot,
    _t,
    _threshold,
    arm_label,
)

if TYPE_CHECKING:
    from ..data import PilotData
from ..i18n import format as fmt
from ._common import GOAL_STATE_COLORS, GOAL_STATES


def goal_lineage(data: PilotData) -> pd.DataFrame:
    """Every resident goal at a trajectory's first stage with all its descendants.

    The rows of the outcome stage's per-goal table (:func:`wattelt_eval.outcome.goal_table`)
    whose lineage root is a resident goal (``docs/outcomes.md`` sections 2.1 and 2.2:
    the earliest stage with goals, authored by the resident or jointly; descendants
    along valid ``derived_from`` links).

    Returns
    -------
    DataFrame
        Columns ``trajectory_id, root_id, goal_id, stage, stage_order, status,
        reworded`` (``reworded``: the goal's text differs from the root's, both
        present, ignoring case and spacing).
    """
    from ..outcome import goal_table

    return _lineage(goal_table(data))


def _lineage(goals: pd.DataFrame) -> pd.DataFrame:
    lin = goals[goals["resident_lineage"].to_numpy(dtype=bool)]
    out = pd.DataFrame(
        {
            "trajectory_id": lin["trajectory_id"].astype(str),
            "root_id": lin["root_id"].astype(str),
            "goal_id": lin["goal_id"].astype(str),
            "stage": lin["stage"].astype(str),
            "stage_order": lin["stage_order"].astype("int64"),
            "status": lin["status"].astype(str),
            "reworded": lin["reworded"].astype(bool),
        }
    )
    return out.reset_index(drop=True)


def goal_states(data: PilotData) -> pd.DataFrame:
    """State of every resident intake goal at every stage (wide: one column per stage).

    At each stage the goal is ``achieved`` (a goal in its lineage at this or an
    earlier stage is achieved: it may leave the plan), else ``retained`` or
    ``reworded`` (a goal of its lineage at this stage is not dropped; reworded
    when that goal's text differs from the intake text), else ``lost``. Stages a
    trajectory skipped, and stages after its last recorded stage, carry the
    previous state forward; stages before its first stage show the start state
    (``retained``). The last column is therefore the state at the trajectory's
    last recorded stage: not ``lost`` exactly when the outcome stage counts the goal
    as retained (``docs/outcomes.md`` section 2.3).

    Returns
    -------
    DataFrame
        Index ``root_id``; columns ``trajectory_id`` and one per stage in
        :data:`wattelt_eval.schema.STAGE`.
    """
    from ..outcome import goal_table

    return _states(goal_table(data))


def _states(goals: pd.DataFrame) -> pd.DataFrame:
    """Wide goal states from the per-goal table (see :func:`goal_states`)."""
    stages = list(schema.STAGE)
    lin = _lineage(goals)
    if lin.empty:
        return pd.DataFrame(columns=["trajectory_id", *stages]).rename_axis("root_id")
    roots = lin.drop_duplicates("root_id").set_index("root_id")["trajectory_id"]
    # per trajectory: earliest and last stage with goals, and every stage with goals
    tid = goals["trajectory_id"].astype(str)
    recorded = pd.DataFrame(
        {
            "min": goals["first_stage"].cat.codes.to_numpy(),
            "max": goals["last_stage"].cat.codes.to_numpy(),
        },
        index=tid,
    )
    recorded = recorded[~recorded.index.duplicated()]
    rec_stages = set(zip(tid, goals["stage_order"].astype(int), strict=True))
    # per root x stage: present (not dropped), reworded (present and text differs), achieved
    present = lin["status"] != "dropped"
    lin = lin.assign(
        present=present,
        pres_same=present & ~lin["reworded"],
        ach=lin["status"] == "achieved",
    )
    per = lin.groupby(["root_id", "stage_order"]).agg(
        present=("present", "any"), same=("pres_same", "any"), ach=("ach", "any")
    )
    idx = pd.MultiIndex.from_product(
        [roots.index, range(len(stages))], names=["root_id", "stage_order"]
    )
    per = per.reindex(idx)
    ach_cum = per["ach"].fillna(False).astype(bool).groupby(level=0).cummax()
    state = np.where(
        per["present"].isna(),
        None,
        np.where(
            per["present"].fillna(False).astype(bool),
            np.where(per["same"].fillna(False).astype(bool), "retained", "reworded"),
            "lost",
        ),
    )
    state = pd.Series(state, index=idx, dtype="object")
    # a stage the trajectory recorded but where the lineage has no goal: lost
    traj = roots.reindex(idx.get_level_values(0)).to_numpy()
    so = idx.get_level_values(1).to_numpy()
    tmin = recorded["min"].reindex(traj).to_numpy()
    tmax = recorded["max"].reindex(traj).to_numpy()
    is_rec = (
        pd.Series(list(zip(traj, so, strict=False)), dtype="object").isin(rec_stages).to_numpy()
    )
    state = state.where(~(is_rec & state.isna().to_numpy()), "lost")
    state = state.where(~(so < tmin), "retained")
    state = state.where(~(so > tmax), None)
    wide = state.unstack("stage_order").ffill(axis=1)
    ach_w = ach_cum.unstack("stage_order").astype(bool)
    wide = wide.mask(ach_w, "achieved")
    wide.columns = [stages[int(c)] for c in wide.columns]
    wide.insert(0, "trajectory_id", roots.reindex(wide.index).to_numpy())
    return wide


def goal_flow_data(data: PilotData) -> pd.DataFrame:
    """Shares of the resident's intake goals per arm, stage and state.

    Returns
    -------
    DataFrame
        Columns ``arm, stage, state, n_goals, n_trajectories, share`` where
        ``share`` is ``n_goals`` over all resident goals of the arm and
        ``n_trajectories`` counts the trajectories with resident goals in the arm.
    """
    from ..outcome import goal_table

    data = _pilot(data, "goal_flow_data")
    goals = goal_table(data)
    wide = _states(goals)
    first = goals.drop_duplicates("trajectory_id")
    arms = pd.Series(
        first["arm"].astype("string").to_numpy(), index=first["trajectory_id"].astype(str)
    )
    stages = list(schema.STAGE)
    if wide.empty:
        return pd.DataFrame(columns=["arm", "stage", "state", "n_goals", "n_trajectories", "share"])
    long = wide.melt(
        id_vars="trajectory_id", value_vars=stages, var_name="stage", value_name="state"
    )
    long["arm"] = long["trajectory_id"].map(arms)
    long = long[long["arm"].notna()]
    counts = long.groupby(["arm", "stage", "state"]).size().rename("n_goals")
    arm_list = _arm_order(long["arm"])
    idx = pd.MultiIndex.from_product(
        [arm_list, stages, list(GOAL_STATES)], names=["arm", "stage", "state"]
    )
    counts = counts.reindex(idx, fill_value=0).reset_index()
    tot = long.groupby(["arm", "stage"]).size().rename("total")
    ntraj = (
        wide.assign(arm=wide["trajectory_id"].map(arms)).groupby("arm")["trajectory_id"].nunique()
    )
    counts = counts.join(tot, on=["arm", "stage"])
    counts["share"] = counts["n_goals"] / counts["total"]
    counts["n_trajectories"] = counts["arm"].map(ntraj).astype("int64")
    return counts[["arm", "stage", "state", "n_goals", "n_trajectories", "share"]]


def goal_flow(
    data: PilotData,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Goal flow per arm: the resident's intake goals from intake to the final plan.

    A stacked flow (one panel per arm): at each plan stage the share of the
    resident's own starting goals that is achieved, retained as formulated,
    reworded, or lost. The last stage shows each trajectory's last recorded plan,
    so ``1 - lost`` there is the pooled goal retention.

    Arms with fewer than ``min_count`` trajectories with resident goals are not shown.

    Returns
    -------
    matplotlib.figure.Figure
        The stacked areas carry ``gid`` ``"<state>:<arm>"``.
    """
    check_lang(lang)
    thr = _threshold(data, min_count)
    df = goal_flow_data(data)
    arms = _arm_order(df["arm"])
    ntraj = df.groupby("arm")["n_trajectories"].first() if not df.empty else pd.Series(dtype=int)
    dropped = [arm_label(a, lang) for a in arms if ntraj.get(a, 0) < thr]
    arms = [a for a in arms if ntraj.get(a, 0) >= thr]
    stages = list(schema.STAGE)
    slabels = _labels(schema.STAGE_LABELS_NL, schema.STAGE_LABELS_EN, lang)
    fig, axes = plt.subplots(
        1,
        max(len(arms), 1),
        figsize=(5.2 * max(len(arms), 1), 4.2),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    x = np.arange(len(stages))
    for ax, a in zip(axes[0], arms, strict=False):
        sub = (
            df[df["arm"] == a].pivot(index="stage", columns="state", values="share").reindex(stages)
        )
        bottom = np.zeros(len(stages))
        for st in GOAL_STATES:
            v = sub[st].to_numpy(float)
            ax.fill_between(
                x,
                bottom,
                bottom + v,
                color=GOAL_STATE_COLORS[st],
                alpha=0.9,
                lw=0.5,
                edgecolor="white",
                gid=f"{st}:{a}",
                label=_t(st, lang),
            )
            bottom = bottom + v
        n_goals = int(df[(df["arm"] == a) & (df["stage"] == stages[0])]["n_goals"].sum())
        ax.set_title(
            _t(
                "goal_panel_title",
                lang,
                arm=arm_label(a, lang),
                n_goals=fmt.number(n_goals, 0, lang),
                n_traj=fmt.number(int(ntraj[a]), 0, lang),
            ),
            fontsize=10,
        )
        ax.set_xticks(x, [slabels[s] for s in stages], rotation=20)
        ax.set_xlim(0, len(stages) - 1)
        ax.set_ylim(0, 1)
        _pct_axis(ax.yaxis, lang)
        ax.set_xlabel(_t("stage", lang))
    axes[0][0].set_ylabel(_t("share_goals", lang))
    if arms:
        axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.suptitle(_t("goal_title", lang))
    return _finish(fig, _dropped_note(dropped, thr, lang))
