"""Phase 2: the rows of the realised world, one function per table.

Each resident lives in one world (``res["demand"]``): :func:`realised` picks that
world's arrays from the two potential worlds, and each ``*_table`` function turns them
into one table of the data model (docs/data_model.md) in canonical form (index not yet
set). The functions draw the row-level details (professionals, goal wording, scores,
end reasons) from ``rng``; :func:`expand` calls them in a fixed order, so the same
seed gives the same rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from ..instruments import Instrument
from ._arrays import SUFFIX, pa_take, select, str_join, str_take
from .designs import DesignConfig
from .population import (
    CONTACT_TYPES,
    GMAX,
    N_SLOTS,
    ROLES,
    SLOT_ASSESS,
    SLOT_DESK,
    SLOT_FINAL,
    SLOT_FOLLOW,
    SLOT_HAND,
    SLOT_REVIEW,
    SLOT_SPEC,
    SMAX,
    SPECIALIST_ORGS,
)
from .provision_catalogue import AIDS, DRAWN, GENERAL, PRODUCTS, PROVISIONS, TAILORED

Arrays = dict[str, np.ndarray]

# goal texts: "<Domain>: <phrase>", resident-like (resident/jointly) or professional
_RES_PHRASES = (
    "weer zelf regelen",
    "meer rust en overzicht",
    "minder zorgen",
    "vaker onder de mensen",
    "stap voor stap vooruit",
    "weer plezier hebben",
)
_PRO_PHRASES = ("stabiliseren", "inzet ondersteuning", "situatie monitoren", "toeleiden naar hulp")
_STATUS = schema.STATUS.index
_AUTHOR = schema.AUTHOR.index


def expand(
    rng: np.random.Generator,
    res: Arrays,
    com: Arrays,
    wd: dict,
    ws: dict,
    cfg: DesignConfig,
    instrument: Instrument,
    tids: pa.Array,
    eff: dict[str, float],
) -> dict[str, pd.DataFrame]:
    """The realised world's six tables (canonical columns, index not yet set).

    The tables are built in this order because each draws from ``rng``: contacts,
    goals, domain scores, trajectories (staff time and provisions draw nothing).
    """
    rw = realised(res, com, wd, ws)
    rows = contact_rows(rw, res, tids)
    tables = {
        "contacts": contacts_table(rng, rows, rw, res, com, cfg),
        "staff_time": staff_time_table(rows, rw),
        "goals": goals_table(rng, rw, res, com, instrument, tids),
        "provisions": provisions_table(res, wd, ws, tids),
        "domain_scores": domain_scores_table(rng, rw, res, instrument, tids, eff),
        "trajectories": trajectories_table(rng, rw, res, com, cfg, tids),
    }
    return tables


def realised(res: Arrays, com: Arrays, wd: dict, ws: dict) -> Arrays:
    """The arrays of the world each resident lives in (contacts and goals)."""
    sel = functools.partial(select, res["demand"])
    return {
        "active": sel(wd["contact_active"], ws["contact_active"]),
        "day": sel(wd["contact_day"], ws["contact_day"]),
        "plan_av": sel(wd["plan_av"], ws["plan_av"]),
        "told": sel(wd["told"], ws["told"]),
        "recorded": wd["recorded"],  # the same in both worlds
        "minutes": sel(wd["minutes"], ws["minutes"]),
        "role": sel(wd["role"], ws["role"]),
        "s": sel(wd["s"], ws["s"]),
        "k_p": sel(wd["k_p"], ws["k_p"]),
        "valid": sel(wd["goal_valid"], ws["goal_valid"]),
        "retained": sel(wd["goal_retained"], ws["goal_retained"]),
    }


# ---------------------------------------------------------------------------------------
# contacts and staff time
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRows:
    """One row per contact that happened: its trajectory, slot, date and trajectory id."""

    traj: np.ndarray
    slot: np.ndarray
    date: np.ndarray
    tid: pa.Array


def contact_rows(rw: Arrays, res: Arrays, tids: pa.Array) -> ContactRows:
    ti, slot = np.nonzero(rw["active"])
    date = res["start"][ti] + rw["day"][ti, slot].astype("timedelta64[D]")
    return ContactRows(ti, slot, date, pc.take(tids, pa.array(ti)))


def _organisations(cfg: DesignConfig) -> list[str]:
    """Service desks (one per municipality), then the teams, then the specialist organisations."""
    desks = [f"servicebureau_{m.lower()}" for m in cfg.municipalities]
    return desks + list(cfg.teams) + list(SPECIALIST_ORGS)


def _slot_organisation(rw: Arrays, res: Arrays, com: Arrays, cfg: DesignConfig) -> np.ndarray:
    """Index into :func:`_organisations` per trajectory x slot."""
    n = len(res["age"])
    n_muni, n_teams = len(cfg.municipalities), len(cfg.teams)
    s = rw["s"]
    spec_org = np.argsort(com["org_key"], axis=1)[:, :SMAX]  # distinct specialist organisations
    org = np.empty((n, N_SLOTS), dtype=np.int64)
    org[:] = (n_muni + res["team"])[:, None]
    org[:, SLOT_DESK] = res["muni"]
    for j in range(SMAX):
        org[:, SLOT_SPEC[j]] = n_muni + n_teams + spec_org[:, j]
    for k, sl in enumerate(SLOT_FOLLOW):
        jj = np.minimum(k, SMAX - 1)
        org[:, sl] = np.where(k < s, n_muni + n_teams + spec_org[:, jj], org[:, sl])
    return org


def _slot_contact_type() -> np.ndarray:
    ctype = np.full(N_SLOTS, CONTACT_TYPES.index("follow_up"))
    ctype[SLOT_DESK] = CONTACT_TYPES.index("intake")
    ctype[SLOT_ASSESS] = CONTACT_TYPES.index("assessment")
    ctype[SLOT_HAND] = CONTACT_TYPES.index("handover")
    ctype[SLOT_SPEC] = CONTACT_TYPES.index("intake")
    ctype[SLOT_REVIEW] = CONTACT_TYPES.index("evaluation")
    ctype[SLOT_FINAL] = CONTACT_TYPES.index("evaluation")
    return ctype


def contacts_table(
    rng: np.random.Generator,
    rows: ContactRows,
    rw: Arrays,
    res: Arrays,
    com: Arrays,
    cfg: DesignConfig,
) -> pd.DataFrame:
    """The ``contacts`` table; draws which professional (3 per organisation, 4 at a desk)."""
    ti, slot = rows.traj, rows.slot
    k_in = np.cumsum(rw["active"], axis=1)[ti, slot] - 1  # running number within trajectory
    org_names = _organisations(cfg)
    c_org = _slot_organisation(rw, res, com, cfg)[ti, slot]
    prof_no = np.floor(rng.random(len(ti)) * 3).astype(np.int64)
    prof_no = np.where(
        slot == SLOT_DESK, np.floor(rng.random(len(ti)) * 4).astype(np.int64), prof_no
    )
    c_told = np.where(rw["recorded"][ti, slot], rw["told"][ti, slot].astype(np.int8), -1)
    return pd.DataFrame(
        {
            "contact_id": str_join(rows.tid, pa_take(SUFFIX["C"], k_in)),
            "trajectory_id": pd.arrays.ArrowStringArray(rows.tid),
            "date": rows.date.astype("datetime64[ns]"),
            "organisation": str_take(org_names, c_org),
            "professional_id": str_join(
                pa_take([f"P{i:03d}" for i in range(len(org_names))], c_org),
                pa_take([f"-{i}" for i in range(4)], prof_no),
            ),
            "role": str_take(ROLES, rw["role"][ti, slot]),
            "contact_type": str_take(CONTACT_TYPES, _slot_contact_type()[slot]),
            "story_told": pd.arrays.BooleanArray(c_told == 1, c_told < 0),
            "plan_available": pd.arrays.BooleanArray(
                rw["plan_av"][ti, slot], np.zeros(len(ti), bool)
            ),
        }
    )


def staff_time_table(rows: ContactRows, rw: Arrays) -> pd.DataFrame:
    """The ``staff_time`` table: one row per contact, with its minutes."""
    ti, slot = rows.traj, rows.slot
    return pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(rows.tid),
            "date": rows.date.astype("datetime64[ns]"),
            "role": str_take(ROLES, rw["role"][ti, slot]),
            "minutes": rw["minutes"][ti, slot],
        }
    )


# ---------------------------------------------------------------------------------------
# goals
# ---------------------------------------------------------------------------------------


def goal_fates(rw: Arrays, com: Arrays) -> Arrays:
    """Fate of each resident goal slot: achieved, kept to the end, dropped or replaced."""
    valid, retained, wg = rw["valid"], rw["retained"], com["w_goal"]
    achieved = retained & (wg < 0.45)
    dropped = valid & ~retained & (wg < 0.5)
    return dict(
        achieved=achieved,
        kept=retained & ~achieved,
        dropped=dropped,
        replaced=valid & ~retained & ~dropped,
    )


@dataclass(frozen=True)
class _Stages:
    """The plan stages each trajectory has (intake, plan, specialist plan, review, final)."""

    stage_of_pos: np.ndarray  # trajectory x position -> stage index (-1 past the last)
    day: np.ndarray  # trajectory x stage -> day after the start
    last: np.ndarray  # position of the last stage per trajectory


def _stages(rw: Arrays, res: Arrays) -> _Stages:
    n = len(res["age"])
    dur, ended, day = res["duration"], res["ended"], rw["day"]
    review = dur >= 120
    present = np.column_stack([np.ones(n, bool), np.ones(n, bool), rw["s"] > 0, review, ended])
    stage_of_pos = np.full((n, 5), -1, dtype=np.int64)
    pos_idx = np.cumsum(present, axis=1) - 1
    rows_i, cols_i = np.nonzero(present)
    stage_of_pos[rows_i, pos_idx[rows_i, cols_i]] = cols_i
    stage_day = np.column_stack(
        [
            np.zeros(n, np.int64),
            day[:, SLOT_ASSESS],
            np.minimum(day[:, SLOT_SPEC[0]] + 14, np.where(review, dur // 2, dur)),
            dur // 2,
            dur,
        ]
    )
    return _Stages(stage_of_pos, stage_day, present.sum(axis=1) - 1)


@dataclass(frozen=True)
class _Lineages:
    """Goal lineages (a goal and its rewordings across stages), one entry per lineage."""

    traj: np.ndarray
    start: np.ndarray  # first stage position
    end: np.ndarray  # last stage position
    status: np.ndarray  # final status
    author: np.ndarray
    domain: np.ndarray
    kind: np.ndarray  # 0 resident, 1 professional replacement, 2 professional, 3 anchor


def _resident_goal_ends(
    rw: Arrays, res: Arrays, com: Arrays, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Resident goal slots (n x GMAX): ``(end position, final status, author, replaced)``."""
    f = goal_fates(rw, com)
    lastc = last[:, None]
    zg = com["z_goal"]
    e_ach_drop = 1 + np.floor(zg * lastc).astype(np.int64)  # 1..L-1
    e_repl = np.floor(zg * lastc).astype(np.int64)  # 0..L-2
    end_pos = np.where(f["kept"], lastc, np.where(f["replaced"], e_repl, e_ach_drop))
    end_pos = np.minimum(end_pos, lastc)
    status_end = np.full(end_pos.shape, _STATUS("active"))
    kept_status = np.where(
        com["w_goal"] < 0.72, _STATUS("partly_achieved"), _STATUS("not_achieved")
    )
    status_end = np.where(f["kept"] & res["ended"][:, None], kept_status, status_end)
    status_end = np.where(f["achieved"], _STATUS("achieved"), status_end)
    status_end = np.where(f["dropped"], _STATUS("dropped"), status_end)
    author_r = np.where(com["u_joint"] < 0.3, _AUTHOR("jointly"), _AUTHOR("resident"))
    return end_pos, status_end, author_r, f["replaced"]


