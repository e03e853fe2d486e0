"""``we.compare`` and ``we.compare_all``: adjusted, clustered effect estimates.

See ``docs/methods.md`` for the methods, the decisions taken where the issues were silent
and the simulation study behind the default inference with few clusters.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ConvergenceWarning, DroppedRowsWarning, OverlapWarning
from ..i18n import format as fmt
from ._cluster_inference import (
    Interval,
    analytic_cluster_trusted,
    is_linear,
    randomization_intervals,
    wild_intervals,
)
from ._shared import (
    KNOWN_KINDS,
    KNOWN_TREATED,
    KNOWN_TRIALS,
    RATIO_KINDS,
    FittedModel,
    Prepared,
    bilingual,
    data_error,
    detect_kind,
    fit_model,
    summarise_interval,
    txt,
    usage_error,
)
from .bootstrap import (
    Clusters,
    bootstrap_counts,
    if_variance,
    make_clusters,
)
from .literals import CIMethod, Kind, Lang, Method, check
from .multiplicity import holm_adjust
from .multiplicity import romano_wolf as romano_wolf_adjust
from .results import CompareResult
from .sensitivity import e_value_ratio

#: warn when missing covariates (or other reasons) leave out more than this share of rows
DROPPED_WARN_SHARE = 0.05

__all__ = [
    "compare",
    "compare_all",
    "holm_adjust",
    "detect_kind",
    "HEADLINE",
    "METHOD_TEXT",
    "KNOWN_KINDS",
    "KNOWN_TRIALS",
    "KNOWN_TREATED",
    "RATIO_KINDS",
]

#: ``{method: {"nl": ..., "en": ...}}`` from the catalogue (``estimation.method.*``)
METHOD_TEXT = bilingual("method", ("unadjusted", "regression", "ipw", "aipw"))


def _resolve_ci(ci: str, kind: str, clusters: Clusters) -> str:
    """The inference actually used for ``ci`` (``auto``: see docs/methods.md, "Few teams")."""
    if ci != "auto":
        return ci
    if clusters.codes is not None and not analytic_cluster_trusted(clusters):
        if clusters.pure:
            return "randomization"
        raise usage_error("few_clusters_mixed", g=clusters.n_clusters)
    if clusters.codes is not None and clusters.n_clusters < 30:
        return "cluster_t"
    if kind == "cost":
        return "bootstrap"
    return "sandwich"


def _check_ci(ci_used: str, clusters: Clusters) -> None:
    """Refuse inference that the cluster structure cannot support, naming the alternative."""
    if ci_used in ("cluster_t", "wild", "randomization") and clusters.codes is None:
        raise usage_error("needs_cluster", ci=ci_used)
    if ci_used == "randomization" and not clusters.pure:
        raise usage_error("randomization_needs_cluster_arm")
    if ci_used in ("cluster_t", "sandwich") and clusters.codes is not None:
        if not analytic_cluster_trusted(clusters):
            gc, gt = clusters.n_clusters_arm if clusters.pure else (0, 0)
            raise usage_error("few_clusters", g=clusters.n_clusters, gt=gt, gc=gc)


def _term_stats(fit: FittedModel) -> dict[str, tuple[float, np.ndarray]]:
    """Statistic and influence function per term (the ratio on the log scale)."""
    mu, phi = fit.estimate.mu, fit.estimate.phi
    out: dict[str, tuple[float, np.ndarray]] = {
        "mean_control": (mu[0], phi[:, 0]),
        "mean_treated": (mu[1], phi[:, 1]),
        "difference": (mu[1] - mu[0], phi[:, 1] - phi[:, 0]),
    }
    if fit.kind in RATIO_KINDS and mu[0] > 0 and mu[1] > 0:
        out["ratio"] = (float(np.log(mu[1] / mu[0])), phi[:, 1] / mu[1] - phi[:, 0] / mu[0])
    return out


def _boot_draws(
    fit: FittedModel, clusters: Clusters, n_boot: int, rng: np.random.Generator, diag: dict
) -> np.ndarray:
    """Bootstrap replicates of the arm means (B, 2), failed replicates left out."""
    draws = []
    # chunks of replicates keep memory at ~B_chunk x n
    chunk = max(1, int(10_000_000 // max(fit.n, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        W = bootstrap_counts(rng, b, fit.a, clusters)
        draws.append(fit.boot(W))
        done += b
    boot_draws = np.vstack(draws)
    ok = np.all(np.isfinite(boot_draws), axis=1)
    diag["n_boot"] = n_boot
    diag["n_boot_failed"] = int((~ok).sum())
    return boot_draws[ok]


def _boot_interval(term: str, d: np.ndarray, alpha: float, clustered: bool):
    """(low, high, se, p, label) of a bootstrap percentile interval for ``term``."""
    if term == "mean_control":
        bs = d[:, 0]
    elif term == "mean_treated":
        bs = d[:, 1]
    elif term == "difference":
        bs = d[:, 1] - d[:, 0]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            bs = np.log(d[:, 1] / d[:, 0])
        bs = bs[np.isfinite(bs)]
    lo, hi = np.quantile(bs, [alpha / 2, 1 - alpha / 2])
    se = float(np.std(bs, ddof=1))
    null = 0.0
    p = float(min(1.0, 2 * min(np.mean(bs <= null), np.mean(bs >= null))))
    p = max(p, 1.0 / len(bs)) if term in ("difference", "ratio") else np.nan
    label = "bootstrap_percentile" + ("_cluster" if clustered else "")
    return lo, hi, se, p, label


def _inference(prep, fit, stats_, ci, n_boot, rng, alpha, diag):
    """The tidy rows (term, estimate, se, CI, p, df, ci_method) and the CI method used."""
    clusters = make_clusters(fit.cluster_values, fit.a)
    ci_used = _resolve_ci(ci, prep.kind, clusters)
    _check_ci(ci_used, clusters)
    if ci_used == "wild" and not is_linear(fit) and not analytic_cluster_trusted(clusters):
        # the score bootstrap over-rejects badly there (docs/methods.md, section 10)
        raise usage_error("wild_few_clusters", method=fit.method)
    n_params = fit.design.X.shape[1] if fit.method != "ipw" else 2
    boot_draws = _boot_draws(fit, clusters, n_boot, rng, diag) if ci_used == "bootstrap" else None
    special: dict[str, Interval] = {}
    if ci_used == "wild":
        special = wild_intervals(fit, stats_, clusters, n_boot, rng, alpha)
    elif ci_used == "randomization":
        special = randomization_intervals(fit, stats_, clusters, n_boot, rng, alpha)
        diag["ci_notes"] = {t: iv.note for t, iv in special.items() if iv.note}
    trusted = analytic_cluster_trusted(clusters)
    out_rows = []
    for term, (stat, f) in stats_.items():
        vr = if_variance(f, clusters, n_params)
        se, df_ = vr.se, vr.df
        if term in special:
            iv = special[term]
            lo, hi, p, label, df_ = iv.low, iv.high, iv.p_value, iv.label, np.nan
        elif ci_used in ("sandwich", "cluster_t", "wild", "randomization"):
            lo, hi, p = summarise_interval(stat, se, df_, alpha)
            label = vr.label
            if not trusted:  # a mean's analytic interval with one or two teams in an arm
                lo, hi, label = np.nan, np.nan, "not_available_few_clusters"
        else:
            clustered = clusters.codes is not None
            lo, hi, se, p, label = _boot_interval(term, boot_draws, alpha, clustered)
            df_ = np.nan
        if term.startswith("mean"):
            p = np.nan
        if term == "ratio":
            stat, lo, hi = np.exp(stat), np.exp(lo), np.exp(hi)
        out_rows.append(
            {
                "term": term,
                "estimate": float(stat),
                "se": float(se),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "p_value": p,
                "df": float(df_) if df_ is not None else np.nan,
                "ci_method": label,
            }
        )
    return out_rows, ci_used, clusters


def _run(
    prep: Prepared,
    rows: np.ndarray,
    method: str,
    ci: str,
    n_boot: int,
    rng: np.random.Generator,
    alpha: float,
    trim: float | None,
    ps_fixed: bool = False,
):
    """Fit and infer on the rows ``rows`` (bool mask over prep.df).

    Returns the tidy rows, the diagnostics, (n control, n treated), the statistics with
    their influence functions and the fit (whose ``rows`` map them back onto prep.df).
    """
    fit, diag = fit_model(prep, rows, method, trim, ps_fixed)
    stats_ = _term_stats(fit)
    out_rows, ci_used, clusters = _inference(prep, fit, stats_, ci, n_boot, rng, alpha, diag)
    diag.update(
        {
            "ci_method": ci_used,
            "n_clusters": clusters.n_clusters if clusters.codes is not None else None,
            "n_clusters_per_arm": clusters.n_clusters_arm if clusters.pure else None,
            "treatment_at_cluster_level": clusters.pure,
            "models": fit.estimate.models,
            "converged": fit.estimate.converged,
            "design_columns": fit.design.columns,
            "propensity_columns": fit.design.z_columns,
        }
    )
    n_arm = (int((fit.a == 0).sum()), int((fit.a == 1).sum()))
    return out_rows, diag, n_arm, stats_, fit


def compare(
    table: pd.DataFrame,
    outcome: str,
    arm: str = "arm",
    covariates: str | list[str] | None = None,
    method: Method | Literal["auto"] = "auto",
    kind: Kind = "auto",
    cluster: str | None = None,
    by: str | None = None,
    n_boot: int = 2000,
    seed: int | None = None,
    *,
    treated: Any = None,
    trials: str | None = None,
    trim: float | None = None,
    ps_fixed: bool = False,
    ci: CIMethod = "auto",
    alpha: float = 0.05,
    lang: Lang = "nl",
    missing: Literal["complete_case", "mi"] = "complete_case",
    m: int = 20,
) -> CompareResult:
    """Compare two arms on one outcome: marginal difference (and ratio), 95% CI, p-value.

    Parameters
    ----------
    table : DataFrame
        One row per trajectory, e.g. ``we.outcomes(data)``.
    outcome : str
        Any numeric (or boolean) column.
    arm : str
        Any two-valued column. For ``arm="arm"`` the treated level is ``demand_driven``,
        for ``"period"`` it is ``after``; otherwise pass ``treated=``.
    covariates : list of str or str, optional
        Columns (categorical columns enter as ``C(...)``) or a formula right-hand side such
        as ``"age + I(age**2) + C(household)"``. Formula terms may interact with the arm
        (``arm:age``); the propensity model uses the terms without the arm.
    method : {"auto", "unadjusted", "regression", "ipw", "aipw"}
        ``auto`` (default): ``aipw`` when covariates are given, else ``unadjusted`` (with a
        note in the design text: an unadjusted comparison is biased when the case-mix
        differs between the arms; the simulation in docs/methods.md). ``regression`` is
        g-computation (regression standardisation) over the analysis
        sample; ``ipw`` Hajek inverse probability weighting with stabilised weights;
        ``aipw`` augmented IPW (doubly robust).
    kind : {"auto", "continuous", "binary", "count", "proportion", "cost"}
        Outcome model: linear; logistic; Poisson, or negative binomial when the Cameron-
        Trivedi test finds overdispersion (p < 0.05); binomial with trials (``trials=``,
        auto ``goal_retention`` -> ``n_resident_goals``); two-part logit x gamma(log).
    cluster : str, optional
        Cluster column (e.g. ``"team"``) for cluster-robust inference.
    by : str, optional
        Effect modifier (e.g. ``"problem_domains_group"``): estimates per level and a test
        of the interaction (difference of the arm differences).
    n_boot : int
        Bootstrap / wild-bootstrap replicates.
    seed : int, optional
        Seed of the numpy Generator used for resampling.
    treated : optional
        The value of ``arm`` that is the treated (intervention) arm.
    trials : str, optional
        Column with the number of trials for ``kind="proportion"``; the marginal means are
        then trial-weighted (share of all goals retained).
    trim : float, optional
        For ``ipw``/``aipw``: drop rows with a propensity score outside
        ``[trim, 1 - trim]`` (Crump et al. 2009); the estimand then changes to that
        population and the number trimmed is reported.
    ps_fixed : bool
        For ``ipw``: treat the weights as known (as a robust weighted regression or GEE,
        e.g. Hernan & Robins Program 12.3), which ignores the estimation of the propensity
        score and is conservative. Default False: the propensity model's estimating
        equations enter the influence function (M-estimation).
    ci : {"auto", "sandwich", "cluster_t", "wild", "bootstrap", "randomization"}
        Inference. ``auto``: when the arm is assigned per cluster and an arm has fewer
        than three clusters (one treated team, say) or there are two clusters in all,
        ``randomization``; otherwise with fewer than 30 clusters ``cluster_t``; else for
        costs ``bootstrap``; else ``sandwich``. A cluster-robust t (``cluster_t``,
        ``sandwich`` with clusters) is refused where it cannot be trusted. See Notes.
    alpha : float
        1 - confidence level.
    lang : {"nl", "en"}
        Language of the summary text.
    missing : {"complete_case", "mi"}
        Rows with a missing covariate: left out (default; counted in
        ``diagnostics["n_dropped"]``, a ``DroppedRowsWarning`` beyond 5%) or filled by
        multiple imputation by chained equations with Rubin's rules
        (:func:`~wattelt_eval.estimation.imputation.impute_and_compare`, ``m``
        imputations; the result is an ``MIResult``).
    m : int
        Number of imputations for ``missing="mi"``.

    Returns
    -------
    CompareResult

    Notes
    -----
    Variances come from influence functions, summed within clusters. ``sandwich`` is HC1
    (no cluster) or CR1 with t(G-1). ``cluster_t`` (for treatment assigned per cluster)
    takes each arm's cluster sums as independent draws with a per-arm G_a/(G_a-1) factor
    and a t reference with Welch-Satterthwaite df (Bell & McCaffrey 2002; Imbens & Kolesar
    2016). ``bootstrap`` is a (cluster, within-arm) weighted bootstrap with one-step
    parameter updates from the full-sample fit; ``wild`` is the restricted wild cluster
    bootstrap (WCR, Webb weights; for non-linear estimators the restricted score bootstrap
    of Kline & Santos 2012) with intervals by test inversion; ``randomization`` recomputes
    the estimate under every assignment of the clusters to the arms (exact when there are
    at most 20,000). The simulation study in ``benchmarks/sim_compare.py`` and
    ``docs/methods.md`` reports their type-I error and coverage. Ratio terms carry
    E-values (VanderWeele & Ding 2017) in ``e_value`` and ``e_value_ci``.

    References
    ----------
    Hernan MA, Robins JM (2020). Causal Inference: What If. Chapman & Hall/CRC.
    Cameron AC, Gelbach JB, Miller DL (2008). Bootstrap-based improvements for inference
    with clustered errors. Rev Econ Stat 90(3).
    """
    check("missing", missing, Literal["complete_case", "mi"])
    method_auto = method == "auto"
    if method_auto:
        method = "aipw" if covariates else "unadjusted"
    if missing == "mi":
        from .imputation import impute_and_compare

        return impute_and_compare(
            table,
            outcome,
            arm,
            covariates,
            method=method,
            m=m,
            cluster=cluster,
            seed=seed,
            alpha=alpha,
            lang=lang,
            kind=kind,
            by=by,
            n_boot=n_boot,
            treated=treated,
            trials=trials,
            trim=trim,
            ps_fixed=ps_fixed,
            ci=ci,
        )
    _check_options(method, kind, ci, lang, alpha, trim, n_boot)
    rng = np.random.default_rng(seed)
    prep = Prepared(table, outcome, arm, covariates, kind, cluster, by, treated, trials)
    all_rows = np.ones(len(prep.df), dtype=bool)
    rows_out, diag, n_arm, _, fit = _run(
        prep, all_rows, method, ci, n_boot, rng, alpha, trim, ps_fixed
    )
    tidy = [dict(group="all", **r, n_control=n_arm[0], n_treated=n_arm[1]) for r in rows_out]
    sub_diag: dict[str, Any] = {}
    if by:
        sub_rows, sub_diag = _by_subgroup(prep, method, ci, n_boot, rng, alpha, trim, ps_fixed)
        tidy += sub_rows
    tab = _with_e_values(pd.DataFrame(tidy))
    if by:  # Holm over the subgroups' differences (and over the interaction tests)
        tab["p_holm"] = np.nan
        for terms in (("difference",), ("interaction_difference",)):
            m = (tab["group"] != "all") & tab["term"].isin(terms) & tab["p_value"].notna()
            if m.any():
                tab.loc[m, "p_holm"] = holm_adjust(tab.loc[m, "p_value"].to_numpy())
    tab.insert(0, "outcome", outcome)
    tab.insert(1, "kind", prep.kind)
    tab.insert(2, "method", method)
    diag["n_input"] = prep.n_input
    diag["n_used"] = len(prep.df)
    diag["n_dropped"] = prep.n_dropped
    diag["trials"] = prep.trials_col
    if method_auto:
        diag["method_auto"] = txt(
            "method_auto.adjusted" if covariates else "method_auto.unadjusted", lang
        )
    if sub_diag:
        diag["subgroups"] = sub_diag
    _warn(diag, prep, outcome, method, lang)
    return CompareResult(
        outcome=outcome,
        kind=prep.kind,
        method=method,
        design=_design_text(prep, diag, lang),
        arm=arm,
        treated=prep.treated,
        control=prep.control,
        table=tab,
        diagnostics=diag,
        lang=lang,
        alpha=alpha,
        fit=fit,
    )


def _with_e_values(tab: pd.DataFrame) -> pd.DataFrame:
    """E-values of each ratio estimate and of its confidence limit nearer 1."""
    ev = np.full(len(tab), np.nan)
    ev_ci = np.full(len(tab), np.nan)
    for i, row in enumerate(tab.itertuples()):
        if row.term in ("ratio",):
            ev[i], ev_ci[i] = e_value_ratio(row.estimate, row.ci_low, row.ci_high)
    return tab.assign(e_value=ev, e_value_ci=ev_ci)


def _warn(diag: dict[str, Any], prep: Prepared, outcome: str, method: str, lang: str) -> None:
    """The warnings of a comparison, each of its own class (filter by class)."""
    if not diag.get("converged", True):
        warnings.warn(
            ConvergenceWarning(txt("warning.not_converged", lang, outcome=outcome)), stacklevel=3
        )
    if method in ("regression", "ipw", "aipw"):
        _positivity_warnings(diag, outcome, lang)
    n_cov = prep.n_dropped.get("covariate missing", 0)
    if prep.n_input and n_cov / prep.n_input > DROPPED_WARN_SHARE:
        share = fmt.percent(n_cov / prep.n_input, 0, lang)
        msg = txt(
            "warning.dropped_rows", lang, outcome=outcome, n=n_cov, total=prep.n_input, share=share
        )
        warnings.warn(DroppedRowsWarning(msg), stacklevel=3)


def _check_options(method, kind, ci, lang, alpha, trim, n_boot) -> None:
    """Check the options of :func:`compare` at the boundary."""
    check("method", method, Method)
    check("kind", kind, Kind)
    check("ci", ci, CIMethod)
    check("lang", lang, Lang)
    if not 0 < alpha < 1:
        raise usage_error("alpha")
    if trim is not None and not 0 < trim < 0.5:
        raise usage_error("trim")
    if n_boot < 10:
        raise usage_error("n_boot")


def _by_subgroup(prep, method, ci, n_boot, rng, alpha, trim, ps_fixed):
    """Tidy rows per level of ``prep.by`` and the interaction tests against the first level."""
    by = prep.by
    levels = sorted(pd.unique(prep.df[by].astype(str)))
    if len(levels) < 2:
        raise data_error("by_levels", by=by)
    tidy: list[dict[str, Any]] = []
    sub_diag: dict[str, Any] = {}
    phis: dict[str, dict[str, np.ndarray]] = {}
    ests: dict[str, dict[str, float]] = {}
    for lev in levels:
        rows = (prep.df[by].astype(str) == lev).to_numpy()
        r_out, d_sub, n_sub, st_sub, fit = _run(
            prep, rows, method, ci, n_boot, rng, alpha, trim, ps_fixed
        )
        sub_diag[lev] = d_sub
        tidy += [dict(group=lev, **r, n_control=n_sub[0], n_treated=n_sub[1]) for r in r_out]
        phis[lev], ests[lev] = {}, {}
        for term in ("difference", "ratio"):
            if term in st_sub:
                full = np.zeros(len(prep.df))
                full[fit.rows] = st_sub[term][1]
                phis[lev][term] = full
                ests[lev][term] = st_sub[term][0]
    clusters = make_clusters(prep.cluster_values, prep.a)
    for lev in levels[1:]:
        tidy += _interaction_rows(lev, levels[0], ests, phis, clusters, alpha)
    return tidy, sub_diag


def _interaction_rows(lev, ref, ests, phis, clusters, alpha) -> list[dict[str, Any]]:
    """Difference of the arm differences (and ratio of ratios) of ``lev`` against ``ref``."""
    out = []
    for term in ("difference", "ratio"):
        if term not in phis[ref] or term not in phis[lev]:
            continue
        stat = ests[lev][term] - ests[ref][term]
        f = phis[lev][term] - phis[ref][term]
        vr = if_variance(f, clusters, 1)
        lo, hi, p = summarise_interval(stat, vr.se, vr.df, alpha)
        if term == "ratio":
            stat, lo, hi = np.exp(stat), np.exp(lo), np.exp(hi)
        out.append(
            dict(
                group=f"{lev} vs {ref}",
                term=f"interaction_{term}",
                estimate=float(stat),
                se=vr.se,
                ci_low=float(lo),
                ci_high=float(hi),
                p_value=p,
                df=vr.df,
                ci_method=vr.label,
                n_control=np.nan,
                n_treated=np.nan,
            )
        )
    return out


def _positivity_warnings(diag: dict[str, Any], outcome: str, lang: str = "nl") -> None:
    msgs = []
    share = diag.get("share_ps_outside_05_95", 0)
    if share > 0.05:
        msgs.append(txt("warning.ps_outside", lang, share=fmt.percent(share, 0, lang)))
    for lab in ("control", "treated"):
        w = diag.get(f"weights_{lab}")
        if w and w["ess"] < 0.5 * w["n"]:
            ess = fmt.number(w["ess"], 0, lang)
            msgs.append(txt(f"warning.ess_{lab}", lang, ess=ess, n=w["n"]))
    outside = diag.get("share_outside_common_support", 0)
    if outside > 0.1:
        msgs.append(txt("warning.common_support", lang, share=fmt.percent(outside, 0, lang)))
    if msgs:
        details = "; ".join(msgs)
        warnings.warn(
            OverlapWarning(txt("warning.positivity", lang, outcome=outcome, details=details)),
            stacklevel=4,
        )


def _design_text(prep: Prepared, diag: dict[str, Any], lang: str = "nl") -> str:
    parts = [
        txt(
            "design.concurrent",
            lang,
            arm=prep.arm_name,
            treated=str(prep.treated),
            control=str(prep.control),
        )
    ]
    if prep.cluster:
        g = diag["n_clusters"]
        if diag["treatment_at_cluster_level"]:
            gc, gt = diag["n_clusters_per_arm"]
            parts.append(
                txt("design.clustered_per_arm", lang, cluster=prep.cluster, g=g, gt=gt, gc=gc)
            )
        else:
            parts.append(txt("design.clustered", lang, cluster=prep.cluster, g=g))
    parts.append(txt("design.adjusted" if prep.covariates else "design.unadjusted", lang))
    return "; ".join(parts)


HEADLINE = ("goal_retention", "n_retells", "cost_total", "any_provision")


def compare_all(
    table: pd.DataFrame,
    outcomes: tuple[str, ...] | list[str] = HEADLINE,
    *,
    holm: bool = True,
    romano_wolf: bool = False,
    n_boot_rw: int = 9999,
    **kwargs: Any,
) -> pd.DataFrame:
    """One tidy table for several outcomes (default the three headline outcomes and
    ``any_provision``), with adjustments of the difference p-values for multiplicity.

    Other keyword arguments go to :func:`compare`. The result has one row per outcome
    (the overall difference) plus the ratio where natural, ``p_holm`` (Holm) and, with
    ``romano_wolf=True``, ``p_romano_wolf``: the Romano-Wolf step-down adjustment from a
    joint restricted score bootstrap over teams (:mod:`.multiplicity`), which keeps the
    correlation between the outcomes.
    """
    frames, fits = [], []
    for out in outcomes:
        res = compare(table, out, **kwargs)
        fits.append(res.fit)
        t = res.table
        t = t[(t["group"] == "all") & t["term"].isin(["difference", "ratio"])].copy()
        t["ci_method"] = res.diagnostics["ci_method"]
        t["n_used"] = res.diagnostics["n_used"]
        t["n_dropped"] = sum(res.diagnostics["n_dropped"].values())
        t["models"] = "; ".join(res.diagnostics["models"])
        frames.append(t)
    tab = pd.concat(frames, ignore_index=True)
    tab["p_holm"] = np.nan
    m = tab["term"] == "difference"
    if holm:
        tab.loc[m, "p_holm"] = holm_adjust(tab.loc[m, "p_value"].to_numpy())
    if romano_wolf:
        _, p_rw = romano_wolf_adjust(fits, n_boot=n_boot_rw, seed=kwargs.get("seed"))
        tab["p_romano_wolf"] = np.nan
        tab.loc[m, "p_romano_wolf"] = p_rw
    return tab
