"""we.did with one or few treated clusters: the placebo test against a loop over the
states (organ donations, California the only treated state), the batched placebo
estimates against statsmodels, and the guards against analytic cluster inference."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

import wattelt_eval as we
from wattelt_eval.errors import DataError
from wattelt_eval.estimation import did
from wattelt_eval.estimation.randomization import did_estimates


@pytest.fixture(scope="module")
def organ() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    d = causaldata.organ_donations.load_pandas().data.copy()
    d["period"] = np.where(d["Quarter_Num"] >= 4, "after", "before")  # from 2011 Q3 on
    d["group"] = np.where(d["State"] == "California", "California", "other")
    d["p"] = (d["period"] == "after").astype(float)
    return d


def _did_by_ols(d: pd.DataFrame, treated_states, y: str = "Rate") -> float:
    dd = d.assign(g=d["State"].isin(treated_states).astype(float))
    return float(smf.ols(f"{y} ~ g * p", dd).fit().params["g:p"])


def test_organ_donations_placebo_p_equals_the_loop_over_states(organ):
    res = did(organ, "Rate", "group", "period", cluster="State", treated="California", lang="en")
    states = sorted(organ["State"].unique())
    placebo = {s: _did_by_ols(organ, [s]) for s in states}
    est = placebo["California"]
    p_hand = np.mean([abs(v) >= abs(est) - 1e-12 for v in placebo.values()])
    assert res.estimate == pytest.approx(est, rel=1e-9)
    assert res.p_value == pytest.approx(p_hand, abs=1e-12)
    assert res.p_value == pytest.approx(5 / 27, abs=1e-12)  # about 0.19, as reported
    assert res.ci_method == "placebo" and np.isnan(res.se)
    np.testing.assert_allclose(
        np.sort(res.diagnostics["placebo_estimates"]), np.sort(list(placebo.values())), rtol=1e-8
    )
    assert res.diagnostics["n_assignments"] == 27 and res.diagnostics["exact"]
    assert "placebo test" in res.method and "27 possible choices of 1 of the 27" in res.method
    assert (
        "placebotoets"
        in did(organ, "Rate", "group", "period", cluster="State", treated="California").method
    )

    # the interval: tau inside iff the placebo test of a constant effect tau does not reject;
    # under tau, state s's estimate from y - tau * CA * post + tau * s * post is compared
    def p_at(tau):
        y0 = organ["Rate"] - tau * (organ["group"] == "California") * organ["p"]
        stat = {
            s: _did_by_ols(
                organ.assign(y0=y0 + tau * (organ["State"] == s) * organ["p"]), [s], "y0"
            )
            for s in states
        }
        return np.mean(
            [abs(v - tau) >= abs(stat["California"] - tau) - 1e-12 for v in stat.values()]
        )

    w = res.ci_high - res.ci_low
    assert p_at(res.ci_low + 1e-3 * w) > 0.05 >= p_at(res.ci_low - 1e-3 * w)
    assert p_at(res.ci_high - 1e-3 * w) > 0.05 >= p_at(res.ci_high + 1e-3 * w)


def test_organ_donations_old_cr1_path_is_refused(organ):
    """CR1 with t(26) gives p = 0.001 here (statsmodels, as the old `did`); asked for
    explicitly, the analytic path is now refused with a pointer to the placebo test."""
    ols = smf.ols("Rate ~ C(group, Treatment('other')) * p", organ).fit(
        cov_type="cluster", cov_kwds={"groups": organ["State"]}
    )
    term = "C(group, Treatment('other'))[T.California]:p"
    p_cr1 = 2 * stats.t.sf(abs(ols.params[term] / ols.bse[term]), 26)
    assert p_cr1 < 0.002
    with pytest.raises(DataError) as err:
        did(
            organ,
            "Rate",
            "group",
            "period",
            cluster="State",
            treated="California",
            inference="analytic",
        )
    assert 'inference="placebo"' in err.value.message("en")
    assert "één pilotcluster" in err.value.message("nl")


def test_two_treated_states_exact_over_pairs_and_covariates_match_statsmodels(organ):
    """Two treated clusters (< 4): auto uses the placebo test over all 351 pairs."""
    d = organ.copy()
    pilot = ["California", "Washington"]
    d["group"] = np.where(d["State"].isin(pilot), "pilot", "other")
    res = did(d, "Rate", "group", "period", cluster="State", treated="pilot")
    states = sorted(d["State"].unique())
    est = _did_by_ols(d, pilot)
    # hand loop over every pair, with cell means (the DiD of a 2x2 design)
    m = d.groupby(["State", "p"])["Rate"].agg(["sum", "count"])
    allsum = m.groupby("p")["sum"].sum()
    allcnt = m.groupby("p")["count"].sum()
    stats_ = []
    for pair in itertools.combinations(states, 2):
        ts = m.loc[list(pair)].groupby("p")[["sum", "count"]].sum()
        tm = ts["sum"] / ts["count"]
        cm = (allsum - ts["sum"]) / (allcnt - ts["count"])
        stats_.append((tm[1.0] - tm[0.0]) - (cm[1.0] - cm[0.0]))
    assert len(stats_) == 351 == res.diagnostics["n_assignments"]
    assert res.estimate == pytest.approx(est, rel=1e-9)
    assert res.p_value == pytest.approx(np.mean(np.abs(stats_) >= abs(est) - 1e-12), abs=1e-12)
    # with a covariate: the batched estimates equal one OLS per assignment
    rng = np.random.default_rng(0)
    d["z"] = rng.normal(size=len(d))
    codes = pd.factorize(d["State"], sort=True)[0]
    A = np.zeros((4, 27))
    for i, pair in enumerate([(0, 1), (2, 5), (3, 26), (10, 11)]):
        A[i, list(pair)] = 1
    got = did_estimates(d["Rate"].to_numpy(), d["p"].to_numpy(), codes, A, d[["z"]].to_numpy())
    for i in range(4):
        dd = d.assign(g=A[i, codes])
        assert got[i] == pytest.approx(
            smf.ols("Rate ~ g * p + z", dd).fit().params["g:p"], rel=1e-8
        )
    res_z = did(d, "Rate", "group", "period", covariates="z", cluster="State", treated="pilot")
    assert res_z.estimate == pytest.approx(
        smf.ols("Rate ~ g * p + z", d.assign(g=d["State"].isin(pilot) * 1.0)).fit().params["g:p"],
        rel=1e-8,
    )
    assert res_z.ci_method == "placebo"
    # the threshold: 3 treated states -> placebo (2925 choices), 4 -> the analytic path
    for k, label in ((3, "placebo"), (4, "cluster_arm_welch")):
        dk = d.assign(group=np.where(d["State"].isin(states[:k]), "pilot", "other"))
        assert (
            did(dk, "Rate", "group", "period", cluster="State", treated="pilot").ci_method == label
        )


def test_two_clusters_in_all_are_refused_and_teams_stay_analytic():
    """One pilot and one comparison municipality: clustering by municipality is refused
    (it gave an SE of 0.0004); clustering by team (4 + 4) keeps the analytic path."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = we.synth.generate(n_trajectories=600, seed=1, design="did")
        table = we.outcomes(data)
    args = dict(arm="municipality", period="period", treated="GM0772")
    with pytest.raises(DataError) as err:
        did(table, "goal_retention", cluster="municipality", **args)
    assert "team" in err.value.message("en") and "two clusters" in err.value.message("en")
    for inference in ("analytic", "placebo"):
        with pytest.raises(DataError):
            did(table, "goal_retention", cluster="municipality", inference=inference, **args)
    res = did(table, "goal_retention", cluster="team", **args)
    assert res.ci_method == "cluster_arm_welch"
    assert res.diagnostics["n_clusters_group"] == {"treated": 4, "control": 4}
    with pytest.raises(DataError, match="cluster"):
        did(table, "goal_retention", inference="placebo", **args)


