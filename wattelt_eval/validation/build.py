"""The load step: a checked package (no errors) to a :class:`~wattelt_eval.data.PilotData`.

Everything that *changes* the parsed tables happens here, after the checks: domain labels
become the instrument's codes, extra columns get numbers or text, every table gets its
canonical dtypes (:func:`wattelt_eval.schema.coerce_table`), and blank rows skipped while
reading go to the exclusion log.
"""

from __future__ import annotations

import pandas as pd

from .. import progress, schema
from ..data import PilotData, StudySettings, empty_exclusions
from ..i18n import text
from ..io import RawPackage
from ..schema import TABLES
from .compact import compact_table, is_compact
from .cross import DOMAIN_TABLES, domain_codes
from .engine import Checked
from .parse import _text, parse_numbers

__all__ = ["build"]


def build(checked: Checked, warnings: pd.DataFrame) -> PilotData:
    """The tables of ``checked`` in canonical form, with settings, exclusions and warnings."""
    _canonical_domains(checked)
    tables: dict[str, pd.DataFrame] = {}
    extra_columns: dict[str, list[str]] = {}
    for name, table in TABLES.items():
        progress.step(name)
        if name not in checked.tables:
            tables[name] = table.empty_frame()
            continue
        t = checked.tables[name]
        rt = checked.raw.tables[name]
        for c in checked.extras.get(name, []):
            t[c] = _extra_column(t[c], rt.decimal)
        if is_compact(t):  # read compactly (national scale): stays compact
            tables[name] = compact_table(name, t)
        else:
            tables[name] = schema.coerce_table(name, t, keep_extra=True)
        del checked.tables[name], t
        if checked.extras.get(name):
            extra_columns[name] = list(checked.extras[name])
    return PilotData(
        **tables,
        study=checked.study,
        instrument=checked.instrument,
        exclusions=_blank_row_log(checked.raw),
        source=str(checked.raw.path),
        extra_columns=extra_columns,
        warnings=warnings,
        mapping=checked.mapping if checked.mapping is not None else pd.DataFrame(),
        sources=_pooled_sources(checked.study, tables["trajectories"]),
    )


def _pooled_sources(study: StudySettings, trajectories: pd.DataFrame) -> tuple[str, ...]:
    """A package written by ``wattelt-eval combine`` names its pooled packages again: the
    ``source`` column it declares in ``extra_covariates``, in order of first appearance."""
    if "source" not in study.extra_covariates or "source" not in trajectories.columns:
        return ()
    return tuple(str(v) for v in pd.unique(trajectories["source"].dropna()))


def _canonical_domains(checked: Checked) -> None:
    """Domain codes or labels (any case) -> the instrument's domain codes."""
    if checked.instrument is None:
        return
    for name in DOMAIN_TABLES:
        if name in checked.tables and "domain" in checked.present.get(name, ()):
            t = checked.tables[name]
            t["domain"] = domain_codes(t["domain"], checked.instrument)


def _extra_column(raw: pd.Series, decimal: str) -> pd.Series:
    """Extra (non-schema) column: numbers when every filled cell is a number, else text."""
    if (
        pd.api.types.is_numeric_dtype(raw)
        or pd.api.types.is_bool_dtype(raw)
        or pd.api.types.is_datetime64_any_dtype(raw)
    ):
        return raw
    vals, bads = parse_numbers(raw, decimal)
    if not bads and vals.notna().any():
        return vals
    return _text(raw)


def _blank_row_log(raw: RawPackage) -> pd.DataFrame:
    """Exclusion log of the blank and totals rows skipped while reading (stage ``load``)."""
    rows = [(name, r, "blank_row") for name, rt in raw.tables.items() for r in rt.blank_rows]
    rows += [(name, r, "totals_row") for name, rt in raw.tables.items() for r in rt.totals_rows]
    log = empty_exclusions()
    if not rows:
        return log
    n = len(rows)
    message = {
        lang: [
            text(f"validation.exclusion.{why}", lang, source=raw.tables[t].source, row=r)
            for t, r, why in rows
        ]
        for lang in ("nl", "en")
    }
    out = pd.DataFrame(
        {
            "stage": ["load"] * n,
            "table": [t for t, _, _ in rows],
            "row": [r for _, r, _ in rows],
            "record_id": [pd.NA] * n,
            "trajectory_id": [pd.NA] * n,
            "reason": [why for _, _, why in rows],
            "message_nl": message["nl"],
            "message_en": message["en"],
        }
    )
    return out.astype(log.dtypes.to_dict())
