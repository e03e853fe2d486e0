"""Run the council report's analysis plan: every number of the report, no text, no HTML.

:func:`run_analysis` computes the outcome set, compares each headline outcome between
the arms (:func:`wattelt_eval.compare`, Holm-adjusted), and gathers the counts behind
the report's tables, as plain dataclasses and DataFrames (:class:`ReportAnalysis`).
Rendering (:mod:`wattelt_eval.report.render`) only reads these results; it never
estimates. Numbers are not yet masked: the disclosure rule is applied when rendering.
"""

from __future__ import annotations

import datetime as dt
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..i18n import pair
from . import subanalyses as sub
from .feasibility import assess
from .plan import (
    ALPHA,
    ARMS,
    CARE_USE_HEADLINES,
    COST_BINS,
    EXPECTED_WARNINGS,
    MODIFIER_HEADLINES,
    MONITOR_INDICATORS,
    RETELL_BINS,
    Band,
    Headline,
    ReportPlan,
)
from .provenance import fingerprints, generation_time

if TYPE_CHECKING:
    from ..data import PilotData
    from ..disclosure import DisclosureRule

__all__ = [
    "Effect",
    "TeamCounts",
    "ReportAnalysis",
    "FingerprintMismatch",
    "load_data",
    "run_analysis",
    "choose_covariates",
    "choose_cluster",
    "compare_headline",
    "counts_table",
    "ordered_counts",
    "verdict",
    "VERDICTS",
    "within_range",
    "is_clear",
]

#: The verdicts of :func:`verdict`: ``clear`` (a difference, corrected for the number of
#: outcomes), ``unclear`` (no clear difference: it may be chance), ``small`` (not shown:
#: too few residents to publish), ``failed`` (no reliable comparison possible) and
#: ``too_small`` (the pilot is below the floor: descriptives only).
VERDICTS: tuple[str, ...] = ("clear", "unclear", "small", "failed", "too_small")


class FingerprintMismatch(DataError):
    """The data read differ from the data that were validated (fingerprints differ)."""


@dataclass
class Effect:
    """The comparison of one headline outcome between the arms (numbers not yet masked)."""

    headline: Headline
    n_treated: int
    n_control: int
    status: str  # "ok", "small" (disclosure), "failed" or "too_small" (below the floor)
    mean_treated: float = float("nan")
    mean_control: float = float("nan")
    difference: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    p_value: float = float("nan")
    p_holm: float = float("nan")
    ratio: tuple[float, float, float] | None = None
    method: str = ""
    ci_method: str = ""
    adjusted: bool = False
    fallback: bool = False
    diagnostics: dict[str, Any] = field(default_factory=dict)
    #: expected warnings of the comparison (see :data:`~.plan.EXPECTED_WARNINGS`)
    warnings: tuple[str, ...] = ()
    #: their classes' names (``OverlapWarning``, ...), for the plain-words list
    warning_classes: tuple[str, ...] = ()
    #: the interval was cut at the largest possible difference (shares: 100 points)
    bounded: bool = False
    #: degrees of freedom of the interval (nan when not a t interval)
    df: float = float("nan")
    #: stabilised weights of the adjusted comparison (index: outcome-table rows used)
    weights: pd.Series | None = None

    @property
    def shown(self) -> bool:
        return self.status == "ok"

    @property
    def verdict(self) -> str:
        """The report's verdict on this outcome (:func:`verdict`)."""
        return verdict(self)

    @property
    def clear(self) -> bool:
        """The verdict is ``clear`` (:func:`verdict`)."""
        return self.verdict == "clear"


def verdict(e: Effect, alpha: float = ALPHA) -> str:
    """The one verdict rule of the report (``docs/report.md``, "Het oordeel").

    A difference is ``clear`` only when its 95% interval excludes no difference AND its
    Holm-corrected p-value over the headline outcomes is below ``alpha``; every other
    estimated difference is ``unclear`` (the text then never states it as a fact).
    Outcomes not estimated keep their status (``small``, ``failed``, ``too_small``).
    """
    if e.status != "ok":
        return e.status
    return "clear" if is_clear(e.ci_low, e.ci_high, e.p_holm, alpha) else "unclear"


def is_clear(ci_low: float, ci_high: float, p: float, alpha: float = ALPHA) -> bool:
    """The rule behind "clear": the interval excludes 0 and ``p`` (corrected where the
    report corrects) is below ``alpha``."""
    return bool((ci_low > 0 or ci_high < 0) and p < alpha)