def _lineages(
    rng: np.random.Generator, rw: Arrays, res: Arrays, com: Arrays, last: np.ndarray
) -> _Lineages:
    """Resident goals, professional replacements, professional goals and anchors.

    Draws, in this order: the resident goals' domains, the professional goals' domains
    and the anchors' domains.
    """
    n = len(res["age"])
    ended = res["ended"]
    n_dom = res["problem"].shape[1]
    # resident goals' domains: a problem domain where there is one
    dom_key = rng.random((n, GMAX, n_dom)) + res["problem"][:, None, :]
    dom_r = dom_key.argmax(axis=2)
    end_pos, status_end, author_r, replaced = _resident_goal_ends(rw, res, com, last)
    parts: list[tuple] = []  # (traj, start, end, status, author, domain, kind)
    vi, vj = np.nonzero(rw["valid"])
    parts.append(
        (
            vi,
            np.zeros(len(vi), np.int64),
            end_pos[vi, vj],
            status_end[vi, vj],
            author_r[vi, vj],
            dom_r[vi, vj],
            np.zeros(len(vi), np.int64),
        )
    )
    # a replaced resident goal continues as a professional goal in the same domain
    ri, rj = np.nonzero(replaced)
    parts.append(
        (
            ri,
            end_pos[ri, rj] + 1,
            last[ri],
            np.where(ended[ri], _STATUS("partly_achieved"), _STATUS("active")),
            np.full(len(ri), _AUTHOR("professional")),
            dom_r[ri, rj],
            np.ones(len(ri), np.int64),
        )
    )
    # professional goals at intake
    pi, pj = np.nonzero(np.arange(3)[None, :] < rw["k_p"][:, None])
    p_ach = com["u_prof_fate"][pi, pj] < 0.3
    p_end = np.where(
        p_ach, 1 + np.floor(com["z_prof"][pi, pj] * last[pi]).astype(np.int64), last[pi]
    )
    p_end = np.minimum(p_end, last[pi])
    p_status = np.where(ended[pi], _STATUS("not_achieved"), _STATUS("active"))
    parts.append(
        (
            pi,
            np.zeros(len(pi), np.int64),
            p_end,
            np.where(p_ach, _STATUS("achieved"), p_status),
            np.full(len(pi), _AUTHOR("professional")),
            np.floor(rng.random(len(pi)) * n_dom).astype(np.int64),
            np.full(len(pi), 2, np.int64),
        )
    )
    # anchor: a new jointly-made goal at the last stage when no goal reaches it otherwise
    reach = np.zeros(n, bool)
    reach[vi[end_pos[vi, vj] == last[vi]]] = True
    reach[ri] = True
    reach[pi[p_end == last[pi]]] = True
    ai = np.flatnonzero(~reach)
    parts.append(
        (
            ai,
            last[ai],
            last[ai],
            np.where(ended[ai], _STATUS("partly_achieved"), _STATUS("active")),
            np.full(len(ai), _AUTHOR("jointly")),
            np.floor(rng.random(len(ai)) * n_dom).astype(np.int64),
            np.full(len(ai), 3, np.int64),
        )
    )
    return _Lineages(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _goal_texts(
    rng: np.random.Generator,
    lin: _Lineages,
    g_lin: np.ndarray,
    reword: np.ndarray,
    instrument: Instrument,
) -> pa.Array:
    """``"<Domain>: <phrase>"``, marked when reworded (draws one phrase per row)."""
    dom_labels = [d.label_nl.lower() for d in instrument.domains]
    resident_like = np.isin(lin.author[g_lin], [_AUTHOR("resident"), _AUTHOR("jointly")])
    m = len(g_lin)
    phr = np.where(
        resident_like,
        np.floor(rng.random(m) * len(_RES_PHRASES)).astype(np.int64),
        len(_RES_PHRASES) + np.floor(rng.random(m) * len(_PRO_PHRASES)).astype(np.int64),
    )
    return pc.binary_join_element_wise(
        pa_take([lb[:1].upper() + lb[1:] for lb in dom_labels], lin.domain[g_lin]),
        pa_take([f": {p}" for p in (*_RES_PHRASES, *_PRO_PHRASES)], phr),
        pa_take(["", " (anders geformuleerd)"], reword.astype(np.int64)),
        "",
    )


def _attainment(rng: np.random.Generator, status: np.ndarray, is_last: np.ndarray) -> np.ndarray:
    """GAS attainment (-2..+2) on the final row of a lineage by its status; -9 = none."""
    att = np.full(len(status), -9, np.int64)
    u_att = rng.random(len(status))
    att = np.where(is_last & (status == _STATUS("achieved")), np.where(u_att < 0.5, 1, 2), att)
    att = np.where(
        is_last & (status == _STATUS("partly_achieved")), np.where(u_att < 0.7, 0, -1), att
    )
    att = np.where(
        is_last & (status == _STATUS("not_achieved")), np.where(u_att < 0.5, -1, -2), att
    )
    return att


def goals_table(
    rng: np.random.Generator,
    rw: Arrays,
    res: Arrays,
    com: Arrays,
    instrument: Instrument,
    tids: pa.Array,
) -> pd.DataFrame:
    """The ``goals`` table: each lineage written out as one row per stage it spans.

    Draws, in this order: the lineages (:func:`_lineages`), which continuation rows are
    reworded, the texts and the attainment.
    """
    n = len(res["age"])
    stages = _stages(rw, res)
    lin = _lineages(rng, rw, res, com, stages.last)
    length = lin.end - lin.start + 1
    # rows in lineage-major order
    g_lin = np.repeat(np.arange(len(lin.traj)), length)
    step = np.arange(len(g_lin)) - np.repeat(np.cumsum(length) - length, length)
    g_traj = lin.traj[g_lin]
    g_pos = lin.start[g_lin] + step
    is_last = step == length[g_lin] - 1
    g_status = np.where(is_last, lin.status[g_lin], _STATUS("active"))
    # rewording: a continuation row is reworded (jointly) with probability 0.3
    reword = (step > 0) & (rng.random(len(g_lin)) < 0.3)
    g_author = np.where(reword & (lin.kind[g_lin] == 0), _AUTHOR("jointly"), lin.author[g_lin])
    # numbering in stage-major order within a trajectory
    order = np.lexsort((g_lin, g_pos, g_traj))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    tstart = np.searchsorted(g_traj[order], np.arange(n))  # first row (sorted) per trajectory
    k_goal = rank - tstart[g_traj]
    if len(k_goal) and k_goal.max() >= 100:  # pragma: no cover - structural guard
        raise RuntimeError("more than 99 goal rows in a trajectory")
    g_tid = pc.take(tids, pa.array(g_traj))
    g_id = pc.binary_join_element_wise(g_tid, pa_take(SUFFIX["G"], k_goal), "")
    prev = np.arange(len(g_lin)) - 1
    derived = pc.take(g_id, pa.array(np.where(step > 0, prev, 0), mask=step == 0))
    g_stage = stages.stage_of_pos[g_traj, g_pos]
    g_date = res["start"][g_traj] + stages.day[g_traj, g_stage].astype("timedelta64[D]")
    text = _goal_texts(rng, lin, g_lin, reword, instrument)
    att = _attainment(rng, g_status, is_last)
    goals = pd.DataFrame(
        {
            "goal_id": pd.arrays.ArrowStringArray(g_id),
            "trajectory_id": pd.arrays.ArrowStringArray(g_tid),
            "stage": str_take(schema.STAGE, g_stage),
            "date": g_date.astype("datetime64[ns]"),
            "author": str_take(schema.AUTHOR, g_author),
            "domain": str_take(instrument.domain_codes, lin.domain[g_lin]),
            "text": pd.arrays.ArrowStringArray(text),
            "derived_from": pd.arrays.ArrowStringArray(derived),
            "status": str_take(schema.STATUS, g_status),
            "attainment": pd.arrays.IntegerArray(np.where(att == -9, 0, att), att == -9),
        }
    )
    return goals.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# provisions
# ---------------------------------------------------------------------------------------

_PROVISION_FIELDS = ("traj", "cat", "prod", "start", "end", "open", "vol", "unit", "freq")


def _provision_columns(key: str, idx: np.ndarray, kind: np.ndarray, src: Arrays) -> dict:
    """Codes and amounts of provision ``key`` for the trajectories ``idx`` that have it."""
    m = len(idx)
    cat_codes = list(schema.IWMO_CATEGORIES)
    nan = np.full(m, np.nan)
    out: dict[str, Any] = dict(traj=idx, start=src["start"], end=src["end"], open=src["open"])
    if key == "aid":
        a = kind[idx]
        out.update(
            cat=np.array([cat_codes.index(x["cat"]) for x in AIDS])[a],
            prod=np.array([i for i, _ in enumerate(AIDS)])[a],
            unit=np.array([schema.UNIT.index(x["unit"]) for x in AIDS])[a],
            freq=np.array([schema.FREQUENCY.index(x["freq"]) for x in AIDS])[a],
            vol=src["volume"],
            price=src["price"],
            amount=nan,
        )
        return out
    spec = {**PROVISIONS, "tailored": TAILORED, "general": GENERAL}[key]
    if key == "general":
        prod = -1
    elif key == "tailored":
        prod = len(AIDS) + len(PROVISIONS)
    else:
        prod = len(AIDS) + list(PROVISIONS).index(key)
    out.update(
        cat=np.full(m, cat_codes.index(spec["cat"])),
        prod=np.full(m, prod),
        unit=np.full(m, schema.UNIT.index(spec["unit"])),
        freq=np.full(m, schema.FREQUENCY.index(spec["freq"])),
    )
    if key == "general":  # a general provision has an amount, no volume or price
        out.update(vol=nan, price=nan, amount=src["price"])
    else:
        out.update(vol=src["volume"], price=src["price"], amount=nan)
    return out


def provisions_table(res: Arrays, wd: dict, ws: dict, tids: pa.Array) -> pd.DataFrame:
    """The ``provisions`` table: one row per provision of the realised world."""
    t, start = res["demand"], res["start"]
    prov_d, prov_s = wd["prov"], ws["prov"]
    parts = []
    for key in (*DRAWN, "tailored", "general"):
        pd_, ps_ = prov_d[key], prov_s[key]
        idx = np.flatnonzero(np.where(t, pd_["have"], ps_["have"]))
        src = {
            f: np.where(t, pd_[f], ps_[f])[idx] for f in ("start", "end", "open", "volume", "price")
        }
        parts.append(_provision_columns(key, idx, pd_.get("kind"), src))
    pt = np.concatenate([p["traj"] for p in parts])
    order_p = np.argsort(pt, kind="stable")
    pt = pt[order_p]

    def cat(name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in parts])[order_p]

    p_start, p_end, p_open = cat("start"), cat("end"), cat("open").astype(bool)
    k_prov = np.arange(len(pt)) - np.searchsorted(pt, pt)
    p_tid = pc.take(tids, pa.array(pt))
    end_date = start[pt] + p_end.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "provision_id": str_join(p_tid, pa_take(SUFFIX["V"], k_prov)),
            "trajectory_id": pd.arrays.ArrowStringArray(p_tid),
            "category": str_take(list(schema.IWMO_CATEGORIES), cat("cat")),
            "product_code": str_take(PRODUCTS, cat("prod")),
            "start_date": (start[pt] + p_start.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "end_date": pd.Series(end_date.astype("datetime64[ns]")).where(~p_open).to_numpy(),
            "volume": cat("vol"),
            "unit": str_take(schema.UNIT, cat("unit")),
            "frequency": str_take(schema.FREQUENCY, cat("freq")),
            "unit_price": cat("price"),
            "amount": cat("amount"),
        }
    )


