"""The report's further analyses: problem domains at intake, domain monitoring, baseline.

Computed after the headline comparisons and only read by rendering:

- **effect modification** (Huizen): is the difference between the ways of working
  another for residents with problems in 0-1 life domains at intake than for those with
  2 or more? :func:`wattelt_eval.compare` with ``by=`` gives each group's difference and
  the interaction test (the difference of the two differences);
- **care use by problem domains** (Huizen's claim): do residents with problems in two or
  more domains use more care? Both arms together, 2+ against 0-1, unadjusted;
- **domain monitoring** (Wat telt): per life domain, the resident's board at intake and at
  the latest measurement per arm, and the gap between resident and professional;
- **baseline table**: the case-mix by arm with standardised mean differences, without
  and with the adjusted comparison's weights.

Nothing here formats or masks; see :mod:`wattelt_eval.report.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .plan import ARMS, MODIFIER, Headline, ReportPlan

if TYPE_CHECKING:
    from ..disclosure import DisclosureRule
    from .analysis import Effect

__all__ = [
    "MODIFIER_LEVELS",
    "Modification",
    "effect_modification",
    "care_use",
    "domain_monitoring",
    "baseline",
]

#: Levels of :data:`~.plan.MODIFIER`, the reference first.
MODIFIER_LEVELS: tuple[str, str] = ("0-1", "2+")


@dataclass(frozen=True)
class Modification:
    """One headline's difference per level of the modifier, and the interaction test.

    Attributes
    ----------
    key : str
        Headline key.
    groups : DataFrame
        Index the levels (:data:`MODIFIER_LEVELS`); columns ``estimate``, ``ci_low``,
        ``ci_high``, ``p_value``, ``n_treated``, ``n_control`` (the arm difference in
        that group, on the headline's scale; intervals cut at the possible range).
    interaction : dict
        ``estimate`` (2+ minus 0-1), ``ci_low``, ``ci_high``, ``p_value``, ``df``,
        ``ci_method``.
    method, ci_method : str
    """

    key: str
    groups: pd.DataFrame
    interaction: dict[str, Any]
    method: str
    ci_method: str


def _levels_ok(table: pd.DataFrame, column: str, rule: DisclosureRule) -> bool:
    """Both modifier levels present with at least ``min_n`` residents in each arm."""
    from ..disclosure import can_show

    if MODIFIER not in table.columns:
        return False
    ok = table[column].notna()
    lev = table.loc[ok, MODIFIER].astype("string")
    arm = table.loc[ok, "arm"].astype("string")
    counts = [int(((lev == m) & (arm == a)).sum()) for m in MODIFIER_LEVELS for a in ARMS]
    return can_show(counts, rule)


def effect_modification(
    table: pd.DataFrame,
    h: Headline,
    effect: Effect,
    plan: ReportPlan,
    covariates: list[str],
    cluster: str | None,
    rule: DisclosureRule,
) -> Modification | None:
    """The headline's arm difference per modifier level and the interaction test.

    Uses the method of the headline's own comparison (adjusted unless it fell back) with
    the same covariates except the number of problem domains (constant within a level's
    definition range). None when the headline was not estimated or a level x arm cell is
    below the rule's ``min_n``.
    """
    from .analysis import _compare_keeping_expected_warnings, within_range

    if not effect.shown or not _levels_ok(table, h.column, rule):
        return None
    covs = [c for c in covariates if c != "n_problem_domains_t0"] if effect.adjusted else None
    method = "aipw" if covs else "unadjusted"
    try:
        res, _ = _compare_keeping_expected_warnings(
            table=table,
            outcome=h.column,
            arm="arm",
            covariates=covs or None,
            method=method,
            cluster=cluster,
            by=MODIFIER,
            n_boot=plan.n_boot,
            seed=plan.seed,
        )
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError):
        return None
    tab = res.table
    sign = -1.0 if h.flip else 1.0
    rows = tab[tab["term"] == "difference"].set_index("group")
    lo, hi = (rows["ci_low"], rows["ci_high"]) if sign > 0 else (-rows["ci_high"], -rows["ci_low"])
    cut = [within_range(h, a, b)[:2] for a, b in zip(lo, hi, strict=True)]
    groups = pd.DataFrame(
        {
            "estimate": sign * rows["estimate"],
            "ci_low": [c[0] for c in cut],
            "ci_high": [c[1] for c in cut],
            "p_value": rows["p_value"],
            "n_treated": rows["n_treated"],
            "n_control": rows["n_control"],
        }
    ).reindex(list(MODIFIER_LEVELS))
    inter = tab[tab["term"] == "interaction_difference"]
    if inter.empty or groups["estimate"].isna().any():
        return None
    r = inter.iloc[0]
    lo, hi = (r["ci_low"], r["ci_high"]) if sign > 0 else (-r["ci_high"], -r["ci_low"])
    interaction = {
        "estimate": sign * float(r["estimate"]),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(r["p_value"]),
        "df": float(r["df"]),
        "ci_method": str(r["ci_method"]),
    }
    return Modification(h.key, groups, interaction, method, str(rows["ci_method"].iloc[0]))


def care_use(
    table: pd.DataFrame,
    h: Headline,
    plan: ReportPlan,
    cluster: str | None,
    rule: DisclosureRule,
) -> Effect | None:
    """Care use of residents with problems in 2+ domains against 0-1, both arms together.

    An unadjusted comparison (:func:`wattelt_eval.compare` with the modifier as the
    "arm", 2+ as treated), clustered by team; in the returned :class:`Effect`
    ``mean_treated`` is the 2+ group. None when a group is below the rule's ``min_n``.
    """
    from ..disclosure import can_show
    from .analysis import _compare_keeping_expected_warnings, _effect_from

    if MODIFIER not in table.columns:
        return None
    t = table[table[MODIFIER].notna() & table[h.column].notna()]
    lev = t[MODIFIER].astype("string")
    n_hi, n_lo = (int((lev == m).sum()) for m in reversed(MODIFIER_LEVELS))
    if not can_show([n_hi, n_lo], rule) or min(n_hi, n_lo) == 0:
        return None
    try:
        res, _ = _compare_keeping_expected_warnings(
            table=t,
            outcome=h.column,
            arm=MODIFIER,
            treated=MODIFIER_LEVELS[1],
            method="unadjusted",
            cluster=cluster,
            n_boot=plan.n_boot,
            seed=plan.seed,
        )
        eff = _effect_from(res, h, n_hi, n_lo, adjusted=False)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError):
        return None
    if not np.isfinite([eff.difference, eff.ci_low, eff.ci_high]).all():
        return None
    eff.p_holm = eff.p_value  # one pre-declared claim: no correction
    return eff


def domain_monitoring(oset: Any) -> pd.DataFrame:
    """Per life domain: the resident's board at intake and latest per arm, and the gap.

    Returns
    -------
    DataFrame
        One row per domain (in the instrument's order): ``domain_label_nl``,
        ``domain_label_en``; per arm ``n_<arm>``, ``first_<arm>``, ``latest_<arm>``
        (mean resident score at the first and the latest measurement of trajectories
        with at least two); ``n_gap``, ``gap_first``, ``gap_latest`` (mean absolute
        resident - professional difference at each trajectory's first and latest
        measurement with both scores).
    """
    cd = oset.cohort_domains
    cd = cd[cd["rater"] == "resident"]
    if cd.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(cd["domain"]))
    labels = cd.drop_duplicates("domain").set_index("domain")[
        ["domain_label_nl", "domain_label_en"]
    ]
    out = labels.reindex(order)
    for a in ARMS:
        s = cd[cd["arm"] == a].set_index("domain").reindex(order)
        out[f"n_{a}"] = s["n"].fillna(0).astype("int64")
        out[f"first_{a}"] = s["mean_first"]
        out[f"latest_{a}"] = s["mean_latest"]
    g = oset.gaps.dropna(subset=["abs_gap"])
    if g.empty:
        out["n_gap"], out["gap_first"], out["gap_latest"] = 0, np.nan, np.nan
        return out
    m = g.groupby(["trajectory_id", "domain"])["measurement"]
    lo, hi = m.transform("min"), m.transform("max")
    first = g[g["measurement"] == lo].groupby("domain")["abs_gap"]
    last = g[(g["measurement"] == hi) & (hi > lo)]
    out["n_gap"] = first.size().reindex(order).fillna(0).astype("int64")
    out["gap_first"] = first.mean().reindex(order)
    out["gap_latest"] = last.groupby("domain")["abs_gap"].mean().reindex(order)
    return out


def baseline(table: pd.DataFrame, covariates: list[str], effects: dict[str, Effect]) -> Any:
    """The baseline table (:func:`wattelt_eval.balance`), weighted with the first adjusted
    headline comparison's stabilised weights (on the rows it used); None without covariates."""
    from ..estimation import balance

    if not covariates:
        return None
    adjusted = next((e for e in effects.values() if e.shown and e.adjusted), None)
    w = adjusted.weights if adjusted is not None else None
    if w is not None:
        t = table.loc[w.index]
        return balance(t, "arm", covariates, weights=w.to_numpy(), treated=ARMS[0])
    return balance(table, "arm", covariates, treated=ARMS[0])
