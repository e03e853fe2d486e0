"""Checks across rows and tables, one registered rule per check.

Each check reads the parsed tables through a :class:`CrossContext` and reports its
problems; none modifies a table (normalising values, e.g. domain labels to codes, is
the load step's job: :func:`.build.build`). The checks run in registration order:
unique ids and keys, references, dates, goal lineage (:mod:`.lineage`), the
instrument, costs, then the warnings per trajectory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..bsn import as_arrow_strings as _arrow_strings
from ..i18n import LANGS, pair, text
from ..instruments import Instrument
from ..io import recode_categorical
from ..schema import TABLES
from . import reasons as _reasons  # noqa: F401 - declares the reason codes
from .lineage import check_derived_from
from .parse import (
    _isin,
    _norm_key,
    _norm_series,
    _per_unique,
    _suggest,
    distinct_values,
    fmt_num,
    plain_num,
)
from .problems import Problems, fill
from .registry import check

__all__ = ["CrossContext", "domain_lookup", "domain_codes"]


@dataclass
class CrossContext:
    """What the cross-table checks read: the parsed tables and what is known about them."""

    #: parsed tables (index = the user's row numbers); read only
    tables: dict[str, pd.DataFrame]
    #: schema columns present per table
    present: dict[str, set[str]]
    #: file (or ``workbook [sheet]``) per table
    sources: dict[str, str]
    instrument: Instrument | None
    #: per table and column, the cells that failed parsing (reported once, as invalid)
    invalid: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: the study settings (plausibility thresholds, study period)
    study: Any = None
    #: the data-extract date the checks use, and where it came from
    #: (``argument``, ``study`` or ``inferred``)
    extract_date: pd.Timestamp | None = None
    extract_source: str = ""

    def has(self, table: str, *cols: str) -> bool:
        """``table`` was read and has every column in ``cols``."""
        return table in self.tables and all(c in self.present[table] for c in cols)

    def blank(self, table: str, col: str) -> pd.Series:
        """Cells left empty by the user (an invalid value is reported once, as invalid)."""
        m = self.tables[table][col].isna()
        b = self.invalid.get(table, {}).get(col)
        return m & ~b if b is not None else m

    @functools.cached_property
    def trajectory_ids(self) -> pd.Index | None:
        """Distinct trajectory ids, or None without a trajectories table with ids."""
        if not self.has("trajectories", "trajectory_id"):
            return None
        return pd.Index(self.tables["trajectories"]["trajectory_id"].dropna().unique())


def _rows(df: pd.DataFrame, mask: Any) -> np.ndarray:
    return df.index.to_numpy()[np.asarray(mask, dtype=bool)]


def _iso(s: pd.Series) -> np.ndarray:
    return s.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)


def _first_map(s: pd.Series) -> pd.Series:
    """value -> index (row) of its first occurrence."""
    s = s.dropna()
    first = s[~s.duplicated(keep="first")]
    return pd.Series(first.index.to_numpy(), index=first.to_numpy())


def _value_codes(s: pd.Series) -> tuple[np.ndarray, int]:
    """One integer per cell, equal for equal values, -1 for missing; and the code count + 1.

    A categorical's own codes, or whole numbers shifted by their minimum when their range
    is small; otherwise ``pd.factorize`` (a hash table).
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), len(s.cat.categories) + 1
    if pd.api.types.is_integer_dtype(s) and s.notna().any():
        lo, hi = int(s.min()), int(s.max())
        if hi - lo < 2**20:  # missing -> lo - 1 -> code -1
            codes = s.to_numpy(dtype=np.int32, na_value=lo - 1)
            codes -= lo
            return codes, hi - lo + 2
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return codes, len(uniq) + 1


def _duplicated_rows(sub: pd.DataFrame) -> np.ndarray:
    """``sub.duplicated(keep="first")`` as a numpy mask, via one int64 key per row.

    Each column is factorised once (missing values get a code of their own, as in
    ``DataFrame.duplicated``) and the codes are combined into a single integer, which
    is much faster than hashing the row tuples of millions of rows.
    """
    key = np.zeros(len(sub), dtype=np.int64)
    span = 1
    for c in sub.columns:
        codes, k = _value_codes(sub[c])
        if span * k >= 2**62:  # too many combinations for one int64: the general route
            return sub.duplicated(keep="first").to_numpy(dtype=bool)
        key *= k  # in place: a key of 90M rows is 720 MB
        key += codes
        key += 1
        del codes
        span *= k
    if len(key) and span <= min(8 * len(key), 2**26):
        # few possible keys: count them; only keys seen more than once need the hash table
        multi = np.bincount(key, minlength=span)[key] > 1
        dup = np.zeros(len(key), dtype=bool)
        if multi.any():
            dup[multi] = pd.Series(key[multi]).duplicated(keep="first").to_numpy(dtype=bool)
        return dup
    return duplicated_first(key)


