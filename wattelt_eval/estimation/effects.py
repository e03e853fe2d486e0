"""``we.compare`` and ``we.compare_all``: adjusted, clustered effect estimates.

See ``docs/methods.md`` for the methods, the decisions where DESIGN.md is silent and the
simulation study behind the default inference with few clusters.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from . import _core
from ._models import build_design, covariate_columns
from .bootstrap import (
    Clusters,
    bootstrap_counts,
    if_variance,
    make_clusters,
    wild_cluster_t,
)
from .results import CompareResult

Method = Literal["unadjusted", "regression", "ipw", "aipw"]
Kind = Literal["auto", "continuous", "binary", "count", "proportion", "cost"]
CIMethod = Literal["auto", "sandwich", "cluster_t", "wild", "bootstrap"]

#: outcome name -> kind (the package's own outcomes; others are detected from the values)
KNOWN_KINDS: dict[str, str] = {
    "goal_retention": "proportion",
    "goal_ownership": "proportion",
    "goals_achieved_share": "proportion",
    "n_retells": "count",
    "n_tellings": "count",
    "n_contacts": "count",
    "n_goals_final": "count",
    "n_problem_domains_t0": "count",
    "any_provision": "binary",
    "full_follow_up": "binary",
}
#: proportion outcome -> its number of trials
KNOWN_TRIALS: dict[str, str] = {"goal_retention": "n_resident_goals"}
#: treated level for well-known arm columns
KNOWN_TREATED: dict[str, Any] = {"arm": "demand_driven", "period": "after"}
RATIO_KINDS = {"binary", "count", "proportion", "cost"}

METHOD_TEXT = {
    "unadjusted": {
        "en": "unadjusted difference in means",
        "nl": "ongecorrigeerd verschil in gemiddelden",
    },
    "regression": {
        "en": "regression standardisation (g-computation), marginal over the analysis sample",
        "nl": "regressiestandaardisatie (g-computation), marginaal over de analysesteekproef",
    },
    "ipw": {
        "en": "inverse probability weighting (stabilised weights, Hajek), logistic propensity score",
        "nl": "inverse-kansweging (gestabiliseerde gewichten, Hajek), logistische propensityscore",
    },
    "aipw": {
        "en": "augmented IPW (doubly robust)",
        "nl": "augmented IPW (dubbel robuust)",
    },
}


def _check_literal(name: str, value: Any, lit: Any) -> None:
    allowed = get_args(lit)
    if value not in allowed:
        raise ValueError(
            f"{name}={value!r} is not valid; choose one of {', '.join(map(repr, allowed))}. "
            f"/ {name}={value!r} is ongeldig; kies uit {', '.join(map(repr, allowed))}."
        )


def _numeric(s: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or s.dtype == "boolean":
        return s.astype("Float64").astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise ValueError(
            f"Column {name!r} must be numeric (dtype {s.dtype}). / Kolom {name!r} moet numeriek zijn."
        )
    return s.astype("Float64").astype(float)


def detect_kind(name: str, values: pd.Series) -> str:
    """Outcome type from the outcome's name, else from its values."""
    if name in KNOWN_KINDS:
        return KNOWN_KINDS[name]
    if name.startswith("cost"):
        return "cost"
    v = values.dropna()
    if pd.api.types.is_bool_dtype(values) or set(np.unique(v)) <= {0.0, 1.0}:
        return "binary"
    if (v >= 0).all() and (v == np.round(v)).all():
        return "count"
    if (v >= 0).all() and (v <= 1).all():
        return "proportion"
    return "continuous"


def _arm_indicator(s: pd.Series, arm: str, treated: Any) -> tuple[np.ndarray, Any, Any]:
    vals = pd.unique(s.dropna())
    if len(vals) != 2:
        raise ValueError(
            f"The arm column {arm!r} must have exactly two values, found {len(vals)}: "
            f"{list(vals)[:5]}. / De armkolom {arm!r} moet precies twee waarden hebben."
        )
    if treated is None:
        if arm in KNOWN_TREATED and KNOWN_TREATED[arm] in set(map(str, vals)):
            treated = KNOWN_TREATED[arm]
        elif set(map(str, vals)) == {"True", "False"}:
            treated = True
        elif all(isinstance(v, (int, float, np.integer, np.floating)) for v in vals) and set(
            map(float, vals)
        ) == {0.0, 1.0}:
            treated = 1
        else:
            raise ValueError(
                f"Cannot tell which value of {arm!r} is the treated arm ({list(vals)}); pass "
                f"treated=. / Geef met treated= aan welke waarde van {arm!r} de interventie is."
            )
    match = [v for v in vals if v == treated or str(v) == str(treated)]
    if not match:
        raise ValueError(
            f"treated={treated!r} is not a value of {arm!r} ({list(vals)}). / treated={treated!r} "
            f"komt niet voor in {arm!r}."
        )
    t = match[0]
    c = [v for v in vals if v is not t and str(v) != str(t)][0]
    return (s == t).to_numpy(dtype=float, na_value=np.nan), t, c


