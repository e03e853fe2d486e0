"""Design parameters: the three study designs, the effect parameters and the team effects.

Everything here is a fixed assumption of the simulation (``docs/synth.md``, sections
*Designs*, *Teams* and *Effect parameters*); nothing is drawn except the team effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import UsageError
from ..i18n import pair

Design = Literal["concurrent", "did", "its", "rollout", "staggered", "municipalities"]
PackageFormat = Literal["csv", "xlsx", "parquet"]
DESIGNS: tuple[str, ...] = (
    "concurrent",
    "did",
    "its",
    "rollout",
    "staggered",
    "municipalities",
)

#: Trajectories are drawn in blocks of this size, each from its own child seed,
#: so the result does not depend on how the output is written (memory or stream).
#: Read at call time from this module (``wattelt_eval.synth.BLOCK_SIZE`` is a copy).
BLOCK_SIZE = 50_000

#: Seed and size of the internal draw that gives the superpopulation truth.
SUPERPOPULATION_SEED = 740_512_023
SUPERPOPULATION_N = 200_000

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

#: Outcomes with a known truth (defined in docs/outcomes.md, sections 2-4).
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


def n_blocks(n: int) -> int:
    """Number of blocks of :data:`BLOCK_SIZE` that ``n`` trajectories take."""
    return -(-n // BLOCK_SIZE)


def block_slices(n: int) -> Iterator[tuple[int, int, int]]:
    """``(block number, first trajectory, size)`` of each block of :data:`BLOCK_SIZE`."""
    for b, first in enumerate(range(0, n, BLOCK_SIZE)):
        yield b, first, min(BLOCK_SIZE, n - first)


# ---------------------------------------------------------------------------------------
# The designs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignConfig:
    """Municipalities, teams and calendar of one design (see docs/synth.md, *Designs*)."""

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
    # staggered adoption: each team's first month of the new way (None: never in the data)
    team_switch: tuple[np.datetime64 | None, ...] | None = None
    # the effect builds up over this many months after a team's switch (0: at once)
    ramp_months: int = 0


#: Days from the end of the intake to the data extraction (every design).
_EXTRACTION_LAG_DAYS = 420
_EHV = tuple(f"wijkteam_ehv_{i}" for i in range(1, 5))
_HMD = tuple(f"wijkteam_hmd_{i}" for i in range(1, 5))


def _concurrent() -> DesignConfig:
    start, days = np.datetime64("2024-01-01", "D"), 366
    return DesignConfig(
        design="concurrent",
        municipalities=("GM0772", "GM0794"),
        municipality_p=(0.6, 0.4),
        teams=_EHV + _HMD,
        team_municipality=(0, 0, 0, 0, 1, 1, 1, 1),
        team_pilot=(True, True, False, False, True, True, False, False),
        intake_start=start,
        intake_days=days,
        switch_date=None,
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.0,
        price_trend=0.0,
        retention_trend=0.0,
    )


def _did() -> DesignConfig:
    start, days = np.datetime64("2023-01-01", "D"), 731
    return DesignConfig(
        design="did",
        municipalities=("GM0772", "GM0794"),
        municipality_p=(0.55, 0.45),
        teams=_EHV + _HMD,
        team_municipality=(0, 0, 0, 0, 1, 1, 1, 1),
        team_pilot=(True, True, True, True, False, False, False, False),
        intake_start=start,
        intake_days=days,
        switch_date=np.datetime64("2024-01-01", "D"),
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.05,
        price_trend=0.03,
        retention_trend=0.08,
    )


def _its() -> DesignConfig:
    start, days = np.datetime64("2022-01-01", "D"), 1096  # 36 months
    return DesignConfig(
        design="its",
        municipalities=("GM0772",),
        municipality_p=(1.0,),
        teams=tuple(f"wijkteam_ehv_{i}" for i in range(1, 9)),
        team_municipality=(0,) * 8,
        team_pilot=(True,) * 8,
        intake_start=start,
        intake_days=days,
        switch_date=np.datetime64("2023-07-01", "D"),
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.08,
        price_trend=0.03,
        retention_trend=0.05,
    )


def _rollout() -> DesignConfig:
    start, days = np.datetime64("2024-01-01", "D"), 547  # 18 months
    return DesignConfig(
        design="rollout",
        municipalities=("GM0772",),
        municipality_p=(1.0,),
        teams=tuple(f"wijkteam_ehv_{i}" for i in range(1, len(ROLLOUT_CURVES) + 1)),
        team_municipality=(0,) * len(ROLLOUT_CURVES),
        team_pilot=(True,) * len(ROLLOUT_CURVES),
        intake_start=start,
        intake_days=days,
        switch_date=start,
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.0,
        price_trend=0.0,
        retention_trend=0.0,
    )


#: Staggered design: the month each team of Eindhoven switches (``None``: not in the data).
STAGGERED_SWITCH: tuple[str | None, ...] = (
    ("2023-10-01",) * 3 + ("2024-04-01",) * 3 + ("2024-10-01",) * 3 + (None,) * 3
)
#: Staggered design: the effect of a team's switch builds up linearly over these months.
STAGGERED_RAMP_MONTHS = 4


def _staggered() -> DesignConfig:
    start, days = np.datetime64("2023-01-01", "D"), 1096  # 36 months
    n = len(STAGGERED_SWITCH)
    return DesignConfig(
        design="staggered",
        municipalities=("GM0772",),
        municipality_p=(1.0,),
        teams=tuple(f"wijkteam_ehv_{i}" for i in range(1, n + 1)),
        team_municipality=(0,) * n,
        team_pilot=tuple(s is not None for s in STAGGERED_SWITCH),
        intake_start=start,
        intake_days=days,
        switch_date=np.datetime64(min(s for s in STAGGERED_SWITCH if s), "D"),
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.05,
        price_trend=0.03,
        retention_trend=0.05,
        team_switch=tuple(None if s is None else np.datetime64(s, "D") for s in STAGGERED_SWITCH),
        ramp_months=STAGGERED_RAMP_MONTHS,
    )


#: One pilot municipality (Huizen) against nine comparison municipalities nearby.
MUNICIPALITIES: tuple[str, ...] = (
    "GM0406",  # Huizen (pilot)
    "GM0376",  # Blaricum
    "GM0417",  # Laren
    "GM1942",  # Gooise Meren
    "GM0402",  # Hilversum
    "GM0317",  # Eemnes
    "GM0308",  # Baarn
    "GM1696",  # Wijdemeren
    "GM0342",  # Soest
    "GM0313",  # Bunschoten
)
#: Share of the trajectories per municipality (roughly by population).
MUNICIPALITY_P: tuple[float, ...] = (0.10, 0.03, 0.03, 0.15, 0.25, 0.03, 0.07, 0.06, 0.12, 0.16)


def _municipalities() -> DesignConfig:
    start, days = np.datetime64("2023-01-01", "D"), 1096  # 36 months, switch after 18
    m = len(MUNICIPALITIES)
    teams = tuple(f"wijkteam_{code[2:]}_{k}" for code in MUNICIPALITIES for k in (1, 2))
    return DesignConfig(
        design="municipalities",
        municipalities=MUNICIPALITIES,
        municipality_p=MUNICIPALITY_P,
        teams=teams,
        team_municipality=tuple(i for i in range(m) for _ in (1, 2)),
        team_pilot=tuple(i == 0 for i in range(m) for _ in (1, 2)),
        intake_start=start,
        intake_days=days,
        switch_date=np.datetime64("2024-07-01", "D"),
        extraction_date=start + days + _EXTRACTION_LAG_DAYS,
        severity_trend=0.05,
        price_trend=0.03,
        retention_trend=0.05,
    )


_CONFIGS = {
    "concurrent": _concurrent,
    "did": _did,
    "its": _its,
    "rollout": _rollout,
    "staggered": _staggered,
    "municipalities": _municipalities,
}


def switch_month(team: np.ndarray, start: np.ndarray, cfg: DesignConfig) -> np.ndarray:
    """Months since the trajectory's team switched (negative before; staggered design).

    Teams that never switch get a large negative number."""
    first = np.array(
        [
            (-(10**6) if s is None else s.astype("datetime64[M]").astype(np.int64))
            for s in cfg.team_switch
        ],
        dtype=np.int64,
    )
    month = np.asarray(start).astype("datetime64[M]").astype(np.int64)
    sw = first[team]
    return np.where(sw == -(10**6), -(10**6), month - sw)


def ramp(months_since: np.ndarray, ramp_months: int) -> np.ndarray:
    """Share of the full effect ``months_since`` months after the switch (1 before/without)."""
    if ramp_months <= 0:
        return np.ones(len(months_since))
    return np.where(months_since >= 0, np.minimum(1.0, (months_since + 1.0) / ramp_months), 1.0)


# ---------------------------------------------------------------------------------------
# Rollout: fidelity per team and month
# ---------------------------------------------------------------------------------------

#: Fidelity in the first month of the rollout (every team).
ROLLOUT_FLOOR = 0.10
#: Per team ``(midpoint month, plateau, speed in months)`` of the logistic fidelity path
#: ``floor + (plateau - floor) * expit((month - midpoint) / speed)``; month 0 is the first
#: month of intake. The last team stalls: it starts like the others, then levels off at 30%.
ROLLOUT_CURVES: tuple[tuple[float, float, float], ...] = (
    (3.0, 0.90, 1.2),
    (5.0, 0.90, 1.5),
    (7.0, 0.85, 1.5),
    (9.0, 0.85, 2.0),
    (4.0, 0.90, 1.0),
    (3.0, 0.30, 1.0),
)
#: The stalling team (index into the teams of the rollout design).
ROLLOUT_STALLING_TEAM = len(ROLLOUT_CURVES) - 1


def rollout_fidelity(team: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Probability that a trajectory of ``team`` starting in ``month`` follows the new way."""
    curves = np.asarray(ROLLOUT_CURVES)
    mid, top, speed = curves[team, 0], curves[team, 1], curves[team, 2]
    x = (np.asarray(month, dtype=np.float64) - mid) / speed
    return ROLLOUT_FLOOR + (top - ROLLOUT_FLOOR) / (1.0 + np.exp(-x))


