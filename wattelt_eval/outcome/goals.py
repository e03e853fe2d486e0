"""Goals: resident goals, lineage along ``derived_from``, retention, ownership and GAS.

The rules (``docs/outcomes.md`` section 2 and 8) are applied once, per goal, by
:func:`_goal_records`; the per-trajectory columns of the outcome table
(:func:`_goal_outcomes`) and the per-goal table behind the goal-flow figure
(:func:`goal_table`) are both built from its arrays. Lineages are resolved by pointer
jumping over ``derived_from`` with numpy index arrays (no Python loop per goal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..schema import AUTHOR, STAGE, STATUS
from ._arrays import _bool, _codes, _count, _div, _float, _int64, _lookup
from .log import _Log
from .trajectories import _dedupe_ids, _link, _prepare_trajectories, _Traj

if TYPE_CHECKING:
    from ..data import PilotData

#: Assumed average inter-goal correlation of the Kiresuk-Sherman GAS T-score.
GAS_RHO = 0.3

_AUTH_RES = (AUTHOR.index("resident"), AUTHOR.index("jointly"))
_ST_DROPPED = STATUS.index("dropped")
_ST_ACHIEVED = STATUS.index("achieved")

#: Columns of :func:`goal_table`, in order.
GOAL_COLUMNS = [
    "trajectory_id",
    "arm",
    "goal_id",
    "stage",
    "stage_order",
    "author",
    "status",
    "derived_from",
    "parent_id",
    "root_id",
    "first_stage",
    "last_stage",
    "resident_goal",
    "resident_lineage",
    "in_final_plan",
    "lineage_achieved",
    "retained",
    "owned",
    "reworded",
    "gas_scored",
    "used",
    "date",
]


def gas_t_score(sum_x: np.ndarray | float, n: np.ndarray | int, rho: float = GAS_RHO) -> np.ndarray:
    """Kiresuk-Sherman Goal Attainment Scaling T-score with equal weights.

    ``T = 50 + 10 * sum(x) / sqrt((1 - rho) * n + rho * n**2)``; NaN where ``n == 0``.

    Parameters
    ----------
    sum_x : array_like
        Sum of the attainment scores (-2..+2) per trajectory.
    n : array_like
        Number of scored goals per trajectory.
    rho : float
        Assumed inter-goal correlation (0.3 by convention).

    References
    ----------
    Kiresuk, T. J., & Sherman, R. E. (1968). Goal attainment scaling: a general method
    for evaluating comprehensive community mental health programs. *Community Mental
    Health Journal*, 4(6), 443-453.
    """
    sum_x = np.asarray(sum_x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    den = np.sqrt((1.0 - rho) * n + rho * n**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, 50.0 + 10.0 * sum_x / np.where(n > 0, den, 1.0), np.nan)


def _positions_of(s: pd.Series, ids: pd.Series, pos: np.ndarray) -> np.ndarray:
    """Position ``k`` in ``pos`` such that ``ids[pos[k]] == s`` (-1: none), per value of ``s``.

    The ids at ``pos`` must be unique. Categorical ids are matched through their
    categories (no string copy of the id column); otherwise as :func:`_lookup`.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()[pos]
        pos_of_cat = np.full(len(ids.cat.categories) + 1, -1, dtype=np.int32)  # -1 -> last
        valid = codes >= 0
        pos_of_cat[codes[valid]] = np.flatnonzero(valid)
        if isinstance(s.dtype, pd.CategoricalDtype):
            # hash the categories of s (derived_from: fewer than the ids), look the ids up
            s_cats = s.cat.categories
            at = _lookup(pd.Series(ids.cat.categories), s_cats)
            pos_of_s_cat = np.full(len(s_cats) + 1, -1, dtype=np.int32)  # code -1 -> last
            found = at >= 0
            pos_of_s_cat[at[found]] = pos_of_cat[:-1][found]
            return pos_of_s_cat[s.cat.codes.to_numpy()]
        return pos_of_cat[_lookup(s, ids.cat.categories)]
    return _lookup(s, ids.iloc[pos].astype("string").reset_index(drop=True))


@dataclass
class _GoalRecords:
    """The counted goals of a package as arrays, one entry per goal (in source row order)."""

    pos: np.ndarray  # row position in the goals table
    tc: np.ndarray  # trajectory code
    stage: np.ndarray  # code into STAGE
    author: np.ndarray  # code into AUTHOR
    status: np.ndarray  # code into STATUS
    att: np.ndarray  # GAS attainment (NaN: none)
    parent: np.ndarray  # position (into these arrays) of the parent used, -1: none
    root: np.ndarray  # position of the lineage root
    first_stage: np.ndarray  # per trajectory: earliest stage with goals (-1: none)
    last_stage: np.ndarray  # per trajectory: last stage with goals (-1: none)
    by_res: np.ndarray  # authored by the resident or jointly
    is_r: np.ndarray  # a resident goal (R): earliest stage, by the resident or jointly
    at_last: np.ndarray  # at the trajectory's last stage
    in_final: np.ndarray  # at the last stage and not dropped
    lin_final: np.ndarray  # per root position: the lineage reaches the final plan
    lin_achieved: np.ndarray  # per root position: a goal of the lineage is achieved
    gas_goal: np.ndarray  # a GAS score used (last stage, attainment given)
    used: np.ndarray  # counts in some outcome (else logged goal_not_used)

    @property
    def retained(self) -> np.ndarray:
        """Resident goal whose lineage reaches the final plan or is achieved."""
        return self.is_r & (self.lin_final | self.lin_achieved)  # resident goals are roots

    @property
    def owned(self) -> np.ndarray:
        """The goal's lineage root was authored by the resident or jointly."""
        return self.by_res[self.root]


