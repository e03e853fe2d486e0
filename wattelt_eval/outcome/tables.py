"""Per-trajectory outcome table, exclusion log, CONSORT-style flow and domain monitoring.

This is the heart of the package: every comparison, figure and report reads the
table built here (DESIGN.md section 4, ``docs/architecture.md`` "The outcome
table"). The plain-language definitions, in Dutch and English, with a worked
example for each rule and every edge case decided here, are in
``docs/outcomes.md``.

Everything is vectorised: trajectory ids are factorised to integer codes once,
per-trajectory sums are :func:`numpy.bincount` calls on those codes, dates are
int64 day numbers, and goal lineages are resolved by pointer jumping over
``derived_from`` with numpy index arrays (no Python loop per goal or per
trajectory).
"""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data import EXCLUSION_COLUMNS, empty_exclusions
from ..schema import (
    AUTHOR,
    CATEGORY_TO_CBS_GROUP,
    CBS_GROUPS,
    CONTACT_TYPE,
    FREQUENCY,
    IWMO_CATEGORIES,
    MEASUREMENT_MAX,
    RATER,
    ROLE,
    STAGE,
    STATUS,
    UNIT,
)

if TYPE_CHECKING:
    import argparse

    from ..data import PilotData

__all__ = [
    "GAS_RHO",
    "OutcomeSet",
    "REASONS",
    "TABLE_COLUMNS",
    "gas_t_score",
    "outcome_set",
    "outcomes",
    "add_cli",
    "run_cli",
]

#: Assumed average inter-goal correlation of the Kiresuk-Sherman GAS T-score.
GAS_RHO = 0.3
#: Days per month for ``per_month`` provisions (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12

#: Columns carried along from ``trajectories`` (extra case-mix columns follow them).
CARRIED_COLUMNS = [
    "trajectory_id",
    "arm",
    "period",
    "municipality",
    "team",
    "start_date",
    "end_date",
    "end_reason",
    "birth_year",
    "sex",
    "household",
]
#: Cost columns per CBS group (``cost_<group>``), in the order of :data:`schema.CBS_GROUPS`.
COST_GROUP_COLUMNS = [f"cost_{g}" for g in CBS_GROUPS]
#: The outcome columns, in table order (after the carried columns, extras and ``age``).
TABLE_COLUMNS = [
    "n_resident_goals",
    "n_resident_goals_retained",
    "goal_retention",
    "n_goals_final",
    "goal_ownership",
    "goals_achieved_share",
    "gas_t",
    "n_contacts",
    "n_tellings",
    "n_retells",
    "retells_inferred",
    "cost_provisions",
    "cost_staff",
    "cost_total",
    "any_provision",
    *COST_GROUP_COLUMNS,
    "follow_up_days",
    "full_follow_up",
    "n_problem_domains_t0",
    "problem_domains_group",
    "mean_change_resident",
    "disagreement_t0",
]

#: Reason codes of the exclusion log (stage ``outcomes``): code -> (Dutch, English).
REASONS: dict[str, tuple[str, str]] = {
    "missing_trajectory_id": (
        "Rij zonder trajectory_id: telt nergens mee.",
        "Row without trajectory_id: does not contribute.",
    ),
    "duplicate_trajectory_id": (
        "trajectory_id komt al eerder voor in trajectories: alleen de eerste rij telt.",
        "trajectory_id occurs earlier in trajectories: only the first row counts.",
    ),
    "unknown_trajectory": (
        "trajectory_id staat niet in trajectories: de rij telt nergens mee.",
        "trajectory_id is not in trajectories: the row does not contribute.",
    ),
    "start_date_missing": (
        "Traject zonder startdatum: kosten en follow-up zijn onbekend (leeg).",
        "Trajectory without start_date: costs and follow-up are unknown (missing).",
    ),
    "duplicate_id": (
        "Kenmerk komt al eerder voor in deze tabel: alleen de eerste rij telt.",
        "Identifier occurs earlier in this table: only the first row counts.",
    ),
    "goal_missing_field": (
        "Doel zonder fase, auteur of status: telt niet mee.",
        "Goal without stage, author or status: does not contribute.",
    ),
    "goal_derived_from_unknown": (
        "derived_from verwijst naar een onbekend doel: het doel telt als nieuw doel.",
        "derived_from points to an unknown goal: the goal counts as a new goal.",
    ),
    "goal_derived_from_invalid": (
        "derived_from verwijst naar een doel van een ander traject of uit een even late of "
        "latere fase: het doel telt als nieuw doel.",
        "derived_from points to a goal of another trajectory or of the same or a later "
        "stage: the goal counts as a new goal.",
    ),
    "goal_not_used": (
        "Doel is geen inwonersdoel uit de eerste fase (of een voortzetting daarvan) en staat "
        "niet in het laatste plan: telt niet mee in doelbehoud, eigenaarschap of GAS.",
        "Goal is neither a resident goal of the earliest stage (or a continuation of one) "
        "nor in the last plan: it does not count in retention, ownership or GAS.",
    ),
    "contact_missing_field": (
        "Contact zonder datum of soort contact: telt niet mee.",
        "Contact without date or contact_type: does not contribute.",
    ),
    "provision_missing_field": (
        "Voorziening zonder startdatum of categorie: telt niet mee.",
        "Provision without start_date or category: does not contribute.",
    ),
    "provision_end_before_start": (
        "Voorziening met einddatum vóór de startdatum: telt niet mee.",
        "Provision ending before it starts: does not contribute.",
    ),
    "provision_outside_window": (
        "Voorziening valt helemaal buiten het kostenvenster: telt niet mee.",
        "Provision lies wholly outside the cost window: does not contribute.",
    ),
    "provision_cost_missing": (
        "Voorziening zonder bedrag of zonder omvang en prijs: telt mee als voorziening, "
        "maar de kosten van het traject zijn onbekend (leeg).",
        "Provision without amount or without volume and price: it counts as a provision, "
        "but the trajectory's cost is unknown (missing).",
    ),
    "staff_time_missing_field": (
        "Tijdregistratie zonder datum, rol of minuten: telt niet mee.",
        "Staff time without date, role or minutes: does not contribute.",
    ),
    "staff_time_outside_window": (
        "Tijdregistratie buiten het kostenvenster: telt niet mee.",
        "Staff time outside the cost window: does not contribute.",
    ),
    "score_missing_field": (
        f"Score zonder (geldig) nummer van de meting (0 tot en met {MEASUREMENT_MAX}), leefgebied, "
        "beoordelaar of score: telt niet mee.",
        f"Score without a (valid) measurement number (0 to {MEASUREMENT_MAX}), domain, rater or score: "
        "does not contribute.",
    ),
    "score_other_instrument": (
        "Score van een ander instrument dan dat van de studie: telt niet mee.",
        "Score of another instrument than the study's: does not contribute.",
    ),
    "score_unknown_domain": (
        "Leefgebied bestaat niet in het instrument van de studie: telt niet mee.",
        "Domain is not in the study's instrument: does not contribute.",
    ),
    "score_out_of_range": (
        "Score buiten de schaal van het instrument: telt niet mee.",
        "Score outside the instrument's scale: does not contribute.",
    ),
    "score_duplicate": (
        "Tweede score voor hetzelfde traject, meting, leefgebied en beoordelaar: alleen de "
        "eerste telt.",
        "Second score for the same trajectory, measurement, domain and rater: only the first "
        "counts.",
    ),
}
_REASON_CODES = list(REASONS)
_REASON_POS = {r: i for i, r in enumerate(_REASON_CODES)}

