"""Check and load a pilot data package: :func:`validate`, :func:`load`, :class:`ValidationError`.

``validate(path)`` lists *every* problem at once, never raising on bad data. Each
problem names the file (or ``workbook.xlsx [sheet]``), the row number as the user
sees it in Excel or a text editor (the header is row 1), the column, the value
and what was expected, with a message in Dutch (default) or English.

``load(path)`` runs the same checks; with any error it raises
:class:`ValidationError` (``.problems`` holds the list), otherwise it returns a
:class:`~wattelt_eval.data.PilotData` with the tables in canonical form
(:mod:`wattelt_eval.schema`), the study settings, the instrument, an exclusion
log and the warnings (``data.warnings``).

All checks are vectorised (pandas/numpy over whole columns); a package with
100,000 trajectories (11.7 million rows) validates in about 15 s from
parquet (``benchmarks/bench_validate.py``, ``docs/data_model.md``).

Notes
-----
Rules (``problems.rule``), severity in brackets:

* reading: ``missing_path``, ``not_a_package``, ``unreadable_file``, ``missing_table``,
  ``duplicate_table``, ``empty_table`` [error]; ``unknown_file``, ``unknown_sheet`` [warning];
* study settings: ``study_unreadable``, ``study_type``, ``study_value``,
  ``unknown_instrument`` [error]; ``missing_study``, ``study_unknown_key`` [warning];
* columns: ``missing_column``, ``duplicate_column`` [error]; ``unknown_column`` [warning];
* cells: ``missing_value``, ``invalid_date``, ``ambiguous_date``, ``impossible_date``,
  ``invalid_number``, ``ambiguous_number``, ``not_integer``, ``invalid_bool``,
  ``invalid_enum``, ``pattern``, ``out_of_range``, ``bsn`` [error];
* across rows and tables: ``duplicate_id``, ``duplicate_key``, ``unknown_reference``,
  ``end_before_start``, ``contact_outside_trajectory``, ``derived_from_cycle``,
  ``derived_from_later_stage``, ``derived_from_other_trajectory``,
  ``score_out_of_scale``, ``unknown_domain``, ``instrument_mismatch``,
  ``no_price_or_amount``, ``missing_volume`` [error];
* per trajectory: ``no_contacts``, ``no_goals``, ``no_scores`` [warning].

A cell holding a BSN-like number (nine digits passing the elfproef) gets only the
``bsn`` problem, with the value masked; no other problem repeats that cell's value.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .bsn import scan_bsn, scan_contact_details
from .data import PilotData, StudySettings, empty_exclusions
from .instruments import BUILTIN, Instrument, load_instrument
from .io import RawPackage, RawTable, read_package
from .schema import STAGE_ORDER, STUDY_FIELDS, TABLES, Column

Lang = Literal["nl", "en"]
OutputFormat = Literal["text", "json"]

#: Columns of the problem list returned by :func:`validate`.
PROBLEM_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "expected", "message"]
#: What a BSN-like value is replaced by in every problem.
MASK = "*********"
#: Longest value shown in a message.
MAX_VALUE_CHARS = 60

# rule -> (severity, Dutch text, English text). ``{value}`` is the cell value as written.
RULES: dict[str, tuple[str, str, str]] = {
    "missing_path": (
        "error",
        "deze map of dit bestand bestaat niet",
        "this folder or file does not exist",
    ),
    "not_a_package": (
        "error",
        "dit is geen datapakket",
        "this is not a data package",
    ),
    "unreadable_file": ("error", "het bestand kan niet gelezen worden", "the file cannot be read"),
    "missing_table": ("error", "de verplichte tabel ontbreekt", "the required table is missing"),
    "duplicate_table": (
        "error",
        "er zijn twee bestanden of werkbladen voor dezelfde tabel",
        "there are two files or sheets for the same table",
    ),
    "empty_table": ("error", "de tabel bevat geen rijen", "the table has no rows"),
    "unknown_file": (
        "warning",
        "dit bestand hoort bij geen enkele tabel en wordt niet gelezen",
        "this file belongs to no table and is not read",
    ),
    "unknown_sheet": (
        "warning",
        "dit werkblad hoort bij geen enkele tabel en wordt niet gelezen",
        "this sheet belongs to no table and is not read",
    ),
    "missing_study": (
        "warning",
        "de studie-instellingen ontbreken; de standaardinstellingen worden gebruikt",
        "the study settings are missing; the defaults are used",
    ),
    "study_unreadable": (
        "error",
        "de studie-instellingen kunnen niet gelezen worden",
        "the study settings cannot be read",
    ),
    "study_unknown_key": (
        "warning",
        "onbekende instelling '{value}' wordt genegeerd",
        "unknown setting '{value}' is ignored",
    ),
    "study_type": ("error", "'{value}' heeft het verkeerde type", "'{value}' has the wrong type"),
    "study_value": (
        "error",
        "'{value}' is geen toegestane waarde",
        "'{value}' is not an allowed value",
    ),
    "unknown_instrument": (
        "error",
        "instrument '{value}' is onbekend",
        "instrument '{value}' is unknown",
    ),
    "missing_column": ("error", "de verplichte kolom ontbreekt", "the required column is missing"),
    "duplicate_column": ("error", "deze kolom komt twee keer voor", "this column occurs twice"),
    "unknown_column": (
        "warning",
        "onbekende kolom '{value}'; wordt bewaard maar niet gebruikt",
        "unknown column '{value}'; kept but not used",
    ),
    "missing_value": ("error", "de waarde ontbreekt", "the value is missing"),
    "invalid_date": ("error", "'{value}' is geen datum", "'{value}' is not a date"),
    "ambiguous_date": (
        "error",
        "'{value}' is dubbelzinnig (dag/maand of maand/dag?)",
        "'{value}' is ambiguous (day/month or month/day?)",
    ),
    "impossible_date": (
        "error",
        "'{value}' is een datum die niet bestaat",
        "'{value}' is a date that does not exist",
    ),
    "invalid_number": ("error", "'{value}' is geen getal", "'{value}' is not a number"),
    "ambiguous_number": (
        "error",
        "'{value}' is dubbelzinnig (scheidingsteken voor duizendtallen of decimalen?)",
        "'{value}' is ambiguous (thousands separator or decimal separator?)",
    ),
    "not_integer": ("error", "'{value}' is geen geheel getal", "'{value}' is not a whole number"),
    "invalid_bool": ("error", "'{value}' is geen ja/nee-waarde", "'{value}' is not a yes/no value"),
    "invalid_enum": (
        "error",
        "'{value}' is geen toegestane waarde",
        "'{value}' is not an allowed value",
    ),
    "pattern": (
        "error",
        "'{value}' heeft niet de juiste vorm",
        "'{value}' does not have the right form",
    ),
    "out_of_range": (
        "error",
        "'{value}' ligt buiten het toegestane bereik",
        "'{value}' is outside the allowed range",
    ),
    "bsn": (
        "error",
        "bevat een getal dat op een BSN lijkt (9 cijfers die de elfproef doorstaan); "
        "een BSN mag niet in de data staan",
        "contains a number that looks like a BSN (9 digits passing the eleven test); "
        "a BSN must not be in the data",
    ),
    "contact_details": (
        "warning",
        "vrije tekst bevat iets dat op {value} lijkt; zulke directe gegevens horen niet in de data",
        "free text contains what looks like {value}; such direct identifiers do not belong in the data",
    ),
    "duplicate_id": ("error", "'{value}' komt vaker voor", "'{value}' occurs more than once"),
    "duplicate_key": (
        "error",
        "dubbele score: zelfde traject, meting, leefgebied en beoordelaar",
        "duplicate score: same trajectory, measurement, domain and rater",
    ),
    "unknown_reference": ("error", "'{value}' bestaat niet", "'{value}' does not exist"),
    "end_before_start": (
        "error",
        "de einddatum '{value}' ligt vóór de startdatum",
        "the end date '{value}' is before the start date",
    ),
    "contact_outside_trajectory": (
        "error",
        "het contact op '{value}' valt buiten de looptijd van het traject",
        "the contact on '{value}' falls outside the trajectory's period",
    ),
    "derived_from_cycle": (
        "error",
        "derived_from vormt een kring: het doel stamt (via andere doelen) af van zichzelf",
        "derived_from forms a cycle: the goal descends (via other goals) from itself",
    ),
    "derived_from_later_stage": (
        "error",
        "'{value}' hoort bij een latere fase dan dit doel",
        "'{value}' belongs to a later stage than this goal",
    ),
    "derived_from_other_trajectory": (
        "error",
        "'{value}' hoort bij een ander traject",
        "'{value}' belongs to another trajectory",
    ),
    "score_out_of_scale": (
        "error",
        "score '{value}' ligt buiten de schaal van het instrument",
        "score '{value}' is outside the instrument's scale",
    ),
    "unknown_domain": (
        "error",
        "'{value}' is geen leefgebied van het instrument",
        "'{value}' is not a domain of the instrument",
    ),
    "instrument_mismatch": (
        "error",
        "instrument '{value}' is niet het instrument van de studie",
        "instrument '{value}' is not the study's instrument",
    ),
    "no_price_or_amount": (
        "error",
        "geen prijs en geen bedrag: vul amount in, of volume en unit_price",
        "neither price nor amount: fill in amount, or volume and unit_price",
    ),
    "missing_volume": (
        "error",
        "er is een unit_price maar geen volume (en geen amount)",
        "there is a unit_price but no volume (and no amount)",
    ),
    "no_contacts": (
        "warning",
        "traject '{value}' heeft geen contacten",
        "trajectory '{value}' has no contacts",
    ),
    "no_goals": (
        "warning",
        "traject '{value}' heeft geen doelen",
        "trajectory '{value}' has no goals",
    ),
    "no_scores": (
        "warning",
        "traject '{value}' heeft geen scores op leefgebieden",
        "trajectory '{value}' has no domain scores",
    ),
}

_EXPECTED_LABEL = {"nl": "verwacht", "en": "expected"}
_ROW_LABEL = {"nl": "rij", "en": "row"}
_COLUMN_LABEL = {"nl": "kolom", "en": "column"}
_DID_YOU_MEAN = {"nl": "Bedoelde u '{0}'?", "en": "Did you mean '{0}'?"}


# ======================================================================================
# Problem collection
# ======================================================================================


class _Problems:
    """Collects problems as column vectors (one DataFrame per check)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        rule: str,
        file: str,
        rows: Any = None,
        column: str = "",
        values: Any = "",
        expected: tuple[Any, Any] = ("", ""),
        detail: tuple[Any, Any] = ("", ""),
    ) -> None:
        """Add problems of one rule; ``rows``/``values``/expected/detail may be vectors."""
        if rows is None:
            rows_arr = pd.array([pd.NA], dtype="Int64")
        else:
            rows_arr = pd.array(np.atleast_1d(np.asarray(rows)), dtype="Int64")
        n = len(rows_arr)
        if n == 0:
            return
        self.parts.append(
            pd.DataFrame(
                {
                    "file": file,
                    "row": rows_arr,
                    "column": column,
                    "value": _show(values, n),
                    "rule": rule,
                    "severity": RULES[rule][0],
                    "expected_nl": _vec(expected[0], n),
                    "expected_en": _vec(expected[1], n),
                    "detail_nl": _vec(detail[0], n),
                    "detail_en": _vec(detail[1], n),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        cols = [
            "file",
            "row",
            "column",
            "value",
            "rule",
            "severity",
            "expected_nl",
            "expected_en",
            "detail_nl",
            "detail_en",
        ]
        if not self.parts:
            return pd.DataFrame(
                {c: pd.Series([], dtype="Int64" if c == "row" else object) for c in cols}
            )
        return pd.concat(self.parts, ignore_index=True)


def _vec(x: Any, n: int) -> Any:
    if isinstance(x, (pd.Series, np.ndarray, list)):
        arr = np.asarray(x, dtype=object)
        return arr if len(arr) == n else np.resize(arr, n)
    return [x] * n


def _show(values: Any, n: int) -> Any:
    """Values as the user wrote them, as short strings ('' for missing)."""
    if isinstance(values, (pd.Series, np.ndarray, list)):
        s = pd.Series(np.asarray(values, dtype=object)).astype("string").fillna("")
        long = s.str.len() > MAX_VALUE_CHARS
        if long.any():
            s[long] = s[long].str.slice(0, MAX_VALUE_CHARS - 1) + "…"
        return s.astype(object).to_numpy()
    v = "" if values is None else str(values)
    if len(v) > MAX_VALUE_CHARS:
        v = v[: MAX_VALUE_CHARS - 1] + "…"
    return [v] * n


def _render(internal: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Problem list in the public layout with messages in ``lang``."""
    if internal.empty:
        out = pd.DataFrame({c: pd.Series([], dtype="string") for c in PROBLEM_COLUMNS})
        out["row"] = out["row"].astype("Int64")
        return out
    exp = internal[f"expected_{lang}"].astype(object).fillna("")
    det = internal[f"detail_{lang}"].astype(object).fillna("")
    texts = {rule: v[1 if lang == "nl" else 2] for rule, v in RULES.items()}
    rl, cl, el = _ROW_LABEL[lang], _COLUMN_LABEL[lang], _EXPECTED_LABEL[lang]
    messages = []
    for f, r, c, v, rule, e, d in zip(
        internal["file"],
        internal["row"],
        internal["column"],
        internal["value"],
        internal["rule"],
        exp,
        det,
        strict=True,
    ):
        loc = f
        if r is not pd.NA and r == r:
            loc += f", {rl} {r}"
        if c:
            loc += f", {cl} {c}"
        msg = f"{loc}: {texts[rule].format(value=v)}"
        if e:
            msg += f" — {el}: {e}"
        if d:
            msg += f". {d}"
        messages.append(msg)
    out = pd.DataFrame(
        {
            "file": internal["file"].astype("string"),
            "row": internal["row"].astype("Int64"),
            "column": internal["column"].astype("string"),
            "value": internal["value"].astype("string"),
            "rule": internal["rule"].astype("string"),
            "severity": internal["severity"].astype("string"),
            "expected": exp.astype("string"),
            "message": pd.array(messages, dtype="string"),
        }
    )
    return out.reset_index(drop=True)


class ValidationError(ValueError):
    """Raised by :func:`load` when the data package has errors.

    Attributes
    ----------
    problems : DataFrame
        Every problem found (errors and warnings), columns :data:`PROBLEM_COLUMNS`.
    """

    def __init__(self, problems: pd.DataFrame, source: str = "", lang: Lang = "nl") -> None:
        self.problems = problems
        self.source = source
        errors = problems[problems["severity"] == "error"]
        n = len(errors)
        if lang == "nl":
            head = f"{n} {'fout' if n == 1 else 'fouten'} in {source or 'de data'}; zie .problems"
        else:
            head = f"{n} {'error' if n == 1 else 'errors'} in {source or 'the data'}; see .problems"
        lines = [head] + [f"  - {m}" for m in errors["message"].head(10)]
        if n > 10:
            lines.append(f"  ... (+{n - 10})")
        super().__init__("\n".join(lines))


# ======================================================================================
# Cell parsing (vectorised)
# ======================================================================================


def _text(raw: pd.Series) -> pd.Series:
    """Cell values as stripped pandas strings (``<NA>`` for missing)."""
    if isinstance(raw.dtype, pd.StringDtype):
        return raw
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.dt.strftime("%Y-%m-%d").astype("string")
    if raw.dtype == object:
        return raw.map(_cell_text, na_action="ignore").astype("string")
    return raw.astype("string")


def _cell_text(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat") and not isinstance(v, str):
        s = v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        return s[:10] if s.endswith(" 00:00:00") else s
    s = str(v).strip()
    return s if s else None


def _per_unique(s: pd.Series, fn: Any, as_string: bool = False) -> pd.Series:
    """``fn`` applied to the distinct values of ``s`` only, broadcast back.

    Columns of codes hold few distinct values among many rows: normalising and
    mapping the distinct values keeps validation of millions of rows fast. The
    result has object dtype, or pandas ``string`` with ``as_string`` (built by an
    arrow ``take``, without a Python loop over rows).
    """
    codes, uniq = pd.factorize(s)
    res = (
        fn(pd.Series(np.asarray(uniq, dtype=object), dtype="string"))
        if len(uniq)
        else pd.Series([], dtype=object)
    )
    arr = np.asarray(res.to_numpy(dtype=object, na_value=None), dtype=object)
    if as_string:
        taken = pa.array(arr, type=pa.string()).take(pa.array(codes, mask=codes < 0))
        return pd.Series(pd.array(taken, dtype="string"), index=s.index)
    out = np.full(len(s), None, dtype=object)
    if len(uniq):
        sel = codes >= 0
        out[sel] = arr[codes[sel]]
    return pd.Series(out, index=s.index, dtype=object)


def _isin(s: pd.Series, values: Any) -> np.ndarray:
    """``s.isin(values)`` as a numpy mask, hashing distinct values only (fast for strings)."""
    if isinstance(s.dtype, pd.StringDtype):  # strings: pyarrow's hash lookup over the column
        vals = np.asarray(values, dtype=object)
        if all(isinstance(v, str) for v in vals):
            hit = pc.is_in(_arrow_strings(s), value_set=pa.array(vals, type=pa.string()))
            return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    codes, uniq = pd.factorize(s)
    if not len(uniq):
        return np.zeros(len(s), dtype=bool)
    hit = pd.Index(np.asarray(uniq, dtype=object), dtype=object).isin(
        np.asarray(values, dtype=object)
    )
    return (codes >= 0) & hit[np.maximum(codes, 0)]


def _norm_series(u: pd.Series) -> pd.Series:
    return u.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)


@dataclass
class _Bad:
    """Cells of one column that failed one check."""

    mask: np.ndarray
    rule: str
    expected_nl: Any = ""
    expected_en: Any = ""
    detail_nl: Any = ""
    detail_en: Any = ""


_DATE_EXPECTED = ("een datum als 2025-03-14 of 14-03-2025", "a date like 2025-03-14 or 14-03-2025")
_DATE_RE = (
    r"^(?:(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"|(?P<d2>\d{1,2})[-.](?P<m2>\d{1,2})[-.](?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_SLASH_DMY = r"\d{1,2}/\d{1,2}/\d{2,4}(?:[ T].*)?"


def parse_dates(raw: pd.Series) -> tuple[pd.Series, list[_Bad]]:
    """Parse a date column: ISO ``2025-03-14``, Dutch ``14-03-2025`` / ``14.03.2025``.

    A time of day is accepted and dropped. ``14/03/2025`` is refused as ambiguous
    (it could be American month/day). Years outside 1900-2100 are refused.
    """
    n = len(raw)
    if pd.api.types.is_datetime64_any_dtype(raw):
        s = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        return s.dt.normalize().astype("datetime64[ns]"), []
    t = _text(raw)
    codes, uniq = pd.factorize(t)
    if 2 * len(uniq) < n:  # dates repeat: parse each distinct text once, broadcast back
        u_out, u_bads = _parse_date_text(pd.Series(np.asarray(uniq, dtype=object), dtype="string"))
        sel = codes >= 0
        vals = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        vals[sel] = u_out.to_numpy(dtype="datetime64[ns]")[codes[sel]]
        bads = []
        for b in u_bads:
            full = np.zeros(n, dtype=bool)
            full[sel] = b.mask[codes[sel]]
            bads.append(_Bad(full, b.rule, b.expected_nl, b.expected_en, b.detail_nl, b.detail_en))
        return pd.Series(vals, index=raw.index, dtype="datetime64[ns]"), bads
    out, bads = _parse_date_text(t)
    out.index = raw.index
    return out, bads


def _parse_date_text(t: pd.Series) -> tuple[pd.Series, list[_Bad]]:
    """:func:`parse_dates` of a column of (stripped) text."""
    n = len(t)
    raw = t
    present = t.notna().to_numpy()
    out = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    rest = present & out.isna().to_numpy()
    bads: list[_Bad] = []
    if rest.any():
        idx = np.flatnonzero(rest)
        sub = t.iloc[idx]
        m = sub.str.extract(_DATE_RE)
        y = pd.to_numeric(m["y"].fillna(m["y2"]), errors="coerce")
        mo = pd.to_numeric(m["m"].fillna(m["m2"]), errors="coerce")
        d = pd.to_numeric(m["d"].fillna(m["d2"]), errors="coerce")
        matched = y.notna().to_numpy()
        in_years = matched & (y.fillna(0).to_numpy() >= 1900) & (y.fillna(0).to_numpy() <= 2100)
        # only rows with all three parts: pandas cannot coerce a frame mixing missing parts
        # and an impossible date (31-02-2025 next to 'x' used to raise)
        dt = pd.Series(
            np.full(len(sub), np.datetime64("NaT"), dtype="datetime64[ns]"), index=sub.index
        )
        if in_years.any():
            comp = pd.DataFrame(
                {
                    "year": y[in_years].astype("int64"),
                    "month": mo[in_years].astype("int64"),
                    "day": d[in_years].astype("int64"),
                }
            )
            dt[in_years] = pd.to_datetime(comp, errors="coerce").astype("datetime64[ns]").to_numpy()
        vals = out.to_numpy(copy=True)
        vals[idx] = dt.to_numpy()
        out = pd.Series(vals, index=raw.index, dtype="datetime64[ns]")
        slash = sub.str.fullmatch(_SLASH_DMY).fillna(False).to_numpy(dtype=bool)
        no_match = ~matched & ~slash
        impossible = in_years & dt.isna().to_numpy()
        out_years = matched & ~in_years
        for mask_sub, rule, exp in (
            (no_match, "invalid_date", _DATE_EXPECTED),
            (
                slash,
                "ambiguous_date",
                (
                    "14-03-2025 (dag-maand-jaar) of 2025-03-14",
                    "14-03-2025 (day-month-year) or 2025-03-14",
                ),
            ),
            (impossible, "impossible_date", ("een datum die bestaat", "a date that exists")),
            (
                out_years,
                "out_of_range",
                ("een datum tussen 1900 en 2100", "a date between 1900 and 2100"),
            ),
        ):
            if mask_sub.any():
                full = np.zeros(n, dtype=bool)
                full[idx[mask_sub]] = True
                bads.append(_Bad(full, rule, *exp))
    return out, bads


def _arrow_strings(t: pd.Series) -> pa.Array:
    """A string Series as one pyarrow string array (nulls for missing)."""
    a = (
        pa.array(t.array)
        if hasattr(t.array, "__arrow_array__")
        else pa.array(t.to_numpy(dtype=object, na_value=None), type=pa.string())
    )
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a.cast(pa.string()) if a.type != pa.string() else a


_NUMBER_EXPECTED = ("een getal, zoals 3,5 of 3.5", "a number, like 3.5 or 3,5")


def parse_numbers(raw: pd.Series, decimal: str = ".") -> tuple[pd.Series, list[_Bad]]:
    """Parse a numeric column written with a decimal point or a decimal comma.

    ``decimal`` is the file's convention: ``","`` (``;``-separated CSV), ``"."``, or
    ``"auto"`` (Excel text cells). Accepted: ``3.5``, ``3,5``, ``1.234,50``,
    ``1,234.50``, ``€ 65,50``. Refused as ambiguous: ``1.234`` in a decimal-comma
    file and ``1,234`` elsewhere (thousands or decimals?).
    """
    n = len(raw)
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64"), []
    t = _text(raw)
    present = t.notna().to_numpy()
    clean = t
    arr = _arrow_strings(t)
    if pc.any(pc.match_substring_regex(arr, "[€\\s\u00a0]")).as_py():
        clean = t.str.replace(r"[€\s\u00a0]", "", regex=True)
        arr = _arrow_strings(clean)
    try:  # fast path: arrow parses the whole column at C speed when every value is a plain number
        vals = np.asarray(
            pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64"
        ).copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = pd.to_numeric(clean, errors="coerce").astype("Float64").astype("float64")
        vals = out.to_numpy(copy=True)
    bads: list[_Bad] = []
    amb = np.zeros(n, dtype=bool)
    if decimal == ",":
        amb |= clean.str.fullmatch(r"[-+]?\d{1,3}(?:\.\d{3})+").fillna(False).to_numpy(dtype=bool)
    rest = present & np.isnan(vals) & ~amb
    if rest.any():
        idx = np.flatnonzero(rest)
        sub = clean.iloc[idx]
        dutch = (
            sub.str.fullmatch(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        if decimal != ",":
            amb_c = sub.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+").fillna(False).to_numpy(dtype=bool)
            dutch &= ~amb_c
            amb[idx[amb_c]] = True
        eng = sub.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+\.\d+").fillna(False).to_numpy(dtype=bool)
        if dutch.any():
            conv = sub[dutch].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            vals[idx[dutch]] = (
                pd.to_numeric(conv, errors="coerce")
                .astype("Float64")
                .to_numpy(dtype="float64", na_value=np.nan)
            )
        if eng.any():
            conv = sub[eng].str.replace(",", "", regex=False)
            vals[idx[eng]] = (
                pd.to_numeric(conv, errors="coerce")
                .astype("Float64")
                .to_numpy(dtype="float64", na_value=np.nan)
            )
    vals[amb] = np.nan
    bad = present & np.isnan(vals) & ~amb
    if bad.any():
        bads.append(_Bad(bad, "invalid_number", *_NUMBER_EXPECTED))
    if amb.any():
        bads.append(
            _Bad(
                amb,
                "ambiguous_number",
                "een getal zonder scheidingsteken voor duizendtallen, zoals 1234 of 1234,5",
                "a number without a thousands separator, like 1234 or 1234.5",
            )
        )
    return pd.Series(vals, index=raw.index, dtype="float64"), bads


def parse_ints(raw: pd.Series, decimal: str = ".") -> tuple[pd.Series, list[_Bad]]:
    """Parse a whole-number column (``3``, ``3.0`` accepted; ``3.5`` refused)."""
    vals, bads = parse_numbers(raw, decimal)
    for b in bads:
        if b.rule == "invalid_number":
            b.expected_nl, b.expected_en = "een geheel getal, zoals 12", "a whole number, like 12"
    arr = vals.to_numpy()
    frac = ~np.isnan(arr) & (np.floor(arr) != arr)
    if frac.any():
        bads.append(_Bad(frac, "not_integer", "een geheel getal", "a whole number"))
        vals = vals.where(~frac)
    return vals.astype("Float64").astype("Int64"), bads


_BOOL_MAP = {
    **{k: True for k in schema.BOOL_TRUE},
    **{k: False for k in schema.BOOL_FALSE},
    "1.0": True,
    "0.0": False,
}


def parse_bools(raw: pd.Series) -> tuple[pd.Series, list[_Bad]]:
    """Parse yes/no: ``ja``/``nee``, ``true``/``false``, ``1``/``0``, ``j``/``n``, ..."""
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean"), []
    t = _text(raw)
    mapped = _per_unique(t, lambda u: u.str.lower().map(_BOOL_MAP))
    present = t.notna().to_numpy()
    ok = mapped.notna().to_numpy()
    out = pd.Series(
        pd.array(np.where(ok, mapped.to_numpy(dtype=object, na_value=None), None), dtype="boolean"),
        index=raw.index,
    )
    bad = present & ~ok
    bads = (
        [
            _Bad(
                bad,
                "invalid_bool",
                "ja of nee (ook: true/false, 1/0)",
                "yes or no (also: true/false, ja/nee, 1/0)",
            )
        ]
        if bad.any()
        else []
    )
    return out, bads


def _norm_key(s: str) -> str:
    s = str(s).strip().lower()
    return "_".join(s.replace("-", " ").split())


_ENUM_CACHE: dict[tuple[str, str], tuple[dict[str, str], list[str]]] = {}


def enum_lookup(col: Column) -> dict[str, str]:
    """Accepted spellings (normalised) -> canonical code for an enum column.

    Canonical codes, Dutch aliases and the nl/en labels of the data dictionary are
    accepted case-insensitively, with spaces, hyphens and underscores alike.
    """
    key = (col.name, ",".join(col.enum))
    if key not in _ENUM_CACHE:
        lookup: dict[str, str] = {}
        for code in col.enum:
            lookup[_norm_key(code)] = code
        for src in (col.labels_en, col.labels_nl):
            for code, label in src.items():
                lookup.setdefault(_norm_key(label), code)
        for alias, code in col.aliases.items():
            lookup[_norm_key(alias)] = code
        suggest = list(col.enum) + [a for a in col.aliases if not a.isdigit()]
        _ENUM_CACHE[key] = (lookup, suggest)
    return _ENUM_CACHE[key][0]


def _enum_expected(col: Column) -> tuple[str, str]:
    codes = list(col.enum)
    if len(codes) > 10:
        return (
            f"een code uit de lijst ({codes[0]} t/m {codes[-1]}); zie het datawoordenboek",
            f"a code from the list ({codes[0]} to {codes[-1]}); see the data dictionary",
        )
    nl = ", ".join(
        f"{c} ({col.labels_nl[c]})" if c in col.labels_nl and col.labels_nl[c] != c else c
        for c in codes
    )
    return nl, ", ".join(codes)


def _suggest(values: pd.Series, candidates: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """'Did you mean' texts (nl, en) per value; computed once per distinct value."""
    uniq = pd.unique(values.astype(object))
    cand_norm = {_norm_key(c): c for c in candidates}
    hint: dict[Any, str] = {}
    for u in uniq:
        m = difflib.get_close_matches(_norm_key(u), list(cand_norm), n=1, cutoff=0.6)
        hint[u] = cand_norm[m[0]] if m else ""
    h = values.astype(object).map(hint).fillna("")
    nl = np.array([_DID_YOU_MEAN["nl"].format(x) if x else "" for x in h], dtype=object)
    en = np.array([_DID_YOU_MEAN["en"].format(x) if x else "" for x in h], dtype=object)
    return nl, en


def parse_enums(raw: pd.Series, col: Column) -> tuple[pd.Series, list[_Bad]]:
    """Map an enum column to canonical codes (aliases, labels, any case)."""
    lookup = enum_lookup(col)
    t = _text(raw)

    def to_code(u: pd.Series) -> pd.Series:
        norm = _norm_series(u)
        mapped = norm.map(lookup)
        miss = mapped.isna()
        if miss.any():  # second chance: numbers written as 2.0 / 2 for codes like "02"
            alt = norm[miss].str.replace(r"\.0+$", "", regex=True).str.lstrip("0")
            alt = alt.where(alt != "", "0")
            mapped = mapped.astype(object)
            mapped[miss] = alt.map(lookup).astype(object)
        return mapped

    mapped = _per_unique(t, to_code, as_string=True)
    present = t.notna().to_numpy()
    ok = mapped.notna().to_numpy()
    out = mapped.astype("string")
    out.index = raw.index
    bad = present & ~ok
    bads: list[_Bad] = []
    if bad.any():
        nl, en = _suggest(t[bad], _ENUM_CACHE[(col.name, ",".join(col.enum))][1])
        dn = np.full(len(raw), "", dtype=object)
        de = np.full(len(raw), "", dtype=object)
        dn[bad], de[bad] = nl, en
        exp = _enum_expected(col)
        bads.append(_Bad(bad, "invalid_enum", exp[0], exp[1], dn[bad], de[bad]))
    return out, bads


def parse_strings(raw: pd.Series, col: Column) -> tuple[pd.Series, list[_Bad]]:
    """Text column; checks ``col.pattern`` when the schema gives one."""
    t = _text(raw)
    bads: list[_Bad] = []
    if col.pattern:
        ok = t.str.fullmatch(col.pattern).fillna(True).to_numpy(dtype=bool)
        if (~ok).any():
            bads.append(_Bad(~ok, "pattern", f"zoals {col.example}", f"like {col.example}"))
    return t, bads


def parse_column(raw: pd.Series, col: Column, decimal: str = ".") -> tuple[pd.Series, list[_Bad]]:
    """Parse one raw column to its canonical dtype; returns the values and failed cells."""
    if col.type == "date":
        out, bads = parse_dates(raw)
    elif col.type == "int":
        out, bads = parse_ints(raw, decimal)
    elif col.type == "float":
        out, bads = parse_numbers(raw, decimal)
    elif col.type == "bool":
        out, bads = parse_bools(raw)
    elif col.type == "enum":
        out, bads = parse_enums(raw, col)
    else:
        out, bads = parse_strings(raw, col)
    if col.min is not None or col.max is not None:
        if col.type in ("int", "float"):
            arr = (
                out.astype("float64").to_numpy(na_value=np.nan)
                if col.type == "int"
                else out.to_numpy()
            )
            low = col.min if col.min is not None else -np.inf
            high = col.max if col.max is not None else np.inf
            outside = ~np.isnan(arr) & ((arr < low) | (arr > high))
            if outside.any():
                if col.max is None:
                    exp = (f"≥ {_fmt_num(low)}", f"≥ {_fmt_num(low)}")
                elif col.min is None:
                    exp = (f"≤ {_fmt_num(high)}", f"≤ {_fmt_num(high)}")
                else:
                    exp = (
                        f"tussen {_fmt_num(low)} en {_fmt_num(high)}",
                        f"between {_fmt_num(low)} and {_fmt_num(high)}",
                    )
                bads.append(_Bad(outside, "out_of_range", *exp))
                out = out.mask(outside)
    return out, bads


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ======================================================================================
# BSN scan
# ======================================================================================

_BSN_W = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)


def _bsn_numeric(values: np.ndarray) -> np.ndarray:
    """Integral numbers of 8-9 digits (a leading zero lost in Excel) passing the elfproef."""
    v = np.asarray(values, dtype="float64")
    ok = ~np.isnan(v) & (v == np.floor(v)) & (v >= 1e7) & (v < 1e9)
    out = np.zeros(len(v), dtype=bool)
    if ok.any():
        x = v[ok].astype(np.int64)
        digits = (x[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64))) % 10
        total = digits @ _BSN_W
        out[ok] = (total % 11 == 0) & (total != 0)
    return out


_BSN_PREFILTER = r"\d{9}|\d{3}[.\s-]\d{3}[.\s-]\d{3}|\d{4}[.\s-]\d{2}[.\s-]\d{3}"


def _bsn_mask(raw: pd.Series, candidates: np.ndarray | None = None) -> np.ndarray:
    """Cells of ``raw`` holding a BSN-like number (via :func:`wattelt_eval.bsn.scan_bsn`)."""
    n = len(raw)
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_datetime64_any_dtype(raw):
        return np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(raw):
        return _bsn_numeric(raw.to_numpy(dtype="float64", na_value=np.nan))
    out = np.zeros(n, dtype=bool)
    if raw.dtype == object:  # Excel: native numbers too
        isnum = raw.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).to_numpy(
            dtype=bool
        )
        if isnum.any():
            out[isnum] = _bsn_numeric(raw[isnum].astype("float64").to_numpy())
    t = _text(raw)
    arr = _arrow_strings(t)
    cand = np.asarray(
        pc.fill_null(pc.greater_equal(pc.utf8_length(arr), 9), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    if candidates is not None:
        cand &= candidates
    if not cand.any():
        return out
    sel = np.flatnonzero(cand)
    # cheap pre-filter on the candidate cells (no look-arounds, so pyarrow's vectorised RE2
    # runs it): only values holding nine digits, or 3-3-3 / 4-2-3 groups, can hold a BSN;
    # scan_bsn decides, once per distinct value
    sub = arr.take(pa.array(sel)) if len(sel) < len(arr) else arr
    maybe = np.asarray(
        pc.match_substring_regex(sub, _BSN_PREFILTER).to_numpy(zero_copy_only=False), dtype=bool
    )
    if not maybe.any():
        return out
    sel = sel[maybe]
    codes, uniq = pd.factorize(
        np.asarray(sub.filter(pa.array(maybe)).to_numpy(zero_copy_only=False), dtype=object)
    )
    uniq_s = pd.Series(np.asarray(uniq, dtype=object), dtype="string")
    hit_u = np.zeros(len(uniq), dtype=bool)
    hits = scan_bsn(pd.DataFrame({"v": uniq_s}))
    hit_u[[p for p, _ in hits]] = True
    out[sel] |= hit_u[codes]
    return out


# ======================================================================================
# The checks
# ======================================================================================


@dataclass
class _Checked:
    """Result of running all checks on a raw package."""

    problems: pd.DataFrame  # internal layout (both languages)
    tables: dict[str, pd.DataFrame]  # parsed, schema columns (+ extras), only tables read
    present: dict[str, set[str]]  # schema columns present per table
    extras: dict[str, list[str]]
    study: StudySettings
    instrument: Instrument | None
    raw: RawPackage


def _study_checks(raw: RawPackage, P: _Problems) -> tuple[StudySettings, Instrument | None]:
    src = raw.study_source
    if raw.study is None:
        if raw.kind != "missing":
            P.add(
                "missing_study",
                src,
                None,
                "",
                "",
                (
                    "study.toml, of een werkblad 'study' in de werkmap",
                    "study.toml, or a sheet 'study' in the workbook",
                ),
            )
        d: dict[str, Any] = {}
    else:
        d = raw.study
    known = {f.key: f for f in STUDY_FIELDS}
    clean: dict[str, dict[str, Any]] = {}
    for section, values in d.items():
        if not isinstance(values, dict):
            P.add("study_unknown_key", src, None, section, section)
            continue
        for key, value in values.items():
            dotted = f"{section}.{key}"
            f = known.get(dotted)
            if f is None:
                if (
                    section == "rates"
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                ):
                    clean.setdefault(section, {})[key] = value
                    continue
                sugg = difflib.get_close_matches(dotted, list(known), n=1, cutoff=0.6)
                P.add(
                    "study_unknown_key",
                    src,
                    None,
                    dotted,
                    dotted,
                    ("", ""),
                    (_DID_YOU_MEAN["nl"].format(sugg[0]), _DID_YOU_MEAN["en"].format(sugg[0]))
                    if sugg
                    else ("", ""),
                )
                continue
            ok, value = _study_value_ok(f.type, value)
            if not ok:
                types = {
                    "str": ("tekst", "text"),
                    "int": ("een geheel getal", "a whole number"),
                    "float": ("een getal", "a number"),
                    "list[str]": ("een lijst met kolomnamen", "a list of column names"),
                }
                P.add("study_type", src, None, dotted, value, types.get(f.type, (f.type, f.type)))
                continue
            allowed = {"study.language": ("nl", "en"), "disclosure.rule": ("min10", "cbs")}.get(
                dotted
            )
            if allowed and value not in allowed:
                P.add(
                    "study_value",
                    src,
                    None,
                    dotted,
                    value,
                    (" of ".join(allowed), " or ".join(allowed)),
                )
                continue
            if dotted in ("study.cost_window_days", "disclosure.threshold") and value <= 0:
                P.add(
                    "study_value",
                    src,
                    None,
                    dotted,
                    value,
                    ("een getal groter dan 0", "a number above 0"),
                )
                continue
            clean.setdefault(section, {})[key] = value
    settings = StudySettings.from_dict(clean)
    instrument: Instrument | None
    try:
        instrument = load_instrument(settings.instrument, base_dir=raw.base_dir).with_threshold(
            settings.problem_threshold
        )
    except Exception as exc:  # noqa: BLE001 - reported as a problem
        instrument = None
        P.add(
            "unknown_instrument",
            src,
            None,
            "study.instrument",
            settings.instrument,
            (
                f"een van {', '.join(BUILTIN)}, of het pad naar een instrumentbestand (TOML)",
                f"one of {', '.join(BUILTIN)}, or the path to an instrument file (TOML)",
            ),
            (str(exc), str(exc)),
        )
    return settings, instrument


def _study_value_ok(typ: str, value: Any) -> tuple[bool, Any]:
    if typ == "str":
        return isinstance(value, str), value
    if typ == "int":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return True, int(value)
        return False, value
    if typ == "float":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, (int, float)):
            return True, float(value)
        try:
            return True, float(str(value).replace(",", "."))
        except ValueError:
            return False, value
    if typ == "list[str]":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return isinstance(value, list) and all(isinstance(v, str) for v in value), value
    return True, value


def _column_checks(
    rt: RawTable, table: schema.Table, extra_allowed: set[str], P: _Problems
) -> tuple[pd.DataFrame, set[str], list[str], dict[str, np.ndarray]]:
    """Parse every column of one table; returns parsed frame, present columns, extras, bad masks."""
    f = rt.source
    df = rt.frame
    for dup in rt.duplicate_columns:
        P.add(
            "duplicate_column",
            f,
            1,
            dup,
            rt.header.get(dup, dup),
            ("elke kolomnaam één keer", "each column name once"),
        )
    names = set(table.column_names)
    unknown = [c for c in df.columns if c not in names and c not in extra_allowed]
    missing = [c.name for c in table.columns if c.required and c.name not in df.columns]
    for c in unknown:
        sugg = difflib.get_close_matches(
            c, [m for m in table.column_names if m not in df.columns], n=1, cutoff=0.6
        )
        P.add(
            "unknown_column",
            f,
            1,
            c,
            rt.header.get(c, c),
            (", ".join(table.column_names), ", ".join(table.column_names)),
            (_DID_YOU_MEAN["nl"].format(sugg[0]), _DID_YOU_MEAN["en"].format(sugg[0]))
            if sugg
            else ("", ""),
        )
    for c in missing:
        sugg = difflib.get_close_matches(c, unknown, n=1, cutoff=0.6)
        detail = ("", "")
        if sugg:
            detail = (
                f"Kolom '{sugg[0]}' lijkt erop: hernoem die naar '{c}'.",
                f"Column '{sugg[0]}' looks like it: rename it to '{c}'.",
            )
        P.add(
            "missing_column",
            f,
            1,
            c,
            "",
            (f"een kolom met de naam {c}", f"a column named {c}"),
            detail,
        )
    parsed = pd.DataFrame(index=df.index)
    present: set[str] = set()
    bad_masks: dict[str, np.ndarray] = {}
    rows = df.index.to_numpy()
    for col in table.columns:
        if col.name not in df.columns:
            parsed[col.name] = pd.Series(pd.NA, index=df.index, dtype="object")
            continue
        present.add(col.name)
        raw = df[col.name]
        out, bads = parse_column(raw, col, rt.decimal)
        parsed[col.name] = out
        any_bad = np.zeros(len(df), dtype=bool)
        shown = None
        for b in bads:
            if shown is None:
                shown = _text(raw).to_numpy(dtype=object, na_value="")
            P.add(
                b.rule,
                f,
                rows[b.mask],
                col.name,
                shown[b.mask],
                (b.expected_nl, b.expected_en),
                (b.detail_nl, b.detail_en),
            )
            any_bad |= b.mask
        bad_masks[col.name] = any_bad
        if col.required:
            empty = raw.isna().to_numpy()
            if empty.any():
                P.add(
                    "missing_value",
                    f,
                    rows[empty],
                    col.name,
                    "",
                    (
                        f"een waarde (verplicht), zoals {col.example}"
                        if col.example
                        else "een waarde (verplicht)",
                        f"a value (required), like {col.example}"
                        if col.example
                        else "a value (required)",
                    ),
                )
    extras = [c for c in df.columns if c not in names]
    for c in extras:
        parsed[c] = df[c]
    return parsed, present, extras, bad_masks


def _add_bsn(P: _Problems, source: str, rows: np.ndarray, column: str) -> None:
    P.add(
        "bsn",
        source,
        rows,
        column,
        MASK,
        ("een pseudoniem in plaats van een BSN", "a pseudonym instead of a BSN"),
        (
            "Verwijder het nummer of vervang het door een pseudoniem (wattelt-eval pseudonymise).",
            "Remove the number or replace it with a pseudonym (wattelt-eval pseudonymise).",
        ),
    )


_CONTACT_KIND = {
    "email": "e-mailadres / e-mail address",
    "phone": "telefoonnummer / phone number",
    "postcode_house_number": "postcode + huisnummer / postcode + house number",
}


def _bsn_checks(
    rt: RawTable,
    table: schema.Table,
    bad_masks: dict[str, np.ndarray],
    P: _Problems,
    parsed: pd.DataFrame | None = None,
) -> None:
    df = rt.frame
    rows = df.index.to_numpy()
    for c in df.columns:
        col = table.column(c) if c in table.column_names else None
        cand = None
        numeric = None
        if col is not None and col.type in ("date", "bool", "enum", "int", "float"):
            # a valid date/yes-no/code cannot hold a BSN; a valid number only as an
            # integral 8-9 digit value (the digits after a decimal point are no BSN)
            if col.type in ("int", "float") and parsed is not None and c in parsed.columns:
                numeric = _bsn_numeric(
                    pd.to_numeric(parsed[c], errors="coerce").to_numpy(
                        dtype="float64", na_value=np.nan
                    )
                )
            cand = bad_masks.get(c)
            if cand is None or not cand.any():
                if numeric is not None and numeric.any():
                    _add_bsn(P, rt.source, rows[numeric], c)
                continue
        mask = _bsn_mask(df[c], cand)
        if numeric is not None:
            mask = mask | numeric
        if mask.any():
            _add_bsn(P, rt.source, rows[mask], c)
    # e-mail addresses, Dutch phone numbers, postcode + house number in free text: a warning
    # (the kind is shown, never the matched text)
    free = [c for c in df.columns if c in table.column_names and table.column(c).free_text]
    for pos, c, kind in _contact_hits(df, free):
        P.add(
            "contact_details",
            rt.source,
            rows[pos],
            c,
            _CONTACT_KIND[kind],
            (
                "tekst zonder e-mailadres, telefoonnummer of postcode met huisnummer",
                "text without e-mail address, phone number or postcode with house number",
            ),
            ("Verwijder het gegeven uit de tekst.", "Remove it from the text."),
        )


#: A necessary condition for every pattern of :data:`wattelt_eval.bsn.CONTACT_PATTERNS`
#: (an ``@``; nine digits with at most one character between them; four digits, at most
#: one character and two capitals). Without look-arounds, so pyarrow's vectorised RE2
#: runs it; Unicode digits and any separator, so it is a superset of Python's ``re``.
_CONTACT_PREFILTER = r"(?s)@|\p{Nd}(?:.?\p{Nd}){8}|\p{Nd}{4}.?[A-Z]{2}"


def _contact_hits(df: pd.DataFrame, columns: list[str]) -> list[tuple[int, str, str]]:
    """:func:`~wattelt_eval.bsn.scan_contact_details` of ``df[columns]``, same result and order.

    Free text repeats (the same goal text in many rows): the exact Python patterns run
    on the distinct values that pass the RE2 pre-filter only, and are broadcast back.
    """
    hits: list[tuple[int, str, str]] = []
    kinds = ("email", "phone", "postcode_house_number")
    for c in columns:
        s = df[c]
        if (
            pd.api.types.is_bool_dtype(s)
            or pd.api.types.is_datetime64_any_dtype(s)
            or pd.api.types.is_timedelta64_dtype(s)
            or pd.api.types.is_numeric_dtype(s)
        ):
            continue  # as scan_contact_details: nothing to scan
        codes, uniq = pd.factorize(s.astype("string"))
        if not len(uniq):
            continue
        uniq_obj = np.asarray(uniq, dtype=object)
        maybe = pc.match_substring_regex(pa.array(uniq_obj, type=pa.string()), _CONTACT_PREFILTER)
        idx = np.flatnonzero(np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool))
        if not len(idx):
            continue
        hit_u = {k: np.zeros(len(uniq), dtype=bool) for k in kinds}
        sub = pd.DataFrame({c: pd.Series(uniq_obj[idx], dtype="string")})
        for pos, _, kind in scan_contact_details(sub, [c], kinds):
            hit_u[kind][idx[pos]] = True
        for kind in kinds:
            if hit_u[kind].any():
                rows = np.flatnonzero((codes >= 0) & hit_u[kind][np.maximum(codes, 0)])
                hits.extend((int(i), c, kind) for i in rows)
    return hits


def _rows(df: pd.DataFrame, mask: Any) -> np.ndarray:
    return df.index.to_numpy()[np.asarray(mask, dtype=bool)]


def _first_map(s: pd.Series) -> pd.Series:
    """value -> index (row) of its first occurrence."""
    s = s.dropna()
    first = s[~s.duplicated(keep="first")]
    return pd.Series(first.index.to_numpy(), index=first.to_numpy())


def _duplicated_rows(sub: pd.DataFrame) -> np.ndarray:
    """``sub.duplicated(keep="first")`` as a numpy mask, via one int64 key per row.

    Each column is factorised once (missing values get a code of their own, as in
    ``DataFrame.duplicated``) and the codes are combined into a single integer, which
    is much faster than hashing the row tuples of millions of rows.
    """
    key = np.zeros(len(sub), dtype=np.int64)
    span = 1
    for c in sub.columns:
        codes, uniq = pd.factorize(sub[c], use_na_sentinel=True)
        k = len(uniq) + 1
        if span * k >= 2**62:  # too many combinations for one int64: the general route
            return sub.duplicated(keep="first").to_numpy(dtype=bool)
        key = key * k + (codes.astype(np.int64) + 1)
        span *= k
    if len(key) and span <= min(8 * len(key), 2**26):
        # few possible keys: count them; only keys seen more than once need the hash table
        multi = np.bincount(key, minlength=span)[key] > 1
        dup = np.zeros(len(key), dtype=bool)
        if multi.any():
            dup[multi] = pd.Series(key[multi]).duplicated(keep="first").to_numpy(dtype=bool)
        return dup
    return pd.Series(key).duplicated(keep="first").to_numpy(dtype=bool)


def _cross_checks(
    T: dict[str, pd.DataFrame],
    present: dict[str, set[str]],
    sources: dict[str, str],
    instrument: Instrument | None,
    P: _Problems,
    invalid_masks: dict[str, dict[str, np.ndarray]] | None = None,
) -> None:
    invalid_masks = invalid_masks or {}

    def blank(table: str, col: str) -> pd.Series:
        """Cells left empty by the user (an invalid value is reported once, as invalid)."""
        t = T[table]
        m = t[col].isna()
        b = invalid_masks.get(table, {}).get(col)
        return m & ~b if b is not None else m

    def has(table: str, *cols: str) -> bool:
        return table in T and all(c in present[table] for c in cols)

    # ---- unique ids and keys
    for name, t in T.items():
        for col in TABLES[name].columns:
            if col.unique and col.name in present[name]:
                s = t[col.name]
                dup = (s.duplicated(keep="first") & s.notna()).to_numpy(dtype=bool)
                if dup.any():
                    first = (
                        s[dup].map(_first_map(s)).astype("Int64").astype(str).to_numpy(dtype=object)
                    )
                    P.add(
                        "duplicate_id",
                        sources[name],
                        _rows(t, dup),
                        col.name,
                        s[dup].to_numpy(dtype=object),
                        ("een unieke waarde", "a unique value"),
                        (
                            np.array([f"Eerder in rij {r}." for r in first], dtype=object),
                            np.array([f"Already in row {r}." for r in first], dtype=object),
                        ),
                    )
        key = TABLES[name].unique_together
        if key and has(name, *key):
            sub = t[list(key)]
            complete = sub.notna().all(axis=1)
            dup = _duplicated_rows(sub) & complete.to_numpy(dtype=bool)
            if dup.any():
                first_rows = (
                    sub[complete]
                    .reset_index()
                    .groupby(list(key), dropna=True, sort=False)["row"]
                    .transform("min")
                )
                first_rows.index = sub[complete].index
                fr = (
                    first_rows.reindex(sub.index)[dup]
                    .astype("Int64")
                    .astype(str)
                    .to_numpy(dtype=object)
                )
                P.add(
                    "duplicate_key",
                    sources[name],
                    _rows(t, dup),
                    key[-2],
                    t[key[-2]][dup].to_numpy(dtype=object),
                    (
                        "één score per traject, meting, leefgebied en beoordelaar",
                        "one score per trajectory, measurement, domain and rater",
                    ),
                    (
                        np.array([f"Zelfde als rij {r}." for r in fr], dtype=object),
                        np.array([f"Same as row {r}." for r in fr], dtype=object),
                    ),
                )

    # ---- references to trajectories
    traj_ids = (
        pd.Index(T["trajectories"]["trajectory_id"].dropna().unique())
        if has("trajectories", "trajectory_id")
        else None
    )
    if traj_ids is not None:
        for name, t in T.items():
            if name == "trajectories" or "trajectory_id" not in present[name]:
                continue
            s = t["trajectory_id"]
            unknown = s.notna().to_numpy(dtype=bool) & ~_isin(s, traj_ids)
            if unknown.any():
                P.add(
                    "unknown_reference",
                    sources[name],
                    _rows(t, unknown),
                    "trajectory_id",
                    s[unknown].to_numpy(dtype=object),
                    (
                        f"een trajectory_id uit {sources['trajectories']}",
                        f"a trajectory_id from {sources['trajectories']}",
                    ),
                )

    # ---- end before start
    for name in ("trajectories", "provisions"):
        if has(name, "start_date", "end_date"):
            t = T[name]
            bad = (t["end_date"] < t["start_date"]).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                starts = t["start_date"][bad].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
                P.add(
                    "end_before_start",
                    sources[name],
                    _rows(t, bad),
                    "end_date",
                    t["end_date"][bad].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
                    (
                        np.array([f"op of na de startdatum {s}" for s in starts], dtype=object),
                        np.array([f"on or after the start date {s}" for s in starts], dtype=object),
                    ),
                )

    # ---- contacts inside their trajectory
    if (
        traj_ids is not None
        and has("contacts", "trajectory_id", "date")
        and has("trajectories", "start_date")
    ):
        tr = T["trajectories"]
        tr = tr[~tr["trajectory_id"].duplicated(keep="first") & tr["trajectory_id"].notna()]
        tr = tr.set_index("trajectory_id")
        c = T["contacts"]
        # reindex, not Series.map: map with an empty datetime mapper fails (no trajectories)
        start = pd.Series(tr["start_date"].reindex(c["trajectory_id"]).to_numpy(), index=c.index)
        if "end_date" in present["trajectories"]:
            end = pd.Series(tr["end_date"].reindex(c["trajectory_id"]).to_numpy(), index=c.index)
        else:
            end = pd.Series(pd.NaT, index=c.index, dtype="datetime64[ns]")
        end = end.where(~(end < start))  # an end before start is already an error
        d = c["date"]
        bad = ((d < start) | (d > end)).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            s_txt = start[bad].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
            e_txt = end[bad].dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
            nl = [
                f"een datum vanaf {a}" + (f" tot en met {b}" if b else "")
                for a, b in zip(s_txt, e_txt, strict=True)
            ]
            en = [
                f"a date from {a}" + (f" up to {b}" if b else "")
                for a, b in zip(s_txt, e_txt, strict=True)
            ]
            P.add(
                "contact_outside_trajectory",
                sources["contacts"],
                _rows(c, bad),
                "date",
                d[bad].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
                (np.array(nl, dtype=object), np.array(en, dtype=object)),
            )

    # ---- goals: derived_from
    if has("goals", "goal_id", "derived_from"):
        _derived_from_checks(T["goals"], present["goals"], sources["goals"], P)

    # ---- instrument: scores and domains
    if instrument is not None:
        lookup: dict[str, str] = {}
        for dom in instrument.domains:
            for k in (dom.code, dom.label_nl, dom.label_en):
                lookup.setdefault(_norm_key(k), dom.code)
        for name in ("domain_scores", "goals"):
            if has(name, "domain"):
                t = T[name]
                s = t["domain"]
                mapped = _per_unique(
                    s, lambda u, lk=lookup: _norm_series(u).map(lk), as_string=True
                )
                bad = (s.notna() & mapped.isna()).to_numpy(dtype=bool)
                t["domain"] = mapped.astype("string")
                if bad.any():
                    nl, en = _suggest(s[bad], instrument.domain_codes)
                    codes = ", ".join(instrument.domain_codes)
                    P.add(
                        "unknown_domain",
                        sources[name],
                        _rows(t, bad),
                        "domain",
                        s[bad].to_numpy(dtype=object),
                        (
                            f"een code van {instrument.code}: {codes}",
                            f"a code of {instrument.code}: {codes}",
                        ),
                        (nl, en),
                    )
        if has("domain_scores", "score"):
            t = T["domain_scores"]
            sc = t["score"].to_numpy(dtype="float64", na_value=np.nan)
            bad = ~np.isnan(sc) & ((sc < instrument.scale_min) | (sc > instrument.scale_max))
            if bad.any():
                rng = f"{_fmt_num(instrument.scale_min)}–{_fmt_num(instrument.scale_max)}"
                P.add(
                    "score_out_of_scale",
                    sources["domain_scores"],
                    _rows(t, bad),
                    "score",
                    t["score"][bad].map(_fmt_num).to_numpy(dtype=object),
                    (
                        f"een score van {rng} ({instrument.code})",
                        f"a score from {rng} ({instrument.code})",
                    ),
                )
        if has("domain_scores", "instrument"):
            t = T["domain_scores"]
            s = t["instrument"]
            codes, uniq = pd.factorize(
                s
            )  # one instrument code in millions of rows: compare it once
            u = pd.Series(np.asarray(uniq, dtype=object), dtype="string")
            u_bad = (u.str.strip().str.lower() != instrument.code.lower()).to_numpy(dtype=bool)
            bad = (
                (codes >= 0) & u_bad[np.maximum(codes, 0)]
                if len(u)
                else np.zeros(len(s), dtype=bool)
            )
            if bad.any():
                P.add(
                    "instrument_mismatch",
                    sources["domain_scores"],
                    _rows(t, bad),
                    "instrument",
                    s[bad].to_numpy(dtype=object),
                    (
                        f"{instrument.code} (uit de studie-instellingen) of leeg",
                        f"{instrument.code} (from the study settings) or empty",
                    ),
                )

    # ---- provisions: a price or an amount
    if "provisions" in T:
        t = T["provisions"]
        amount = blank("provisions", "amount")
        price = blank("provisions", "unit_price")
        vol = blank("provisions", "volume")
        invalid = np.zeros(len(t), dtype=bool)
        for c in ("amount", "unit_price", "volume"):
            if c in invalid_masks.get("provisions", {}):
                invalid |= invalid_masks["provisions"][c]
        f = sources["provisions"]
        ok_rows = ~(t["provision_id"].isna() & t["trajectory_id"].isna())
        neither = (amount & price & ok_rows).to_numpy(dtype=bool) & ~invalid
        if "amount" in present["provisions"] or "unit_price" in present["provisions"]:
            if neither.any():
                P.add(
                    "no_price_or_amount",
                    f,
                    _rows(t, neither),
                    "amount",
                    "",
                    (
                        "een bedrag (amount), of volume en unit_price",
                        "an amount, or volume and unit_price",
                    ),
                )
            novol = (amount & ~price & vol).to_numpy(dtype=bool) & ~invalid
            if novol.any():
                P.add(
                    "missing_volume",
                    f,
                    _rows(t, novol),
                    "volume",
                    "",
                    ("een volume bij de unit_price", "a volume with the unit_price"),
                )
        elif len(t):
            P.add(
                "missing_column",
                f,
                1,
                "amount",
                "",
                (
                    "een kolom amount, of de kolommen volume en unit_price",
                    "a column amount, or the columns volume and unit_price",
                ),
            )

    # ---- warnings per trajectory
    if traj_ids is not None:
        tr = T["trajectories"]
        ids = tr["trajectory_id"]
        for name, rule in (
            ("contacts", "no_contacts"),
            ("goals", "no_goals"),
            ("domain_scores", "no_scores"),
        ):
            if name not in T or "trajectory_id" not in present[name]:
                continue
            without = ids.notna().to_numpy(dtype=bool) & ~_isin(
                ids, pd.unique(T[name]["trajectory_id"].dropna())
            )
            if without.any():
                P.add(
                    rule,
                    sources["trajectories"],
                    _rows(tr, without),
                    "trajectory_id",
                    ids[without].to_numpy(dtype=object),
                    ("", ""),
                    (f"Geen rijen in {sources[name]}.", f"No rows in {sources[name]}."),
                )


def _derived_from_checks(g: pd.DataFrame, present: set[str], source: str, P: _Problems) -> None:
    ids = g["goal_id"]
    ids_obj = ids.to_numpy(dtype=object, na_value=None)
    firsts = ~ids.duplicated(keep="first").to_numpy(dtype=bool) & ids.notna().to_numpy(dtype=bool)
    first_pos = np.flatnonzero(firsts)  # position of the first occurrence of each goal_id
    parent = g["derived_from"]
    has_parent = parent.notna().to_numpy(dtype=bool)
    if isinstance(parent.dtype, pd.StringDtype) and isinstance(ids.dtype, pd.StringDtype):
        # pyarrow's hash lookup: position of each parent among the first goal_ids, -1 if absent
        found = pc.index_in(
            _arrow_strings(parent), value_set=pa.array(ids_obj[firsts], type=pa.string())
        )
        where = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        where = pd.Index(ids_obj[firsts], dtype=object).get_indexer(
            parent.to_numpy(dtype=object, na_value=None)
        )
    known = (where >= 0) & has_parent
    unknown = has_parent & ~known
    if unknown.any():
        P.add(
            "unknown_reference",
            source,
            _rows(g, unknown),
            "derived_from",
            parent[unknown].to_numpy(dtype=object),
            (
                "een goal_id uit dezelfde tabel, of leeg voor een nieuw doel",
                "a goal_id from the same table, or empty for a new goal",
            ),
        )
    ppos = np.full(len(g), -1, dtype=np.int64)
    if known.any():
        ppos[known] = first_pos[where[known]]
    # other trajectory
    if "trajectory_id" in present:
        tid = g["trajectory_id"].to_numpy(dtype=object, na_value=None)
        sel = np.flatnonzero(ppos >= 0)
        other = np.zeros(len(g), dtype=bool)
        other[sel] = (
            pd.Series(tid[sel]).ne(pd.Series(tid[ppos[sel]])).to_numpy()
            & pd.notna(tid[sel])
            & pd.notna(tid[ppos[sel]])
        )
        if other.any():
            P.add(
                "derived_from_other_trajectory",
                source,
                _rows(g, other),
                "derived_from",
                parent[other].to_numpy(dtype=object),
                ("een doel uit hetzelfde traject", "a goal of the same trajectory"),
            )
            ppos[other] = -1
    # later stage
    if "stage" in present:
        order = g["stage"].map(STAGE_ORDER).astype("float64").to_numpy()
        sel = np.flatnonzero(ppos >= 0)
        later = np.zeros(len(g), dtype=bool)
        later[sel] = order[ppos[sel]] > order[sel]
        if later.any():
            P.add(
                "derived_from_later_stage",
                source,
                _rows(g, later),
                "derived_from",
                parent[later].to_numpy(dtype=object),
                (
                    "een doel uit dezelfde of een eerdere fase (intake < plan < specialist_plan < review < final)",
                    "a goal of the same or an earlier stage (intake < plan < specialist_plan < review < final)",
                ),
            )
            ppos[later] = -1
    # cycles: pointer doubling; after >= n steps a node still pointing somewhere reaches a cycle,
    # and the nodes reached that way are exactly the nodes on cycles.
    n = len(g)
    if n and (ppos >= 0).any():
        nxt = np.where(ppos >= 0, ppos, n)  # n = sentinel "no parent"
        nxt = np.append(nxt, n)
        steps = 1
        while steps < n + 1:
            nxt = nxt[nxt]
            steps *= 2
        reach = nxt[:n]
        on_cycle = np.zeros(n + 1, dtype=bool)
        on_cycle[reach[reach < n]] = True
        cyc = on_cycle[:n]
        if cyc.any():
            P.add(
                "derived_from_cycle",
                source,
                _rows(g, cyc),
                "derived_from",
                parent[cyc].to_numpy(dtype=object),
                (
                    "een eerder doel (of leeg voor een nieuw doel)",
                    "an earlier goal (or empty for a new goal)",
                ),
            )


def _check(raw: RawPackage) -> _Checked:
    P = _Problems()
    for iss in raw.issues:
        expected = ("", "")
        detail = ("", "")
        if iss.rule in ("unknown_file", "unknown_sheet"):
            names = [*TABLES, "study"]
            from .io import TABLE_ALIASES

            stem = Path(iss.value).stem if iss.rule == "unknown_file" else iss.value
            sugg = difflib.get_close_matches(
                stem.lower(), names + list(TABLE_ALIASES), n=1, cutoff=0.6
            )
            expected = (", ".join(names), ", ".join(names))
            if sugg:
                detail = (_DID_YOU_MEAN["nl"].format(sugg[0]), _DID_YOU_MEAN["en"].format(sugg[0]))
        elif iss.rule == "duplicate_table":
            detail = (
                f"{iss.detail.get('other')} wordt gebruikt; verwijder of hernoem dit bestand.",
                f"{iss.detail.get('other')} is used; remove or rename this file.",
            )
        elif iss.rule in ("unreadable_file", "study_unreadable"):
            detail = _unreadable_detail(str(iss.detail.get("error", "")))
        elif iss.rule in ("missing_path", "not_a_package"):
            expected = (
                "een map met CSV- of parquetbestanden, of één .xlsx-werkmap",
                "a folder of CSV or parquet files, or one .xlsx workbook",
            )
        P.add(iss.rule, iss.file, iss.row, iss.column, iss.value, expected, detail)
    study, instrument = _study_checks(raw, P)
    tables: dict[str, pd.DataFrame] = {}
    present: dict[str, set[str]] = {}
    extras: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    bad: dict[str, dict[str, np.ndarray]] = {}
    for name, table in TABLES.items():
        rt = raw.tables.get(name)
        if rt is None:
            if table.required and raw.kind not in ("missing",):
                where = (f"{name}.csv (of werkblad '{name}')", f"{name}.csv (or sheet '{name}')")
                P.add(
                    "missing_table",
                    f"{name}.csv" if raw.kind != "xlsx" else f"{raw.path.name} [{name}]",
                    None,
                    "",
                    "",
                    where,
                )
            continue
        extra_allowed = set(study.extra_covariates) if name == "trajectories" else set()
        parsed, pres, ext, bad_masks = _column_checks(rt, table, extra_allowed, P)
        _bsn_checks(rt, table, bad_masks, P, parsed)
        tables[name], present[name], extras[name], sources[name] = parsed, pres, ext, rt.source
        bad[name] = bad_masks
        if name == "trajectories":
            if len(rt.frame) == 0:
                P.add(
                    "empty_table",
                    rt.source,
                    None,
                    "",
                    "",
                    ("minstens één traject", "at least one trajectory"),
                )
            for c in study.extra_covariates:
                if c not in rt.frame.columns:
                    P.add(
                        "missing_column",
                        rt.source,
                        1,
                        c,
                        "",
                        (
                            f"kolom {c} (genoemd in study.extra_covariates)",
                            f"column {c} (named in study.extra_covariates)",
                        ),
                    )
    _cross_checks(tables, present, sources, instrument, P, bad)
    problems = _drop_shadowed_by_bsn(P.frame())
    problems = _sort(problems, sources)
    return _Checked(problems, tables, present, extras, study, instrument, raw)


def _unreadable_detail(error: str) -> tuple[str, str]:
    """Readable (nl, en) explanation of a reader error; a ragged CSV line gets advice."""
    import re

    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error)
    if m:
        want, line, saw = m.groups()
        return (
            f"Regel {line} heeft {saw} velden, de kopregel {want}. Staat er een scheidingsteken "
            '(, of ;) in een waarde? Zet die waarde dan tussen aanhalingstekens ("...").',
            f"Line {line} has {saw} fields, the header {want}. Is there a separator (, or ;) "
            'inside a value? Then put that value in double quotes ("...").',
        )
    error = error.strip()
    return error, error


def _drop_shadowed_by_bsn(df: pd.DataFrame) -> pd.DataFrame:
    """A BSN cell gets only its ``bsn`` problem: other problems there would repeat the value."""
    is_bsn = df["rule"] == "bsn"
    if not is_bsn.any():
        return df
    key = (
        df["file"].astype(str) + "\x00" + df["row"].astype(str) + "\x00" + df["column"].astype(str)
    )
    bsn_keys = set(key[is_bsn])
    return df[is_bsn | ~key.isin(bsn_keys)].reset_index(drop=True)


def _sort(df: pd.DataFrame, sources: dict[str, str]) -> pd.DataFrame:
    if df.empty:
        return df
    order = {src: i for i, src in enumerate(sources.values())}
    file_rank = df["file"].map(order).fillna(-1)
    tmp = df.assign(_f=file_rank, _r=df["row"].fillna(0).astype("int64"))
    tmp = tmp.sort_values(["_f", "file", "_r"], kind="stable")
    return tmp.drop(columns=["_f", "_r"]).reset_index(drop=True)


# ======================================================================================
# Public functions
# ======================================================================================


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")


def validate(path: str | Path, lang: Lang = "nl") -> pd.DataFrame:
    """List every problem in a pilot data package; never raises on bad data.

    Parameters
    ----------
    path : path
        Folder of CSV (or parquet) files with ``study.toml``, or one ``.xlsx``
        workbook (one sheet per table plus a ``study`` sheet).
    lang : {"nl", "en"}
        Language of ``message`` and ``expected``.

    Returns
    -------
    DataFrame
        Columns ``file, row, column, value, rule, severity, expected, message``.
        ``row`` is the row as the user sees it (header = 1; ``<NA>`` for problems
        about a whole file); ``severity`` is ``"error"`` or ``"warning"``. Empty
        when the package is clean. BSN-like values are shown as ``*********``.

    Examples
    --------
    >>> problems = we.validate("my_pilot/", lang="en")      # doctest: +SKIP
    >>> problems[problems.severity == "error"].message      # doctest: +SKIP
    """
    _check_lang(lang)
    return _render(_check(read_package(path)).problems, lang)


def load(path: str | Path | PilotData, lang: Lang = "nl") -> PilotData:
    """Read, check and return a pilot data package.

    Parameters
    ----------
    path : path or PilotData
        As for :func:`validate`. A :class:`PilotData` is returned as it is.
    lang : {"nl", "en"}
        Language of the messages in a :class:`ValidationError` and in
        ``data.warnings``.

    Returns
    -------
    PilotData
        Tables in canonical form (index ``row`` = the user's row number), study
        settings, instrument, exclusion log (blank rows, stage ``load``) and
        ``warnings`` (the warning-level problems).

    Raises
    ------
    ValidationError
        When any error is found; ``.problems`` lists all problems.
    """
    _check_lang(lang)
    if isinstance(path, PilotData):
        return path
    checked = _check(read_package(path))
    problems = _render(checked.problems, lang)
    if (problems["severity"] == "error").any():
        raise ValidationError(problems, str(path), lang)
    return _build(checked, problems[problems["severity"] == "warning"].reset_index(drop=True))


def _build(checked: _Checked, warnings: pd.DataFrame) -> PilotData:
    tables: dict[str, pd.DataFrame] = {}
    extra_columns: dict[str, list[str]] = {}
    for name, table in TABLES.items():
        if name not in checked.tables:
            tables[name] = table.empty_frame()
            continue
        t = checked.tables[name]
        rt = checked.raw.tables[name]
        for c in checked.extras.get(name, []):
            t[c] = _extra_column(t[c], rt.decimal)
        tables[name] = schema.coerce_table(name, t, keep_extra=True)
        if checked.extras.get(name):
            extra_columns[name] = list(checked.extras[name])
    exclusions = _blank_row_log(checked.raw)
    return PilotData(
        **tables,
        study=checked.study,
        instrument=checked.instrument,
        exclusions=exclusions,
        source=str(checked.raw.path),
        extra_columns=extra_columns,
        warnings=warnings,
    )


def _extra_column(raw: pd.Series, decimal: str) -> pd.Series:
    """Extra (non-schema) column: numbers when every filled cell is a number, else text."""
    if (
        pd.api.types.is_numeric_dtype(raw)
        or pd.api.types.is_bool_dtype(raw)
        or pd.api.types.is_datetime64_any_dtype(raw)
    ):
        return raw
    vals, bads = parse_numbers(raw, decimal)
    if not bads and vals.notna().any():
        return vals
    return _text(raw)


def _blank_row_log(raw: RawPackage) -> pd.DataFrame:
    rows = [(name, r) for name, rt in raw.tables.items() for r in rt.blank_rows]
    if not rows:
        return empty_exclusions()
    log = empty_exclusions()
    n = len(rows)
    out = pd.DataFrame(
        {
            "stage": ["load"] * n,
            "table": [t for t, _ in rows],
            "row": [r for _, r in rows],
            "record_id": [pd.NA] * n,
            "trajectory_id": [pd.NA] * n,
            "reason": ["blank_row"] * n,
            "message_nl": [
                f"{raw.tables[t].source}, rij {r}: lege rij, overgeslagen" for t, r in rows
            ],
            "message_en": [f"{raw.tables[t].source}, row {r}: blank row, skipped" for t, r in rows],
        }
    )
    return out.astype(log.dtypes.to_dict())


def pandera_schema(table: str) -> Any:
    """A :class:`pandera.pandas.DataFrameSchema` for the *canonical* form of ``table``.

    Built from :mod:`wattelt_eval.schema`: canonical dtypes, required columns
    non-null, enum values, numeric bounds and unique ids. It checks frames that are
    already parsed (``PilotData`` tables, e.g. from ``synth.generate``); the
    user-facing checks with row numbers and bilingual messages are :func:`validate`.
    """
    import pandera.pandas as pa

    t = TABLES[table]
    cols = {}
    for c in t.columns:
        checks = []
        if c.type == "enum":
            checks.append(pa.Check.isin(list(c.enum)))
        if c.min is not None:
            checks.append(pa.Check.ge(c.min))
        if c.max is not None:
            checks.append(pa.Check.le(c.max))
        if c.pattern:
            checks.append(pa.Check.str_matches(f"^(?:{c.pattern})$"))
        cols[c.name] = pa.Column(
            c.dtype, checks=checks, nullable=not c.required, unique=c.unique, required=True
        )
    return pa.DataFrameSchema(cols, strict=False, index=pa.Index(int, name="row"))


def check_canonical(data: PilotData) -> None:
    """Assert that every table of ``data`` is in canonical form (pandera, lazy).

    Raises
    ------
    pandera.errors.SchemaErrors
        Listing every deviation.
    """
    for name in TABLES:
        pandera_schema(name).validate(data[name], lazy=True)


# ======================================================================================
# CLI
# ======================================================================================


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval validate``."""
    p = subparsers.add_parser(
        "validate",
        help="check a pilot data package and list every problem (controleer een datapakket)",
        description="Check a pilot data package (folder of CSV/parquet files or one .xlsx) and list "
        "every problem with file, row, column, value and what was expected. Exit code 1 on "
        "any error, 0 with warnings only.",
    )
    p.add_argument("path", help="folder or .xlsx workbook")
    p.add_argument(
        "--lang", choices=["nl", "en"], default="nl", help="message language (default nl)"
    )
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        dest="output_format",
        help="text (default) or json (every problem, machine-readable)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=50,
        help="text output: at most this many lines per file, column and rule (0 = all; default 50)",
    )


def format_problems(problems: pd.DataFrame, source: str, lang: Lang = "nl", limit: int = 50) -> str:
    """Problems as readable text (the ``validate`` command's output)."""
    n_err = int((problems["severity"] == "error").sum())
    n_warn = int((problems["severity"] == "warning").sum())
    if lang == "nl":
        head = (
            f"Controle van {source}: {n_err} {'fout' if n_err == 1 else 'fouten'}, "
            f"{n_warn} {'waarschuwing' if n_warn == 1 else 'waarschuwingen'}."
        )
        sev = {"error": "FOUT", "warning": "LET OP"}
        more = "… en nog {n} vergelijkbare meldingen in {f}, kolom {c} ({r})"
        ok = "Geen problemen gevonden."
    else:
        head = f"Checked {source}: {n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}."
        sev = {"error": "ERROR", "warning": "WARNING"}
        more = "… and {n} more like this in {f}, column {c} ({r})"
        ok = "No problems found."
    lines = [head]
    if problems.empty:
        lines.append(ok)
        return "\n".join(lines)
    lines.append("")
    shown = problems.assign(
        _k=problems.groupby(["file", "column", "rule"], dropna=False, sort=False).cumcount()
    )
    for f, r, c, k, s, m in zip(
        shown["file"],
        shown["rule"],
        shown["column"],
        shown["_k"],
        shown["severity"],
        shown["message"],
        strict=True,
    ):
        if limit and k == limit:
            total = int(
                (
                    (problems["file"] == f) & (problems["column"] == c) & (problems["rule"] == r)
                ).sum()
            )
            lines.append("  " + more.format(n=total - limit, f=f, c=c, r=r))
        if limit and k >= limit:
            continue
        lines.append(f"{sev[s]:<7} {m}")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval validate``; exit code 1 on any error, else 0."""
    problems = validate(args.path, lang=args.lang)
    if args.output_format == "json":
        records = [
            {
                k: (
                    None
                    if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))
                    else (int(v) if k == "row" else v)
                )
                for k, v in rec.items()
            }
            for rec in problems.astype(object).to_dict(orient="records")
        ]
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_problems(problems, str(args.path), args.lang, args.limit) + "\n")
    return 1 if (problems["severity"] == "error").any() else 0
