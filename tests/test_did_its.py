"""we.did and we.its: checked against statsmodels OLS (cluster-robust, HC1, HAC), hand
formulas and the known truth of simulated pilots (we.synth.generate)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from compare_helpers import make_table
from scipy import stats

import wattelt_eval as we
from wattelt_eval.estimation import DiDResult, ITSResult, did, its
from wattelt_eval.estimation.time_series import newey_west_lags


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """A before/after table: the arm of make_table becomes the group, a period is added
    with a known DiD of +0.4 on mean_change_resident."""
    t = make_table(n_per_arm=150, n_teams=8, seed=11)
    rng = np.random.default_rng(5)
    t["period"] = np.where(rng.random(len(t)) < 0.5, "after", "before")
    g = (t.arm == "demand_driven").to_numpy()
    p = (t.period == "after").to_numpy()
    t["y"] = 1.0 + 0.3 * g + 0.2 * p + 0.4 * g * p + 0.02 * (t.age - 55) + rng.normal(0, 1, len(t))
    t["g"], t["p"] = g.astype(float), p.astype(float)
    t["mixed_cluster"] = rng.integers(0, 12, len(t)).astype(str)
    return t


def test_did_no_covariates_is_the_cell_difference_and_hc1(panel):
    res = did(panel, "y", arm="arm", period="period")
    m = panel.groupby(["g", "p"])["y"].mean()
    by_hand = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    assert res.estimate == pytest.approx(by_hand, rel=1e-10)
    ols = smf.ols("y ~ g * p", panel).fit(cov_type="HC1")
    assert res.se == pytest.approx(ols.bse["g:p"], rel=1e-8)
    assert res.ci_method == "HC1"
    assert set(res.cells["count"]) == set(panel.groupby(["g", "p"]).size())


def test_did_covariates_cr1_matches_statsmodels(panel):
    res = did(panel, "y", "arm", "period", covariates="age + C(household)", cluster="mixed_cluster")
    ols = smf.ols("y ~ g * p + age + C(household)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["mixed_cluster"]}
    )
    assert res.estimate == pytest.approx(ols.params["g:p"], rel=1e-8)
    assert res.se == pytest.approx(ols.bse["g:p"], rel=1e-8)
    assert res.ci_method == "CR1" and res.df == 11
    q = stats.t.ppf(0.975, 11)
    assert res.ci_low == pytest.approx(res.estimate - q * res.se, rel=1e-10)


def test_did_few_clusters_nested_in_groups_per_group_correction(panel):
    """Teams nested in the groups: per-group variance sum with G_a/(G_a-1), each from a
    per-group OLS y ~ period with uncorrected cluster-robust SE; Welch df by hand."""
    res = did(panel, "y", "arm", "period", cluster="team", lang="en")
    comps, dfs = [], []
    for grp in (1.0, 0.0):
        sub = panel[panel.g == grp]
        ga = sub.team.nunique()
        f = smf.ols("y ~ p", sub).fit(
            cov_type="cluster", cov_kwds={"groups": sub["team"], "use_correction": False}
        )
        comps.append(ga / (ga - 1) * f.bse["p"] ** 2)
        dfs.append(ga - 1)
    assert res.se == pytest.approx(np.sqrt(sum(comps)), rel=1e-8)
    welch = sum(comps) ** 2 / sum(c**2 / d for c, d in zip(comps, dfs, strict=True))
    assert res.df == pytest.approx(min(max(welch, 1.0), 8 - 2), rel=1e-10)
    assert res.ci_method == "cluster_arm_welch"
    assert "clustered by team (8 clusters)" in res.design
    assert set(res.table.columns) >= {"estimate", "ci_low", "ci_high", "p_value", "design"}
    assert isinstance(res, DiDResult) and "Verschil-in-verschillen" in res.summary("nl")
    assert (
        "geclusterd per team (8 clusters)"
        in did(panel, "y", "arm", "period", cluster="team").design
    )
    assert "<table" in res._repr_html_()


def test_did_errors(panel):
    with pytest.raises(ValueError, match="ontbreekt"):
        did(panel, "nope", "arm", "period")
    with pytest.raises(ValueError, match="Elke cel"):
        did(panel[~((panel.g == 1) & (panel.p == 1))], "y", "arm", "period")


@pytest.fixture(scope="module")
def synth_did():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = we.synth.generate(n_trajectories=1200, seed=1, design="did")
        return we.outcomes(data), data.truth


def test_did_covers_synth_truth(synth_did):
    """Pilot municipality GM0772 switches on 2024-01-01; the DiD targets the effect in the
    switched trajectories (truth 'sample_treated')."""
    table, truth = synth_did
    for out in ("goal_retention", "n_retells", "cost_total", "any_provision"):
        res = did(table, out, arm="municipality", period="period", cluster="team", treated="GM0772")
        t = truth["sample_treated"][out]["difference"]
        assert res.ci_low < t < res.ci_high, (out, res.ci_low, t, res.ci_high)
        assert np.sign(res.estimate) == np.sign(t)


# ---------------------------------------------------------------------------------- ITS


def _series(n=48, t0=24, seed=0):
    rng = np.random.default_rng(seed)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 1)
    t = np.arange(n)
    post = (t >= t0).astype(float)
    y = 10 + 0.1 * t + 2.0 * post - 0.05 * (t - t0) * post + e
    idx = pd.period_range("2021-01", periods=n, freq="M").to_timestamp()
    return pd.Series(y, index=idx, name="applications"), idx[t0]


def test_newey_west_default_lags():
    assert newey_west_lags(36) == 3  # 4 * 0.36^(2/9) = 3.19
    assert newey_west_lags(100) == 4
    assert newey_west_lags(200) == 4  # 4 * 2^(2/9) = 4.66


@pytest.mark.parametrize("lags", [None, 0, 6])
def test_its_matches_statsmodels_hac(lags):
    """``method="newey_west"`` keeps the numbers of the package's original method."""
    s, start = _series()
    res = its(s, start, method="newey_west", lags=lags)
    n = len(s)
    L = newey_west_lags(n) if lags is None else lags
    t = np.arange(n)
    post = (s.index >= start).astype(float)
    d = pd.DataFrame({"y": s.to_numpy(), "t": t, "post": post, "since": (t - 24) * post})
    ols = smf.ols("y ~ t + post + since", d).fit(
        cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True}, use_t=True
    )
    r = res.table.set_index("term")
    assert r.loc["level_change", "estimate"] == pytest.approx(ols.params["post"], rel=1e-9)
    assert r.loc["slope_change", "estimate"] == pytest.approx(ols.params["since"], rel=1e-9)
    assert r.loc["level_change", "se"] == pytest.approx(ols.bse["post"], rel=1e-8)
    assert r.loc["slope_change", "se"] == pytest.approx(ols.bse["since"], rel=1e-8)
    assert r.loc["level_change", "p_value"] == pytest.approx(ols.pvalues["post"], rel=1e-6)
    # effect at the end = level + slope * (n - 1 - t0), SE from the HAC covariance
    c = np.array([0, 0, 1, n - 1 - 24.0])
    se_end = np.sqrt(c @ ols.cov_params().to_numpy() @ c)
    assert r.loc["effect_at_end", "se"] == pytest.approx(se_end, rel=1e-8)
    assert res.lags == L
    assert isinstance(res, ITSResult) and "Newey-West" in res.method
    # the interruption may be given as a date string
    pd.testing.assert_frame_equal(
        its(s, str(start.date()), method="newey_west", lags=lags).table, res.table
    )


