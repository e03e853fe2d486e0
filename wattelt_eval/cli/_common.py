"""Helpers shared by every command: the ``--lang`` option, error printing and exit codes.

Exit codes: 0 success, 1 the data cannot be used (every problem listed),
2 a usage error (argparse's own code). They are chosen by exception *type*
(:mod:`wattelt_eval.errors`), never by searching message text.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..bsn import redact
from ..errors import WatteltError
from ..i18n import LANGS

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


def add_lang(parser: argparse.ArgumentParser, default: str | None = "nl") -> None:
    """Add ``--lang nl|en`` (language of messages)."""
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=default,
        help="language of messages / taal van de meldingen (default: %(default)s)",
    )


def print_error(exc: WatteltError, lang: str = "nl") -> int:
    """Print a bilingual error in ``lang`` on stderr; return its exit code."""
    print(redact(exc.message(lang)), file=sys.stderr)
    return int(exc.exit_code)


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command: a :class:`~wattelt_eval.errors.WatteltError` becomes its exit code."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(run(args) or 0)
        except WatteltError as exc:
            return print_error(exc, getattr(args, "lang", None) or "nl")

    wrapper.__doc__ = run.__doc__
    wrapper.__name__ = getattr(run, "__name__", "run")
    return wrapper


def lang_of(args: Any) -> str:
    """The message language of parsed arguments (``nl`` when not given)."""
    return getattr(args, "lang", None) or "nl"


def add_progress(parser: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--no-progress``: progress bars on standard error."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="voortgangsbalk / progress bars (default: when standard error is a terminal)",
    )


def progress_of(args: Any) -> bool:
    """Whether to show progress bars: ``--progress``, else when stderr is a terminal."""
    chosen = getattr(args, "progress", None)
    return sys.stderr.isatty() if chosen is None else bool(chosen)


def check_source(args: Any, area: str) -> None:
    """A PATH or ``--demo``, not both; the PATH must exist (else a usage error, exit 2).

    Messages ``<area>.cli.path_and_demo``, ``.no_path`` and ``.missing_path``.
    """
    from pathlib import Path

    from ..errors import UsageError
    from ..i18n import pair

    if args.demo and args.path:
        raise UsageError(*pair(f"{area}.cli.path_and_demo"))
    if not args.demo and not args.path:
        raise UsageError(*pair(f"{area}.cli.no_path"))
    if args.path and not Path(args.path).exists():
        raise UsageError(*pair(f"{area}.cli.missing_path", path=args.path))


def print_problems(exc: Any, lang: str, area: str) -> None:
    """Every validation problem (file, row, column, value, expected) on stderr, after the
    heading ``<area>.cli.invalid_data``."""
    import pandas as pd

    from ..i18n import pair
    from ..validation import format_problems

    print(" / ".join(pair(f"{area}.cli.invalid_data")), file=sys.stderr)
    problems = getattr(exc, "problems", None)
    if isinstance(problems, pd.DataFrame):
        source = getattr(exc, "source", "") or "data"
        print(format_problems(problems, source, lang=lang), file=sys.stderr)
    else:
        print(exc, file=sys.stderr)
