"""The data dictionary of an outcome table: every column, its type and meaning (nl, en).

Columns carried from ``trajectories`` take their description from the schema
(:mod:`wattelt_eval.schema`), the outcome columns from the text catalogue
(``outcome.dictionary.column.<name>``), the CBS cost groups from their schema labels.
``wattelt-eval outcomes --out table.xlsx`` writes it as the second sheet.
"""

from __future__ import annotations

import pandas as pd

from ..i18n import Lang, check_lang, pair, text
from ..schema import CBS_GROUP_LABELS_EN, CBS_GROUP_LABELS_NL, CBS_GROUPS, TRAJECTORIES

__all__ = ["outcome_dictionary", "outcome_workbook_sheets"]

_SCHEMA_TYPES = {
    "str": "text",
    "enum": "code",
    "date": "date",
    "int": "integer",
    "float": "number",
    "bool": "yes/no",
}


def _type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "yes/no"
    if pd.api.types.is_integer_dtype(s):
        return "integer"
    if pd.api.types.is_float_dtype(s):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    return "text"


def _describe(column: str) -> tuple[str, str]:
    """(nl, en) description of one outcome-table column."""
    if column in TRAJECTORIES.column_names:
        c = TRAJECTORIES.column(column)
        return c.description_nl, c.description_en
    if column == "source":
        return pair("outcome.dictionary.source")
    group = column.removeprefix("cost_")
    if column.startswith("cost_") and group in CBS_GROUPS:
        return (
            text("outcome.dictionary.cost_group", "nl", group=CBS_GROUP_LABELS_NL[group]),
            text("outcome.dictionary.cost_group", "en", group=CBS_GROUP_LABELS_EN[group]),
        )
    try:
        return pair(f"outcome.dictionary.column.{column}")
    except KeyError:
        return pair("outcome.dictionary.extra")


def outcome_dictionary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``table`` (an outcome table): ``column, type, description_nl,
    description_en``, in the table's column order.

    The type is the schema's for carried columns, else read from the column's dtype
    (``integer``, ``number``, ``yes/no``, ``date``, ``text``).
    """
    rows = []
    for c in table.columns:
        nl, en = _describe(str(c))
        typ = (
            _SCHEMA_TYPES[TRAJECTORIES.column(c).type]
            if c in TRAJECTORIES.column_names
            else _type(table[c])
        )
        rows.append((str(c), typ, nl, en))
    return pd.DataFrame(rows, columns=["column", "type", "description_nl", "description_en"])


def outcome_workbook_sheets(table: pd.DataFrame, lang: Lang = "nl") -> dict[str, pd.DataFrame]:
    """The sheets of the analysts' workbook: the outcome table, then its data dictionary.

    Sheet names and the dictionary's headers are in ``lang``; the column names of the
    outcome table stay as they are (the names the documentation and code use).
    """
    check_lang(lang)
    d = outcome_dictionary(table)
    d.columns = [text(f"outcome.dictionary.header.{c}", lang) for c in d.columns]
    return {
        text("outcome.dictionary.sheet.table", lang): table,
        text("outcome.dictionary.sheet.dictionary", lang): d,
    }
