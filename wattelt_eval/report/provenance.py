"""Provenance of a council report: input fingerprint, generation date, parameters.

The fingerprint lets anyone check that a report was made from exactly the same
data: it depends on the *content* of the canonical tables, not on the file format
(CSV, Excel, parquet), the column order in the file or the order of the rows.

Recipe (also in ``docs/report.md``)
-----------------------------------
For each table in data-model order (``trajectories, contacts, goals,
domain_scores, provisions, staff_time``):

1. take the schema columns in schema order, followed by the extra columns kept on
   load (``PilotData.extra_columns``), in alphabetical order;
2. write every cell as text: missing = empty string; dates ``YYYY-MM-DD``;
   booleans ``true``/``false``; integers as digits; floats in the shortest form
   that reads back to the same number (Python ``repr``: ``65.5``, ``0.1``,
   ``1e-05``, ``3.0``); strings unchanged;
3. sort the rows by these texts, column by column from the first, in Unicode
   code point order;
4. serialise as CSV (``,`` separator, ``"`` quoting only where needed, ``\\n``
   line ends) with the header line, UTF-8;
5. feed ``"# <table name>\\n"`` followed by that CSV into one SHA-256.

The hexadecimal digest is the fingerprint.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..schema import TABLES

if TYPE_CHECKING:
    from ..data import PilotData

__all__ = [
    "canonical_csv",
    "fingerprint",
    "table_fingerprints",
    "fingerprints",
    "generation_time",
]


def _as_text(s: pd.Series) -> pd.Series:
    """One column as text per the fingerprint recipe (vectorised)."""
    missing = s.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.strftime("%Y-%m-%d").astype("object")
    elif pd.api.types.is_bool_dtype(s):
        out = s.astype("object").map({True: "true", False: "false"})
    elif pd.api.types.is_integer_dtype(s):
        out = s.astype("Int64").astype("string").astype("object")
    elif pd.api.types.is_float_dtype(s):
        # numpy's str of float64 is the shortest round-trip repr, as Python's repr
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(vals.astype(str), index=s.index, dtype="object")
    else:
        out = s.astype("string").astype("object")
    out = out.where(~missing, "")
    return out.astype("object")


def _columns(data: PilotData, name: str) -> list[str]:
    df = data.tables[name]
    schema_cols = TABLES[name].column_names
    extras = sorted(c for c in (data.extra_columns or {}).get(name, []) if c in df.columns)
    return [c for c in schema_cols if c in df.columns] + extras


def canonical_csv(data: PilotData, name: str) -> str:
    """The canonical CSV text of one table, as hashed by :func:`fingerprint`.

    Parameters
    ----------
    data : PilotData
    name : str
        Table name (one of :data:`wattelt_eval.schema.TABLES`).

    Returns
    -------
    str
        CSV text with header, rows sorted (see the module docstring for the recipe).
    """
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; expected one of {list(TABLES)}")
    df = data.tables[name]
    cols = _columns(data, name)
    text = pd.DataFrame({c: _as_text(df[c]) for c in cols}, columns=cols)
    if len(text):
        text = text.sort_values(cols, kind="mergesort", ignore_index=True)
    buf = io.StringIO()
    text.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def table_fingerprints(data: PilotData) -> dict[str, str]:
    """SHA-256 of each table's canonical CSV (hex digests), in data-model order."""
    return {
        name: hashlib.sha256(canonical_csv(data, name).encode("utf-8")).hexdigest()
        for name in TABLES
    }


def fingerprints(data: PilotData) -> tuple[str, dict[str, str]]:
    """:func:`fingerprint` and :func:`table_fingerprints` in one pass over the tables."""
    h = hashlib.sha256()
    per_table = {}
    for name in TABLES:
        text = canonical_csv(data, name).encode("utf-8")
        h.update(f"# {name}\n".encode())
        h.update(text)
        per_table[name] = hashlib.sha256(text).hexdigest()
    return h.hexdigest(), per_table


def fingerprint(data: PilotData) -> str:
    """SHA-256 fingerprint of the canonical input tables (hex digest).

    Parameters
    ----------
    data : PilotData

    Returns
    -------
    str
        64 hexadecimal characters.

    Notes
    -----
    Independent of the file format, the column order and the row order of the
    input; any change of any value changes it. The exact recipe is in the
    docstring of :mod:`wattelt_eval.report.provenance` and in ``docs/report.md``.
    """
    h = hashlib.sha256()
    for name in TABLES:
        h.update(f"# {name}\n".encode())
        h.update(canonical_csv(data, name).encode("utf-8"))
    return h.hexdigest()


def generation_time() -> dt.datetime:
    """The report's generation time (UTC), honouring ``SOURCE_DATE_EPOCH``.

    Returns
    -------
    datetime
        ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC) when set, else now.

    References
    ----------
    https://reproducible-builds.org/specs/source-date-epoch/
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not {raw!r}"
            ) from exc
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)