def duplicated_first(key: np.ndarray) -> np.ndarray:
    """``pd.Series(key).duplicated(keep="first")`` of an int64 array, by a stable sort.

    Equal keys end up next to each other in their original order, so every key equal to
    its predecessor is a repeat. A stable sort of keys that arrive mostly in order (rows
    grouped by trajectory) is nearly linear and needs no hash table of tens of millions
    of entries.
    """
    dup = np.zeros(len(key), dtype=bool)
    if len(key) < 2 or bool((key[1:] > key[:-1]).all()):  # strictly increasing: all distinct
        return dup
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    dup[order[1:][ordered[1:] == ordered[:-1]]] = True
    return dup


# ---- unique ids and keys -------------------------------------------------------------


def _all_distinct(s: pd.Series) -> bool:
    """True when the present values of a text column are all different (False: maybe not)."""
    if not isinstance(s.dtype, pd.StringDtype):
        return False
    a = _arrow_strings(s)
    return pc.count_distinct(a, mode="only_valid").as_py() == len(a) - a.null_count


@check("unique_ids", "cross", "duplicate_id")
def check_unique_ids(ctx: CrossContext, P: Problems) -> None:
    """Every id column marked unique in the schema holds each value once."""
    for name, t in ctx.tables.items():
        for col in TABLES[name].columns:
            if not (col.unique and col.name in ctx.present[name]):
                continue
            s = t[col.name]
            if _all_distinct(s):  # the common case, one pyarrow hash pass
                continue
            dup = (s.duplicated(keep="first") & s.notna()).to_numpy(dtype=bool)
            if dup.any():
                first = s[dup].map(_first_map(s)).astype("Int64").astype(str).to_numpy(dtype=object)
                P.add(
                    "duplicate_id",
                    ctx.sources[name],
                    _rows(t, dup),
                    col.name,
                    s[dup].to_numpy(dtype=object),
                    pair("validation.expected.unique"),
                    fill("validation.detail.first_in_row", row=first),
                )


@check("unique_keys", "cross", "duplicate_key")
def check_unique_keys(ctx: CrossContext, P: Problems) -> None:
    """Tables with a composite key (one score per trajectory, measurement, domain, rater)."""
    for name, t in ctx.tables.items():
        key = TABLES[name].unique_together
        if not (key and ctx.has(name, *key)):
            continue
        sub = t[list(key)]
        complete = sub.notna().all(axis=1)
        dup = _duplicated_rows(sub) & complete.to_numpy(dtype=bool)
        if not dup.any():
            continue
        first_rows = (
            sub[complete]
            .reset_index()
            .groupby(list(key), dropna=True, sort=False)["row"]
            .transform("min")
        )
        first_rows.index = sub[complete].index
        fr = first_rows.reindex(sub.index)[dup].astype("Int64").astype(str).to_numpy(dtype=object)
        P.add(
            "duplicate_key",
            ctx.sources[name],
            _rows(t, dup),
            key[-2],
            t[key[-2]][dup].to_numpy(dtype=object),
            pair("validation.expected.unique_score"),
            fill("validation.detail.same_as_row", row=fr),
        )


# ---- references and dates ------------------------------------------------------------


@check("trajectory_references", "cross", "unknown_reference")
def check_trajectory_references(ctx: CrossContext, P: Problems) -> None:
    """Every trajectory_id in another table exists in the trajectories table."""
    traj_ids = ctx.trajectory_ids
    if traj_ids is None:
        return
    for name, t in ctx.tables.items():
        if name == "trajectories" or "trajectory_id" not in ctx.present[name]:
            continue
        s = t["trajectory_id"]
        unknown = s.notna().to_numpy(dtype=bool) & ~_isin(s, traj_ids)
        if unknown.any():
            P.add(
                "unknown_reference",
                ctx.sources[name],
                _rows(t, unknown),
                "trajectory_id",
                s[unknown].to_numpy(dtype=object),
                pair(
                    "validation.expected.trajectory_reference", source=ctx.sources["trajectories"]
                ),
            )