def _goal_records(g: pd.DataFrame, tr: _Traj, log: _Log) -> _GoalRecords:
    """Apply the goal rules of ``docs/outcomes.md`` section 2 to every goal row (logged)."""
    n = len(tr.frame)
    tc_all = _link(g, "goals", tr, log)
    stage_all = _codes(g["stage"], STAGE)
    author_all = _codes(g["author"], AUTHOR)
    status_all = _codes(g["status"], STATUS)
    linked = tc_all >= 0
    missing = linked & ((stage_all < 0) | (author_all < 0) | (status_all < 0))
    log.add("goals", g, missing, "goal_missing_field")
    ok = linked & ~missing
    ok = _dedupe_ids(g, "goals", "goal_id", ok, log)
    pos = np.flatnonzero(ok)
    m = len(pos)
    tc = tc_all[pos]
    stage = stage_all[pos]
    author = author_all[pos]
    status = status_all[pos]
    att = _float(g["attainment"])[pos]

    # ---- lineage: parent index by goal_id, then pointer jumping to the root
    dfrom = g["derived_from"].iloc[pos]
    parent = _positions_of(dfrom, g["goal_id"], pos)
    has_link = dfrom.notna().to_numpy()
    unknown = has_link & (parent < 0)
    log.add("goals", g, pos[unknown], "goal_derived_from_unknown")
    p_safe = np.where(parent >= 0, parent, 0)
    invalid = (parent >= 0) & ((tc[p_safe] != tc) | (stage[p_safe] >= stage))
    log.add("goals", g, pos[invalid], "goal_derived_from_invalid")
    parent = np.where(invalid, -1, parent)
    idx = np.arange(m)
    root = np.where(parent >= 0, parent, idx)
    # Parents are at a strictly earlier stage, so chains are at most len(STAGE) long and
    # pointer jumping (root <- root[root]) converges in at most ceil(log2(5)) + 1 rounds.
    for _ in range(len(STAGE) + 1):
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt

    # ---- earliest and last stage per trajectory
    has = np.zeros((n, len(STAGE)), dtype=bool)
    has[tc, stage] = True
    any_goal = has.any(axis=1)
    first_stage = np.where(any_goal, has.argmax(axis=1), -1)
    last_stage = np.where(any_goal, len(STAGE) - 1 - has[:, ::-1].argmax(axis=1), -1)

    by_res = np.isin(author, _AUTH_RES)
    is_r = (stage == first_stage[tc]) & by_res
    at_last = stage == last_stage[tc]
    in_final = at_last & (status != _ST_DROPPED)
    achieved = status == _ST_ACHIEVED
    # per lineage (indexed by root position)
    lin_final = _count(root, m, in_final) > 0
    lin_achieved = _count(root, m, achieved) > 0
    gas_goal = at_last & ~np.isnan(att)

    # A goal contributes when it belongs to a resident goal's lineage, is in the last plan,
    # carries a GAS score used, or links a last-plan goal to its root (ownership).
    used = is_r[root] | in_final | gas_goal | lin_final[root]
    log.add("goals", g, pos[~used], "goal_not_used")
    return _GoalRecords(
        pos=pos,
        tc=tc,
        stage=stage,
        author=author,
        status=status,
        att=att,
        parent=parent,
        root=root,
        first_stage=first_stage,
        last_stage=last_stage,
        by_res=by_res,
        is_r=is_r,
        at_last=at_last,
        in_final=in_final,
        lin_final=lin_final,
        lin_achieved=lin_achieved,
        gas_goal=gas_goal,
        used=used,
    )


