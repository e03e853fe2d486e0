"""``we.cea``: cost-effectiveness of the intervention arm against the control arm.

Incremental cost and incremental effect are two :func:`compare` estimates on the same
rows (same method, covariates and clusters); the joint uncertainty comes from one
bootstrap with the *same* replicate weights for both (vectorised one-step bootstrap,
clusters resampled within arm when ``cluster`` is given). From the joint replicates:
the cost-effect plane, the cost-effectiveness acceptability curve (CEAC) and the net
monetary benefit ``NMB(wtp) = wtp * d_effect - d_cost``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from . import _core
from ._models import build_design, covariate_columns
from .bootstrap import bootstrap_counts, make_clusters
from .effects import (
    KNOWN_TRIALS,
    METHOD_TEXT,
    Kind,
    Method,
    _check_literal,
    _drop_empty_columns,
    _Prepared,
    compare,
)
from .results import TableView

TEXT = {
    "title": {"nl": "Kosteneffectiviteit", "en": "Cost-effectiveness"},
    "icer": {
        "nl": "ICER (extra kosten per eenheid effect)",
        "en": "ICER (incremental cost per unit of effect)",
    },
}
DEFAULT_WTP = (0, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)


@dataclass(repr=False)
class CEAResult(TableView):
    """Result of :func:`cea`.

    Attributes
    ----------
    table : DataFrame
        Tidy rows ``term, estimate, ci_low, ci_high, wtp`` for ``d_cost``, ``d_effect``,
        ``icer``, and ``nmb`` and ``ceac`` (probability cost-effective) per WTP value.
    replicates : DataFrame
        The bootstrap replicates ``d_cost, d_effect`` (the cost-effect plane).
    cost, effect : CompareResult
        The two underlying comparisons (their own CIs and diagnostics).
    """

    TITLE: ClassVar[dict[str, str]] = TEXT["title"]

    cost_outcome: str
    effect_outcome: str
    table: pd.DataFrame
    replicates: pd.DataFrame
    cost: Any
    effect: Any
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"

    def _get(self, term: str) -> pd.Series:
        t = self.table
        return t[t.term == term].iloc[0]

    @property
    def icer(self) -> float:
        return float(self._get("icer").estimate)

    @property
    def d_cost(self) -> float:
        return float(self._get("d_cost").estimate)

    @property
    def d_effect(self) -> float:
        return float(self._get("d_effect").estimate)

    @property
    def ceac(self) -> pd.DataFrame:
        """Probability that the intervention is cost-effective, per WTP value."""
        t = self.table[self.table.term == "ceac"]
        return pd.DataFrame({"wtp": t.wtp.to_numpy(), "p_cost_effective": t.estimate.to_numpy()})

    @property
    def quadrants(self) -> dict[str, float]:
        """Share of replicates per quadrant of the cost-effect plane."""
        r = self.replicates
        more_e, more_c = r.d_effect > 0, r.d_cost > 0
        return {
            "more effect, more cost (NE)": float((more_e & more_c).mean()),
            "more effect, less cost (SE, dominant)": float((more_e & ~more_c).mean()),
            "less effect, less cost (SW)": float((~more_e & ~more_c).mean()),
            "less effect, more cost (NW, dominated)": float((~more_e & more_c).mean()),
        }

    def summary(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        t = self.table.copy()
        lines = [
            f"{TEXT['title'][lang]}: {self.cost_outcome} / {self.effect_outcome}",
            self.method,
            self.design,
            "",
            t[["term", "wtp", "estimate", "ci_low", "ci_high"]].to_string(index=False),
            "",
        ]
        lines += [f"{k}: {v:.1%}" for k, v in self.quadrants.items()]
        return "\n".join(lines)

    def plot(self, ax=None, lang: str | None = None):
        """Cost-effect plane (left) and acceptability curve (right); returns the figure."""
        import matplotlib.pyplot as plt

        lang = lang or self.lang
        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(9, 4))
        else:
            fig = ax[0].figure
        r = self.replicates
        ax[0].scatter(r.d_effect, r.d_cost, s=3, alpha=0.3, color="#0072B2")
        ax[0].scatter([self.d_effect], [self.d_cost], color="#D55E00", zorder=3)
        ax[0].axhline(0, color="grey", lw=0.8)
        ax[0].axvline(0, color="grey", lw=0.8)
        ax[0].set_xlabel(
            {"nl": "verschil in effect", "en": "difference in effect"}[lang]
            + f" ({self.effect_outcome})"
        )
        ax[0].set_ylabel({"nl": "verschil in kosten", "en": "difference in cost"}[lang])
        c = self.ceac
        ax[1].plot(c.wtp, c.p_cost_effective, marker="o", color="#009E73")
        ax[1].set_ylim(0, 1)
        ax[1].set_xlabel(
            {
                "nl": "betalingsbereidheid per eenheid effect",
                "en": "willingness to pay per unit of effect",
            }[lang]
        )
        ax[1].set_ylabel({"nl": "kans kosteneffectief", "en": "probability cost-effective"}[lang])
        fig.tight_layout()
        return fig


def _estimator(table, outcome, arm, covariates, method, kind, cluster, treated, lang):
    prep = _Prepared(table, outcome, arm, covariates, kind, cluster, None, treated, None, lang)
    cov = None if method == "unadjusted" else covariates
    design = build_design(prep.df, prep.arm_name, cov)
    design.X, design.X0, design.X1, design.Z = _drop_empty_columns(
        design.X, design.X0, design.X1, design.Z
    )
    trials = prep.v if prep.trials_col else None
    est = _core.ESTIMATORS[method](prep.y, prep.a, prep.v, design, prep.kind, trials)
    return prep, est


def cea(
    table: pd.DataFrame,
    cost: str = "cost_total",
    effect: str = "goal_retention",
    arm: str = "arm",
    covariates: str | list[str] | None = None,
    method: Method = "unadjusted",
    cluster: str | None = None,
    wtp: tuple[float, ...] | list[float] = DEFAULT_WTP,
    n_boot: int = 2000,
    seed: int | None = None,
    *,
    kind_cost: Kind = "cost",
    kind_effect: Kind = "auto",
    higher_is_better: bool = True,
    treated: Any = None,
    alpha: float = 0.05,
    lang: Literal["nl", "en"] = "nl",
) -> CEAResult:
    """Incremental cost-effectiveness of the intervention arm.

    Parameters
    ----------
    table : DataFrame
        One row per trajectory (``we.outcomes(data)``). Rows missing the cost, the
        effect, a covariate or the cluster are left out of both comparisons (the count is
        in ``diagnostics['n_dropped']``), so cost and effect rest on the same residents.
    cost, effect : str
        Cost column (default ``cost_total``, kind ``cost``: two-part model) and effect
        column (default ``goal_retention``).
    method, covariates, cluster :
        As in :func:`compare`; used for both.
    wtp : sequence of float
        Willingness-to-pay values per unit of effect for the NMB and the CEAC.
    n_boot, seed :
        Joint bootstrap replicates (same weights for cost and effect) and their seed.
    higher_is_better : bool
        ``False`` for effects where less is better (e.g. ``n_retells``): the effect is
        then the reduction, control - intervention.

    Returns
    -------
    CEAResult
        ICER ``d_cost / d_effect`` (point estimate; a bootstrap percentile interval only
        when all replicates have a ``d_effect`` of the same sign, otherwise NaN: read the
        plane and the CEAC), NMB with percentile CIs and CEAC per WTP.
    """
    _check_literal("lang", lang, Literal["nl", "en"])
    if n_boot < 10:
        raise ValueError("n_boot must be at least 10.")
    wtp = [float(w) for w in wtp]
    if any(w < 0 for w in wtp):
        raise ValueError("wtp values must be non-negative.")
    for c in (cost, effect, arm):
        if c not in table.columns:
            raise ValueError(f"Column {c!r} not in the table. / Kolom {c!r} ontbreekt.")
    needed = (
        [cost, effect, arm] + covariate_columns(covariates, table) + ([cluster] if cluster else [])
    )
    keep = table[needed].notna().all(axis=1)
    if effect in KNOWN_TRIALS and KNOWN_TRIALS[effect] in table.columns:
        tr = table[KNOWN_TRIALS[effect]]
        keep &= tr.notna() & (tr.fillna(0) > 0)
    sub = table.loc[keep]
    n_dropped = int((~keep).sum())
    kw = dict(
        arm=arm,
        covariates=covariates,
        method=method,
        cluster=cluster,
        treated=treated,
        alpha=alpha,
        lang=lang,
        n_boot=n_boot,
        seed=seed,
    )
    res_c = compare(sub, cost, kind=kind_cost, **kw)
    res_e = compare(sub, effect, kind=kind_effect, **kw)
    sign = 1.0 if higher_is_better else -1.0
    prep_c, est_c = _estimator(
        sub, cost, arm, covariates, method, kind_cost, cluster, treated, lang
    )
    prep_e, est_e = _estimator(
        sub, effect, arm, covariates, method, kind_effect, cluster, treated, lang
    )
    if len(prep_c.df) != len(prep_e.df):  # pragma: no cover - rows aligned above
        raise RuntimeError("cost and effect rows differ")
    a = prep_c.a
    clusters = make_clusters(prep_c.cluster_values, a)
    rng = np.random.default_rng(seed)
    dc, de = [], []
    chunk = max(1, int(10_000_000 // max(len(a), 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        W = bootstrap_counts(rng, b, a, clusters)
        mc, me = est_c.boot(W), est_e.boot(W)
        dc.append(mc[:, 1] - mc[:, 0])
        de.append(sign * (me[:, 1] - me[:, 0]))
        done += b
    d_cost, d_eff = np.concatenate(dc), np.concatenate(de)
    ok = np.isfinite(d_cost) & np.isfinite(d_eff)
    d_cost, d_eff = d_cost[ok], d_eff[ok]
    pc = float(est_c.mu[1] - est_c.mu[0])
    pe = float(sign * (est_e.mu[1] - est_e.mu[0]))
    q = [alpha / 2, 1 - alpha / 2]
    rows = []

    def add(term, est, draws=None, w=np.nan, lo=np.nan, hi=np.nan):
        if draws is not None:
            lo, hi = np.quantile(draws, q)
        rows.append(
            {
                "term": term,
                "wtp": w,
                "estimate": float(est),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }
        )

    add("d_cost", pc, d_cost)
    add("d_effect", pe, d_eff)
    icer = pc / pe if pe != 0 else np.nan
    same_sign = bool(np.all(d_eff > 0) or np.all(d_eff < 0))
    if same_sign:
        add("icer", icer, d_cost / d_eff)
    else:
        add("icer", icer)
    for w in wtp:
        add("nmb", w * pe - pc, w * d_eff - d_cost, w=w)
    for w in wtp:
        add("ceac", float(np.mean(w * d_eff - d_cost > 0)), w=w)
    tab = pd.DataFrame(rows)
    tab.insert(0, "effect_outcome", effect)
    tab.insert(0, "cost_outcome", cost)
    boot_lab = (
        "cluster bootstrap (teams resampled within arm)"
        if clusters.pure
        else "cluster bootstrap"
        if cluster
        else "bootstrap (rows resampled within arm)"
    )
    meth = (
        f"{METHOD_TEXT[method]['en']}; cost model {res_c.model}, effect model "
        f"{res_e.model}; joint {boot_lab}, {len(d_cost)} replicates (one-step), "
        f"percentile {1 - alpha:.0%} intervals; NMB = wtp x d_effect - d_cost"
    )
    if not higher_is_better:
        meth += f"; effect = reduction in {effect} (control - intervention)"
    return CEAResult(
        cost,
        effect,
        tab,
        pd.DataFrame({"d_cost": d_cost, "d_effect": d_eff}),
        res_c,
        res_e,
        meth,
        res_c.design,
        {
            "n_used": len(prep_c.df),
            "n_dropped": n_dropped,
            "n_boot": n_boot,
            "n_boot_failed": int((~ok).sum()),
            "icer_ci": same_sign,
            "n_clusters": clusters.n_clusters if cluster else None,
        },
        lang,
    )
