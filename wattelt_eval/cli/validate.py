"""``wattelt-eval validate``: check a pilot data package and list every problem.

Exit code 1 on any error (every problem is listed), 0 with warnings only.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
import pandas as pd

from .. import progress
from ..i18n import text
from ._common import EXIT_DATA, EXIT_OK, add_lang, add_progress, guarded, progress_of

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval validate``."""
    p = subparsers.add_parser(
        "validate",
        help="check a pilot data package and list every problem (controleer een datapakket)",
        description="Check a pilot data package (folder of CSV/parquet files or one .xlsx) and list "
        "every problem with file, row, column, value and what was expected. Exit code 1 on "
        "any error, 0 with warnings only.",
    )
    p.add_argument("path", help="folder or .xlsx workbook")
    add_lang(p)
    add_progress(p)
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        dest="output_format",
        help="text (default) or json (every problem, machine-readable)",
    )
    p.add_argument(
        "--extract-date",
        default=None,
        help="data-extract date YYYY-MM-DD / peildatum (default: study.toml, else inferred)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=50,
        help="text output: at most this many lines per file, column and rule (0 = all; default 50)",
    )


def _json_records(problems: pd.DataFrame) -> list[dict[str, Any]]:
    """Problems as JSON-ready records (``None`` for missing, ``row`` an integer)."""
    return [
        {
            k: (
                None
                if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))
                else (int(v) if k == "row" else v)
            )
            for k, v in rec.items()
        }
        for rec in problems.astype(object).to_dict(orient="records")
    ]


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval validate``; exit code 1 on any error, else 0."""
    from ..validation import format_problems, validate

    with progress.shown(progress_of(args)):  # validate's progress=None follows this
        problems = validate(args.path, lang=args.lang, extract_date=args.extract_date)
    if args.output_format == "json":
        json.dump(_json_records(problems), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_problems(problems, str(args.path), args.lang, args.limit) + "\n")
        ext = problems.attrs.get("extract_date")
        if ext:
            how = problems.attrs.get("extract_date_source", "")
            sys.stdout.write(text(f"validation.report.extract_{how}", args.lang, date=ext) + "\n")
    return EXIT_DATA if (problems["severity"] == "error").any() else EXIT_OK
