"""``wattelt-eval synth``: write a simulated pilot package with known truth, or the demo."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import pair, text
from ..i18n.format import number
from ..synth import DESIGNS, build_demo, write, write_demo
from ..synth.demo_pilot import demo_cached
from ._common import add_lang, guarded, lang_of

#: Outcomes whose true effect is printed after writing.
_SHOWN = ("goal_retention", "n_retells", "cost_total", "any_provision")


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval synth``."""
    p = subparsers.add_parser(
        "synth",
        help="simuleer een pilot met bekende waarheid / simulate a pilot with known truth",
        description="Schrijf een synthetisch pilotpakket (met truth/) / write a synthetic pilot package.",
    )
    p.add_argument("--n", type=int, default=600, help="aantal trajecten / number of trajectories")
    p.add_argument("--seed", type=int, default=20250101)
    p.add_argument("--out", help="map (of .xlsx) / folder (or .xlsx)")
    p.add_argument("--format", choices=("csv", "xlsx", "parquet"), default="csv")
    p.add_argument("--design", choices=DESIGNS, default="concurrent")
    p.add_argument(
        "--effects",
        default="default",
        help="'default', 'null' of JSON, bv. '{\"goal_retention\": 0}'",
    )
    p.add_argument("--instrument", default="wat_telt")
    p.add_argument("--no-truth", action="store_true", help="schrijf geen truth/ / no truth/ folder")
    p.add_argument(
        "--demo",
        action="store_true",
        help="schrijf een kopie van de ingebouwde demo-pilot / write a copy of the bundled demo pilot",
    )
    p.add_argument(
        "--demo-rebuild",
        action="store_true",
        help="bouw de ingebouwde demo-pilot opnieuw (vaste seed, in het pakket) / "
        "rebuild the bundled demo pilot from its fixed seed (inside the package)",
    )
    add_lang(p)


def _effects(value: Any) -> Any:
    """``--effects``: ``default``, ``null`` or a JSON object."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise UsageError(*pair("synth.cli.invalid_json", error=exc)) from exc
    return value


def _write(args: argparse.Namespace) -> tuple[Path, dict[str, Any] | None]:
    """Write what the options ask for; return the path and the truth when known in memory."""
    effects = _effects(args.effects)
    if getattr(args, "demo_rebuild", False):
        if args.demo:
            raise UsageError(*pair("synth.cli.demo_and_rebuild"))
        return build_demo(args.out), None
    if args.out is None:
        raise UsageError(*pair("synth.cli.out_required"))
    if args.demo:
        return write_demo(args.out, format=args.format), demo_cached().truth
    path = write(
        args.out,
        args.n,
        args.seed,
        effects,
        args.design,
        args.format,
        args.instrument,
        truth=not args.no_truth,
    )
    return path, None


def _print_truth(truth: dict[str, Any], lang: str) -> None:
    """The true sample effects of the headline outcomes: demand, supply, difference."""
    print(text("synth.cli.true_effects", lang))
    for o in _SHOWN:
        s = truth["sample"][o]
        cells = (
            number(s["mean_demand"], 3, lang),
            number(s["mean_supply"], 3, lang),
            number(s["difference"], 3, lang, sign=True),
        )
        print(f"  {o:15s}" + "".join(f" {c:>12s}" for c in cells))


@guarded
def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval synth``; exit code 0 on success, 2 on usage errors."""
    lang = lang_of(args)
    path, truth = _write(args)
    print(text("synth.cli.written", lang, path=path))
    truth_file = (path.parent if path.suffix == ".xlsx" else path) / "truth" / "truth.json"
    if truth is None and truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
    if truth is not None:
        _print_truth(truth, lang)
    return 0
