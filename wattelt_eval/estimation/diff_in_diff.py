"""``we.did``: difference-in-differences (before/after x pilot/comparison), clustered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import patsy

from ._models import covariate_columns, fit_glm, formula_rhs
from ._shared import arm_indicator, data_error, numeric, require_columns, summarise_interval, txt
from .bootstrap import if_variance, make_clusters
from .literals import Lang, check
from .results import TableView, estimate_view, title


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
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> DiDResult:
    """Difference-in-differences with cluster-robust inference.

    Fits ``outcome ~ treated + post + treated:post (+ covariates)`` by OLS; the
    coefficient of ``treated:post`` is the DiD. Inference from the OLS influence function:
    HC1 without clusters; with clusters (e.g. ``team``, or ``municipality`` for
    own vs comparison municipality) CR1 with t(G-1), or, when every cluster belongs to one
    arm, the per-arm few-cluster correction with Welch-Satterthwaite df (as in
    :func:`compare`).

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

    Notes
    -----
    Parallel trends in the absence of the pilot is the identifying assumption; it cannot
    be checked with two periods.
    """
    check("lang", lang, Lang)
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
        j = list(Xd.columns).index("_gp")  # patsy may put categorical terms first
        X = np.asarray(Xd, dtype=float)
    else:
        X = np.column_stack([np.ones(len(df)), df["_g"], df["_p"], df["_gp"]])
        j = 3
    fit = fit_glm(y, X, "gaussian")
    est = float(fit.beta[j])
    phi = fit.delta[:, j]
    clusters = make_clusters(
        df[cluster].astype(str).to_numpy() if cluster else None, df["_g"].to_numpy()
    )
    vr = if_variance(phi, clusters, X.shape[1])
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
    method_txt = txt(
        "did.method",
        lang,
        covariates=f" + {formula_rhs(covariates, df)}" if covariates else "",
        inference=txt(f"did.inference.{vr.label}", lang),
    )
    return DiDResult(
        outcome,
        est,
        vr.se,
        lo,
        hi,
        pval,
        vr.df,
        vr.label,
        cells,
        design_txt,
        method_txt,
        {
            "n_used": len(df),
            "n_dropped": n_dropped,
            "coefficients": fit.beta.tolist(),
            "n_clusters": clusters.n_clusters if cluster else None,
        },
        lang,
    )
