"""Power by simulation for :func:`wattelt_eval.power` (``method="simulate"``; internal).

Two generators:

* ``model``: the model behind the formula, drawn at the team level (a team's sum is all
  the ``cluster_t`` analysis of an unadjusted difference needs): continuous and
  proportion outcomes as a normal random team intercept plus normal residents; binary as
  beta-binomial (team probability ~ Beta with the ICC); counts as gamma-Poisson (gamma
  team frailty for the ICC, gamma resident heterogeneity for the remaining
  overdispersion). The analysis, :func:`cluster_t_test`, is the vectorised form of
  ``compare(..., method="unadjusted", ci="cluster_t", cluster=...)`` (the per-arm
  team-sum variance of :func:`.bootstrap.if_variance` with Welch-Satterthwaite df); a
  test checks it against ``compare`` on the same data.
* ``synth``: pilots from :func:`wattelt_eval.synth.generate`, outcomes from
  :func:`wattelt_eval.outcome.outcome_set`, compared as the council report does
  (:data:`REPORT_ANALYSIS`; ``wattelt_eval.report`` ranks above ``estimation``, so the
  plan is mirrored here and a test keeps the two equal).

Both are seeded (``numpy.random.SeedSequence``) and deterministic.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._shared import txt

#: How the council report compares a headline outcome (``wattelt_eval.report.plan``):
#: the methods tried in order, the base covariates (plus the study's extra ones), the
#: cluster column and the bootstrap replicates.
REPORT_ANALYSIS: dict[str, Any] = {
    "methods": ("aipw", "unadjusted"),
    "covariates": ("age", "sex", "household", "n_problem_domains_t0"),
    "cluster": "team",
    "n_boot": 999,
}
#: The outcome-table columns the report compares (its headline outcomes).
SYNTH_OUTCOMES: tuple[str, ...] = ("goal_retention", "n_retells", "cost_total", "any_provision")


# ------------------------------------------------------------------------------ analysis
def cluster_t_test(
    sums: np.ndarray, sizes: np.ndarray, treated: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``cluster_t`` test of an unadjusted difference of arm means, per replicate.

    ``sums`` and ``sizes`` are (R, G) team sums and sizes, ``treated`` (G,) the team's
    arm. Returns (difference, SE, df, two-sided p-value), each (R,); the p-value is NaN
    when the outcome does not vary at all. As
    :func:`.bootstrap.if_variance` for teams holding one arm: influence sums
    ``psi_g = (S_g - m_g ybar_a) / n_a``, variance ``sum_a G_a/(G_a-1) sum psi_g^2``,
    t on Welch-Satterthwaite df clipped to ``[1, G - 2]``.
    """
    g = len(treated)
    comps, dfs, means = [], [], []
    for a in (True, False):
        s, m = sums[:, treated == a], sizes[:, treated == a]
        n_a = m.sum(axis=1)
        ybar = s.sum(axis=1) / n_a
        psi = (s - m * ybar[:, None]) / n_a[:, None]
        ga = s.shape[1]
        comps.append(ga / (ga - 1) * (psi**2).sum(axis=1))
        dfs.append(ga - 1)
        means.append(ybar)
    v = comps[0] + comps[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        df = v**2 / (comps[0] ** 2 / dfs[0] + comps[1] ** 2 / dfs[1])
        df = np.clip(np.where(np.isfinite(df), df, g - 2.0), 1.0, g - 2.0)
        t = (means[0] - means[1]) / np.sqrt(v)
    p = np.where(v > 0, 2 * stats.t.sf(np.abs(t), df), np.nan)
    return means[0] - means[1], np.sqrt(v), df, p


# ---------------------------------------------------------------------- team-level model
def _sizes(total: float, k: int, cv: float, n_sim: int, rng: np.random.Generator) -> np.ndarray:
    """(R, k) whole team sizes: equal (``total`` spread as evenly as whole residents
    allow) or, with ``cv > 0``, gamma draws with mean ``total / k`` and that cv."""
    if cv > 0:
        shape = 1.0 / cv**2
        draw = rng.gamma(shape, (total / k) / shape, size=(n_sim, k))
        return np.maximum(np.rint(draw), 1.0)
    whole = int(round(total))
    base = np.full(k, whole // k, dtype=float)
    base[: whole % k] += 1
    return np.broadcast_to(base, (n_sim, k)).copy()


def _given_sizes(sizes: np.ndarray, total: float, k: int, n_sim: int) -> np.ndarray:
    """(R, k) whole team sizes following the planned ``sizes`` (quantiles when ``k``
    differs), scaled to ``total``."""
    q = np.quantile(sizes, (np.arange(k) + 0.5) / k) if k != len(sizes) else np.sort(sizes)
    out = np.maximum(np.rint(q * total / q.sum()), 1.0)
    return np.broadcast_to(out, (n_sim, k)).copy()


def _team_sums(plan: Any, mean: float, m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(R, k) team sums of an arm with mean ``mean`` per resident and sizes ``m``."""
    icc = plan.icc
    if plan.kind == "binary":
        if icc > 0:
            c = 1.0 / icc - 1.0
            p = rng.beta(mean * c, (1 - mean) * c, size=m.shape)
        else:
            p = np.full(m.shape, mean)
        return rng.binomial(m.astype(np.int64), p).astype(float)
    if plan.kind == "count":
        var = mean + plan.dispersion * mean**2
        su2 = icc * var / mean**2
        phi_w = (plan.dispersion - su2) / (1 + su2)
        u = rng.gamma(1 / su2, su2, size=m.shape) if su2 > 0 else np.ones(m.shape)
        het = rng.gamma(m / phi_w, phi_w) if phi_w > 1e-12 else m
        return rng.poisson(mean * u * het).astype(float)
    sd = plan.sd
    b = rng.normal(0.0, sd * np.sqrt(icc), size=m.shape)
    e = rng.normal(0.0, 1.0, size=m.shape) * sd * np.sqrt((1 - icc) / m)
    return m * (mean + b + e)


def _arm_means(plan: Any, effect: float) -> tuple[float, float]:
    """Per-resident means (treated, control) on the outcome scale."""
    if plan.kind == "count":
        return plan.mean_control + effect, plan.mean_control
    if plan.kind in ("binary", "proportion"):
        return plan.p_control + effect, plan.p_control
    return effect, 0.0


def simulate_model(
    plan: Any,
    effect: float,
    n: float,
    n_sim: int,
    rng: np.random.Generator,
    cluster_sizes: Any = None,
) -> dict[str, Any]:
    """Simulated power of ``cluster_t`` for one design; row entries."""
    lay = plan.layout(n)
    k1, k0 = int(lay.k1), int(lay.k0)
    if cluster_sizes is not None:
        given = np.asarray(cluster_sizes, dtype=float)
        m1 = _given_sizes(given, lay.n1, k1, n_sim)
        m0 = _given_sizes(given, lay.n0, k0, n_sim)
    else:
        m1 = _sizes(lay.n1, k1, plan.cv, n_sim, rng)
        m0 = _sizes(lay.n0, k0, plan.cv, n_sim, rng)
    mu1, mu0 = _arm_means(plan, effect)
    sums = np.hstack([_team_sums(plan, mu1, m1, rng), _team_sums(plan, mu0, m0, rng)])
    sizes = np.hstack([m1, m0])
    treated = np.r_[np.ones(k1, bool), np.zeros(k0, bool)]
    est, _, _, p = cluster_t_test(sums, sizes, treated)
    pw = float(np.mean(p < plan.alpha))  # NaN (no spread at all) is not a rejection
    return {
        "power": pw,
        "power_mc_se": float(np.sqrt(pw * (1 - pw) / n_sim)),
        "power_analytic": plan.power_of(effect, lay),
        "estimate_mean": float(est.mean()),
        "n_sim": n_sim,
    }


# ------------------------------------------------------------------------------ synth
def _report_compare(table: pd.DataFrame, outcome: str, covariates: list[str], cluster, seed):
    """(estimate, p-value, method) of the report's comparison (methods tried in order)."""
    from .effects import compare

    for method in REPORT_ANALYSIS["methods"]:
        if method != "unadjusted" and not covariates:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = compare(
                    table,
                    outcome,
                    arm="arm",
                    covariates=covariates if method != "unadjusted" else None,
                    method=method,
                    cluster=cluster,
                    n_boot=REPORT_ANALYSIS["n_boot"],
                    seed=seed,
                )
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError):
            continue
        if np.isfinite([res.estimate, res.ci_low, res.ci_high]).all():
            return res.estimate, res.p_value, method
    return np.nan, np.nan, "failed"


def simulate_synth(
    n_trajectories: int, outcome: str, effects: Any, n_sim: int, seed: int, alpha: float
) -> dict[str, Any]:
    """Power of the report's comparison of ``outcome`` over ``n_sim`` generated pilots."""
    from ..outcome import outcome_set
    from ..synth import generate

    seeds = np.random.SeedSequence(seed).generate_state(n_sim)
    rows = []
    for s in seeds:
        data = generate(int(n_trajectories), seed=int(s), effects=effects, superpopulation=None)
        t = outcome_set(data).table
        cands = list(
            dict.fromkeys(
                [*REPORT_ANALYSIS["covariates"], *getattr(data.study, "extra_covariates", ())]
            )
        )
        covs = [c for c in cands if c in t and t[c].notna().any() and t[c].nunique() > 1]
        cl = REPORT_ANALYSIS["cluster"]
        cluster = cl if t[cl].notna().all() and t[cl].nunique() >= 2 else None
        est, p, method = _report_compare(t, outcome, covs, cluster, int(data.study.seed))
        ok = t[outcome].notna()
        rows.append(
            {
                "truth": data.truth["sample"][outcome]["difference"],
                "estimate": est,
                "rejected": bool(p < alpha) if np.isfinite(p) else False,
                "method": method,
                "n1": int((ok & (t["arm"] == "demand_driven")).sum()),
                "n0": int((ok & (t["arm"] == "supply_driven")).sum()),
            }
        )
    r = pd.DataFrame(rows)
    pw = float(r["rejected"].mean())
    return {
        "power": pw,
        "power_mc_se": float(np.sqrt(pw * (1 - pw) / n_sim)),
        "effect": float(r["truth"].mean()),
        "estimate_mean": float(r["estimate"].mean()),
        "n_treated_mean": float(r["n1"].mean()),
        "n_control_mean": float(r["n0"].mean()),
        "n_fallback": int((r["method"] == "unadjusted").sum()),
        "n_failed": int((r["method"] == "failed").sum()),
        "n_sim": n_sim,
    }


# ------------------------------------------------------------------------------ entry
def _problems(plan: Any, effect, n_per_arm, power, generator, n_sim, outcome) -> list:
    from .sample_size import _problems as analytic_problems

    out = []
    if power is not None or n_per_arm is None or (effect is None) != (generator == "synth"):
        out.append(("simulate_power_only", {}))
    if not (isinstance(n_sim, (int, np.integer)) and n_sim >= 10):
        out.append(("n_sim", {"n_sim": n_sim}))
    if generator == "synth":
        if outcome not in SYNTH_OUTCOMES:
            out.append(("synth_outcome", {"outcome": outcome, "known": ", ".join(SYNTH_OUTCOMES)}))
        return out
    if not plan.clustered:
        out.append(("simulate_needs_teams", {}))
    eff = 0.0 if effect is None else effect
    out += [p for p in analytic_problems(eff, n_per_arm, None, plan) if p[0] != "two_of_three"]
    if plan.kind == "count" and plan.mean_control and plan.mean_control + eff > 0:
        for mu in (plan.mean_control, plan.mean_control + eff):
            if plan.icc * (mu + plan.dispersion * mu**2) / mu**2 > plan.dispersion + 1e-12:
                out.append(("count_frailty", {}))
                break
    return out


def simulate(
    plan: Any,
    effect: float | None,
    n_per_arm: Any,
    power: float | None,
    *,
    generator: str,
    n_sim: int,
    seed: int,
    outcome: str,
    effects: Any,
    cluster_sizes: Any,
    lang: str,
):
    """``power(..., method="simulate")``: one row per ``n_per_arm``."""
    from dataclasses import replace

    from .sample_size import PowerResult, _raise_problems, _scenario, _texts

    _raise_problems(_problems(plan, effect, n_per_arm, power, generator, n_sim, outcome))
    if plan.kind == "proportion" and plan.sd is None:
        plan = replace(plan, sd=float(np.sqrt(plan.p_control * (1 - plan.p_control))))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    rows, t0 = [], time.perf_counter()
    for n in np.atleast_1d(n_per_arm):
        n = float(n)
        if generator == "synth":
            n_traj = int(round(n * (1 + plan.ratio)))
            sim = simulate_synth(n_traj, outcome, effects, n_sim, seed, plan.alpha)
            rows.append({"kind": outcome, "n_per_arm": n, "n_trajectories": n_traj, **sim})
        else:
            sim = simulate_model(plan, effect, n, n_sim, rng, cluster_sizes)
            base = _scenario(plan, {"kind": plan.kind, "effect": effect, "n_per_arm": n})
            base["effect_size"] = plan.std_effect(effect)
            rows.append({**base, **sim})
    seconds = time.perf_counter() - t0
    table = pd.DataFrame(rows)
    if generator == "synth":
        analysis = " / ".join(REPORT_ANALYSIS["methods"])
        eff_text = effects if isinstance(effects, str) else repr(effects)
        method = txt(
            "power_plan.simulate.synth",
            lang,
            n_sim=n_sim,
            seed=seed,
            effects=eff_text,
            analysis=analysis,
        )
        design = txt(
            "power_plan.simulate.synth_design",
            lang,
            n=", ".join(str(x) for x in table["n_trajectories"]),
        )
    else:
        method = txt("power_plan.simulate.model", lang, n_sim=n_sim, seed=seed)
        design = _texts(plan, lang)[1]
    diag = {
        "generator": generator,
        "n_sim": n_sim,
        "seed": seed,
        "seconds_per_100": 100 * seconds / (n_sim * len(rows)),
    }
    return PowerResult(table, "power", plan.kind, method, design, diag, lang)
