"""we.its with AR(1) errors: Prais-Winsten estimates against statsmodels GLS, the bootstrap
p-value against a one-by-one re-implementation with statsmodels, the test-inversion
interval against the test, and the controlled ITS against the hand-made difference series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.linalg import toeplitz

from wattelt_eval.errors import DataError, UsageError
from wattelt_eval.estimation import its
from wattelt_eval.estimation import segmented as sg

N, T0 = 30, 15


def _series(seed=0, rho=0.5, n=N, t0=T0):
    rng = np.random.default_rng(seed)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal(0, 1)
    t = np.arange(n)
    post = (t >= t0).astype(float)
    y = 10 + 0.1 * t + 2.0 * post - 0.05 * (t - t0) * post + e
    idx = pd.period_range("2021-01", periods=n, freq="M").to_timestamp()
    return pd.Series(y, index=idx, name="applications"), idx[t0]


@pytest.fixture(scope="module")
def result():
    s, start = _series()
    return s, start, its(s, start, n_boot=199, lang="en")


def _gls(X, y, rho):
    return sm.GLS(y, X, sigma=toeplitz(rho ** np.arange(len(y)))).fit()


def test_estimates_are_gls_at_the_estimated_rho(result):
    s, start, res = result
    y = s.to_numpy()
    t = np.arange(N, dtype=float)
    post = (t >= T0).astype(float)
    X = np.column_stack([np.ones(N), t, post, (t - T0) * post])
    rho = res.diagnostics["rho"]
    gls = _gls(X, y, rho)
    r = res.table.set_index("term")
    assert r.loc["level_change", "estimate"] == pytest.approx(gls.params[2], rel=1e-8)
    assert r.loc["slope_change", "estimate"] == pytest.approx(gls.params[3], rel=1e-8)
    # effect at the end: the linear combination level + slope * (n - 1 - t0)
    c = np.array([0, 0, 1, N - 1 - T0])
    assert r.loc["effect_at_end", "estimate"] == pytest.approx(c @ gls.params, rel=1e-6)
    scale = np.sqrt((N - 4) / (N - 5))  # FGLS SE with n - k - 1 df
    assert r.loc["level_change", "se"] == pytest.approx(gls.bse[2] * scale, rel=1e-6)
    se_end = np.sqrt(c @ gls.cov_params() @ c) * scale
    assert r.loc["effect_at_end", "se"] == pytest.approx(se_end, rel=1e-4)
    assert (res.table["ci_method"] == "ar1_bootstrap").all()
    assert "Prais-Winsten" in res.method and "199" in res.method
    assert res.lags is None
    np.testing.assert_allclose(res.fitted["fitted"], X @ gls.params, rtol=1e-8)


def _pw_statsmodels(X, y, iterations=sg.PW_ITERATIONS):
    """Prais-Winsten by hand: rho from the residuals, GLS with the AR(1) matrix, repeated."""
    b = sm.OLS(y, X).fit().params
    for _ in range(iterations):
        r = y - X @ b
        rho = float(np.clip((r[1:] @ r[:-1]) / (r @ r), -0.99, 0.99))
        g = _gls(X, y, rho)
        b = g.params
    n, k = X.shape
    return g, rho, np.sqrt(g.scale * (n - k) / (n - k - 1))


def test_bootstrap_p_value_equals_a_one_by_one_implementation():
    """Restricted fit, bias-corrected rho (2 rho - mean rho*), B series, t* by statsmodels."""
    s, _ = _series(seed=4, rho=0.3, n=24, t0=12)
    y = s.to_numpy()
    X = sg.segmented_design(24, 12)
    j, B = 2, 39
    full, _, _ = _pw_statsmodels(X, y)
    scale = np.sqrt(20 / 19)
    t_obs = full.params[j] / (full.bse[j] * scale)
    keep = [0, 1, 3]
    restricted, rho, sigma = _pw_statsmodels(X[:, keep], y)
    path = X[:, keep] @ restricted.params
    rng = np.random.default_rng(11)

    def ar1(rho_, size):
        v = rng.normal(size=(24, size)) * sigma
        u = np.empty_like(v)
        u[0] = v[0] / np.sqrt(1 - rho_**2)
        for i in range(1, 24):
            u[i] = rho_ * u[i - 1] + v[i]
        return u

    E = ar1(rho, B)
    rho_star = [_pw_statsmodels(X[:, keep], path + E[:, b])[1] for b in range(B)]
    rho_bc = float(np.clip(2 * rho - np.mean(rho_star), -0.95, 0.95))
    E = ar1(rho_bc, B)
    t_star = []
    for b in range(B):
        g, _, _ = _pw_statsmodels(X, path + E[:, b])
        t_star.append(g.params[j] / (g.bse[j] * scale))
    p_hand = (1 + np.sum(np.abs(t_star) >= abs(t_obs))) / (B + 1)
    test = sg.bootstrap_test(X, y, j, n_boot=B, rng=np.random.default_rng(11), bias_correct=True)
    assert test.t_stat == pytest.approx(t_obs, rel=1e-6)
    assert test.p_value == pytest.approx(p_hand, abs=1e-12)


def test_interval_ends_where_the_test_starts_rejecting(result):
    s, start, res = result
    y = s.to_numpy()
    X = sg.segmented_design(N, T0)
    Xe = X.copy()
    Xe[:, 3] = X[:, 3] - (N - 1 - T0) * X[:, 2]
    r = res.table.set_index("term")
    for term, design, j in (("level_change", X, 2), ("effect_at_end", Xe, 2)):
        lo, hi = r.loc[term, "ci_low"], r.loc[term, "ci_high"]
        assert lo < r.loc[term, "estimate"] < hi
        width = hi - lo

        def p_at(v, design=design, j=j):
            return sg.bootstrap_test(
                design, y, j, v, n_boot=199, rng=np.random.default_rng(0), bias_correct=True
            ).p_value

        for end, outward in ((lo, -1), (hi, 1)):
            assert p_at(end - outward * 1e-3 * width) > 0.05, (term, end)
            assert p_at(end + outward * 1e-3 * width) <= 0.05, (term, end)
        # the p-value in the table is the test of 0
        assert r.loc[term, "p_value"] == pytest.approx(p_at(0.0), abs=1e-12)


def test_same_seed_same_table_and_method_option_checked(result):
    s, start, res = result
    pd.testing.assert_frame_equal(its(s, start, n_boot=199, lang="en").table, res.table)
    with pytest.raises(UsageError, match="newey_west"):
        its(s, start, lags=3)
    with pytest.raises(UsageError, match="method"):
        its(s, start, method="arima")


def test_controlled_its_models_the_difference_series():
    s, start = _series(seed=1)
    rng = np.random.default_rng(2)
    c = pd.Series(5 + 0.08 * np.arange(N) + rng.normal(0, 1, N), index=s.index, name="other")
    res = its(s, start, comparison=c, n_boot=99, lang="en")
    plain = its(s - c, start, n_boot=99)
    cols = ["term", "estimate", "se", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(res.table[cols], plain.table[cols])
    np.testing.assert_allclose(res.fitted["comparison"], c.to_numpy())
    np.testing.assert_allclose(res.fitted["observed"], s.to_numpy())
    assert "controlled interrupted time series" in res.design
    # the same from a long table with a group column
    long = pd.concat(
        [
            pd.DataFrame({"month": s.index, "y": s.to_numpy(), "area": "pilot"}),
            pd.DataFrame({"month": c.index, "y": c.to_numpy(), "area": "rest"}),
        ]
    )
    res2 = its(
        long, start, time="month", outcome="y", comparison="area", treated="pilot", n_boot=99
    )
    pd.testing.assert_frame_equal(res2.table[cols], res.table[cols])
    # and with Newey-West: OLS on the difference, as statsmodels
    nw = its(s, start, comparison=c, method="newey_west")
    t = np.arange(N)
    post = (t >= T0).astype(float)
    X = np.column_stack([np.ones(N), t, post, (t - T0) * post])
    ols = sm.OLS((s - c).to_numpy(), X).fit()
    assert nw.level_change == pytest.approx(ols.params[2], rel=1e-9)
    with pytest.raises(DataError, match="same periods"):
        its(s, start, comparison=c.iloc[1:], n_boot=99)
