"""``wattelt-eval compare``: compare arms on one or more outcomes from the command line.

Defaults come from the study settings: the seed of the bootstrap, the language and the
disclosure rule (``[disclosure] rule, threshold`` of ``study.toml``) when PATH is a data
package (or ``--demo``), otherwise the defaults of
:class:`~wattelt_eval.data.StudySettings`.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd

from ..errors import UsageError, WatteltError
from ..i18n import pair, text
from ..io import write_csv
from ._common import EXIT_DATA, EXIT_OK, add_lang, guarded, lang_of

STAT_COLUMNS = [
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "n_control",
    "n_treated",
]
#: the columns printed for several outcomes
SUMMARY_COLUMNS = [
    "outcome",
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "ci_method",
]


def _msg(key: str, lang: str, **values: Any) -> str:
    return text(f"estimation.cli.{key}", lang, **values)


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval compare``."""
    from ..estimation.literals import CIMethod, Kind, Method

    nl, en = pair("estimation.cli.description")
    p = subparsers.add_parser(
        "compare",
        help="compare arms on outcomes / vergelijk armen op uitkomsten",
        description=(
            f"{nl} / {en} PATH is an outcome table (.csv/.parquet, from 'wattelt-eval "
            "outcomes') or a data package (folder or .xlsx)."
        ),
    )
    p.add_argument(
        "path", nargs="?", help="outcome table or data package / uitkomstentabel of datapakket"
    )
    p.add_argument(
        "--demo", action="store_true", help="use the bundled demo pilot / gebruik de demo"
    )
    p.add_argument(
        "--outcome",
        action="append",
        default=None,
        help="outcome column; repeat for several (default: the headline outcomes "
        "and any_provision, Holm-adjusted) / uitkomstkolom, herhaalbaar",
    )
    p.add_argument("--arm", default="arm", help="two-valued arm column / armkolom")
    p.add_argument("--treated", default=None, help="value of --arm that is the intervention")
    p.add_argument(
        "--method", default="unadjusted", choices=get_args(Method), help="estimator / schatter"
    )
    p.add_argument(
        "--covariates",
        default=None,
        help="formula right-hand side, e.g. 'age + C(household)' / covariaten",
    )
    p.add_argument("--kind", default="auto", choices=get_args(Kind))
    p.add_argument("--cluster", default=None, help="cluster column, e.g. team / clusterkolom")
    p.add_argument("--by", default=None, help="effect modifier (one outcome) / effectmodificator")
    p.add_argument("--ci", default="auto", choices=get_args(CIMethod))
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap replicates")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the bootstrap (default: study.seed of the study settings)",
    )
    p.add_argument("--no-holm", action="store_true", help="no Holm adjustment (several outcomes)")
    p.add_argument("--out", required=True, help="output table, .csv or .parquet / uitvoerbestand")
    add_lang(p, default=None)


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    df = pd.read_csv(path, sep=None, engine="python")
    for c in df.columns:  # True/False columns with gaps come back as text
        if df[c].dtype == object and set(df[c].dropna().astype(str)) <= {"True", "False"}:
            df[c] = (
                df[c]
                .map({"True": True, "False": False, True: True, False: False})
                .astype("boolean")
            )
    return df


def suppress_small(tab: pd.DataFrame, rule: Any = None) -> pd.DataFrame:
    """Hide statistics resting on too few residents in an arm (``docs/privacy.md``).

    ``rule`` is a disclosure rule name, a :class:`~wattelt_eval.disclosure.DisclosureRule`
    or study settings (:func:`~wattelt_eval.disclosure.resolve_rule`; default ``min10``):
    a row whose arms do not both reach the rule's ``min_n`` gets missing numbers and
    ``suppressed`` True. Interaction rows are hidden when one of their subgroups is.
    """
    from ..disclosure import can_show, resolve_rule

    rule = resolve_rule(rule)
    t = tab.copy()
    t["suppressed"] = False
    has_n = t["n_control"].notna() & t["n_treated"].notna()
    for i in t.index[has_n]:
        if not can_show([t.at[i, "n_control"], t.at[i, "n_treated"]], rule):
            t.at[i, "suppressed"] = True
    if "group" in t.columns:
        hidden = set(t.loc[t.suppressed, "group"])
        for i in t.index[~has_n]:
            parts = str(t.at[i, "group"]).split(" vs ")
            if any(p in hidden for p in parts):
                t.at[i, "suppressed"] = True
    cols = [c for c in STAT_COLUMNS if c in t.columns]
    t.loc[t.suppressed, cols] = np.nan
    return t