def check_design(design: object) -> None:
    """Raise a bilingual :class:`~wattelt_eval.errors.UsageError` for an unknown design."""
    if design not in DESIGNS:
        raise UsageError(*pair("synth.error.design", known=", ".join(DESIGNS), value=repr(design)))


def design_config(design: str) -> DesignConfig:
    """The configuration of ``design`` (one of :data:`DESIGNS`)."""
    check_design(design)
    return _CONFIGS[design]()


# ---------------------------------------------------------------------------------------
# Team random effects
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamEffects:
    """Random effects per team (shared by both worlds) and implementation strength."""

    retention: np.ndarray  # logit shift of goal retention
    provision: np.ndarray  # logit shift of needing a provision
    sharing: np.ndarray  # logit shift of plan sharing
    referral: np.ndarray  # log shift of referral rate
    implementation: np.ndarray  # multiplier of the demand-driven effects (mean 1)


#: Standard deviations of the team random effects and of the implementation strength.
TEAM_SD = {"retention": 0.30, "provision": 0.25, "sharing": 0.35, "referral": 0.20}
IMPLEMENTATION_SD = 0.25


def draw_team_effects(rng: np.random.Generator, n: int) -> TeamEffects:
    """Draw the effects of ``n`` teams (in this order: the draws are part of the seed's output)."""
    return TeamEffects(
        retention=rng.normal(0.0, TEAM_SD["retention"], n),
        provision=rng.normal(0.0, TEAM_SD["provision"], n),
        sharing=rng.normal(0.0, TEAM_SD["sharing"], n),
        referral=rng.normal(0.0, TEAM_SD["referral"], n),
        implementation=np.clip(rng.normal(1.0, IMPLEMENTATION_SD, n), 0.0, None),
    )


