"""Simulation study of multiple imputation (``impute_and_compare``) against complete case.

Each pilot: ``we.synth.generate`` (concurrent design, 8 teams, the arm assigned per team,
case-mix confounded with the arm) with ``--n`` trajectories; outcome ``goal_retention``,
covariates ``age + C(household) + n_problem_domains_t0``, method ``aipw``,
``cluster="team"`` (``ci="auto"`` -> ``cluster_t``). Then covariates are made missing at
random, depending on the observed outcome and arm (MAR): the number of problem domains
(the strongest confounder, numeric) with probability 0.45 where (treated and outcome
above the median) or (control and outcome at or below it), else 0.05 (about 25% in all);
the household (categorical) with probability 0.25 / 0.05 by the same rule (about 15%).
Three analyses per pilot: ``full`` (before deleting: the reference), ``complete_case``
(``compare``, rows with a missing covariate dropped) and ``mi``
(``impute_and_compare``, ``m`` imputations). Truth: the generator's superpopulation
difference (``data.truth["superpopulation"]``), 0 under ``--setting null``.

Usage (one process per part, then merge)::

    nice -n 19 python benchmarks/sim_mi.py run --start 0 --n-sims 250 --out /tmp/mi_a.json
    nice -n 19 python benchmarks/sim_mi.py run --start 250 --n-sims 250 --out /tmp/mi_b.json
    python benchmarks/sim_mi.py merge /tmp/mi_a.json /tmp/mi_b.json \
        --out benchmarks/results/sim_mi.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import wattelt_eval as we
from wattelt_eval.estimation import compare
from wattelt_eval.estimation.imputation import impute_and_compare

OUTCOME = "goal_retention"
COVARIATES = "age + C(household) + n_problem_domains_t0"
ANALYSES = ("full", "complete_case", "mi")


def superpopulation_truth(setting: str) -> float:
    """The generator's superpopulation difference (fixed across pilots)."""
    if setting == "null":
        return 0.0
    data = we.synth.generate(200, seed=1)
    return float(data.truth["superpopulation"][OUTCOME]["difference"])


