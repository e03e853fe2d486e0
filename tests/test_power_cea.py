"""we.power against statsmodels.stats.power and hand formulas; we.cea against the two
compare estimates and a bootstrap recomputed by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from compare_helpers import make_table
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from wattelt_eval.estimation import CEAResult, PowerResult, cea, compare, power
from wattelt_eval.estimation.bootstrap import bootstrap_weights, make_clusters

# ------------------------------------------------------------------------------- power


def test_power_continuous_matches_statsmodels_ttest():
    tt = TTestIndPower()
    r = power(effect=0.3, sd=1.0)  # solve n: exact as statsmodels, then whole residents
    exact = tt.solve_power(0.3, power=0.8, alpha=0.05)
    assert r.table.n_per_arm_exact[0] == pytest.approx(exact, rel=1e-6)
    assert r.n_per_arm == np.ceil(exact) == 176
    assert r.power == pytest.approx(tt.power(0.3, 176, 0.05), rel=1e-9) and r.power >= 0.8
    r = power(n_per_arm=150, sd=2.0)  # solve the MDE
    assert r.effect == pytest.approx(
        2.0 * tt.solve_power(None, nobs1=150, power=0.8, alpha=0.05), rel=1e-6
    )
    r = power(effect=0.3, n_per_arm=[50, 100, 150], sd=1.0, power=None)
    np.testing.assert_allclose(
        r.table["power"], [tt.power(0.3, n, 0.05) for n in (50, 100, 150)], rtol=1e-9
    )
    r = power(effect=0.4, n_per_arm=60, sd=1.0, power=None, ratio=2.0, alpha=0.1, lang="en")
    assert r.power == pytest.approx(tt.power(0.4, 60, 0.1, ratio=2.0), rel=1e-9)
    assert isinstance(r, PowerResult) and "independent residents" in r.design


def test_power_binary_matches_statsmodels_normal_arcsine():
    r = power(effect=-0.1, n_per_arm=150, p_control=0.6, kind="binary", power=None)
    h = proportion_effectsize(0.5, 0.6)
    assert r.power == pytest.approx(NormalIndPower().power(h, 150, 0.05), rel=1e-10)
    r = power(n_per_arm=150, p_control=0.6, kind="binary")
    h_mde = NormalIndPower().solve_power(None, nobs1=150, power=0.8, alpha=0.05)
    assert r.table.effect_size[0] == pytest.approx(abs(h_mde), rel=1e-6)
    # back-transformed: p1 with 2 asin sqrt p1 - 2 asin sqrt .6 = h
    p1 = r.table.p_treated[0]
    assert proportion_effectsize(p1, 0.6) == pytest.approx(abs(h_mde), rel=1e-6)
    assert r.table.effect_decrease[0] < 0


def test_power_clustered_hand_formula_and_design_effect():
    """4 teams per arm of 37.5 residents, ICC 0.05: DE = 1 + 36.5 * 0.05 = 2.825. The
    textbook MDE (t_{a/2,df} + t_{b,df}) sqrt(2 DE / n) with df = 2(4 - 1) is optimistic
    for the cluster_t analysis (random Welch df): the MDE is now larger (a correction,
    checked by simulation in test_power.py)."""
    r = power(n_per_arm=150, sd=1.0, icc=0.05, n_clusters_per_arm=4)
    row = r.table.iloc[0]
    assert row.design_effect == pytest.approx(2.825)
    assert row.n_effective_per_arm == pytest.approx(150 / 2.825)
    assert row.df == 6
    hand = (stats.t.isf(0.025, 6) + stats.t.isf(0.2, 6)) * np.sqrt(2 * 2.825 / 150)
    assert hand * 1.04 < r.effect < hand * 1.10
    # same via cluster_size, and the power at that MDE is 0.8
    r2 = power(effect=r.effect, n_per_arm=150, sd=1.0, icc=0.05, cluster_size=37.5, power=None)
    assert r2.power == pytest.approx(0.8, abs=1e-6)
    # too few teams: the design effect caps the effective n at k / ICC = 80 per arm
    with pytest.raises(ValueError, match="meer teams"):
        power(effect=0.3, sd=1.0, icc=0.05, n_clusters_per_arm=4)
    # enough teams: the exact solved n gives the target power, the whole one just above it
    r3 = power(effect=0.3, sd=1.0, icc=0.05, n_clusters_per_arm=12)
    kw = dict(effect=0.3, sd=1.0, icc=0.05, n_clusters_per_arm=12, power=None)
    assert power(n_per_arm=r3.table.n_per_arm_exact[0], **kw).power == pytest.approx(0.8, abs=1e-6)
    r4 = power(n_per_arm=r3.n_per_arm, **kw)
    assert r4.power == r3.power >= 0.8 > power(n_per_arm=r3.n_per_arm - 1, **kw).power
    assert "design effect" in r.summary() or "design_effect" in r.summary()


def test_power_proportion_uses_the_bernoulli_bound():
    r = power(n_per_arm=100, p_control=0.4, kind="proportion")
    c = power(n_per_arm=100, sd=np.sqrt(0.24), kind="continuous")
    assert r.effect == pytest.approx(c.effect, rel=1e-10)
    assert r.table.p_treated[0] == pytest.approx(0.4 + c.effect)


def test_power_errors_list_every_problem():
    with pytest.raises(ValueError) as e:
        power(effect=0.2, n_per_arm=100, kind="continuous", icc=0.1)
    msg = str(e.value)
    assert "exactly two" in msg and "sd > 0" in msg and "icc > 0 needs" in msg


# --------------------------------------------------------------------------------- CEA


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    t = make_table(n_per_arm=150, n_teams=8, seed=3)
    t.loc[:4, "goal_retention"] = np.nan  # dropped from both comparisons
    return t


def test_icer_is_the_ratio_of_the_two_compare_estimates(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = cea(
            table,
            "cost_total",
            "goal_retention",
            covariates="age + C(household)",
            method="regression",
            cluster="team",
            n_boot=200,
            seed=1,
            lang="en",
            uncertainty="bootstrap",
        )
        sub = table[table.goal_retention.notna()]
        c = compare(
            sub, "cost_total", covariates="age + C(household)", method="regression", cluster="team"
        )
        e = compare(
            sub,
            "goal_retention",
            covariates="age + C(household)",
            method="regression",
            cluster="team",
        )
    assert r.d_cost == pytest.approx(c.estimate, rel=1e-10)
    assert r.d_effect == pytest.approx(e.estimate, rel=1e-10)
    assert r.icer == pytest.approx(c.estimate / e.estimate, rel=1e-10)
    assert r.diagnostics["n_dropped"] == 5 and r.diagnostics["n_used"] == len(sub)
    nmb = r.table[(r.table.term == "nmb") & (r.table.wtp == 1000)].estimate.iloc[0]
    assert nmb == pytest.approx(1000 * e.estimate - c.estimate, rel=1e-10)
    assert "teams resampled within arm" in r.method and "clustered by team" in r.design
    assert isinstance(r, CEAResult) and "<table" in r._repr_html_()
    assert sum(r.quadrants.values()) == pytest.approx(1.0)


def test_ceac_equals_share_of_positive_nmb_recomputed_by_hand(table):
    """Unadjusted linear models: a replicate is the difference of bootstrap-weighted arm
    means; recompute them from the same multinomial weights and count NMB > 0."""
    wtp = [0, 500, 2000, 5000]
    r = cea(
        table,
        "cost_total",
        "mean_change_resident",
        kind_cost="continuous",
        wtp=wtp,
        n_boot=500,
        seed=7,
        uncertainty="bootstrap",
    )
    a = (table.arm == "demand_driven").to_numpy(dtype=float)
    W = bootstrap_weights(np.random.default_rng(7), 500, a, make_clusters(None, a))

    def diffs(y):
        m1 = (W * a * y).sum(1) / (W * a).sum(1)
        m0 = (W * (1 - a) * y).sum(1) / (W * (1 - a)).sum(1)
        return m1 - m0

    dc = diffs(table.cost_total.to_numpy(float))
    de = diffs(table.mean_change_resident.to_numpy(float))
    np.testing.assert_allclose(r.replicates.d_cost, dc, rtol=1e-9)
    np.testing.assert_allclose(r.replicates.d_effect, de, rtol=1e-9)
    for w in wtp:
        assert r.ceac.set_index("wtp").p_cost_effective[w] == pytest.approx(
            np.mean(w * de - dc > 0), abs=1e-12
        )
        lo, hi = np.quantile(w * de - dc, [0.025, 0.975])
        row = r.table[(r.table.term == "nmb") & (r.table.wtp == w)].iloc[0]
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), rel=1e-9)


def test_cea_deterministic_and_lower_is_better(table):
    r1 = cea(
        table, "cost_total", "n_retells", higher_is_better=False, n_boot=200, seed=3, lang="en"
    )
    r2 = cea(
        table, "cost_total", "n_retells", higher_is_better=False, n_boot=200, seed=3, lang="en"
    )
    pd.testing.assert_frame_equal(r1.table, r2.table)
    m = table.groupby("arm")["n_retells"].mean()
    assert r1.d_effect == pytest.approx(m["supply_driven"] - m["demand_driven"], rel=1e-9)
    assert "reduction in n_retells" in r1.method
    # with lang="nl" (the default) the method text is Dutch, not English
    r_nl = cea(table, "cost_total", "n_retells", higher_is_better=False, n_boot=20, seed=3)
    assert "afname van n_retells" in r_nl.method and "reduction" not in r_nl.method
    with pytest.raises(ValueError, match="ontbreekt"):
        cea(table, "nope", "n_retells")