@dataclass(frozen=True)
class TeamCounts:
    """Teams recorded: in all, and per arm."""

    total: int
    treated: int
    control: int


@dataclass
class ReportAnalysis:
    """Everything the council report shows, computed (not yet masked or formatted).

    Attributes
    ----------
    data : PilotData
    plan : ReportPlan
    rule : DisclosureRule
        The study's disclosure rule (applied when rendering).
    generated : datetime
    fingerprint, table_fingerprints
        Input fingerprint and one per table (:mod:`wattelt_eval.report.provenance`).
    oset : OutcomeSet
        The outcome stage's tables (outcome table, flow, exclusions).
    covariates : list of str
        Adjustment covariates used (the plan's candidates present and not constant).
    cluster : str or None
    effects : dict of str to Effect
        Per headline key, in plan order.
    n_arm : dict of str to int
        Trajectories per arm in the outcome table.
    counts : dict of str to DataFrame
        Per headline key, arm x category counts behind its table (index: arm codes;
        columns: ``"retained"/"lost"``, ``"none_needed"/"with_provision"`` or
        :class:`~.plan.Band`).
    teams : TeamCounts or None
        Teams per arm when clustered.
    n_full_follow_up : int
        Trajectories followed for the whole cost window.
    monitor : MonitorResult or None
        The implementation monitor (``plan.monitor``), else None.
    feasibility : Feasibility
        Whether the pilot can answer the question (the floor) and each headline's
        minimum detectable effect (:mod:`~wattelt_eval.report.feasibility`).
    modification : dict of str to Modification
        Per headline of :data:`~.plan.MODIFIER_HEADLINES` that could be split: the
        difference per problem-domain group and the interaction test.
    care_use : dict of str to Effect
        Per headline of :data:`~.plan.CARE_USE_HEADLINES`: residents with problems in
        2+ domains against 0-1 (both arms).
    domains : DataFrame
        Domain monitoring (:func:`~.subanalyses.domain_monitoring`).
    baseline : BalanceResult or None
        The baseline table with SMDs, unweighted and weighted.
    """

    data: PilotData
    plan: ReportPlan
    rule: DisclosureRule
    generated: dt.datetime
    fingerprint: str
    table_fingerprints: dict[str, str]
    oset: Any
    covariates: list[str]
    cluster: str | None
    effects: dict[str, Effect]
    n_arm: dict[str, int]
    counts: dict[str, pd.DataFrame]
    teams: TeamCounts | None
    n_full_follow_up: int
    monitor: Any = None
    feasibility: Any = None
    modification: dict[str, Any] = field(default_factory=dict)
    care_use: dict[str, Any] = field(default_factory=dict)
    domains: pd.DataFrame = field(default_factory=pd.DataFrame)
    baseline: Any = None

    @property
    def table(self) -> pd.DataFrame:
        """The outcome table (one row per trajectory)."""
        return self.oset.table

    @property
    def extract_date(self) -> Any:
        """Date of the data extract (or None)."""
        return self.oset.extract_date


def load_data(source: str) -> PilotData:
    """Load the report's data: ``"demo"``, a pickled PilotData (``*.pkl``) or a package path."""
    if source == "demo":
        from .. import synth

        return synth.demo()
    path = Path(source)
    if path.suffix == ".pkl":
        with open(path, "rb") as fh:
            return pickle.load(fh)
    from ..validation import load

    return load(path)


# ----------------------------------------------------------------------------- choices
def choose_covariates(table: pd.DataFrame, candidates: tuple[str, ...]) -> list[str]:
    """The candidate covariates present in ``table``, not all missing and not constant."""
    return [
        c
        for c in dict.fromkeys(candidates)
        if c in table.columns and table[c].notna().any() and table[c].nunique() > 1
    ]


def choose_cluster(table: pd.DataFrame, column: str) -> str | None:
    """``column`` when at least two clusters are recorded and every row has one."""
    if column not in table.columns:
        return None
    values = table[column].dropna()
    return column if values.nunique() >= 2 and values.size == len(table) else None


def _arm_n(table: pd.DataFrame, column: str) -> tuple[int, int]:
    """Trajectories with a value of ``column`` in the intervention and the control arm."""
    ok = table[column].notna()
    return tuple(int((ok & (table["arm"] == a)).sum()) for a in ARMS)  # type: ignore[return-value]


