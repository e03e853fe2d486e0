"""we.compare: checked against statsmodels fits, hand computations and a textbook analysis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from compare_helpers import make_table
from scipy import special, stats

from wattelt_eval.estimation import CompareResult, compare, compare_all, holm_adjust
from wattelt_eval.estimation.bootstrap import if_variance, make_clusters


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table(n_per_arm=150, n_teams=8, seed=3)


def _row(res: CompareResult, term: str, group: str = "all") -> pd.Series:
    t = res.table
    return t[(t.group == group) & (t.term == term)].iloc[0]


# ----------------------------------------------------------------- unadjusted by hand


def test_unadjusted_continuous_matches_welch_by_hand(table):
    res = compare(table, "mean_change_resident", "arm")
    y1 = table.loc[table.arm == "demand_driven", "mean_change_resident"]
    y0 = table.loc[table.arm == "supply_driven", "mean_change_resident"]
    assert res.estimate == pytest.approx(y1.mean() - y0.mean(), rel=1e-12)
    # influence-function variance of a difference in means = sum of (n-1)/n * s^2 / n,
    # times the HC1 factor n/(n-2)
    n = len(table)
    v = (len(y1) - 1) / len(y1) * y1.var() / len(y1) + (len(y0) - 1) / len(y0) * y0.var() / len(y0)
    assert res.se == pytest.approx(np.sqrt(v * n / (n - 2)), rel=1e-10)
    assert res.n_per_arm == {"demand_driven": 150, "supply_driven": 150}
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(res.estimate / res.se)), rel=1e-10)


def test_unadjusted_proportion_is_trial_weighted(table):
    res = compare(table, "goal_retention", "arm")
    assert res.diagnostics["trials"] == "n_resident_goals"
    k = table["n_resident_goals"].astype(float)
    r = table["n_resident_goals_retained"].astype(float)
    m1 = r[table.arm == "demand_driven"].sum() / k[table.arm == "demand_driven"].sum()
    m0 = r[table.arm == "supply_driven"].sum() / k[table.arm == "supply_driven"].sum()
    assert res.estimate == pytest.approx(m1 - m0, rel=1e-9)
    assert res.ratio[0] == pytest.approx(m1 / m0, rel=1e-9)


def test_missing_outcome_dropped_and_counted(table):
    t = table.copy()
    t.loc[:9, "mean_change_resident"] = np.nan
    t.loc[10:12, "age"] = np.nan
    res = compare(t, "mean_change_resident", "arm", covariates=["age"], method="regression")
    assert res.diagnostics["n_dropped"] == {"outcome missing": 10, "covariate missing": 3}
    assert res.diagnostics["n_used"] == len(t) - 13
    assert sum(res.n_per_arm.values()) == len(t) - 13


# --------------------------------------------------------------- against statsmodels


def test_regression_linear_equals_ols_hc1(table):
    res = compare(
        table, "mean_change_resident", "arm", covariates="age + C(household)", method="regression"
    )
    d = table.assign(treat=(table.arm == "demand_driven").astype(float))
    ols = smf.ols("mean_change_resident ~ treat + age + C(household)", d).fit(cov_type="HC1")
    assert res.estimate == pytest.approx(ols.params["treat"], rel=1e-10)
    assert res.se == pytest.approx(ols.bse["treat"], rel=1e-8)


def test_regression_linear_cluster_mixed_equals_statsmodels_cr1(table):
    # teams that hold both arms: plain CR1 with G-1 df, as statsmodels
    rng = np.random.default_rng(1)
    t = table.assign(mixteam=rng.integers(0, 12, len(table)).astype(str))
    res = compare(
        t, "mean_change_resident", "arm", covariates=["age"], method="regression", cluster="mixteam"
    )
    d = t.assign(treat=(t.arm == "demand_driven").astype(float))
    ols = smf.ols("mean_change_resident ~ treat + age", d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d.mixteam)[0]}
    )
    row = _row(res, "difference")
    assert row.ci_method == "CR1"
    assert res.se == pytest.approx(ols.bse["treat"], rel=1e-8)
    assert row.df == 11
    q = stats.t.ppf(0.975, 11)
    assert res.ci_low == pytest.approx(ols.params["treat"] - q * ols.bse["treat"], rel=1e-8)


def test_regression_logistic_equals_average_marginal_effect(table):
    res = compare(
        table, "any_provision", "arm", covariates="age + C(household)", method="regression"
    )
    d = table.assign(
        treat=(table.arm == "demand_driven").astype(float), y=table.any_provision.astype(float)
    )
    fit = smf.logit("y ~ treat + age + C(household)", d).fit(disp=0)
    d1, d0 = d.assign(treat=1.0), d.assign(treat=0.0)
    p1, p0 = fit.predict(d1), fit.predict(d0)
    assert res.estimate == pytest.approx(p1.mean() - p0.mean(), rel=1e-7)
    # statsmodels' average discrete change for the dummy is the same estimand
    me = fit.get_margeff(at="overall", dummy=True)
    idx = list(fit.params.index[1:]).index("treat")
    assert res.estimate == pytest.approx(me.margeff[idx], rel=1e-6)
    # SE: delta method (statsmodels, covariates fixed) plus the sampling of the covariates
    # (the term missing from margeff), with the robust covariance of the coefficients
    rob = smf.logit("y ~ treat + age + C(household)", d).fit(disp=0, cov_type="HC0")
    info = patsy.dmatrix("treat + age + C(household)", d).design_info
    X1 = np.asarray(patsy.build_design_matrices([info], d1)[0])
    X0 = np.asarray(patsy.build_design_matrices([info], d0)[0])
    g = ((p1 * (1 - p1)).to_numpy()[:, None] * X1 - (p0 * (1 - p0)).to_numpy()[:, None] * X0).mean(
        0
    )
    cov = rob.cov_params().to_numpy()
    ind = (p1 - p0).to_numpy()
    var = g @ cov @ g + np.var(ind) / len(d)
    assert res.se == pytest.approx(np.sqrt(var), rel=0.01)


def test_poisson_and_negbin_match_statsmodels(table):
    res = compare(table, "n_retells", "arm", covariates=["age"], method="regression", kind="count")
    d = table.assign(
        treat=(table.arm == "demand_driven").astype(float), y=table.n_retells.astype(float)
    )
    assert res.diagnostics["overdispersion_p"] < 0.05  # gamma-mixed Poisson in the helper
    assert "negative binomial" in res.model
    nb = smf.negativebinomial("y ~ treat + age", d).fit(disp=0, maxiter=200)
    b = nb.params
    mu1 = np.exp(b["Intercept"] + b["treat"] + b["age"] * d.age).mean()
    mu0 = np.exp(b["Intercept"] + b["age"] * d.age).mean()
    assert res.estimate == pytest.approx(mu1 - mu0, rel=1e-4)
    # no overdispersion -> Poisson
    rng = np.random.default_rng(5)
    t2 = table.assign(n_retells=rng.poisson(np.where(table.arm == "demand_driven", 1.0, 1.5)))
    res2 = compare(t2, "n_retells", "arm", covariates=["age"], method="regression")
    assert res2.model == "Poisson (log)"
    pois = smf.glm(
        "n_retells ~ treat + age", t2.assign(treat=d.treat), family=sm.families.Poisson()
    ).fit()
    # log rate ratio of the marginal means equals the coefficient under a log link
    assert np.log(res2.ratio[0]) == pytest.approx(pois.params["treat"], rel=1e-7)


def test_two_part_cost_by_hand(table):
    res = compare(
        table, "cost_total", "arm", covariates=["age"], method="regression", n_boot=400, seed=1
    )
    d = table.assign(
        treat=(table.arm == "demand_driven").astype(float), pos=(table.cost_total > 0).astype(float)
    )
    lg = smf.logit("pos ~ treat + age", d).fit(disp=0)
    gm = smf.glm(
        "cost_total ~ treat + age", d[d.pos == 1], family=sm.families.Gamma(sm.families.links.Log())
    ).fit()
    m = [(lg.predict(d.assign(treat=a)) * gm.predict(d.assign(treat=a))).mean() for a in (0, 1)]
    assert res.estimate == pytest.approx(m[1] - m[0], rel=1e-6)
    assert res.ci_method == "bootstrap"
    assert res.ci_low < res.estimate < res.ci_high
    # the one-step bootstrap SE agrees with the influence-function SE
    rres = compare(
        table, "cost_total", "arm", covariates=["age"], method="regression", ci="sandwich"
    )
    assert _row(res, "difference").se == pytest.approx(rres.se, rel=0.12)


def test_ipw_equals_weighted_least_squares(table):
    res = compare(
        table,
        "mean_change_resident",
        "arm",
        covariates="age + C(household)",
        method="ipw",
        ps_fixed=True,
    )
    d = table.assign(treat=(table.arm == "demand_driven").astype(float))
    ps = smf.logit("treat ~ age + C(household)", d).fit(disp=0).predict(d)
    p1 = d.treat.mean()
    sw = np.where(d.treat == 1, p1 / ps, (1 - p1) / (1 - ps))
    wls = smf.wls("mean_change_resident ~ treat", d, weights=sw).fit(cov_type="HC0")
    assert res.estimate == pytest.approx(wls.params["treat"], rel=1e-9)
    n = len(d)
    assert res.se == pytest.approx(wls.bse["treat"] * np.sqrt(n / (n - 2)), rel=1e-6)
    w = res.diagnostics["weights_treated"]
    assert w["mean"] == pytest.approx(sw[d.treat == 1].mean(), rel=1e-9)
    s = sw[d.treat == 1]
    assert w["ess"] == pytest.approx(s.sum() ** 2 / (s**2).sum(), rel=1e-9)


def test_aipw_double_robust_under_confounding():
    # outcome model right, large n: AIPW and regression both near the truth, unadjusted not
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=n)
    a = rng.random(n) < special.expit(1.2 * x)
    y = 1.0 + 0.5 * a + 2.0 * x + rng.normal(size=n)
    t = pd.DataFrame({"treat": a.astype(int), "x": x, "y": y})
    un = compare(t, "y", "treat")
    rg = compare(t, "y", "treat", covariates=["x"], method="regression")
    ip = compare(t, "y", "treat", covariates=["x"], method="ipw")
    dr = compare(t, "y", "treat", covariates=["x"], method="aipw")
    assert abs(un.estimate - 0.5) > 1.0
    for r in (rg, ip, dr):
        assert r.ci_low < 0.5 < r.ci_high
    # misspecified outcome model (x omitted via a useless covariate) but right PS: AIPW ok
    t["z"] = rng.normal(size=n)
    dr2 = compare(t, "y", "treat", covariates="x", method="aipw")
    assert abs(dr2.estimate - 0.5) < 0.15


def test_ipw_influence_matches_refit_bootstrap():
    # the M-estimation SE (propensity estimated) equals a full refit bootstrap SE
    t = make_table(n_per_arm=150, seed=8, confounding=1.0)
    res = compare(t, "mean_change_resident", "arm", covariates=["age"], method="ipw")
    rng = np.random.default_rng(0)
    a = (t.arm == "demand_driven").to_numpy()
    X = sm.add_constant(t[["age"]].to_numpy())
    y = t.mean_change_resident.to_numpy()
    est = []
    for _ in range(300):
        i = rng.integers(0, len(t), len(t))
        e = sm.Logit(a[i].astype(float), X[i]).fit(disp=0).predict(X[i])
        w1, w0 = a[i] / e, (~a[i]) / (1 - e)
        est.append((w1 * y[i]).sum() / w1.sum() - (w0 * y[i]).sum() / w0.sum())
    assert res.se == pytest.approx(np.std(est, ddof=1), rel=0.15)


# --------------------------------------------------------------------- clustering


def test_cluster_t_equals_welch_on_team_means_when_balanced():
    # equal team sizes, unadjusted: the per-arm cluster variance is the variance of the
    # team means, i.e. a Welch t-test on team means
    rng = np.random.default_rng(2)
    teams = np.repeat(np.arange(8), 25)
    a = (teams < 4).astype(int)
    y = rng.normal(size=8)[teams] + 0.3 * a + rng.normal(size=len(teams))
    t = pd.DataFrame({"treat": a, "team": teams, "y": y})
    res = compare(t, "y", "treat", cluster="team")
    tm = t.groupby("team").agg(y=("y", "mean"), treat=("treat", "first"))
    w = stats.ttest_ind(tm.y[tm.treat == 1], tm.y[tm.treat == 0], equal_var=False)
    assert res.estimate == pytest.approx(tm.y[tm.treat == 1].mean() - tm.y[tm.treat == 0].mean())
    assert res.p_value == pytest.approx(w.pvalue, rel=1e-8)
    assert _row(res, "difference").df == pytest.approx(w.df, rel=1e-8)
    assert res.ci_method == "cluster_t"


def test_if_variance_rules():
    phi = np.array([1.0, -2.0, 0.5, 0.5])
    arm = np.array([1, 1, 0, 0])
    v = if_variance(phi, make_clusters(None, arm))
    assert v.se**2 == pytest.approx(4 / 3 * (1 + 4 + 0.25 + 0.25))
    cl = make_clusters(np.array(["a", "a", "b", "c"]), arm)
    # a: treated; b, c: control -> pure, but only one treated cluster -> CR1 fallback
    assert cl.pure and cl.n_clusters_arm == (2, 1)
    v = if_variance(phi, cl, 1)
    assert v.label == "CR1" and v.df == 2
    assert v.se**2 == pytest.approx(3 / 2 * 3 / 3 * ((-1) ** 2 + 0.25 + 0.25))


def test_wild_option_reproducible_and_is_the_restricted_wild_bootstrap(table):
    """ci="wild" on the unadjusted difference is WCR with Webb weights: pyfixest's
    wildboottest (the same bootstrap, its own code) agrees within Monte Carlo error."""
    pf = pytest.importorskip("pyfixest")
    r1 = compare(table, "n_retells", "arm", cluster="team", ci="wild", n_boot=4999, seed=4)
    r2 = compare(table, "n_retells", "arm", cluster="team", ci="wild", n_boot=4999, seed=4)
    assert r1.ci_low == r2.ci_low and r1.p_value == r2.p_value
    rc = compare(table, "n_retells", "arm", cluster="team")
    assert r1.estimate == rc.estimate
    assert r1.table.set_index("term").loc["difference", "ci_method"] == "wild_cluster_wcr_webb"
    assert r1.ci_low < r1.estimate < r1.ci_high
    d = table[["n_retells", "arm", "team"]].dropna().copy()
    d["treat"] = (d["arm"] == "demand_driven").astype(float)
    d["team_id"] = pd.factorize(d["team"])[0]
    fit = pf.feols("n_retells ~ treat", data=d, vcov={"CRV1": "team_id"})
    ref = fit.wildboottest(param="treat", reps=19999, seed=1, weights_type="webb")
    p_ref = float(ref["Pr(>|t|)"])
    mc = np.sqrt(p_ref * (1 - p_ref) / 4999 + p_ref * (1 - p_ref) / 19999)
    assert abs(r1.p_value - p_ref) < 4 * mc + 2e-3


# --------------------------------------------------------------- effect modification


def test_by_matches_separate_fits_and_interaction_test(table):
    res = compare(table, "mean_change_resident", "arm", by="problem_domains_group")
    for lev in ("0-1", "2+"):
        sub = compare(table[table.problem_domains_group == lev], "mean_change_resident", "arm")
        assert _row(res, "difference", lev).estimate == pytest.approx(sub.estimate)
    inter = _row(res, "interaction_difference", "2+ vs 0-1")
    d = table.assign(treat=(table.arm == "demand_driven").astype(float))
    ols = smf.ols("mean_change_resident ~ treat * C(problem_domains_group)", d).fit(cov_type="HC0")
    name = "treat:C(problem_domains_group)[T.2+]"
    assert inter.estimate == pytest.approx(ols.params[name], rel=1e-9)
    assert inter.se == pytest.approx(ols.bse[name], rel=0.01)


# ----------------------------------------------------------------- textbook analysis


@pytest.fixture(scope="module")
def nhefs() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    return causaldata.nhefs.load_pandas().data


NHEFS_RHS = (
    "sex + race + age + I(age**2) + C(education) + smokeintensity"
    " + I(smokeintensity**2) + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active)"
    " + wt71 + I(wt71**2)"
)


def test_hernan_robins_program_12_3_ipw(nhefs):
    """Hernan & Robins, What If, ch. 12 (Program 12.3/12.4): stabilised IP weights,
    effect of quitting smoking on weight gain 3.4 kg (95% CI 2.4 to 4.5); the companion
    code prints 3.44 (2.41, 4.47), with a robust SE that treats the weights as known."""
    res = compare(nhefs, "wt82_71", "qsmk", covariates=NHEFS_RHS, method="ipw", ps_fixed=True)
    assert res.diagnostics["n_used"] == 1566 and res.n_per_arm == {"1.0": 403, "0.0": 1163}
    assert round(res.estimate, 2) == 3.44
    assert (round(res.ci_low, 2), round(res.ci_high, 2)) == (2.41, 4.47)
    # estimating the propensity score narrows the interval (M-estimation)
    full = compare(nhefs, "wt82_71", "qsmk", covariates=NHEFS_RHS, method="ipw")
    assert full.estimate == res.estimate and full.se < res.se
    w = full.diagnostics["weights_treated"]
    assert w["max"] < 5  # Program 12.3: stabilised weights range 0.33 to 4.30
    assert round(w["max"], 2) == 4.30


def test_hernan_robins_program_13_standardisation(nhefs):
    """Ch. 13 (Program 13.2-13.4): outcome model with a qsmk x smokeintensity term,
    standardised effect 3.5 kg (bootstrap 95% CI 2.6 to 4.5)."""
    res = compare(
        nhefs,
        "wt82_71",
        "qsmk",
        covariates=NHEFS_RHS + " + qsmk:smokeintensity",
        method="regression",
    )
    assert round(res.estimate, 1) == 3.5
    assert (round(res.ci_low, 1), round(res.ci_high, 1)) == (2.6, 4.5)


# ----------------------------------------------------------------- API and errors


def test_bad_input_messages(table):
    with pytest.raises(ValueError, match="method="):
        compare(table, "n_retells", method="magic")
    with pytest.raises(ValueError, match="not in the table"):
        compare(table, "nope")
    with pytest.raises(ValueError, match="exactly two values"):
        compare(table, "n_retells", arm="household")
    with pytest.raises(ValueError, match="treated="):
        compare(table, "n_retells", arm="sex")
    with pytest.raises(ValueError, match="needs covariates"):
        compare(table, "n_retells", method="ipw")
    r = compare(table, "n_retells", arm="sex", treated="female")
    assert set(r.n_per_arm) == {"female", "male"}


def test_result_views(table):
    res = compare(table, "n_retells", covariates=["age"], method="aipw", cluster="team", lang="en")
    assert "difference" in res.summary() and "Method" in res.summary()
    assert "Methode" in res.summary("nl")
    assert "<table" in res._repr_html_()
    d = res.to_dict()
    assert d["estimate"] == res.estimate and d["diagnostics"]["n_clusters"] == 8
    assert "arm assigned per cluster" in res.design
    assert res.diagnostics["weights_treated"]["ess"] > 0


def test_compare_all_and_holm(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = compare_all(table, covariates=["age"], method="regression", cluster="team")
    diffs = tab[tab.term == "difference"]
    assert list(diffs.outcome) == ["goal_retention", "n_retells", "cost_total", "any_provision"]
    assert np.allclose(diffs.p_holm, holm_adjust(diffs.p_value.to_numpy()))
    # Holm by hand
    p = np.array([0.01, 0.04, 0.03, 0.5])
    assert np.allclose(holm_adjust(p), [0.04, 0.09, 0.09, 0.5])


# ------------------------------------------------------- compressed bootstrap vs naive


@pytest.mark.parametrize("method", ["regression", "ipw", "aipw"])
@pytest.mark.parametrize("clustered", [False, True])
def test_compressed_bootstrap_equals_row_level_formula(table, method, clustered):
    """The bootstrap sums per covariate pattern and per cluster; the row-level formulas
    (one-step parameters, predictions for every row, weighted means) give the same
    replicates."""
    from wattelt_eval.estimation import _core
    from wattelt_eval.estimation._models import build_design
    from wattelt_eval.estimation.bootstrap import bootstrap_counts

    t = table.assign(_treat=(table.arm == "demand_driven").astype(float))
    y = t["cost_total"].to_numpy(float)
    a = t["_treat"].to_numpy()
    v = np.ones(len(t))
    d = build_design(t, "_treat", "age + C(household)")
    est = _core.ESTIMATORS[method](y, a, v, d, "cost", None)
    cl = make_clusters(t.team.astype(str).to_numpy() if clustered else None, a)
    Wc = bootstrap_counts(np.random.default_rng(1), 50, a, cl)
    W = Wc.full()
    got = est.boot(Wc)
    # row level
    ps = _core.propensity(a, d.Z) if method != "regression" else None
    om = _core.OutcomeModel(y, d.X, "cost", None) if method != "ipw" else None
    ref = []
    for arm, Xa in ((0, d.X0), (1, d.X1)):
        if om is not None:
            betas = [f.beta[None, :] + (W - 1) @ f.delta[:, :] for f in om.fits]
            m = np.prod(
                [
                    special.expit(Xa @ b.T).T if f.link == "logit" else np.exp(Xa @ b.T).T
                    for f, b in zip(om.fits, betas, strict=True)
                ],
                axis=0,
            )
        if ps is not None:
            e = special.expit(d.Z @ (ps.beta[None, :] + (W - 1) @ ps.delta).T).T
            w = (a == arm) / (e if arm == 1 else 1 - e)
        if method == "regression":
            ref.append((W * m).sum(1) / W.sum(1))
        elif method == "ipw":
            ref.append((W * w * y).sum(1) / (W * w).sum(1))
        else:
            ref.append((W * (m + w * (y - m))).sum(1) / W.sum(1))
    np.testing.assert_allclose(got, np.column_stack(ref), rtol=1e-9)
