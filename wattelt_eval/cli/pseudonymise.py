"""``wattelt-eval pseudonymise IN OUT``: pseudonymise a pilot data package before it leaves.

Exit codes by exception type: 0 done; 1 the data stop it
(:class:`~wattelt_eval.privacy.PrivacyError`, e.g. a BSN left); 2 a usage error
(:class:`~wattelt_eval.privacy.PrivacyUsageError`: no key, an output that exists, IN missing).
The extra case-mix columns kept come from the package's ``study.toml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import pair
from ._common import add_lang, guarded, lang_of

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Any) -> None:
    """Register ``wattelt-eval pseudonymise IN OUT``."""
    from ..privacy import KEY_ENV

    p = subparsers.add_parser(
        "pseudonymise",
        help="pseudonymise a pilot data package (keyed hash of ids, free text dropped)",
        description=(
            "Replace resident_id, professional_id and the record ids by a keyed hash "
            "(HMAC-SHA256), drop free text, reduce birth dates to years. The key comes "
            f"from the {KEY_ENV} environment variable or --key-file and is never written. / "
            "Vervang kenmerken door een pseudoniem met sleutel, verwijder vrije tekst, "
            "maak van geboortedatums geboortejaren."
        ),
    )
    p.add_argument("input", metavar="IN", help="package folder or .xlsx workbook")
    p.add_argument("output", metavar="OUT", help="new folder (or .xlsx file for workbook input)")
    p.add_argument("--key-file", default=None, help=f"file holding the key (default: ${KEY_ENV})")
    p.add_argument("--keep-text", action="store_true", help="keep free-text columns (goal text)")
    p.add_argument(
        "--hash-organisation", action="store_true", help="also pseudonymise organisation names"
    )
    p.add_argument("--overwrite", action="store_true", help="write into an existing OUT")
    add_lang(p)


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``pseudonymise``: 0 done, 1 data problem (e.g. a BSN left), 2 usage (no key, ...)."""
    from ..privacy import pseudonymise_package, resolve_key

    resolve_key(None, args.key_file)  # no key: refuse before looking at the input
    in_path = Path(args.input)
    if not in_path.exists():
        raise UsageError(*pair("common.missing_path", path=in_path))
    record = pseudonymise_package(
        in_path,
        args.output,
        key_file=args.key_file,
        keep_text=args.keep_text,
        hash_organisation=args.hash_organisation,
        overwrite=args.overwrite,
    )
    print(record.summary(lang_of(args)))
    return 0