# ---------------------------------------------------------------------------------------
# domain scores
# ---------------------------------------------------------------------------------------


def domain_scores_table(
    rng: np.random.Generator,
    rw: Arrays,
    res: Arrays,
    instrument: Instrument,
    tids: pa.Array,
    eff: dict[str, float],
) -> pd.DataFrame:
    """The ``domain_scores`` table: every domain at 2-4 measurements by 2-3 raters.

    Draws, in this order: the intake scores, whether a carer scores too, the rater noise.
    """
    n = len(res["age"])
    t, dur, problem = res["demand"], res["duration"], res["problem"]
    n_dom = problem.shape[1]
    smin, smax = float(instrument.scale_min), float(instrument.scale_max)
    thr = float(instrument.problem_threshold)
    lo_p, hi_p = np.ceil(smin), np.floor(thr)
    lo_n, hi_n = np.floor(thr) + 1, np.floor(smax)
    u0 = rng.random(problem.shape)
    base = np.where(
        problem, lo_p + np.floor(u0 * (hi_p - lo_p + 1)), lo_n + np.floor(u0 * (hi_n - lo_n + 1))
    )
    follow = np.minimum(dur, res["observed"])
    n_meas = 2 + (follow >= 180) + (follow >= 360)
    carer = rng.random(n) < 0.25
    n_rat = 2 + carer
    grid = (np.arange(4)[None, :, None] < n_meas[:, None, None]) & (
        np.arange(3)[None, None, :] < n_rat[:, None, None]
    )  # trajectory x measurement x rater
    d_traj, mm, rr = np.nonzero(grid)
    d_traj = np.repeat(d_traj, n_dom)
    mm = np.repeat(mm, n_dom)
    rr = np.repeat(rr, n_dom)
    dd = np.tile(np.arange(n_dom), len(d_traj) // n_dom)
    scale = (smax - smin) / 9.0
    frac = mm / (n_meas[d_traj] - 1)
    is_prob = problem[d_traj, dd]
    gain = (
        frac * scale * (np.where(is_prob, 1.6, 0.2) + (t[d_traj] & is_prob) * eff["domain_change"])
    )
    # rater x (later measurement?) noise sd and offset; the resident's intake score is
    # exactly the drawn base, so the problem count at intake holds by construction
    later = (mm > 0).astype(np.int64)
    sd = np.array([[0.0, 0.5], [1.1, 1.25], [1.2, 1.35]]) * scale
    offset = np.array([0.0, -0.3, -0.5]) * scale
    z = rng.standard_normal(len(d_traj))
    raw = base[d_traj, dd] + gain + z * sd[rr, later] + offset[rr]
    score = np.clip(np.round(raw), smin, smax)
    assess_day = rw["day"][:, SLOT_ASSESS]
    m_day = np.floor(assess_day[d_traj] + frac * (follow[d_traj] - assess_day[d_traj])).astype(
        np.int64
    )
    d_tid = pc.take(tids, pa.array(d_traj))
    return pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(d_tid),
            "measurement": pd.arrays.IntegerArray(mm, np.zeros(len(mm), bool)),
            "date": (res["start"][d_traj] + m_day.astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            ),
            "instrument": str_take([instrument.code], np.zeros(len(d_traj), np.int64)),
            "domain": str_take(instrument.domain_codes, dd),
            "rater": str_take(schema.RATER, np.array([0, 1, 2])[rr]),
            "score": score,
        }
    )


