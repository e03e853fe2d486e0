"""Checks of tables already in canonical form (pandera), e.g. from ``synth.generate``.

The user-facing checks with row numbers and bilingual messages are
:func:`~wattelt_eval.validation.validate`; these assert that parsed frames keep the
canonical dtypes and rules of :mod:`wattelt_eval.schema`.
"""

from __future__ import annotations

from typing import Any

from ..data import PilotData
from ..schema import TABLES

__all__ = ["pandera_schema", "check_canonical"]


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
