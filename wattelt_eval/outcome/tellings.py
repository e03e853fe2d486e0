"""Tellings: contacts in which the resident had to tell their story (again).

The telling rule (``docs/outcomes.md`` section 3) is applied once, per contact, by
:func:`_telling_records`; the per-trajectory columns of the outcome table
(:func:`_telling_outcomes`) and the per-contact table behind the retellings figure
(:func:`contact_table`) are both built from its arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..schema import CONTACT_TYPE
from ._arrays import (
    _codes,
    _count,
    _days,
    _div,
    _factorize,
    _int64,
    _later_duplicates,
    _order,
    _rank,
)
from .log import _Log
from .trajectories import _dedupe_ids, _link, _prepare_trajectories, _Traj

if TYPE_CHECKING:
    from ..data import PilotData

_CT_TELL = (CONTACT_TYPE.index("intake"), CONTACT_TYPE.index("assessment"))

#: Columns of :func:`contact_table`, in order.
CONTACT_COLUMNS = [
    "trajectory_id",
    "contact_id",
    "date",
    "organisation",
    "role",
    "contact_type",
    "arm",
    "telling",
    "inferred",
    "retelling",
    "plan_available",
]


@dataclass
class _ContactRecords:
    """The counted contacts of a package as arrays, one entry per contact (source order)."""

    pos: np.ndarray  # row position in the contacts table
    tc: np.ndarray  # trajectory code
    order: np.ndarray  # time order: by trajectory, date, then contact_id as text
    telling: np.ndarray  # the contact is a telling (observed or inferred)
    inferred: np.ndarray  # a telling inferred (story_told missing)


def _telling_records(c: pd.DataFrame, tr: _Traj, log: _Log) -> _ContactRecords:
    """Apply the telling rule of ``docs/outcomes.md`` section 3 to every contact (logged)."""
    tc_all = _link(c, "contacts", tr, log)
    day_all, day_ok = _days(c["date"])
    ctype_all = _codes(c["contact_type"], CONTACT_TYPE)
    linked = tc_all >= 0
    missing = linked & (~day_ok | (ctype_all < 0))
    log.add("contacts", c, missing, "contact_missing_field")
    ok = _dedupe_ids(c, "contacts", "contact_id", linked & ~missing, log)
    pos = np.flatnonzero(ok)
    tc = tc_all[pos]
    day = day_all[pos]
    ctype = ctype_all[pos]
    cid_rank = _rank(c["contact_id"].iloc[pos])
    org_code = _factorize(c["organisation"].iloc[pos])
    story = c["story_told"].astype("boolean").iloc[pos]
    story_missing = story.isna().to_numpy()
    story_true = story.to_numpy(dtype=bool, na_value=False)
    plan = c["plan_available"].astype("boolean").iloc[pos].to_numpy(dtype=bool, na_value=False)

    order = _order([tc, day, cid_rank])
    n_org = int(org_code.max()) + 2 if len(org_code) else 1
    key = tc[order].astype(np.int64) * n_org + org_code[order]
    # seen = key occurred earlier in time order (a stable sort of keys grouped by trajectory
    # already, not a hash table over millions of contacts); a missing organisation's key
    # is negative and never seen, it counts as new below anyway
    seen = _later_duplicates(key, np.arange(len(key)), np.ones(len(key), dtype=bool))
    new_org = np.empty(len(pos), dtype=bool)
    new_org[order] = ~seen | (org_code[order] < 0)  # a missing organisation counts as new
    inferred = story_missing & np.isin(ctype, _CT_TELL) & new_org & ~plan
    telling = story_true | inferred
    return _ContactRecords(pos=pos, tc=tc, order=order, telling=telling, inferred=inferred)


def _telling_outcomes(c: pd.DataFrame, tr: _Traj, log: _Log) -> dict[str, Any]:
    """The telling columns of the outcome table."""
    n = len(tr.frame)
    r = _telling_records(c, tr, log)
    n_contacts = _count(r.tc, n)
    n_tell = _count(r.tc, n, r.telling)
    n_inf = _count(r.tc, n, r.inferred)
    none = n_contacts == 0
    return {
        "n_contacts": _int64(n_contacts),
        "n_tellings": _int64(n_tell, none),
        "n_retells": _int64(np.maximum(n_tell - 1, 0), none),
        "retells_inferred": _div(n_inf, n_tell),
    }


def contact_table(data: PilotData) -> pd.DataFrame:
    """One row per counted contact, in time order: is it a telling, inferred, a retelling?

    The contacts the outcome table counts (known trajectory, ``date`` and
    ``contact_type`` present, first row of a ``contact_id``), with the telling rule of
    ``docs/outcomes.md`` section 3 applied once, as in :func:`~wattelt_eval.outcome_set`.
    A *retelling* is every telling after the trajectory's first, so per trajectory the
    retellings add up to ``n_retells``. ``plan_available`` is the recorded value (missing
    when not recorded; the telling rule reads a missing value as not true). Computed on demand (also as
    ``OutcomeSet.contacts``): nothing of it is kept by default.

    Returns
    -------
    DataFrame
        Columns :data:`CONTACT_COLUMNS`; rows ordered by trajectory, date, then
        ``contact_id`` (as text).
    """
    from ..schema import ARM

    log = _Log()
    tr = _prepare_trajectories(data, log)
    c = data.contacts
    r = _telling_records(c, tr, log)
    o = r.order
    tc = r.tc[o]
    telling = r.telling[o]
    # n-th telling within the trajectory (time order): retelling from the second on
    cum = np.cumsum(telling)
    start = np.r_[True, tc[1:] != tc[:-1]] if len(tc) else np.array([], dtype=bool)
    before = (cum - telling)[start]  # tellings before each trajectory's first contact
    nth = cum - np.repeat(before, np.diff(np.r_[np.flatnonzero(start), len(tc)]))
    src = c.iloc[r.pos[o]].reset_index(drop=True)
    arm = tr.arm[tc] if len(tc) else np.array([], dtype=np.int64)
    out = pd.DataFrame(
        {
            "trajectory_id": pd.Series(tr.index[tc], dtype="string"),
            "contact_id": src["contact_id"],
            "date": src["date"],
            "organisation": src["organisation"],
            "role": src["role"],
            "contact_type": src["contact_type"],
            "arm": pd.Categorical.from_codes(arm, categories=list(ARM)),
            "telling": telling,
            "inferred": r.inferred[o],
            "retelling": telling & (nth >= 2),
            "plan_available": src["plan_available"].astype("boolean").array,
        }
    )
    return out[CONTACT_COLUMNS]
