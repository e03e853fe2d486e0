"""The reproducible council report (HTML and PDF, Dutch or English) from one command.

>>> import wattelt_eval as we
>>> we.report.build("my_pilot/", "reports/", lang="nl")        # doctest: +SKIP
>>> we.report.build(None, "reports/", demo=True, lang="en")    # doctest: +SKIP

Command line::

    wattelt-eval report my_pilot/ --out reports/ [--lang nl|en]
    wattelt-eval report --demo --out reports/

See ``docs/report.md`` for what the report contains, the disclosure rules and the
recipe of the input fingerprint.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .builder import (
    CHROMIUM_FLAGS,
    ReportError,
    ReportResult,
    build,
    clean_notebook,
    find_chromium,
    print_pdf,
    to_html,
)
from .provenance import canonical_csv, fingerprint, generation_time, table_fingerprints

__all__ = [
    "build",
    "ReportResult",
    "ReportError",
    "fingerprint",
    "table_fingerprints",
    "canonical_csv",
    "generation_time",
    "find_chromium",
    "print_pdf",
    "to_html",
    "clean_notebook",
    "CHROMIUM_FLAGS",
    "add_cli",
    "run_cli",
]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval report``."""
    p = subparsers.add_parser(
        "report",
        help="make the council report (HTML + PDF) / maak het raadsrapport (HTML + PDF)",
        description="Make the reproducible council report (HTML and PDF) for a pilot data "
        "package, or for the bundled demo pilot with --demo. / Maak het reproduceerbare "
        "rapport voor de gemeenteraad.",
    )
    p.add_argument("path", nargs="?", help="pilot data package (folder or .xlsx)")
    p.add_argument("--demo", action="store_true", help="report the bundled demo pilot")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument(
        "--lang",
        choices=["nl", "en"],
        default=None,
        help="report language (default: the study's language, nl)",
    )
    p.add_argument(
        "--format",
        dest="formats",
        nargs="+",
        choices=["html", "pdf"],
        default=["html", "pdf"],
        help="documents to make (default: html pdf)",
    )
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed (default: study.toml)")
    p.add_argument("--n-boot", type=int, default=999, help="bootstrap replicates (default: 999)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _print_problems(exc: Any, lang: str) -> None:
    """Print every validation problem (file, row, column, value, expected) to stderr."""
    import pandas as pd

    from ..validation import format_problems

    print(
        "De gegevens zijn niet geldig; er is geen rapport gemaakt. / "
        "The data are not valid; no report was made.",
        file=sys.stderr,
    )
    problems = getattr(exc, "problems", None)
    if isinstance(problems, pd.DataFrame):
        source = getattr(exc, "source", "") or "data"
        print(format_problems(problems, source, lang=lang), file=sys.stderr)
    else:
        print(exc, file=sys.stderr)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval report``; exit code 0 ok, 1 invalid data or failed report, 2 usage."""
    from pathlib import Path

    if args.demo and args.path:
        print("wattelt-eval report: give a PATH or --demo, not both", file=sys.stderr)
        return 2
    if not args.demo and not args.path:
        print("wattelt-eval report: give a PATH (pilot data package) or --demo", file=sys.stderr)
        return 2
    if args.path and not Path(args.path).exists():
        print(f"wattelt-eval report: '{args.path}' bestaat niet / does not exist", file=sys.stderr)
        return 2
    from ..validation import ValidationError

    try:
        result = build(
            None if args.demo else args.path,
            args.out,
            lang=args.lang,
            formats=tuple(args.formats),
            demo=args.demo,
            seed=args.seed,
            n_boot=args.n_boot,
            progress=not args.quiet,
        )
    except ValidationError as exc:
        _print_problems(exc, args.lang or "nl")
        return 1
    except (ReportError, ValueError, OSError) as exc:
        print(f"wattelt-eval report: {exc}", file=sys.stderr)
        return 1
    for p in result.paths:
        print(p)
    return 0
