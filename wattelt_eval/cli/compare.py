"""``wattelt-eval compare``: compare arms on one or more outcomes from the command line."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..estimation.effects import HEADLINE, compare, compare_all

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


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``wattelt-eval compare``."""
    p = subparsers.add_parser(
        "compare",
        help="compare arms on outcomes / vergelijk armen op uitkomsten",
        description=(
            "Vergelijk de armen op één of meer uitkomsten (verschil, ratio, 95%-BI, p). / "
            "Compare the arms on one or more outcomes (difference, ratio, 95% CI, p). PATH is "
            "an outcome table (.csv/.parquet, from 'wattelt-eval outcomes') or a data package "
            "(folder or .xlsx)."
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
        "--method",
        default="unadjusted",
        choices=["unadjusted", "regression", "ipw", "aipw"],
        help="estimator / schatter",
    )
    p.add_argument(
        "--covariates",
        default=None,
        help="formula right-hand side, e.g. 'age + C(household)' / covariaten",
    )
    p.add_argument(
        "--kind",
        default="auto",
        choices=["auto", "continuous", "binary", "count", "proportion", "cost"],
    )
    p.add_argument("--cluster", default=None, help="cluster column, e.g. team / clusterkolom")
    p.add_argument("--by", default=None, help="effect modifier (one outcome) / effectmodificator")
    p.add_argument(
        "--ci", default="auto", choices=["auto", "sandwich", "cluster_t", "wild", "bootstrap"]
    )
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap replicates")
    p.add_argument("--seed", type=int, default=20250101, help="seed of the bootstrap")
    p.add_argument("--no-holm", action="store_true", help="no Holm adjustment (several outcomes)")
    p.add_argument("--out", required=True, help="output table, .csv or .parquet / uitvoerbestand")
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="language / taal")


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


def suppress_small(tab: pd.DataFrame, min_n: int = 10) -> pd.DataFrame:
    """Hide statistics resting on fewer than ``min_n`` residents in an arm (DESIGN.md
    section 7): the row's numbers become missing and ``suppressed`` is True. Interaction
    rows are hidden when one of their subgroups is."""
    from ..disclosure import can_show

    t = tab.copy()
    t["suppressed"] = False
    has_n = t["n_control"].notna() & t["n_treated"].notna()
    for i in t.index[has_n]:
        if not can_show([t.at[i, "n_control"], t.at[i, "n_treated"]], "min10", min_n):
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


def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval compare``; 0 ok, 1 invalid data, 2 usage error."""
    nl = args.lang == "nl"
    err = sys.stderr
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        print(
            f"wattelt-eval compare: {out} "
            + ("moet eindigen op .csv of .parquet" if nl else "must end in .csv or .parquet"),
            file=err,
        )
        return 2
    if bool(args.path) == bool(args.demo):
        print(
            "wattelt-eval compare: "
            + (
                "geef een PAD of --demo (niet allebei)"
                if nl
                else "give a PATH or --demo (not both)"
            ),
            file=err,
        )
        return 2
    outcomes = args.outcome or list(HEADLINE)
    if args.by and len(outcomes) > 1:
        print(
            "wattelt-eval compare: --by "
            + ("werkt met één --outcome" if nl else "needs exactly one --outcome"),
            file=err,
        )
        return 2
    from ..outcome import outcomes as outcome_table

    if args.demo:
        from .. import synth

        table = outcome_table(synth.demo())
    else:
        path = Path(args.path)
        if not path.exists():
            print(
                f"wattelt-eval compare: {path} " + ("bestaat niet" if nl else "does not exist"),
                file=err,
            )
            return 2
        if path.is_file() and path.suffix.lower() in (".csv", ".parquet"):
            table = _read_table(path)
        else:
            from ..validation import ValidationError, load

            try:
                table = outcome_table(load(path))
            except ValidationError as exc:
                print(("Ongeldige data:" if nl else "Invalid data:") + f" {exc}", file=err)
                problems = getattr(exc, "problems", None)
                if problems is not None and len(problems):
                    print(problems.to_string(index=False), file=err)
                return 1
    kw = dict(
        arm=args.arm,
        covariates=args.covariates,
        method=args.method,
        kind=args.kind,
        cluster=args.cluster,
        n_boot=args.n_boot,
        seed=args.seed,
        treated=args.treated,
        ci=args.ci,
        lang=args.lang,
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if len(outcomes) == 1:
                res = compare(table, outcomes[0], by=args.by, **kw)
                tab = res.table.copy()
                tab["design"] = res.design
                text = res.summary()
            else:
                tab = compare_all(table, outcomes, holm=not args.no_holm, **kw)
                text = (
                    tab[
                        [
                            "outcome",
                            "term",
                            "estimate",
                            "ci_low",
                            "ci_high",
                            "p_value",
                            "p_holm",
                            "ci_method",
                        ]
                    ]
                    .round(4)
                    .to_string(index=False)
                )
    except (ValueError, TypeError) as exc:
        print(f"wattelt-eval compare: {exc}", file=err)
        return 1
    for w in caught:
        print(f"{'waarschuwing' if nl else 'warning'}: {w.message}", file=err)
    tab = suppress_small(tab)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        tab.to_parquet(out, index=False)
    else:
        tab.to_csv(out, index=False, lineterminator="\n")
    print(text)
    if tab["suppressed"].any():
        print(
            ("rijen onderdrukt (<10 per arm): " if nl else "rows suppressed (<10 per arm): ")
            + str(int(tab["suppressed"].sum()))
        )
    print(("geschreven naar " if nl else "written to ") + str(out))
    return 0
