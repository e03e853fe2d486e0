"""Checks of one table at a time: its header, its cells, BSNs and contact details.

:func:`parse_table` parses every schema column (:mod:`.parse`) and reports the cells
that fail; the registered table checks (header, ``bsn``, ``contact_details``) then read
the raw and parsed table (:class:`TableContext`) without changing it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import schema
from ..bsn import bsn_in_numbers, bsn_in_text, bsn_mask, contact_detail_masks
from ..i18n import pair, text
from ..io import RawTable
from . import reasons as _reasons  # noqa: F401 - declares the reason codes
from .parse import _text, parse_column
from .problems import MASK, Problems, did_you_mean
from .registry import check

__all__ = ["TableContext", "parse_table"]


@dataclass
class TableContext:
    """One table as read (``raw``) and as parsed, for the table checks (read only)."""

    raw: RawTable
    table: schema.Table
    parsed: pd.DataFrame
    #: schema columns present
    present: set[str]
    #: per parsed column with any failed cell, the cells that failed parsing
    bad_masks: dict[str, np.ndarray]
    #: extra (non-schema) columns that are expected, not unknown (study.extra_covariates)
    extra_allowed: set[str] = field(default_factory=set)

    @property
    def source(self) -> str:
        return self.raw.source

    @property
    def rows(self) -> np.ndarray:
        """The user's row numbers."""
        return self.raw.frame.index.to_numpy()


def parse_table(
    rt: RawTable, table: schema.Table, P: Problems, locale: str | None = None
) -> TableContext:
    """Parse every schema column of ``rt``; report failed cells and missing required values.

    ``locale`` is ``study.number_locale`` (how ambiguous numbers such as ``1.250`` read).
    """
    df = rt.frame
    parsed = pd.DataFrame(index=df.index)
    present: set[str] = set()
    bad_masks: dict[str, np.ndarray] = {}
    rows = df.index.to_numpy()
    for col in table.columns:
        if col.name not in df.columns:
            parsed[col.name] = pd.Series(pd.NA, index=df.index, dtype="object")
            continue
        present.add(col.name)
        raw = df[col.name]
        out, bads = parse_column(raw, col, rt.decimal, locale)  # type: ignore[arg-type]
        parsed[col.name] = out
        any_bad = np.zeros(len(df), dtype=bool)
        shown = None
        for b in bads:
            if shown is None:
                shown = _shown(raw)
            P.add(
                b.rule,
                rt.source,
                rows[b.mask],
                col.name,
                shown(b.mask),
                (b.expected_nl, b.expected_en),
                (b.detail_nl, b.detail_en),
            )
            any_bad |= b.mask
        if any_bad.any():  # (an all-clear mask is left out: 90M rows would be 90 MB each)
            bad_masks[col.name] = any_bad
        if col.required:
            empty = raw.isna().to_numpy()
            if empty.any():
                expected = (
                    pair("validation.expected.value_required_like", example=col.example)
                    if col.example
                    else pair("validation.expected.value_required")
                )
                P.add("missing_value", rt.source, rows[empty], col.name, "", expected)
    for c in df.columns:
        if c not in table.column_names:
            parsed[c] = df[c]
    return TableContext(rt, table, parsed, present, bad_masks)


