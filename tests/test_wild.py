"""The wild cluster bootstrap against a brute-force refit, wildboottest and pyfixest."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from wattelt_eval.estimation import wild


def _pilot(seed: int = 3, g: int = 8, n_per: int = 12):
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(g), n_per)
    arm = (team >= g // 2).astype(float)
    x = rng.normal(size=len(team))
    y = 0.3 * arm + 0.5 * x + 0.5 * rng.normal(size=g)[team] + rng.normal(size=len(team))
    X = np.column_stack([np.ones_like(x), arm, x])
    return X, y, team


def _cr1_t(X, y, team, j, r=0.0):
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": team})
    return (fit.params[j] - r) / fit.bse[j]


@pytest.mark.parametrize("impose_null", [True, False])
def test_every_draw_equals_a_brute_force_refit(impose_null):
    """Each t* equals statsmodels' CR1 t of OLS refitted on y* = X beta_0 + u * w (G = 6)."""
    X, y, team = _pilot(g=6, n_per=7)
    R = np.array([0.0, 1.0, 0.0])
    res = wild.wild_cluster_test(X, y, team, R, impose_null=impose_null, n_boot=999)
    assert res.enumerated and res.n_boot == 2**6
    assert res.t_stat == pytest.approx(_cr1_t(X, y, team, 1), rel=1e-10)
    ols = sm.OLS(y, X).fit()
    if impose_null:  # restricted least squares: drop the arm column
        beta0 = np.insert(sm.OLS(y, X[:, [0, 2]]).fit().params, 1, 0.0)
        centre = 0.0
    else:
        beta0, centre = ols.params, ols.params[1]
    u = y - X @ beta0
    brute = []
    for w in itertools.product([-1.0, 1.0], repeat=6):
        ystar = X @ beta0 + u * np.asarray(w)[team]
        brute.append(_cr1_t(X, ystar, team, 1, r=centre))
    np.testing.assert_allclose(res.t_boot, brute, rtol=1e-8, atol=1e-10)
    assert res.p_value == pytest.approx(np.mean(np.abs(brute) >= abs(res.t_stat) - 1e-9))


def test_matches_wildboottest_exactly_under_full_enumeration():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    X, y, team = _pilot()
    model = sm.OLS(y, pd.DataFrame(X, columns=["const", "arm", "x"]))
    for impose_null in (True, False):
        ref = wbt.wildboottest(
            model, param="arm", cluster=team, B=9999, impose_null=impose_null, seed=1, show=False
        )
        ours = wild.wild_cluster_test(
            X, y, team, np.array([0.0, 1.0, 0.0]), impose_null=impose_null
        )
        assert ours.t_stat == pytest.approx(ref["statistic"].iloc[0], rel=1e-10)
        # wildboottest counts |t*| > |t| strictly; we count ties (the draws w = +-1 reproduce
        # the data under WCR) as at least as extreme, the usual Monte Carlo convention
        strict = np.mean(np.abs(ours.t_boot) > abs(ours.t_stat) + 1e-9)
        assert strict == pytest.approx(ref["p-value"].iloc[0], abs=1e-12)
        ties = np.mean(np.isclose(np.abs(ours.t_boot), abs(ours.t_stat), rtol=1e-9))
        assert ours.p_value == pytest.approx(strict + ties, abs=1e-12)


def test_webb_agrees_with_pyfixest_within_monte_carlo_error():
    pf = pytest.importorskip("pyfixest")
    X, y, team = _pilot(seed=5)
    df = pd.DataFrame({"y": y, "arm": X[:, 1], "x": X[:, 2], "team": team})
    fit = pf.feols("y ~ arm + x", data=df, vcov={"CRV1": "team"})
    ref = fit.wildboottest(param="arm", reps=19999, seed=2, weights_type="webb")
    ours = wild.wild_cluster_test(
        X, y, team, np.array([0.0, 1.0, 0.0]), weights="webb", n_boot=19999, seed=2
    )
    assert ours.t_stat == pytest.approx(float(ref["t value"]), rel=1e-8)
    p_ref = float(ref["Pr(>|t|)"])
    mc_se = np.sqrt(2 * p_ref * (1 - p_ref) / 19999)
    assert abs(ours.p_value - p_ref) < 4 * mc_se + 1e-3


def test_confidence_interval_by_test_inversion():
    X, y, team = _pilot(g=10, n_per=10)
    boot = wild.WildClusterBootstrap(X, y, team, np.array([0.0, 1.0, 0.0]))
    W, _ = wild.draw_weights(boot.G, 9999, "webb", np.random.default_rng(0))
    lo, hi = boot.confidence_interval(W, alpha=0.05)
    assert lo < boot.estimate < hi
    # at the bounds the bootstrap p-value crosses 0.05; just outside it is below
    step = 1e-3 * boot.se()
    assert boot.test(lo + step, W=W)[1] > 0.05 >= boot.test(lo - step, W=W)[1]
    assert boot.test(hi - step, W=W)[1] > 0.05 >= boot.test(hi + step, W=W)[1]
    # wider than the normal-theory CR1 interval with few clusters, as it should be
    assert hi - lo > 2 * 1.96 * boot.se()


def test_one_cluster_is_refused():
    X, y, _ = _pilot()
    with pytest.raises(ValueError, match="two clusters"):
        wild.wild_cluster_test(X, y, np.zeros(len(y)), np.array([0.0, 1.0, 0.0]))
