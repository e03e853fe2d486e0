"""Comparison engine: baseline balance, adjusted and clustered effect estimates,
difference-in-differences, interrupted time series, power and cost-effectiveness.

Public functions (DESIGN.md section 5)::

    we.balance(table, arm, covariates, weights=None)
    we.compare(table, outcome, arm, covariates=None, method=..., cluster=None, by=None)
    we.compare_all(table, ...)
    we.did(...), we.its(...), we.power(...), we.cea(...)
"""

from __future__ import annotations

from .balancing import BalanceResult, balance, love_plot
from .cost_effectiveness import CEAResult, cea
from .diff_in_diff import DiDResult, did
from .effects import compare, compare_all, holm_adjust
from .results import CompareResult
from .sample_size import PowerResult, power
from .time_series import ITSResult, its

__all__ = [
    "compare",
    "compare_all",
    "balance",
    "love_plot",
    "did",
    "its",
    "power",
    "cea",
    "holm_adjust",
    "CompareResult",
    "BalanceResult",
    "DiDResult",
    "ITSResult",
    "PowerResult",
    "CEAResult",
]