def team_effect_arrays(team: np.ndarray, effects: TeamEffects) -> dict[str, np.ndarray]:
    """The team effects per trajectory (``team`` holds each trajectory's team index)."""
    return {
        "retention": effects.retention[team],
        "provision": effects.provision[team],
        "sharing": effects.sharing[team],
        "referral": effects.referral[team],
        "implementation": effects.implementation[team],
    }


# ---------------------------------------------------------------------------------------
# Effect parameters
# ---------------------------------------------------------------------------------------


def resolve_effects(effects: str | dict[str, float] | None) -> dict[str, float]:
    """The full effect dict for ``"default"``, ``"null"`` or a dict of overrides.

    Raises a bilingual :class:`~wattelt_eval.errors.UsageError` for anything else.
    """
    if effects is None or (isinstance(effects, str) and effects == "default"):
        return dict(DEFAULT_EFFECTS)
    if isinstance(effects, str):
        if effects == "null":
            return dict(NULL_EFFECTS)
        raise UsageError(*pair("synth.error.effects_kind", value=repr(effects)))
    if not isinstance(effects, dict):
        raise UsageError(*pair("synth.error.effects_kind", value=type(effects).__name__))
    unknown = sorted(set(effects) - set(DEFAULT_EFFECTS))
    if unknown:
        raise UsageError(
            *pair("synth.error.effects_unknown", names=unknown, known=", ".join(DEFAULT_EFFECTS))
        )
    out = dict(DEFAULT_EFFECTS)
    for k, v in effects.items():
        v = float(v)
        if not np.isfinite(v):
            raise UsageError(*pair("synth.error.effect_not_finite", name=repr(k), value=repr(v)))
        out[k] = v
    if not 0.0 <= out["tailored"] <= 1.0:
        raise UsageError(*pair("synth.error.tailored_share"))
    if out["conversation_time"] <= -1.0:
        raise UsageError(*pair("synth.error.conversation_time"))
    return out
