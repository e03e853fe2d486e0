"""Comparison engine: baseline balance, adjusted and clustered effect estimates,
difference-in-differences, interrupted time series, power and cost-effectiveness.

Public functions (DESIGN.md section 5)::

    we.balance(table, arm, covariates, weights=None)
    we.compare(table, outcome, arm, covariates=None, method=..., cluster=None, by=None)
    we.compare_all(table, ...)
    we.did(...), we.its(...), we.power(...), we.cea(...)
"""

from __future__ import annotations

from .balance import BalanceResult, balance, love_plot
from .cea import CEAResult, cea
from .cli import add_cli, run_cli
from .did import DiDResult, did
from .estimate import compare, compare_all, holm_adjust
from .its import ITSResult, its
from .power import PowerResult, power
from .result import CompareResult

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
    "add_cli",
    "run_cli",
]
