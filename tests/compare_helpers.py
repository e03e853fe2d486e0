"""Simulated outcome tables for the comparison-engine tests (columns as in
docs/architecture.md "The outcome table"), with known true effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special


def make_table(
    n_per_arm: int = 150,
    n_teams: int = 8,
    seed: int = 0,
    effect_retention: float = 0.5,  # log-odds
    effect_retells: float = -0.4,  # log rate ratio
    effect_cost: float = -0.2,  # log ratio of the positive part
    team_sd: float = 0.2,
    confounding: float = 0.0,
) -> pd.DataFrame:
    """Arm assigned per team (half the teams demand_driven)."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_arm
    teams = np.array([f"T{k}" for k in range(n_teams)])
    arm_team = np.array(
        ["demand_driven"] * (n_teams // 2) + ["supply_driven"] * (n_teams - n_teams // 2)
    )
    a = np.repeat([1, 0], n_per_arm)
    team_idx = np.where(
        a == 1,
        rng.integers(0, n_teams // 2, n),
        rng.integers(n_teams // 2, n_teams, n),
    )
    u = rng.normal(0, team_sd, n_teams)[team_idx]
    age = rng.normal(55 + confounding * 5 * a, 15, n).round()
    household = rng.choice(["single", "couple", "family"], n, p=[0.5, 0.3, 0.2])
    npd = rng.poisson(1.5 + confounding * 0.5 * (1 - a))
    z = (age - 55) / 15
    k = rng.integers(1, 6, n)
    p_ret = special.expit(0.2 + effect_retention * a - 0.3 * z + u)
    ret = rng.binomial(k, p_ret)
    lam = np.exp(0.3 + effect_retells * a + 0.2 * z + 0.15 * npd + u)
    retells = rng.poisson(lam * rng.gamma(2.0, 0.5, n))
    p_any = special.expit(0.3 - 0.5 * a + 0.3 * z + 0.2 * npd + u)
    anyp = rng.random(n) < p_any
    cost = np.where(anyp, rng.gamma(2.0, np.exp(7.5 + effect_cost * a + 0.2 * z + u) / 2.0), 0.0)
    cost_staff = rng.gamma(2.0, 150, n)
    df = pd.DataFrame(
        {
            "trajectory_id": [f"t{i:05d}" for i in range(n)],
            "arm": pd.array(np.where(a == 1, "demand_driven", "supply_driven"), dtype="string"),
            "team": pd.array(teams[team_idx], dtype="string"),
            "age": age,
            "sex": pd.array(rng.choice(["female", "male"], n), dtype="string"),
            "household": pd.array(household, dtype="string"),
            "n_resident_goals": pd.array(k, dtype="Int64"),
            "n_resident_goals_retained": pd.array(ret, dtype="Int64"),
            "goal_retention": ret / k,
            "n_retells": pd.array(retells, dtype="Int64"),
            "cost_provisions": cost,
            "cost_staff": cost_staff,
            "cost_total": cost + cost_staff * 0,
            "any_provision": pd.array(anyp, dtype="boolean"),
            "n_problem_domains_t0": pd.array(npd, dtype="Int64"),
            "problem_domains_group": pd.array(np.where(npd >= 2, "2+", "0-1"), dtype="string"),
            "mean_change_resident": rng.normal(0.5 + 0.3 * a, 1.0, n),
        }
    )
    del arm_team
    return df
