"""``wattelt-eval report``: the council report (HTML + PDF) for a pilot data package or the demo.

Exit codes: 0 the report was made; 1 the data are not valid (every problem listed) or the
report could not be made (:class:`~wattelt_eval.report.ReportError`); 2 a usage error.
The language and the bootstrap seed default to the study's settings (``study.toml``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import WatteltError
from ..i18n import LANGS, text
from ._common import EXIT_DATA, check_source, guarded, lang_of, print_problems

__all__ = ["add_cli", "run_cli"]


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
        choices=LANGS,
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
    p.add_argument(
        "--extract-date",
        default=None,
        help="data-extract date YYYY-MM-DD / peildatum (default: study.toml, else inferred)",
    )
    p.add_argument("--n-boot", type=int, default=999, help="bootstrap replicates (default: 999)")
    p.add_argument(
        "--monitor",
        action="store_true",
        help="add the section 'How is the implementation going?' (fidelity per team and "
        "month) / voeg de sectie 'Hoe gaat de invoering?' toe",
    )
    p.add_argument(
        "--by",
        default=None,
        metavar="COLUMN",
        help="one report per level of a trajectories column (cohort, municipality, team "
        "group) plus a side-by-side summary / één rapport per waarde van een kolom",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval report``; exit code 0 ok, 1 invalid data or failed report, 2 usage."""
    from ..report import build
    from ..validation import ValidationError

    check_source(args, "report")
    lang = lang_of(args)
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
            extract_date=args.extract_date,
            monitor=args.monitor,
            by=args.by,
            command=getattr(args, "argv", None),
        )
    except ValidationError as exc:
        print_problems(exc, lang, "report")
        return EXIT_DATA
    except (WatteltError, ValueError, OSError) as exc:
        message = exc.message(lang) if isinstance(exc, WatteltError) else str(exc)
        print(text("report.cli.failed", lang, error=message), file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_DATA)
    for p in result.paths:
        print(p)
    return 0