# ----------------------------------------------------------------------------- comparisons
def within_range(h: Headline, lo: float, hi: float) -> tuple[float, float, bool]:
    """An interval of a difference cut at the possible range, and whether it was cut.

    A difference of shares lies in [-1, 1]; the true value always does, so the cut
    interval covers it at least as often as the uncut one. Other scales are unbounded.
    """
    if h.scale != "percent":
        return lo, hi, False
    return max(lo, -1.0), min(hi, 1.0), bool(lo < -1 or hi > 1)


def _effect_from(res: Any, h: Headline, n_t: int, n_c: int, adjusted: bool) -> Effect:
    tab = res.table
    allr = tab[tab["group"] == "all"].set_index("term")
    m_t = float(allr.loc["mean_treated", "estimate"])
    m_c = float(allr.loc["mean_control", "estimate"])
    d, lo, hi = res.estimate, res.ci_low, res.ci_high
    ratio = res.ratio
    if h.flip:
        m_t, m_c, d, lo, hi = 1 - m_t, 1 - m_c, -d, -hi, -lo
        ratio = None  # a ratio of "with" shares does not carry over to "without"
    lo, hi, bounded = within_range(h, lo, hi)
    if ratio is not None:  # a ratio of non-negative means is >= 0
        ratio = (ratio[0], max(ratio[1], 0.0), ratio[2])
    diff_row = allr.loc["difference"] if "difference" in allr.index else None
    dof = float(diff_row["df"]) if diff_row is not None and "df" in diff_row else float("nan")
    sw = res.diagnostics.get("stabilised_weights")
    index = getattr(getattr(res, "fit", None), "table_index", None)
    weights = (
        pd.Series(np.asarray(sw, dtype="float64"), index=index)
        if sw is not None and index is not None and len(index) == len(sw)
        else None
    )
    return Effect(
        headline=h,
        n_treated=n_t,
        n_control=n_c,
        status="ok",
        mean_treated=m_t,
        mean_control=m_c,
        difference=d,
        ci_low=lo,
        ci_high=hi,
        p_value=res.p_value,
        ratio=ratio,
        method=res.method,
        ci_method=res.ci_method,
        adjusted=adjusted,
        diagnostics={k: v for k, v in res.diagnostics.items() if k != "stabilised_weights"},
        bounded=bounded,
        df=dof,
        weights=weights,
    )


def _expected(w: warnings.WarningMessage) -> bool:
    return issubclass(w.category, EXPECTED_WARNINGS)


def _compare_keeping_expected_warnings(
    **kwargs: Any,
) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """:func:`wattelt_eval.compare`; its expected warnings returned (class name, message),
    any other re-issued."""
    from ..estimation import compare

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = compare(**kwargs)
    kept = []
    for w in caught:
        if _expected(w):
            kept.append((w.category.__name__, str(w.message)))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return res, tuple(kept)


def compare_headline(
    table: pd.DataFrame,
    h: Headline,
    plan: ReportPlan,
    covariates: list[str],
    cluster: str | None,
    rule: DisclosureRule,
    answerable: bool = True,
) -> Effect:
    """Compare one headline outcome between the arms, following the plan.

    Nothing is estimated when an arm has fewer residents than the rule's ``min_n``
    (status ``"small"``). Below the floor (``answerable`` False) only the arms' plain
    means are kept (status ``"too_small"``). Otherwise the plan's methods are tried in order (the
    adjusted one only with covariates); the first with a finite difference and
    interval is kept (``fallback`` when it is not the first). When none works the
    status is ``"failed"``.
    """
    from ..disclosure import can_show

    n_t, n_c = _arm_n(table, h.column)
    if not can_show([n_t, n_c], rule):
        return Effect(h, n_t, n_c, "small")
    if not answerable:
        return _descriptive(table, h, n_t, n_c)
    attempts = [
        (m, list(covariates) if m != "unadjusted" else None)
        for m in plan.methods
        if m == "unadjusted" or covariates
    ]
    for i, (method, covs) in enumerate(attempts):
        try:
            res, expected = _compare_keeping_expected_warnings(
                table=table,
                outcome=h.column,
                arm="arm",
                covariates=covs,
                method=method,
                cluster=cluster,
                n_boot=plan.n_boot,
                seed=plan.seed,
            )
            eff = _effect_from(res, h, n_t, n_c, adjusted=covs is not None)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError):
            continue
        if not np.isfinite([eff.difference, eff.ci_low, eff.ci_high]).all():
            continue
        eff.fallback = i > 0 and bool(covariates)
        eff.warnings = tuple(m for _, m in expected)
        eff.warning_classes = tuple(dict.fromkeys(c for c, _ in expected))
        return eff
    return Effect(h, n_t, n_c, "failed")