def _shown(raw: pd.Series) -> Any:
    """Function: mask -> the cells' values as text (a categorical column is not expanded)."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        cats = pd.Series(np.asarray(raw.cat.categories, dtype=object), dtype="string")
        shown_u = cats.to_numpy(dtype=object, na_value="")
        codes = raw.cat.codes.to_numpy()
        return lambda mask: shown_u[codes[mask]]
    values = _text(raw).to_numpy(dtype=object, na_value="")
    return lambda mask: values[mask]


def extras(ctx: TableContext) -> list[str]:
    """The non-schema columns of the table, in file order."""
    return [c for c in ctx.raw.frame.columns if c not in ctx.table.column_names]


@check(
    "reading",
    "read",
    "title_line",
    "totals_row",
    "merged_cells",
    "placeholder",
    "invisible_character",
)
def check_reading(ctx: TableContext, P: Problems) -> None:
    """What reading found and set right, named: title lines, totals rows, merged cells,
    placeholders read as missing and invisible characters taken out of ids and codes."""
    rt = ctx.raw
    for r in rt.title_rows:
        P.add("title_line", rt.source, r, "", "", pair("validation.expected.header_first"))
    for r in rt.totals_rows:
        first = rt.frame.columns[0] if rt.frame.shape[1] else ""
        P.add("totals_row", rt.source, r, first, "", pair("validation.expected.no_totals"))
    for ref, row, col in rt.merged:
        P.add("merged_cells", rt.source, row, col, ref, pair("validation.expected.unmerged"))
    for rule, col, rows, values in rt.cleaned:
        P.add(rule, rt.source, rows, col, values, pair(f"validation.expected.{rule}"))


@check("header", "table", "duplicate_column", "unknown_column", "missing_column")
def check_header(ctx: TableContext, P: Problems) -> None:
    """Column names: each once, known (else a warning), every required one present."""
    rt, table = ctx.raw, ctx.table
    df = rt.frame
    for dup in rt.duplicate_columns:
        P.add(
            "duplicate_column",
            rt.source,
            1,
            dup,
            rt.header.get(dup, dup),
            pair("validation.expected.column_once"),
        )
    names = set(table.column_names)
    unknown = [c for c in df.columns if c not in names and c not in ctx.extra_allowed]
    missing = [c.name for c in table.columns if c.required and c.name not in df.columns]
    absent = [m for m in table.column_names if m not in df.columns]
    listed = ", ".join(table.column_names)
    for c in unknown:
        sugg = difflib.get_close_matches(c, absent, n=1, cutoff=0.6)
        P.add(
            "unknown_column",
            rt.source,
            1,
            c,
            rt.header.get(c, c),
            (listed, listed),
            did_you_mean(sugg[0] if sugg else None),
        )
    for c in missing:
        sugg = difflib.get_close_matches(c, unknown, n=1, cutoff=0.6)
        detail = (
            pair("validation.detail.rename_column", column=sugg[0], name=c) if sugg else ("", "")
        )
        P.add(
            "missing_column",
            rt.source,
            1,
            c,
            "",
            pair("validation.expected.column_named", column=c),
            detail,
        )


def _add_bsn(P: Problems, source: str, rows: np.ndarray, column: str) -> None:
    P.add(
        "bsn",
        source,
        rows,
        column,
        MASK,
        pair("validation.expected.pseudonym"),
        pair("validation.detail.remove_bsn"),
    )


def _bsn_cells(ctx: TableContext, c: str) -> np.ndarray:
    """Cells of column ``c`` holding a BSN-like value (:func:`wattelt_eval.bsn.bsn_mask`).

    A valid date, yes/no value or code cannot hold a BSN; a valid number only as an
    integral 8-9 digit value (the digits after a decimal point are no BSN). So in such
    columns only the cells that failed parsing are scanned as text.
    """
    col = ctx.table.column(c) if c in ctx.table.column_names else None
    raw = ctx.raw.frame[c]
    if col is None or col.type not in ("date", "bool", "enum", "int", "float"):
        return bsn_mask(raw)
    numeric = None
    if col.type in ("int", "float") and c in ctx.parsed.columns:
        numeric = bsn_in_numbers(
            pd.to_numeric(ctx.parsed[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        )
    cand = ctx.bad_masks.get(c)
    if cand is None or not cand.any():
        return numeric if numeric is not None else np.zeros(len(raw), dtype=bool)
    mask = bsn_mask(raw, cand)
    return mask | numeric if numeric is not None else mask


@check("bsn", "table", "bsn")
def check_bsn(ctx: TableContext, P: Problems) -> None:
    """Every column, header and the file or sheet name: no BSN-like number (masked)."""
    if bsn_in_text(pd.Series([ctx.source], dtype="string")).any():
        _add_bsn(P, ctx.source, None, "")
    headers = list(ctx.raw.frame.columns)
    texts = pd.Series([ctx.raw.header.get(c, c) for c in headers], dtype="string")
    for c, hit in zip(headers, bsn_in_text(texts), strict=True):
        if hit:
            _add_bsn(P, ctx.source, 1, c)
    for c in ctx.raw.frame.columns:
        mask = _bsn_cells(ctx, c)
        if mask.any():
            _add_bsn(P, ctx.source, ctx.rows[mask], c)


_CONTACT_KINDS = ("email", "phone", "postcode_house_number")


@check("contact_details", "table", "contact_details")
def check_contact_details(ctx: TableContext, P: Problems) -> None:
    """Free text: e-mail addresses, Dutch phone numbers, postcode + house number (a warning).

    The kind is shown, never the matched text.
    """
    df, table = ctx.raw.frame, ctx.table
    free = [c for c in df.columns if c in table.column_names and table.column(c).free_text]
    for c in free:
        masks = contact_detail_masks(df[c], _CONTACT_KINDS)
        for kind in _CONTACT_KINDS:
            if masks[kind].any():
                P.add(
                    "contact_details",
                    ctx.source,
                    ctx.rows[masks[kind]],
                    c,
                    text(f"validation.contact_kind.{kind}", "nl"),
                    pair("validation.expected.no_contact_details"),
                    pair("validation.detail.remove_contact"),
                )
