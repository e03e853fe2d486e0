"""Randomization inference against hand-worked cases and scipy's permutation test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from wattelt_eval.estimation import randomization as ri


def test_two_plus_two_teams_by_hand():
    # one resident per team; treated teams 2 and 3; outcomes 1, 2 | 5, 8
    y = np.array([1.0, 2.0, 5.0, 8.0])
    cluster = np.array(["a", "b", "c", "d"])
    treated = np.array([0, 0, 1, 1])
    res = ri.randomization_test(y, cluster, treated, ri.difference_in_means)
    # the 6 assignments give differences 5, 2, 1, -1, -2, -5 (pairs {c,d} {b,d} {a,d} ...):
    # treated {c,d}: 6.5-1.5=5; {b,d}: 5-3=2; {b,c}: 3.5-4.5=-1; {a,d}: 4.5-3.5=1;
    # {a,c}: 3-5=-2; {a,b}: 1.5-6.5=-5  -> |T| >= 5 twice: p = 2/6
    assert res.exact and res.n_possible == 6 and res.n_assignments == 6
    assert res.statistic == pytest.approx(5.0)
    assert sorted(np.round(res.null, 10)) == [-5, -2, -1, 1, 2, 5]
    assert res.p_value == pytest.approx(2 / 6)
    assert res.min_p_value == pytest.approx(1 / 6)


def test_matches_scipy_exact_permutation_test_on_cluster_means():
    rng = np.random.default_rng(1)
    g, m = 8, 5
    cluster = np.repeat(np.arange(g), m)
    treated = (cluster % 2 == 0).astype(int)
    y = rng.normal(size=g * m) + 0.8 * treated + rng.normal(size=g)[cluster]
    means = np.bincount(cluster, weights=y) / m
    arm = np.array([1, 0] * 4)

    def stat(yy, tt):  # difference of cluster means (equal sizes: = row means)
        return ri.difference_in_means(yy, tt)

    ours = ri.randomization_test(y, cluster, treated, stat)
    ref = stats.permutation_test(
        (means[arm == 1], means[arm == 0]),
        lambda a, b: np.mean(a) - np.mean(b),
        permutation_type="independent",
        alternative="two-sided",
        n_resamples=np.inf,
    )
    assert ours.n_assignments == math.comb(8, 4) == 70
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue)


def test_one_treated_team_cannot_go_below_one_over_g():
    rng = np.random.default_rng(2)
    cluster = np.repeat(np.arange(8), 20)
    treated = (cluster == 0).astype(int)
    y = rng.normal(size=160) + 5.0 * treated  # a huge effect
    res = ri.randomization_test(y, cluster, treated, ri.difference_in_means)
    assert res.n_possible == 8
    assert res.p_value == pytest.approx(1 / 8)
    lo, hi = ri.randomization_interval(y, cluster, treated, ri.difference_in_means)
    assert (lo, hi) == (-np.inf, np.inf)  # 1/8 > 0.05: no interval is possible


def test_interval_inverts_the_test():
    rng = np.random.default_rng(4)
    cluster = np.repeat(np.arange(10), 6)
    treated = (cluster < 5).astype(int)
    y = rng.normal(size=60) + 1.0 * treated
    lo, hi = ri.randomization_interval(y, cluster, treated, ri.difference_in_means, tol=1e-6)
    est = ri.difference_in_means(y, treated)
    assert lo < est < hi

    def p(tau):
        return ri.randomization_test(y, cluster, treated, ri.difference_in_means, tau=tau).p_value

    eps = 1e-3
    assert p(lo + eps) > 0.05 >= p(lo - eps)
    assert p(hi - eps) > 0.05 >= p(hi + eps)


def test_sampled_when_too_many_and_mixed_clusters_refused():
    cluster = np.arange(40)
    treated = (cluster < 20).astype(int)
    y = np.arange(40, dtype=float)
    res = ri.randomization_test(y, cluster, treated, ri.difference_in_means, n_draws=499)
    assert not res.exact and res.n_assignments == 500
    with pytest.raises(ValueError, match="constant within"):
        ri.randomization_test(y, np.zeros(40), treated, ri.difference_in_means)
