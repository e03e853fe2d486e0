"""The analysis plan of the council report: which outcomes, which methods, which covariates.

Declarations only: nothing here computes. :mod:`wattelt_eval.report.analysis` runs the
plan; :mod:`wattelt_eval.report.render` turns its results into HTML. What the report
contains and why is described in ``docs/report.md``; the methods in ``docs/methods.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConvergenceWarning, DroppedRowsWarning, OverlapWarning

if TYPE_CHECKING:
    from ..data import StudySettings

__all__ = [
    "Headline",
    "HEADLINES",
    "FLOW_OUTCOME",
    "BASE_COVARIATES",
    "METHODS",
    "CLUSTER",
    "ARMS",
    "Band",
    "RETELL_BINS",
    "COST_BINS",
    "EXPECTED_WARNINGS",
    "MONITOR_INDICATORS",
    "MONITOR_RECENT",
    "ReportPlan",
    "ALPHA",
    "POWER_TARGET",
    "FLOOR_TEAMS_PER_ARM",
    "FLOOR_RESIDENTS_PER_ARM",
    "MODIFIER",
    "MODIFIER_HEADLINES",
    "CARE_USE_HEADLINES",
]


@dataclass(frozen=True)
class Headline:
    """One headline outcome of the report."""

    key: str  # report key (``no_provision`` is reported from ``any_provision``)
    column: str  # outcome-table column that is compared
    scale: str  # "percent", "count" or "euro"
    better: str | None  # "higher", "lower" or None (no value judgement)
    flip: bool = False  # report 1 - share


HEADLINES: tuple[Headline, ...] = (
    Headline("goal_retention", "goal_retention", "percent", "higher"),
    Headline("n_retells", "n_retells", "count", "lower"),
    Headline("cost_total", "cost_total", "euro", None),
    Headline("no_provision", "any_provision", "percent", None, flip=True),
)

#: Outcome-table column -> the outcome in ``OutcomeSet.flow`` that counts its trajectories.
FLOW_OUTCOME = {"n_retells": "n_tellings"}

#: Baseline case-mix adjusted for (before the study's ``extra_covariates``). The problem
#: domains are scored at intake, before the way of working can change them, and drive
#: who lands in which arm (``docs/report.md``).
BASE_COVARIATES: tuple[str, ...] = ("age", "sex", "household", "n_problem_domains_t0")

#: Methods tried in order: adjusted (AIPW, doubly robust) when there are covariates,
#: then the unadjusted comparison as the fallback.
METHODS: tuple[str, ...] = ("aipw", "unadjusted")

#: Cluster column: used when at least two teams are recorded for every trajectory.
CLUSTER = "team"

#: The two arms, the intervention first.
ARMS: tuple[str, str] = ("demand_driven", "supply_driven")


@dataclass(frozen=True)
class Band:
    """An ordered category ``[lo, hi]`` of a counts table (``hi`` None = open end)."""

    lo: float
    hi: float | None


#: Ordered categories of the retellings table.
RETELL_BINS: tuple[tuple[float, float | None], ...] = ((0, 0), (1, 1), (2, 2), (3, None))
#: Cost bands in euros; 0 < cost < 1 counts as 1.
COST_BINS: tuple[tuple[float, float | None], ...] = ((0, 0), (1, 999), (1000, 4999), (5000, None))

#: Warnings :func:`wattelt_eval.compare` is expected to give on real pilots (by class, see
#: :mod:`wattelt_eval.errors`). They are kept on the effect (``Effect.warnings``) instead of
#: being shown; any other warning passes through. None occurs on the demo pilot.
EXPECTED_WARNINGS: tuple[type[Warning], ...] = (
    OverlapWarning,
    ConvergenceWarning,
    DroppedRowsWarning,
)


#: Significance level of the verdict rule (``docs/report.md``, "Het oordeel"): a
#: difference is called clear only when its 95% interval excludes no difference AND its
#: Holm-corrected p-value (over the headline outcomes) is below this level.
ALPHA = 0.05
#: Power at which the minimum detectable effect of section "Kan deze pilot de vraag
#: beantwoorden?" is computed.
POWER_TARGET = 0.8
#: The floor below which the report draws no conclusions and shows descriptives only
#: (``docs/report.md``, "De ondergrens"): teams per arm when teams are recorded (with one
#: team in an arm the way of working cannot be told apart from that team) ...
FLOOR_TEAMS_PER_ARM = 2
#: ... and residents per arm (with 20 per arm the minimum detectable difference of a
#: share is already 44 percentage points without any team effect).
FLOOR_RESIDENTS_PER_ARM = 20

#: Effect modifier of the section on problem domains at intake (Huizen's claim): the
#: outcome table's ``problem_domains_group`` (``0-1`` / ``2+`` domains with problems).
MODIFIER = "problem_domains_group"
#: Headline outcomes whose arm difference is compared between the modifier's levels.
MODIFIER_HEADLINES: tuple[str, ...] = ("goal_retention", "cost_total")
#: Headline outcomes measuring care use, compared between the modifier's levels.
CARE_USE_HEADLINES: tuple[str, ...] = ("cost_total", "no_provision")


#: Indicators of the optional section "Hoe gaat de invoering?" (``report --monitor``):
#: the board at intake and the shared plan before a handover (``docs/monitor.md``).
MONITOR_INDICATORS: tuple[str, ...] = ("board_t0", "plan_available")
#: The section's table pools each team's last this many months.
MONITOR_RECENT = 3


@dataclass(frozen=True)
class ReportPlan:
    """What the report computes: outcomes, candidate covariates, methods, bootstrap.

    Parameters
    ----------
    seed : int
        Bootstrap seed.
    n_boot : int
        Bootstrap replicates.
    covariates : tuple of str
        Candidate adjustment covariates; those missing or constant in the outcome
        table are dropped when the plan is run.
    headlines, methods, cluster
        See :data:`HEADLINES`, :data:`METHODS`, :data:`CLUSTER`.
    monitor : bool
        Add the section "Hoe gaat de invoering?" (:data:`MONITOR_INDICATORS` per team
        and month, ``docs/monitor.md``). Off by default.
    """

    seed: int
    n_boot: int = 999
    covariates: tuple[str, ...] = BASE_COVARIATES
    headlines: tuple[Headline, ...] = HEADLINES
    methods: tuple[str, ...] = METHODS
    cluster: str = CLUSTER
    monitor: bool = False

    @classmethod
    def from_study(
        cls,
        study: StudySettings,
        seed: int | None = None,
        n_boot: int = 999,
        monitor: bool = False,
    ) -> ReportPlan:
        """The plan for a study: its seed and extra case-mix columns, unless overridden."""
        covs = tuple(dict.fromkeys([*BASE_COVARIATES, *study.extra_covariates]))
        return cls(
            seed=int(study.seed if seed is None else seed),
            n_boot=int(n_boot),
            covariates=covs,
            monitor=bool(monitor),
        )

    def headline(self, key: str) -> Headline:
        """The headline with report key ``key``."""
        return next(h for h in self.headlines if h.key == key)
