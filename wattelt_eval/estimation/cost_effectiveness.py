"""``we.cea``: cost-effectiveness of the intervention arm against the control arm.

Incremental cost and incremental effect are two :func:`compare` estimates on the same
rows (same method, covariates, clusters and inference). By default (``uncertainty=
"compare"``) everything comes from the same inference as :func:`compare`: the rows
``d_cost`` and ``d_effect`` *are* compare's intervals; the net monetary benefit
``NMB(wtp) = wtp * d_effect - d_cost`` is a linear combination whose influence function
``wtp * phi_effect - phi_cost`` gets the same cluster-robust variance and t reference as
compare's (so the cost-effect correlation is kept); the acceptability curve is
``P(NMB > 0)`` under that t distribution, so the probability of saving (CEAC at 0) agrees
with compare's interval for the cost; the ICER interval is Fieller's, given only where it
is bounded. The cost-effect plane shows draws from that joint t distribution.
``uncertainty="bootstrap"`` keeps the earlier joint one-step bootstrap (clusters
resampled within arm), which is too narrow with few teams (docs/methods.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..i18n import format as fmt
from ._models import covariate_columns
from ._shared import KNOWN_TRIALS, ci_text, method_text, require_columns, txt, usage_error
from .bootstrap import bootstrap_counts, if_variance, make_clusters
from .effects import compare
from .literals import CIMethod, Kind, Lang, Method, check
from .results import TableView, estimate_view, title

DEFAULT_WTP = (0, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000)
#: quadrant of the cost-effect plane -> its key in :attr:`CEAResult.quadrants`
QUADRANTS = {
    "ne": "more effect, more cost (NE)",
    "se": "more effect, less cost (SE, dominant)",
    "sw": "less effect, less cost (SW)",
    "nw": "less effect, more cost (NW, dominated)",
}


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

    TITLE: ClassVar[dict[str, str]] = title("cea")

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
        """Share of replicates per quadrant of the cost-effect plane (English keys)."""
        return {QUADRANTS[k]: v for k, v in self._quadrant_shares().items()}

    def _quadrant_shares(self) -> dict[str, float]:
        r = self.replicates
        more_e, more_c = r.d_effect > 0, r.d_cost > 0
        return {
            "ne": float((more_e & more_c).mean()),
            "se": float((more_e & ~more_c).mean()),
            "sw": float((~more_e & ~more_c).mean()),
            "nw": float((~more_e & more_c).mean()),
        }

    def _subject(self, lang: str) -> str:
        return txt("cea.subject", lang, cost=self.cost_outcome, effect=self.effect_outcome)

    def _view(self, lang: str) -> pd.DataFrame:
        return estimate_view(self.table, lang)

    def _notes(self, lang: str) -> list[str]:
        return [
            f"{txt(f'cea.quadrant.{k}', lang)}: {fmt.percent(v, 1, lang)}"
            for k, v in self._quadrant_shares().items()
        ]

    def plot(self, ax=None, lang: str | None = None):
        """Cost-effect plane (left) and acceptability curve (right); returns the figure."""
        import matplotlib.pyplot as plt

        lang = self._lang(lang)
        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(9, 4))
        else:
            fig = ax[0].figure
        r = self.replicates
        ax[0].scatter(r.d_effect, r.d_cost, s=3, alpha=0.3, color="#0072B2")
        ax[0].scatter([self.d_effect], [self.d_cost], color="#D55E00", zorder=3)
        ax[0].axhline(0, color="grey", lw=0.8)
        ax[0].axvline(0, color="grey", lw=0.8)
        ax[0].set_xlabel(txt("cea.axis.effect", lang, effect=self.effect_outcome))
        ax[0].set_ylabel(txt("cea.axis.cost", lang))
        c = self.ceac
        ax[1].plot(c.wtp, c.p_cost_effective, marker="o", color="#009E73")
        ax[1].set_ylim(0, 1)
        ax[1].set_xlabel(txt("cea.axis.wtp", lang))
        ax[1].set_ylabel(txt("cea.axis.ceac", lang))
        fig.tight_layout()
        return fig


def _analysis_rows(table, cost, effect, arm, covariates, cluster) -> pd.Series:
    """Rows with cost, effect, arm, covariates and cluster (and trials of the effect)."""
    require_columns(table, [cost, effect, arm])
    needed = (
        [cost, effect, arm] + covariate_columns(covariates, table) + ([cluster] if cluster else [])
    )
    keep = table[needed].notna().all(axis=1)
    if effect in KNOWN_TRIALS and KNOWN_TRIALS[effect] in table.columns:
        tr = table[KNOWN_TRIALS[effect]]
        keep &= tr.notna() & (tr.fillna(0) > 0)
    return keep


def _joint_replicates(fit_c, fit_e, n_boot, seed, sign):
    """Replicates of (d_cost, d_effect) from the same bootstrap weights for both fits."""
    a = fit_c.a
    clusters = make_clusters(fit_c.cluster_values, a)
    rng = np.random.default_rng(seed)
    dc, de = [], []
    chunk = max(1, int(10_000_000 // max(len(a), 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        W = bootstrap_counts(rng, b, a, clusters)
        mc, me = fit_c.boot(W), fit_e.boot(W)
        dc.append(mc[:, 1] - mc[:, 0])
        de.append(sign * (me[:, 1] - me[:, 0]))
        done += b
    return np.concatenate(dc), np.concatenate(de), clusters


def _cea_table(pc, pe, d_cost, d_eff, wtp, alpha) -> tuple[pd.DataFrame, bool]:
    """Tidy rows d_cost, d_effect, icer, nmb and ceac per WTP; and whether the ICER has a CI."""
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
    return pd.DataFrame(rows), same_sign


def _t_quantile(df: float, q: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(q) if not np.isfinite(df) else stats.t.ppf(q, df))


def _t_cdf(x: float, df: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf(x) if not np.isfinite(df) else stats.t.cdf(x, df))


def fieller_interval(
    dc: float, de: float, vc: float, ve: float, cov: float, crit: float
) -> tuple[float, float]:
    """Fieller's interval for the ratio ``dc / de``; ``(nan, nan)`` where it is unbounded.

    The set of ``R`` with ``(dc - R de)^2 <= crit^2 (vc - 2 R cov + R^2 ve)``: bounded
    only when ``de`` differs from zero at that level (``de^2 > crit^2 ve``).
    """
    a = de**2 - crit**2 * ve
    b = -2 * (dc * de - crit**2 * cov)
    c = dc**2 - crit**2 * vc
    disc = b**2 - 4 * a * c
    if a <= 0 or disc < 0:
        return np.nan, np.nan
    r = np.sqrt(disc)
    return float((-b - r) / (2 * a)), float((-b + r) / (2 * a))


def _joint_from_compare(res_c, res_e, sign, wtp, alpha, seed, n_draws):
    """Table rows and plane draws from the influence functions of the two comparisons."""
    fit_c, fit_e = res_c.fit, res_e.fit
    clusters = make_clusters(fit_c.cluster_values, fit_c.a)
    phi_c = fit_c.estimate.phi[:, 1] - fit_c.estimate.phi[:, 0]
    phi_e = sign * (fit_e.estimate.phi[:, 1] - fit_e.estimate.phi[:, 0])
    pc = float(fit_c.mu[1] - fit_c.mu[0])
    pe = float(sign * (fit_e.mu[1] - fit_e.mu[0]))
    k = fit_c.design.X.shape[1] if fit_c.method != "ipw" else 2  # as compare's variance

    def var(phi: np.ndarray):
        return if_variance(phi, clusters, k)

    vr_c, vr_e, vr_s = var(phi_c), var(phi_e), var(phi_c + phi_e)
    cov = (vr_s.se**2 - vr_c.se**2 - vr_e.se**2) / 2
    df = float(min(vr_c.df, vr_e.df))
    rows = [_copy_row("d_cost", res_c, 1.0), _copy_row("d_effect", res_e, sign)]
    crit = _t_quantile(df, 1 - alpha / 2)
    lo, hi = fieller_interval(pc, pe, vr_c.se**2, vr_e.se**2, cov, crit)
    rows.append(_row("icer", pc / pe if pe != 0 else np.nan, lo, hi))
    for w in wtp:
        vr = var(w * phi_e - phi_c)
        nmb, q = w * pe - pc, _t_quantile(vr.df, 1 - alpha / 2)
        rows.append(_row("nmb", nmb, nmb - q * vr.se, nmb + q * vr.se, w))
    for w in wtp:
        vr = var(w * phi_e - phi_c)
        nmb = w * pe - pc
        p = _t_cdf(nmb / vr.se, vr.df) if vr.se > 0 else float(nmb > 0)
        rows.append(_row("ceac", p, w=w))
    cov_m = np.array([[vr_c.se**2, cov], [cov, vr_e.se**2]])
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0.0, 0.0], cov_m, size=n_draws)
    scale = np.sqrt(df / rng.chisquare(df, size=n_draws)) if np.isfinite(df) else 1.0
    draws = z * np.atleast_1d(scale)[:, None]
    info = {"df": df, "se_cost": vr_c.se, "se_effect": vr_e.se, "cov": cov, "clusters": clusters}
    return pd.DataFrame(rows), pc + draws[:, 0], pe + draws[:, 1], info


def _row(term, est, lo=np.nan, hi=np.nan, w=np.nan) -> dict[str, Any]:
    return {
        "term": term,
        "wtp": w,
        "estimate": float(est),
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def _copy_row(term: str, res: Any, sign: float) -> dict[str, Any]:
    """compare's own interval for the difference (sign-flipped for a reduction)."""
    r = res.table.set_index("term").loc["difference"]
    if sign > 0:
        return _row(term, r["estimate"], r["ci_low"], r["ci_high"])
    return _row(term, -r["estimate"], -r["ci_high"], -r["ci_low"])


