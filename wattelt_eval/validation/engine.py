"""The engine: run every check on a raw package and collect the problems.

Order (root causes first, as the problem list is sorted): problems met while reading,
the study settings, then per table what reading set right (title lines, totals rows,
merged cells, placeholders, invisible characters), its parsing and the registered table
checks, then the
registered cross-table checks (:mod:`.registry`). Checks only read the tables.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import progress
from ..data import StudySettings, infer_extract_date
from ..errors import UsageError
from ..i18n import pair
from ..instruments import Instrument
from ..io import (
    TABLE_ALIASES,
    RawPackage,
    RawTable,
    normalise_name,
    release_memory,
    table_for_name,
)
from ..schema import TABLES
from . import plausible as _plausible  # noqa: F401 - registers the plausibility checks
from .compact import is_compact
from .cross import CrossContext
from .mapping import applied_frame, check_mapping, mapped_table, resolve_columns, written_columns
from .problems import (
    Problems,
    did_you_mean,
    drop_shadowed_by_bsn,
    group_references,
    sort_problems,
)
from .registry import checks
from .study import check_study
from .tables import extras, parse_table

__all__ = ["Checked", "check_package", "n_steps"]


def n_steps() -> int:
    """Progress steps of reading and checking a package: each table twice, each cross check."""
    return 2 * len(TABLES) + len(checks("cross"))


@dataclass
class Checked:
    """Result of running all checks on a raw package."""

    problems: pd.DataFrame  # internal layout (both languages)
    tables: dict[str, pd.DataFrame]  # parsed, schema columns (+ extras), only tables read
    present: dict[str, set[str]]  # schema columns present per table
    extras: dict[str, list[str]]
    study: StudySettings
    instrument: Instrument | None
    raw: RawPackage
    #: the data-extract date (ISO) the checks used, and where it came from
    #: (``argument``, ``study`` or ``inferred``); empty without any date
    extract_date: str = ""
    extract_date_source: str = ""
    #: column names and code values renamed or mapped (``validation.mapping.MAPPING_COLUMNS``)
    mapping: pd.DataFrame | None = None


def check_package(raw: RawPackage, extract_date: str | None = None) -> Checked:
    """Run every check on ``raw``; the problems in internal layout, root causes first.

    ``extract_date`` (the ``--extract-date`` flag) overrides ``study.extract_date`` and is
    kept in the settings, so the outcomes use it too.
    """
    P = Problems()
    _reading_problems(raw, P)
    study, instrument = check_study(raw, P)
    mapping = check_mapping(raw.study, raw.study_source, P)
    written: dict[str, dict[str, str]] = {}
    source = "study" if study.extract_date else ""
    if extract_date is not None:
        try:
            study.extract_date = pd.Timestamp(extract_date).strftime("%Y-%m-%d")
        except (ValueError, TypeError) as exc:
            raise UsageError(*pair("outcome.error.extract_date", value=repr(extract_date))) from exc
        source = "argument"
    ctx = CrossContext({}, {}, {}, instrument, study=study)
    ext: dict[str, list[str]] = {}
    for name, table in TABLES.items():
        rt = raw.tables.get(name)
        progress.step(name, 1 if rt is not None else 2)  # (a missing table was not read)
        if rt is None:
            _missing_table(raw, name, P)
            continue
        rt = raw.tables[name] = resolve_columns(rt, mapping, P)
        written[rt.source] = {c: h for c, h in rt.header.items() if h and normalise_name(h) != c}
        cells = Problems()
        tc = parse_table(rt, mapped_table(table, mapping), cells, study.number_locale)
        for c in checks("read"):  # what reading set right first: it explains the cells
            c.fn(tc, P)
        P.parts.extend(cells.parts)
        if name == "trajectories":
            tc.extra_allowed = set(study.extra_covariates)
        for c in checks("table"):
            c.fn(tc, P)
        if name == "trajectories":
            _trajectories_table(rt, study, P)
        ctx.tables[name], ctx.present[name], ctx.sources[name] = tc.parsed, tc.present, rt.source
        ctx.invalid[name] = tc.bad_masks
        ext[name] = extras(tc)
        if is_compact(rt.frame):  # national scale: the cells are parsed, let the text go
            rt.frame = rt.frame.iloc[:, :0]
            release_memory()
    if study.extract_date:
        ctx.extract_date = pd.Timestamp(study.extract_date)
    else:
        ctx.extract_date, source = infer_extract_date(ctx.tables), "inferred"
    ctx.extract_source = source
    large = any(is_compact(t) for t in ctx.tables.values())
    for c in checks("cross"):
        progress.step(c.name)
        c.fn(ctx, P)
        if large:  # give back what the check freed before the next one allocates
            release_memory()
    problems = sort_problems(group_references(drop_shadowed_by_bsn(P.frame())), ctx.sources)
    problems = written_columns(problems, written)
    ext_iso = "" if ctx.extract_date is None else ctx.extract_date.strftime("%Y-%m-%d")
    return Checked(
        problems,
        ctx.tables,
        ctx.present,
        ext,
        study,
        instrument,
        raw,
        ext_iso,
        source if ext_iso else "",
        applied_frame(mapping),
    )


def _reading_problems(raw: RawPackage, P: Problems) -> None:
    """The problems met while reading, with what was expected and advice."""
    for iss in raw.issues:
        expected: tuple[str, str] = ("", "")
        detail: tuple[str, str] = ("", "")
        if iss.rule in ("unknown_file", "unknown_sheet"):
            names = [*TABLES, "study"]
            stem = Path(iss.value).stem if iss.rule == "unknown_file" else iss.value
            sugg = difflib.get_close_matches(
                stem.lower(), names + list(TABLE_ALIASES), n=1, cutoff=0.6
            )
            expected = (", ".join(names), ", ".join(names))
            detail = did_you_mean(sugg[0] if sugg else None)
        elif iss.rule == "duplicate_table":
            detail = pair("validation.detail.other_file_used", other=iss.detail.get("other"))
        elif iss.rule in ("unreadable_file", "study_unreadable"):
            detail = unreadable_detail(str(iss.detail.get("error", "")))
        elif iss.rule == "mixed_encoding":
            expected = pair("validation.expected.mixed_encoding")
        elif iss.rule in ("missing_path", "not_a_package"):
            expected = pair("validation.expected.package")
        P.add(iss.rule, iss.file, iss.row, iss.column, iss.value, expected, detail)


def _missing_table(raw: RawPackage, name: str, P: Problems) -> None:
    unread = {
        table_for_name(Path(i.file).stem)
        for i in raw.issues
        if i.rule in ("unreadable_file", "mixed_encoding")
    }
    if name in unread:  # the file is there but could not be read: that is the one problem
        return
    if TABLES[name].required and raw.kind not in ("missing",):
        P.add(
            "missing_table",
            f"{name}.csv" if raw.kind != "xlsx" else f"{raw.path.name} [{name}]",
            None,
            "",
            "",
            pair("validation.expected.table", name=name),
        )


def _trajectories_table(rt: RawTable, study: StudySettings, P: Problems) -> None:
    """At least one trajectory; every column named in study.extra_covariates present."""
    if len(rt.frame) == 0:
        P.add("empty_table", rt.source, None, "", "", pair("validation.expected.one_trajectory"))
    for c in study.extra_covariates:
        if c not in rt.frame.columns:
            P.add(
                "missing_column",
                rt.source,
                1,
                c,
                "",
                pair("validation.expected.extra_covariate", column=c),
            )


def unreadable_detail(error: str) -> tuple[str, str]:
    """Readable (nl, en) explanation of a reader error; a ragged CSV line gets advice."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error)
    if m:
        want, line, saw = m.groups()
        return pair("validation.detail.ragged_line", line=line, saw=saw, want=want)
    error = error.strip()
    return error, error