_AUTH_RES = (AUTHOR.index("resident"), AUTHOR.index("jointly"))
_ST_DROPPED = STATUS.index("dropped")
_ST_ACHIEVED = STATUS.index("achieved")
_CT_TELL = (CONTACT_TYPE.index("intake"), CONTACT_TYPE.index("assessment"))
_R_RES = RATER.index("resident")
_R_PRO = RATER.index("professional")
_FREQ_TOTAL, _FREQ_WEEK, _FREQ_MONTH = (
    FREQUENCY.index(f) for f in ("total", "per_week", "per_month")
)
_UNIT_EURO = UNIT.index("euro")
_CATEGORIES = list(IWMO_CATEGORIES)
_GROUPS = list(CBS_GROUPS)
_CAT_GROUP = np.array([_GROUPS.index(CATEGORY_TO_CBS_GROUP[c]) for c in _CATEGORIES])
_CAT_GENERAL = _CATEGORIES.index("00")

Lang = Literal["nl", "en"]


# ======================================================================================
# Small vectorised helpers
# ======================================================================================


def _arrow_strings(s: pd.Series) -> Any:
    """The pyarrow (chunked) string array behind an Arrow-backed string Series, else None."""
    dtype = s.dtype
    arrow = (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype)
        and pa.types.is_string(dtype.pyarrow_dtype)
        or isinstance(dtype, pd.ArrowDtype)
        and pa.types.is_large_string(dtype.pyarrow_dtype)
    )
    return s.array.__arrow_array__() if arrow else None


def _lookup(s: pd.Series, values: Any) -> np.ndarray:
    """Position (int32) of each value of ``s`` in the unique strings ``values`` (-1: missing).

    A hash lookup (:func:`pyarrow.compute.index_in`) for Arrow-backed strings, a lookup of
    the categories for categoricals, :meth:`pandas.Index.get_indexer` otherwise. Matching
    is exact string equality in every case.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = pd.Series(s.cat.categories.astype("string"))
        lut = np.append(_lookup(cats, values), -1).astype(np.int32)  # code -1 -> last entry
        return lut[s.cat.codes.to_numpy()]
    arr = _arrow_strings(s)
    if arr is not None:
        vs = (
            _arrow_strings(pd.Series(values)) if isinstance(values, (pd.Index, pd.Series)) else None
        )
        if vs is None:
            vs = pa.array([None if pd.isna(v) else str(v) for v in values], type=pa.large_string())
        if isinstance(vs, pa.ChunkedArray):
            vs = vs.combine_chunks()
        res = pc.index_in(arr, value_set=vs.cast(arr.type), skip_nulls=True)
        return pc.fill_null(res, -1).to_numpy().astype(np.int32, copy=False)
    index = pd.Index(values, dtype="string")
    return index.get_indexer(s.astype("string")).astype(np.int32)


def _factorize(s: pd.Series) -> np.ndarray:
    """Integer code per value (equal values, equal codes; -1 for missing)."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # categories are unique: the codes already are
        return s.cat.codes.to_numpy().astype(np.int64)
    arr = _arrow_strings(s)
    if arr is not None:
        enc = arr.dictionary_encode()
        idx = enc.combine_chunks().indices if isinstance(enc, pa.ChunkedArray) else enc.indices
        return pc.fill_null(idx, -1).to_numpy().astype(np.int64, copy=False)
    return pd.factorize(s, use_na_sentinel=True)[0]