# ---------------------------------------------------------------------------------------
# trajectories
# ---------------------------------------------------------------------------------------

#: End reasons other than goals_achieved, with their relative frequencies.
_OTHER_END_REASONS = ("no_support_needed", "referred", "moved", "withdrawn", "deceased", "other")
_OTHER_END_P = (0.28, 0.22, 0.1, 0.2, 0.08, 0.12)


def _end_reason(rng: np.random.Generator, rw: Arrays, res: Arrays, com: Arrays) -> np.ndarray:
    """Index into ``schema.END_REASON``: mostly goals_achieved when a goal was achieved."""
    n = len(res["age"])
    reason_of = schema.END_REASON.index
    any_ach = (goal_fates(rw, com)["achieved"] & rw["valid"]).any(axis=1)
    u_end = rng.random(n)
    reasons = np.array([reason_of(r) for r in _OTHER_END_REASONS])
    cum = np.cumsum(_OTHER_END_P)
    other_reason = reasons[np.minimum(np.searchsorted(cum, u_end * cum[-1], side="right"), 5)]
    other_reason = np.where(
        (other_reason == reason_of("deceased")) & (res["age"] < 65),
        reason_of("moved"),
        other_reason,
    )
    reason = np.where(any_ach & (u_end < 0.75), reason_of("goals_achieved"), other_reason)
    return np.where(res["ended"], reason, reason_of("ongoing"))


