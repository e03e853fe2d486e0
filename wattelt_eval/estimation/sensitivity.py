"""Sensitivity to unmeasured confounding: E-values (VanderWeele & Ding, 2017).

The E-value is the minimum strength of association, on the risk-ratio scale, that an
unmeasured confounder would need with both the arm and the outcome, above the measured
covariates, to explain away an observed association. For the confidence limit nearer
the null it says how strong confounding must be to move the interval to include 1.

For a risk ratio ``RR >= 1``: ``E = RR + sqrt(RR * (RR - 1))``; for ``RR < 1`` the same
formula on ``1 / RR``. Ratios of means of positive outcomes (costs, counts) are treated
as risk ratios (VanderWeele & Ding, 2017, section 4); a difference in a continuous
outcome is first converted with ``RR ~ exp(0.91 d)``, ``d`` the standardised difference
(VanderWeele, 2017). For a common outcome (risk above about 15%) an odds ratio is first
converted with ``RR ~ sqrt(OR)``; a risk ratio needs no conversion.

References
----------
VanderWeele, T. J., & Ding, P. (2017). Sensitivity analysis in observational research:
introducing the E-value. *Annals of Internal Medicine*, 167(4), 268-274.

VanderWeele, T. J. (2017). On a square-root transformation of the odds ratio for a
common outcome. *Epidemiology*, 28(6), e58-e60.
"""

from __future__ import annotations

import math

__all__ = ["e_value", "e_value_ratio", "e_value_difference"]


def e_value(rr: float) -> float:
    """E-value of a risk ratio (``nan`` for a missing or non-positive ratio)."""
    if rr is None or not math.isfinite(rr) or rr <= 0:
        return math.nan
    r = rr if rr >= 1 else 1.0 / rr
    return r + math.sqrt(r * (r - 1.0))


def e_value_ratio(estimate: float, ci_low: float, ci_high: float) -> tuple[float, float]:
    """E-values of a ratio and of its confidence limit nearer the null (1 if it spans 1).

    Returns
    -------
    (e_estimate, e_limit)
    """
    point = e_value(estimate)
    if not all(math.isfinite(v) and v > 0 for v in (estimate, ci_low, ci_high)):
        return point, math.nan
    if ci_low <= 1.0 <= ci_high:
        return point, 1.0
    limit = ci_low if estimate > 1 else ci_high
    return point, e_value(limit)


def e_value_difference(
    difference: float, ci_low: float, ci_high: float, sd: float
) -> tuple[float, float]:
    """E-values of a difference in a continuous outcome via ``RR ~ exp(0.91 d)``.

    ``sd`` is the outcome's standard deviation (pooled over arms).
    """
    if not (math.isfinite(sd) and sd > 0):
        return math.nan, math.nan

    def rr(x: float) -> float:
        return math.exp(0.91 * x / sd)

    return e_value_ratio(rr(difference), rr(ci_low), rr(ci_high))
