"""``we.did``: difference-in-differences (before/after x pilot/comparison), clustered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import patsy

from ._models import covariate_columns, fit_glm, formula_rhs
from ._shared import arm_indicator, data_error, numeric, require_columns, summarise_interval, txt
from .bootstrap import if_variance, make_clusters
from .literals import Lang, check
from .randomization import placebo_did
from .results import TableView, estimate_view, title

#: ``inference=`` of :func:`did`
DiDInference = Literal["auto", "analytic", "placebo"]

#: with fewer clusters than this in the pilot or the comparison group, ``inference="auto"``
#: uses the placebo test (Conley & Taber 2011; MacKinnon & Webb 2017, 2020). The
#: simulation in ``benchmarks/sim_its.py --part did`` (20 clusters) puts the analytic
#: path's type-I error at 64%, 15%, 6.8% and 5.8% for 1, 2, 3 and 4 treated clusters.
MIN_CLUSTERS_PER_GROUP = 4


@dataclass(repr=False)
class DiDResult(TableView):
    """Result of :func:`did`.

    ``estimate`` is ``(treated after - treated before) - (control after - control before)``
    on the outcome scale (a linear model; for a binary outcome a linear probability model),
    adjusted for covariates when given. ``cells`` holds the four raw cell means and counts.
    """

    TITLE: ClassVar[dict[str, str]] = title("did")

    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    ci_method: str
    cells: pd.DataFrame
    design: str
    method: str = ""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "term": "did",
                    "estimate": self.estimate,
                    "se": self.se,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "p_value": self.p_value,
                    "df": self.df,
                    "ci_method": self.ci_method,
                    "n_used": self.diagnostics.get("n_used"),
                    "method": self.method,
                    "design": self.design,
                }
            ]
        )

    def _subject(self, lang: str) -> str:
        return self.outcome

    def _view(self, lang: str) -> pd.DataFrame:
        return estimate_view(self.table, lang)

    def _extra_tables(self, lang: str) -> list[pd.DataFrame]:
        return [self.cells]


def did(
    table: pd.DataFrame,
    outcome: str,
    arm: str = "arm",
    period: str = "period",
    covariates: str | list[str] | None = None,
    cluster: str | None = None,
    *,
    treated: Any = None,
    after: Any = "after",
    inference: DiDInference = "auto",
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> DiDResult:
    """Difference-in-differences with cluster-robust or placebo inference.

    Fits ``outcome ~ treated + post + treated:post (+ covariates)`` by OLS; the
    coefficient of ``treated:post`` is the DiD. Inference from the OLS influence function:
    HC1 without clusters; with clusters that hold both groups CR1 with t(G-1); when every
    cluster belongs to one group (e.g. ``team`` nested in the pilot and comparison
    municipality, or ``state`` in a state panel) the per-group few-cluster correction with
    Welch-Satterthwaite df (as in :func:`compare`) — as long as each group has at least
    :data:`MIN_CLUSTERS_PER_GROUP` clusters. With fewer (one pilot municipality or state
    among many comparison units) a cluster-robust t cannot be trusted and the placebo
    test is used: the pilot status is given to every possible set of clusters in turn and
    the DiD re-estimated (exact); p-value and test-inversion interval come from that
    distribution.

    Do not cluster by a column with two values in all (``municipality`` when there is one
    pilot and one comparison municipality): two clusters carry no information about the
    variation between clusters, so this is refused. Cluster by ``team`` instead (teams
    within the two municipalities), or compare with several comparison municipalities.

    Parameters
    ----------
    table : DataFrame
        One row per trajectory (or per unit-period), with the arm and period columns.
    outcome, arm, period : str
        Column names. ``period`` has two values; ``after=`` names the post value.
    covariates : list or formula RHS, optional
    cluster : str, optional
    treated, after : optional
        Values of ``arm`` and ``period`` for the pilot arm and the post period.
    inference : {"auto", "analytic", "placebo"}
        ``"auto"`` (default): placebo when clusters are nested in the groups and either
        group has fewer than :data:`MIN_CLUSTERS_PER_GROUP` clusters, analytic otherwise.
        ``"analytic"``: the cluster-robust SE, refused with one pilot cluster.
        ``"placebo"``: the placebo test (needs ``cluster`` nested in the groups).

    Notes
    -----
    Parallel trends in the absence of the pilot is the identifying assumption; it cannot
    be checked with two periods.
    """
    check("lang", lang, Lang)
    check("inference", inference, DiDInference)
    require_columns(table, [outcome, arm, period] + ([cluster] if cluster else []))
    g, t_lab, c_lab = arm_indicator(table[arm], arm, treated)
    p, a_lab, b_lab = arm_indicator(table[period], period, after)
    y = numeric(table[outcome], outcome).to_numpy()
    cov_cols = covariate_columns(covariates, table)
    keep = ~np.isnan(g) & ~np.isnan(p) & ~np.isnan(y)
    if cov_cols:
        keep &= table[cov_cols].notna().all(axis=1).to_numpy()
    if cluster:
        keep &= table[cluster].notna().to_numpy()
    n_dropped = int((~keep).sum())
    df = table.loc[keep].reset_index(drop=True).copy()
    df["_g"], df["_p"] = g[keep], p[keep]
    df["_gp"] = df["_g"] * df["_p"]
    y = y[keep]
    counts = df.groupby(["_g", "_p"]).size()
    if len(counts) < 4:
        raise data_error("did_cells")
    rhs = "_g + _p + _gp"
    if covariates:
        Xd = patsy.dmatrix(f"{rhs} + {formula_rhs(covariates, df)}", df, return_type="dataframe")
        names = list(Xd.columns)
        j = names.index("_gp")  # patsy may put categorical terms first
        X = np.asarray(Xd, dtype=float)
    else:
        X = np.column_stack([np.ones(len(df)), df["_g"], df["_p"], df["_gp"]])
        names = ["Intercept", "_g", "_p", "_gp"]
        j = 3
    fit = fit_glm(y, X, "gaussian")
    est = float(fit.beta[j])
    phi = fit.delta[:, j]
    clusters = make_clusters(
        df[cluster].astype(str).to_numpy() if cluster else None, df["_g"].to_numpy()
    )
    use_placebo = _choose_inference(inference, cluster, clusters)
    placebo = None
    if use_placebo:
        base = {"Intercept", "_g", "_p", "_gp"}
        z = X[:, [i for i, c in enumerate(names) if c not in base]]
        placebo = placebo_did(
            y, df["_p"].to_numpy(), clusters.codes, clusters.cluster_arm, z, alpha=alpha
        )
        se, dfree, label = np.nan, np.nan, "placebo"
        lo, hi, pval = placebo.ci_low, placebo.ci_high, placebo.p_value
    else:
        vr = if_variance(phi, clusters, X.shape[1])
        se, dfree, label = vr.se, vr.df, vr.label
        lo, hi, pval = summarise_interval(est, vr.se, vr.df, alpha)
    cells = df.assign(_y=y).groupby(["_g", "_p"])["_y"].agg(["count", "mean"]).reset_index()
    cells[arm] = np.where(cells["_g"] == 1, str(t_lab), str(c_lab))
    cells[period] = np.where(cells["_p"] == 1, str(a_lab), str(b_lab))
    cells = cells[[arm, period, "count", "mean"]]
    clustered = (
        txt("did.clustered", lang, cluster=cluster, g=clusters.n_clusters) if cluster else ""
    )
    design_txt = txt(
        "did.design",
        lang,
        before=b_lab,
        after=a_lab,
        treated=t_lab,
        control=c_lab,
        clustered=clustered,
    )
    if placebo is not None:
        inference_txt = txt(
            "did_few.inference_placebo",
            lang,
            n=placebo.n_possible,
            treated=clusters.n_clusters_arm[1],
            g=clusters.n_clusters,
            exact=txt("did_few.exact", lang)
            if placebo.exact
            else txt("did_few.sampled", lang, m=placebo.n_assignments),
        )
    else:
        inference_txt = txt(f"did.inference.{label}", lang)
    method_txt = txt(
        "did.method",
        lang,
        covariates=f" + {formula_rhs(covariates, df)}" if covariates else "",
        inference=inference_txt,
    )
    diagnostics = {
        "n_used": len(df),
        "n_dropped": n_dropped,
        "coefficients": fit.beta.tolist(),
        "n_clusters": clusters.n_clusters if cluster else None,
    }
    if cluster and clusters.pure:
        diagnostics["n_clusters_group"] = {
            "treated": clusters.n_clusters_arm[1],
            "control": clusters.n_clusters_arm[0],
        }
    if placebo is not None:
        diagnostics.update(
            placebo_estimates=placebo.estimates,
            n_assignments=placebo.n_assignments,
            exact=placebo.exact,
            min_p_value=1.0 / placebo.n_possible,
        )
    return DiDResult(
        outcome,
        est,
        se,
        lo,
        hi,
        pval,
        dfree,
        label,
        cells,
        design_txt,
        method_txt,
        diagnostics,
        lang,
    )


def _choose_inference(inference: str, cluster: str | None, clusters: Any) -> bool:
    """True for the placebo test; refuse designs no cluster inference can serve."""
    if not cluster:
        if inference == "placebo":
            raise data_error("did_placebo_needs_cluster")
        return False
    if clusters.n_clusters == 2:
        raise data_error("did_two_clusters", cluster=cluster)
    few = clusters.pure and min(clusters.n_clusters_arm) < MIN_CLUSTERS_PER_GROUP
    if inference == "placebo":
        if not clusters.pure:
            raise data_error("did_placebo_mixed", cluster=cluster)
        return True
    if inference == "analytic":
        if clusters.pure and min(clusters.n_clusters_arm) == 1:
            raise data_error("did_one_cluster", cluster=cluster, g=clusters.n_clusters)
        return False
    return few