def _rank(s: pd.Series) -> np.ndarray:
    """Integer sort key of the string values: equal values equal keys, in string order.

    Values are compared as text (a number as its digits). Missing values get 0 and sort
    first. For a categorical it is the rank of its category among all categories (same
    order, without materialising a string per row); otherwise the dense rank.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = pd.Series(s.cat.categories)
        lut = np.append(_rank(cats), 0)  # code -1 (missing) -> last entry -> 0
        return lut[s.cat.codes.to_numpy()]
    arr = _arrow_strings(s)
    if arr is None:
        s = s.astype("string")
        arr = _arrow_strings(s)
    if arr is not None:
        r = pc.rank(arr, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64)
        return np.where(pc.is_null(arr).to_numpy(zero_copy_only=False), 0, r)
    return pd.factorize(s, sort=True, use_na_sentinel=True)[0]


def _order(keys: list[np.ndarray], rownum: np.ndarray | None = None) -> np.ndarray:
    """Stable sort order by ``keys`` (most significant first), ties by ``rownum``.

    The same order as ``np.lexsort((rownum, *reversed(keys)))``, but when the integer
    keys' ranges fit together in 62 bits and ``rownum`` increases
    with position, they are packed into one int64 and sorted with one stable argsort
    (several times faster than ``lexsort`` at millions of rows).
    """
    n = len(keys[0])
    lex = (rownum, *keys[::-1]) if rownum is not None else tuple(keys[::-1])
    if n < 2:
        return np.arange(n)
    if rownum is not None and not bool((rownum[1:] > rownum[:-1]).all()):
        return np.lexsort(lex)
    if len(keys) == 1:  # nothing to pack
        return np.argsort(keys[0], kind="stable")
    packed = np.zeros(n, dtype=np.int64)
    span = 1
    for k in keys:
        lo, hi = int(k.min()), int(k.max())
        width = hi - lo + 1
        span *= width
        if span > 2**62:
            return np.lexsort(lex)
        packed *= width
        packed += k.astype(np.int64, copy=False) - lo
    return np.argsort(packed, kind="stable")


def _codes(s: pd.Series, categories: tuple[str, ...] | list[str]) -> np.ndarray:
    """Position of each value in ``categories`` (-1 for missing or unknown)."""
    return _lookup(s, list(categories))


def _days(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dates as int64 day numbers (days since 1970-01-01) and a validity mask."""
    v = s.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(v)
    d = v.astype("datetime64[D]").astype(np.int64)
    return np.where(valid, d, 0), valid


def _day_number(ts: pd.Timestamp) -> int:
    """A date as its day number (days since 1970-01-01), as :func:`_days` gives per column."""
    return int(np.datetime64(ts.to_datetime64(), "D").astype(np.int64))


