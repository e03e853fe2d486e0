"""``wattelt-eval outcomes``: the per-trajectory outcome table (and its log and flow) to a file.

Exit codes (:mod:`wattelt_eval.cli._common`): 0 written, 1 the data are invalid, 2 a
usage error (output suffix, PATH and ``--demo`` together or neither, a bad option value).
The cost window defaults to the study's ``cost_window_days`` (``study.toml``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .. import progress
from ..errors import WatteltError
from ..i18n import pair, text
from ..io import write_csv, write_xlsx
from ._common import (
    EXIT_DATA,
    EXIT_OK,
    EXIT_USAGE,
    add_lang,
    add_progress,
    guarded,
    lang_of,
    progress_of,
)

__all__ = ["add_cli", "run_cli"]

_SUFFIXES = (".csv", ".parquet", ".xlsx")


def _both(key: str) -> str:
    return " / ".join(pair(key))


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval outcomes``."""
    p = subparsers.add_parser(
        "outcomes",
        help=" / ".join(reversed(pair("outcome.cli.help"))),
        description=_both("outcome.cli.description"),
    )
    p.add_argument(
        "path", nargs="?", help="data package (folder or .xlsx) / datapakket (map of .xlsx)"
    )
    p.add_argument(
        "--demo", action="store_true", help="use the bundled demo pilot / gebruik de demo"
    )
    p.add_argument(
        "--out",
        required=True,
        help="output file: .csv, .parquet or .xlsx (with the data dictionary as a second sheet)"
        " / uitvoerbestand: .csv, .parquet of .xlsx (met het datawoordenboek als tweede blad)",
    )
    p.add_argument(
        "--window-days",
        type=int,
        default=None,
        help="cost window in days (default: the study's cost_window_days) / kostenvenster in dagen",
    )
    p.add_argument(
        "--extract-date", default=None, help="data-extract date (YYYY-MM-DD) / peildatum"
    )
    p.add_argument(
        "--exclusions", default=None, help="also write the exclusion log (.csv/.parquet/.xlsx)"
    )
    p.add_argument("--flow", default=None, help="also write the flow table (.csv/.parquet/.xlsx)")
    add_lang(p)
    add_progress(p)


def _write(df: pd.DataFrame, path: Path, sheets: dict[str, pd.DataFrame] | None = None) -> None:
    """Write a table as parquet, CSV or Excel (by suffix), creating the folder.

    Excel goes through the shared safe writer (:func:`wattelt_eval.io.write_xlsx`), with
    ``sheets`` (default: the table alone on a sheet named after the file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        write_xlsx(sheets or {path.stem[:31] or "table": df}, path)
    else:
        write_csv(df, path)


def _usage(key: str, lang: str, **values: object) -> int:
    print(text(key, lang, **values), file=sys.stderr)
    return EXIT_USAGE


def _read(args: argparse.Namespace, lang: str) -> object | int:
    """The package of PATH or ``--demo``; an exit code when it cannot be had."""
    if args.demo:
        from .. import synth

        return synth.demo()
    from ..validation import ValidationError, load

    try:
        with progress.shown(progress_of(args)):  # load's progress=None follows this
            return load(args.path)
    except ValidationError as exc:
        print(text("outcome.cli.invalid_data", lang, error=exc), file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems is not None and len(problems):
            print(problems.to_string(index=False), file=sys.stderr)
        return EXIT_DATA
    except FileNotFoundError as exc:
        return _usage("outcome.cli.error", lang, error=exc)


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval outcomes``; returns the exit code (0 ok, 1 invalid data, 2 usage)."""
    from ..outcome import outcome_set
    from ..outcome.dictionary import outcome_workbook_sheets

    lang = lang_of(args)
    outs = [Path(args.out)] + [Path(x) for x in (args.exclusions, args.flow) if x]
    for o in outs:
        if o.suffix.lower() not in _SUFFIXES:
            return _usage("outcome.cli.bad_suffix", lang, path=o)
    if bool(args.path) == bool(args.demo):
        return _usage("outcome.cli.path_or_demo", lang)
    data = _read(args, lang)
    if isinstance(data, int):
        return data
    try:
        with (
            progress.shown(progress_of(args)),
            progress.bar(5, text("outcome.progress.outcomes", lang)),
        ):
            res = outcome_set(data, args.window_days, extract_date=args.extract_date)
    except WatteltError:
        raise  # exit code by type (guarded)
    except ValueError as exc:
        return _usage("outcome.cli.error", lang, error=exc)
    _write(res.table, Path(args.out), outcome_workbook_sheets(res.table, lang))
    if args.exclusions:
        _write(res.exclusions, Path(args.exclusions))
    if args.flow:
        _write(res.flow, Path(args.flow))
    for note in res.note_texts(lang):
        print(note)
    if res.extract_date is not None:
        print(
            text(
                f"validation.report.extract_{res.extract_date_source}",
                lang,
                date=res.extract_date.strftime("%Y-%m-%d"),
            )
        )
    print(
        text(
            "outcome.cli.written",
            lang,
            n=len(res.table),
            path=args.out,
            n_exclusions=len(res.exclusions),
        )
    )
    return EXIT_OK
