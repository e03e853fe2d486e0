"""Costs: provisions and staff time within the cost window, per trajectory and CBS group.

Rules and worked examples: ``docs/outcomes.md`` section 4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from ..i18n import pair
from ..schema import CATEGORY_TO_CBS_GROUP, CBS_GROUPS, FREQUENCY, IWMO_CATEGORIES, ROLE, UNIT
from ._arrays import _bool, _codes, _count, _days, _float
from .log import _Log
from .trajectories import _dedupe_ids, _link, _Traj

if TYPE_CHECKING:
    from ..data import PilotData

#: Days per month for ``per_month`` provisions (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12
#: Cost columns per CBS group (``cost_<group>``), in the order of :data:`schema.CBS_GROUPS`.
COST_GROUP_COLUMNS = [f"cost_{g}" for g in CBS_GROUPS]

_FREQ_TOTAL, _FREQ_WEEK, _FREQ_MONTH, _FREQ_DAY = (
    FREQUENCY.index(f) for f in ("total", "per_week", "per_month", "per_day")
)
_UNIT_EURO = UNIT.index("euro")
_CATEGORIES = list(IWMO_CATEGORIES)
_GROUPS = list(CBS_GROUPS)
_CAT_GROUP = np.array([_GROUPS.index(CATEGORY_TO_CBS_GROUP[c]) for c in _CATEGORIES])
_CAT_GENERAL = _CATEGORIES.index("00")


def _cost_outcomes(data: PilotData, tr: _Traj, window_days: int, log: _Log) -> dict[str, Any]:
    """The cost columns of the outcome table (provisions and staff time in the window)."""
    n = len(tr.frame)
    ws = tr.start
    we_ = tr.start + window_days - 1

    # ---- provisions
    p = data.provisions
    tc_all = _link(p, "provisions", tr, log)
    ps_all, ps_ok = _days(p["start_date"])
    cat_all = _codes(p["category"], _CATEGORIES)
    linked = tc_all >= 0
    missing = linked & (~ps_ok | (cat_all < 0))
    log.add("provisions", p, missing, "provision_missing_field")
    ok = linked & ~missing
    no_start = ok & ~tr.start_valid[np.where(linked, tc_all, 0)]
    ok &= ~no_start  # trajectory without start date: cost unknown (trajectory logged)
    ok = _dedupe_ids(p, "provisions", "provision_id", ok, log)
    pe_all, pe_ok = _days(p["end_date"])
    bad_end = ok & pe_ok & (pe_all < ps_all)
    log.add("provisions", p, bad_end, "provision_end_before_start")
    ok &= ~bad_end
    pos = np.flatnonzero(ok)
    tc = tc_all[pos]
    ps = ps_all[pos]
    w0 = ws[tc]
    w1 = we_[tc]
    pe = np.where(pe_ok[pos], pe_all[pos], w1)  # open-ended: runs to the window's end
    overlap = np.maximum(np.minimum(pe, w1) - np.maximum(ps, w0) + 1, 0)
    span = np.maximum(pe - ps + 1, 1)
    inside = overlap > 0
    log.add("provisions", p, pos[~inside], "provision_outside_window")

    amount = _float(p["amount"])[pos]
    volume = _float(p["volume"])[pos]
    price = _float(p["unit_price"])[pos]
    unit = _codes(p["unit"], UNIT)[pos]
    price = np.where(np.isnan(price) & (unit == _UNIT_EURO), 1.0, price)
    freq = _codes(p["frequency"], FREQUENCY)[pos]
    freq = np.where(freq < 0, _FREQ_TOTAL, freq)
    vp = volume * price
    has_amount = ~np.isnan(amount)
    per_day = np.where(
        has_amount | (freq == _FREQ_TOTAL),
        np.where(has_amount, amount, vp) / span,
        np.select([freq == _FREQ_WEEK, freq == _FREQ_DAY], [vp / 7.0, vp], vp / DAYS_PER_MONTH),
    )
    cost = per_day * overlap
    cost_missing = inside & np.isnan(cost)
    log.add("provisions", p, pos[cost_missing], "provision_cost_missing")
    cost = np.where(inside & ~cost_missing, cost, 0.0)
    cat = cat_all[pos]
    group = _CAT_GROUP[cat]
    cost_prov = _count(tc, n, cost)
    unknown = (_count(tc, n, cost_missing) > 0) | ~tr.start_valid
    groups = np.bincount(
        tc * len(_GROUPS) + group, weights=cost, minlength=n * len(_GROUPS)
    ).reshape(n, len(_GROUPS))
    any_prov = _count(tc, n, inside & (cat != _CAT_GENERAL)) > 0

    # ---- staff time
    s = data.staff_time
    stc_all = _link(s, "staff_time", tr, log)
    sd_all, sd_ok = _days(s["date"])
    role_all = _codes(s["role"], ROLE)
    minutes_all = _float(s["minutes"])
    slinked = stc_all >= 0
    smissing = slinked & (~sd_ok | (role_all < 0) | np.isnan(minutes_all))
    log.add("staff_time", s, smissing, "staff_time_missing_field")
    sok = slinked & ~smissing & tr.start_valid[np.where(slinked, stc_all, 0)]
    spos = np.flatnonzero(sok)
    stc = stc_all[spos]
    sd = sd_all[spos]
    sin = (sd >= ws[stc]) & (sd <= we_[stc])
    log.add("staff_time", s, spos[~sin], "staff_time_outside_window")
    rates = data.study.rates
    lacking = [r for r in ROLE if r not in rates]
    if lacking and np.isin(role_all[spos], [ROLE.index(r) for r in lacking]).any():
        raise UsageError(*pair("outcome.error.missing_rates", roles=", ".join(lacking)))
    rate = np.array([float(rates.get(r, np.nan)) for r in ROLE])[role_all[spos]]
    scost = np.where(sin, minutes_all[spos] * rate / 60.0, 0.0)
    cost_staff = _count(stc, n, scost)

    nan_if = np.where(unknown, np.nan, 1.0)
    out: dict[str, Any] = {
        "cost_provisions": cost_prov * nan_if,
        "cost_staff": np.where(tr.start_valid, cost_staff, np.nan),
        "cost_total": (cost_prov + cost_staff) * nan_if,
        "any_provision": _bool(any_prov, ~tr.start_valid),
    }
    for j, col in enumerate(COST_GROUP_COLUMNS):
        out[col] = groups[:, j] * nan_if
    return out