@check("end_after_start", "cross", "end_before_start")
def check_end_after_start(ctx: CrossContext, P: Problems) -> None:
    """A trajectory or provision does not end before it starts."""
    for name in ("trajectories", "provisions"):
        if not ctx.has(name, "start_date", "end_date"):
            continue
        t = ctx.tables[name]
        bad = (t["end_date"] < t["start_date"]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            P.add(
                "end_before_start",
                ctx.sources[name],
                _rows(t, bad),
                "end_date",
                _iso(t["end_date"][bad]),
                fill("validation.expected.on_or_after_start", start=_iso(t["start_date"][bad])),
            )


@check("contacts_in_trajectory", "cross", "contact_outside_trajectory")
def check_contacts_in_trajectory(ctx: CrossContext, P: Problems) -> None:
    """A contact falls within its trajectory's start and end date."""
    if not (
        ctx.trajectory_ids is not None
        and ctx.has("contacts", "trajectory_id", "date")
        and ctx.has("trajectories", "start_date")
    ):
        return
    tr = ctx.tables["trajectories"]
    tr = tr[~tr["trajectory_id"].duplicated(keep="first") & tr["trajectory_id"].notna()]
    tr = tr.set_index("trajectory_id")
    c = ctx.tables["contacts"]
    # reindex, not Series.map: map with an empty datetime mapper fails (no trajectories)
    start = pd.Series(tr["start_date"].reindex(c["trajectory_id"]).to_numpy(), index=c.index)
    if "end_date" in ctx.present["trajectories"]:
        end = pd.Series(tr["end_date"].reindex(c["trajectory_id"]).to_numpy(), index=c.index)
    else:
        end = pd.Series(pd.NaT, index=c.index, dtype="datetime64[ns]")
    end = end.where(~(end < start))  # an end before start is already an error
    d = c["date"]
    bad = ((d < start) | (d > end)).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return
    s_txt = _iso(start[bad])
    e_txt = end[bad].dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    open_end = e_txt == ""
    nl = np.empty(len(s_txt), dtype=object)
    en = np.empty(len(s_txt), dtype=object)
    if open_end.any():
        nl[open_end], en[open_end] = fill("validation.expected.contact_from", start=s_txt[open_end])
    if (~open_end).any():
        nl[~open_end], en[~open_end] = fill(
            "validation.expected.contact_from_to", start=s_txt[~open_end], end=e_txt[~open_end]
        )
    P.add(
        "contact_outside_trajectory",
        ctx.sources["contacts"],
        _rows(c, bad),
        "date",
        _iso(d[bad]),
        (nl, en),
    )


@check(
    "goal_lineage",
    "cross",
    "unknown_reference",
    "derived_from_other_trajectory",
    "derived_from_later_stage",
    "derived_from_cycle",
)
def check_goal_lineage(ctx: CrossContext, P: Problems) -> None:
    """derived_from: known goal, same trajectory, no later stage, no cycle (:mod:`.lineage`)."""
    if ctx.has("goals", "goal_id", "derived_from"):
        check_derived_from(ctx.tables["goals"], ctx.present["goals"], ctx.sources["goals"], P)


# ---- the instrument --------------------------------------------------------------------


def domain_lookup(instrument: Instrument) -> dict[str, str]:
    """Accepted spellings (normalised code or nl/en label) -> domain code of ``instrument``."""
    lookup: dict[str, str] = {}
    for dom in instrument.domains:
        for k in (dom.code, dom.label_nl, dom.label_en):
            lookup.setdefault(_norm_key(k), dom.code)
    return lookup


def domain_codes(s: pd.Series, instrument: Instrument) -> pd.Series:
    """The domain codes of a column of codes or labels (missing where unknown)."""
    lookup = domain_lookup(instrument)
    if isinstance(s.dtype, pd.CategoricalDtype):  # dictionary-encoded: map the categories
        cats = pd.Series(np.asarray(s.cat.categories, dtype=object), dtype="string")
        return recode_categorical(s, _norm_series(cats).map(lookup))
    mapped = _per_unique(s, lambda u: _norm_series(u).map(lookup), as_string=True)
    return mapped.astype("string")


#: tables with a domain column of the study's instrument
DOMAIN_TABLES = ("domain_scores", "goals")


@check("known_domains", "cross", "unknown_domain")
def check_known_domains(ctx: CrossContext, P: Problems) -> None:
    """A domain is a code or label of the study's instrument."""
    instrument = ctx.instrument
    if instrument is None:
        return
    for name in DOMAIN_TABLES:
        if not ctx.has(name, "domain"):
            continue
        t = ctx.tables[name]
        s = t["domain"]
        bad = (s.notna() & domain_codes(s, instrument).isna()).to_numpy(dtype=bool)
        if bad.any():
            codes = ", ".join(instrument.domain_codes)
            P.add(
                "unknown_domain",
                ctx.sources[name],
                _rows(t, bad),
                "domain",
                s[bad].to_numpy(dtype=object),
                pair("validation.expected.domain_code", instrument=instrument.code, codes=codes),
                _suggest(s[bad], instrument.domain_codes),
            )


@check("scores_on_scale", "cross", "score_out_of_scale")
def check_scores_on_scale(ctx: CrossContext, P: Problems) -> None:
    """A score lies on the instrument's scale."""
    instrument = ctx.instrument
    if instrument is None or not ctx.has("domain_scores", "score"):
        return
    t = ctx.tables["domain_scores"]
    sc = t["score"].to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isnan(sc) & ((sc < instrument.scale_min) | (sc > instrument.scale_max))
    if bad.any():
        expected = tuple(
            text(
                "validation.expected.score_range",
                lang,
                low=fmt_num(instrument.scale_min, lang),
                high=fmt_num(instrument.scale_max, lang),
                instrument=instrument.code,
            )
            for lang in LANGS
        )
        P.add(
            "score_out_of_scale",
            ctx.sources["domain_scores"],
            _rows(t, bad),
            "score",
            t["score"][bad].map(plain_num).to_numpy(dtype=object),
            expected,
        )


@check("study_instrument", "cross", "instrument_mismatch")
def check_study_instrument(ctx: CrossContext, P: Problems) -> None:
    """The instrument named in a score row is the study's (or empty)."""
    instrument = ctx.instrument
    if instrument is None or not ctx.has("domain_scores", "instrument"):
        return
    t = ctx.tables["domain_scores"]
    s = t["instrument"]
    codes, uniq = pd.factorize(s)  # one instrument code in millions of rows: compare it once
    u = pd.Series(np.asarray(uniq, dtype=object), dtype="string")
    u_bad = (u.str.strip().str.lower() != instrument.code.lower()).to_numpy(dtype=bool)
    bad = (codes >= 0) & u_bad[np.maximum(codes, 0)] if len(u) else np.zeros(len(s), dtype=bool)
    if bad.any():
        P.add(
            "instrument_mismatch",
            ctx.sources["domain_scores"],
            _rows(t, bad),
            "instrument",
            s[bad].to_numpy(dtype=object),
            pair("validation.expected.study_instrument", instrument=instrument.code),
        )


# ---- costs -------------------------------------------------------------------------------


@check("price_or_amount", "cross", "no_price_or_amount", "missing_volume", "missing_column")
def check_price_or_amount(ctx: CrossContext, P: Problems) -> None:
    """A provision has an amount, or a volume and a unit price."""
    if "provisions" not in ctx.tables:
        return
    t = ctx.tables["provisions"]
    amount = ctx.blank("provisions", "amount")
    price = ctx.blank("provisions", "unit_price")
    vol = ctx.blank("provisions", "volume")
    invalid = np.zeros(len(t), dtype=bool)
    for c in ("amount", "unit_price", "volume"):
        if c in ctx.invalid.get("provisions", {}):
            invalid |= ctx.invalid["provisions"][c]
    f = ctx.sources["provisions"]
    present = ctx.present["provisions"]
    if "amount" not in present and "unit_price" not in present:
        if len(t):
            P.add("missing_column", f, 1, "amount", "", pair("validation.expected.amount_columns"))
        return
    ok_rows = ~(t["provision_id"].isna() & t["trajectory_id"].isna())
    neither = (amount & price & ok_rows).to_numpy(dtype=bool) & ~invalid
    if neither.any():
        P.add(
            "no_price_or_amount",
            f,
            _rows(t, neither),
            "amount",
            "",
            pair("validation.expected.amount"),
        )
    novol = (amount & ~price & vol).to_numpy(dtype=bool) & ~invalid
    if novol.any():
        P.add(
            "missing_volume", f, _rows(t, novol), "volume", "", pair("validation.expected.volume")
        )


# ---- warnings per trajectory ---------------------------------------------------------------

_WITHOUT = (("contacts", "no_contacts"), ("goals", "no_goals"), ("domain_scores", "no_scores"))


@check("trajectory_has_rows", "cross", "no_contacts", "no_goals", "no_scores")
def check_trajectory_has_rows(ctx: CrossContext, P: Problems) -> None:
    """A trajectory has contacts, goals and domain scores (warnings)."""
    if ctx.trajectory_ids is None:
        return
    tr = ctx.tables["trajectories"]
    ids = tr["trajectory_id"]
    for name, rule in _WITHOUT:
        if name not in ctx.tables or "trajectory_id" not in ctx.present[name]:
            continue
        without = ids.notna().to_numpy(dtype=bool) & ~_isin(
            ids, distinct_values(ctx.tables[name]["trajectory_id"])
        )
        if without.any():
            P.add(
                rule,
                ctx.sources["trajectories"],
                _rows(tr, without),
                "trajectory_id",
                ids[without].to_numpy(dtype=object),
                ("", ""),
                pair("validation.detail.no_rows_in", source=ctx.sources[name]),
            )