def trajectories_table(
    rng: np.random.Generator,
    rw: Arrays,
    res: Arrays,
    com: Arrays,
    cfg: DesignConfig,
    tids: pa.Array,
) -> pd.DataFrame:
    """The ``trajectories`` table (draws the end reason)."""
    n = len(res["age"])
    t, start, ended = res["demand"], res["start"], res["ended"]
    reason = _end_reason(rng, rw, res, com)
    t_end = start + res["duration"].astype("timedelta64[D]")
    start_year = start.astype("datetime64[Y]").astype(np.int64) + 1970
    return pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(tids),
            "resident_id": pd.arrays.ArrowStringArray(pc.utf8_replace_slice(tids, 0, 1, "R")),
            "arm": str_take(schema.ARM, np.where(t, 0, 1)),
            "period": str_take(schema.PERIOD, res["period"]),
            "municipality": str_take(cfg.municipalities, res["muni"]),
            "team": str_take(cfg.teams, res["team"]),
            "start_date": start.astype("datetime64[ns]"),
            "end_date": pd.Series(t_end.astype("datetime64[ns]")).where(ended).to_numpy(),
            "end_reason": str_take(schema.END_REASON, reason),
            "birth_year": pd.arrays.IntegerArray(start_year - res["age"], np.zeros(n, bool)),
            "sex": str_take(schema.SEX, res["sex"]),
            "household": str_take(schema.HOUSEHOLD, res["household"]),
        }
    )