def test_its_aggregates_a_trajectory_table_by_month():
    rng = np.random.default_rng(3)
    dates = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, 2000), "D")
    tab = pd.DataFrame({"start_date": dates, "x": rng.normal(size=2000)})
    res = its(tab, "2023-01-01", time="start_date", outcome="x", freq="M", lang="en", n_boot=99)
    by_hand = tab.groupby(tab.start_date.dt.to_period("M"))["x"].agg(["mean", "size"])
    assert len(res.fitted) == 24
    np.testing.assert_allclose(res.fitted["observed"], by_hand["mean"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(res.fitted["n"], by_hand["size"].to_numpy())
    assert "12 before, 12 from the interruption at 2023-01-01" in res.design
    gap = tab[tab.start_date.dt.month != 5]
    with pytest.raises(ValueError, match="Perioden zonder rijen"):
        its(gap, "2023-01-01", time="start_date", outcome="x", freq="M", n_boot=99)


def test_its_level_change_covers_synth_truth():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = we.synth.generate(n_trajectories=3600, seed=2, design="its")
        table = we.outcomes(data)
    start = pd.Timestamp(data.truth["switch_date"])
    for out in ("goal_retention", "any_provision"):
        res = its(table, start, time="start_date", outcome=out, freq="M", n_boot=199)
        r = res.table.set_index("term").loc["level_change"]
        t = data.truth["sample_treated"][out]["difference"]
        assert r.ci_low < t < r.ci_high, (out, r.ci_low, t, r.ci_high)
