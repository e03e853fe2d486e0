"""Guard against BSNs (burgerservicenummers) and other direct identifiers in input data.

A BSN is nine digits that pass the *elfproef* (eleven test)::

    9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9  ≡ 0 (mod 11)

The guard scans every column, including free text, vectorised (one regular
expression pass per column, then the eleven test on all candidates at once as a
NumPy matrix product). It never returns the number itself, only where it was
found, so a message built from its result cannot leak the number.

Besides the blocking BSN scan, :func:`scan_contact_details` finds e-mail
addresses, Dutch phone numbers and postcode + house number combinations (a
warning, not a stop: they are direct identifiers that should not be in the data,
but their patterns are less certain than the eleven test).

What counts as a BSN candidate
------------------------------
* nine digits not part of a longer run of digits (``111222333``, also inside
  text such as ``"bsn 111222333 bekend"`` or an id ``"T111222333"``);
* the same with ``.``, space or ``-`` separators in the usual groupings
  ``111.222.333``, ``111 222 333``, ``1112.22.333``;
* in numeric columns (integers, or floats with an integral value) also eight
  digit values, read as a nine-digit number with a lost leading zero (Excel
  drops it: ``012345672`` becomes ``12345672``).

Nine-digit values that fail the eleven test (and ``000000000``) pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)
_SEP = r"[.\s-]"
#: nine digits not embedded in a longer run of digits (optionally with . space or
#: - separators in the Dutch 123.456.789 / 1234 56 789 style)
_NINE_PATTERN = (
    rf"(?<!\d)(\d{{9}}|\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}|\d{{4}}{_SEP}\d{{2}}{_SEP}\d{{3}})(?!\d)"
)
_NINE = re.compile(_NINE_PATTERN)

ContactKind = Literal["email", "phone", "postcode_house_number"]

#: Regular expressions of the contact-detail scanners (kind -> pattern).
CONTACT_PATTERNS: dict[str, str] = {
    # local@domain.tld
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    # Dutch numbers: 0 + nine digits (06-12345678, 020 123 4567, 0612345678) or
    # +31 / 0031 + nine digits (+31 6 12345678, +31 (0)6 1234 5678)
    "phone": r"(?<![\d+])(?:(?:\+|00)31[\s\-]?(?:\(0\)[\s\-]?)?|0)[1-9](?:[\s\-]?\d){8}(?!\d)",
    # postcode (1234 AB; letters SA, SD, SS are not issued) followed by a house
    # number ("1234 AB 12", "1234AB, 12a"), or a house number followed by a
    # postcode ("Dorpsstraat 12, 1234 AB")
    "postcode_house_number": (
        r"(?<!\d)[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b[\s,\-]*(?:nr\.?\s*)?\d{1,5}(?!\d)"
        r"|(?<!\d)\d{1,5}[a-zA-Z]?\s*[,\-]?\s*[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b"
    ),
}


def elfproef(number: str | int) -> bool:
    """True when ``number`` is nine digits that pass the eleven test.

    Separators ``.``, space and ``-`` are ignored. ``000000000`` fails.

    Examples
    --------
    >>> elfproef("111222333")
    True
    >>> elfproef("123456789")
    False
    """
    digits = re.sub(r"[.\s-]", "", str(number))
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    return bool(_elfproef_matrix(np.array([digits]))[0])


def _elfproef_matrix(digits: np.ndarray) -> np.ndarray:
    """Vectorised eleven test on an array of nine-character digit strings.

    Only ASCII digits count (as in :func:`elfproef`); ``000000000`` fails.
    """
    if len(digits) == 0:
        return np.zeros(0, dtype=bool)
    digits = np.asarray(digits, dtype=object)
    ascii_ok = np.fromiter((d.isascii() for d in digits), dtype=bool, count=len(digits))
    out = np.zeros(len(digits), dtype=bool)
    if not ascii_ok.any():
        return out
    raw = np.asarray(digits[ascii_ok].astype(str), dtype="S9")
    d = raw.view(np.uint8).reshape(len(raw), 9).astype(np.int64) - 48
    total = d @ _WEIGHTS
    out[ascii_ok] = (total % 11 == 0) & (d.sum(axis=1) != 0)
    return out


def bsn_in_numbers(values: np.ndarray) -> np.ndarray:
    """Mask of numbers that can be a BSN: integral, 8-9 digits, passing the eleven test.

    An eight-digit value is read as a nine-digit number whose leading zero was lost
    (Excel drops it: ``012345672`` becomes ``12345672``). The sign is ignored; the
    decimals of a non-integral number are never scanned (``docs/architecture.md``,
    "BSN guard in number columns").
    """
    values = np.asarray(values)
    out = np.zeros(len(values), dtype=bool)
    step = 1 << 22  # in blocks: a column of 90M numbers needs no 90M temporaries
    for i in range(0, len(values), step):
        v = np.abs(np.asarray(values[i : i + step], dtype="float64"))
        ok = np.isfinite(v) & (v == np.floor(v)) & (v >= 1e7) & (v < 1e9)
        if ok.any():
            x = v[ok].astype(np.int64)
            digits = (x[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64))) % 10
            out[i : i + step][ok] = (digits @ _WEIGHTS) % 11 == 0  # >= 1e7: never all zeros
    return out


#: A necessary condition for :data:`_NINE_PATTERN` without look-arounds, so pyarrow's
#: vectorised RE2 runs it over whole columns: nine digits, or 3-3-3 / 4-2-3 digit groups
#: with any single character between them (a superset of Python's Unicode ``\s``).
_NINE_PREFILTER = r"(?s)\d{9}|\d{3}.\d{3}.\d{3}|\d{4}.\d{2}.\d{3}"


def _nine_digit_hits(values: np.ndarray) -> np.ndarray:
    """Mask over distinct strings: holds a nine-digit run passing the eleven test."""
    mask = np.zeros(len(values), dtype=bool)
    if not len(values):
        return mask
    found = pd.Series(values, dtype="string").str.extractall(_NINE_PATTERN)
    if found.empty:
        return mask
    digits = found[0].str.replace(r"[.\s-]", "", regex=True).to_numpy(dtype=object)
    ok = _elfproef_matrix(digits)
    mask[np.unique(found.index.get_level_values(0).to_numpy()[ok])] = True
    return mask


def as_arrow_strings(text: pd.Series) -> pa.Array:
    """A Series as one pyarrow string array (nulls for missing)."""
    a = (
        pa.array(text.array)
        if hasattr(text.array, "__arrow_array__")
        else pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    )
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a.cast(pa.string()) if a.type != pa.string() else a


def bsn_in_text(text: pd.Series, candidates: np.ndarray | None = None) -> np.ndarray:
    """Mask of text cells holding a BSN-like nine-digit run (also ``111.222.333``).

    Vectorised: a cheap RE2 pre-filter over the column (pyarrow), then the exact
    pattern and the eleven test once per distinct candidate value.

    Parameters
    ----------
    text : Series
        Strings (anything else is cast to ``string``).
    candidates : ndarray of bool, optional
        Only these cells are scanned.
    """
    n = len(text)
    out = np.zeros(n, dtype=bool)
    if not n:
        return out
    arr = as_arrow_strings(
        text if isinstance(text.dtype, pd.StringDtype) else text.astype("string")
    )
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
    sub = arr.take(pa.array(sel)) if len(sel) < len(arr) else arr
    maybe = np.asarray(
        pc.match_substring_regex(sub, _NINE_PREFILTER).to_numpy(zero_copy_only=False), dtype=bool
    )
    if not maybe.any():
        return out
    codes, uniq = pd.factorize(
        np.asarray(sub.filter(pa.array(maybe)).to_numpy(zero_copy_only=False), dtype=object)
    )
    out[sel[maybe]] = _nine_digit_hits(np.asarray(uniq, dtype=object))[codes]
    return out


#: What a BSN-like number is replaced by in any text the package shows.
MASK = "*********"


def _mask_match(m: re.Match[str]) -> str:
    return MASK if elfproef(m.group(0)) else m.group(0)


def redact(text: object) -> str:
    """``text`` with every BSN-like nine-digit run (passing the elfproef) replaced by ``*********``.

    For names and messages: a file name, sheet name, column header or any text a
    message repeats. Runs that fail the elfproef are kept.

    Examples
    --------
    >>> redact("export_111222333.csv")
    'export_*********.csv'
    """
    s = "" if text is None else str(text)
    return _NINE.sub(_mask_match, s) if len(s) >= 9 else s


def redact_array(values: object) -> np.ndarray:
    """:func:`redact` over an array of texts, vectorised (pre-filter, then distinct hits only)."""
    arr = np.asarray(values, dtype=object)
    if not len(arr):
        return arr
    s = pd.Series(arr).astype("string")
    hit = bsn_in_text(s)
    if not hit.any():
        return arr
    out = arr.copy()
    out[hit] = [redact(v) for v in arr[hit]]
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def bsn_mask(values: pd.Series, candidates: np.ndarray | None = None) -> np.ndarray:
    """Mask of cells holding a BSN-like value: the one BSN scanner of the package.

    Numbers (a numeric column, or native numbers in an object column as read from
    Excel) go through :func:`bsn_in_numbers`; text through :func:`bsn_in_text`;
    dates, durations and yes/no values are skipped.

    Parameters
    ----------
    values : Series
    candidates : ndarray of bool, optional
        Only these cells are scanned as text (numbers are always scanned).
    """
    n = len(values)
    if (
        pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_datetime64_any_dtype(values)
        or pd.api.types.is_timedelta64_dtype(values)
    ):
        return np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.CategoricalDtype):  # dictionary-encoded: each value once
        codes = values.cat.codes.to_numpy()
        text = pd.api.types.is_string_dtype(values.cat.categories)
        cats = pd.Series(np.asarray(values.cat.categories, dtype=object))
        hit_u = bsn_mask(cats.astype("string") if text else cats)
        out = (codes >= 0) & hit_u[np.maximum(codes, 0)] if len(hit_u) else codes < -1
        return out if candidates is None else out & candidates
    if pd.api.types.is_numeric_dtype(values):
        return bsn_in_numbers(values.to_numpy(dtype="float64", na_value=np.nan))
    if values.dtype != object:
        return bsn_in_text(values, candidates)
    out = np.zeros(n, dtype=bool)
    isnum = values.map(_is_number, na_action="ignore").fillna(False).to_numpy(dtype=bool)
    if isnum.any():
        out[isnum] = bsn_in_numbers(values[isnum].astype("float64").to_numpy())
    scan = ~isnum if candidates is None else (candidates & ~isnum)
    if scan.any():
        text = values.where(~isnum).map(_cell_text, na_action="ignore").astype("string")
        out |= bsn_in_text(text, scan)
    return out


def _cell_text(v: object) -> object:
    """A non-number cell as stripped text (dates as ISO dates)."""
    if hasattr(v, "isoformat") and not isinstance(v, str):
        s = v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        return s[:10] if s.endswith(" 00:00:00") else s
    s = str(v).strip()
    return s if s else None


def scan_bsn(df: pd.DataFrame) -> list[tuple[int, str]]:
    """Positions of BSN-like values in ``df``.

    Every column is scanned (:func:`bsn_mask`): strings (also inside free text),
    integers and integral floats; dates and booleans are skipped.

    Parameters
    ----------
    df : DataFrame

    Returns
    -------
    list of (position, column)
        ``position`` is the 0-based row position in ``df``, ordered by column then
        position. The value is never returned, so a message built from it cannot
        leak the number.
    """
    hits: list[tuple[int, str]] = []
    for i in range(df.shape[1]):
        col = df.columns[i]
        mask = bsn_mask(df.iloc[:, i])
        hits.extend((int(p), str(col)) for p in np.flatnonzero(mask))
    return hits


#: A necessary condition for every pattern of :data:`CONTACT_PATTERNS` (an ``@``; nine
#: digits with at most one character between them; four digits, at most one character
#: and two capitals). Without look-arounds, so pyarrow's vectorised RE2 runs it; Unicode
#: digits and any separator, so it is a superset of Python's ``re``.
_CONTACT_PREFILTER = r"(?s)@|\p{Nd}(?:.?\p{Nd}){8}|\p{Nd}{4}.?[A-Z]{2}"


def contact_detail_masks(
    values: pd.Series, kinds: Iterable[ContactKind] = ("email", "phone", "postcode_house_number")
) -> dict[str, np.ndarray]:
    """Per kind, the mask of cells of ``values`` holding that contact detail.

    Free text repeats (the same goal text in many rows): the exact patterns run on the
    distinct values that pass an RE2 pre-filter only, and are broadcast back. Numbers,
    dates and yes/no values hold no contact details (empty masks).
    """
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in CONTACT_PATTERNS]
    if bad:
        raise ValueError(f"kinds must be among {sorted(CONTACT_PATTERNS)}, not {bad}")
    n = len(values)
    out = {k: np.zeros(n, dtype=bool) for k in kinds}
    if (
        pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_datetime64_any_dtype(values)
        or pd.api.types.is_timedelta64_dtype(values)
        or pd.api.types.is_numeric_dtype(values)
    ):
        return out
    if isinstance(values.dtype, pd.CategoricalDtype):  # dictionary-encoded: no text expanded
        codes = values.cat.codes.to_numpy()
        uniq = pd.Series(np.asarray(values.cat.categories, dtype=object), dtype="string").array
    else:
        codes, uniq = pd.factorize(values.astype("string"))
    if not len(uniq):
        return out
    uniq_obj = np.asarray(uniq, dtype=object)
    maybe = pc.match_substring_regex(pa.array(uniq_obj, type=pa.string()), _CONTACT_PREFILTER)
    idx = np.flatnonzero(np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(idx):
        return out
    sub = pd.Series(uniq_obj[idx], dtype="string")
    valid = codes >= 0
    for kind in kinds:
        hit_u = np.zeros(len(uniq), dtype=bool)
        hit_u[idx] = sub.str.contains(CONTACT_PATTERNS[kind], regex=True, na=False).to_numpy(
            dtype=bool
        )
        if hit_u.any():
            out[kind] = valid & hit_u[np.maximum(codes, 0)]
    return out


def scan_contact_details(
    df: pd.DataFrame,
    columns: Iterable[str] | None = None,
    kinds: Iterable[ContactKind] = ("email", "phone", "postcode_house_number"),
) -> list[tuple[int, str, str]]:
    """Positions of e-mail addresses, Dutch phone numbers and postcode + house numbers.

    Meant as a *warning* for free text (goal texts) and other string columns:
    these are direct identifiers that do not belong in a pilot data package.

    Parameters
    ----------
    df : DataFrame
    columns : iterable of str, optional
        Columns to scan; default every string/object column. Columns not in ``df``
        are ignored (so a caller can pass all free-text columns of the schema).
    kinds : iterable of {"email", "phone", "postcode_house_number"}
        Which patterns to look for (see :data:`CONTACT_PATTERNS`).

    Returns
    -------
    list of (position, column, kind)
        ``position`` is the 0-based row position in ``df``. The value is never
        returned. Ordered by column, kind, position.

    Notes
    -----
    Phone numbers: ``0`` followed by nine digits, or ``+31``/``0031`` followed by
    nine digits, with optional spaces or hyphens between digits. Postcodes: four
    digits (not starting with 0) and two capital letters, directly followed or
    preceded by a house number. A bare postcode or a bare street name is not
    flagged.
    """
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in CONTACT_PATTERNS]
    if bad:
        raise ValueError(f"kinds must be among {sorted(CONTACT_PATTERNS)}, not {bad}")
    if columns is None:
        columns = [
            c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object
        ]
    hits: list[tuple[int, str, str]] = []
    for col in columns:
        if col not in df.columns:
            continue
        masks = contact_detail_masks(df[col], kinds)
        for kind in kinds:
            hits.extend((int(i), str(col), kind) for i in np.flatnonzero(masks[kind]))
    return hits


def scan_tables(
    tables: dict[str, pd.DataFrame],
    contact_columns: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Scan several tables at once: BSNs (all columns) and contact details.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Table name -> table.
    contact_columns : dict, optional
        Table name -> columns for :func:`scan_contact_details`; default all string
        columns of every table.

    Returns
    -------
    DataFrame
        Columns ``table, position, row, column, kind`` (``kind`` is ``"bsn"`` or a
        contact kind; ``row`` is the table's index label at that position). Never
        the value.
    """
    rows = []
    for name, df in tables.items():
        cols = None if contact_columns is None else contact_columns.get(name, [])
        for pos, col in scan_bsn(df):
            rows.append((name, pos, df.index[pos], col, "bsn"))
        for pos, col, kind in scan_contact_details(df, cols):
            rows.append((name, pos, df.index[pos], col, kind))
    return pd.DataFrame(rows, columns=["table", "position", "row", "column", "kind"])
