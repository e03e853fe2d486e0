"""Synthetic pilots with known truth, and the bundled demo pilot.

Real pilot data cannot be shipped, so this module simulates pilots in exactly the
data model of DESIGN.md (section 3): every downstream stage runs on it unchanged.
It serves the demo, the tests, checking estimators against a known truth and
planning the power of a pilot.

How it works
------------
Every trajectory is drawn from one underlying resident (case-mix, severity, team,
dates) and then *both* ways of working are played out with common random numbers:
the same uniforms decide, in both worlds, how many goals the resident brings,
whether each goal survives, whether the plan travels with a handover, which
provisions are needed, and so on; only the arm-dependent probabilities differ.
From these two worlds the headline outcomes of DESIGN.md section 4 are computed
exactly (``goal_retention``, ``n_retells``, ``cost_total``, ``any_provision`` and
some supporting ones): these are the *potential outcomes*. The rows of the world
the resident actually lives in (its ``arm``) become the data.

Under ``effects="null"`` the two worlds are identical trajectory by trajectory
(a sharp null): the treatment changes nothing.

The calibration targets and every assumption are listed in ``docs/synth.md``.

Examples
--------
>>> import wattelt_eval as we
>>> data = we.synth.generate(n_trajectories=500, seed=1)
>>> data.truth["sample"]["goal_retention"]["difference"]  # doctest: +SKIP
0.19...
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .data import PilotData, StudySettings
from .instruments import load_instrument

Design = Literal["concurrent", "did", "its"]
PackageFormat = Literal["csv", "xlsx", "parquet"]
DESIGNS: tuple[str, ...] = ("concurrent", "did", "its")

#: Trajectories are drawn in blocks of this size, each from its own child seed,
#: so the result does not depend on how the output is written (memory or stream).
BLOCK_SIZE = 50_000

#: Seed and size of the internal draw that gives the superpopulation truth.
SUPERPOPULATION_SEED = 740_512_023
SUPERPOPULATION_N = 200_000

#: Seed and size of the bundled demo pilot.
DEMO_SEED = 20250314
DEMO_N = 600

#: Effect parameters of the demand-driven way of working (see docs/synth.md).
DEFAULT_EFFECTS: dict[str, float] = {
    # log rate ratio of the number of *extra* resident goals at intake (1 + Poisson)
    "own_goals": 0.35,
    # log odds ratio that a resident goal is retained (reaches the end or is achieved)
    "goal_retention": 1.0,
    # log odds ratio that the shared plan travels with a handover
    "plan_sharing": 1.6,
    # log rate ratio of the number of specialist referrals
    "referrals": -0.3,
    # log odds ratio of needing each type of individual provision
    "provision": -0.78,
    # share of demand-driven trajectories that get a tailored, more expensive package
    "tailored": 0.10,
    # relative extra minutes of demand-driven assessment and evaluation conversations
    "conversation_time": 0.5,
    # extra improvement (scale points, 1-10 scale) on problem domains by the last measurement
    "domain_change": 0.6,
}

#: The sharp null: the demand-driven world equals the supply-driven world.
NULL_EFFECTS: dict[str, float] = {k: 0.0 for k in DEFAULT_EFFECTS}

#: Outcomes with a known truth (DESIGN.md section 4 definitions).
TRUTH_OUTCOMES: tuple[str, ...] = (
    "goal_retention",
    "n_retells",
    "cost_total",
    "any_provision",
    "n_resident_goals",
    "n_tellings",
    "cost_provisions",
    "cost_staff",
)

_REF_DATE = np.datetime64("2024-01-01", "D")
_GROUPS = (
    "household_help",
    "support_at_home",
    "aids_and_services",
    "residential_and_shelter",
    "general",
)


# ---------------------------------------------------------------------------------------
# Design configuration
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DesignConfig:
    design: str
    municipalities: tuple[str, ...]
    municipality_p: tuple[float, ...]
    teams: tuple[str, ...]
    team_municipality: tuple[int, ...]
    team_pilot: tuple[bool, ...]
    intake_start: np.datetime64
    intake_days: int
    switch_date: np.datetime64 | None
    extraction_date: np.datetime64
    # per-year drift of severity (case-mix) and of prices
    severity_trend: float
    price_trend: float
    retention_trend: float


def _design_config(design: str) -> _DesignConfig:
    ehv = tuple(f"wijkteam_ehv_{i}" for i in range(1, 5))
    hmd = tuple(f"wijkteam_hmd_{i}" for i in range(1, 5))
    if design == "concurrent":
        start = np.datetime64("2024-01-01", "D")
        days = 366
        return _DesignConfig(
            design=design,
            municipalities=("GM0772", "GM0794"),
            municipality_p=(0.6, 0.4),
            teams=ehv + hmd,
            team_municipality=(0, 0, 0, 0, 1, 1, 1, 1),
            team_pilot=(True, True, False, False, True, True, False, False),
            intake_start=start,
            intake_days=days,
            switch_date=None,
            extraction_date=start + days + 420,
            severity_trend=0.0,
            price_trend=0.0,
            retention_trend=0.0,
        )
    if design == "did":
        start = np.datetime64("2023-01-01", "D")
        days = 731
        return _DesignConfig(
            design=design,
            municipalities=("GM0772", "GM0794"),
            municipality_p=(0.55, 0.45),
            teams=ehv + hmd,
            team_municipality=(0, 0, 0, 0, 1, 1, 1, 1),
            team_pilot=(True, True, True, True, False, False, False, False),
            intake_start=start,
            intake_days=days,
            switch_date=np.datetime64("2024-01-01", "D"),
            extraction_date=start + days + 420,
            severity_trend=0.05,
            price_trend=0.03,
            retention_trend=0.08,
        )
    if design == "its":
        start = np.datetime64("2022-01-01", "D")
        days = 1096  # 36 months
        return _DesignConfig(
            design=design,
            municipalities=("GM0772",),
            municipality_p=(1.0,),
            teams=tuple(f"wijkteam_ehv_{i}" for i in range(1, 9)),
            team_municipality=(0,) * 8,
            team_pilot=(True,) * 8,
            intake_start=start,
            intake_days=days,
            switch_date=np.datetime64("2023-07-01", "D"),
            extraction_date=start + days + 420,
            severity_trend=0.08,
            price_trend=0.03,
            retention_trend=0.05,
        )
    raise ValueError(f"design must be one of {', '.join(DESIGNS)}, not {design!r}")


@dataclass(frozen=True)
class _TeamEffects:
    """Random effects per team (shared by both worlds) and implementation strength."""

    retention: np.ndarray  # logit shift of goal retention
    provision: np.ndarray  # logit shift of needing a provision
    sharing: np.ndarray  # logit shift of plan sharing
    referral: np.ndarray  # log shift of referral rate
    implementation: np.ndarray  # multiplier of the demand-driven effects (mean 1)


_TEAM_SD = {"retention": 0.30, "provision": 0.25, "sharing": 0.35, "referral": 0.20}
_IMPLEMENTATION_SD = 0.25


def _draw_team_effects(rng: np.random.Generator, n: int) -> _TeamEffects:
    return _TeamEffects(
        retention=rng.normal(0.0, _TEAM_SD["retention"], n),
        provision=rng.normal(0.0, _TEAM_SD["provision"], n),
        sharing=rng.normal(0.0, _TEAM_SD["sharing"], n),
        referral=rng.normal(0.0, _TEAM_SD["referral"], n),
        implementation=np.clip(rng.normal(1.0, _IMPLEMENTATION_SD, n), 0.0, None),
    )


def _resolve_effects(effects: str | dict[str, float] | None) -> dict[str, float]:
    if effects is None or (isinstance(effects, str) and effects == "default"):
        return dict(DEFAULT_EFFECTS)
    if isinstance(effects, str):
        if effects == "null":
            return dict(NULL_EFFECTS)
        raise ValueError(f"effects must be 'default', 'null' or a dict, not {effects!r}")
    if not isinstance(effects, dict):
        raise ValueError(
            f"effects must be 'default', 'null' or a dict, not {type(effects).__name__}"
        )
    unknown = sorted(set(effects) - set(DEFAULT_EFFECTS))
    if unknown:
        raise ValueError(
            f"unknown effect parameter(s) {unknown}; known: {', '.join(DEFAULT_EFFECTS)}"
        )
    out = dict(DEFAULT_EFFECTS)
    for k, v in effects.items():
        v = float(v)
        if not np.isfinite(v):
            raise ValueError(f"effect {k!r} must be finite, not {v!r}")
        out[k] = v
    if not 0.0 <= out["tailored"] <= 1.0:
        raise ValueError("effect 'tailored' is a share and must lie in [0, 1]")
    if out["conversation_time"] <= -1.0:
        raise ValueError("effect 'conversation_time' must be > -1 (relative change of minutes)")
    return out


# ---------------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------------


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _tpois(u: np.ndarray, lam: np.ndarray, kmax: int) -> np.ndarray:
    """Inverse CDF of a Poisson(lam) at ``u``, capped at ``kmax`` (common random numbers)."""
    lam = np.broadcast_to(lam, u.shape)
    k = np.zeros(u.shape, dtype=np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    for j in range(1, kmax + 1):
        k += u > cdf
        p = p * lam / j
        cdf = cdf + p
    return k


def _categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn by inverse CDF at ``u`` from ``probs`` (K, or one row of K per element)."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=-1)
    cum[..., -1] = np.inf
    if cum.ndim == 1:
        return np.searchsorted(cum, u, side="right").astype(np.int64)
    return (u[:, None] >= cum).sum(axis=1).astype(np.int64)


def _window_days(start: np.ndarray, end: np.ndarray, window: int) -> np.ndarray:
    """Days of [start, end] (inclusive day offsets) inside [0, window - 1]."""
    return np.clip(np.minimum(end, window - 1) - np.maximum(start, 0) + 1, 0, None)


def _str_take(
    values: list[str] | tuple[str, ...], idx: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Pandas ``string`` array of ``values[idx]`` (``idx < 0`` gives missing)."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), mask=mask) if mask.any() else pa.array(idx)
    arr = pc.take(pa.array(list(values), type=pa.string()), indices)
    return pd.arrays.ArrowStringArray(arr)


def _str_join(*parts: pa.Array) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.ArrowStringArray(pc.binary_join_element_wise(*parts, ""))


def _pa_take(values: list[str], idx: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()), pa.array(np.asarray(idx, dtype=np.int64)))


_SUFFIX = {p: [f"-{p}{k:02d}" for k in range(100)] for p in ("C", "G", "V")}


# ---------------------------------------------------------------------------------------
# Provision catalogue (iWmo categories, units and 2025 price level; assumptions)
# ---------------------------------------------------------------------------------------

# Each entry: category, product code, unit, frequency, volume choices, volume probs,
# unit price (euro), probability open-ended, min/max duration (days) when not open.
_PROVISIONS: dict[str, dict[str, Any]] = {
    "hh": dict(
        cat="01",
        product="01A01",
        unit="hour",
        freq="per_week",
        vol=(1.0, 1.5, 2.0, 2.5, 3.0),
        volp=(0.25, 0.3, 0.25, 0.12, 0.08),
        price=31.00,
        open_p=0.55,
        dur=(180, 720),
    ),
    "bg": dict(
        cat="02",
        product="02A05",
        unit="hour",
        freq="per_week",
        vol=(1.0, 1.5, 2.0, 3.0, 4.0),
        volp=(0.25, 0.25, 0.25, 0.15, 0.10),
        price=68.00,
        open_p=0.35,
        dur=(120, 540),
    ),
    "db": dict(
        cat="07",
        product="07A01",
        unit="day_part",
        freq="per_week",
        vol=(1.0, 2.0, 3.0),
        volp=(0.35, 0.45, 0.20),
        price=52.00,
        open_p=0.45,
        dur=(180, 720),
    ),
    "pv": dict(
        cat="03",
        product="03A01",
        unit="hour",
        freq="per_week",
        vol=(1.0, 2.0, 3.0, 5.0),
        volp=(0.3, 0.35, 0.25, 0.10),
        price=58.00,
        open_p=0.50,
        dur=(90, 540),
    ),
    "bw": dict(
        cat="15",
        product="15A02",
        unit="day",
        freq="per_week",
        vol=(7.0,),
        volp=(1.0,),
        price=118.00,
        open_p=1.0,
        dur=(365, 365),
    ),
}
# Aids and services: a mix (probabilities), one of them per trajectory needing aids.
_AIDS: tuple[dict[str, Any], ...] = (
    dict(
        cat="14",
        product="14A01",
        unit="piece",
        freq="total",
        p=0.50,
        price=(150.0, 1100.0),
        kind="once",
    ),
    dict(
        cat="13",
        product="13A02",
        unit="piece",
        freq="total",
        p=0.10,
        price=(2500.0, 6000.0),
        kind="once",
    ),
    dict(
        cat="11",
        product="11A03",
        unit="piece",
        freq="per_month",
        p=0.20,
        price=(32.0, 48.0),
        kind="lease",
    ),
    dict(
        cat="08",
        product="08A01",
        unit="euro",
        freq="per_month",
        p=0.20,
        price=(30.0, 60.0),
        kind="lease",
    ),
)
_TAILORED = dict(cat="06", product="06A01", unit="hour", freq="per_week", price=64.00)
_GENERAL = dict(cat="00", unit="euro", freq="total")


def _provision_cost_in_window(
    volume: np.ndarray,
    price: np.ndarray,
    freq: str,
    start: np.ndarray,
    end: np.ndarray,
    open_ended: np.ndarray,
    window: int,
) -> np.ndarray:
    """Cost inside the window as DESIGN.md section 4 defines it (vectorised)."""
    end_eff = np.where(open_ended, window - 1, end)
    days_in = _window_days(start, end_eff, window)
    if freq == "per_week":
        return volume * price / 7.0 * days_in
    if freq == "per_month":
        return volume * price / (365.25 / 12.0) * days_in
    total_days = end_eff - start + 1
    return volume * price * days_in / total_days


# ---------------------------------------------------------------------------------------
# Phase 1: residents and both potential worlds (no rows yet)
# ---------------------------------------------------------------------------------------

_GMAX = 6  # resident goal slots (1 + Poisson capped at 5)
_SMAX = 3  # specialist referrals
_FMAX = 4  # extra follow-ups besides one per specialist
_N_SPECIALIST_ORGS = 8
_SPECIALIST_ORGS = (
    "ggz_organisatie_a",
    "schuldhulp_b",
    "thuisbegeleiding_c",
    "verslavingszorg_d",
    "maatschappelijk_werk_e",
    "ouderenzorg_f",
    "jeugd_en_gezin_g",
    "dagbesteding_h",
)
_MISSING_STORY = 0.15  # share of contacts without a recorded story_told
_EXTRA_RETELL = (
    0.15,
    0.12,
)  # resident retells even though the plan was there (generalist, specialist)


def _draw_residents(
    rng: np.random.Generator, n: int, cfg: _DesignConfig, n_domains: int
) -> dict[str, np.ndarray]:
    """Case-mix, design position (arm, team) and timing: everything before the worlds split."""
    start_day = rng.integers(0, cfg.intake_days, n)
    start = cfg.intake_start + start_day.astype("timedelta64[D]")
    tau = (start - _REF_DATE).astype(np.int64) / 365.25  # years since 2024-01-01
    muni = _categorical(rng.random(n), np.asarray(cfg.municipality_p))
    # case-mix: a comparison municipality a little older
    older = rng.random(n) < 0.55 + 0.06 * (muni == 1)
    age_old = np.minimum(65 + np.floor(rng.gamma(2.0, 6.0, n)), 99)
    age_young = rng.integers(18, 65, n)
    age = np.where(older, age_old, age_young).astype(np.int64)
    sex = np.where(rng.random(n) < np.where(older, 0.62, 0.54), 0, 1)
    sex = np.where(rng.random(n) < 0.004, 2, sex)  # 'other'
    hh_old = np.array([0.55, 0.38, 0.01, 0.02, 0.04])
    hh_young = np.array([0.40, 0.12, 0.20, 0.20, 0.08])
    household = _categorical(rng.random(n), np.where(older[:, None], hh_old, hh_young))
    single = household == 0
    single_parent = household == 2
    severity = (
        rng.normal(0.0, 1.0, n)
        + 0.25 * (age >= 80)
        + 0.25 * single
        + 0.35 * single_parent
        + cfg.severity_trend * tau
    )
    # problem domains at intake: each domain a problem with a probability driven by severity
    c_d = _logit(min(1.7 / n_domains, 0.6)) - 0.3
    p_dom = _expit(c_d + 0.9 * severity)
    problem = rng.random((n, n_domains)) < p_dom[:, None]
    n_prob = problem.sum(axis=1)
    two_plus = n_prob >= 2
    # arm and team
    teams_muni = np.asarray(cfg.team_municipality)
    teams_pilot = np.asarray(cfg.team_pilot)
    u_team = rng.random(n)
    if cfg.design == "concurrent":
        lp = (
            -0.35
            + 0.6 * two_plus
            + 0.4 * (age >= 75)
            + 0.35 * single_parent
            - 0.25 * (household == 1)
        )
        demand = rng.random(n) < _expit(lp)
        period = np.full(n, -1)
        # team uniform among the teams of this municipality in this arm
        team = np.empty(n, dtype=np.int64)
        for m in range(len(cfg.municipalities)):
            for pilot in (True, False):
                ids = np.flatnonzero((teams_muni == m) & (teams_pilot == pilot))
                sel = (muni == m) & (demand == pilot)
                team[sel] = ids[np.minimum((u_team[sel] * len(ids)).astype(np.int64), len(ids) - 1)]
    else:
        after = start >= cfg.switch_date
        period = after.astype(np.int64)
        team = np.empty(n, dtype=np.int64)
        for m in range(len(cfg.municipalities)):
            ids = np.flatnonzero(teams_muni == m)
            sel = muni == m
            team[sel] = ids[np.minimum((u_team[sel] * len(ids)).astype(np.int64), len(ids) - 1)]
        demand = after & teams_pilot[team]
    # duration and follow-up
    duration = np.clip(30 + np.floor(rng.gamma(1.6, 150.0, n)), 30, 800).astype(np.int64)
    observed = (cfg.extraction_date - start).astype(np.int64)  # days from start to extraction
    ended = duration <= observed
    return dict(
        start_day=start_day,
        start=start,
        tau=tau,
        muni=muni,
        age=age,
        sex=sex,
        household=household,
        severity=severity,
        problem=problem,
        n_prob=n_prob,
        demand=demand,
        period=period,
        team=team,
        duration=duration,
        observed=observed,
        ended=ended,
    )


def _draw_common(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The common random numbers shared by both worlds."""
    u = rng.random
    return dict(
        u_kr=u(n),
        u_kp=u(n),
        u_goal=u((n, _GMAX)),
        w_goal=u((n, _GMAX)),
        z_goal=u((n, _GMAX)),
        u_joint=u((n, _GMAX)),
        u_prof_fate=u((n, 3)),
        z_prof=u((n, 3)),
        u_s=u(n),
        u_share1=u(n),
        x1=u(n),
        u_share=u((n, _SMAX)),
        x_spec=u((n, _SMAX)),
        org_key=u((n, _N_SPECIALIST_ORGS)),
        u_f=u(n),
        a1=u(n),
        r_frac=np.sort(u((n, _SMAX)), axis=1),
        f_frac=np.sort(u((n, _FMAX + _SMAX)), axis=1),
        rec=u((n, 1 + 1 + 2 * _SMAX + 1 + _FMAX + _SMAX + 1)),
        mins=rng.lognormal(0.0, 0.25, (n, 1 + 1 + 2 * _SMAX + 1 + _FMAX + _SMAX + 1)),
        u_prov=u((n, 6)),
        u_vol=u((n, 6)),
        u_open=u((n, 6)),
        u_dur=u((n, 6)),
        u_lag=u((n, 6)),
        u_aid=u(n),
        u_aid_price=u(n),
        u_tail=u(n),
        u_tail_vol=u(n),
        u_gen=u(n),
        u_gen2=u(n),
        u_gen_amt=u(n),
    )


