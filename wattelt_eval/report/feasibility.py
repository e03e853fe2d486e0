"""Can this pilot answer the question? The floor and the minimum detectable effects.

Computed before any comparison: from the pilot's own residents and teams per arm, an
estimate of each headline outcome's spread and intraclass correlation (ICC) within
teams, the minimum detectable effect (MDE) of :func:`wattelt_eval.power` at 80% power
and a two-sided 5% level. Below the floor of :mod:`~wattelt_eval.report.plan` the report
draws no conclusions and shows descriptives only (``docs/report.md``, "De ondergrens").
Nothing here renders text.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .plan import (
    ALPHA,
    ARMS,
    FLOOR_RESIDENTS_PER_ARM,
    FLOOR_TEAMS_PER_ARM,
    POWER_TARGET,
    Headline,
)

__all__ = ["HeadlineMDE", "Feasibility", "icc_anova", "smallest_p", "assess"]

#: Fewer teams than this in an arm: :func:`wattelt_eval.compare` uses randomization
#: inference (``docs/methods.md``, section 10), whose p-value has a smallest possible value.
RI_BELOW_TEAMS = 3


@dataclass(frozen=True)
class HeadlineMDE:
    """The minimum detectable effect of one headline outcome in this pilot's design.

    Attributes
    ----------
    key : str
        Headline key.
    mde : float
        Smallest difference (outcome scale) found with :data:`~.plan.POWER_TARGET`
        power at level :data:`~.plan.ALPHA`; ``inf`` when no difference can be found
        (the test cannot reach the level), ``nan`` when it cannot be computed.
    sd : float
        Pooled within-arm standard deviation per resident.
    icc : float
        Estimated ICC within teams (0 without teams).
    beyond_range : bool
        The MDE exceeds the largest possible difference (shares: 100 points).
    """

    key: str
    mde: float
    sd: float
    icc: float
    beyond_range: bool


@dataclass(frozen=True)
class Feasibility:
    """Whether the pilot can answer the question, and how small a difference it can see.

    Attributes
    ----------
    n_treated, n_control : int
        Trajectories per arm in the outcome table.
    teams_treated, teams_control : int or None
        Teams per arm (None when teams are not used as clusters).
    reasons : tuple of str
        Why the pilot is below the floor (codes ``one_team``, ``few_assignments``,
        ``few_residents``); empty when it can answer.
    min_p : float or None
        The smallest p-value the randomization test can give, when it is the test used.
    mde : dict of str to HeadlineMDE
    """

    n_treated: int
    n_control: int
    teams_treated: int | None
    teams_control: int | None
    reasons: tuple[str, ...]
    min_p: float | None
    mde: dict[str, HeadlineMDE] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        """At or above the floor: differences are estimated and judged."""
        return not self.reasons


def icc_anova(y: np.ndarray, group: np.ndarray, arm: np.ndarray) -> float:
    """One-way ANOVA estimate of the ICC of ``y`` within groups, arms' means removed.

    ``(MSB - MSW) / (MSB + (n0 - 1) MSW)`` with ``n0 = (N - sum n_i^2 / N) / (k - 1)``
    (Donner 1986), between-group mean square on ``k - a`` degrees of freedom (``a``
    arms), truncated at 0. Returns 0 with fewer than ``a + 1`` groups.

    References
    ----------
    Donner A (1986). A review of inference procedures for the intraclass correlation
    coefficient in the one-way random effects model. Int Stat Rev 54(1), 67-82.
    """
    df = pd.DataFrame({"y": y, "g": group, "a": arm}).dropna()
    if df.empty:
        return 0.0
    df["r"] = df["y"] - df.groupby("a")["y"].transform("mean")
    g = df.groupby("g")["r"]
    n_i = g.size().to_numpy(dtype=float)
    k, n, n_arms = len(n_i), float(len(df)), df["a"].nunique()
    if k <= n_arms or n <= k:
        return 0.0
    ssb = float((n_i * g.mean().to_numpy() ** 2).sum())
    ssw = float(((df["r"] - g.transform("mean")) ** 2).sum())
    msb, msw = ssb / (k - n_arms), ssw / (n - k)
    n0 = (n - (n_i**2).sum() / n) / (k - 1)
    den = msb + (n0 - 1) * msw
    return float(max(0.0, (msb - msw) / den)) if den > 0 else 0.0


def smallest_p(g_treated: int, g_control: int) -> float:
    """Smallest two-sided p-value of randomization inference over team assignments.

    Of ``C(G, G_t)`` equally likely assignments, at least the observed one is as extreme;
    with equal arms its mirror image (arms swapped) gives the same absolute difference.
    """
    total = math.comb(g_treated + g_control, g_treated)
    return (2.0 if g_treated == g_control else 1.0) / total


def _pooled_sd(y: np.ndarray, arm: np.ndarray) -> float:
    df = pd.DataFrame({"y": y, "a": arm}).dropna()
    r = df["y"] - df.groupby("a")["y"].transform("mean")
    dof = len(df) - df["a"].nunique()
    return float(np.sqrt((r**2).sum() / dof)) if dof > 0 else float("nan")


def _mde(
    h: Headline,
    t: pd.DataFrame,
    cluster: str | None,
    teams: tuple[int, int] | None,
    ri_blocked: bool,
) -> HeadlineMDE:
    """The MDE of one headline from the pilot's own design (``we.power``, cluster-t)."""
    from ..estimation import power

    ok = t[h.column].notna()
    y = t.loc[ok, h.column].astype("float64").to_numpy()
    arm = t.loc[ok, "arm"].astype("string").to_numpy()
    sd = _pooled_sd(y, arm)
    n_t, n_c = (int((arm == a).sum()) for a in ARMS)
    icc = icc_anova(y, t.loc[ok, cluster].astype("string").to_numpy(), arm) if cluster else 0.0
    if ri_blocked:
        return HeadlineMDE(h.key, float("inf"), sd, icc, True)
    if not (np.isfinite(sd) and sd > 0 and n_t >= 2 and n_c >= 2):
        return HeadlineMDE(h.key, float("nan"), sd, icc, False)
    kw: dict = dict(kind="continuous", sd=sd, ratio=n_c / n_t, alpha=ALPHA)
    if cluster and teams is not None:
        sizes = t.loc[ok & (t["arm"] == ARMS[0]), cluster].value_counts().to_numpy(float)
        cv = float(sizes.std(ddof=0) / sizes.mean()) if sizes.size > 1 else 0.0
        kw.update(icc=icc, n_clusters_per_arm=int(teams[0]), cv=cv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mde = float(power(effect=None, n_per_arm=n_t, power=POWER_TARGET, **kw).effect)
    except (ValueError, ArithmeticError):
        mde = float("nan")
    return HeadlineMDE(h.key, mde, sd, icc, bool(h.scale == "percent" and mde >= 1))


def assess(
    table: pd.DataFrame, headlines: tuple[Headline, ...], cluster: str | None
) -> Feasibility:
    """Whether the pilot is above the floor, and each headline's MDE.

    Parameters
    ----------
    table : DataFrame
        The outcome table.
    headlines : tuple of Headline
    cluster : str or None
        The cluster column the comparisons use (teams), or None.
    """
    n = [int((table["arm"] == a).sum()) for a in ARMS]
    reasons: list[str] = []
    teams: tuple[int, int] | None = None
    min_p = None
    if cluster:
        tc = table[[cluster, "arm"]].dropna().drop_duplicates()
        teams = tuple(int((tc["arm"] == a).sum()) for a in ARMS)  # type: ignore[assignment]
        if min(teams) < FLOOR_TEAMS_PER_ARM:
            reasons.append("one_team")
        elif min(teams) < RI_BELOW_TEAMS:
            min_p = smallest_p(*teams)
            if min_p >= ALPHA:
                reasons.append("few_assignments")
    if min(n) < FLOOR_RESIDENTS_PER_ARM:
        reasons.append("few_residents")
    blocked = "one_team" in reasons or "few_assignments" in reasons
    mde = {h.key: _mde(h, table, cluster, teams, blocked) for h in headlines}
    return Feasibility(
        n_treated=n[0],
        n_control=n[1],
        teams_treated=None if teams is None else teams[0],
        teams_control=None if teams is None else teams[1],
        reasons=tuple(reasons),
        min_p=min_p,
        mde=mde,
    )