def _goal_outcomes(
    g: pd.DataFrame, tr: _Traj, log: _Log
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The goal columns of the outcome table, and per trajectory what the flow table needs."""
    n = len(tr.frame)
    r = _goal_records(g, tr, log)
    tc = r.tc
    n_r = _count(tc, n, r.is_r)
    n_ret = _count(tc, n, r.retained)
    n_ach = _count(tc, n, r.is_r & r.lin_achieved)
    n_final = _count(tc, n, r.in_final)
    n_owned = _count(tc, n, r.in_final & r.owned)
    gas_n = _count(tc, n, r.gas_goal)
    gas_sum = _count(tc, n, np.where(r.gas_goal, r.att, 0.0))
    retention = _div(n_ret, n_r)
    no_lineage = np.zeros(n, dtype=bool)
    if not lineage_recorded(g):
        # no derived_from anywhere: a goal carried to a later plan cannot be told from a
        # new one, so retention is unknown wherever the goals span more than one stage
        no_lineage = (r.first_stage >= 0) & (r.last_stage > r.first_stage)
        retention = np.where(no_lineage, np.nan, retention)
    return {
        "n_resident_goals": _int64(n_r),
        "n_resident_goals_retained": _int64(n_ret, no_lineage),
        "goal_retention": retention,
        "n_goals_final": _int64(n_final),
        "goal_ownership": _div(n_owned, n_final),
        "goals_achieved_share": _div(n_ach, n_r),
        "gas_t": gas_t_score(gas_sum, gas_n),
    }, {"n_goals": _count(tc, n), "first_stage": r.first_stage, "last_stage": r.last_stage}


def lineage_recorded(goals: pd.DataFrame) -> bool:
    """True when some goal has ``derived_from`` (or there are no goals): lineage is known.

    Without any ``derived_from`` a goal carried to a later plan cannot be told from a new
    goal, so ``goal_retention`` is missing wherever goals span more than one stage.
    """
    if len(goals) == 0:
        return True
    return "derived_from" in goals.columns and bool(goals["derived_from"].notna().any())


def _norm_text(s: pd.Series) -> pd.Series:
    """Goal text compared for rewording: trimmed, case-folded, runs of spaces as one."""
    return s.astype("string").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)


def goal_table(data: PilotData) -> pd.DataFrame:
    """One row per counted goal: its lineage root, state and the flags of the goal outcomes.

    The goals the outcome table counts (known trajectory, ``stage``, ``author`` and
    ``status`` present, first row of a ``goal_id``), with the rules of
    ``docs/outcomes.md`` section 2 applied once, as in :func:`~wattelt_eval.outcome_set`.
    Computed on demand (also as ``OutcomeSet.goals``): nothing of it is kept by default.

    Parameters
    ----------
    data : PilotData

    Returns
    -------
    DataFrame
        Columns :data:`GOAL_COLUMNS`, rows in source order: ``stage_order`` (0 = intake);
        ``parent_id`` the ``derived_from`` link used (missing when absent, unknown or
        invalid); ``root_id`` the lineage root; ``first_stage`` / ``last_stage`` the
        trajectory's earliest and last stage with goals; ``resident_goal`` (in R);
        ``resident_lineage`` (its root is a resident goal); ``in_final_plan`` (last stage,
        not dropped); ``lineage_achieved`` (a goal of its lineage is achieved);
        ``retained`` (resident goals only, else missing); ``owned`` (root by the resident
        or jointly); ``reworded`` (text differs from the root's, ignoring case and
        spacing; both present); ``gas_scored`` (its attainment enters ``gas_t``);
        ``used`` (counts in some goal outcome); ``date`` the date of the plan version.
    """
    from ..schema import ARM

    log = _Log()
    tr = _prepare_trajectories(data, log)
    g = data.goals
    r = _goal_records(g, tr, log)
    stages = list(STAGE)
    src = g.iloc[r.pos].reset_index(drop=True)
    goal_id = src["goal_id"].astype("string")
    root_id = goal_id.iloc[r.root].reset_index(drop=True)
    parent_id = goal_id.iloc[np.where(r.parent >= 0, r.parent, 0)].reset_index(drop=True)
    parent_id = parent_id.where(pd.Series(r.parent >= 0), pd.NA)
    text = _norm_text(src["text"]) if "text" in src.columns else pd.Series(pd.NA, index=src.index)
    root_text = text.iloc[r.root].reset_index(drop=True)
    reworded = (text != root_text).fillna(False).astype(bool)
    arm = tr.arm[r.tc] if len(r.tc) else np.array([], dtype=np.int64)
    first, last = r.first_stage[r.tc], r.last_stage[r.tc]
    out = pd.DataFrame(
        {
            "trajectory_id": pd.Series(tr.index[r.tc], dtype="string"),
            "arm": pd.Categorical.from_codes(arm, categories=list(ARM)),
            "goal_id": goal_id,
            "stage": pd.Categorical.from_codes(r.stage, categories=stages, ordered=True),
            "stage_order": r.stage.astype(np.int8),
            "author": pd.Categorical.from_codes(r.author, categories=list(AUTHOR)),
            "status": pd.Categorical.from_codes(r.status, categories=list(STATUS)),
            "derived_from": src["derived_from"].astype("string"),
            "parent_id": parent_id,
            "root_id": root_id,
            "first_stage": pd.Categorical.from_codes(first, categories=stages, ordered=True),
            "last_stage": pd.Categorical.from_codes(last, categories=stages, ordered=True),
            "resident_goal": r.is_r,
            "resident_lineage": r.is_r[r.root],
            "in_final_plan": r.in_final,
            "lineage_achieved": r.lin_achieved[r.root],
            "retained": _bool(r.retained, ~r.is_r).array,
            "owned": r.owned,
            "reworded": reworded.to_numpy(dtype=bool),
            "gas_scored": r.gas_goal,
            "used": r.used,
            "date": src["date"] if "date" in src.columns else pd.NaT,
        }
    )
    return out[GOAL_COLUMNS]
