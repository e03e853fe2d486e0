"""Test inversion and reference-distribution p-values (internal): the pieces all methods share.

An interval is the set of null values ``x`` whose p-value exceeds ``alpha``. From the
estimate, each end is searched outwards in doubling steps until a value is rejected, then
found by bisection; an end is infinite when nothing is rejected within ``limit`` times
the first step (possible with very few clusters or assignments). Used by the wild
bootstrap (:mod:`.wild`), randomization inference and the placebo DiD
(:mod:`.randomization`) and their use in ``compare`` (:mod:`._cluster_inference`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["invert_side", "invert_test", "share_at_least"]


def share_at_least(null: np.ndarray, observed: float) -> float:
    """Two-sided p-value from a reference distribution: the share of ``|null|`` at least
    ``|observed|`` (ties counted, with a relative tolerance of 1e-12 for rounding)."""
    obs = abs(float(observed))
    return float(np.mean(np.abs(null) >= obs - 1e-12 * max(1.0, obs)))


def invert_side(
    p_at: Callable[[float], float],
    est: float,
    direction: float,
    step: float,
    alpha: float,
    tol: float = 1e-6,
    limit: float = 1e6,
) -> float:
    """The end of ``{x : p_at(x) > alpha}`` from ``est`` in ``direction`` (+1 or -1).

    ``tol`` and ``limit`` are relative to ``step``.
    """
    inner, width = est, step
    outer = est + direction * width
    while p_at(outer) > alpha:
        inner, width = outer, width * 2
        outer = est + direction * width
        if width > limit * step:
            return direction * math.inf
    lo, hi = inner, outer
    while abs(hi - lo) > tol * step:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if p_at(mid) > alpha else (lo, mid)
    return 0.5 * (lo + hi)


def invert_test(
    p_at: Callable[[float], float],
    est: float,
    step: float,
    alpha: float,
    tol: float = 1e-6,
    limit: float = 1e6,
) -> tuple[float, float]:
    """Both ends of the interval ``{x : p_at(x) > alpha}`` around ``est``."""
    lo = invert_side(p_at, est, -1.0, step, alpha, tol, limit)
    hi = invert_side(p_at, est, 1.0, step, alpha, tol, limit)
    return float(lo), float(hi)
