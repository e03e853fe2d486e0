"""Segmented regression with AR(1) errors for short interrupted time series (internal).

``y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t`` with ``e_t = rho e_{t-1} + v_t``.

At pilot lengths (24-48 monthly points) OLS with Newey-West errors over-rejects badly
when the errors are autocorrelated (13% at 36 independent points, 20-27% with AR(1)
errors), and so does feasible GLS with a t reference, because ``rho`` is estimated with
a downward bias from few points. This module fits Prais-Winsten FGLS (exact GLS for
AR(1) errors given ``rho``, the first observation kept) and tests each term with a
*restricted parametric bootstrap*: the model refitted with the term fixed at its null
value gives ``rho``, ``sigma`` and the mean path from which B series are simulated; the
p-value is the share of bootstrap t statistics at least as large as the observed one.
Confidence intervals come from inverting that test. All B fits are done at once with
batched linear algebra, so a test costs milliseconds.

The simulation behind the choice is ``benchmarks/sim_its.py`` (results in
``benchmarks/results/sim_its.json``, summary in docs/methods.md).

References
----------
Prais, S. J., & Winsten, C. B. (1954). Trend estimators and serial correlation. Cowles
Commission Discussion Paper 383.

Bernal, J. L., Cummins, S., & Gasparrini, A. (2017). Interrupted time series regression for
the evaluation of public health interventions: a tutorial. *International Journal of
Epidemiology*, 46(1), 348-355.

Davidson, R., & MacKinnon, J. G. (1999). The size distortion of bootstrap tests.
*Econometric Theory*, 15(3), 361-376.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: iterations of the Prais-Winsten rho update (converges in a few at these lengths)
PW_ITERATIONS = 10
RHO_BOUND = 0.99


@dataclass(frozen=True)
class PraisWinsten:
    """Prais-Winsten FGLS fits of B series at once.

    Attributes
    ----------
    beta : ndarray (B, k)
    se : ndarray (B, k)
        Conventional FGLS standard errors, ``s^2 (X~'X~)^-1`` with ``n - k - 1`` df.
    rho : ndarray (B,)
    sigma : ndarray (B,)
        Innovation standard deviation.
    """

    beta: np.ndarray
    se: np.ndarray
    rho: np.ndarray
    sigma: np.ndarray


def segmented_design(n: int, t0: int) -> np.ndarray:
    """Design matrix ``[1, t, post, (t - t0) post]`` for periods ``0..n-1``."""
    t = np.arange(n, dtype=float)
    post = (t >= t0).astype(float)
    return np.column_stack([np.ones(n), t, post, (t - t0) * post])


def prais_winsten(X: np.ndarray, Y: np.ndarray, iterations: int = PW_ITERATIONS) -> PraisWinsten:
    """Prais-Winsten FGLS of each column of ``Y`` (n, B) on ``X`` (n, k).

    The transformed design ``X~`` depends on each series' ``rho`` only through fixed
    cross-products: ``X~'X~ = (1 - rho^2) x_0 x_0' + S11 - rho (S10 + S01) + rho^2 S00``
    with ``S11 = sum_{t>=1} x_t x_t'``, ``S10 = sum_{t>=1} x_t x_{t-1}'`` and
    ``S00 = sum_{t>=1} x_{t-1} x_{t-1}'``; ``X~'y~`` is formed from ``y~`` with two
    matrix products. So no (B, n, k) array is built and B fits cost little more than one.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    n, k = X.shape
    X1, X0 = X[1:], X[:-1]
    S11, S10, S00 = X1.T @ X1, X1.T @ X0, X0.T @ X0
    x0x0 = np.outer(X[0], X[0])
    beta = (np.linalg.pinv(X) @ Y).T  # OLS start (B, k); pinv: one SVD for all B series
    for _ in range(iterations):
        resid = Y - X @ beta.T  # (n, B)
        rho = np.clip(
            (resid[1:] * resid[:-1]).sum(0) / (resid * resid).sum(0), -RHO_BOUND, RHO_BOUND
        )
        r = rho[:, None, None]
        xtx = (1.0 - r**2) * x0x0 + S11 - r * (S10 + S10.T) + r**2 * S00
        Yt1 = Y[1:] - rho * Y[:-1]  # (n - 1, B)
        xty = (
            (1.0 - rho**2)[:, None] * (Y[0][:, None] * X[0])
            + (X1.T @ Yt1).T
            - rho[:, None] * (X0.T @ Yt1).T
        )
        beta = np.linalg.solve(xtx, xty[..., None])[..., 0]
    e = Y - X @ beta.T
    et = np.vstack([np.sqrt(1.0 - rho**2) * e[0], e[1:] - rho * e[:-1]])
    s2 = (et * et).sum(0) / (n - k - 1)
    se = np.sqrt(s2[:, None] * np.einsum("bkk->bk", np.linalg.inv(xtx)))
    return PraisWinsten(beta, se, rho, np.sqrt(s2))


def ar1_errors(n: int, rho: float, sigma: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` stationary AR(1) series of length ``n`` (n, size)."""
    v = rng.normal(size=(n, size)) * sigma
    u = np.empty((n, size))
    u[0] = v[0] / np.sqrt(1.0 - rho**2)
    for i in range(1, n):
        u[i] = rho * u[i - 1] + v[i]
    return u


def corrected_rho(
    X: np.ndarray,
    mean_path: np.ndarray,
    rho: float,
    sigma: float,
    n_boot: int,
    rng: np.random.Generator,
) -> float:
    """One bootstrap bias correction of the Prais-Winsten ``rho``.

    ``rho`` is estimated from few points with a downward bias (about ``-(1 + 3 rho)/n``
    plus a term per regressor), so series simulated with it are less autocorrelated than
    the data and the bootstrap t distribution is too narrow. The bias is estimated by
    simulating ``n_boot`` series from ``(mean_path, rho, sigma)`` and refitting ``X``;
    the corrected value is ``rho - bias = 2 rho - mean(rho*)``, kept within +-0.95.
    """
    E = ar1_errors(len(mean_path), rho, sigma, n_boot, rng)
    boot = prais_winsten(X, mean_path[:, None] + E)
    return float(np.clip(2.0 * rho - boot.rho.mean(), -0.95, 0.95))


@dataclass(frozen=True)
class BootstrapTest:
    """Restricted parametric bootstrap test of ``beta_j = value``."""

    estimate: float
    se: float
    t_stat: float
    p_value: float
    n_boot: int


def bootstrap_test(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    value: float = 0.0,
    *,
    n_boot: int = 999,
    rng: np.random.Generator | None = None,
    fit: PraisWinsten | None = None,
    bias_correct: bool = False,
) -> BootstrapTest:
    """Test ``beta_j = value`` with a restricted parametric AR(1) bootstrap.

    The restricted model (``beta_j`` fixed at ``value``) is fitted by Prais-Winsten; B
    series are simulated from it; each is refitted unrestricted and its t statistic for
    ``beta_j = value`` compared with the observed one. With ``bias_correct`` the ``rho``
    of the restricted fit is first corrected for its small-sample bias
    (:func:`corrected_rho`, B more fits).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    y = np.asarray(y, dtype=float)
    fit = fit if fit is not None else prais_winsten(X, y)
    t = (fit.beta[0, j] - value) / fit.se[0, j]
    keep = [i for i in range(X.shape[1]) if i != j]
    offset = value * X[:, j]
    restricted = prais_winsten(X[:, keep], y - offset)
    mean_path = X[:, keep] @ restricted.beta[0] + offset
    rho, sigma = float(restricted.rho[0]), float(restricted.sigma[0])
    if bias_correct:
        rho = corrected_rho(X[:, keep], mean_path - offset, rho, sigma, n_boot, rng)
    Ystar = mean_path[:, None] + ar1_errors(len(y), rho, sigma, n_boot, rng)
    boot = prais_winsten(X, Ystar)
    tstar = (boot.beta[:, j] - value) / boot.se[:, j]
    p = (1 + np.sum(np.abs(tstar) >= abs(t))) / (n_boot + 1)
    return BootstrapTest(float(fit.beta[0, j]), float(fit.se[0, j]), float(t), float(p), n_boot)


def bootstrap_interval(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    *,
    alpha: float = 0.05,
    n_boot: int = 999,
    seed: int = 0,
    tol: float = 1e-3,
    bias_correct: bool = False,
) -> tuple[float, float]:
    """Confidence interval for ``beta_j`` by inverting :func:`bootstrap_test`.

    Every value tested uses the same random numbers (common seed), so the p-value is a
    smooth function of the value and bisection is well defined.
    """
    fit = prais_winsten(X, y)
    est, se = float(fit.beta[0, j]), float(fit.se[0, j])

    def p_at(value: float) -> float:
        rng = np.random.default_rng(seed)
        return bootstrap_test(
            X, y, j, value, n_boot=n_boot, rng=rng, fit=fit, bias_correct=bias_correct
        ).p_value

    bounds = []
    for direction in (-1.0, 1.0):
        inner, width = est, 2.0 * se
        outer = est + direction * width
        while p_at(outer) > alpha and width < 1e4 * se:
            inner, width = outer, 2.0 * width
            outer = est + direction * width
        lo, hi = inner, outer
        while abs(hi - lo) > tol * se:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if p_at(mid) > alpha else (lo, mid)
        bounds.append(0.5 * (lo + hi))
    return float(bounds[0]), float(bounds[1])


def _critical_value(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    value: float,
    alpha: float,
    n_boot: int,
    seed: int,
    bias_correct: bool,
) -> float:
    """The largest ``|t|`` that :func:`bootstrap_test` of ``beta_j = value`` (seed
    ``seed``) does not reject at ``alpha``.

    The bootstrap t statistics do not depend on the restricted mean path or on ``sigma``
    (Prais-Winsten is equivariant to adding columns of ``X`` and to scale), only on the
    restricted ``rho``; so they are simulated from the same random numbers as in
    :func:`bootstrap_test` with unit ``sigma`` and a zero mean path. ``p > alpha`` iff
    at least ``m = floor(alpha (B + 1))`` of them reach ``|t|``: the critical value is
    the ``m``-th largest.
    """
    keep = [i for i in range(X.shape[1]) if i != j]
    restricted = prais_winsten(X[:, keep], y - value * X[:, j])
    rho = float(restricted.rho[0])
    rng = np.random.default_rng(seed)
    n = len(y)
    if bias_correct:
        rho = corrected_rho(X[:, keep], np.zeros(n), rho, 1.0, n_boot, rng)
    boot = prais_winsten(X, ar1_errors(n, rho, 1.0, n_boot, rng))
    tstar = np.sort(np.abs(boot.beta[:, j] / boot.se[:, j]))[::-1]
    m = int(np.floor(alpha * (n_boot + 1) + 1e-9))
    return float(tstar[max(m - 1, 0)])


def inverted_interval(
    X: np.ndarray,
    y: np.ndarray,
    j: int,
    *,
    alpha: float = 0.05,
    n_boot: int = 999,
    seed: int = 0,
    bias_correct: bool = False,
    tol: float = 1e-4,
    max_iter: int = 50,
) -> tuple[float, float]:
    """The interval of :func:`bootstrap_interval`, found by fixed-point iteration.

    An endpoint ``v`` satisfies ``|beta_hat - v| = se * c(v)`` with ``c(v)`` the
    bootstrap critical value of the test of ``beta_j = v`` (:func:`_critical_value`),
    which changes with ``v`` only through the restricted ``rho``; one fixed-point step
    ``v <- beta_hat +- se c(v)`` from the estimate and secant steps on
    ``beta_hat +- se c(v) - v`` converge in a few bootstraps (against some twenty for
    bisection). Falls back to :func:`bootstrap_interval` if they do not converge.
    """
    fit = prais_winsten(X, y)
    est, se = float(fit.beta[0, j]), float(fit.se[0, j])

    def gap(v: float, direction: float) -> float:  # zero at an endpoint
        c = _critical_value(X, y, j, v, alpha, n_boot, seed, bias_correct)
        return est + direction * se * c - v

    bounds = []
    for direction in (-1.0, 1.0):
        # a fixed-point step from the estimate, then secant steps on the gap
        v0 = est
        g0 = gap(v0, direction)
        v1 = v0 + g0
        for _ in range(max_iter):
            g1 = gap(v1, direction)
            if abs(g1) <= tol * se:
                break
            step = g1 if g1 == g0 else -g1 * (v1 - v0) / (g1 - g0)
            v0, g0, v1 = v1, g1, v1 + step
        else:
            return bootstrap_interval(
                X, y, j, alpha=alpha, n_boot=n_boot, seed=seed, bias_correct=bias_correct
            )
        bounds.append(v1)
    return float(bounds[0]), float(bounds[1])
