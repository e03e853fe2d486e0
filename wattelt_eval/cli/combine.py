"""``wattelt-eval combine``: pool the packages of several municipalities or cohorts.

``wattelt-eval combine Eindhoven=data/eindhoven Utrecht=data/utrecht --out pooled/`` loads
each package, pools them (:func:`wattelt_eval.pooling.combine`) and writes one package
that ``validate``, ``outcomes``, ``compare --by source`` and ``report`` read like any other.

Exit codes (:mod:`wattelt_eval.cli._common`): 0 written, 1 a package is invalid (its
problems listed), 2 a usage error (an argument not NAME=PATH, names or settings that
cannot be pooled).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import UsageError
from ..i18n import pair, text
from ._common import EXIT_OK, add_lang, guarded, lang_of

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval combine``."""
    p = subparsers.add_parser(
        "combine",
        help=" / ".join(reversed(pair("combine.cli.help"))),
        description=" / ".join(pair("combine.cli.help")),
    )
    p.add_argument(
        "packages",
        nargs="+",
        metavar="NAME=PATH",
        help="package name and its folder or .xlsx, e.g. Eindhoven=data/eindhoven "
        "/ naam en map of .xlsx van het pakket",
    )
    p.add_argument("--out", required=True, help="output folder (or .xlsx) / uitvoermap")
    p.add_argument("--format", choices=("csv", "xlsx", "parquet"), default="csv")
    p.add_argument(
        "--extract-date",
        default=None,
        help="one data-extract date for all packages (YYYY-MM-DD) / één peildatum",
    )
    add_lang(p)


def _packages(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise UsageError(*pair("combine.error.argument", value=item))
        if name.strip() in out:
            raise UsageError(
                *pair("combine.error.same_name", name=name.strip(), other=name.strip())
            )
        out[name.strip()] = path.strip()
    return out


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval combine``; returns the exit code (0 ok, 1 invalid data, 2 usage)."""
    from ..pooling import combine

    lang = lang_of(args)
    packages = _packages(args.packages)
    pooled = combine(packages, extract_date=args.extract_date, lang=lang)
    path = pooled.write(args.out, format=args.format)
    print(
        text(
            "combine.cli.done",
            lang,
            n=len(pooled.sources),
            names=", ".join(pooled.sources),
            trajectories=pooled.n_trajectories,
            path=path,
        )
    )
    return EXIT_OK