def _check_args(args: argparse.Namespace, outcomes: list[str]) -> None:
    """Usage errors (exit code 2) found before any data is read."""
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(*pair("estimation.cli.out_suffix", path=str(out)))
    if bool(args.path) == bool(args.demo):
        raise UsageError(*pair("estimation.cli.path_or_demo"))
    if args.by and len(outcomes) > 1:
        raise UsageError(*pair("estimation.cli.by_one_outcome"))
    if args.path and not Path(args.path).exists():
        raise UsageError(*pair("estimation.cli.missing_path", path=str(args.path)))


def _load(args: argparse.Namespace, lang: str) -> tuple[pd.DataFrame | None, Any]:
    """The outcome table and the study settings (``None`` table: invalid data, reported)."""
    from ..data import StudySettings
    from ..outcome import outcomes as outcome_table

    if args.demo:
        from .. import synth

        data = synth.demo()
        return outcome_table(data), data.study
    path = Path(args.path)
    if path.is_file() and path.suffix.lower() in (".csv", ".parquet"):
        return _read_table(path), StudySettings()
    from ..validation import ValidationError, load

    try:
        data = load(path)
    except ValidationError as exc:
        print(_msg("invalid_data", lang, error=exc), file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems is not None and len(problems):
            print(problems.to_string(index=False), file=sys.stderr)
        return None, None
    return outcome_table(data), data.study


def _estimate(table, outcomes, args, seed, lang) -> tuple[pd.DataFrame, str, list]:
    """The tidy result table, its printed summary and the warnings raised."""
    from ..estimation.effects import compare, compare_all

    kw = dict(
        arm=args.arm,
        covariates=args.covariates,
        method=args.method,
        kind=args.kind,
        cluster=args.cluster,
        n_boot=args.n_boot,
        seed=seed,
        treated=args.treated,
        ci=args.ci,
        lang=lang,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if len(outcomes) == 1:
            res = compare(table, outcomes[0], by=args.by, **kw)
            tab = res.table.copy()
            tab["design"] = res.design
            summary = res.summary()
        else:
            tab = compare_all(table, outcomes, holm=not args.no_holm, **kw)
            summary = tab[SUMMARY_COLUMNS].round(4).to_string(index=False)
    return tab, summary, list(caught)


def _failed(exc: Exception) -> WatteltError:
    """A library error as a command error of the same type (so the same exit code)."""
    if isinstance(exc, WatteltError):
        nl, en = exc.message("nl"), exc.message("en")
        cls = type(exc)
    else:
        from ..errors import DataError

        nl = en = str(exc)
        cls = DataError
    return cls(*(_msg("failed", lg, error=m) for lg, m in (("nl", nl), ("en", en))))


def _write(tab: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        tab.to_parquet(out, index=False)
    else:
        write_csv(tab, out)


def _run(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval compare``; 0 ok, 1 invalid data, 2 usage error."""
    from ..disclosure import resolve_rule
    from ..estimation.effects import HEADLINE

    outcomes = args.outcome or list(HEADLINE)
    _check_args(args, outcomes)
    table, study = _load(args, lang_of(args))
    if table is None:
        return EXIT_DATA
    lang = args.lang or study.language
    seed = study.seed if args.seed is None else args.seed
    try:
        tab, summary, caught = _estimate(table, outcomes, args, seed, lang)
    except (ValueError, TypeError) as exc:
        raise _failed(exc) from exc
    for w in caught:
        print(_msg("warning", lang, message=w.message), file=sys.stderr)
    rule = resolve_rule(study)
    tab = suppress_small(tab, rule)
    out = Path(args.out)
    _write(tab, out)
    print(summary)
    if tab["suppressed"].any():
        n = int(tab["suppressed"].sum())
        print(_msg("suppressed", lang, threshold=rule.min_n, n=n))
    print(_msg("written", lang, path=str(out)))
    return EXIT_OK


run_cli = guarded(_run)
