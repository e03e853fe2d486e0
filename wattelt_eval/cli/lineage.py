"""``wattelt-eval lineage``: infer goal lineage from text, export the audit, apply a corrected one.

Usage::

    wattelt-eval lineage PACKAGE --audit audit.xlsx [--threshold 0.4] [--out NEW_PACKAGE]
    wattelt-eval lineage PACKAGE --apply audit.xlsx --out NEW_PACKAGE
    wattelt-eval lineage PACKAGE --sensitivity retention_by_threshold.csv

Prints one summary line (goals, recorded and inferred links: counts only, never goal
text). Exit codes (:mod:`wattelt_eval.cli._common`): 0 done, 1 invalid data or an audit
with problems (every one listed), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import pair, text
from ._common import EXIT_DATA, EXIT_OK, add_lang, guarded, lang_of

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval lineage``."""
    from ..lineage import DEFAULT_THRESHOLD

    p = subparsers.add_parser(
        "lineage",
        help=" / ".join(reversed(pair("lineage.cli.help"))),
        description=" / ".join(pair("lineage.cli.description")),
    )
    p.add_argument("path", help="data package (folder or .xlsx) / datapakket (map of .xlsx)")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--audit", default=None, help="write the audit to this .xlsx / schrijf de audit hierheen"
    )
    what.add_argument(
        "--apply",
        default=None,
        help="read a corrected audit (.xlsx) / lees een gecorrigeerde audit",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="score a link must reach / minimale score van een koppeling (default: %(default)s)",
    )
    p.add_argument(
        "--method",
        choices=("model", "baseline"),
        default="model",
        help="model or plain token similarity / model of alleen woordovereenkomst",
    )
    p.add_argument(
        "--out", default=None, help="write the package with the links / schrijf het pakket"
    )
    p.add_argument(
        "--format",
        choices=("csv", "xlsx", "parquet"),
        default="csv",
        help="format of --out / formaat van --out (default: %(default)s)",
    )
    p.add_argument(
        "--sensitivity",
        default=None,
        help="write goal retention per arm over thresholds (.csv) / doelbehoud per drempel",
    )
    add_lang(p)


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval lineage``; returns the exit code (0 ok, 1 invalid data, 2 usage)."""
    from ..io import write_csv, write_package
    from ..lineage import apply_audit, infer, threshold_sensitivity, write_audit
    from ..validation import ValidationError, load

    lang = lang_of(args)
    try:
        data = load(args.path)
    except ValidationError as exc:
        print(exc.message(lang), file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems is not None and len(problems):
            print(problems.to_string(index=False), file=sys.stderr)
        return EXIT_DATA
    if args.apply:
        result = apply_audit(data, args.apply)
    else:
        result = infer(data, args.threshold, method=args.method)
    print(result.summary(lang))
    if args.audit:
        path = write_audit(result, args.audit)
        print(text("lineage.cli.audit_written", lang, path=path, n=len(result.audit)))
    if args.out:
        path = write_package(result.data, args.out, format=args.format)
        print(text("lineage.cli.package_written", lang, path=path))
    if args.sensitivity:
        table = threshold_sensitivity(data, method=args.method)
        write_csv(table, Path(args.sensitivity))
    if not (args.audit or args.out or args.sensitivity):
        print(text("lineage.cli.nothing_to_write", lang))
    return EXIT_OK
