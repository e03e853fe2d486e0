"""``wattelt-eval template``: write blank data templates and the data dictionary."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, guarded

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval template``."""
    p = subparsers.add_parser(
        "template",
        help="write blank data templates and the data dictionary (schrijf lege sjablonen)",
        description="Write blank CSV templates, study.toml, an Excel workbook with drop-down lists "
        "and the bilingual data dictionary, all generated from the schema.",
    )
    p.add_argument("--out", default="data_templates", help="output folder (default data_templates)")


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval template``: print each file written."""
    from ..templates import write_templates

    for p in write_templates(args.out):
        print(p)
    return EXIT_OK
