"""Coverage and type-I error of ``we.event_study`` on the staggered generator design.

Each replication simulates an Eindhoven pilot with ``design="staggered"`` (12 teams, three
cohorts switching in 2023-10, 2024-04 and 2024-10, three teams never; the effect builds up
over four months), estimates the effects by month since the switch from team x month
data (clustered by team: 12 clusters, t(11)), and checks the intervals against the
sample truth: the mean of (demand-driven - supply-driven) potential outcome over the
switched trajectories at that event time. Under ``effects="null"`` the truth is 0.
The outcome is the observed potential outcome of the generator (the outcome pipeline is
tested separately against the same truth).

    nice -n 10 python benchmarks/sim_staggered.py --reps 250 --n 6000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

import wattelt_eval.synth as S
from wattelt_eval.estimation.staggered import event_study

OUTCOMES = ("any_provision", "goal_retention")
WINDOW = (-6, 12)


def one_ri(seed: int, n: int) -> list[dict]:
    """Null effects: the pre-trend test and the overall effect, analytic and randomization."""
    d = S.generate(n, seed=seed, design="staggered", effects="null", superpopulation=None)
    tr = d.trajectories[["trajectory_id", "team", "start_date"]].copy()
    po = d.truth["potential_outcomes"].set_index("trajectory_id")
    sw = d.truth["team_switch"].set_index("team")["switch_date"]
    tr["month"] = pd.to_datetime(tr["start_date"]).dt.strftime("%Y-%m")
    tr["adoption"] = tr["team"].astype(str).map(sw).str.slice(0, 7)
    out = []
    for o in OUTCOMES:
        df = tr.assign(y=tr["trajectory_id"].map(po[f"{o}_obs"]).astype(float))
        df = df[df["y"].notna()]
        r = event_study(
            df, "y", "team", "month", "adoption", window=WINDOW, inference="randomization"
        )
        a = event_study(df, "y", "team", "month", "adoption", window=WINDOW)
        ov_r = r.tidy().query("kind == 'overall'").iloc[0]
        ov_a = a.tidy().query("kind == 'overall'").iloc[0]
        out.append(
            {
                "seed": seed,
                "outcome": o,
                "pretrend_reject": r.pretrend["p_value"] < 0.05,
                "overall_analytic_reject": ov_a["p_value"] < 0.05,
                "overall_randomization_reject": ov_r["p_value"] < 0.05,
                "overall_randomization_covered": ov_r["ci_low"] <= 0 <= ov_r["ci_high"],
            }
        )
    return out


def one(seed: int, n: int, effects: str) -> list[dict]:
    d = S.generate(n, seed=seed, design="staggered", effects=effects, superpopulation=None)
    tr = d.trajectories[["trajectory_id", "team", "start_date"]].copy()
    po = d.truth["potential_outcomes"].set_index("trajectory_id")
    sw = d.truth["team_switch"].set_index("team")["switch_date"]
    tr["month"] = pd.to_datetime(tr["start_date"]).dt.to_period("M").astype(str)
    tr["adoption"] = tr["team"].astype(str).map(sw).str.slice(0, 7)
    m = pd.PeriodIndex(tr["month"], freq="M").asi8
    a = pd.PeriodIndex(tr["adoption"].where(tr["adoption"].notna(), None), freq="M").asi8
    tr["event"] = np.where(tr["adoption"].notna(), m - a, -999)
    out = []
    for o in OUTCOMES:
        df = tr.join(po[[f"{o}_obs", f"{o}_d", f"{o}_s"]], on="trajectory_id")
        df = df[df[f"{o}_obs"].notna()]
        r = event_study(df, f"{o}_obs", "team", "month", "adoption", window=WINDOW)
        t = r.tidy()
        eff_ = df[f"{o}_d"] - df[f"{o}_s"]
        treated = df["event"] >= 0
        truth_ev = eff_[treated].groupby(df.loc[treated, "event"]).mean()
        for row in t[t["kind"].isin(["overall", "event"])].itertuples():
            if row.kind == "overall":
                sel = treated & (df["event"] <= WINDOW[1])
                truth = float(eff_[sel].mean())
            elif row.event_time < 0:
                truth = 0.0
            else:
                truth = float(truth_ev.get(int(row.event_time), np.nan))
            out.append(
                {
                    "seed": seed,
                    "outcome": o,
                    "kind": row.kind,
                    "event_time": row.event_time,
                    "estimate": row.estimate,
                    "truth": truth,
                    "covered": bool(row.ci_low <= truth <= row.ci_high),
                    "reject0": bool(row.p_value < 0.05),
                }
            )
        out.append(
            {
                "seed": seed,
                "outcome": o,
                "kind": "pretrend",
                "event_time": np.nan,
                "estimate": np.nan,
                "truth": 0.0,
                "covered": np.nan,
                "reject0": bool(r.pretrend["p_value"] < 0.05),
            }
        )
    return out


def summarise(df: pd.DataFrame) -> dict:
    res = {}
    for (o, kind), g in df.groupby(["outcome", "kind"]):
        entry = {}
        if kind != "pretrend":
            c = g["covered"].astype(float)
            entry["coverage"] = float(c.mean())
            entry["coverage_mc_se"] = float(np.sqrt(c.mean() * (1 - c.mean()) / len(c)))
            entry["mean_bias"] = float((g["estimate"] - g["truth"]).mean())
            if kind == "event":
                entry["coverage_by_event_time"] = {
                    str(int(e)): float(h["covered"].mean()) for e, h in g.groupby("event_time")
                }
        r = g["reject0"].astype(float)
        entry["rejection_rate"] = float(r.mean())
        entry["rejection_mc_se"] = float(np.sqrt(r.mean() * (1 - r.mean()) / len(r)))
        entry["n"] = int(len(g))
        res[f"{o}/{kind}"] = entry
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=250)
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--out", default="benchmarks/results/sim_staggered.json")
    ap.add_argument("--part", choices=("main", "null_ri"), default="main")
    args = ap.parse_args()
    if args.part == "null_ri":
        t0 = time.time()
        rows = pd.DataFrame([x for rep in range(args.reps) for x in one_ri(20_000 + rep, args.n)])
        res = {
            "settings": {
                "reps": args.reps,
                "n_trajectories": args.n,
                "effects": "null",
                "window": WINDOW,
                "clusters": "team (12)",
                "n_permutations": 999,
            }
        }
        for o, g in rows.groupby("outcome"):
            res[o] = {
                c: {
                    "rate": float(g[c].mean()),
                    "mc_se": float(np.sqrt(g[c].mean() * (1 - g[c].mean()) / len(g))),
                }
                for c in rows.columns
                if c not in ("seed", "outcome")
            }
        res["seconds"] = round(time.time() - t0, 1)
        Path(args.out).write_text(json.dumps(res, indent=2), encoding="utf-8")
        print(json.dumps(res, indent=2))
        return
    t0 = time.time()
    result = {
        "settings": {
            "reps": args.reps,
            "n_trajectories": args.n,
            "window": WINDOW,
            "design": "staggered",
            "clusters": "team (12)",
            "alpha": 0.05,
        }
    }
    for effects in ("default", "null"):
        rows = []
        for rep in range(args.reps):
            rows += one(10_000 + rep, args.n, effects)
        result[effects] = summarise(pd.DataFrame(rows))
    result["seconds"] = round(time.time() - t0, 1)
    Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
