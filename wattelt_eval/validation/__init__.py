"""Check and load a pilot data package: :func:`validate`, :func:`load`, :class:`ValidationError`.

``validate(path)`` lists *every* problem at once, never raising on bad data. Each
problem names the file (or ``workbook.xlsx [sheet]``), the row number as the user
sees it in Excel or a text editor (the header is row 1), the column, the value
and what was expected, with a message in Dutch (default) or English.

``load(path)`` runs the same checks; with any error it raises
:class:`ValidationError` (``.problems`` holds the list), otherwise it returns a
:class:`~wattelt_eval.data.PilotData` with the tables in canonical form
(:mod:`wattelt_eval.schema`), the study settings, the instrument, an exclusion
log and the warnings (``data.warnings``).

All checks are vectorised (pandas/numpy over whole columns); a package with
100,000 trajectories (11.7 million rows) validates in about 15 s from
parquet (``benchmarks/bench_validate.py``, ``docs/data_model.md``).

Notes
-----
Rules (``problems.rule``), severity in brackets:

* reading: ``missing_path``, ``not_a_package``, ``unreadable_file``, ``missing_table``,
  ``duplicate_table``, ``empty_table`` [error]; ``unknown_file``, ``unknown_sheet`` [warning];
* study settings: ``study_unreadable``, ``study_type``, ``study_value``,
  ``unknown_instrument`` [error]; ``missing_study``, ``study_unknown_key`` [warning];
* columns: ``missing_column``, ``duplicate_column`` [error]; ``unknown_column`` [warning];
* cells: ``missing_value``, ``invalid_date``, ``ambiguous_date``, ``impossible_date``,
  ``invalid_number``, ``ambiguous_number``, ``not_integer``, ``invalid_bool``,
  ``invalid_enum``, ``pattern``, ``out_of_range``, ``bsn`` [error];
* across rows and tables: ``duplicate_id``, ``duplicate_key``, ``unknown_reference``,
  ``end_before_start``, ``contact_outside_trajectory``, ``derived_from_cycle``,
  ``derived_from_later_stage``, ``derived_from_other_trajectory``,
  ``score_out_of_scale``, ``unknown_domain``, ``instrument_mismatch``,
  ``no_price_or_amount``, ``missing_volume`` [error];
* per trajectory: ``no_contacts``, ``no_goals``, ``no_scores`` [warning];
* what reading set right (issue 15): ``mixed_encoding``, ``merged_cells`` [error];
  ``title_line``, ``totals_row``, ``placeholder``, ``invisible_character`` [warning];
* time and plausibility (:mod:`.plausible`): ``birth_after_start`` [error];
  ``after_extract_date``, ``outside_study_period``, ``excel_zero_date``,
  ``implausible_age``, ``implausible_volume``, ``no_lineage``,
  ``measurements_not_from_zero``, ``link_source_without_link`` [warning].

Rules and decisions of "bad input never changes a number silently":
``docs/data_model.md`` section 9.

A cell holding a BSN-like number (nine digits passing the elfproef) gets only the
``bsn`` problem, with the value masked; no other problem repeats that cell's value.

The package is a set of small registered rules (:mod:`.registry`): reason codes with
their severity (:mod:`.reasons`) and catalogue message
(``wattelt_eval/i18n/messages/validation.toml``), checks registered per stage
(:mod:`.tables` one table at a time, :mod:`.cross` and :mod:`.lineage` across tables,
:mod:`.study` the settings), cell parsing (:mod:`.parse`), the engine that runs them
(:mod:`.engine`), the problem list (:mod:`.problems`) and the load step that builds
:class:`~wattelt_eval.data.PilotData` (:mod:`.build`). Checks never change the tables
they check; the load step does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import progress as _progress
from ..data import PilotData
from ..errors import DataError
from ..i18n import Lang, check_lang, text
from ..i18n import format as _fmt
from ..io import read_package
from ..schema import TABLES
from .build import build as _build
from .canonical import check_canonical, pandera_schema
from .engine import Checked as _Checked  # noqa: F401 - the checked package, for tests
from .engine import check_package as _check
from .engine import n_steps
from .parse import (
    enum_lookup,
    parse_bools,
    parse_column,
    parse_dates,
    parse_enums,
    parse_ints,
    parse_numbers,
    parse_strings,
)
from .problems import MASK, MAX_VALUE_CHARS, PROBLEM_COLUMNS, ValidationError, format_problems
from .problems import render as _render
from .registry import CHECKS, REASONS, rules_table

#: rule -> (severity, Dutch message template, English message template), from the registry
RULES: dict[str, tuple[str, str, str]] = rules_table()

__all__ = [
    "validate",
    "load",
    "ValidationError",
    "format_problems",
    "PROBLEM_COLUMNS",
    "RULES",
    "REASONS",
    "CHECKS",
    "MASK",
    "MAX_VALUE_CHARS",
    "parse_dates",
    "parse_numbers",
    "parse_ints",
    "parse_bools",
    "parse_enums",
    "parse_strings",
    "parse_column",
    "enum_lookup",
    "pandera_schema",
    "check_canonical",
]


def validate(
    path: str | Path,
    lang: Lang = "nl",
    extract_date: str | None = None,
    compact: bool | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """List every problem in a pilot data package; never raises on bad data.

    Parameters
    ----------
    path : path
        Folder of CSV (or parquet) files with ``study.toml``, or one ``.xlsx``
        workbook (one sheet per table plus a ``study`` sheet).
    lang : {"nl", "en"}
        Language of ``message`` and ``expected``.
    extract_date : date, optional
        The data-extract date (``--extract-date``); default ``study.extract_date``, else
        inferred from the record dates. Records dated after it get a warning.
    compact : bool, optional
        Read the parquet files of the child tables with their text dictionary-encoded
        (national scale, see ``docs/scale.md``); default: for files of at least
        ``wattelt_eval.io.COMPACT_MIN_ROWS`` rows. The problems are the same either way.
    progress : bool, optional
        Show a progress bar (tqdm; a notebook bar in Jupyter) per table and check;
        default off (``None`` keeps an enclosing :func:`wattelt_eval.progress.shown`).

    Returns
    -------
    DataFrame
        Columns ``file, row, column, value, rule, severity, expected, message``.
        ``row`` is the row as the user sees it (header = 1; ``<NA>`` for problems
        about a whole file); ``severity`` is ``"error"`` or ``"warning"``. Empty
        when the package is clean. BSN-like values are shown as ``*********``.

    Examples
    --------
    >>> problems = we.validate("my_pilot/", lang="en")      # doctest: +SKIP
    >>> problems[problems.severity == "error"].message      # doctest: +SKIP
    """
    check_lang(lang)
    with (
        _progress.shown(progress),
        _progress.bar(n_steps(), text("validation.progress.validate", lang)),
    ):
        try:
            checked = _check(read_package(path, compact), extract_date)
        except MemoryError as exc:
            raise too_large_error(path) from exc
    out = _render(checked.problems, lang)
    out.attrs["extract_date"] = checked.extract_date
    out.attrs["extract_date_source"] = checked.extract_date_source
    return out


def load(
    path: str | Path | PilotData,
    lang: Lang = "nl",
    extract_date: str | None = None,
    compact: bool | None = None,
    progress: bool | None = None,
) -> PilotData:
    """Read, check and return a pilot data package.

    Parameters
    ----------
    path : path or PilotData
        As for :func:`validate`. A :class:`PilotData` is returned as it is.
    lang : {"nl", "en"}
        Language of the messages in a :class:`ValidationError` and in
        ``data.warnings``.
    compact : bool, optional
        As for :func:`validate`. Compactly read tables stay compact in the result
        (categoricals, narrow numbers; :mod:`.compact`); the outcomes are the same.
    progress : bool, optional
        As for :func:`validate`.

    Returns
    -------
    PilotData
        Tables in canonical form (index ``row`` = the user's row number), study
        settings, instrument, exclusion log (blank rows, stage ``load``) and
        ``warnings`` (the warning-level problems). An ``extract_date`` given here is
        kept as ``data.study.extract_date``.

    Raises
    ------
    ValidationError
        When any error is found; ``.problems`` lists all problems.
    """
    check_lang(lang)
    if isinstance(path, PilotData):
        return path
    total = n_steps() + len(TABLES)
    with _progress.shown(progress), _progress.bar(total, text("validation.progress.load", lang)):
        try:
            checked = _check(read_package(path, compact), extract_date)
            problems = _render(checked.problems, lang)
            if (problems["severity"] == "error").any():
                raise ValidationError(problems, str(path), lang)
            warnings = problems[problems["severity"] == "warning"].reset_index(drop=True)
            return _build(checked, warnings)
        except MemoryError as exc:
            raise too_large_error(path) from exc


def too_large_error(path: str | Path) -> DataError:
    """The bilingual error for a package that does not fit in memory (``docs/scale.md``).

    Says what happened (the package's size on disk, its kind of files, its largest
    file) and what to do: parquet (read compactly), with a DuckDB ``COPY`` line that
    converts the largest file, or parts of at most 1M trajectories.
    """
    from ..io import CSV_SUFFIXES, PARQUET_SUFFIXES

    p = Path(path)
    files = [f for f in p.iterdir() if f.is_file()] if p.is_dir() else [p] if p.exists() else []
    tables = [f for f in files if f.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES] or files
    largest = max(tables, key=lambda f: f.stat().st_size, default=p)
    size_gb = sum(f.stat().st_size for f in tables) / 1e9
    kind = "csv" if largest.suffix.lower() in CSV_SUFFIXES else largest.suffix.lstrip(".") or "?"
    values = {
        "path": p.name or str(p),
        "file": largest.name,
        "parquet": largest.with_suffix(".parquet").name,
        "kind": kind.upper() if kind == "csv" else kind,
    }
    nl, en = (
        text("validation.memory.too_large", lg, size=_fmt.number(size_gb, 1, lg), **values)
        for lg in ("nl", "en")
    )
    return DataError(nl, en)
