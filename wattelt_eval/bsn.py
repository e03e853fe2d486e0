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
    """Vectorised eleven test on an array of nine-character digit strings."""
    if len(digits) == 0:
        return np.zeros(0, dtype=bool)
    raw = np.asarray(digits, dtype="S9")
    d = raw.view(np.uint8).reshape(len(raw), 9).astype(np.int64) - 48
    total = d @ _WEIGHTS
    return (total % 11 == 0) & (d.sum(axis=1) != 0)


def _as_text(s: pd.Series) -> pd.Series | None:
    """The values of ``s`` as strings for scanning, or None when nothing to scan.

    Integral numbers become their digits (floats read from Excel included);
    eight-digit integral numbers get their lost leading zero back.
    """
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return None
    if pd.api.types.is_timedelta64_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        x = pd.to_numeric(s, errors="coerce").astype("float64")
        ok = x.notna() & np.isfinite(x) & (x == np.floor(x)) & (x.abs() < 1e12)
        ints = x.where(ok).astype("Int64").abs()
        txt = ints.astype("string")
        eight = ints.between(10_000_000, 99_999_999).fillna(False).to_numpy(dtype=bool)
        if eight.any():
            txt = txt.copy()
            txt[eight] = "0" + txt[eight]
        return txt
    return s.astype("string")


def _bsn_mask(text: pd.Series) -> np.ndarray:
    """Boolean mask over string Series ``text``: contains a number passing the elfproef."""
    mask = np.zeros(len(text), dtype=bool)
    cand = text.str.contains(r"\d{3}", regex=True, na=False).to_numpy(dtype=bool)
    if not cand.any():
        return mask
    sub = text[cand].reset_index(drop=True)
    found = sub.str.extractall(_NINE_PATTERN)
    if found.empty:
        return mask
    digits = found[0].str.replace(r"[.\s-]", "", regex=True).to_numpy(dtype=str)
    ok = _elfproef_matrix(digits)
    rows = found.index.get_level_values(0).to_numpy()[ok]
    mask[np.flatnonzero(cand)[np.unique(rows)]] = True
    return mask


def scan_bsn(df: pd.DataFrame) -> list[tuple[int, str]]:
    """Positions of BSN-like values in ``df``.

    Every column is scanned: strings (also inside free text), integers and
    integral floats; dates and booleans are skipped.

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
    for col in df.columns:
        text = _as_text(df[col])
        if text is None:
            continue
        mask = _bsn_mask(text.reset_index(drop=True))
        hits.extend((int(i), str(col)) for i in np.flatnonzero(mask))
    return hits


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
        text = _as_text(df[col])
        if text is None or pd.api.types.is_numeric_dtype(df[col]):
            continue
        text = text.reset_index(drop=True)
        for kind in kinds:
            mask = text.str.contains(CONTACT_PATTERNS[kind], regex=True, na=False)
            hits.extend((int(i), str(col), kind) for i in np.flatnonzero(mask.to_numpy(dtype=bool)))
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
