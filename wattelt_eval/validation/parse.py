"""Cell parsing, vectorised: dates, numbers, whole numbers, yes/no, codes, text.

Each ``parse_*`` function turns one raw column into its canonical dtype and returns the
cells that failed as :class:`Bad` masks with a reason code and the expected text (both
languages, from the catalogue). Columns of codes hold few distinct values among many
rows: normalising and mapping distinct values only keeps millions of rows fast.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from ..bsn import as_arrow_strings as _arrow_strings
from ..i18n import LANGS, Lang, pair, text
from ..i18n import format as fmt
from ..io import recode_categorical
from ..schema import Column
from .problems import did_you_mean

__all__ = [
    "parse_dates",
    "parse_numbers",
    "parse_ints",
    "parse_bools",
    "parse_enums",
    "parse_strings",
    "parse_column",
    "enum_lookup",
]


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
    if isinstance(s.dtype, pd.CategoricalDtype):  # the categories only, then the codes
        codes = s.cat.codes.to_numpy()
        cats = s.cat.categories
        text = "string" if pd.api.types.is_string_dtype(cats) else object
        hit_u = _isin(pd.Series(np.asarray(cats, dtype=object), dtype=text), values)
        return (codes >= 0) & hit_u[np.maximum(codes, 0)] if len(hit_u) else codes < -1
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


def distinct_values(s: pd.Series) -> Any:
    """The distinct present values of ``s`` (``pd.unique(s.dropna())``; a categorical's used
    categories without expanding it)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        used = np.bincount(codes[codes >= 0], minlength=len(s.cat.categories)) > 0
        return np.asarray(s.cat.categories, dtype=object)[used]
    return pd.unique(s.dropna())


def _norm_series(u: pd.Series) -> pd.Series:
    return u.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)


@dataclass
class Bad:
    """Cells of one column that failed one check."""

    mask: np.ndarray
    rule: str
    expected_nl: Any = ""
    expected_en: Any = ""
    detail_nl: Any = ""
    detail_en: Any = ""


