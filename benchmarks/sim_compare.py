"""Simulation study of ``we.compare``: bias, RMSE, 95% CI coverage and type-I error.

Simulated pilots of ``--n-per-arm`` trajectories per arm in ``--teams`` teams (the arm is
assigned per team, half the teams in each arm), case-mix confounded with the arm. For each
headline outcome and method the script fits ``we.compare(..., cluster="team")`` (which
chooses the few-cluster inference automatically) and compares with the known truth;
under ``--setting null`` the truth is no effect and the rejection rate is the type-I error.

Sources of pilots
-----------------
``synth``     ``we.synth.generate`` + ``we.outcomes`` (the package's own generator, concurrent
              design, 8 teams) with its superpopulation truth ``data.truth``;
``internal``  a vectorised generator in this file, at the level of the outcome table,
              whose super-population truth is computed by Monte Carlo.

Usage::

    python benchmarks/sim_compare.py --source internal --n-sims 200 \
        --out benchmarks/results/sim_compare_internal.json

Keep it affordable: one process, ~0.05 s per fit; 200 pilots x 4 outcomes x 4 methods x
2 settings is about 10 minutes on one core.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from wattelt_eval.estimation import compare

OUTCOMES = ("goal_retention", "n_retells", "cost_total", "any_provision")
METHODS = ("unadjusted", "regression", "ipw", "aipw")
COVARIATES = "age + C(household) + n_problem_domains_t0"

# internal generator: effects on the linear-predictor scale
EFFECTS = {"goal_retention": 0.4, "n_retells": -0.3, "any_provision": -0.4, "cost_total": -0.2}


def internal_pilot(rng, n_per_arm, n_teams, effects, team_sd=0.2, confounding=1.0, both_arms=False):
    """One pilot at the level of the outcome table. With ``both_arms`` returns the
    conditional means of both potential outcomes instead (for the truth)."""
    n = 2 * n_per_arm
    a = np.repeat([1, 0], n_per_arm)
    half = n_teams // 2
    team = np.where(a == 1, rng.integers(0, half, n), rng.integers(half, n_teams, n))
    u = rng.normal(0, team_sd, (4, n_teams))[:, team]
    age = np.round(rng.normal(55 - 6 * confounding * a, 15, n))
    z = (age - 55) / 15
    household = rng.choice(["single", "couple", "family"], n, p=[0.5, 0.3, 0.2])
    npd = rng.poisson(np.exp(np.log(1.5) - 0.3 * confounding * a))
    single = household == "single"
    k = rng.integers(1, 6, n)

    def lin(arm):
        return {
            "goal_retention": 0.3 + effects["goal_retention"] * arm - 0.3 * z - 0.15 * npd + u[0],
            "n_retells": 0.2
            + effects["n_retells"] * arm
            + 0.2 * z
            + 0.2 * npd
            + 0.2 * single
            + u[1],
            "any_provision": -0.2 + effects["any_provision"] * arm + 0.4 * z + 0.3 * npd + u[2],
            "cost_pos": 7.5 + effects["cost_total"] * arm + 0.2 * z + 0.1 * npd + u[3],
        }

    if both_arms:
        out = {}
        for arm in (0, 1):
            L = lin(arm)
            p_any = special.expit(L["any_provision"])
            out[arm] = {
                "goal_retention": (special.expit(L["goal_retention"]), k),
                "n_retells": (np.exp(L["n_retells"]), None),
                "any_provision": (p_any, None),
                "cost_total": (p_any * np.exp(L["cost_pos"]), None),
            }
        return out
    L = lin(a)
    p_ret = special.expit(L["goal_retention"])
    ret = rng.binomial(k, p_ret)
    retells = rng.poisson(np.exp(L["n_retells"]) * rng.gamma(2.0, 0.5, n))
    anyp = rng.random(n) < special.expit(L["any_provision"])
    cost = np.where(anyp, rng.gamma(1.5, np.exp(L["cost_pos"]) / 1.5), 0.0)
    return pd.DataFrame(
        {
            "arm": np.where(a == 1, "demand_driven", "supply_driven"),
            "team": team.astype(str),
            "age": age,
            "household": household,
            "n_problem_domains_t0": npd,
            "n_resident_goals": k,
            "goal_retention": ret / k,
            "n_retells": retells,
            "cost_total": cost,
            "any_provision": anyp,
        }
    )


def internal_truth(effects, n_per_arm_big=400_000, seed=99):
    """Super-population marginal differences by Monte Carlo (both potential outcomes
    on the same units, team effects drawn from their distribution)."""
    rng = np.random.default_rng(seed)
    pot = internal_pilot(rng, n_per_arm_big, 20_000, effects, both_arms=True)
    truth = {}
    for out in OUTCOMES:
        m = []
        for arm in (0, 1):
            vals, w = pot[arm][out]
            m.append(np.average(vals, weights=w))
        truth[out] = float(m[1] - m[0])
    return truth


def synth_source(n_per_arm, n_teams, setting):
    """Pilots from ``we.synth.generate`` (concurrent design: 8 teams in two
    municipalities, the arm assigned per team, case-mix differing by arm) and the
    generator's superpopulation truth (fixed across pilots)."""
    import wattelt_eval as we

    if n_teams != 8:
        raise SystemExit("--source synth has the generator's 8 teams; use --teams 8")

    def draw(seed):
        data = we.synth.generate(
            n_trajectories=2 * n_per_arm,
            seed=seed,
            effects="default" if setting == "effect" else "null",
        )
        table = we.outcomes(data)
        truth = {k: v["difference"] for k, v in data.truth["superpopulation"].items()}
        return table, truth

    return draw


