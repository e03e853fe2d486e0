"""Guard against BSNs (burgerservicenummers) and other direct identifiers in input data.

A BSN is nine digits that pass the *elfproef* (eleven test)::

    9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9  ≡ 0 (mod 11)

The guard scans every column, including free text, vectorised. It never returns
the number itself, only where it was found.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])
#: nine digits not embedded in a longer run of digits (optionally with . or space
#: separators in the Dutch 123.456.789 / 1234 56 789 style)
_NINE = re.compile(r"(?<![\d])(\d{9}|\d{3}[.\s]\d{3}[.\s]\d{3}|\d{4}[.\s]\d{2}[.\s]\d{3})(?![\d])")


def elfproef(number: str | int) -> bool:
    """True when ``number`` is nine digits that pass the eleven test.

    Examples
    --------
    >>> elfproef("111222333")
    True
    >>> elfproef("123456789")
    False
    """
    digits = re.sub(r"[.\s]", "", str(number))
    if len(digits) != 9 or not digits.isdigit():
        return False
    d = np.frombuffer(digits.encode("ascii"), dtype=np.uint8) - 48
    total = int((d * _WEIGHTS).sum())
    return total % 11 == 0 and total != 0


def _column_has_bsn(values: pd.Series) -> np.ndarray:
    """Boolean mask over ``values`` (as strings): contains a BSN-like number."""
    s = values.astype("string")
    mask = np.zeros(len(s), dtype=bool)
    cand = s.str.contains(r"\d{3}", regex=True, na=False).to_numpy(dtype=bool)
    if not cand.any():
        return mask
    sub = s[cand]
    found = sub.str.findall(_NINE)
    hit = found.map(lambda xs: any(elfproef(x) for x in xs) if isinstance(xs, list) else False)
    mask[np.flatnonzero(cand)] = hit.to_numpy(dtype=bool)
    return mask


def scan_bsn(df: pd.DataFrame) -> list[tuple[int, str]]:
    """Positions of BSN-like values in ``df``.

    Returns
    -------
    list of (position, column)
        ``position`` is the 0-based row position in ``df``. The value is never
        returned, so a message built from it cannot leak the number.
    """
    hits: list[tuple[int, str]] = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_float_dtype(s):
            # numbers read as floats: integral values only
            ok = s.notna() & (s == np.floor(s.fillna(0)))
            s = s.where(ok).astype("Int64")
        elif pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        mask = _column_has_bsn(s)
        hits.extend((int(i), str(col)) for i in np.flatnonzero(mask))
    return hits