# contact slot layout (fixed columns of the contact matrices)
_SLOT_DESK = 0
_SLOT_ASSESS = 1
_SLOT_HAND = [2 + 2 * j for j in range(_SMAX)]
_SLOT_SPEC = [3 + 2 * j for j in range(_SMAX)]
_SLOT_REVIEW = 2 + 2 * _SMAX
_SLOT_FOLLOW = [_SLOT_REVIEW + 1 + k for k in range(_FMAX + _SMAX)]
_SLOT_FINAL = _SLOT_FOLLOW[-1] + 1
_N_SLOTS = _SLOT_FINAL + 1
_ROLES = schema.ROLE
_CTYPES = schema.CONTACT_TYPE


def _world(
    t: int,
    res: dict[str, np.ndarray],
    com: dict[str, np.ndarray],
    te: dict[str, np.ndarray],
    eff: dict[str, float],
    cfg: _DesignConfig,
    rates: dict[str, float],
    window: int,
) -> dict[str, np.ndarray]:
    """One potential world (t = 1 demand-driven, 0 supply-driven), as compact arrays.

    Everything the rows need, and the section-4 outcomes computed from it.
    """
    n = len(res["age"])
    v = te["implementation"] * t  # effect multiplier (0 in the supply-driven world)
    age, sev, n_prob, tau = res["age"], res["severity"], res["n_prob"], res["tau"]
    two_plus = n_prob >= 2
    muni1 = res["muni"] == 1
    dur, observed = res["duration"], res["observed"]
    w: dict[str, np.ndarray] = {}

    # ---- goals --------------------------------------------------------------------------
    lam_r = 1.2 * np.exp(eff["own_goals"] * v)
    k_r = 1 + _tpois(com["u_kr"], lam_r, _GMAX - 1)
    lam_p = 0.9 * np.exp(-eff["own_goals"] * v)
    k_p = _tpois(com["u_kp"], lam_p, 3)
    p_ret = _expit(
        -0.3
        - 0.12 * (n_prob - 1.7)
        - 0.25 * sev
        + 0.004 * (age - 60)
        + te["retention"]
        - 0.1 * muni1
        + cfg.retention_trend * tau
        + eff["goal_retention"] * v
    )
    slot = np.arange(_GMAX)[None, :]
    valid = slot < k_r[:, None]
    retained = valid & (com["u_goal"] < p_ret[:, None])
    w.update(k_r=k_r, k_p=k_p, goal_valid=valid, goal_retained=retained)
    n_ret = retained.sum(axis=1)

    # ---- contacts and tellings -------------------------------------------------------------
    mu_s = np.exp(-0.75 + 0.4 * two_plus + 0.3 * sev + te["referral"] + eff["referrals"] * v)
    s = _tpois(com["u_s"], mu_s, _SMAX)
    p_share1 = _expit(_logit(0.25) + te["sharing"] + eff["plan_sharing"] * v)
    p_share = _expit(_logit(0.30) + te["sharing"] + eff["plan_sharing"] * v)
    plan1 = com["u_share1"] < p_share1
    plan_j = com["u_share"] < p_share[:, None]
    told1 = ~plan1 | (com["x1"] < _EXTRA_RETELL[0])
    told_j = ~plan_j | (com["x_spec"] < _EXTRA_RETELL[1])
    f_base = _tpois(com["u_f"], 1.2 + 0.6 * two_plus, _FMAX)
    n_follow = f_base + s
    review = dur >= 120
    # contact matrices
    active = np.zeros((n, _N_SLOTS), dtype=bool)
    day = np.zeros((n, _N_SLOTS), dtype=np.int64)
    active[:, _SLOT_DESK] = True
    active[:, _SLOT_ASSESS] = True
    day[:, _SLOT_ASSESS] = np.floor((0.01 + 0.07 * com["a1"]) * dur)
    spec_active = np.arange(_SMAX)[None, :] < s[:, None]
    spec_day = np.floor((0.10 + 0.38 * com["r_frac"]) * dur[:, None]).astype(np.int64)
    for j in range(_SMAX):
        active[:, _SLOT_SPEC[j]] = spec_active[:, j]
        active[:, _SLOT_HAND[j]] = spec_active[:, j] & plan_j[:, j]  # warm handover
        day[:, _SLOT_SPEC[j]] = spec_day[:, j]
        day[:, _SLOT_HAND[j]] = spec_day[:, j]
    active[:, _SLOT_REVIEW] = review
    day[:, _SLOT_REVIEW] = dur // 2
    f_active = np.arange(_FMAX + _SMAX)[None, :] < n_follow[:, None]
    f_day = np.floor((0.52 + 0.46 * com["f_frac"]) * dur[:, None]).astype(np.int64)
    for k, sl in enumerate(_SLOT_FOLLOW):
        active[:, sl] = f_active[:, k]
        day[:, sl] = f_day[:, k]
    active[:, _SLOT_FINAL] = res["ended"]
    day[:, _SLOT_FINAL] = dur
    active &= day <= observed[:, None]  # nothing after the data extraction
    # plan_available / told per slot (only first contacts at an organisation can be tellings)
    plan_av = np.ones((n, _N_SLOTS), dtype=bool)
    told = np.zeros((n, _N_SLOTS), dtype=bool)
    plan_av[:, _SLOT_DESK] = False
    told[:, _SLOT_DESK] = True
    plan_av[:, _SLOT_ASSESS] = plan1
    told[:, _SLOT_ASSESS] = told1
    for j in range(_SMAX):
        plan_av[:, _SLOT_SPEC[j]] = plan_j[:, j]
        told[:, _SLOT_SPEC[j]] = told_j[:, j]
    recorded = com["rec"] >= _MISSING_STORY
    first_at_org = np.zeros(_N_SLOTS, dtype=bool)
    first_at_org[[_SLOT_DESK, _SLOT_ASSESS, *_SLOT_SPEC]] = True
    inferred = first_at_org[None, :] & ~plan_av  # DESIGN.md rule for a missing story_told
    telling = active & np.where(recorded, told, inferred)
    n_tellings = telling.sum(axis=1)
    w.update(
        s=s,
        contact_active=active,
        contact_day=day,
        plan_av=plan_av,
        told=told,
        recorded=recorded,
        n_follow=n_follow,
        review=review,
    )

    # ---- staff time -------------------------------------------------------------------------
    ct = 1.0 + eff["conversation_time"] * t
    base_min = np.zeros(_N_SLOTS)
    base_min[_SLOT_DESK] = 20.0
    base_min[_SLOT_ASSESS] = 60.0
    base_min[_SLOT_HAND] = 30.0
    base_min[_SLOT_SPEC] = 60.0
    base_min[_SLOT_REVIEW] = 45.0
    base_min[_SLOT_FOLLOW] = 45.0
    base_min[_SLOT_FINAL] = 45.0
    conv = np.zeros(_N_SLOTS, dtype=bool)
    conv[[_SLOT_ASSESS, _SLOT_REVIEW, _SLOT_FINAL]] = True
    mult = np.where(conv, ct, 1.0)
    minutes = np.maximum(5.0, np.round(base_min[None, :] * mult[None, :] * com["mins"] / 5.0) * 5.0)
    role = np.full((n, _N_SLOTS), _ROLES.index("generalist"), dtype=np.int64)
    role[:, _SLOT_DESK] = _ROLES.index("service_desk")
    role[:, _SLOT_SPEC] = _ROLES.index("specialist")
    # the first s follow-ups are at the specialist organisations, the rest at the team
    for k, sl in enumerate(_SLOT_FOLLOW):
        role[:, sl] = np.where(k < s, _ROLES.index("specialist"), _ROLES.index("generalist"))
    rate = np.array([rates.get(r, rates.get("other", 75.0)) for r in _ROLES])[role]
    in_window = active & (day <= window - 1)
    cost_staff = (np.where(in_window, minutes * rate / 60.0, 0.0)).sum(axis=1)
    w.update(minutes=minutes, role=role)

    # ---- provisions ---------------------------------------------------------------------------
    price_idx = (1.0 + cfg.price_trend) ** tau
    up = te["provision"] + 0.15 * muni1
    logit_p = {
        "hh": -1.35 + 1.3 * (age >= 75) + 0.6 * (res["household"] == 0) + 0.5 * two_plus + up,
        "bg": -1.6 + 0.9 * two_plus + 0.45 * sev + 0.5 * (age < 65) + up,
        "db": -2.6 + 0.7 * two_plus + 0.6 * (age >= 75) + 0.2 * sev + up,
        "pv": -3.0 + 1.1 * (age >= 80) + 0.3 * sev + up,
        "aid": -1.7 + 1.0 * (age >= 75) + 0.3 * two_plus + up,
        "bw": -6.0 + 1.0 * sev + 0.8 * two_plus + up,
    }
    tailored = (t == 1) & (com["u_tail"] < eff["tailored"])
    cost_prov = np.zeros(n)
    group_cost = {g: np.zeros(n) for g in _GROUPS}
    any_prov = np.zeros(n, dtype=bool)
    dropped_any = np.zeros(n, dtype=bool)
    prov: dict[str, dict[str, np.ndarray]] = {}
    lag = 7 + np.floor(38 * com["u_lag"]).astype(np.int64)  # 7..44 days after the start
    for i, key in enumerate(("hh", "bg", "db", "pv", "aid", "bw")):
        p_s = _expit(logit_p[key])
        p_a = _expit(logit_p[key] + eff["provision"] * v)
        have_s = com["u_prov"][:, i] < p_s
        have = com["u_prov"][:, i] < p_a
        have = np.where(tailored, have_s, have)  # tailored packages keep the full package
        dropped_any |= have_s & ~have
        start = lag[:, i]
        if key == "aid":
            a = _categorical(com["u_aid"], np.array([x["p"] for x in _AIDS]))
            lo = np.array([x["price"][0] for x in _AIDS])[a]
            hi = np.array([x["price"][1] for x in _AIDS])[a]
            price = np.round((lo + (hi - lo) * com["u_aid_price"]) * price_idx, 2)
            once = np.array([x["kind"] == "once" for x in _AIDS])[a]
            open_ended = ~once & (com["u_open"][:, i] < 0.6)
            end = np.where(
                once, start, start + 180 + np.floor(540 * com["u_dur"][:, i]).astype(np.int64)
            )
            volume = np.ones(n)
            cost = np.zeros(n)
            for ai, spec in enumerate(_AIDS):
                sel = a == ai
                cost[sel] = _provision_cost_in_window(
                    volume[sel],
                    price[sel],
                    spec["freq"],
                    start[sel],
                    end[sel],
                    open_ended[sel],
                    window,
                )
            prov[key] = dict(
                have=have,
                start=start,
                end=end,
                open=open_ended,
                volume=volume,
                price=price,
                kind=a,
                cost=cost,
            )
            group_cost["aids_and_services"] += np.where(have, cost, 0.0)  # all _AIDS are 05-14
        else:
            spec = _PROVISIONS[key]
            vi = _categorical(com["u_vol"][:, i], np.asarray(spec["volp"]))
            volume = np.asarray(spec["vol"])[vi]
            price = np.round(spec["price"] * price_idx, 2)
            open_ended = com["u_open"][:, i] < spec["open_p"]
            d_lo, d_hi = spec["dur"]
            end = start + d_lo + np.floor((d_hi - d_lo) * com["u_dur"][:, i]).astype(np.int64) - 1
            cost = _provision_cost_in_window(
                volume, price, spec["freq"], start, end, open_ended, window
            )
            prov[key] = dict(
                have=have,
                start=start,
                end=end,
                open=open_ended,
                volume=volume,
                price=np.broadcast_to(price, (n,)).astype(float),
                cost=cost,
            )
            group_cost[schema.CATEGORY_TO_CBS_GROUP[spec["cat"]]] += np.where(have, cost, 0.0)
        cost_prov += np.where(have, cost, 0.0)
        any_prov |= have
    # tailored extra: individual support (06), open-ended, 1-2.5 hours a week
    t_vol = np.array([1.0, 1.5, 2.0, 2.5])[np.minimum((com["u_tail_vol"] * 4).astype(np.int64), 3)]
    t_price = np.round(_TAILORED["price"] * price_idx, 2)
    t_start = lag[:, 0]
    t_cost = _provision_cost_in_window(
        t_vol,
        np.broadcast_to(t_price, (n,)),
        "per_week",
        t_start,
        t_start,
        np.ones(n, bool),
        window,
    )
    prov["tailored"] = dict(
        have=tailored,
        start=t_start,
        end=t_start,
        open=np.ones(n, bool),
        volume=t_vol,
        price=np.broadcast_to(t_price, (n,)).astype(float),
        cost=t_cost,
    )
    cost_prov += np.where(tailored, t_cost, 0.0)
    group_cost["support_at_home"] += np.where(tailored, t_cost, 0.0)
    any_prov |= tailored
    # general (community) provision, category 00: not an individual provision
    gen = (com["u_gen"] < 0.08) | (dropped_any & (com["u_gen2"] < 0.6))
    g_amount = np.round(100.0 + 300.0 * com["u_gen_amt"], 0)
    g_start = lag[:, 1]
    g_end = g_start + 89
    g_cost = _provision_cost_in_window(
        g_amount, np.ones(n), "total", g_start, g_end, np.zeros(n, bool), window
    )
    prov["general"] = dict(
        have=gen,
        start=g_start,
        end=g_end,
        open=np.zeros(n, bool),
        volume=np.ones(n),
        price=g_amount,
        cost=g_cost,
    )
    cost_prov += np.where(gen, g_cost, 0.0)
    group_cost["general"] += np.where(gen, g_cost, 0.0)
    w["prov"] = prov  # type: ignore[assignment]

    # ---- outcomes (DESIGN.md section 4) -----------------------------------------------------
    w.update(
        n_resident_goals=k_r.astype(float),
        n_retained=n_ret,
        goal_retention=n_ret / k_r,
        n_tellings=n_tellings.astype(float),
        n_retells=np.maximum(n_tellings - 1, 0).astype(float),
        cost_provisions=cost_prov,
        cost_staff=cost_staff,
        cost_total=cost_prov + cost_staff,
        any_provision=any_prov.astype(float),
        **{f"cost_{g}": c for g, c in group_cost.items()},
    )
    return w


def _team_effect_arrays(team: np.ndarray, effects: _TeamEffects) -> dict[str, np.ndarray]:
    return {
        "retention": effects.retention[team],
        "provision": effects.provision[team],
        "sharing": effects.sharing[team],
        "referral": effects.referral[team],
        "implementation": effects.implementation[team],
    }


_PO_EXTRA = tuple(f"cost_{g}" for g in _GROUPS)


def _potential_frame(wd: dict, ws: dict, res: dict) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for o in (*TRUTH_OUTCOMES, *_PO_EXTRA):
        out[f"{o}_d"] = wd[o]
        out[f"{o}_s"] = ws[o]
    out["n_problem_domains_t0"] = res["n_prob"]
    return out


# ---------------------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------------------


def _effect_summary(
    po: pd.DataFrame, mask: np.ndarray | None = None
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    sub = po if mask is None else po[mask]
    n = len(sub)
    for o in TRUTH_OUTCOMES:
        d = sub[f"{o}_d"].to_numpy(float)
        s = sub[f"{o}_s"].to_numpy(float)
        md, ms = (float(d.mean()), float(s.mean())) if n else (float("nan"), float("nan"))
        diff = d - s
        out[o] = {
            "mean_demand": md,
            "mean_supply": ms,
            "difference": float(diff.mean()) if n else float("nan"),
            "ratio": md / ms if n and ms != 0 else float("nan"),
            "n": n,
            "mc_se": float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        }
    return out


@functools.lru_cache(maxsize=32)
def _superpopulation(design: str, effects_key: tuple, instrument: str, n: int) -> tuple[dict, dict]:
    """Truth for the superpopulation: a large internal draw with a fixed seed.

    Residents *and* teams are new: team effects are drawn per trajectory, so the
    team random effects (and the implementation strength) are integrated out.
    """
    eff = dict(effects_key)
    cfg = _design_config(design)
    n_domains = len(load_instrument(instrument).domains)
    rates = StudySettings().rates
    parts = []
    ss = np.random.SeedSequence(SUPERPOPULATION_SEED)
    n_blocks = -(-n // BLOCK_SIZE)
    for b, child in enumerate(ss.spawn(n_blocks)):
        m = min(BLOCK_SIZE, n - b * BLOCK_SIZE)
        rng = np.random.default_rng(child)
        res = _draw_residents(rng, m, cfg, n_domains)
        te = _team_effect_arrays(np.arange(m), _draw_team_effects(rng, m))
        com = _draw_common(rng, m)
        wd = _world(1, res, com, te, eff, cfg, rates, 365)
        ws = _world(0, res, com, te, eff, cfg, rates, 365)
        po = _potential_frame(wd, ws, res)
        po["demand"] = res["demand"]
        parts.append(pd.DataFrame(po))
    po = pd.concat(parts, ignore_index=True)
    return _effect_summary(po), _effect_summary(po, po["demand"].to_numpy())


# ---------------------------------------------------------------------------------------
# Phase 2: rows of the realised world
# ---------------------------------------------------------------------------------------


def _select(t: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per trajectory, ``a`` where demand-driven else ``b`` (broadcast over extra axes)."""
    tt = t.reshape((-1,) + (1,) * (a.ndim - 1))
    return np.where(tt, a, b)


_RES_PHRASES = (
    "weer zelf regelen",
    "meer rust en overzicht",
    "minder zorgen",
    "vaker onder de mensen",
    "stap voor stap vooruit",
    "weer plezier hebben",
)
_PRO_PHRASES = ("stabiliseren", "inzet ondersteuning", "situatie monitoren", "toeleiden naar hulp")


def _expand(
    rng: np.random.Generator,
    res: dict,
    wd: dict,
    ws: dict,
    cfg: _DesignConfig,
    instrument,
    tids: pa.Array,
    eff: dict[str, float],
) -> dict[str, pd.DataFrame]:
    """The realised world's rows (tables in canonical form, index not yet set)."""
    n = len(res["age"])
    t = res["demand"]
    sel = functools.partial(_select, t)
    start = res["start"]
    dur = res["duration"]
    observed = res["observed"]
    tables: dict[str, pd.DataFrame] = {}

    # ---------------- contacts + staff_time
    active = sel(wd["contact_active"], ws["contact_active"])
    day = sel(wd["contact_day"], ws["contact_day"])
    plan_av = sel(wd["plan_av"], ws["plan_av"])
    told = sel(wd["told"], ws["told"])
    recorded = wd["recorded"]  # common
    minutes = sel(wd["minutes"], ws["minutes"])
    role = sel(wd["role"], ws["role"])
    s = sel(wd["s"], ws["s"])
    ti, slot = np.nonzero(active)
    k_in = np.cumsum(active, axis=1)[ti, slot] - 1  # running number within trajectory
    n_teams = len(cfg.teams)
    n_muni = len(cfg.municipalities)
    org_names = (
        [f"servicebureau_{m.lower()}" for m in cfg.municipalities]
        + list(cfg.teams)
        + list(_SPECIALIST_ORGS)
    )
    spec_org = np.argsort(wd["org_key"], axis=1)[:, :_SMAX]  # distinct specialist organisations
    org = np.empty((n, _N_SLOTS), dtype=np.int64)
    org[:] = (n_muni + res["team"])[:, None]
    org[:, _SLOT_DESK] = res["muni"]
    for j in range(_SMAX):
        org[:, _SLOT_SPEC[j]] = n_muni + n_teams + spec_org[:, j]
    for k, sl in enumerate(_SLOT_FOLLOW):
        jj = np.minimum(k, _SMAX - 1)
        org[:, sl] = np.where(k < s, n_muni + n_teams + spec_org[:, jj], org[:, sl])
    ctype = np.full(_N_SLOTS, _CTYPES.index("follow_up"))
    ctype[_SLOT_DESK] = _CTYPES.index("intake")
    ctype[_SLOT_ASSESS] = _CTYPES.index("assessment")
    ctype[_SLOT_HAND] = _CTYPES.index("handover")
    ctype[_SLOT_SPEC] = _CTYPES.index("intake")
    ctype[_SLOT_REVIEW] = _CTYPES.index("evaluation")
    ctype[_SLOT_FINAL] = _CTYPES.index("evaluation")
    c_org = org[ti, slot]
    prof_no = np.floor(rng.random(len(ti)) * 3).astype(np.int64)  # 3 professionals per organisation
    prof_no = np.where(
        slot == _SLOT_DESK, np.floor(rng.random(len(ti)) * 4).astype(np.int64), prof_no
    )
    c_date = start[ti] + day[ti, slot].astype("timedelta64[D]")
    c_told = np.where(recorded[ti, slot], told[ti, slot].astype(np.int8), -1)
    tid_rows = pc.take(tids, pa.array(ti))
    contacts = pd.DataFrame(
        {
            "contact_id": _str_join(tid_rows, _pa_take(_SUFFIX["C"], k_in)),
            "trajectory_id": pd.arrays.ArrowStringArray(tid_rows),
            "date": c_date.astype("datetime64[ns]"),
            "organisation": _str_take(org_names, c_org),
            "professional_id": _str_join(
                _pa_take([f"P{i:03d}" for i in range(len(org_names))], c_org),
                _pa_take([f"-{i}" for i in range(4)], prof_no),
            ),
            "role": _str_take(_ROLES, role[ti, slot]),
            "contact_type": _str_take(_CTYPES, ctype[slot]),
            "story_told": pd.arrays.BooleanArray(c_told == 1, c_told < 0),
            "plan_available": pd.arrays.BooleanArray(plan_av[ti, slot], np.zeros(len(ti), bool)),
        }
    )
    tables["contacts"] = contacts
    tables["staff_time"] = pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(tid_rows),
            "date": c_date.astype("datetime64[ns]"),
            "role": _str_take(_ROLES, role[ti, slot]),
            "minutes": minutes[ti, slot],
        }
    )

    # ---------------- goals
    # stage list per trajectory: positions of present stages
    spec_plan = s > 0
    review = dur >= 120
    ended = res["ended"]
    present = np.column_stack([np.ones(n, bool), np.ones(n, bool), spec_plan, review, ended])
    n_st = present.sum(axis=1)  # L
    stage_of_pos = np.full((n, 5), -1, dtype=np.int64)
    pos_idx = np.cumsum(present, axis=1) - 1
    rows_i, cols_i = np.nonzero(present)
    stage_of_pos[rows_i, pos_idx[rows_i, cols_i]] = cols_i
    assess_day = day[:, _SLOT_ASSESS]
    first_spec = day[:, _SLOT_SPEC[0]]
    stage_day = np.column_stack(
        [
            np.zeros(n, np.int64),
            assess_day,
            np.minimum(first_spec + 14, np.where(review, dur // 2, dur)),
            dur // 2,
            dur,
        ]
    )
    last = n_st - 1
    k_p = sel(wd["k_p"], ws["k_p"])
    valid = sel(wd["goal_valid"], ws["goal_valid"])
    retained = sel(wd["goal_retained"], ws["goal_retained"])
    wg, zg = wd["w_goal"], wd["z_goal"]
    achieved = retained & (wg < 0.45)
    kept = retained & ~achieved
    dropped = valid & ~retained & (wg < 0.5)
    replaced = valid & ~retained & ~dropped
    lastc = last[:, None]
    # end position of each resident lineage
    e_ach_drop = 1 + np.floor(zg * lastc).astype(np.int64)  # 1..L-1
    e_repl = np.floor(zg * lastc).astype(np.int64)  # 0..L-2
    end_pos = np.where(kept, lastc, np.where(replaced, e_repl, e_ach_drop))
    end_pos = np.minimum(end_pos, lastc)
    status_end = np.full(end_pos.shape, schema.STATUS.index("active"))
    final_present = ended[:, None]
    kept_status = np.where(
        wg < 0.72, schema.STATUS.index("partly_achieved"), schema.STATUS.index("not_achieved")
    )
    status_end = np.where(kept & final_present, kept_status, status_end)
    status_end = np.where(achieved, schema.STATUS.index("achieved"), status_end)
    status_end = np.where(dropped, schema.STATUS.index("dropped"), status_end)
    author_r = np.where(
        wd["u_joint"] < 0.3, schema.AUTHOR.index("jointly"), schema.AUTHOR.index("resident")
    )
    # resident goals' domains: a problem domain where there is one
    n_dom = res["problem"].shape[1]
    dom_key = rng.random((n, _GMAX, n_dom)) + res["problem"][:, None, :]
    dom_r = dom_key.argmax(axis=2)
    # lineages: resident (n x GMAX), replacement professional (n x GMAX), professional intake (n x 3)
    L_traj, L_start, L_end, L_status, L_author, L_dom, L_kind = [], [], [], [], [], [], []
    vi, vj = np.nonzero(valid)
    L_traj.append(vi)
    L_start.append(np.zeros(len(vi), np.int64))
    L_end.append(end_pos[vi, vj])
    L_status.append(status_end[vi, vj])
    L_author.append(author_r[vi, vj])
    L_dom.append(dom_r[vi, vj])
    L_kind.append(np.zeros(len(vi), np.int64))
    ri, rj = np.nonzero(replaced)
    L_traj.append(ri)
    L_start.append(end_pos[ri, rj] + 1)
    L_end.append(last[ri])
    L_status.append(
        np.where(ended[ri], schema.STATUS.index("partly_achieved"), schema.STATUS.index("active"))
    )
    L_author.append(np.full(len(ri), schema.AUTHOR.index("professional")))
    L_dom.append(dom_r[ri, rj])
    L_kind.append(np.ones(len(ri), np.int64))
    pvalid = np.arange(3)[None, :] < k_p[:, None]
    pi, pj = np.nonzero(pvalid)
    pf = wd["u_prof_fate"][pi, pj]
    p_ach = pf < 0.3
    p_end = np.where(
        p_ach, 1 + np.floor(wd["z_prof"][pi, pj] * last[pi]).astype(np.int64), last[pi]
    )
    L_traj.append(pi)
    L_start.append(np.zeros(len(pi), np.int64))
    L_end.append(np.minimum(p_end, last[pi]))
    L_status.append(
        np.where(
            p_ach,
            schema.STATUS.index("achieved"),
            np.where(ended[pi], schema.STATUS.index("not_achieved"), schema.STATUS.index("active")),
        )
    )
    L_author.append(np.full(len(pi), schema.AUTHOR.index("professional")))
    L_dom.append(np.floor(rng.random(len(pi)) * n_dom).astype(np.int64))
    L_kind.append(np.full(len(pi), 2, np.int64))
    # anchor: a new jointly-made goal at the last stage when no goal reaches it otherwise
    reach = np.zeros(n, bool)
    reach[vi[end_pos[vi, vj] == last[vi]]] = True
    reach[ri] = True
    reach[pi[np.minimum(p_end, last[pi]) == last[pi]]] = True
    ai = np.flatnonzero(~reach)
    L_traj.append(ai)
    L_start.append(last[ai])
    L_end.append(last[ai])
    L_status.append(
        np.where(ended[ai], schema.STATUS.index("partly_achieved"), schema.STATUS.index("active"))
    )
    L_author.append(np.full(len(ai), schema.AUTHOR.index("jointly")))
    L_dom.append(np.floor(rng.random(len(ai)) * n_dom).astype(np.int64))
    L_kind.append(np.full(len(ai), 3, np.int64))
    lt = np.concatenate(L_traj)
    ls = np.concatenate(L_start)
    le = np.concatenate(L_end)
    lst = np.concatenate(L_status)
    lau = np.concatenate(L_author)
    ldom = np.concatenate(L_dom)
    lkind = np.concatenate(L_kind)
    n_lin = len(lt)
    length = le - ls + 1
    # rows in lineage-major order
    g_lin = np.repeat(np.arange(n_lin), length)
    step = np.arange(len(g_lin)) - np.repeat(np.cumsum(length) - length, length)
    g_traj = lt[g_lin]
    g_pos = ls[g_lin] + step
    is_last = step == length[g_lin] - 1
    g_status = np.where(is_last, lst[g_lin], schema.STATUS.index("active"))
    # rewording: a continuation row is reworded (jointly) with probability 0.3
    reword = (step > 0) & (rng.random(len(g_lin)) < 0.3)
    g_author = np.where(reword & (lkind[g_lin] == 0), schema.AUTHOR.index("jointly"), lau[g_lin])
    # numbering in stage-major order within a trajectory
    order = np.lexsort((g_lin, g_pos, g_traj))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    tstart = np.searchsorted(g_traj[order], np.arange(n))  # first row (sorted) per trajectory
    k_goal = rank - tstart[g_traj]
    if len(k_goal) and k_goal.max() >= 100:  # pragma: no cover - structural guard
        raise RuntimeError("more than 99 goal rows in a trajectory")
    g_tid = pc.take(tids, pa.array(g_traj))
    g_id = pc.binary_join_element_wise(g_tid, _pa_take(_SUFFIX["G"], k_goal), "")
    prev = np.arange(len(g_lin)) - 1
    derived = pc.take(g_id, pa.array(np.where(step > 0, prev, 0), mask=step == 0))
    g_stage = stage_of_pos[g_traj, g_pos]
    g_date = start[g_traj] + stage_day[g_traj, g_stage].astype("timedelta64[D]")
    dom_codes = instrument.domain_codes
    dom_labels = [d.label_nl.lower() for d in instrument.domains]
    g_dom = ldom[g_lin]
    resident_like = np.isin(
        lau[g_lin], [schema.AUTHOR.index("resident"), schema.AUTHOR.index("jointly")]
    )
    phr = np.where(
        resident_like,
        np.floor(rng.random(len(g_lin)) * len(_RES_PHRASES)).astype(np.int64),
        len(_RES_PHRASES) + np.floor(rng.random(len(g_lin)) * len(_PRO_PHRASES)).astype(np.int64),
    )
    text = pc.binary_join_element_wise(
        _pa_take([lb[:1].upper() + lb[1:] for lb in dom_labels], g_dom),
        _pa_take([f": {p}" for p in (*_RES_PHRASES, *_PRO_PHRASES)], phr),
        _pa_take(["", " (anders geformuleerd)"], reword.astype(np.int64)),
        "",
    )
    att = np.full(len(g_lin), -9, np.int64)
    st = g_status
    u_att = rng.random(len(g_lin))
    att = np.where(
        is_last & (st == schema.STATUS.index("achieved")), np.where(u_att < 0.5, 1, 2), att
    )
    att = np.where(
        is_last & (st == schema.STATUS.index("partly_achieved")), np.where(u_att < 0.7, 0, -1), att
    )
    att = np.where(
        is_last & (st == schema.STATUS.index("not_achieved")), np.where(u_att < 0.5, -1, -2), att
    )
    goals = pd.DataFrame(
        {
            "goal_id": pd.arrays.ArrowStringArray(g_id),
            "trajectory_id": pd.arrays.ArrowStringArray(g_tid),
            "stage": _str_take(schema.STAGE, g_stage),
            "date": g_date.astype("datetime64[ns]"),
            "author": _str_take(schema.AUTHOR, g_author),
            "domain": _str_take(dom_codes, g_dom),
            "text": pd.arrays.ArrowStringArray(text),
            "derived_from": pd.arrays.ArrowStringArray(derived),
            "status": _str_take(schema.STATUS, g_status),
            "attainment": pd.arrays.IntegerArray(np.where(att == -9, 0, att), att == -9),
        }
    )
    tables["goals"] = goals.iloc[order].reset_index(drop=True)

    # ---------------- provisions
    prov_d, prov_s = wd["prov"], ws["prov"]
    P_traj, P_cat, P_prod, P_start, P_end, P_open, P_vol, P_unit, P_freq, P_price, P_amount = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    cat_codes = list(schema.IWMO_CATEGORIES)
    for key in ("hh", "bg", "db", "pv", "aid", "bw", "tailored", "general"):
        pd_, ps_ = prov_d[key], prov_s[key]
        have = np.where(t, pd_["have"], ps_["have"])
        idx = np.flatnonzero(have)
        src = {
            f: np.where(t, pd_[f], ps_[f])[idx] for f in ("start", "end", "open", "volume", "price")
        }
        m = len(idx)
        P_traj.append(idx)
        P_start.append(src["start"])
        P_end.append(src["end"])
        P_open.append(src["open"])
        if key == "aid":
            kind = pd_["kind"][idx]
            P_cat.append(np.array([cat_codes.index(x["cat"]) for x in _AIDS])[kind])
            P_prod.append(np.array([i for i, _ in enumerate(_AIDS)])[kind])
            P_unit.append(np.array([schema.UNIT.index(x["unit"]) for x in _AIDS])[kind])
            P_freq.append(np.array([schema.FREQUENCY.index(x["freq"]) for x in _AIDS])[kind])
            P_vol.append(src["volume"])
            P_price.append(src["price"])
            P_amount.append(np.full(m, np.nan))
            continue
        spec = {**_PROVISIONS, "tailored": _TAILORED, "general": _GENERAL}[key]
        P_cat.append(np.full(m, cat_codes.index(spec["cat"])))
        if key == "general":
            prod = -1
        elif key == "tailored":
            prod = len(_AIDS) + len(_PROVISIONS)
        else:
            prod = len(_AIDS) + list(_PROVISIONS).index(key)
        P_prod.append(np.full(m, prod))
        P_unit.append(np.full(m, schema.UNIT.index(spec["unit"])))
        P_freq.append(np.full(m, schema.FREQUENCY.index(spec["freq"])))
        if key == "general":
            P_vol.append(np.full(m, np.nan))
            P_price.append(np.full(m, np.nan))
            P_amount.append(src["price"])  # the amount
        else:
            P_vol.append(src["volume"])
            P_price.append(src["price"])
            P_amount.append(np.full(m, np.nan))
    pt = np.concatenate(P_traj)
    order_p = np.argsort(pt, kind="stable")
    pt = pt[order_p]

    def cat(x: list) -> np.ndarray:
        return np.concatenate(x)[order_p]

    p_start, p_end, p_open = cat(P_start), cat(P_end), cat(P_open).astype(bool)
    k_prov = np.arange(len(pt)) - np.searchsorted(pt, pt)
    p_tid = pc.take(tids, pa.array(pt))
    products = (
        [x["product"] for x in _AIDS]
        + [v["product"] for v in _PROVISIONS.values()]
        + [_TAILORED["product"]]
    )
    end_date = start[pt] + p_end.astype("timedelta64[D]")
    provisions = pd.DataFrame(
        {
            "provision_id": _str_join(p_tid, _pa_take(_SUFFIX["V"], k_prov)),
            "trajectory_id": pd.arrays.ArrowStringArray(p_tid),
            "category": _str_take(cat_codes, cat(P_cat)),
            "product_code": _str_take(products, cat(P_prod)),
            "start_date": (start[pt] + p_start.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "end_date": pd.Series(end_date.astype("datetime64[ns]")).where(~p_open).to_numpy(),
            "volume": cat(P_vol),
            "unit": _str_take(schema.UNIT, cat(P_unit)),
            "frequency": _str_take(schema.FREQUENCY, cat(P_freq)),
            "unit_price": cat(P_price),
            "amount": cat(P_amount),
        }
    )
    tables["provisions"] = provisions

    # ---------------- domain scores
    smin, smax = float(instrument.scale_min), float(instrument.scale_max)
    thr = float(instrument.problem_threshold)
    lo_p, hi_p = np.ceil(smin), np.floor(thr)
    lo_n, hi_n = np.floor(thr) + 1, np.floor(smax)
    problem = res["problem"]
    u0 = rng.random(problem.shape)
    base = np.where(
        problem, lo_p + np.floor(u0 * (hi_p - lo_p + 1)), lo_n + np.floor(u0 * (hi_n - lo_n + 1))
    )
    follow = np.minimum(dur, observed)
    n_meas = 2 + (follow >= 180) + (follow >= 360)
    carer = rng.random(n) < 0.25
    n_rat = 2 + carer
    grid = (np.arange(4)[None, :, None] < n_meas[:, None, None]) & (
        np.arange(3)[None, None, :] < n_rat[:, None, None]
    )  # trajectory x measurement x rater
    d_traj, mm, rr = np.nonzero(grid)
    d_traj = np.repeat(d_traj, n_dom)
    mm = np.repeat(mm, n_dom)
    rr = np.repeat(rr, n_dom)
    dd = np.tile(np.arange(n_dom), len(d_traj) // n_dom)
    scale = (smax - smin) / 9.0
    n_meas_r = n_meas[d_traj]
    frac = mm / (n_meas_r - 1)
    is_prob = problem[d_traj, dd]
    gain = (
        frac * scale * (np.where(is_prob, 1.6, 0.2) + (t[d_traj] & is_prob) * eff["domain_change"])
    )
    # rater x (later measurement?) noise sd and offset; the resident's intake score is
    # exactly the drawn base, so the problem count at intake holds by construction
    later = (mm > 0).astype(np.int64)
    sd = np.array([[0.0, 0.5], [1.1, 1.25], [1.2, 1.35]]) * scale
    offset = np.array([0.0, -0.3, -0.5]) * scale
    z = rng.standard_normal(len(d_traj))
    raw = base[d_traj, dd] + gain + z * sd[rr, later] + offset[rr]
    score = np.clip(np.round(raw), smin, smax)
    m_day = np.floor(assess_day[d_traj] + frac * (follow[d_traj] - assess_day[d_traj])).astype(
        np.int64
    )
    d_tid = pc.take(tids, pa.array(d_traj))
    tables["domain_scores"] = pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(d_tid),
            "measurement": pd.arrays.IntegerArray(mm, np.zeros(len(mm), bool)),
            "date": (start[d_traj] + m_day.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "instrument": _str_take([instrument.code], np.zeros(len(d_traj), np.int64)),
            "domain": _str_take(dom_codes, dd),
            "rater": _str_take(schema.RATER, np.array([0, 1, 2])[rr]),
            "score": score,
        }
    )

    # ---------------- trajectories
    any_ach = (achieved & valid).any(axis=1)
    u_end = rng.random(n)
    reasons = np.array(
        [
            schema.END_REASON.index(r)
            for r in ("no_support_needed", "referred", "moved", "withdrawn", "deceased", "other")
        ]
    )
    cum = np.cumsum([0.28, 0.22, 0.1, 0.2, 0.08, 0.12])
    other_reason = reasons[np.minimum(np.searchsorted(cum, u_end * cum[-1], side="right"), 5)]
    other_reason = np.where(
        (other_reason == schema.END_REASON.index("deceased")) & (res["age"] < 65),
        schema.END_REASON.index("moved"),
        other_reason,
    )
    reason = np.where(
        any_ach & (u_end < 0.75), schema.END_REASON.index("goals_achieved"), other_reason
    )
    reason = np.where(ended, reason, schema.END_REASON.index("ongoing"))
    t_end = start + dur.astype("timedelta64[D]")
    start_year = start.astype("datetime64[Y]").astype(np.int64) + 1970
    tables["trajectories"] = pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(tids),
            "resident_id": pd.arrays.ArrowStringArray(pc.utf8_replace_slice(tids, 0, 1, "R")),
            "arm": _str_take(schema.ARM, np.where(t, 0, 1)),
            "period": _str_take(schema.PERIOD, res["period"]),
            "municipality": _str_take(cfg.municipalities, res["muni"]),
            "team": _str_take(cfg.teams, res["team"]),
            "start_date": start.astype("datetime64[ns]"),
            "end_date": pd.Series(t_end.astype("datetime64[ns]")).where(ended).to_numpy(),
            "end_reason": _str_take(schema.END_REASON, reason),
            "birth_year": pd.arrays.IntegerArray(start_year - res["age"], np.zeros(n, bool)),
            "sex": _str_take(schema.SEX, res["sex"]),
            "household": _str_take(schema.HOUSEHOLD, res["household"]),
        }
    )
    return tables


# ---------------------------------------------------------------------------------------
# Block driver
# ---------------------------------------------------------------------------------------


def _block(
    seed: int,
    b: int,
    first: int,
    m: int,
    cfg: _DesignConfig,
    eff: dict[str, float],
    team_effects: _TeamEffects,
    instrument,
    rates: dict[str, float],
    window: int,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
    res = _draw_residents(rng, m, cfg, len(instrument.domains))
    te = _team_effect_arrays(res["team"], team_effects)
    com = _draw_common(rng, m)
    wd = _world(1, res, com, te, eff, cfg, rates, window)
    ws = _world(0, res, com, te, eff, cfg, rates, window)
    wd.update(
        {k: com[k] for k in ("org_key", "u_joint", "w_goal", "z_goal", "u_prof_fate", "z_prof")}
    )
    wd["recorded"] = ws["recorded"]
    tids = pa.array([f"T{i:07d}" for i in range(first + 1, first + m + 1)], type=pa.string())
    tables = _expand(rng, res, wd, ws, cfg, instrument, tids, eff)
    po = _potential_frame(wd, ws, res)
    t = res["demand"]
    po_df = pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(tids),
            "arm": _str_take(schema.ARM, np.where(t, 0, 1)),
            **po,
        }
    )
    for o in TRUTH_OUTCOMES:
        po_df[f"{o}_obs"] = np.where(t, po_df[f"{o}_d"], po_df[f"{o}_s"])
    return tables, po_df


def _check_args(n_trajectories: int, seed: int, design: str, instrument: str) -> None:
    if isinstance(n_trajectories, bool) or not isinstance(n_trajectories, (int, np.integer)):
        raise ValueError(f"n_trajectories must be an integer, not {n_trajectories!r}")
    if not 1 <= int(n_trajectories) <= 9_999_999:
        raise ValueError(f"n_trajectories must lie in 1..9,999,999, not {n_trajectories}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, not {design!r}")
    load_instrument(instrument)


def _setup(seed: int, cfg: _DesignConfig) -> _TeamEffects:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    return _draw_team_effects(rng, len(cfg.teams))


def _study(seed: int, design: str, instrument: str, n: int) -> StudySettings:
    return StudySettings(
        name=f"Synthetische pilot / synthetic pilot ({design}, n={n}, seed={seed})",
        instrument=instrument,
        price_year=2025,
        seed=seed,
    )


def _truth(
    po: pd.DataFrame,
    eff: dict[str, float],
    design: str,
    instrument: str,
    superpopulation: int | None,
    cfg: _DesignConfig,
    team_effects: _TeamEffects,
) -> dict[str, Any]:
    treated = (po["arm"] == "demand_driven").to_numpy()
    truth: dict[str, Any] = {
        "sample": _effect_summary(po),
        "sample_treated": _effect_summary(po, treated),
        "effects": dict(eff),
        "design": design,
        "instrument": instrument,
        "outcomes": list(TRUTH_OUTCOMES),
        "teams": pd.DataFrame(
            {
                "team": list(cfg.teams),
                "municipality": [cfg.municipalities[i] for i in cfg.team_municipality],
                "pilot": list(cfg.team_pilot),
                "effect_retention": team_effects.retention,
                "effect_provision": team_effects.provision,
                "effect_sharing": team_effects.sharing,
                "effect_referral": team_effects.referral,
                "implementation": team_effects.implementation,
            }
        ),
        "switch_date": None if cfg.switch_date is None else str(cfg.switch_date),
        "potential_outcomes": po,
    }
    if superpopulation:
        sp, sp_t = _superpopulation(
            design, tuple(sorted(eff.items())), instrument, int(superpopulation)
        )
        truth["superpopulation"] = sp
        truth["superpopulation_treated"] = sp_t
        truth["superpopulation_n"] = int(superpopulation)
        truth["superpopulation_seed"] = SUPERPOPULATION_SEED
    return truth


def _finish_tables(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in schema.TABLES:
        df = (
            pd.concat([p[name] for p in parts], ignore_index=True)
            if len(parts) > 1
            else parts[0][name]
        )
        df = df.reset_index(drop=True)
        df.index = pd.RangeIndex(2, len(df) + 2)
        out[name] = schema.coerce_table(name, df)
    return out


def generate(
    n_trajectories: int = 600,
    seed: int = 20250101,
    effects: str | dict[str, float] | None = "default",
    design: Design = "concurrent",
    instrument: str = "wat_telt",
    superpopulation: int | None = SUPERPOPULATION_N,
) -> PilotData:
    """Simulate a pilot with known truth, in the data model of DESIGN.md.

    Parameters
    ----------
    n_trajectories : int
        Number of trajectories (one resident each).
    seed : int
        Seed; the same seed (and arguments) gives identical data.
    effects : {"default", "null"} or dict
        Effect parameters of the demand-driven way of working. A dict overrides
        single entries of :data:`DEFAULT_EFFECTS` (e.g. ``{"goal_retention": 0}``);
        ``"null"`` sets every effect to none (:data:`NULL_EFFECTS`): both potential
        worlds are then identical for every trajectory.
    design : {"concurrent", "did", "its"}
        ``concurrent``: pilot teams against regular teams in two municipalities
        (2024 intake). ``did``: a pilot municipality (GM0772) switching on
        2024-01-01 and a comparison municipality (GM0794), intake 2023-2024, with
        ``period``. ``its``: one municipality, 36 months of intake from 2022-01,
        switching on 2023-07-01 (all teams), with ``period``.
    instrument : str
        Domain instrument code for ``domain_scores`` (default ``wat_telt``).
    superpopulation : int or None
        Size of the internal draw (fixed seed :data:`SUPERPOPULATION_SEED`) for the
        superpopulation truth; ``None`` skips it.

    Returns
    -------
    PilotData
        Tables in canonical form; ``data.truth`` holds the known truth: ``sample``
        (average effects over the generated trajectories), ``sample_treated``
        (over the demand-driven ones), ``superpopulation`` and
        ``superpopulation_treated``, each ``{outcome: {mean_demand, mean_supply,
        difference, ratio, n, mc_se}}``; ``potential_outcomes`` (one row per
        trajectory: ``<outcome>_d``, ``<outcome>_s``, ``<outcome>_obs``);
        ``effects``, ``design``, ``teams`` (the team random effects).

    Notes
    -----
    Outcomes follow DESIGN.md section 4 with the study's default cost window
    (365 days) and hourly rates. The generator is vectorised and works in blocks
    of :data:`BLOCK_SIZE` trajectories, each with its own child seed. See
    ``docs/synth.md`` for every assumption and the calibration.
    """
    _check_args(n_trajectories, seed, design, instrument)
    eff = _resolve_effects(effects)
    n = int(n_trajectories)
    cfg = _design_config(design)
    study = _study(int(seed), design, instrument, n)
    inst = load_instrument(instrument)
    team_effects = _setup(int(seed), cfg)
    parts, pos = [], []
    for b, first in enumerate(range(0, n, BLOCK_SIZE)):
        m = min(BLOCK_SIZE, n - first)
        tables, po = _block(
            int(seed),
            b,
            first,
            m,
            cfg,
            eff,
            team_effects,
            inst,
            study.rates,
            study.cost_window_days,
        )
        parts.append(tables)
        pos.append(po)
    tables = _finish_tables(parts)
    po = pd.concat(pos, ignore_index=True) if len(pos) > 1 else pos[0]
    truth = _truth(po, eff, design, instrument, superpopulation, cfg, team_effects)
    return PilotData(**tables, study=study, truth=truth, source="synthetic")


# ---------------------------------------------------------------------------------------
# Writing (in memory or streamed), truth files
# ---------------------------------------------------------------------------------------


def truth_to_json(truth: dict[str, Any]) -> str:
    """The truth dict as JSON (DataFrames left out, except the team effects as records)."""
    out = {}
    for k, v in truth.items():
        if k == "potential_outcomes":
            continue
        if isinstance(v, pd.DataFrame):
            v = v.to_dict(orient="records")
        out[k] = v
    return json.dumps(out, indent=2, default=float)


def _write_truth(truth: dict[str, Any], folder: Path, format: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "truth.json").write_text(truth_to_json(truth), encoding="utf-8")
    po = truth["potential_outcomes"]
    if format == "parquet":
        po.to_parquet(folder / "potential_outcomes.parquet", index=False)
    else:
        po.to_csv(folder / "potential_outcomes.csv", index=False, lineterminator="\n")


def write(
    out: str | Path,
    n_trajectories: int = 600,
    seed: int = 20250101,
    effects: str | dict[str, float] | None = "default",
    design: Design = "concurrent",
    format: PackageFormat = "csv",
    instrument: str = "wat_telt",
    truth: bool = True,
    superpopulation: int | None = SUPERPOPULATION_N,
) -> Path:
    """Generate and write a synthetic pilot data package.

    Parquet output is streamed block by block (bounded memory, suitable for
    millions of trajectories); CSV and xlsx go through
    :func:`wattelt_eval.io.write_package`. Data are identical either way. With
    ``truth=True`` the truth is written to ``<out>/truth/`` (``truth.json`` and the
    potential outcomes), outside the package tables.

    Returns
    -------
    Path
        The package folder (or the workbook for ``xlsx``).
    """
    if format not in ("csv", "xlsx", "parquet"):
        raise ValueError(f"format must be 'csv', 'xlsx' or 'parquet', not {format!r}")
    out = Path(out)
    if format != "parquet" or n_trajectories <= BLOCK_SIZE:
        from .io import write_package

        data = generate(
            n_trajectories, seed, effects, design, instrument, superpopulation if truth else None
        )
        path = write_package(data, out, format=format)
        if truth:
            _write_truth(
                data.truth, (out if out.suffix.lower() != ".xlsx" else out.parent) / "truth", format
            )
        return path
    return _write_parquet_stream(
        out, n_trajectories, seed, effects, design, instrument, truth, superpopulation
    )


def _write_parquet_stream(
    out: Path,
    n_trajectories: int,
    seed: int,
    effects: Any,
    design: str,
    instrument: str,
    truth: bool,
    superpopulation: int | None,
) -> Path:
    import pyarrow.parquet as pq

    _check_args(n_trajectories, seed, design, instrument)
    eff = _resolve_effects(effects)
    n = int(n_trajectories)
    cfg = _design_config(design)
    study = _study(int(seed), design, instrument, n)
    inst = load_instrument(instrument)
    team_effects = _setup(int(seed), cfg)
    out.mkdir(parents=True, exist_ok=True)
    (out / "study.toml").write_text(study.to_toml(), encoding="utf-8")
    writers: dict[str, pq.ParquetWriter] = {}
    pos = []
    try:
        for b, first in enumerate(range(0, n, BLOCK_SIZE)):
            m = min(BLOCK_SIZE, n - first)
            tables, po = _block(
                int(seed),
                b,
                first,
                m,
                cfg,
                eff,
                team_effects,
                inst,
                study.rates,
                study.cost_window_days,
            )
            for name in schema.TABLES:
                df = schema.coerce_table(name, tables[name])
                tab = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", tab.schema)
                writers[name].write_table(tab.cast(writers[name].schema))
            del tables
            pos.append(po)
    finally:
        for w in writers.values():
            w.close()
    if truth:
        po_all = pd.concat(pos, ignore_index=True)
        _write_truth(
            _truth(po_all, eff, design, instrument, superpopulation, cfg, team_effects),
            out / "truth",
            "parquet",
        )
    return out


# ---------------------------------------------------------------------------------------
# Demo pilot
# ---------------------------------------------------------------------------------------


def demo_path() -> Path:
    """Folder of the bundled demo pilot package (parquet tables, ``study.toml``, ``truth/``)."""
    return Path(__file__).resolve().parent / "demo"


#: Format of the bundled demo package. Parquet keeps all 600 trajectories with every
#: row of the full model at about 0.4 MB (the same data as CSV take about 4.7 MB);
#: ``wattelt-eval synth --demo --out DIR --format csv`` writes a readable CSV copy.
DEMO_FORMAT: PackageFormat = "parquet"

_DEMO_NAME = "Demo-pilot (synthetisch) / demo pilot (synthetic)"


def demo() -> PilotData:
    """The bundled demo pilot: 600 trajectories, two municipalities, eight teams.

    Loaded (and validated) from the package under :func:`demo_path`, with
    ``data.truth`` read from its ``truth/`` folder. The package was made by
    :func:`build_demo` (``generate(DEMO_N, seed=DEMO_SEED)``, concurrent design,
    default effects); a test checks that rebuilding gives the same data.

    Returns
    -------
    PilotData
        A fresh copy (safe to modify).
    """
    return _demo_cached().copy()


def read_truth(folder: str | Path) -> dict[str, Any]:
    """Read a ``truth/`` folder written by :func:`write` (``truth.json`` + potential outcomes).

    ``teams`` comes back as a DataFrame and ``potential_outcomes`` is attached,
    as in ``data.truth`` from :func:`generate`.
    """
    folder = Path(folder)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    if isinstance(truth.get("teams"), list):
        truth["teams"] = pd.DataFrame.from_records(truth["teams"])
    if (folder / "potential_outcomes.parquet").exists():
        truth["potential_outcomes"] = pd.read_parquet(folder / "potential_outcomes.parquet")
    elif (folder / "potential_outcomes.csv").exists():
        truth["potential_outcomes"] = pd.read_csv(folder / "potential_outcomes.csv")
    return truth


@functools.lru_cache(maxsize=1)
def _demo_cached() -> PilotData:
    from .validation import load

    path = demo_path()
    data = load(path)
    data.truth = read_truth(path / "truth")
    return data


def _demo_generated() -> PilotData:
    data = generate(DEMO_N, seed=DEMO_SEED, design="concurrent")
    data.study.name = _DEMO_NAME
    return data


def build_demo(out: str | Path | None = None) -> Path:
    """Regenerate the bundled demo package from its fixed seed.

    ``generate(DEMO_N, seed=DEMO_SEED, design="concurrent")`` with default
    effects, written as parquet (:data:`DEMO_FORMAT`) with ``truth/``. Stale
    table files in ``out`` are removed first. The documented command is
    ``wattelt-eval synth --demo-rebuild`` (writes into :func:`demo_path`).

    Parameters
    ----------
    out : path, optional
        Target folder; default :func:`demo_path` (the package's own copy).

    Returns
    -------
    Path
        The folder written.
    """
    from .io import write_package

    out = Path(out) if out is not None else demo_path()
    for old in list(out.glob("*.csv")) + list(out.glob("*.parquet")) + list(out.glob("truth/*")):
        old.unlink()
    data = _demo_generated()
    write_package(data, out, format=DEMO_FORMAT)
    _write_truth(data.truth, out / "truth", DEMO_FORMAT)
    _demo_cached.cache_clear()
    return out


def write_demo(path: str | Path, format: PackageFormat = "csv") -> Path:
    """Write a copy of the bundled demo pilot (tables + ``truth/``) to ``path``.

    Parameters
    ----------
    path : path
        Folder (``csv``, ``parquet``) or ``.xlsx`` file.
    format : {"csv", "xlsx", "parquet"}
        Package format of the copy.

    Returns
    -------
    Path
        The package written.
    """
    from .io import write_package

    path = Path(path)
    data = _demo_cached()
    out = write_package(data, path, format=format)
    folder = path.parent if format == "xlsx" else path
    _write_truth(data.truth, folder / "truth", "parquet" if format == "parquet" else "csv")
    return out


# ---------------------------------------------------------------------------------------
# Calibration summary
# ---------------------------------------------------------------------------------------

#: Calibration targets (assumptions from the sources; see docs/synth.md).
CALIBRATION_TARGETS: dict[str, tuple[float, float]] = {
    # name: (target, tolerance)
    "no_provision_share_demand": (0.40, 0.04),
    "cost_more_share_demand": (0.10, 0.02),
    "annual_cost_household_help": (2500.0, 375.0),
    "annual_cost_support_at_home": (6500.0, 975.0),
    "annual_cost_aids_and_services": (900.0, 180.0),
}


def calibration(po: pd.DataFrame) -> pd.DataFrame:
    """Calibration quantities from potential outcomes (``data.truth["potential_outcomes"]``).

    Returns a table with ``quantity, value, target, tolerance, ok``. The quantities
    are computed over the demand-driven world for the Huizen figures, and over
    the realised world for costs per client (mean cost in the 365-day window over
    trajectories with any cost in that CBS group). ``care_use_ratio_2plus`` is the
    mean total cost for 2+ problem domains divided by that for 0-1 (target > 1).
    """
    rows = []
    no_prov = 1.0 - po["any_provision_d"].mean()
    more = (po["cost_provisions_d"] > po["cost_provisions_s"] + 1e-9).mean()
    rows.append(("no_provision_share_demand", no_prov))
    rows.append(("cost_more_share_demand", more))
    for g in ("household_help", "support_at_home", "aids_and_services"):
        obs = np.where(po["arm"] == "demand_driven", po[f"cost_{g}_d"], po[f"cost_{g}_s"])
        rows.append(
            (f"annual_cost_{g}", float(obs[obs > 0].mean()) if (obs > 0).any() else float("nan"))
        )
    two = po["n_problem_domains_t0"] >= 2
    ratio = po.loc[two, "cost_total_obs"].mean() / po.loc[~two, "cost_total_obs"].mean()
    out = pd.DataFrame(rows, columns=["quantity", "value"])
    out["target"] = out["quantity"].map(lambda q: CALIBRATION_TARGETS[q][0])
    out["tolerance"] = out["quantity"].map(lambda q: CALIBRATION_TARGETS[q][1])
    out["ok"] = (out["value"] - out["target"]).abs() <= out["tolerance"]
    extra = pd.DataFrame(
        [("care_use_ratio_2plus", ratio, 1.0, np.nan, bool(ratio > 1.2))],
        columns=["quantity", "value", "target", "tolerance", "ok"],
    )
    return pd.concat([out, extra], ignore_index=True)


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
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
    p.add_argument("--lang", choices=("nl", "en"), default="nl")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``wattelt-eval synth``; exit code 0 on success, 2 on usage errors."""
    nl = getattr(args, "lang", "nl") == "nl"
    try:
        effects: Any = args.effects
        if isinstance(effects, str) and effects.strip().startswith("{"):
            try:
                effects = json.loads(effects)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"--effects is geen geldige JSON / is not valid JSON: {exc}"
                ) from exc
        if getattr(args, "demo_rebuild", False):
            if args.demo:
                raise ValueError(
                    "geef --demo of --demo-rebuild, niet allebei / "
                    "give --demo or --demo-rebuild, not both"
                )
            path = build_demo(args.out)
            data = None
        elif args.out is None:
            raise ValueError("--out is verplicht / --out is required")
        elif args.demo:
            path = write_demo(args.out, format=args.format)
            data = _demo_cached()
        else:
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
            data = None
    except ValueError as exc:
        print(f"wattelt-eval synth: {exc}", file=sys.stderr)
        return 2
    msg = "Synthetisch pilotpakket geschreven naar" if nl else "Synthetic pilot package written to"
    print(f"{msg} {path}")
    truth_file = (path.parent if path.suffix == ".xlsx" else path) / "truth" / "truth.json"
    if data is not None or truth_file.exists():
        tr = data.truth if data is not None else json.loads(truth_file.read_text(encoding="utf-8"))
        head = (
            "Ware effecten (steekproef, vraag- min aanbodgestuurd)"
            if nl
            else "True effects (sample, demand- minus supply-driven)"
        )
        print(head + ":")
        for o in ("goal_retention", "n_retells", "cost_total", "any_provision"):
            s = tr["sample"][o]
            print(
                f"  {o:15s} {s['mean_demand']:12.3f} {s['mean_supply']:12.3f} {s['difference']:+12.3f}"
            )
    return 0