def test_placebo_refused_for_clusters_holding_both_groups(organ):
    d = organ.assign(mixed=np.arange(len(organ)) % 5)
    with pytest.raises(DataError, match="both"):
        did(
            d, "Rate", "group", "period", cluster="mixed", treated="California", inference="placebo"
        )
    # auto keeps CR1 for mixed clusters (5 clusters, both groups in each)
    assert (
        did(d, "Rate", "group", "period", cluster="mixed", treated="California").ci_method == "CR1"
    )


def test_too_few_choices_give_no_bounded_interval(organ):
    """California and 9 other states: 10 choices, so p >= 1/10 and no 95% interval."""
    keep = sorted(organ["State"].unique())[:10]
    d = organ[organ["State"].isin(keep)]
    res = did(d, "Rate", "group", "period", cluster="State", treated="California", lang="en")
    placebo = {s: _did_by_ols(d, [s]) for s in keep}
    p_hand = np.mean([abs(v) >= abs(placebo["California"]) - 1e-12 for v in placebo.values()])
    assert res.p_value == pytest.approx(p_hand, abs=1e-12) and res.p_value >= 0.1
    assert np.isinf(res.ci_low) and np.isinf(res.ci_high)
    assert res.diagnostics["min_p_value"] == pytest.approx(0.1)
    assert "1/10" in res.method and "Difference-in-differences" in res.summary()


def test_two_way_fixed_effects_placebo_matches_statsmodels(organ):
    """State and quarter fixed effects (the state dummies absorb the group column): the
    placebo estimates equal one statsmodels OLS ``g:p + C(State) + C(Quarter)`` per state."""
    res = did(
        organ,
        "Rate",
        "group",
        "period",
        covariates="C(State) + C(Quarter)",
        cluster="State",
        treated="California",
    )
    states = sorted(organ["State"].unique())
    fe = {
        s: smf.ols("Rate ~ g:p + C(State) + C(Quarter)", organ.assign(g=(organ.State == s) * 1.0))
        .fit()
        .params["g:p"]
        for s in states
    }
    np.testing.assert_allclose(
        np.sort(res.diagnostics["placebo_estimates"]), np.sort(list(fe.values())), atol=1e-10
    )
    assert res.estimate == pytest.approx(fe["California"], rel=1e-8)
    p_hand = np.mean([abs(v) >= abs(fe["California"]) - 1e-12 for v in fe.values()])
    assert res.p_value == pytest.approx(p_hand, abs=1e-12)