class _Prepared:
    """The analysis rows after dropping and counting missing values."""

    def __init__(self, table, outcome, arm, covariates, kind, cluster, by, treated, trials, lang):
        if not isinstance(table, pd.DataFrame):
            raise TypeError("table must be a pandas DataFrame (e.g. we.outcomes(data)).")
        needed = [outcome, arm] + [c for c in (cluster, by, trials) if c]
        missing = [c for c in needed if c not in table.columns]
        if isinstance(covariates, (list, tuple)):
            missing += [c for c in covariates if c not in table.columns]
        if missing:
            raise ValueError(
                f"Columns not in the table: {missing}. / Kolommen ontbreken in de tabel: {missing}."
            )
        y_all = _numeric(table[outcome], outcome)
        if kind == "auto":
            kind = detect_kind(outcome, table[outcome])
        if kind == "proportion" and trials is None and outcome in KNOWN_TRIALS:
            if KNOWN_TRIALS[outcome] in table.columns:
                trials = KNOWN_TRIALS[outcome]
        cov_cols = covariate_columns(covariates, table)
        if isinstance(covariates, str) and arm in cov_cols:
            cov_cols.remove(arm)
        a_all, self.treated, self.control = _arm_indicator(table[arm], arm, treated)
        drops: dict[str, int] = {}
        keep = pd.Series(True, index=table.index)

        def drop(mask: pd.Series, reason: str) -> None:
            nonlocal keep
            new = mask & keep
            if new.any():
                drops[reason] = int(new.sum())
            keep &= ~mask

        drop(pd.Series(np.isnan(a_all), index=table.index), "arm missing")
        drop(y_all.isna(), "outcome missing")
        if cov_cols:
            drop(table[cov_cols].isna().any(axis=1), "covariate missing")
        if trials:
            tr = _numeric(table[trials], trials)
            drop(tr.isna() | (tr <= 0), "trials missing or zero")
        if cluster:
            drop(table[cluster].isna(), "cluster missing")
        if by:
            drop(table[by].isna(), "subgroup missing")
        if kind in ("binary", "proportion") and ((y_all < 0) | (y_all > 1)).any():
            raise ValueError(f"Outcome {outcome!r} of kind {kind!r} must lie in [0, 1].")
        if kind in ("count", "cost") and (y_all < 0).any():
            raise ValueError(f"Outcome {outcome!r} of kind {kind!r} must be non-negative.")
        self.df = table.loc[keep].reset_index(drop=True)
        if len(self.df) == 0:
            raise ValueError("No rows left after dropping missing values. / Geen rijen over.")
        self.n_dropped = drops
        self.n_input = len(table)
        self.kind = kind
        self.trials_col = trials
        self.y = y_all[keep].to_numpy()
        self.a = a_all[keep.to_numpy()]
        self.v = _numeric(self.df[trials], trials).to_numpy() if trials else np.ones(len(self.df))
        self.arm_name = arm if re.fullmatch(r"[A-Za-z_]\w*", arm) else "_treat"
        self.df[self.arm_name] = self.a
        self.covariates = covariates
        self.cluster = cluster
        self.by = by
        self.cluster_values = self.df[cluster].astype(str).to_numpy() if cluster else None
        for lab, val in (("control", 0), ("treated", 1)):
            if (self.a == val).sum() == 0:
                raise ValueError(f"No {lab} rows left. / Geen rijen over in één van de armen.")


def _drop_empty_columns(X, X0, X1, Z):
    keep = np.any(X != 0, axis=0) | np.any(X1 != 0, axis=0)
    # also drop columns that are exactly collinear duplicates of the intercept (constant)
    X, X0, X1 = X[:, keep], X0[:, keep], X1[:, keep]
    if Z is not None:
        zk = np.any(Z != 0, axis=0)
        zk[0] = True
        const = np.all(Z == Z[:1], axis=0)
        const[0] = False
        Z = Z[:, zk & ~const]
    return X, X0, X1, Z


