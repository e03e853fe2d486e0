"""Phase 1a: the residents (case-mix, arm, team, dates) and the common random numbers.

Everything drawn here is shared by both potential worlds (:mod:`.worlds`): the resident
is the same person whichever way of working they meet, and the same uniforms decide
what happens to them in both. See docs/synth.md, *How it works* and *Case-mix and
confounding*.
"""

from __future__ import annotations

import numpy as np

from .. import schema
from ._arrays import categorical, expit, logit
from .designs import DesignConfig

_REF_DATE = np.datetime64("2024-01-01", "D")  # time trends are per year since this date

GMAX = 6  # resident goal slots (1 + Poisson capped at 5)
SMAX = 3  # specialist referrals
FMAX = 4  # extra follow-ups besides one per specialist
N_SPECIALIST_ORGS = 8
SPECIALIST_ORGS = (
    "ggz_organisatie_a",
    "schuldhulp_b",
    "thuisbegeleiding_c",
    "verslavingszorg_d",
    "maatschappelijk_werk_e",
    "ouderenzorg_f",
    "jeugd_en_gezin_g",
    "dagbesteding_h",
)

# ---- contact slot layout: the fixed columns of the (trajectory x slot) contact matrices
SLOT_DESK = 0  # service-desk intake
SLOT_ASSESS = 1  # the generalist's assessment
SLOT_HAND = [2 + 2 * j for j in range(SMAX)]  # warm handover to specialist j
SLOT_SPEC = [3 + 2 * j for j in range(SMAX)]  # intake at specialist j
SLOT_REVIEW = 2 + 2 * SMAX  # review halfway
SLOT_FOLLOW = [SLOT_REVIEW + 1 + k for k in range(FMAX + SMAX)]  # follow-ups
SLOT_FINAL = SLOT_FOLLOW[-1] + 1  # final evaluation
N_SLOTS = SLOT_FINAL + 1
ROLES = schema.ROLE
CONTACT_TYPES = schema.CONTACT_TYPE


def draw_residents(
    rng: np.random.Generator, n: int, cfg: DesignConfig, n_domains: int
) -> dict[str, np.ndarray]:
    """Case-mix, design position (arm, team) and timing: everything before the worlds split."""
    start_day = rng.integers(0, cfg.intake_days, n)
    start = cfg.intake_start + start_day.astype("timedelta64[D]")
    tau = (start - _REF_DATE).astype(np.int64) / 365.25  # years since 2024-01-01
    muni = categorical(rng.random(n), np.asarray(cfg.municipality_p))
    case_mix = _draw_case_mix(rng, n, muni, cfg, tau, n_domains)
    demand, period, team = _assign_arm_and_team(rng, n, cfg, start, muni, case_mix)
    # duration and follow-up
    duration = np.clip(30 + np.floor(rng.gamma(1.6, 150.0, n)), 30, 800).astype(np.int64)
    observed = (cfg.extraction_date - start).astype(np.int64)  # days from start to extraction
    ended = duration <= observed
    return dict(
        start_day=start_day,
        start=start,
        tau=tau,
        muni=muni,
        **case_mix,
        demand=demand,
        period=period,
        team=team,
        duration=duration,
        observed=observed,
        ended=ended,
    )


def _draw_case_mix(
    rng: np.random.Generator,
    n: int,
    muni: np.ndarray,
    cfg: DesignConfig,
    tau: np.ndarray,
    n_domains: int,
) -> dict[str, np.ndarray]:
    """Age, sex, household, severity and the problem domains at intake."""
    # a comparison municipality a little older
    older = rng.random(n) < 0.55 + 0.06 * (muni == 1)
    age_old = np.minimum(65 + np.floor(rng.gamma(2.0, 6.0, n)), 99)
    age_young = rng.integers(18, 65, n)
    age = np.where(older, age_old, age_young).astype(np.int64)
    sex = np.where(rng.random(n) < np.where(older, 0.62, 0.54), 0, 1)
    sex = np.where(rng.random(n) < 0.004, 2, sex)  # 'other'
    hh_old = np.array([0.55, 0.38, 0.01, 0.02, 0.04])
    hh_young = np.array([0.40, 0.12, 0.20, 0.20, 0.08])
    household = categorical(rng.random(n), np.where(older[:, None], hh_old, hh_young))
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
    c_d = logit(min(1.7 / n_domains, 0.6)) - 0.3
    p_dom = expit(c_d + 0.9 * severity)
    problem = rng.random((n, n_domains)) < p_dom[:, None]
    return dict(
        age=age,
        sex=sex,
        household=household,
        severity=severity,
        problem=problem,
        n_prob=problem.sum(axis=1),
    )


def _assign_arm_and_team(
    rng: np.random.Generator,
    n: int,
    cfg: DesignConfig,
    start: np.ndarray,
    muni: np.ndarray,
    case_mix: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(demand, period, team)``: concurrent arms by case-mix, else by date and pilot team."""
    teams_muni = np.asarray(cfg.team_municipality)
    teams_pilot = np.asarray(cfg.team_pilot)
    u_team = rng.random(n)

    def uniform_team(ids: np.ndarray, sel: np.ndarray) -> np.ndarray:
        return ids[np.minimum((u_team[sel] * len(ids)).astype(np.int64), len(ids) - 1)]

    team = np.empty(n, dtype=np.int64)
    if cfg.design == "concurrent":
        age, household = case_mix["age"], case_mix["household"]
        lp = (
            -0.35
            + 0.6 * (case_mix["n_prob"] >= 2)
            + 0.4 * (age >= 75)
            + 0.35 * (household == 2)
            - 0.25 * (household == 1)
        )
        demand = rng.random(n) < expit(lp)
        period = np.full(n, -1)
        # team uniform among the teams of this municipality in this arm
        for m in range(len(cfg.municipalities)):
            for pilot in (True, False):
                ids = np.flatnonzero((teams_muni == m) & (teams_pilot == pilot))
                sel = (muni == m) & (demand == pilot)
                team[sel] = uniform_team(ids, sel)
        return demand, period, team
    after = start >= cfg.switch_date
    for m in range(len(cfg.municipalities)):
        sel = muni == m
        team[sel] = uniform_team(np.flatnonzero(teams_muni == m), sel)
    if cfg.team_switch is not None:  # staggered: each team switches in its own month
        far = np.datetime64("9999-12-31", "D")
        switch = np.array([far if s is None else s for s in cfg.team_switch])
        after = start >= switch[team]
    period = after.astype(np.int64)
    demand = after & teams_pilot[team]
    return demand, period, team


def draw_common(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The common random numbers shared by both worlds (drawn in this order)."""
    u = rng.random
    n_minutes = N_SLOTS  # one conversation length per contact slot
    return dict(
        u_kr=u(n),
        u_kp=u(n),
        u_goal=u((n, GMAX)),
        w_goal=u((n, GMAX)),
        z_goal=u((n, GMAX)),
        u_joint=u((n, GMAX)),
        u_prof_fate=u((n, 3)),
        z_prof=u((n, 3)),
        u_s=u(n),
        u_share1=u(n),
        x1=u(n),
        u_share=u((n, SMAX)),
        x_spec=u((n, SMAX)),
        org_key=u((n, N_SPECIALIST_ORGS)),
        u_f=u(n),
        a1=u(n),
        r_frac=np.sort(u((n, SMAX)), axis=1),
        f_frac=np.sort(u((n, FMAX + SMAX)), axis=1),
        rec=u((n, n_minutes)),
        mins=rng.lognormal(0.0, 0.25, (n, n_minutes)),
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