_DATE_RE = (
    r"^(?:(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"|(?P<d2>\d{1,2})[-.](?P<m2>\d{1,2})[-.](?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_SLASH_DMY = r"\d{1,2}/\d{1,2}/\d{2,4}(?:[ T].*)?"


def _bad(mask: np.ndarray, rule: str, expected: str, detail: tuple[Any, Any] = ("", "")) -> Bad:
    """A :class:`Bad` whose expected text is the catalogue text ``validation.expected.<key>``."""
    nl, en = pair(f"validation.expected.{expected}")
    return Bad(mask, rule, nl, en, *detail)


def parse_dates(raw: pd.Series) -> tuple[pd.Series, list[Bad]]:
    """Parse a date column: ISO ``2025-03-14``, Dutch ``14-03-2025`` / ``14.03.2025``.

    A time of day is accepted and dropped. ``14/03/2025`` is refused as ambiguous
    (it could be American month/day). Years outside 1900-2100 are refused.
    """
    n = len(raw)
    if pd.api.types.is_datetime64_any_dtype(raw):
        s = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        s = s.astype("datetime64[ns]")
        day = np.int64(86_400 * 10**9)
        if not (s.to_numpy().view("int64") % day).any():  # dates already (NaT is a day too)
            return s, []
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
            bads.append(Bad(full, b.rule, b.expected_nl, b.expected_en, b.detail_nl, b.detail_en))
        return pd.Series(vals, index=raw.index, dtype="datetime64[ns]"), bads
    out, bads = _parse_date_text(t)
    out.index = raw.index
    return out, bads


def _parse_date_text(t: pd.Series) -> tuple[pd.Series, list[Bad]]:
    """:func:`parse_dates` of a column of (stripped) text."""
    n = len(t)
    raw = t
    present = t.notna().to_numpy()
    out = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    rest = present & out.isna().to_numpy()
    bads: list[Bad] = []
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
        serial = no_match & sub.str.fullmatch(r"\d{4,5}(?:\.0+)?").fillna(False).to_numpy(bool)
        if serial.any():  # an Excel date that lost its date format: say which date it is
            days = pd.to_numeric(sub[serial], errors="coerce").to_numpy(dtype="float64")
            when = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
            full = np.zeros(n, dtype=bool)
            full[idx[serial]] = True
            iso = [d.strftime("%Y-%m-%d") for d in when]
            detail = (
                np.array([text("validation.detail.excel_serial", "nl", date=d) for d in iso]),
                np.array([text("validation.detail.excel_serial", "en", date=d) for d in iso]),
            )
            bads.append(_bad(full, "invalid_date", "date", detail))
            no_match = no_match & ~serial
        for mask_sub, rule, exp in (
            (no_match, "invalid_date", "date"),
            (slash, "ambiguous_date", "date_unambiguous"),
            (impossible, "impossible_date", "date_exists"),
            (out_years, "out_of_range", "date_years"),
        ):
            if mask_sub.any():
                full = np.zeros(n, dtype=bool)
                full[idx[mask_sub]] = True
                bads.append(_bad(full, rule, exp))
    return out, bads


#: ``1.250`` / ``1,250``: one separator followed by exactly three digits (grouping or decimals?)
_AMB_DOT = r"^[-+]?[1-9]\d{0,2}\.\d{3}$"
_AMB_COMMA = r"^[-+]?[1-9]\d{0,2},\d{3}$"
#: unambiguous decimal comma (``65,50``, ``1.250,00``, ``0,250``) or dot grouping (``1.250.000``)
_NL_SIGN = r"^[-+]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+),\d+$|^[-+]?[1-9]\d{0,2}(?:\.\d{3}){2,}$"
#: unambiguous decimal point (``65.50``, ``1,250.00``, ``0.250``) or comma grouping (``1,250,000``)
_EN_SIGN = r"^[-+]?(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)\.\d+$|^[-+]?[1-9]\d{0,2}(?:,\d{3}){2,}$"
NumberLocale = Literal["nl", "en"]


def _regex(arr: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(
        pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False),
        dtype=bool,
    )


def _text_cells(raw: pd.Series) -> pd.Series:
    """The cells typed as text, as stripped strings without ``€`` and spaces (others missing).

    Number cells of a workbook (int, float) are no text: their value is exact.
    """
    t = _text(raw)
    if raw.dtype == object:
        vals = raw.to_numpy(dtype=object)
        native = np.fromiter(
            (isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in vals),
            dtype=bool,
            count=len(vals),
        )
        if native.any():
            t = t.mask(native)
    arr = _arrow_strings(t)
    if pc.any(pc.match_substring_regex(arr, "[€\\s\u00a0]")).as_py():
        t = t.str.replace(r"[€\s\u00a0]", "", regex=True)
    return t


def parse_numbers(
    raw: pd.Series, decimal: str = ".", locale: NumberLocale | None = None
) -> tuple[pd.Series, list[Bad]]:
    """Parse a numeric column: the one locale-aware number parser.

    Accepted: ``3.5``, ``3,5``, ``1.234,50``, ``1,234.50``, ``1.250.000``, ``€ 65,50``.
    ``1.250`` and ``1,250`` (one separator, then exactly three digits) are ambiguous:
    they are read by the column's convention (the declared ``locale``, else the
    column's other values) and refused as ``ambiguous_number`` when that is undecided. ``inf``, ``nan`` and other non-finite values are refused.
    ``decimal`` (the file's separator convention) is kept for compatibility; it no
    longer decides an ambiguous value.
    """
    n = len(raw)
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        if raw.dtype in (np.float64, np.float32) and not np.isinf(raw.to_numpy()).any():
            return raw.copy(deep=False).rename(None), []  # no copy of a clean float column
        vals = raw.astype("float64").to_numpy(copy=True)
        inf = np.isinf(vals)
        if not inf.any():
            return pd.Series(vals, index=raw.index, dtype="float64"), []
        vals[inf] = np.nan
        return pd.Series(vals, index=raw.index, dtype="float64"), [
            _bad(inf, "invalid_number", "number_finite")
        ]
    if isinstance(raw.dtype, pd.StringDtype) and n > 1000:
        codes, uniq = pd.factorize(raw)
        if 2 * len(uniq) < n:  # numbers repeat (scores): parse each distinct text once
            u_vals, u_bads = parse_numbers(
                pd.Series(np.asarray(uniq, dtype=object), dtype="string"), decimal, locale
            )
            sel = codes >= 0
            vals = np.full(n, np.nan)
            vals[sel] = u_vals.to_numpy()[codes[sel]]
            bads = []
            for b in u_bads:
                full = np.zeros(n, dtype=bool)
                full[sel] = b.mask[codes[sel]]
                bads.append(Bad(full, b.rule, b.expected_nl, b.expected_en))
            return pd.Series(vals, index=raw.index, dtype="float64"), bads
    native = None
    if raw.dtype == object:  # a workbook column: number cells are exact, text cells parsed
        obj = raw.to_numpy(dtype=object)
        native = np.fromiter(
            (isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in obj),
            dtype=bool,
            count=n,
        )
    clean = _text_cells(raw)
    present = clean.notna().to_numpy()
    arr = _arrow_strings(clean)
    try:  # fast path: arrow parses the whole column at C speed when every value is a plain number
        vals = np.asarray(
            pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64"
        ).copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = pd.to_numeric(clean, errors="coerce").astype("Float64").astype("float64")
        vals = out.to_numpy(copy=True)
    bads: list[Bad] = []
    amb = np.zeros(n, dtype=bool)
    if pc.any(pc.match_substring_regex(arr, "[.,]")).as_py():
        amb_dot, amb_comma = _regex(arr, _AMB_DOT), _regex(arr, _AMB_COMMA)
        either = amb_dot | amb_comma
        sign_nl, sign_en = _regex(arr, _NL_SIGN) & ~either, _regex(arr, _EN_SIGN) & ~either
        convention = locale or (
            "nl"
            if sign_nl.any() and not sign_en.any()
            else "en"
            if sign_en.any() and not sign_nl.any()
            else None
        )
        grouped = clean.copy()
        conv = np.zeros(n, dtype=bool)
        if convention == "nl":
            conv = amb_dot | amb_comma | sign_nl
            grouped = clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        elif convention == "en":
            conv = amb_dot | amb_comma | sign_en
            grouped = clean.str.replace(",", "", regex=False)
        else:
            amb = amb_dot | amb_comma
            # unambiguous values still parse by their own form
            conv = sign_nl | sign_en
            nl_form = clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            en_form = clean.str.replace(",", "", regex=False)
            grouped = en_form.where(pd.Series(sign_en, index=clean.index), nl_form)
        if convention is not None:
            # a value unambiguous in the other convention keeps its own reading
            other = sign_en if convention == "nl" else sign_nl
            if other.any():
                alt = (
                    clean.str.replace(",", "", regex=False)
                    if convention == "nl"
                    else clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
                )
                grouped = grouped.where(~pd.Series(other, index=clean.index), alt)
                conv |= other
        if conv.any():
            vals[conv] = (
                pd.to_numeric(grouped[conv], errors="coerce")
                .astype("Float64")
                .to_numpy(dtype="float64", na_value=np.nan)
            )
    if native is not None and native.any():
        obj_vals = raw.to_numpy(dtype=object)[native]
        vals[native] = np.asarray(obj_vals, dtype="float64")
        present = present | native
    vals[amb] = np.nan
    infinite = present & np.isinf(vals)
    vals[infinite] = np.nan
    bad = present & np.isnan(vals) & ~amb & ~infinite
    if bad.any():
        bads.append(_bad(bad, "invalid_number", "number"))
    if infinite.any():
        bads.append(_bad(infinite, "invalid_number", "number_finite"))
    if amb.any():
        bads.append(_bad(amb, "ambiguous_number", "number_unambiguous"))
    return pd.Series(vals, index=raw.index, dtype="float64"), bads


def parse_ints(
    raw: pd.Series, decimal: str = ".", locale: NumberLocale | None = None
) -> tuple[pd.Series, list[Bad]]:
    """Parse a whole-number column (``3``, ``3.0`` accepted; ``3.5`` refused)."""
    if isinstance(raw.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(
        raw
    ):  # nullable whole numbers (parquet): nothing to parse, the width is kept
        return raw.copy(deep=False).rename(None), []
    vals, bads = parse_numbers(raw, decimal, locale)
    for b in bads:
        if b.rule == "invalid_number":
            b.expected_nl, b.expected_en = pair("validation.expected.whole_number_like")
    arr = vals.to_numpy()
    frac = ~np.isnan(arr) & (np.floor(arr) != arr)
    if frac.any():
        bads.append(_bad(frac, "not_integer", "whole_number"))
        vals = vals.where(~frac)
    return vals.astype("Float64").astype("Int64"), bads


_BOOL_MAP = {
    **{k: True for k in schema.BOOL_TRUE},
    **{k: False for k in schema.BOOL_FALSE},
    "1.0": True,
    "0.0": False,
}


def parse_bools(raw: pd.Series) -> tuple[pd.Series, list[Bad]]:
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
    bads = [_bad(bad, "invalid_bool", "bool")] if bad.any() else []
    return out, bads


def _norm_key(s: str) -> str:
    s = str(s).strip().lower()
    return "_".join(s.replace("-", " ").split())


_ENUM_CACHE: dict[tuple[Any, ...], tuple[dict[str, str], list[str]]] = {}


def _enum_key(col: Column) -> tuple[Any, ...]:
    """Cache key of a code column: its name, codes and accepted spellings (study mappings
    add spellings, so two columns of one name may accept different values)."""
    return (col.name, ",".join(col.enum), tuple(col.aliases.items()))


def enum_lookup(col: Column) -> dict[str, str]:
    """Accepted spellings (normalised) -> canonical code for an enum column.

    Canonical codes, Dutch aliases and the nl/en labels of the data dictionary are
    accepted case-insensitively, with spaces, hyphens and underscores alike.
    """
    key = _enum_key(col)
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
        return pair("validation.expected.enum_long", first=codes[0], last=codes[-1])
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
    texts = {x: did_you_mean(x) for x in pd.unique(h)}
    nl = np.array([texts[x][0] for x in h], dtype=object)
    en = np.array([texts[x][1] for x in h], dtype=object)
    return nl, en


def parse_enums(raw: pd.Series, col: Column) -> tuple[pd.Series, list[Bad]]:
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
    bads: list[Bad] = []
    if bad.any():
        nl, en = _suggest(t[bad], _ENUM_CACHE[_enum_key(col)][1])
        dn = np.full(len(raw), "", dtype=object)
        de = np.full(len(raw), "", dtype=object)
        dn[bad], de[bad] = nl, en
        exp = _enum_expected(col)
        bads.append(Bad(bad, "invalid_enum", exp[0], exp[1], dn[bad], de[bad]))
    return out, bads


def parse_strings(raw: pd.Series, col: Column) -> tuple[pd.Series, list[Bad]]:
    """Text column; checks ``col.pattern`` when the schema gives one."""
    t = _text(raw)
    bads: list[Bad] = []
    if col.pattern:
        ok = t.str.fullmatch(col.pattern).fillna(True).to_numpy(dtype=bool)
        if (~ok).any():
            exp = pair("validation.expected.like", example=col.example)
            bads.append(Bad(~ok, "pattern", *exp))
    return t, bads


def parse_column(
    raw: pd.Series, col: Column, decimal: str = ".", locale: NumberLocale | None = None
) -> tuple[pd.Series, list[Bad]]:
    """Parse one raw column to its canonical dtype; returns the values and failed cells.

    ``locale`` is ``study.number_locale`` (how ambiguous numbers such as ``1.250`` read).
    A categorical (dictionary-encoded) column is parsed one distinct value at a time
    (:func:`_parse_categorical`): the same values and failed cells, text stays encoded.
    """
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return _parse_categorical(raw, col, decimal, locale)
    if col.type == "date":
        out, bads = parse_dates(raw)
    elif col.type == "int":
        out, bads = parse_ints(raw, decimal, locale)
    elif col.type == "float":
        out, bads = parse_numbers(raw, decimal, locale)
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
                bads.append(Bad(outside, "out_of_range", *_range_expected(col.min, col.max)))
                out = out.mask(outside)
    return out, bads


def _range_expected(low: float | None, high: float | None) -> tuple[str, str]:
    """Expected text (nl, en) of a bounded number: ``≥ 0``, ``≤ 2``, ``tussen 0 en 999``."""
    if high is None:
        return tuple(text("validation.expected.at_least", lg, low=fmt_num(low, lg)) for lg in LANGS)
    if low is None:
        return tuple(
            text("validation.expected.at_most", lg, high=fmt_num(high, lg)) for lg in LANGS
        )
    return tuple(
        text("validation.expected.between", lg, low=fmt_num(low, lg), high=fmt_num(high, lg))
        for lg in LANGS
    )


def fmt_num(x: float, lang: Lang = "nl") -> str:
    """A bound or score in a message, through the one formatter (:mod:`wattelt_eval.i18n.format`).

    As many decimals as the value has (``2``, ``2.5``); no thousands grouping below
    10,000, so a year reads ``1900``, not ``1.900``.
    """
    x = float(x)
    decimals = 0 if x.is_integer() else len(repr(x).split(".")[-1]) if "e" not in repr(x) else 6
    return fmt.number(x, decimals, lang, grouping=abs(x) >= 10_000)


def plain_num(x: float) -> str:
    """A number as a language-neutral value (``2``, ``2.5``), as shown in the value column."""
    return str(int(x)) if float(x).is_integer() else str(x)


def _parse_categorical(
    raw: pd.Series, col: Column, decimal: str = ".", locale: NumberLocale | None = None
) -> tuple[pd.Series, list[Bad]]:
    """:func:`parse_column` of a categorical column: its categories parsed, then broadcast.

    Every rule of the parsers looks at a cell's own text, or at whether *any* cell of the
    column has a form (the number convention), so parsing the distinct values gives the
    same values and failed cells as parsing every cell. Codes and text (``enum``, ``str``)
    stay categorical; other types become their ordinary dtype.
    """
    codes = raw.cat.codes.to_numpy()
    cats = pd.Series(np.asarray(raw.cat.categories, dtype=object), dtype="string")
    u_out, u_bads = parse_column(cats, col, decimal, locale)
    if col.type in ("enum", "str"):
        same = (
            not u_out.isna().any()
            and (u_out.to_numpy(dtype=object) == cats.to_numpy(dtype=object)).all()
        )
        out = raw.copy(deep=False) if same else recode_categorical(raw, u_out)
    else:
        taken = pd.api.extensions.take(u_out.array, codes, allow_fill=True)
        out = pd.Series(taken, index=raw.index, name=raw.name)
    bads = [_broadcast_bad(b, codes) for b in u_bads]
    return out, bads


def _broadcast_bad(b: Bad, codes: np.ndarray) -> Bad:
    """A :class:`Bad` over the categories as one over the cells (texts per cell)."""
    mask = (codes >= 0) & b.mask[np.maximum(codes, 0)] if len(b.mask) else codes < -1
    pos = np.cumsum(b.mask) - 1  # category -> its place among the failed categories
    where = pos[codes[mask]]

    def per_cell(v: Any) -> Any:
        if isinstance(v, np.ndarray) and v.ndim == 1 and len(v) == int(b.mask.sum()):
            return v[where]
        return v

    return Bad(
        mask,
        b.rule,
        per_cell(b.expected_nl),
        per_cell(b.expected_en),
        per_cell(b.detail_nl),
        per_cell(b.detail_en),
    )
