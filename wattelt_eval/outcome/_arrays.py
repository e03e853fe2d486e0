"""Vectorised array helpers of the outcome stage (codes, day numbers, per-code sums).

Trajectory ids are factorised to integer codes once, per-trajectory sums are
:func:`numpy.bincount` calls on those codes, dates are int64 day numbers. See
``docs/outcomes.md`` section 11 for why (national scale: 1M trajectories).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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
    """Give freed heap memory back to the operating system (glibc ``malloc_trim``, and
    pyarrow's memory pool when pyarrow is loaded).

    Blocks of a few tens of MB (the per-chunk domain results) are served from the malloc
    heap; once they are concatenated and freed, glibc keeps the pages unless asked to
    return them, and the next large (mmap) array then comes on top, doubling the peak.
    pyarrow's pool (mimalloc or jemalloc) keeps freed pages as well: at 1M trajectories
    the tellings stage's Arrow temporaries left 0.7 GB resident until released.
    A no-op where neither applies. Changes no value.
    """
    trim = _MALLOC_TRIM
    if trim is not None:
        trim(0)
    pa = sys.modules.get("pyarrow")  # (not imported here only for this)
    if pa is not None:
        pa.default_memory_pool().release_unused()


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
