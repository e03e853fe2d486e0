"""Prais-Winsten FGLS against statsmodels GLS; the bootstrap test's size on simulated series."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.linalg import toeplitz

from wattelt_eval.estimation import segmented as sg


def _series(n=36, rho=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = sg.segmented_design(n, n // 2)
    y = X @ np.array([10.0, 0.05, 1.0, -0.02]) + sg.ar1_errors(n, rho, 1.0, 1, rng)[:, 0]
    return X, y


def test_prais_winsten_is_gls_with_the_estimated_rho():
    X, y = _series()
    fit = sg.prais_winsten(X, y, iterations=50)
    rho = float(fit.rho[0])
    n = len(y)
    gls = sm.GLS(y, X, sigma=toeplitz(rho ** np.arange(n))).fit()
    np.testing.assert_allclose(fit.beta[0], gls.params, rtol=1e-8)
    # rho is the lag-one autocorrelation of the final residuals (the fixed point)
    r = y - X @ fit.beta[0]
    assert rho == pytest.approx((r[1:] @ r[:-1]) / (r @ r), rel=1e-6)
    # the standard errors are GLS's, rescaled from n - k to n - k - 1 df
    scale = np.sqrt((n - 4) / (n - 5))
    np.testing.assert_allclose(fit.se[0], gls.bse * scale, rtol=1e-6)


def test_batched_fits_equal_one_by_one():
    X, _ = _series()
    rng = np.random.default_rng(3)
    Y = (X @ np.array([1.0, 0.1, 0.5, 0.0]))[:, None] + sg.ar1_errors(36, 0.3, 1.0, 5, rng)
    batch = sg.prais_winsten(X, Y)
    for b in range(5):
        one = sg.prais_winsten(X, Y[:, b])
        np.testing.assert_allclose(batch.beta[b], one.beta[0], rtol=1e-10)
        np.testing.assert_allclose(batch.se[b], one.se[0], rtol=1e-10)


def test_bootstrap_test_holds_its_size_where_newey_west_does_not():
    """200 null series of 36 months with AR(1) errors, rho = 0.6 (a fast version of
    benchmarks/sim_its.py): the bootstrap rejects near 5%; its MC SE is 1.5 points."""
    from scipy import stats

    from wattelt_eval.estimation.time_series import hac_cov, newey_west_lags

    rng = np.random.default_rng(11)
    n, reps = 36, 200
    X = sg.segmented_design(n, n // 2)
    rej_boot = rej_nw = 0
    for _ in range(reps):
        y = 10 + 0.05 * np.arange(n) + sg.ar1_errors(n, 0.6, 1.0, 1, rng)[:, 0]
        rej_boot += sg.bootstrap_test(X, y, 2, n_boot=199, rng=rng).p_value < 0.05
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        V = hac_cov(X, y - X @ b, newey_west_lags(n))
        rej_nw += 2 * stats.t.sf(abs(b[2] / np.sqrt(V[2, 2])), n - 4) < 0.05
    assert rej_boot / reps <= 0.09
    assert rej_nw / reps >= 0.12  # the problem this module solves


def test_interval_inverts_the_test():
    X, y = _series(seed=4)
    lo, hi = sg.bootstrap_interval(X, y, 2, n_boot=199, tol=1e-4)
    fit = sg.prais_winsten(X, y)
    assert lo < fit.beta[0, 2] < hi

    def p(v):
        return sg.bootstrap_test(
            X, y, 2, v, n_boot=199, rng=np.random.default_rng(0), fit=fit
        ).p_value

    eps = 0.01 * float(fit.se[0, 2])
    assert p(lo + eps) > 0.05 >= p(lo - eps)
    assert p(hi - eps) > 0.05 >= p(hi + eps)
