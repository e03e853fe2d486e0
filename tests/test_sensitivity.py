"""E-values against the published examples of VanderWeele & Ding (2017)."""

from __future__ import annotations

import math

import pytest

from wattelt_eval.estimation.sensitivity import e_value, e_value_difference, e_value_ratio


def test_breastfeeding_example_of_the_paper():
    # VanderWeele & Ding (2017), Annals of Internal Medicine: RR 3.9 (95% CI 1.8 to 8.7):
    # "E-value 7.2 ... for the lower limit 3.0"
    point, limit = e_value_ratio(3.9, 1.8, 8.7)
    assert math.floor(point * 10) / 10 == 7.2
    assert limit == pytest.approx(3.0)


def test_protective_ratio_uses_the_inverse_and_the_upper_limit():
    # RR 0.80 (0.71 to 0.91): 1/0.8 = 1.25 -> 1.25 + sqrt(1.25 * 0.25) = 1.809;
    # upper limit 1/0.91 = 1.0989 -> 1.0989 + sqrt(1.0989 * 0.0989) = 1.429
    point, limit = e_value_ratio(0.80, 0.71, 0.91)
    assert point == pytest.approx(1.25 + math.sqrt(1.25 * 0.25))
    assert limit == pytest.approx(1 / 0.91 + math.sqrt(1 / 0.91 * (1 / 0.91 - 1)))
    assert round(point, 2) == 1.81 and round(limit, 2) == 1.43


def test_interval_spanning_one_and_missing_values():
    assert e_value_ratio(1.3, 0.9, 1.8)[1] == 1.0
    assert e_value(1.0) == 1.0
    assert math.isnan(e_value(float("nan"))) and math.isnan(e_value(-2.0))


def test_difference_via_standardised_effect():
    # d = 0.5: RR = exp(0.455) = 1.5762; E = 1.5762 + sqrt(1.5762 * 0.5762) = 2.529
    point, limit = e_value_difference(5.0, 1.0, 9.0, sd=10.0)
    rr = math.exp(0.455)
    assert point == pytest.approx(rr + math.sqrt(rr * (rr - 1)))
    assert round(point, 2) == 2.53
    rr_lo = math.exp(0.091)
    assert limit == pytest.approx(rr_lo + math.sqrt(rr_lo * (rr_lo - 1)))