def make_missing(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Covariates missing at random given the outcome and the arm (see the module text)."""
    a = (table["arm"] == "demand_driven").to_numpy()
    y = table[OUTCOME].to_numpy(dtype=float)
    high = y > np.median(y)
    out = table.copy()
    n = len(table)
    out.loc[rng.random(n) < np.where(a == high, 0.45, 0.05), "n_problem_domains_t0"] = pd.NA
    out.loc[rng.random(n) < np.where(a == high, 0.25, 0.05), "household"] = pd.NA
    return out


def one_pilot(sim: int, args) -> list[dict]:
    seed = args.seed * 10_000 + sim
    effects = "default" if args.setting == "effect" else "null"
    data = we.synth.generate(args.n, seed=seed, effects=effects, superpopulation=None)
    table = we.outcomes(data)
    missing = make_missing(table, np.random.default_rng(seed))
    kw = dict(method="aipw", cluster="team")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ANALYSES:
            t0 = time.perf_counter()
            if name == "full":
                res = compare(table, OUTCOME, "arm", COVARIATES, **kw)
            elif name == "complete_case":
                res = compare(missing, OUTCOME, "arm", COVARIATES, **kw)
            else:
                res = impute_and_compare(
                    missing, OUTCOME, "arm", COVARIATES, m=args.m, seed=seed, **kw
                )
            d = res.table.set_index("term").loc["difference"]
            rows.append(
                {
                    "sim": sim,
                    "analysis": name,
                    "estimate": float(d["estimate"]),
                    "se": float(d["se"]),
                    "ci_low": float(d["ci_low"]),
                    "ci_high": float(d["ci_high"]),
                    "p_value": float(d["p_value"]),
                    "n_used": int(d["n_control"] + d["n_treated"]),
                    "share_missing": float(
                        missing[["n_problem_domains_t0", "household"]].isna().any(axis=1).mean()
                    ),
                    "fmi": float(d["fmi"]) if "fmi" in d else np.nan,
                    "seconds": time.perf_counter() - t0,
                }
            )
    return rows


def run(args) -> None:
    """Run the pilots, rewriting the part file after each one (a stopped run keeps its
    finished pilots; ``merge`` states how many there are)."""
    rows = []
    t0 = time.time()
    truth = superpopulation_truth(args.setting)
    for sim in range(args.start, args.start + args.n_sims):
        rows += one_pilot(sim, args)
        part = {"args": vars(args), "truth": truth, "rows": rows}
        Path(args.out).write_text(json.dumps(part, indent=1))
        print(f"{sim - args.start + 1}/{args.n_sims} pilots, {time.time() - t0:.0f} s", flush=True)


def summarise(rows: pd.DataFrame, truth: float) -> list[dict]:
    """Bias, RMSE, coverage and rejection rate per analysis, with Monte Carlo SEs."""
    out = []
    for name in ANALYSES:
        r = rows[rows["analysis"] == name]
        k = len(r)
        err = r["estimate"] - truth
        cover = ((r["ci_low"] <= truth) & (truth <= r["ci_high"])).astype(float)
        reject = (r["p_value"] < 0.05).astype(float)
        out.append(
            {
                "analysis": name,
                "n_pilots": k,
                "truth": truth,
                "bias": float(err.mean()),
                "bias_mc_se": float(err.std(ddof=1) / np.sqrt(k)),
                "bias_share_of_effect": float(err.mean() / truth) if truth else None,
                "rmse": float(np.sqrt((err**2).mean())),
                "empirical_se": float(r["estimate"].std(ddof=1)),
                "mean_se": float(r["se"].mean()),
                "coverage": float(cover.mean()),
                "coverage_mc_se": float(np.sqrt(cover.mean() * (1 - cover.mean()) / k)),
                "rejection_rate": float(reject.mean()),
                "rejection_mc_se": float(np.sqrt(reject.mean() * (1 - reject.mean()) / k)),
                "mean_ci_width": float((r["ci_high"] - r["ci_low"]).mean()),
                "mean_n_used": float(r["n_used"].mean()),
                "mean_fmi": float(r["fmi"].mean()) if name == "mi" else None,
                "mean_seconds": float(r["seconds"].mean()),
            }
        )
    return out


def merge(args) -> None:
    """Combine part files (of one or both settings) into one results file."""
    parts = [json.loads(Path(p).read_text()) for p in args.parts]
    first = parts[0]["args"]
    result = {
        "description": __doc__.split("Usage")[0].strip(),
        "settings": {
            "n_trajectories": first["n"],
            "m": first["m"],
            "seed": first["seed"],
            "outcome": OUTCOME,
            "covariates": COVARIATES,
            "method": "aipw",
            "cluster": "team (ci auto -> cluster_t)",
            "imputer": "chained_equations (n_iter 5, 5 donors)",
            "machine": f"{platform.machine()}, shared 2-core machine, nice -n 19",
        },
        "runs": {},
    }
    for setting in ("effect", "null"):
        mine = [p for p in parts if p["args"]["setting"] == setting]
        if not mine:
            continue
        rows = pd.DataFrame([r for p in mine for r in p["rows"]]).sort_values(["sim", "analysis"])
        if rows.duplicated(["sim", "analysis"]).any():
            raise SystemExit("overlapping parts")
        summary = summarise(rows, mine[0]["truth"])
        result["runs"][setting] = {
            "n_pilots": int(rows["sim"].nunique()),
            "share_rows_with_a_missing_covariate": float(rows["share_missing"].mean()),
            "summary": summary,
        }
        print(setting)
        print(pd.DataFrame(summary).to_string(index=False))
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--start", type=int, default=0)
    r.add_argument("--n-sims", type=int, default=500)
    r.add_argument("--n", type=int, default=600)
    r.add_argument("--m", type=int, default=20)
    r.add_argument("--seed", type=int, default=2026)
    r.add_argument("--setting", choices=("effect", "null"), default="effect")
    r.add_argument("--out", required=True)
    mg = sub.add_parser("merge")
    mg.add_argument("parts", nargs="+")
    mg.add_argument("--out", required=True)
    args = ap.parse_args()
    run(args) if args.cmd == "run" else merge(args)


if __name__ == "__main__":
    main()
