"""Column names and code values as a municipality writes them: aliases and ``[mapping]``.

Two sources, applied before any cell is parsed:

* the Dutch column names of :data:`wattelt_eval.schema.COLUMN_ALIASES` (``geboortejaar``,
  ``startdatum``, ``traject_id``, ...), always accepted;
* the ``[mapping]`` section of study.toml: a municipality's own column names
  (``[mapping.columns]`` for every table, ``[mapping.columns.<table>]`` for one) and code
  values (``[mapping.values.<column>]`` for every table with that column,
  ``[mapping.values.<table>.<column>]`` for one), checked here like every other setting.

:func:`resolve_columns` renames the columns of a table as read to the schema names;
:func:`mapped_table` adds the study's code values to the accepted spellings of the code
columns. Problems keep naming the column as the user wrote it
(:func:`written_columns`); what was renamed or mapped is kept as a tidy table
(:func:`applied_frame`, ``PilotData.mapping``) for the provenance.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import schema
from ..i18n import pair
from ..io import RawTable, normalise_name
from .problems import Problems, did_you_mean

__all__ = [
    "Mapping",
    "MAPPING_COLUMNS",
    "check_mapping",
    "resolve_columns",
    "mapped_table",
    "written_columns",
    "applied_frame",
]

#: Columns of ``PilotData.mapping`` (what loading renamed or mapped).
MAPPING_COLUMNS = ["table", "kind", "column", "written", "origin"]


@dataclass
class Mapping:
    """The checked ``[mapping]`` of study.toml (normalised names and values)."""

    #: table -> normalised header as written -> schema column
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    #: table -> code column -> value as written -> canonical code
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    #: what was applied: (table, kind, column, written, source) rows
    applied: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def check_mapping(study: dict[str, Any] | None, src: str, P: Problems) -> Mapping:
    """The ``[mapping]`` section, checked: every target a schema column or code.

    Problems (file = the study file, column = the setting's dotted key): ``mapping_column``
    when a target column or table does not exist or a code mapping names a column without
    codes, ``mapping_code`` when a target code is not one of the column's codes,
    ``study_type`` when a value is not text, ``study_unknown_key`` for another key.
    """
    m = Mapping()
    section = (study or {}).get("mapping")
    if section is None:
        return m
    if not isinstance(section, dict):
        P.add("study_type", src, None, "mapping", section, pair("validation.expected.mapping"))
        return m
    for key, value in section.items():
        if key == "columns" and isinstance(value, dict):
            _columns_section(value, src, P, m)
        elif key == "values" and isinstance(value, dict):
            _values_section(value, src, P, m)
        elif key in ("columns", "values"):
            P.add(
                "study_type",
                src,
                None,
                f"mapping.{key}",
                value,
                pair("validation.expected.mapping"),
            )
        else:
            sugg = difflib.get_close_matches(key, ["columns", "values"], n=1, cutoff=0.6)
            dotted = f"mapping.{key}"
            P.add(
                "study_unknown_key",
                src,
                None,
                dotted,
                dotted,
                ("", ""),
                did_you_mean(f"mapping.{sugg[0]}" if sugg else None),
            )
    return m


def _columns_section(d: dict[str, Any], src: str, P: Problems, m: Mapping) -> None:
    for key, value in d.items():
        if isinstance(value, dict) and key in schema.TABLES:
            for header, target in value.items():
                _column_entry(f"mapping.columns.{key}.{header}", header, target, [key], src, P, m)
        elif isinstance(value, dict):
            _unknown_table(f"mapping.columns.{key}", key, src, P)
        else:
            tables = [t for t, tab in schema.TABLES.items() if value in tab.column_names]
            _column_entry(f"mapping.columns.{key}", key, value, tables, src, P, m)


def _column_entry(
    dotted: str,
    header: str,
    target: Any,
    tables: list[str],
    src: str,
    P: Problems,
    m: Mapping,
) -> None:
    if not isinstance(target, str):
        P.add("study_type", src, None, dotted, target, pair("validation.expected.type.str"))
        return
    names = sorted({c for t in tables or schema.TABLES for c in schema.TABLES[t].column_names})
    if not tables or target not in names:
        sugg = difflib.get_close_matches(target, names, n=1, cutoff=0.6)
        P.add(
            "mapping_column",
            src,
            None,
            dotted,
            target,
            pair("validation.expected.mapping_column"),
            did_you_mean(sugg[0] if sugg else None),
        )
        return
    for t in tables:
        m.columns.setdefault(t, {})[normalise_name(header)] = target


def _values_section(d: dict[str, Any], src: str, P: Problems, m: Mapping) -> None:
    for key, value in d.items():
        if key in schema.TABLES and isinstance(value, dict):
            for col, codes in value.items():
                _values_entry(f"mapping.values.{key}.{col}", [key], col, codes, src, P, m)
        elif isinstance(value, dict):
            tables = [t for t, tab in schema.TABLES.items() if key in tab.column_names]
            _values_entry(f"mapping.values.{key}", tables, key, value, src, P, m)
        else:
            P.add(
                "study_type",
                src,
                None,
                f"mapping.values.{key}",
                value,
                pair("validation.expected.mapping"),
            )


def _values_entry(
    dotted: str,
    tables: list[str],
    col: str,
    codes: Any,
    src: str,
    P: Problems,
    m: Mapping,
) -> None:
    enums = [
        t
        for t in tables
        if col in schema.TABLES[t].column_names and schema.TABLES[t].column(col).type == "enum"
    ]
    if not enums:
        enum_cols = sorted(
            {c.name for t in schema.TABLES.values() for c in t.columns if c.type == "enum"}
        )
        sugg = difflib.get_close_matches(col, enum_cols, n=1, cutoff=0.6)
        P.add(
            "mapping_column",
            src,
            None,
            dotted,
            col,
            pair("validation.expected.mapping_enum", columns=", ".join(enum_cols)),
            did_you_mean(sugg[0] if sugg else None),
        )
        return
    if not isinstance(codes, dict):
        P.add("study_type", src, None, dotted, codes, pair("validation.expected.mapping"))
        return
    allowed = schema.TABLES[enums[0]].column(col).enum
    for written, code in codes.items():
        key = f"{dotted}.{written}"
        if not isinstance(code, str):
            P.add("study_type", src, None, key, code, pair("validation.expected.type.str"))
            continue
        if code not in allowed:
            sugg = difflib.get_close_matches(code, list(allowed), n=1, cutoff=0.6)
            P.add(
                "mapping_code",
                src,
                None,
                key,
                code,
                (", ".join(allowed), ", ".join(allowed)),
                did_you_mean(sugg[0] if sugg else None),
            )
            continue
        for t in enums:
            m.values.setdefault(t, {}).setdefault(col, {})[str(written)] = code


def _unknown_table(dotted: str, key: str, src: str, P: Problems) -> None:
    sugg = difflib.get_close_matches(key, list(schema.TABLES), n=1, cutoff=0.6)
    P.add(
        "mapping_column",
        src,
        None,
        dotted,
        key,
        pair("validation.expected.mapping_table", tables=", ".join(schema.TABLES)),
        did_you_mean(sugg[0] if sugg else None),
    )


def resolve_columns(rt: RawTable, mapping: Mapping, P: Problems) -> RawTable:
    """``rt`` with its columns renamed to the schema names (study mapping, then aliases).

    The study's mapping wins, even over a schema name (``team = "organisation"``); then a
    schema name written as such; a second header for a column already present is a
    ``duplicate_column`` problem and is left out (its cells are not read). The header text
    as written stays in ``rt.header`` under the schema name, so problems name it.
    """
    table = schema.TABLES[rt.name]
    own = mapping.columns.get(rt.name, {})
    aliases = schema.column_aliases(rt.name)
    names = set(table.column_names)
    cols = list(rt.frame.columns)
    taken = {c for c in cols if c in names and c not in own}
    rename: dict[str, str] = {}
    drop: list[str] = []
    for c in cols:
        if c in names and c not in own:
            continue
        target, source = (own[c], "study") if c in own else (aliases.get(c), "alias")
        if target is None:
            continue
        if target in taken:
            P.add(
                "duplicate_column",
                rt.source,
                1,
                rt.header.get(c, c),
                rt.header.get(c, c),
                pair("validation.expected.column_once"),
                pair("validation.detail.same_column", column=target),
            )
            drop.append(c)
            continue
        taken.add(target)
        rename[c] = target
        mapping.applied.append((rt.name, "column", target, rt.header.get(c, c), source))
    if not rename and not drop:
        return rt
    frame = rt.frame.drop(columns=drop).rename(columns=rename)
    header = {rename.get(k, k): v for k, v in rt.header.items() if k not in drop}
    return dataclasses.replace(
        rt,
        frame=frame,
        header=header,
        cleaned=[(r, rename.get(c, c), rows, v) for r, c, rows, v in rt.cleaned],
        merged=[(ref, row, rename.get(c, c)) for ref, row, c in rt.merged],
    )


def mapped_table(table: schema.Table, mapping: Mapping) -> schema.Table:
    """``table`` with the study's code values added to its code columns' accepted spellings."""
    values = mapping.values.get(table.name)
    if not values:
        return table
    columns = tuple(
        dataclasses.replace(c, aliases={**c.aliases, **values[c.name]}) if c.name in values else c
        for c in table.columns
    )
    for col, vals in values.items():
        for written in vals:
            mapping.applied.append((table.name, "value", col, written, "study"))
    return dataclasses.replace(table, columns=columns)


def written_columns(problems: pd.DataFrame, written: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Problems naming a renamed column by the name the user wrote (per file or sheet)."""
    if problems.empty or not written:
        return problems
    out = problems.copy()
    for source, names in written.items():
        hit = (out["file"] == source).to_numpy() & out["column"].isin(list(names)).to_numpy()
        if hit.any():
            out.loc[hit, "column"] = out.loc[hit, "column"].map(names)
    return out


def applied_frame(mapping: Mapping) -> pd.DataFrame:
    """What loading renamed or mapped, one row each (``PilotData.mapping``)."""
    rows = sorted(set(mapping.applied))
    return pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype="string") for i, c in enumerate(MAPPING_COLUMNS)}
    )
