"""The ``wattelt-eval`` command line.

Each subcommand is a module of this package (``cli/<command>.py``) with two functions::

    def add_cli(subparsers) -> None      # registers the subcommand and its options
    def run_cli(args) -> int              # runs it; returns the exit code

Exit codes: 0 success, 1 invalid data (every problem listed), 2 usage error; chosen by
exception type (:mod:`wattelt_eval.cli._common`). Library modules never import this package.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> module that implements it (relative to this package)
COMMANDS: dict[str, str] = {
    "template": ".template",
    "validate": ".validate",
    "synth": ".synth",
    "outcomes": ".outcomes",
    "compare": ".compare",
    "report": ".report",
    "pseudonymise": ".pseudonymise",
    "combine": ".combine",
    "fingerprint": ".fingerprint",
    "lineage": ".lineage",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit with 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = _Parser(
        prog="wattelt-eval",
        description="Evaluate demand-driven vs supply-driven social-support pilots "
        "(vraaggestuurd vs aanbodgestuurd).",
    )
    parser.add_argument("--version", action="version", version=f"wattelt-eval {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod_name in COMMANDS.values():
        importlib.import_module(mod_name, __package__).add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # the arguments as given, for the report's provenance (``report`` shows them, paths shortened)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    mod = importlib.import_module(COMMANDS[args.command], __package__)
    return int(mod.run_cli(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