def run(args):
    rng = np.random.default_rng(args.seed)
    effects = EFFECTS if args.setting == "effect" else {k: 0.0 for k in EFFECTS}
    truth = internal_truth(effects) if args.source == "internal" else None
    draw = (
        synth_source(args.n_per_arm, args.teams, args.setting) if args.source == "synth" else None
    )
    records = []
    t0 = time.time()
    for sim in range(args.n_sims):
        if args.source == "internal":
            table = internal_pilot(rng, args.n_per_arm, args.teams, effects)
            tr = truth
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table, tr = draw(args.seed * 1000 + sim)
        for out in args.outcomes:
            for method in args.methods:
                for ci in args.ci:
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            res = compare(
                                table,
                                out,
                                "arm",
                                covariates=None if method == "unadjusted" else COVARIATES,
                                method=method,
                                cluster="team",
                                ci=ci,
                                n_boot=499,
                                seed=sim,
                            )
                        records.append(
                            dict(
                                sim=sim,
                                outcome=out,
                                method=method,
                                ci=res.ci_method,
                                estimate=res.estimate,
                                ci_low=res.ci_low,
                                ci_high=res.ci_high,
                                p=res.p_value,
                                truth=tr[out] if isinstance(tr, dict) else np.nan,
                            )
                        )
                    except Exception as exc:  # record failures, they count against the method
                        records.append(
                            dict(
                                sim=sim,
                                outcome=out,
                                method=method,
                                ci=ci,
                                estimate=np.nan,
                                ci_low=np.nan,
                                ci_high=np.nan,
                                p=np.nan,
                                truth=np.nan,
                                error=str(exc)[:200],
                            )
                        )
        if (sim + 1) % 20 == 0:
            print(f"{sim + 1}/{args.n_sims} pilots, {time.time() - t0:.0f} s", flush=True)
    df = pd.DataFrame(records)
    df["covered"] = (df.ci_low <= df.truth) & (df.truth <= df.ci_high)
    df["reject"] = df.p < 0.05
    df["err"] = df.estimate - df.truth
    summ = (
        df.groupby(["outcome", "method", "ci"], sort=False)
        .agg(
            n_ok=("estimate", lambda s: int(s.notna().sum())),
            truth=("truth", "mean"),
            mean_estimate=("estimate", "mean"),
            bias=("err", "mean"),
            rmse=("err", lambda e: float(np.sqrt(np.nanmean(e**2)))),
            coverage=("covered", "mean"),
            rejection_rate=("reject", "mean"),
            mean_ci_width=("ci_high", lambda s: np.nan),
        )
        .reset_index()
    )
    width = (df.ci_high - df.ci_low).groupby([df.outcome, df.method, df.ci], sort=False).mean()
    summ["mean_ci_width"] = width.to_numpy()
    summ["mc_se_coverage"] = np.sqrt(summ.coverage * (1 - summ.coverage) / summ.n_ok)
    return df, summ, time.time() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", choices=["synth", "internal"], default="internal")
    p.add_argument("--setting", choices=["effect", "null"], default="effect")
    p.add_argument("--n-sims", type=int, default=200)
    p.add_argument("--n-per-arm", type=int, default=150)
    p.add_argument("--teams", type=int, default=8)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--outcomes", nargs="+", default=list(OUTCOMES))
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument(
        "--ci",
        nargs="+",
        default=["auto"],
        help="inference methods to compare (auto, cluster_t, wild, sandwich, bootstrap)",
    )
    p.add_argument("--out", default="benchmarks/results/sim_compare.json")
    args = p.parse_args(argv)
    df, summ, secs = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in vars(args).items()}
    meta["seconds"] = round(secs, 1)
    out.write_text(json.dumps({"meta": meta, "summary": summ.to_dict(orient="records")}, indent=1))
    md = out.with_suffix(".md")
    try:
        body = summ.round(4).to_markdown(index=False)
    except ImportError:  # tabulate not installed
        body = summ.round(4).to_string(index=False)
    md.write_text(f"<!-- {json.dumps(meta)} -->\n\n{body}\n")
    print(summ.round(4).to_string(index=False))
    print(f"{secs:.0f} s")


if __name__ == "__main__":
    main()