def _method_text_compare(method, res_c, res_e, info, alpha, effect, higher, lang) -> str:
    meth = txt(
        "cea.method_compare",
        lang,
        method=method_text(method, lang),
        cost_model=res_c.model,
        effect_model=res_e.model,
        inference=ci_text(res_c.ci_method, lang),
        level=fmt.percent(1 - alpha, 0, lang),
    )
    if not higher:
        meth += txt("cea.reduction", lang, effect=effect)
    return meth


def _method_text(method, res_c, res_e, clusters, cluster, n, alpha, effect, higher, lang) -> str:
    boot = "per_arm" if clusters.pure else "cluster" if cluster else "rows"
    meth = txt(
        "cea.method",
        lang,
        method=method_text(method, lang),
        cost_model=res_c.model,
        effect_model=res_e.model,
        bootstrap=txt(f"cea.bootstrap.{boot}", lang),
        n=n,
        level=fmt.percent(1 - alpha, 0, lang),
    )
    if not higher:
        meth += txt("cea.reduction", lang, effect=effect)
    return meth


def cea(
    table: pd.DataFrame,
    cost: str = "cost_total",
    effect: str = "goal_retention",
    arm: str = "arm",
    covariates: str | list[str] | None = None,
    method: Method | Literal["auto"] = "auto",
    cluster: str | None = None,
    wtp: tuple[float, ...] | list[float] = DEFAULT_WTP,
    n_boot: int = 2000,
    seed: int | None = None,
    *,
    ci: CIMethod = "auto",
    uncertainty: Literal["compare", "bootstrap"] = "compare",
    kind_cost: Kind = "cost",
    kind_effect: Kind = "auto",
    higher_is_better: bool = True,
    treated: Any = None,
    alpha: float = 0.05,
    lang: Lang = "nl",
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
    method, covariates, cluster, ci :
        As in :func:`compare`; used for both (``method="auto"``: AIPW with covariates,
        else unadjusted).
    uncertainty : {"compare", "bootstrap"}
        ``compare`` (default): the same inference as :func:`compare` — ``d_cost`` and
        ``d_effect`` carry compare's intervals, NMB and CEAC come from the joint
        influence functions with compare's variance and t reference, the ICER interval
        is Fieller's (missing where unbounded). ``bootstrap``: the joint one-step
        bootstrap (clusters resampled within arm) with percentile intervals; too narrow
        with few teams (docs/methods.md).
    wtp : sequence of float
        Willingness-to-pay values per unit of effect for the NMB and the CEAC.
    n_boot, seed :
        Replicates of compare's bootstrap or randomization inference and of the joint
        bootstrap, and draws of the cost-effect plane; their seed.
    higher_is_better : bool
        ``False`` for effects where less is better (e.g. ``n_retells``): the effect is
        then the reduction, control - intervention.

    Returns
    -------
    CEAResult
        ICER ``d_cost / d_effect`` with an interval only where it is defined (Fieller
        bounded; with ``bootstrap``: all replicates of ``d_effect`` of one sign), NMB
        with CIs and CEAC per WTP.
    """
    check("lang", lang, Lang)
    if n_boot < 10:
        raise usage_error("n_boot")
    wtp = [float(w) for w in wtp]
    if any(w < 0 for w in wtp):
        raise usage_error("wtp")
    keep = _analysis_rows(table, cost, effect, arm, covariates, cluster)
    sub = table.loc[keep]
    check("uncertainty", uncertainty, Literal["compare", "bootstrap"])
    if method == "auto":
        method = "aipw" if covariates else "unadjusted"
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
        ci=ci,
    )
    # the two comparisons carry their fits: the joint bootstrap reuses them (no refit)
    res_c = compare(sub, cost, kind=kind_cost, **kw)
    res_e = compare(sub, effect, kind=kind_effect, **kw)
    fit_c, fit_e = res_c.fit, res_e.fit
    if fit_c.n != fit_e.n:  # pragma: no cover - rows aligned above
        raise RuntimeError("cost and effect rows differ")
    sign = 1.0 if higher_is_better else -1.0
    if uncertainty == "compare":
        tab, d_cost, d_eff, info = _joint_from_compare(res_c, res_e, sign, wtp, alpha, seed, n_boot)
        ok = np.ones(len(d_cost), dtype=bool)
        clusters, same_sign = info["clusters"], bool(np.isfinite(tab.ci_low.iloc[2]))
        meth = _method_text_compare(
            method, res_c, res_e, info, alpha, effect, higher_is_better, lang
        )
    else:
        d_cost, d_eff, clusters = _joint_replicates(fit_c, fit_e, n_boot, seed, sign)
        ok = np.isfinite(d_cost) & np.isfinite(d_eff)
        d_cost, d_eff = d_cost[ok], d_eff[ok]
        pc = float(fit_c.mu[1] - fit_c.mu[0])
        pe = float(sign * (fit_e.mu[1] - fit_e.mu[0]))
        tab, same_sign = _cea_table(pc, pe, d_cost, d_eff, wtp, alpha)
        meth = _method_text(
            method,
            res_c,
            res_e,
            clusters,
            cluster,
            len(d_cost),
            alpha,
            effect,
            higher_is_better,
            lang,
        )
    tab.insert(0, "effect_outcome", effect)
    tab.insert(0, "cost_outcome", cost)
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
            "n_used": fit_c.n,
            "n_dropped": int((~keep).sum()),
            "n_boot": n_boot,
            "n_boot_failed": int((~ok).sum()),
            "icer_ci": same_sign,
            "uncertainty": uncertainty,
            "n_clusters": clusters.n_clusters if cluster else None,
        },
        lang,
    )