def _float(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _count(idx: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-code sum of ``weights`` (or count) over codes ``idx`` in ``0..n-1``.

    Boolean weights count the codes where they are True (as float64, like other weights).
    """
    if weights is not None and weights.dtype == bool:
        return np.bincount(idx[weights], minlength=n)[:n].astype(np.float64)
    return np.bincount(idx, weights=weights, minlength=n)[:n]


def _release_freed_memory() -> None:
    """Give freed heap memory back to the operating system (glibc ``malloc_trim``).

    Blocks of a few tens of MB (the per-chunk domain results) are served from the malloc
    heap; once they are concatenated and freed, glibc keeps the pages unless asked to
    return them, and the next large (mmap) array then comes on top, doubling the peak.
    A no-op where glibc is not the C library. Changes no value.
    """
    trim = _MALLOC_TRIM
    if trim is not None:
        trim(0)


def _find_malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _find_malloc_trim()


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def _int64(values: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """Nullable Int64 Series from numbers; ``mask`` True = missing."""
    values = np.asarray(values).astype(np.int64)
    if mask is None:
        mask = np.zeros(len(values), dtype=bool)
    return pd.Series(pd.arrays.IntegerArray(values, mask))


def _bool(values: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    values = np.asarray(values, dtype=bool)
    if mask is None:
        mask = np.zeros(len(values), dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(values, mask))


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


class _Log:
    """Collects exclusion-log rows as positions into the source tables (built once at the end)."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, pd.DataFrame, np.ndarray, str]] = []

    def add(self, table: str, df: pd.DataFrame, positions: np.ndarray, reason: str) -> None:
        positions = np.asarray(positions)
        if positions.dtype == bool:
            positions = np.flatnonzero(positions)
        if len(positions):
            self.parts.append((table, df, positions, reason))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, _, pos, reason in self.parts:
            out[reason] = out.get(reason, 0) + len(pos)
        return out

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return empty_exclusions()
        from ..schema import ID_COLUMNS

        # one block per source table: positions concatenated first, then one take per column
        blocks: dict[str, tuple[pd.DataFrame, list[np.ndarray], list[np.ndarray]]] = {}
        for table, df, pos, reason in self.parts:
            blk = blocks.setdefault(table, (df, [], []))
            blk[1].append(pos)
            blk[2].append(np.full(len(pos), _REASON_POS[reason], dtype=np.int16))
        tables, rows, recs, trajs, reasons = [], [], [], [], []
        for table, (df, pos_list, reason_list) in blocks.items():
            pos = np.concatenate(pos_list)
            tables.append(np.full(len(pos), _LOG_TABLES.index(table), dtype=np.int8))
            rows.append(_rownum_at(df, pos))
            idcol = ID_COLUMNS.get(table)
            if idcol is not None and idcol in df.columns:
                recs.append(df[idcol].iloc[pos].astype("string").reset_index(drop=True))
            else:
                recs.append(pd.Series(pd.NA, index=range(len(pos)), dtype="string"))
            trajs.append(df["trajectory_id"].iloc[pos].astype("string").reset_index(drop=True))
            reasons.append(np.concatenate(reason_list))
        reason_codes = np.concatenate(reasons)
        nl = [REASONS[r][0] for r in _REASON_CODES]
        en = [REASONS[r][1] for r in _REASON_CODES]
        one = len(recs) == 1
        out = pd.DataFrame(
            {
                "stage": pd.Categorical.from_codes(
                    np.zeros(len(reason_codes), np.int8), ["outcomes"]
                ),
                "table": pd.Categorical.from_codes(np.concatenate(tables), list(_LOG_TABLES)),
                "row": pd.array(np.concatenate(rows), dtype="Int64"),
                "record_id": (recs[0] if one else pd.concat(recs, ignore_index=True)).array,
                "trajectory_id": (trajs[0] if one else pd.concat(trajs, ignore_index=True)).array,
                "reason": pd.Categorical.from_codes(reason_codes, _REASON_CODES),
                "message_nl": pd.Categorical.from_codes(reason_codes, nl),
                "message_en": pd.Categorical.from_codes(reason_codes, en),
            }
        )
        return out[EXCLUSION_COLUMNS]


_LOG_TABLES = ("trajectories", "contacts", "goals", "domain_scores", "provisions", "staff_time")


def _combine_logs(load_log: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Load log + outcomes log, text columns as categoricals (they repeat a few values)."""
    if load_log is None or len(load_log) == 0:
        return own.reset_index(drop=True)
    load_log = load_log.reindex(columns=EXCLUSION_COLUMNS).copy()
    parts = [load_log, own]
    out = {}
    for c in EXCLUSION_COLUMNS:
        cols = [p[c] for p in parts]
        if c in ("stage", "table", "reason", "message_nl", "message_en"):
            vals = pd.concat([x.astype("string") for x in cols], ignore_index=True)
            out[c] = vals.astype("category")
        elif c == "row":
            out[c] = pd.concat([x.astype("Int64") for x in cols], ignore_index=True)
        else:
            out[c] = pd.concat([x.astype("string") for x in cols], ignore_index=True)
    return pd.DataFrame(out)[EXCLUSION_COLUMNS]


# ======================================================================================
# Result object
# ======================================================================================


@dataclass
class OutcomeSet:
    """The outcome table with its accounting and the domain monitoring tables.

    Attributes
    ----------
    table : DataFrame
        One row per trajectory (see ``docs/architecture.md``, "The outcome table").
    exclusions : DataFrame
        Exclusion log (load + outcomes), columns :data:`wattelt_eval.data.EXCLUSION_COLUMNS`.
    flow : DataFrame
        CONSORT-style counts per outcome: ``outcome, step, kind, n, label_nl, label_en``.
        Within an outcome, ``total - sum(excluded) == analysed``.
    domain_changes : DataFrame
        Per trajectory x rater x domain: first and latest score, change, moved out of /
        into the problem range.
    cohort_domains : DataFrame
        Per arm x rater x domain: mean first, mean latest, mean change and the shares
        improved / same / worse (trajectories with at least two measurements).
    gaps : DataFrame
        Resident - professional gap per trajectory x domain x measurement.
    window_days : int
        Cost window used.
    extract_date : Timestamp
        Data-extract date used for ``follow_up_days``.
    """

    table: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    domain_changes: pd.DataFrame
    cohort_domains: pd.DataFrame
    gaps: pd.DataFrame
    window_days: int
    extract_date: pd.Timestamp | None
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"OutcomeSet(trajectories={len(self.table)}, exclusions={len(self.exclusions)}, "
            f"window_days={self.window_days}, extract_date={_fmt_date(self.extract_date)})"
        )

    def summary(self, lang: Lang = "nl") -> str:
        """Short text summary of the flow (counts only, no row-level data)."""
        _check_lang(lang)
        label = "label_nl" if lang == "nl" else "label_en"
        lines = []
        for outcome, grp in self.flow.groupby("outcome", sort=False):
            lines.append(f"{outcome}:")
            for _, r in grp.iterrows():
                lines.append(f"  {r[label]}: {r['n']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (
            "<b>Uitkomsten / outcomes</b>: "
            f"{len(self.table):,} trajecten / trajectories; kostenvenster / cost window "
            f"{self.window_days} dagen / days; peildatum / extract date "
            f"{_fmt_date(self.extract_date)}; uitsluitingslog / exclusion log "
            f"{len(self.exclusions):,} rijen / rows."
        )
        flow = self.flow[["outcome", "label_nl", "label_en", "n"]]
        reasons = (
            self.exclusions.groupby(["stage", "table", "reason"], observed=True)
            .size()
            .rename("n")
            .reset_index()
        )
        return (
            f"<div>{head}<details open><summary>Flow (CONSORT)</summary>"
            f"{flow.to_html(index=False)}</details>"
            f"<details><summary>Uitsluitingen per reden / exclusions by reason</summary>"
            f"{reasons.to_html(index=False)}</details>"
            f"<details><summary>Leefgebieden per arm / domains by arm</summary>"
            f"{self.cohort_domains.to_html(index=False, float_format=lambda x: f'{x:.2f}')}"
            f"</details>"
            f"<details><summary>Tabel (eerste 5 rijen) / table (first 5 rows)</summary>"
            f"{self.table.head().to_html(index=False)}</details></div>"
        )


def _fmt_date(d: Any) -> str:
    return "-" if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")


# ======================================================================================
# The computation
# ======================================================================================


def outcomes(
    data: PilotData,
    window_days: int | None = None,
    *,
    extract_date: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per-trajectory outcome table (DESIGN.md section 4).

    Parameters
    ----------
    data : PilotData
        A pilot data package in canonical form (``we.load`` or ``we.synth.generate``).
    window_days : int, optional
        Cost window in days from ``start_date`` (default ``data.study.cost_window_days``).
        The window is ``[start_date, start_date + window_days - 1]``, both inclusive.
    extract_date : date, optional
        Data-extract date for ``follow_up_days`` (default: the latest date seen in the
        package, see ``docs/outcomes.md``).

    Returns
    -------
    DataFrame
        One row per trajectory, sorted by ``trajectory_id``, index ``0..n-1``. Columns:
        the carried trajectory columns, extra case-mix columns, ``age`` and
        :data:`TABLE_COLUMNS`.

    See Also
    --------
    outcome_set : the same table with exclusion log, flow and domain monitoring.
    """
    return outcome_set(data, window_days, extract_date=extract_date).table


def outcome_set(
    data: PilotData,
    window_days: int | None = None,
    *,
    extract_date: str | pd.Timestamp | None = None,
) -> OutcomeSet:
    """Outcome table plus exclusion log, CONSORT flow and domain monitoring.

    Parameters
    ----------
    data : PilotData
    window_days : int, optional
        Cost window in days (default ``data.study.cost_window_days``, 365).
    extract_date : date, optional
        Data-extract date for ``follow_up_days`` (default: latest date in the package).

    Returns
    -------
    OutcomeSet

    Notes
    -----
    The definitions and every edge case are documented, in Dutch and English and
    with worked examples, in ``docs/outcomes.md``.
    """
    if window_days is None:
        window_days = data.study.cost_window_days
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)):
        raise ValueError(
            f"window_days must be a positive whole number of days, not {window_days!r}"
        )
    window_days = int(window_days)
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, not {window_days}")
    if extract_date is not None:
        try:
            extract_date = pd.Timestamp(extract_date).normalize()
        except (ValueError, TypeError) as exc:
            raise ValueError(f"extract_date is not a date: {extract_date!r}") from exc
        if pd.isna(extract_date):
            raise ValueError("extract_date is not a date")

    log = _Log()
    tr = _prepare_trajectories(data, log)
    n = len(tr.frame)

    goals, ginfo = _goal_outcomes(data.goals, tr, log)
    tell = _telling_outcomes(data.contacts, tr, log)
    costs = _cost_outcomes(data, tr, window_days, log)
    dom = _domain_outcomes(data, tr, log)

    # ---- follow-up
    if extract_date is None:
        extract_day = _extract_day(data)
    else:
        extract_day = _day_number(extract_date)
    if extract_day is None:
        fu = np.zeros(n, dtype=np.int64)
        fu_missing = np.ones(n, dtype=bool)
    else:
        fu = extract_day - tr.start + 1
        fu_missing = ~tr.start_valid
    fu = np.where(fu_missing, 0, fu)

    # ---- assemble the table
    t = tr.frame.reset_index(drop=True)
    out: dict[str, Any] = {c: t[c] for c in tr.carried}
    sd = t["start_date"]
    out["age"] = (sd.dt.year.astype("Int64") - t["birth_year"].astype("Int64")).astype("Int64")
    out.update(goals)
    out.update(tell)
    out.update(costs)
    out["follow_up_days"] = _int64(fu, fu_missing)
    out["full_follow_up"] = _bool(fu >= window_days, fu_missing)
    out.update(dom["columns"])
    table = pd.DataFrame(
        {k: (v.array if isinstance(v, pd.Series) else v) for k, v in out.items()},
        index=pd.RangeIndex(n),
    )

    own_log = log.frame()
    exclusions = _combine_logs(data.exclusions, own_log)
    flow = _flow(data, table, tr, ginfo)
    ext = None if extract_day is None else pd.Timestamp(np.datetime64(extract_day, "D"))
    return OutcomeSet(
        table=table,
        exclusions=exclusions,
        flow=flow,
        domain_changes=dom["changes"],
        cohort_domains=dom["cohort"],
        gaps=dom["gaps"],
        window_days=window_days,
        extract_date=ext,
    )


# --------------------------------------------------------------------------- trajectories


@dataclass
class _Traj:
    frame: pd.DataFrame  # sorted, deduplicated trajectories (original index kept)
    index: pd.Index  # trajectory_id -> code 0..n-1
    start: np.ndarray  # int64 day of start_date
    start_valid: np.ndarray
    arm: np.ndarray  # code into ARM (-1 missing)
    carried: list[str]
    n_duplicates: int = 0
    n_missing_id: int = 0

    def codes(self, s: pd.Series) -> np.ndarray:
        return _lookup(s, self.index)


def _prepare_trajectories(data: PilotData, log: _Log) -> _Traj:
    from ..schema import ARM

    raw = data.trajectories
    ids = raw["trajectory_id"].astype("string")
    missing = ids.isna().to_numpy()
    log.add("trajectories", raw, missing, "missing_trajectory_id")
    codes = _factorize(ids)
    dup = _later_duplicates(codes, _rownum(raw), ~missing)
    log.add("trajectories", raw, dup, "duplicate_trajectory_id")
    keep = ~(missing | dup)
    tr = raw.loc[keep] if not keep.all() else raw
    # stable sort by id; UTF-8 byte order (Arrow) is code-point order (Python str)
    ids_kept = tr["trajectory_id"].astype("string")
    arr = _arrow_strings(ids_kept)
    if arr is None:  # pragma: no cover - pandas without pyarrow strings
        arr = pa.array(ids_kept.to_numpy(dtype=object), pa.string())
    tr = tr.iloc[pc.sort_indices(arr).to_numpy()]
    del ids_kept, arr
    extras = [
        c for c in data.study.extra_covariates if c in tr.columns and c not in CARRIED_COLUMNS
    ]
    carried = [c for c in CARRIED_COLUMNS if c in tr.columns] + extras
    start, start_valid = _days(tr["start_date"])
    log.add("trajectories", tr, ~start_valid, "start_date_missing")
    index = pd.Index(tr["trajectory_id"].astype("string").to_numpy(), dtype="string")
    return _Traj(
        frame=tr,
        index=index,
        start=start,
        start_valid=start_valid,
        arm=_codes(tr["arm"], ARM),
        carried=carried,
        n_duplicates=int(dup.sum()),
        n_missing_id=int(missing.sum()),
    )


def _extract_day(data: PilotData) -> int | None:
    """Latest date seen in the package (provision end dates excluded: they may be planned)."""
    cols = [
        ("trajectories", "start_date"),
        ("trajectories", "end_date"),
        ("contacts", "date"),
        ("goals", "date"),
        ("domain_scores", "date"),
        ("provisions", "start_date"),
        ("staff_time", "date"),
    ]
    best: int | None = None
    for table, col in cols:
        df = data[table]
        if col not in df.columns or len(df) == 0:
            continue
        s = df[col]
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = pd.to_datetime(s)
        latest = s.max()  # missing dates skipped; no day-number copy of a 90M-row column
        if pd.notna(latest):
            m = _day_number(pd.Timestamp(latest))
            best = m if best is None else max(best, m)
    return best


def _link(df: pd.DataFrame, table: str, tr: _Traj, log: _Log) -> np.ndarray:
    """Trajectory code per row; rows with an unknown trajectory are logged (code -1)."""
    tc = tr.codes(df["trajectory_id"])
    bad = tc < 0
    if bad.any():
        log.add(table, df, bad, "unknown_trajectory")
    return tc


def _rows_increasing(df: pd.DataFrame) -> bool:
    """Whether the row numbers (:func:`_rownum`) increase strictly with position."""
    idx = df.index
    if isinstance(idx, pd.RangeIndex):
        return idx.step > 0
    if not pd.api.types.is_integer_dtype(idx.dtype):
        return True  # positions are used
    return bool(idx.is_monotonic_increasing and idx.is_unique)


def _rownum(df: pd.DataFrame) -> np.ndarray:
    """Row numbers as the user sees them (the ``row`` index), or positions if not numeric."""
    idx = df.index
    if pd.api.types.is_integer_dtype(idx.dtype):
        return idx.to_numpy(dtype=np.int64)
    return np.arange(len(df), dtype=np.int64)


def _rownum_at(df: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """``_rownum(df)[pos]`` without building the row numbers of the whole table."""
    idx = df.index
    if isinstance(idx, pd.RangeIndex):
        return idx.start + idx.step * np.asarray(pos, dtype=np.int64)
    return _rownum(df)[pos]


def _later_duplicates(codes: np.ndarray, rownum: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Among ``cand`` rows, mark all but the lowest row number of each code (codes >= 0)."""
    pos = np.flatnonzero(cand & (codes >= 0))
    dup = np.zeros(len(codes), dtype=bool)
    if len(pos) < 2:
        return dup
    order = pos[_order([codes[pos]], rownum[pos])]
    c = codes[order]
    dup[order[1:][c[1:] == c[:-1]]] = True
    return dup


def _dedupe_ids(df: pd.DataFrame, table: str, idcol: str, ok: np.ndarray, log: _Log) -> np.ndarray:
    """Mark later duplicates (by row number) of ``idcol`` among ``ok`` rows as not ok (logged)."""
    codes = _factorize(df[idcol])
    dup = _later_duplicates(codes, _rownum(df), ok)
    log.add(table, df, dup, "duplicate_id")
    return ok & ~dup


# --------------------------------------------------------------------------- goals


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


def _goal_outcomes(
    g: pd.DataFrame, tr: _Traj, log: _Log
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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
    retained = is_r & (lin_final | lin_achieved)  # resident goals are roots
    ach_r = is_r & lin_achieved
    owned = by_res[root]

    n_r = _count(tc, n, is_r)
    n_ret = _count(tc, n, retained)
    n_ach = _count(tc, n, ach_r)
    n_final = _count(tc, n, in_final)
    n_owned = _count(tc, n, in_final & owned)
    gas_goal = at_last & ~np.isnan(att)
    gas_n = _count(tc, n, gas_goal)
    gas_sum = _count(tc, n, np.where(gas_goal, att, 0.0))

    # A goal contributes when it belongs to a resident goal's lineage, is in the last plan,
    # carries a GAS score used, or links a last-plan goal to its root (ownership).
    used = is_r[root] | in_final | gas_goal | lin_final[root]
    log.add("goals", g, pos[~used], "goal_not_used")

    return {
        "n_resident_goals": _int64(n_r),
        "n_resident_goals_retained": _int64(n_ret),
        "goal_retention": _div(n_ret, n_r),
        "n_goals_final": _int64(n_final),
        "goal_ownership": _div(n_owned, n_final),
        "goals_achieved_share": _div(n_ach, n_r),
        "gas_t": gas_t_score(gas_sum, gas_n),
    }, {"n_goals": _count(tc, n), "first_stage": first_stage, "last_stage": last_stage}


# --------------------------------------------------------------------------- tellings


def _telling_outcomes(c: pd.DataFrame, tr: _Traj, log: _Log) -> dict[str, Any]:
    n = len(tr.frame)
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

    n_contacts = _count(tc, n)
    n_tell = _count(tc, n, telling)
    n_inf = _count(tc, n, inferred)
    none = n_contacts == 0
    return {
        "n_contacts": _int64(n_contacts),
        "n_tellings": _int64(n_tell, none),
        "n_retells": _int64(np.maximum(n_tell - 1, 0), none),
        "retells_inferred": _div(n_inf, n_tell),
    }


# --------------------------------------------------------------------------- costs


def _cost_outcomes(data: PilotData, tr: _Traj, window_days: int, log: _Log) -> dict[str, Any]:
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
        np.where(freq == _FREQ_WEEK, vp / 7.0, vp / DAYS_PER_MONTH),
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
        raise ValueError(
            "study.toml [rates] has no hourly rate for role(s) "
            + ", ".join(lacking)
            + " that occur in staff_time / geen uurtarief voor deze rol(len)"
        )
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


# --------------------------------------------------------------------------- domains


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

    # ---- first vs latest per trajectory x rater x domain
    if inst.direction == "lower_is_better":
        problem = sc >= inst.problem_threshold
        sign = -1.0
    else:
        problem = sc <= inst.problem_threshold
        sign = 1.0
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


# --------------------------------------------------------------------------- flow

_FLOW_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Trajecten ontvangen", "Trajectories received"),
    "excluded_at_load": ("Uitgesloten bij inlezen", "Excluded at load"),
    "missing_trajectory_id": ("Zonder trajectory_id", "Without trajectory_id"),
    "duplicate_trajectory_id": ("Dubbel trajectory_id", "Duplicate trajectory_id"),
    "included": ("Trajecten in de uitkomstentabel", "Trajectories in the outcome table"),
    "no_goals": ("Geen doelen vastgelegd", "No goals recorded"),
    "no_resident_goals": (
        "Geen doelen van de inwoner (of samen) in de eerste fase",
        "No resident (or joint) goals at the earliest stage",
    ),
    "no_final_goals": (
        "Geen (niet-vervallen) doelen in de laatste fase",
        "No (non-dropped) goals at the last stage",
    ),
    "no_attainment": (
        "Geen GAS-score vastgelegd in de laatste fase",
        "No GAS attainment recorded at the last stage",
    ),
    "earliest_stage_not_intake": (
        "waarvan eerste fase met doelen is niet de intake",
        "of which the earliest stage with goals is not intake",
    ),
    "single_stage": (
        "waarvan doelen in één fase (eerste = laatste fase)",
        "of which goals at one stage only (earliest = last stage)",
    ),
    "no_contacts": ("Geen contacten vastgelegd", "No contacts recorded"),
    "no_tellings": (
        "Geen keer het verhaal verteld (of geen contacten)",
        "No tellings (or no contacts)",
    ),
    "start_date_missing": ("Startdatum ontbreekt", "start_date missing"),
    "cost_unknown": (
        "Kosten onbekend (voorziening zonder bedrag of prijs)",
        "Cost unknown (provision without amount or price)",
    ),
    "full_follow_up": (
        "waarvan het hele kostenvenster gevolgd",
        "of which followed for the whole cost window",
    ),
    "no_resident_scores_t0": (
        "Geen scores van de inwoner bij meting 0",
        "No resident scores at measurement 0",
    ),
    "fewer_than_two_measurements": (
        "Geen leefgebied met twee of meer metingen door de inwoner",
        "No domain with two or more resident measurements",
    ),
    "no_pair_t0": (
        "Geen score van inwoner én professional op hetzelfde leefgebied bij meting 0",
        "No resident and professional score on the same domain at measurement 0",
    ),
    "analysed": ("Geanalyseerd", "Analysed"),
}


def _flow(
    data: PilotData, table: pd.DataFrame, tr: _Traj, ginfo: dict[str, np.ndarray]
) -> pd.DataFrame:
    rows: list[tuple[str, str, str, int]] = []
    load = data.exclusions
    n_load = 0
    if load is not None and len(load):
        n_load = int((load["table"].astype("string") == "trajectories").sum())
    n = len(table)
    rows += [
        ("trajectories", "received", "total", n + n_load + tr.n_duplicates + tr.n_missing_id),
        ("trajectories", "excluded_at_load", "excluded", n_load),
        ("trajectories", "missing_trajectory_id", "excluded", tr.n_missing_id),
        ("trajectories", "duplicate_trajectory_id", "excluded", tr.n_duplicates),
        ("trajectories", "analysed", "analysed", n),
    ]
    n_goals = ginfo["n_goals"]
    first_stage, last_stage = ginfo["first_stage"], ginfo["last_stage"]
    nr = table["n_resident_goals"].to_numpy(dtype=np.int64)
    nf = table["n_goals_final"].to_numpy(dtype=np.int64)
    no_goals = n_goals == 0
    analysed_r = nr > 0
    rows += [
        ("goal_retention", "included", "total", n),
        ("goal_retention", "no_goals", "excluded", int(no_goals.sum())),
        ("goal_retention", "no_resident_goals", "excluded", int((~no_goals & (nr == 0)).sum())),
        ("goal_retention", "analysed", "analysed", int(table["goal_retention"].notna().sum())),
        (
            "goal_retention",
            "earliest_stage_not_intake",
            "info",
            int((analysed_r & (first_stage > 0)).sum()),
        ),
        (
            "goal_retention",
            "single_stage",
            "info",
            int((analysed_r & (first_stage == last_stage)).sum()),
        ),
        ("goal_ownership", "included", "total", n),
        ("goal_ownership", "no_goals", "excluded", int(no_goals.sum())),
        ("goal_ownership", "no_final_goals", "excluded", int((~no_goals & (nf == 0)).sum())),
        ("goal_ownership", "analysed", "analysed", int(table["goal_ownership"].notna().sum())),
        ("gas_t", "included", "total", n),
        ("gas_t", "no_attainment", "excluded", int(table["gas_t"].isna().sum())),
        ("gas_t", "analysed", "analysed", int(table["gas_t"].notna().sum())),
    ]
    nc = table["n_contacts"].to_numpy(dtype=np.int64)
    rows += [
        ("n_tellings", "included", "total", n),
        ("n_tellings", "no_contacts", "excluded", int((nc == 0).sum())),
        ("n_tellings", "analysed", "analysed", int(table["n_tellings"].notna().sum())),
        ("retells_inferred", "included", "total", n),
        (
            "retells_inferred",
            "no_tellings",
            "excluded",
            int(table["retells_inferred"].isna().sum()),
        ),
        ("retells_inferred", "analysed", "analysed", int(table["retells_inferred"].notna().sum())),
    ]
    no_start = int((~tr.start_valid).sum())
    cost_na = int(table["cost_total"].isna().sum())
    rows += [
        ("cost_total", "included", "total", n),
        ("cost_total", "start_date_missing", "excluded", no_start),
        ("cost_total", "cost_unknown", "excluded", cost_na - no_start),
        ("cost_total", "analysed", "analysed", n - cost_na),
        (
            "cost_total",
            "full_follow_up",
            "info",
            int((table["full_follow_up"].fillna(False) & table["cost_total"].notna()).sum()),
        ),
    ]
    rows += [
        ("n_problem_domains_t0", "included", "total", n),
        (
            "n_problem_domains_t0",
            "no_resident_scores_t0",
            "excluded",
            int(table["n_problem_domains_t0"].isna().sum()),
        ),
        (
            "n_problem_domains_t0",
            "analysed",
            "analysed",
            int(table["n_problem_domains_t0"].notna().sum()),
        ),
        ("mean_change_resident", "included", "total", n),
        (
            "mean_change_resident",
            "fewer_than_two_measurements",
            "excluded",
            int(table["mean_change_resident"].isna().sum()),
        ),
        (
            "mean_change_resident",
            "analysed",
            "analysed",
            int(table["mean_change_resident"].notna().sum()),
        ),
        ("disagreement_t0", "included", "total", n),
        ("disagreement_t0", "no_pair_t0", "excluded", int(table["disagreement_t0"].isna().sum())),
        ("disagreement_t0", "analysed", "analysed", int(table["disagreement_t0"].notna().sum())),
    ]
    flow = pd.DataFrame(rows, columns=["outcome", "step", "kind", "n"])
    flow["label_nl"] = [_FLOW_LABELS[s][0] for s in flow["step"]]
    flow["label_en"] = [_FLOW_LABELS[s][1] for s in flow["step"]]
    flow["n"] = flow["n"].astype(np.int64)
    return flow


# ======================================================================================
# CLI
# ======================================================================================


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval outcomes``."""
    p = subparsers.add_parser(
        "outcomes",
        help="per-trajectory outcome table / uitkomstentabel per traject",
        description=(
            "Bereken de uitkomstentabel (één rij per traject) van een datapakket. / "
            "Compute the outcome table (one row per trajectory) of a data package."
        ),
    )
    p.add_argument(
        "path", nargs="?", help="data package (folder or .xlsx) / datapakket (map of .xlsx)"
    )
    p.add_argument(
        "--demo", action="store_true", help="use the bundled demo pilot / gebruik de demo"
    )
    p.add_argument("--out", required=True, help="output file, .csv or .parquet / uitvoerbestand")
    p.add_argument(
        "--window-days", type=int, default=None, help="cost window in days / kostenvenster in dagen"
    )
    p.add_argument(
        "--extract-date", default=None, help="data-extract date (YYYY-MM-DD) / peildatum"
    )
    p.add_argument(
        "--exclusions", default=None, help="also write the exclusion log (.csv/.parquet)"
    )
    p.add_argument("--flow", default=None, help="also write the flow table (.csv/.parquet)")
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="language of messages / taal")


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, lineterminator="\n")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval outcomes``; returns the exit code (0 ok, 1 invalid data, 2 usage)."""
    nl = args.lang == "nl"
    err = sys.stderr
    outs = [Path(args.out)] + [Path(x) for x in (args.exclusions, args.flow) if x]
    for o in outs:
        if o.suffix.lower() not in (".csv", ".parquet"):
            print(
                f"wattelt-eval outcomes: {o} moet eindigen op .csv of .parquet"
                if nl
                else f"wattelt-eval outcomes: {o} must end in .csv or .parquet",
                file=err,
            )
            return 2
    if bool(args.path) == bool(args.demo):
        print(
            "wattelt-eval outcomes: geef een PAD of --demo (niet allebei)"
            if nl
            else "wattelt-eval outcomes: give a PATH or --demo (not both)",
            file=err,
        )
        return 2
    if args.demo:
        try:
            from .. import synth
        except ModuleNotFoundError:
            print("wattelt-eval outcomes: --demo needs wattelt_eval.synth", file=err)
            return 2
        data = synth.demo()
    else:
        from ..validation import ValidationError, load

        try:
            data = load(args.path)
        except ValidationError as exc:
            problems = getattr(exc, "problems", None)
            print(("Ongeldige data:" if nl else "Invalid data:") + f" {exc}", file=err)
            if problems is not None and len(problems):
                print(problems.to_string(index=False), file=err)
            return 1
        except FileNotFoundError as exc:
            print(f"wattelt-eval outcomes: {exc}", file=err)
            return 2
    try:
        res = outcome_set(data, args.window_days, extract_date=args.extract_date)
    except ValueError as exc:
        print(f"wattelt-eval outcomes: {exc}", file=err)
        return 2
    _write(res.table, Path(args.out))
    if args.exclusions:
        _write(res.exclusions, Path(args.exclusions))
    if args.flow:
        _write(res.flow, Path(args.flow))
    print(
        f"{len(res.table)} trajecten geschreven naar {args.out}; uitsluitingslog: "
        f"{len(res.exclusions)} rijen"
        if nl
        else f"wrote {len(res.table)} trajectories to {args.out}; exclusion log: "
        f"{len(res.exclusions)} rows"
    )
    return 0
