"""cea from the same inference as compare: intervals, NMB, CEAC and Fieller by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wattelt_eval.estimation import cea, compare
from wattelt_eval.estimation.cost_effectiveness import fieller_interval


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    arm = np.where(rng.random(n) < 0.5, "demand_driven", "supply_driven")
    t = (arm == "demand_driven").astype(float)
    effect = 0.5 + 0.1 * t + rng.normal(0, 0.2, n)
    cost = 3000 - 400 * t + 2000 * effect + rng.normal(0, 900, n)
    team = np.where(t == 1, rng.integers(0, 6, n), rng.integers(6, 12, n)).astype(str)
    return pd.DataFrame({"arm": arm, "effect": effect, "cost": cost, "team": team})


def test_increments_carry_compare_intervals_exactly(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = cea(table, "cost", "effect", cluster="team", kind_cost="continuous", lang="en")
        c = compare(table, "cost", cluster="team", kind="continuous")
        e = compare(table, "effect", cluster="team")
    rows = r.table.set_index("term")
    for term, res in (("d_cost", c), ("d_effect", e)):
        assert rows.loc[term, "estimate"] == pytest.approx(res.estimate, rel=1e-12)
        assert rows.loc[term, "ci_low"] == pytest.approx(res.ci_low, rel=1e-12)
        assert rows.loc[term, "ci_high"] == pytest.approx(res.ci_high, rel=1e-12)


def test_nmb_and_ceac_by_hand_without_clusters(table):
    """Unadjusted, no clusters: the influence function of a difference in means gives
    Var(NMB) = sum over arms of (w^2 s_e^2 + s_c^2 - 2 w s_ce)(n_a - 1)/n_a^2, times the
    HC1 factor n/(n - 2); CEAC(w) = Phi(NMB / SE) (normal reference)."""
    wtp = [0, 1000, 5000]
    r = cea(table, "cost", "effect", kind_cost="continuous", wtp=wtp, method="unadjusted")
    g = table.groupby("arm")
    n = len(table)
    for w in wtp:
        v = 0.0
        for _, d in g:
            na = len(d)
            cv = np.cov(d["effect"], d["cost"], ddof=1)
            v += (w**2 * cv[0, 0] + cv[1, 1] - 2 * w * cv[0, 1]) * (na - 1) / na**2
        se = np.sqrt(v * n / (n - 2))
        m = g.mean(numeric_only=True)
        nmb = w * (m.loc["demand_driven", "effect"] - m.loc["supply_driven", "effect"]) - (
            m.loc["demand_driven", "cost"] - m.loc["supply_driven", "cost"]
        )
        row = r.table[(r.table.term == "nmb") & (r.table.wtp == w)].iloc[0]
        assert row.estimate == pytest.approx(nmb, rel=1e-10)
        assert row.ci_high - row.estimate == pytest.approx(1.959964 * se, rel=1e-5)
        p = r.ceac.set_index("wtp").p_cost_effective[w]
        assert p == pytest.approx(stats.norm.cdf(nmb / se), rel=1e-8)


def test_probability_of_saving_agrees_with_the_cost_interval(table):
    r = cea(table, "cost", "effect", cluster="team", kind_cost="continuous", method="unadjusted")
    c = compare(table, "cost", cluster="team", kind="continuous", method="unadjusted")
    p_saving = r.ceac.set_index("wtp").p_cost_effective[0]
    # the one-sided tail of the same t distribution: p_two_sided = 2 min(P, 1 - P)
    assert 2 * min(p_saving, 1 - p_saving) == pytest.approx(c.p_value, rel=1e-8)
    assert (c.ci_high < 0) == (p_saving > 0.975)


def test_fieller_interval_by_scanning_the_inequality():
    dc, de, vc, ve, cov, crit = -400.0, 0.1, 150.0**2, 0.03**2, -2.0, 2.0
    lo, hi = fieller_interval(dc, de, vc, ve, cov, crit)
    grid = np.linspace(-20000, 5000, 2_000_001)
    inside = (dc - grid * de) ** 2 <= crit**2 * (vc - 2 * grid * cov + grid**2 * ve)
    assert lo == pytest.approx(grid[inside].min(), abs=0.02)
    assert hi == pytest.approx(grid[inside].max(), abs=0.02)
    # an effect not different from zero: the interval is unbounded -> missing
    assert all(np.isnan(fieller_interval(dc, 0.01, vc, ve, cov, crit)))