def _summarise_interval(stat, se, df, alpha):
    q = stats.norm.ppf(1 - alpha / 2) if not np.isfinite(df) else stats.t.ppf(1 - alpha / 2, df)
    z = stat / se if se > 0 else np.inf * np.sign(stat)
    p = 2 * (stats.norm.sf(abs(z)) if not np.isfinite(df) else stats.t.sf(abs(z), df))
    return stat - q * se, stat + q * se, float(p)


def _resolve_ci(ci: str, kind: str, clusters: Clusters) -> str:
    if ci != "auto":
        return ci
    if clusters.codes is not None and clusters.n_clusters < 30:
        return "cluster_t"
    if kind == "cost":
        return "bootstrap"
    return "sandwich"


def _run(
    prep: _Prepared,
    rows: np.ndarray,
    method: str,
    ci: str,
    n_boot: int,
    rng: np.random.Generator,
    alpha: float,
    trim: float | None,
    ps_fixed: bool = False,
):
    """Estimate on the rows ``rows`` (bool mask over prep.df); returns rows + IFs."""
    df = prep.df.loc[rows].reset_index(drop=True)
    y, a, v = prep.y[rows], prep.a[rows], prep.v[rows]
    cov = None if method == "unadjusted" else prep.covariates
    if method in ("ipw", "aipw") and not cov:
        raise ValueError(
            f"method={method!r} needs covariates. / method={method!r} vereist covariaten."
        )
    design = build_design(df, prep.arm_name, cov)
    X, X0, X1, Z = _drop_empty_columns(design.X, design.X0, design.X1, design.Z)
    design.X, design.X0, design.X1, design.Z = X, X0, X1, Z
    diag: dict[str, Any] = {}
    sub = np.ones(len(y), dtype=bool)
    if trim is not None and method in ("ipw", "aipw"):
        e = _core.propensity(a, Z).mean(Z)
        sub = (e >= trim) & (e <= 1 - trim)
        diag["n_trimmed"] = int((~sub).sum())
        if (~sub).any():
            y, a, v, df = y[sub], a[sub], v[sub], df.loc[sub].reset_index(drop=True)
            design = build_design(df, prep.arm_name, cov)
            X, X0, X1, Z = _drop_empty_columns(design.X, design.X0, design.X1, design.Z)
            design.X, design.X0, design.X1, design.Z = X, X0, X1, Z
    trials = v if prep.trials_col else None
    est = _core.ESTIMATORS[method](y, a, v, design, prep.kind, trials, ps_fixed=ps_fixed)
    diag.update(est.diagnostics)
    cl_vals = prep.cluster_values[rows][sub] if prep.cluster_values is not None else None
    clusters = make_clusters(cl_vals, a)
    ci_used = _resolve_ci(ci, prep.kind, clusters)
    if ci_used in ("cluster_t", "wild") and clusters.codes is None:
        raise ValueError(f"ci={ci_used!r} needs cluster=. / ci={ci_used!r} vereist cluster=.")
    mu = est.mu
    phi = est.phi
    stats_: dict[str, tuple[float, np.ndarray]] = {
        "mean_control": (mu[0], phi[:, 0]),
        "mean_treated": (mu[1], phi[:, 1]),
        "difference": (mu[1] - mu[0], phi[:, 1] - phi[:, 0]),
    }
    ratio_ok = prep.kind in RATIO_KINDS and mu[0] > 0 and mu[1] > 0
    if ratio_ok:
        stats_["ratio"] = (
            float(np.log(mu[1] / mu[0])),
            phi[:, 1] / mu[1] - phi[:, 0] / mu[0],
        )
    n_params = design.X.shape[1] if method != "ipw" else 2
    out_rows = []
    boot_draws = None
    if ci_used == "bootstrap":
        draws = []
        # chunks of replicates keep memory at ~B_chunk x n
        chunk = max(1, int(10_000_000 // max(len(y), 1)))
        done = 0
        while done < n_boot:
            b = min(chunk, n_boot - done)
            W = bootstrap_counts(rng, b, a, clusters)
            draws.append(est.boot(W))
            done += b
        boot_draws = np.vstack(draws)
        ok = np.all(np.isfinite(boot_draws), axis=1)
        diag["n_boot"] = n_boot
        diag["n_boot_failed"] = int((~ok).sum())
        boot_draws = boot_draws[ok]
    for term, (stat, f) in stats_.items():
        vr = if_variance(f, clusters, n_params)
        se, df_ = vr.se, vr.df
        if ci_used in ("sandwich", "cluster_t"):
            lo, hi, p = _summarise_interval(stat, se, df_, alpha)
            label = vr.label
        elif ci_used == "wild":
            tstar = wild_cluster_t(f, clusters, n_boot, rng)
            crit = float(np.quantile(np.abs(tstar), 1 - alpha))
            lo, hi = stat - crit * se, stat + crit * se
            tobs = stat / se if se > 0 else np.inf
            p = float((np.sum(np.abs(tstar) >= abs(tobs)) + 1) / (len(tstar) + 1))
            label = "wild_cluster_webb"
            df_ = np.nan
        else:  # bootstrap
            d = boot_draws
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
            label = "bootstrap_percentile" + ("_cluster" if clusters.codes is not None else "")
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
    diag.update(
        {
            "ci_method": ci_used,
            "n_clusters": clusters.n_clusters if clusters.codes is not None else None,
            "n_clusters_per_arm": clusters.n_clusters_arm if clusters.pure else None,
            "treatment_at_cluster_level": clusters.pure,
            "models": est.models,
            "converged": est.converged,
            "design_columns": design.columns,
            "propensity_columns": design.z_columns,
        }
    )
    n_arm = (int((a == 0).sum()), int((a == 1).sum()))
    # IF of the difference and ratio mapped back onto prep.df rows (for interaction tests)
    full_idx = np.flatnonzero(rows)[sub]
    return out_rows, diag, n_arm, stats_, full_idx


def compare(
    table: pd.DataFrame,
    outcome: str,
    arm: str = "arm",
    covariates: str | list[str] | None = None,
    method: Method = "unadjusted",
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
    lang: Literal["nl", "en"] = "nl",
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
    method : {"unadjusted", "regression", "ipw", "aipw"}
        ``regression`` is g-computation (regression standardisation) over the analysis
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
    ci : {"auto", "sandwich", "cluster_t", "wild", "bootstrap"}
        Inference. ``auto``: with fewer than 30 clusters ``cluster_t``; else for costs
        ``bootstrap``; else ``sandwich``. See Notes.
    alpha : float
        1 - confidence level.
    lang : {"nl", "en"}
        Language of the summary text.

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
    parameter updates from the full-sample fit; ``wild`` is a wild cluster bootstrap of the
    influence-function sums with Webb weights (Webb 2014). The simulation study in
    ``benchmarks/sim_compare.py`` and ``docs/methods.md`` reports their coverage.

    References
    ----------
    Hernan MA, Robins JM (2020). Causal Inference: What If. Chapman & Hall/CRC.
    Cameron AC, Gelbach JB, Miller DL (2008). Bootstrap-based improvements for inference
    with clustered errors. Rev Econ Stat 90(3).
    """
    _check_literal("method", method, Method)
    _check_literal("kind", kind, Kind)
    _check_literal("ci", ci, CIMethod)
    _check_literal("lang", lang, Literal["nl", "en"])
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1).")
    if trim is not None and not 0 < trim < 0.5:
        raise ValueError("trim must lie in (0, 0.5).")
    if n_boot < 10:
        raise ValueError("n_boot must be at least 10.")
    rng = np.random.default_rng(seed)
    prep = _Prepared(table, outcome, arm, covariates, kind, cluster, by, treated, trials, lang)
    all_rows = np.ones(len(prep.df), dtype=bool)
    rows_out, diag, n_arm, st, _ = _run(
        prep, all_rows, method, ci, n_boot, rng, alpha, trim, ps_fixed
    )
    tidy = [dict(group="all", **r, n_control=n_arm[0], n_treated=n_arm[1]) for r in rows_out]
    sub_diag: dict[str, Any] = {}
    if by:
        levels = sorted(pd.unique(prep.df[by].astype(str)))
        if len(levels) < 2:
            raise ValueError(f"by={by!r} has fewer than two levels. / by={by!r} heeft <2 niveaus.")
        phis: dict[str, dict[str, np.ndarray]] = {}
        ests: dict[str, dict[str, float]] = {}
        for lev in levels:
            rows = (prep.df[by].astype(str) == lev).to_numpy()
            r_out, d_sub, n_sub, st_sub, idx = _run(
                prep, rows, method, ci, n_boot, rng, alpha, trim, ps_fixed
            )
            sub_diag[lev] = d_sub
            tidy += [dict(group=lev, **r, n_control=n_sub[0], n_treated=n_sub[1]) for r in r_out]
            phis[lev], ests[lev] = {}, {}
            for term in ("difference", "ratio"):
                if term in st_sub:
                    full = np.zeros(len(prep.df))
                    full[idx] = st_sub[term][1]
                    phis[lev][term] = full
                    ests[lev][term] = st_sub[term][0]
        clusters = make_clusters(prep.cluster_values, prep.a)
        ref = levels[0]
        for lev in levels[1:]:
            for term in ("difference", "ratio"):
                if term not in phis[ref] or term not in phis[lev]:
                    continue
                stat = ests[lev][term] - ests[ref][term]
                f = phis[lev][term] - phis[ref][term]
                vr = if_variance(f, clusters, 1)
                lo, hi, p = _summarise_interval(stat, vr.se, vr.df, alpha)
                if term == "ratio":
                    stat, lo, hi = np.exp(stat), np.exp(lo), np.exp(hi)
                tidy.append(
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
    tab = pd.DataFrame(tidy)
    tab.insert(0, "outcome", outcome)
    tab.insert(1, "kind", prep.kind)
    tab.insert(2, "method", method)
    diag["n_input"] = prep.n_input
    diag["n_used"] = len(prep.df)
    diag["n_dropped"] = prep.n_dropped
    diag["trials"] = prep.trials_col
    if sub_diag:
        diag["subgroups"] = sub_diag
    if not diag.get("converged", True):
        warnings.warn(f"A model did not converge for {outcome!r}; see diagnostics.", stacklevel=2)
    if method in ("ipw", "aipw"):
        _positivity_warnings(diag, outcome)
    design = _design_text(prep, diag)
    return CompareResult(
        outcome=outcome,
        kind=prep.kind,
        method=method,
        design=design,
        arm=arm,
        treated=prep.treated,
        control=prep.control,
        table=tab,
        diagnostics=diag,
        lang=lang,
        alpha=alpha,
    )


def _positivity_warnings(diag: dict[str, Any], outcome: str) -> None:
    msgs = []
    if diag.get("share_ps_outside_05_95", 0) > 0.05:
        msgs.append(
            f"{diag['share_ps_outside_05_95']:.0%} of propensity scores outside [0.05, 0.95] "
            "(positivity at risk; consider trim=)"
        )
    for lab in ("control", "treated"):
        w = diag.get(f"weights_{lab}")
        if w and w["ess"] < 0.5 * w["n"]:
            msgs.append(f"effective sample size in the {lab} arm is {w['ess']:.0f} of {w['n']}")
    if diag.get("share_outside_common_support", 0) > 0.1:
        msgs.append(f"{diag['share_outside_common_support']:.0%} of rows outside common support")
    if msgs:
        warnings.warn(f"Overlap / positivity ({outcome}): " + "; ".join(msgs), stacklevel=3)


def _design_text(prep: _Prepared, diag: dict[str, Any]) -> str:
    parts = [f"concurrent comparison of {prep.arm_name}={prep.treated!s} vs {prep.control!s}"]
    if prep.cluster:
        g = diag["n_clusters"]
        if diag["treatment_at_cluster_level"]:
            gc, gt = diag["n_clusters_per_arm"]
            parts.append(
                f"clustered by {prep.cluster} ({g} clusters: {gt} treated, {gc} control; "
                "arm assigned per cluster)"
            )
        else:
            parts.append(f"clustered by {prep.cluster} ({g} clusters)")
    parts.append(
        "observational: causal reading assumes no unmeasured confounding"
        if prep.covariates
        else "observational, no adjustment for case-mix"
    )
    return "; ".join(parts)


HEADLINE = ("goal_retention", "n_retells", "cost_total", "any_provision")


def compare_all(
    table: pd.DataFrame,
    outcomes: tuple[str, ...] | list[str] = HEADLINE,
    *,
    holm: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """One tidy table for several outcomes (default the three headline outcomes and
    ``any_provision``), with an optional Holm adjustment of the difference p-values.

    Other keyword arguments go to :func:`compare`. The result has one row per outcome
    (the overall difference) plus the ratio where natural, and ``p_holm``.
    """
    frames = []
    for out in outcomes:
        res = compare(table, out, **kwargs)
        t = res.table
        t = t[(t["group"] == "all") & t["term"].isin(["difference", "ratio"])].copy()
        t["ci_method"] = res.diagnostics["ci_method"]
        t["n_used"] = res.diagnostics["n_used"]
        t["n_dropped"] = sum(res.diagnostics["n_dropped"].values())
        t["models"] = "; ".join(res.diagnostics["models"])
        frames.append(t)
    tab = pd.concat(frames, ignore_index=True)
    tab["p_holm"] = np.nan
    if holm:
        m = tab["term"] == "difference"
        tab.loc[m, "p_holm"] = holm_adjust(tab.loc[m, "p_value"].to_numpy())
    return tab


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj
