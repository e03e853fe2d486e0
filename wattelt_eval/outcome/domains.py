"""Domains: problem domains, change per domain, resident-professional gaps and monitoring.

Rules (which score rows count, first vs latest, the cohort view) and worked examples:
``docs/outcomes.md`` sections 6 and 7. Scores are processed in chunks of whole
trajectories so memory stays bounded at national scale (section 11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..schema import MEASUREMENT_MAX, RATER
from ._arrays import (
    _codes,
    _count,
    _div,
    _float,
    _int64,
    _lookup,
    _order,
    _release_freed_memory,
    _rownum_at,
    _rows_increasing,
)
from .log import _Log
from .trajectories import _link, _Traj

if TYPE_CHECKING:
    from ..data import PilotData

_R_RES = RATER.index("resident")
_R_PRO = RATER.index("professional")


#: Domain scores are processed in chunks of whole trajectories of about this many rows,
#: so that memory stays bounded at national scale (90M score rows for 1M trajectories).
DOMAIN_CHUNK_ROWS = 4_000_000

_DOMAIN_REASONS = (
    "score_missing_field",
    "score_other_instrument",
    "score_unknown_domain",
    "score_out_of_range",
    "score_duplicate",
)


def _domain_outcomes(data: PilotData, tr: _Traj, log: _Log) -> dict[str, Any]:
    """Domain columns of the outcome table, ``domain_changes``, ``cohort_domains``, ``gaps``."""
    from ..schema import ARM

    n = len(tr.frame)
    inst = data.instrument
    dom_codes = inst.domain_codes
    nd = len(dom_codes)
    nr = len(RATER)
    na = len(ARM)
    d = data.domain_scores
    _release_freed_memory()  # what earlier stages (and reading) freed, before the largest stage
    tc_all = _link(d, "domain_scores", tr, log)
    increasing = _rows_increasing(d)

    # Chunks of consecutive trajectory codes: every group (trajectory x rater x domain) and
    # every duplicate lies within one chunk, so chunk results simply add up / concatenate.
    n_chunks = max(1, -(-len(d) // DOMAIN_CHUNK_ROWS))
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    # rows grouped by trajectory in trajectory order (the usual export): chunks are slices
    sorted_tc = n_chunks > 1 and bool((tc_all[1:] >= tc_all[:-1]).all()) and tc_all[0] >= 0
    cuts = np.searchsorted(tc_all, bounds) if sorted_tc else None
    size = na * nr * nd
    cohort_sums = np.zeros((9, size))  # cnt, first, latest, improved, same, worse, out, into
    per_traj = np.zeros((6, n))  # n_t0, n_prob, cnt_ch, sum_ch, n_gap0, sum_abs_gap0
    excluded: dict[str, list[np.ndarray]] = {r: [] for r in _DOMAIN_REASONS}
    changes_parts: list[dict[str, np.ndarray]] = []
    gap_parts: list[dict[str, np.ndarray]] = []
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if n_chunks == 1:
            rows = np.flatnonzero(tc_all >= 0)
        elif cuts is not None:
            rows = np.arange(cuts[i], cuts[i + 1])
        else:
            rows = np.flatnonzero((tc_all >= lo) & (tc_all < hi))
        if len(rows) == 0:
            continue
        if len(rows) == len(d):
            sub = d
        elif cuts is not None:
            sub = d.iloc[int(cuts[i]) : int(cuts[i + 1])]  # a slice: no copy of the block
        else:
            sub = d.iloc[rows]
        rownum = None if increasing else _rownum_at(d, rows)
        part = _domain_chunk(
            sub, tc_all[rows], rownum, inst, nd, nr, tr.arm, (int(lo), int(hi)), size
        )
        for reason, p in part["excluded"].items():
            excluded[reason].append(rows[p])
        changes_parts.append(part["changes"])
        gap_parts.append(part["gaps"])
        cohort_sums += part["cohort"]
        per_traj[:, lo:hi] += part["per_traj"]
        del part, sub, rows
        if n_chunks > 1:  # the block's temporaries, before the next block's come on top
            _release_freed_memory()
    del tc_all
    for reason in _DOMAIN_REASONS:
        if excluded[reason]:
            p = np.concatenate(excluded[reason])
            log.add("domain_scores", d, p if reason == "score_duplicate" else np.sort(p), reason)

    def cat(parts: list[dict[str, np.ndarray]], key: str, dtype: Any) -> np.ndarray:
        arrays = [p.pop(key) for p in parts]
        out = np.concatenate(arrays) if arrays else np.array([], dtype=dtype)
        del arrays
        if out.nbytes >= 2**27:  # national scale: the parts just freed, before the next column
            _release_freed_memory()
        return out

    # ---- per trajectory x rater x domain: first vs latest
    g_tc = cat(changes_parts, "tc", np.int32)
    two = cat(changes_parts, "two", bool)
    pf = cat(changes_parts, "pf", bool)
    pl = cat(changes_parts, "pl", bool)
    arm_codes = tr.arm[g_tc] if len(g_tc) else np.array([], dtype=np.int64)
    changes = pd.DataFrame(
        {
            "trajectory_id": pd.Categorical.from_codes(g_tc, categories=tr.index),
            "arm": pd.Categorical.from_codes(arm_codes, categories=list(ARM)),
            "rater": pd.Categorical.from_codes(
                cat(changes_parts, "rater", np.int8), categories=list(RATER)
            ),
            "domain": pd.Categorical.from_codes(
                cat(changes_parts, "dom", np.int8), categories=dom_codes
            ),
            "first_measurement": cat(changes_parts, "first_measurement", np.int16),
            "latest_measurement": cat(changes_parts, "latest_measurement", np.int16),
            "n_measurements": cat(changes_parts, "n_measurements", np.int16),
            "first": cat(changes_parts, "first", np.float64),
            "latest": cat(changes_parts, "latest", np.float64),
            "change": cat(changes_parts, "change", np.float64),
            "problem_first": pf,
            "problem_latest": pl,
            "moved_out_of_problem": pd.arrays.BooleanArray(pf & ~pl, ~two),
            "moved_into_problem": pd.arrays.BooleanArray(~pf & pl, ~two),
            "trend": pd.Categorical.from_codes(
                cat(changes_parts, "trend", np.int8), categories=["improved", "same", "worse"]
            ),
        },
        copy=False,
    )
    del g_tc, two, pf, pl, arm_codes

    # ---- per arm x rater x domain (cohort 'first vs latest', Outcomes Star style)
    cnt, s_first, s_latest, imp, same, worse, mo, mi = cohort_sums[:8]
    cnt = cnt.astype(np.int64)
    cell = np.flatnonzero(cnt > 0)
    c_arm = cell // (nr * nd)
    c_rater = (cell // nd) % nr
    c_dom = cell % nd
    labels_nl = inst.domain_labels("nl")
    labels_en = inst.domain_labels("en")
    cohort = pd.DataFrame(
        {
            "arm": pd.Categorical.from_codes(c_arm, categories=list(ARM)),
            "rater": pd.Categorical.from_codes(c_rater, categories=list(RATER)),
            "domain": pd.Categorical.from_codes(c_dom, categories=dom_codes),
            "domain_label_nl": [labels_nl[dom_codes[i]] for i in c_dom],
            "domain_label_en": [labels_en[dom_codes[i]] for i in c_dom],
            "n": cnt[cell],
            "mean_first": s_first[cell] / cnt[cell],
            "mean_latest": s_latest[cell] / cnt[cell],
            "mean_change": (s_latest[cell] - s_first[cell]) / cnt[cell],
            "share_improved": imp[cell] / cnt[cell],
            "share_same": same[cell] / cnt[cell],
            "share_worse": worse[cell] / cnt[cell],
            "share_moved_out_of_problem": mo[cell] / cnt[cell],
            "share_moved_into_problem": mi[cell] / cnt[cell],
        }
    )

    # ---- resident - professional gap per trajectory x domain x measurement
    gap_tc = cat(gap_parts, "tc", np.int32)
    gap = cat(gap_parts, "gap", np.float64)
    gaps = pd.DataFrame(
        {
            "trajectory_id": pd.Categorical.from_codes(gap_tc, categories=tr.index),
            "arm": pd.Categorical.from_codes(
                tr.arm[gap_tc] if len(gap_tc) else gap_tc, categories=list(ARM)
            ),
            "domain": pd.Categorical.from_codes(
                cat(gap_parts, "dom", np.int64), categories=dom_codes
            ),
            "measurement": cat(gap_parts, "measurement", np.int16),
            "resident": cat(gap_parts, "resident", np.float64),
            "professional": cat(gap_parts, "professional", np.float64),
            "gap": gap,
            "abs_gap": np.abs(gap),
        },
        copy=False,
    )
    del gap_tc, gap

    # ---- per trajectory columns
    n_t0, n_prob, cnt_ch, sum_ch, n_gap0, sum_gap0 = per_traj
    has_t0 = n_t0 > 0
    npd = _int64(n_prob, ~has_t0)
    grp = pd.array(np.where(n_prob >= 2, "2+", "0-1"), dtype="string")
    grp[~has_t0] = pd.NA
    return {
        "columns": {
            "n_problem_domains_t0": npd,
            "problem_domains_group": pd.Series(grp),
            "mean_change_resident": _div(sum_ch, cnt_ch),
            "disagreement_t0": _div(sum_gap0, n_gap0),
        },
        "changes": changes,
        "cohort": cohort,
        "gaps": gaps,
    }


def _in_problem(score: np.ndarray, inst: Any) -> np.ndarray:
    """Score in the instrument's problem range: at or below its threshold (at or above
    for lower-is-better instruments)."""
    if inst.direction == "lower_is_better":
        return score >= inst.problem_threshold
    return score <= inst.problem_threshold


def _counted_scores(
    d: pd.DataFrame,
    tc_in: np.ndarray,
    rownum: np.ndarray | None,
    inst: Any,
    nd: int,
    nr: int,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Which score rows count (``docs/outcomes.md`` section 6), applied once.

    Returns the excluded rows per reason (positions into ``d``) and the counted scores
    sorted by group key ``(trajectory code * nr + rater) * nd + domain``, then
    measurement: ``(excluded, group_key, measurement, score)``.
    """
    excluded: dict[str, np.ndarray] = {}
    meas_all = _float(d["measurement"])
    rater_all = _codes(d["rater"], RATER)
    score_all = _float(d["score"])
    dom_raw = d["domain"]
    bad_meas = np.isnan(meas_all) | (meas_all < 0) | (meas_all > MEASUREMENT_MAX)
    missing = bad_meas | (rater_all < 0) | np.isnan(score_all) | dom_raw.isna().to_numpy()
    del bad_meas
    excluded["score_missing_field"] = np.flatnonzero(missing)
    ok = ~missing
    del missing
    instr = d["instrument"]
    other = ok & instr.notna().to_numpy() & (_lookup(instr, [inst.code]) < 0)
    excluded["score_other_instrument"] = np.flatnonzero(other)
    ok &= ~other
    del other
    dom_all = _codes(dom_raw, inst.domain_codes)
    unknown_dom = ok & (dom_all < 0)
    excluded["score_unknown_domain"] = np.flatnonzero(unknown_dom)
    ok &= ~unknown_dom
    del unknown_dom
    out_range = ok & ((score_all < inst.scale_min) | (score_all > inst.scale_max))
    excluded["score_out_of_range"] = np.flatnonzero(out_range)
    ok &= ~out_range
    del out_range
    pos = np.flatnonzero(ok)
    del ok
    group_key = (tc_in[pos].astype(np.int64) * nr + rater_all[pos]) * nd + dom_all[pos]
    del rater_all, dom_all
    meas = meas_all[pos].astype(np.int16)  # 0..MEASUREMENT_MAX
    del meas_all
    score = score_all[pos]
    del score_all

    # duplicates of (trajectory, measurement, domain, rater): keep the first row
    order = _order([group_key, meas], None if rownum is None else rownum[pos])
    gk = group_key[order]
    ms = meas[order]
    del group_key, meas
    dup_sorted = np.zeros(len(pos), dtype=bool)
    if len(pos):
        dup_sorted[1:] = (gk[1:] == gk[:-1]) & (ms[1:] == ms[:-1])
    excluded["score_duplicate"] = pos[order[dup_sorted]]
    if dup_sorted.any():
        keep = ~dup_sorted
        order, gk, ms = order[keep], gk[keep], ms[keep]
        del keep
    del dup_sorted, pos
    sc = score[order]
    del score, order
    return excluded, gk, ms, sc


def _domain_chunk(
    d: pd.DataFrame,
    tc_in: np.ndarray,
    rownum: np.ndarray | None,
    inst: Any,
    nd: int,
    nr: int,
    traj_arm: np.ndarray,
    codes: tuple[int, int],
    size: int,
) -> dict[str, Any]:
    """Domain results for the score rows ``d`` (all linked) of a block of whole trajectories.

    Exclusions are returned as positions into ``d``; ``cohort`` and ``per_traj`` are sums
    to be added over chunks (``per_traj`` for the block's trajectory codes
    ``codes[0] .. codes[1] - 1`` only); ``changes`` and ``gaps`` are column arrays to
    concatenate.
    """
    excluded, gk, ms, sc = _counted_scores(d, tc_in, rownum, inst, nd, nr)

    # ---- first vs latest per trajectory x rater x domain
    problem = _in_problem(sc, inst)
    sign = -1.0 if inst.direction == "lower_is_better" else 1.0
    if len(gk):
        starts = np.flatnonzero(np.r_[True, gk[1:] != gk[:-1]])
        ends = np.r_[starts[1:], len(gk)] - 1
    else:
        starts = ends = np.array([], dtype=np.int64)
    key = gk[starts]
    g_tc = key // (nr * nd)
    g_rater = (key // nd) % nr
    g_dom = key % nd
    del key
    n_meas = ends - starts + 1
    first, latest = sc[starts], sc[ends]
    two = n_meas >= 2
    change = np.where(two, latest - first, np.nan)
    pf, pl = problem[starts], problem[ends]
    del problem
    trend = np.where(~two, -1, np.where(sign * change > 0, 0, np.where(change == 0, 1, 2)))
    first_meas = ms[starts]

    # cohort sums per arm x rater x domain (trajectories with at least two measurements)
    arm_codes = traj_arm[g_tc] if len(g_tc) else np.array([], dtype=np.int64)
    use = two & (arm_codes >= 0)
    ck = ((arm_codes * nr + g_rater) * nd + g_dom)[use]
    t_use = trend[use]
    cohort = np.zeros((9, size))
    cohort[0] = np.bincount(ck, minlength=size)
    cohort[1] = np.bincount(ck, weights=first[use], minlength=size)
    cohort[2] = np.bincount(ck, weights=latest[use], minlength=size)
    cohort[3] = np.bincount(ck, weights=(t_use == 0).astype(float), minlength=size)
    cohort[4] = np.bincount(ck, weights=(t_use == 1).astype(float), minlength=size)
    cohort[5] = np.bincount(ck, weights=(t_use == 2).astype(float), minlength=size)
    cohort[6] = np.bincount(ck, weights=(pf & ~pl)[use].astype(float), minlength=size)
    cohort[7] = np.bincount(ck, weights=(~pf & pl)[use].astype(float), minlength=size)
    del arm_codes, use, ck, t_use

    # per trajectory: problem domains at measurement 0 (resident), mean change (resident)
    # (for the block's own trajectory codes lo..hi-1 only: bincounts of the block's length)
    lo, hi = codes
    n = hi - lo
    per_traj = np.zeros((6, n))
    r0 = (g_rater == _R_RES) & (first_meas == 0)
    per_traj[0] = _count(g_tc[r0] - lo, n)
    per_traj[1] = _count(g_tc[r0] - lo, n, pf[r0])
    res2 = (g_rater == _R_RES) & two
    per_traj[2] = _count(g_tc[res2] - lo, n)
    per_traj[3] = _count(g_tc[res2] - lo, n, change[res2])
    del r0, res2

    changes = {
        "tc": g_tc.astype(np.int32),  # trajectory codes < n <= 2**31 (Categorical codes)
        "rater": g_rater.astype(np.int8),
        "dom": g_dom.astype(np.int8) if nd < 128 else g_dom,
        "first_measurement": first_meas,
        "latest_measurement": ms[ends],
        "n_measurements": n_meas.astype(np.int16),  # at most MEASUREMENT_MAX + 1
        "first": first,
        "latest": latest,
        "change": change,
        "pf": pf,
        "pl": pl,
        "two": two,
        "trend": trend.astype(np.int8),
    }
    del starts, ends

    # ---- resident - professional gap per trajectory x domain x measurement
    mmax = int(ms.max()) + 1 if len(ms) else 1
    rs = ((gk // nd) % nr).astype(np.int8)
    is_res, is_pro = rs == _R_RES, rs == _R_PRO
    del rs

    # pair key (trajectory x domain) x measurement: the rows of one rater are already in
    # this order (sorted by trajectory, rater, domain, then measurement; duplicates gone)
    pk = ((gk // (nr * nd)) * nd + gk % nd) * mmax + ms
    del gk, ms
    pro_keys = pk[is_pro]
    pro_scores = sc[is_pro]
    if len(pro_keys) > 1 and not bool((pro_keys[1:] > pro_keys[:-1]).all()):  # pragma: no cover
        srt = np.argsort(pro_keys, kind="stable")
        pro_keys, pro_scores = pro_keys[srt], pro_scores[srt]
        del srt
    res_keys = pk[is_res]
    res_scores = sc[is_res]
    del is_res, is_pro, pk, sc
    j = np.searchsorted(pro_keys, res_keys)
    j_ok = j < len(pro_keys)
    match = np.zeros(len(res_keys), dtype=bool)
    match[j_ok] = pro_keys[j[j_ok]] == res_keys[j_ok]
    mk = res_keys[match]
    resident = res_scores[match]
    professional = pro_scores[j[match]]
    gap = resident - professional
    gap_tc = mk // (mmax * nd)
    gap_meas = mk % mmax
    at0 = gap_meas == 0
    per_traj[4] = _count(gap_tc[at0] - lo, n)
    per_traj[5] = _count(gap_tc[at0] - lo, n, np.abs(gap[at0]))
    gaps = {
        "tc": gap_tc.astype(np.int32),
        "dom": ((mk // mmax) % nd).astype(np.int8) if nd < 128 else (mk // mmax) % nd,
        "measurement": gap_meas.astype(np.int16),
        "resident": resident,
        "professional": professional,
        "gap": gap,
    }
    return {
        "excluded": excluded,
        "changes": changes,
        "gaps": gaps,
        "cohort": cohort,
        "per_traj": per_traj,
    }


def _restricted(data: PilotData, tr: _Traj, trajectory_ids: Any) -> Any:
    """The instrument and the score rows of ``trajectory_ids`` (all when None)."""
    from types import SimpleNamespace

    d = data.domain_scores
    if trajectory_ids is not None:
        ids = pd.Index(pd.Series(list(trajectory_ids), dtype="string"))
        d = d[_lookup(d["trajectory_id"], ids) >= 0]
    return SimpleNamespace(instrument=data.instrument, domain_scores=d)


def domain_tables(data: PilotData, trajectory_ids: Any = None) -> dict[str, pd.DataFrame]:
    """``domain_changes``, ``gaps`` and ``cohort_domains`` of some trajectories only.

    The same tables as :func:`~wattelt_eval.outcome_set` gives (``docs/outcomes.md``
    section 7), computed from the score rows of ``trajectory_ids`` (all when None):
    e.g. the board of one trajectory without the whole outcome set.

    Returns
    -------
    dict of DataFrame
        ``changes``, ``gaps`` and ``cohort``.
    """
    from .trajectories import _prepare_trajectories

    log = _Log()
    tr = _prepare_trajectories(data, log)
    out = _domain_outcomes(_restricted(data, tr, trajectory_ids), tr, log)
    return {k: out[k] for k in ("changes", "gaps", "cohort")}


#: Columns of :func:`score_table`, in order.
SCORE_COLUMNS = ["trajectory_id", "arm", "rater", "domain", "measurement", "score", "problem"]


def score_table(data: PilotData, trajectory_ids: Any = None) -> pd.DataFrame:
    """The domain scores that count, one row per trajectory x rater x domain x measurement.

    The score rows the outcome set uses (``docs/outcomes.md`` section 6: the study's
    instrument and domains, on its scale, the first row of a duplicate), sorted by
    trajectory, rater, domain and measurement. Computed on demand, for the figures of
    the board over time and of rater agreement.

    Returns
    -------
    DataFrame
        Columns :data:`SCORE_COLUMNS` (``trajectory_id``, ``arm``, ``rater`` and
        ``domain`` categoricals, ``measurement`` int16, ``score`` float64, ``problem``:
        the score is in the instrument's problem range).
    """
    from ..schema import ARM
    from .trajectories import _prepare_trajectories

    log = _Log()
    tr = _prepare_trajectories(data, log)
    sub = _restricted(data, tr, trajectory_ids)
    d = sub.domain_scores
    tc_all = _link(d, "domain_scores", tr, log)
    rows = np.flatnonzero(tc_all >= 0)
    d = d.iloc[rows]
    rownum = None if _rows_increasing(d) else _rownum_at(d, np.arange(len(d)))
    inst = data.instrument
    nd, nr = len(inst.domain_codes), len(RATER)
    _, gk, ms, sc = _counted_scores(d, tc_all[rows], rownum, inst, nd, nr)
    tc = gk // (nr * nd)
    return pd.DataFrame(
        {
            "trajectory_id": pd.Categorical.from_codes(tc, categories=tr.index),
            "arm": pd.Categorical.from_codes(tr.arm[tc] if len(tc) else tc, categories=list(ARM)),
            "rater": pd.Categorical.from_codes((gk // nd) % nr, categories=list(RATER)),
            "domain": pd.Categorical.from_codes(gk % nd, categories=inst.domain_codes),
            "measurement": ms,
            "score": sc.astype(np.float64),
            "problem": _in_problem(sc, inst),
        }
    )
