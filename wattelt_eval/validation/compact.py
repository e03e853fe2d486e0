"""The compact canonical form of a large table (national scale), values unchanged.

A child table read with its text dictionary-encoded (:func:`wattelt_eval.io.read_package`
with ``compact``) keeps that form in :class:`~wattelt_eval.data.PilotData`: repeated codes, ids and
text stay categoricals (mostly distinct ids plain text) (a trajectory id repeated 90 times is stored once), whole numbers
take the smallest nullable integer dtype that holds them, decimals float32 where every
value survives the round trip exactly, dates ``datetime64[ns]``. The outcome tables are
the same as on the ordinary canonical form (``tests/test_scale.py``).
"""

from __future__ import annotations

import pandas as pd

from .. import schema
from ..io import drop_hash_table, float32_if_exact, release_memory, smallest_int

__all__ = ["compact_table", "smallest_int", "float32_if_exact", "is_compact"]


def is_compact(df: pd.DataFrame) -> bool:
    """True when a table was read compactly (it holds a categorical column)."""
    return any(isinstance(t, pd.CategoricalDtype) for t in df.dtypes)


def compact_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (parsed, checked) in the compact canonical form of table ``name``.

    Like :func:`wattelt_eval.schema.coerce_table` (schema columns first, absent ones
    missing, extras after), one column at a time so that at most one column is held twice.
    """
    table = schema.TABLES[name]
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        if col.name not in df.columns:
            s = schema.coerce_table(name, df.iloc[:0, :0].reindex(df.index))[col.name]
        else:
            s = df[col.name]
            if col.type in ("str", "enum"):  # ids read as plain text (mostly distinct) stay so
                if isinstance(s.dtype, pd.CategoricalDtype):
                    drop_hash_table(s.cat.categories)
                else:
                    s = s.astype("string")
            elif col.type == "date":
                s = s.astype("datetime64[ns]")
            elif col.type == "int":
                s = smallest_int(s.astype("Int64"))
            elif col.type == "float":
                s = float32_if_exact(s.astype("float64"))
            elif col.type == "bool":
                s = s.astype("boolean")
        out[col.name] = s
        df = df.drop(columns=[col.name]) if col.name in df.columns else df
    for c in df.columns:
        out[c] = df[c]
    out.index.name = "row"
    release_memory()
    return out
