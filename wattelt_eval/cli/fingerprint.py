"""``wattelt-eval fingerprint``: print the report fingerprint of a pilot data package.

The same SHA-256 the council report shows under provenance
(:func:`wattelt_eval.report.provenance.report_fingerprint`): the canonical tables and
every setting that changes a number. Give the options that change numbers as for
``wattelt-eval report`` (``--seed``, ``--n-boot``, ``--extract-date``, ``--monitor``) to
check a report. Exit codes: 0 printed; 1 the data are not valid (every problem listed);
2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..i18n import text
from ._common import EXIT_DATA, add_lang, check_source, guarded, lang_of, print_problems

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval fingerprint``."""
    p = subparsers.add_parser(
        "fingerprint",
        help="print the report fingerprint of a data package / toon de vingerafdruk",
        description="Print the SHA-256 report fingerprint of a pilot data package: the "
        "canonical tables and every setting that changes a number (study.toml, the "
        "instrument, seed, bootstrap replicates, methods, covariates, versions). Give the "
        "same options as to 'wattelt-eval report' to check a report. / Toon de vingerafdruk "
        "van het rapport voor een datapakket.",
    )
    p.add_argument("path", nargs="?", help="pilot data package (folder or .xlsx)")
    p.add_argument("--demo", action="store_true", help="the bundled demo pilot")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed (default: study.toml)")
    p.add_argument("--n-boot", type=int, default=999, help="bootstrap replicates (default: 999)")
    p.add_argument(
        "--extract-date",
        default=None,
        help="data-extract date YYYY-MM-DD / peildatum (default: study.toml, else inferred)",
    )
    p.add_argument("--monitor", action="store_true", help="as 'report --monitor'")
    p.add_argument(
        "--details",
        action="store_true",
        help="print JSON: both fingerprints, one per table and every setting fingerprinted",
    )
    add_lang(p)


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval fingerprint``; exit code 0 printed, 1 invalid data, 2 usage."""
    from ..report.builder import prepare_data
    from ..report.plan import ReportPlan
    from ..report.provenance import fingerprints, report_fingerprint, settings_record
    from ..validation import ValidationError

    check_source(args, "provenance")
    lang = lang_of(args)
    try:
        data = prepare_data(
            None if args.demo else args.path, args.demo, lang, extract_date=args.extract_date
        )
    except ValidationError as exc:
        print_problems(exc, lang, "provenance")
        return EXIT_DATA
    plan = ReportPlan.from_study(
        data.study, seed=args.seed, n_boot=args.n_boot, monitor=args.monitor
    )
    data_fp, tables = fingerprints(data)
    fp = report_fingerprint(data, plan, data_fingerprint=data_fp)
    if not args.details:
        print(fp)
        return 0
    out = {
        "report_fingerprint": fp,
        "data_fingerprint": data_fp,
        "tables": tables,
        "settings": settings_record(data, plan),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    print(f"{text('provenance.cli.report', lang)}: {fp}", file=sys.stderr)
    return 0
