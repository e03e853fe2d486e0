"""Multiple imputation (``estimation.imputation``): Rubin's rules by hand and against
statsmodels, the imputation models against statsmodels, and recovery of the known truth
of simulated pilots whose covariates are missing at random."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.imputation import mice

import wattelt_eval as we
from wattelt_eval.errors import UsageError
from wattelt_eval.estimation import compare
from wattelt_eval.estimation.imputation import (
    MIResult,
    impute,
    impute_and_compare,
    mlogit_fit,
    pool_rubin,
)

COV = "age + C(household) + n_problem_domains_t0"

# ----------------------------------------------------------------- Rubin's rules


def test_rubin_by_hand_on_three_imputations():
    est = [1.0, 1.2, 0.8]
    var = [0.04, 0.05, 0.06]
    r = pool_rubin(est, var, df_complete=10)
    # by hand: mean 1.0; W = 0.05; B = (0 + 0.04 + 0.04) / 2 = 0.04
    # T = 0.05 + (4/3) 0.04 = 0.103333...; lambda = 0.053333 / 0.103333 = 0.516129
    assert r["estimate"] == pytest.approx(1.0, abs=1e-12)
    assert r["within"] == pytest.approx(0.05, abs=1e-12)
    assert r["between"] == pytest.approx(0.04, abs=1e-12)
    assert r["total"] == pytest.approx(0.31 / 3, abs=1e-12)
    assert r["se"] == pytest.approx(math.sqrt(0.31 / 3), abs=1e-12)
    lam = (0.16 / 3) / (0.31 / 3)  # 16/31
    assert r["lambda"] == pytest.approx(16 / 31, abs=1e-12)
    # Barnard-Rubin: df_old = (m-1)/lambda^2 = 2 * 961/256 = 7.5078125
    # df_obs = 11/13 * 10 * (15/31) = 1650/403 = 4.094293
    df_old, df_obs = 2 * 961 / 256, 1650 / 403
    assert r["df"] == pytest.approx(df_old * df_obs / (df_old + df_obs), rel=1e-12)
    assert r["df"] == pytest.approx(2.649449, abs=1e-6)
    q = stats.t.ppf(0.975, r["df"])
    assert r["ci_low"] == pytest.approx(1.0 - q * math.sqrt(0.31 / 3), abs=1e-12)
    assert r["ci_high"] == pytest.approx(1.0 + q * math.sqrt(0.31 / 3), abs=1e-12)
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(1 / math.sqrt(0.31 / 3), r["df"]))
    # relative increase in variance 0.16/3 / 0.05 = 16/15; fmi (Rubin 1987, df_old)
    riv = 16 / 15
    assert r["riv"] == pytest.approx(riv, abs=1e-12)
    assert r["fmi"] == pytest.approx((riv + 2 / (df_old + 3)) / (1 + riv), abs=1e-12)
    assert lam < r["fmi"] < 1


def test_rubin_infinite_complete_df_and_no_between_variance():
    r = pool_rubin([2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0])
    # B = 0: lambda floored at 1e-4 in the df -> (m-1)/1e-8; T = W
    assert r["total"] == pytest.approx(1.0)
    assert r["df"] == pytest.approx(3 / 1e-8)
    assert r["ci_low"] == pytest.approx(2 - stats.norm.ppf(0.975), abs=1e-6)
    # with a finite complete-data df the pooled df tends to it (df_obs) as B -> 0
    r = pool_rubin([2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0], df_complete=5)
    df_obs = 6 / 8 * 5 * (1 - 1e-4)
    assert r["df"] == pytest.approx(3e8 * df_obs / (3e8 + df_obs), rel=1e-12)


def test_rubin_matches_statsmodels_mice_combine():
    rng = np.random.default_rng(11)
    n = 300
    x1 = rng.normal(size=n)
    x2 = 0.5 * x1 + rng.normal(size=n)
    y = 1 + x1 - 0.5 * x2 + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    df.loc[rng.random(n) < 0.2, "x1"] = np.nan
    df.loc[rng.random(n) < 0.2, "x2"] = np.nan
    data = mice.MICEData(df, rng=np.random.default_rng(5))
    model = mice.MICE("y ~ x1 + x2", sm.OLS, data)
    res = model.fit(n_burnin=5, n_imputations=6)
    params = np.array([r.params for r in model.results_list])
    variances = np.array([np.diag(r.cov_params()) for r in model.results_list])
    for j in range(params.shape[1]):
        mine = pool_rubin(params[:, j], variances[:, j])
        assert mine["estimate"] == pytest.approx(res.params[j], rel=1e-10)
        assert mine["se"] == pytest.approx(res.bse[j], rel=1e-10)
        assert mine["lambda"] == pytest.approx(res.frac_miss_info[j], rel=1e-10)


# ----------------------------------------------------------------- the imputation models


def test_multinomial_logit_matches_statsmodels_mnlogit():
    rng = np.random.default_rng(3)
    n = 500
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.4])
    eta = X @ np.array([[0.2, -0.5], [0.8, -0.4], [-0.6, 0.7]])
    p = special.softmax(np.column_stack([np.zeros(n), eta]), axis=1)
    codes = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    B, cov = mlogit_fit(X, codes, 3, prior=0.0)
    ref = sm.MNLogit(codes, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    np.testing.assert_allclose(B, ref.params, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-6, atol=1e-10)
    # binary case: the logistic regression
    b2, cov2 = mlogit_fit(X, (codes == 1).astype(int), 2, prior=0.0)
    ref2 = sm.Logit((codes == 1).astype(float), X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(b2[:, 0], ref2.params, rtol=1e-6)
    np.testing.assert_allclose(cov2, ref2.cov_params(), rtol=1e-6)


def _mar_frame(seed: int, n: int = 4000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A numeric and a categorical covariate that depend on the outcome and arm, each
    missing with a probability that depends on the (observed) outcome: MAR."""
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.5
    y = rng.normal(size=n) + 0.5 * a
    age = np.round(50 + 8 * y + rng.normal(0, 8, n)).astype(int)
    eta = np.column_stack([np.zeros(n), 0.8 * y, -0.8 * y + 0.5 * a])
    p = special.softmax(eta, axis=1)
    hh = np.array(["couple", "family", "single"])[
        (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    ]
    full = pd.DataFrame(
        {
            "arm": np.where(a, "demand_driven", "supply_driven"),
            "y": y,
            "age": pd.array(age, dtype="Int64"),
            "household": pd.array(hh, dtype="string"),
        }
    )
    miss = full.copy()
    p_miss = special.expit(-1.5 + 1.2 * y)
    miss.loc[rng.random(n) < p_miss, "age"] = pd.NA
    miss.loc[rng.random(n) < p_miss, "household"] = pd.NA
    return full, miss


def test_imputations_recover_the_full_data_distribution_under_mar():
    full, miss = _mar_frame(1)
    assert miss["age"].isna().mean() > 0.2
    tables = impute(miss, ["age", "household"], "y", "arm", m=5, seed=4)
    true_age = full["age"].mean()
    true_single = (full["household"] == "single").mean()
    cc_age = miss["age"].mean()
    cc_single = (miss["household"].dropna() == "single").mean()
    mi_age = np.mean([t["age"].mean() for t in tables])
    mi_single = np.mean([(t["household"] == "single").mean() for t in tables])
    # complete cases are biased (missing more often when y, hence age, is high) ...
    assert true_age - cc_age > 1.5
    assert cc_single - true_single > 0.02
    # ... the imputations are not: within a fifth of the complete-case bias
    assert abs(mi_age - true_age) < 0.2 * (true_age - cc_age)
    assert abs(mi_single - true_single) < 0.2 * (cc_single - true_single)
    for t in tables:
        # dtypes kept, observed values untouched, imputed values observed ones (PMM)
        assert t["age"].dtype == "Int64" and t["household"].dtype == "string"
        assert not t[["age", "household"]].isna().any().any()
        obs = miss["age"].notna()
        assert (t.loc[obs, "age"] == miss.loc[obs, "age"]).all()
        assert set(t.loc[~obs, "age"]) <= set(miss.loc[obs, "age"])
        assert set(t["household"]) <= {"couple", "family", "single"}


def test_rows_without_outcome_are_left_alone_and_listed_by_compare():
    full, miss = _mar_frame(2, n=400)
    miss.loc[:9, "y"] = np.nan
    miss.loc[:9, "age"] = pd.NA
    tables = impute(miss, ["age", "household"], "y", "arm", m=2, seed=1)
    assert tables[0].loc[:9, "age"].isna().all()
    res = impute_and_compare(miss, "y", "arm", ["age", "household"], method="regression", m=2)
    assert res.diagnostics["n_dropped"] == {"outcome missing": 10}


# ----------------------------------------------------------------- the comparison


@pytest.fixture(scope="module")
def demo_missing() -> tuple[pd.DataFrame, MIResult]:
    tab = we.outcomes(we.synth.demo())
    rng = np.random.default_rng(7)
    tab.loc[rng.random(len(tab)) < 0.25, "age"] = pd.NA
    tab.loc[rng.random(len(tab)) < 0.15, "household"] = pd.NA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = impute_and_compare(
            tab, "cost_total", "arm", COV, method="regression", cluster="team", m=5, seed=3
        )
    return tab, res


def test_pooled_table_is_rubin_over_the_imputed_analyses(demo_missing):
    tab, res = demo_missing
    t = res.table
    assert res.m == 5 and res.imputer == "chained_equations"
    assert res.n_incomplete == int(tab[["age", "household"]].isna().any(axis=1).sum())
    assert res.diagnostics["n_dropped"] == {}  # nothing dropped: imputed
    for term in ("difference", "ratio"):
        rows = [r.table.set_index("term").loc[term] for r in res.results]
        est = np.array([r["estimate"] for r in rows])
        se = np.array([r["se"] for r in rows])
        q = np.log(est) if term == "ratio" else est
        w, b = np.mean(se**2), np.var(q, ddof=1)
        pooled = t.set_index("term").loc[term]
        back = np.exp(q.mean()) if term == "ratio" else q.mean()
        assert pooled["estimate"] == pytest.approx(back, rel=1e-12)
        assert pooled["se"] == pytest.approx(math.sqrt(w + 1.2 * b), rel=1e-12)
        assert pooled["ci_method"].startswith("multiple imputation (m=5, chained_equations) + ")
        assert 0 <= pooled["fmi"] <= 1
    assert res.estimate == pytest.approx(t.set_index("term").loc["difference", "estimate"])
    assert {"fmi", "lambda", "df", "ci_method"} <= set(t.columns)
    assert "5" in res.summary() and res.to_dict()["m"] == 5


def test_deterministic_for_a_seed(demo_missing):
    tab, res = demo_missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = impute_and_compare(
            tab, "cost_total", "arm", COV, method="regression", cluster="team", m=5, seed=3
        )
        other = impute_and_compare(
            tab, "cost_total", "arm", COV, method="regression", cluster="team", m=5, seed=4
        )
    assert again.table.to_csv() == res.table.to_csv()
    assert other.table.to_csv() != res.table.to_csv()


def test_nothing_missing_gives_the_complete_data_analysis():
    tab = we.outcomes(we.synth.demo())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = impute_and_compare(tab, "goal_retention", "arm", COV, method="regression", m=5)
        ref = compare(tab, "goal_retention", "arm", COV, method="regression")
    assert res.m == 0 and res.n_incomplete == 0
    pd.testing.assert_frame_equal(res.table, ref.table)


def test_bad_options_are_refused():
    tab = we.outcomes(we.synth.demo())
    with pytest.raises(UsageError, match="m ≥ 2"):
        impute_and_compare(tab, "goal_retention", "arm", COV, m=1)
    with pytest.raises(UsageError, match="covariates="):
        impute_and_compare(tab, "goal_retention", "arm", None)
    with pytest.raises(UsageError, match="never imputed"):
        impute_and_compare(tab, "goal_retention", "arm", ["age", "team"], cluster="team")
    with pytest.raises(UsageError, match="imputer"):
        impute_and_compare(tab, "goal_retention", "arm", COV, imputer="forest")


# ----------------------------------------------------------------- known truth


def test_mi_recovers_the_truth_where_complete_cases_are_biased():
    """A simulated pilot (1000 trajectories, 8 teams) with 25-30% of the strongest
    confounder (number of problem domains) missing, more often for treated residents with
    a high and control residents with a low outcome (MAR: depends on observed values)."""
    data = we.synth.generate(1000, seed=2, superpopulation=None)
    tab = we.outcomes(data)
    truth = data.truth["sample"]["goal_retention"]["difference"]
    rng = np.random.default_rng(2)
    a = (tab["arm"] == "demand_driven").to_numpy()
    y = tab["goal_retention"].to_numpy(dtype=float)
    p_miss = np.where(a == (y > np.median(y)), 0.45, 0.05)
    miss = tab.copy()
    miss.loc[rng.random(len(tab)) < p_miss, "n_problem_domains_t0"] = pd.NA
    assert 0.2 < miss["n_problem_domains_t0"].isna().mean() < 0.35
    kw = dict(method="aipw", cluster="team")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cc = compare(miss, "goal_retention", "arm", COV, **kw)
        mi = impute_and_compare(miss, "goal_retention", "arm", COV, m=10, seed=2, **kw)
    assert cc.diagnostics["n_dropped"]["covariate missing"] > 200
    # complete case: biased by more than one standard error, and its CI misses the truth
    assert truth - cc.estimate > cc.se
    assert not cc.ci_low <= truth <= cc.ci_high
    # multiple imputation: the truth within its CI, the bias a fraction of complete case's
    assert mi.ci_low <= truth <= mi.ci_high
    assert abs(mi.estimate - truth) < 0.25 * abs(cc.estimate - truth)


def test_compare_missing_mi_is_impute_and_compare():
    """compare(missing="mi") forwards to impute_and_compare with the same options."""
    import wattelt_eval as we
    from wattelt_eval.estimation import impute_and_compare

    t = we.outcomes(we.synth.demo()).copy()
    t.loc[t.index[::5], "age"] = np.nan
    kw = dict(covariates=["age", "household"], method="aipw", cluster="team", seed=3)
    a = we.compare(t, "goal_retention", "arm", missing="mi", m=5, **kw)
    b = impute_and_compare(t, "goal_retention", "arm", m=5, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.m == 5