def _descriptive(table: pd.DataFrame, h: Headline, n_t: int, n_c: int) -> Effect:
    """The arms' plain means only (a pilot below the floor): no difference, no interval."""
    v = table[h.column].astype("float64")
    m_t, m_c = (float(v[table["arm"] == a].mean()) for a in ARMS)
    if h.flip:
        m_t, m_c = 1 - m_t, 1 - m_c
    return Effect(h, n_t, n_c, "too_small", mean_treated=m_t, mean_control=m_c)


def _holm(effects: dict[str, Effect]) -> None:
    """Holm-adjusted p-values over the shown effects (set in place)."""
    shown = [e for e in effects.values() if e.shown]
    if not shown:
        return
    from ..estimation import holm_adjust

    adj = holm_adjust(np.array([e.p_value for e in shown]))
    for e, p in zip(shown, adj, strict=True):
        e.p_holm = float(p)


# ----------------------------------------------------------------------------- counts
def ordered_counts(
    values: np.ndarray,
    arms: np.ndarray,
    bins: tuple[tuple[float, float | None], ...],
    rule: DisclosureRule,
) -> pd.DataFrame:
    """Arm x ordered-category counts, merging neighbouring categories with small cells.

    While some cell is under the rule's threshold and more than two categories
    are left, the category with the smallest cell is merged with the neighbour
    whose smallest cell is smaller. Suppression then handles what is left.

    Returns
    -------
    DataFrame
        Index: the arm codes; columns: one :class:`~.plan.Band` per (merged) category.
    """
    # category of each value: the last bin whose lower bound it reaches (0 < x < 1 -> bin 1)
    lows = np.array([b[0] for b in bins], dtype="float64")
    idx = (
        np.searchsorted(lows, np.where((values > 0) & (values < 1), 1.0, values), side="right") - 1
    )
    idx = np.clip(idx, 0, len(bins) - 1)
    base = np.zeros((len(ARMS), len(bins)), dtype="int64")
    for i, a in enumerate(ARMS):
        base[i] = np.bincount(idx[arms == a], minlength=len(bins))
    groups = _merge_small(base, rule)
    data = np.column_stack([base[:, g].sum(axis=1) for g in groups])
    columns = [Band(bins[g[0]][0], bins[g[-1]][1]) for g in groups]
    return pd.DataFrame(data, index=list(ARMS), columns=columns)


def _merge_small(base: np.ndarray, rule: DisclosureRule) -> list[list[int]]:
    """Groups of neighbouring categories (column numbers of ``base``) after merging."""
    groups = [[j] for j in range(base.shape[1])]

    def col(g: list[int]) -> np.ndarray:
        return base[:, g].sum(axis=1)

    while len(groups) > 2:
        mins = [int(col(g).min()) for g in groups]
        if not any(rule.is_small(np.array(mins))):
            break
        k = int(np.argmin(mins))
        if k == 0:
            j = 1
        elif k == len(groups) - 1:
            j = k - 1
        else:
            j = k - 1 if mins[k - 1] <= mins[k + 1] else k + 1
        a, b = sorted((k, j))
        groups[a : b + 1] = [groups[a] + groups[b]]
    return groups


def counts_table(table: pd.DataFrame, key: str, rule: DisclosureRule) -> pd.DataFrame:
    """The counts behind an outcome's table (arm x category; not published as is).

    Ordered categories (retellings, cost bands) are merged with a neighbour while
    a cell is under the disclosure threshold and more than two categories are
    left, so that fewer cells need to be hidden.
    """
    arms = table["arm"].astype("string")
    if key == "goal_retention":
        g = table[table["goal_retention"].notna()]
        a = g["arm"].astype("string")
        kept = g["n_resident_goals_retained"].astype("float64").groupby(a).sum()
        total = g["n_resident_goals"].astype("float64").groupby(a).sum()
        counts = pd.DataFrame({"retained": kept, "lost": total - kept})
    elif key in ("n_retells", "cost_total"):
        v = table[key].astype("float64")
        ok = v.notna().to_numpy()
        bins = RETELL_BINS if key == "n_retells" else COST_BINS
        counts = ordered_counts(v[ok].to_numpy(), arms[ok].to_numpy(), bins, rule)
    else:
        p = table["any_provision"]
        ok = p.notna()
        lab = p[ok].map({False: "none_needed", True: "with_provision"})
        counts = pd.crosstab(arms[ok], lab, dropna=False)
        counts = counts.reindex(columns=["none_needed", "with_provision"], fill_value=0)
    counts = counts.reindex(list(ARMS), fill_value=0).fillna(0)
    return counts.astype("int64")


def _teams(table: pd.DataFrame) -> TeamCounts:
    teams = table[["team", "arm"]].dropna().drop_duplicates()
    return TeamCounts(
        total=int(teams["team"].nunique()),
        treated=int((teams["arm"] == ARMS[0]).sum()),
        control=int((teams["arm"] == ARMS[1]).sum()),
    )


# ----------------------------------------------------------------------------- the whole plan
def run_analysis(
    data: PilotData,
    plan: ReportPlan | None = None,
    generated: str | dt.datetime | None = None,
    expected_fingerprint: str | None = None,
) -> ReportAnalysis:
    """Run the report's analysis plan on ``data``.

    Parameters
    ----------
    data : PilotData
    plan : ReportPlan, optional
        Default :meth:`ReportPlan.from_study` (the study's seed, 999 replicates).
    generated : str or datetime, optional
        Time of the report (ISO text); default :func:`generation_time`.
    expected_fingerprint : str, optional
        When given, the data's fingerprint must equal it (guards against the
        report notebook reading other data than the caller validated).

    Raises
    ------
    FingerprintMismatch
        The data's fingerprint differs from ``expected_fingerprint``.
    """
    from ..disclosure import rule_from_study
    from ..outcome import outcome_set

    plan = plan or ReportPlan.from_study(data.study)
    if isinstance(generated, str):
        generated = dt.datetime.fromisoformat(generated)
    fp, per_table = fingerprints(data)
    if expected_fingerprint and expected_fingerprint != fp:
        raise FingerprintMismatch(
            *pair("report.error.fingerprint", found=fp, expected=expected_fingerprint)
        )
    rule = rule_from_study(data.study)
    oset = outcome_set(data)
    t = oset.table
    covariates = choose_covariates(t, plan.covariates)
    cluster = choose_cluster(t, plan.cluster)
    feas = assess(t, plan.headlines, cluster)
    effects = {
        h.key: compare_headline(t, h, plan, covariates, cluster, rule, feas.answerable)
        for h in plan.headlines
    }
    _holm(effects)
    modification, care = {}, {}
    if feas.answerable:
        for key in MODIFIER_HEADLINES:
            m = sub.effect_modification(
                t, plan.headline(key), effects[key], plan, covariates, cluster, rule
            )
            if m is not None:
                modification[key] = m
        for key in CARE_USE_HEADLINES:
            c = sub.care_use(t, plan.headline(key), plan, cluster, rule)
            if c is not None:
                care[key] = c
    counts = {h.key: counts_table(t, h.key, rule) for h in plan.headlines}
    _mask_revealing_shares(effects, counts, rule)
    return ReportAnalysis(
        data=data,
        plan=plan,
        rule=rule,
        generated=generated or generation_time(),
        fingerprint=fp,
        table_fingerprints=per_table,
        oset=oset,
        covariates=covariates,
        cluster=cluster,
        effects=effects,
        n_arm={a: int((t["arm"] == a).sum()) for a in ARMS},
        counts=counts,
        teams=_teams(t) if cluster else None,
        n_full_follow_up=int(t["full_follow_up"].fillna(False).astype(bool).sum()),
        monitor=_monitor(oset, plan),
        feasibility=feas,
        modification=modification,
        care_use=care,
        domains=sub.domain_monitoring(oset),
        baseline=sub.baseline(t, covariates, effects) if feas.answerable else None,
    )


def _mask_revealing_shares(
    effects: dict[str, Effect], counts: dict[str, pd.DataFrame], rule: DisclosureRule
) -> None:
    """A share (and its difference) is not published when an arm's share is not
    publishable (:func:`~wattelt_eval.disclosure.publishable_share` on the arm's row of
    its two-category counts table): the share times the arm's size would give a count
    the table hides (e.g. 0,0% or 60,0% of 15). Such headlines get status ``small``."""
    from ..disclosure import publishable_share

    for key, e in effects.items():
        if e.headline.scale != "percent" or e.status not in ("ok", "too_small"):
            continue
        rows = counts[key].to_numpy()
        if any(publishable_share(r[0], r.sum(), rule) is None for r in rows):
            effects[key] = Effect(e.headline, e.n_treated, e.n_control, "small")


def _monitor(oset: Any, plan: ReportPlan) -> Any:
    """The implementation monitor of the optional section (None when not asked for)."""
    if not plan.monitor:
        return None
    from ..implementation import monitor

    return monitor(oset, freq="M", by="team", indicators=list(MONITOR_INDICATORS))
