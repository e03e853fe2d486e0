"""Comparison engine: baseline balance, adjusted and clustered effect estimates,
difference-in-differences, interrupted time series, power and cost-effectiveness.

Public functions (``docs/methods.md``)::

    we.balance(table, arm, covariates, weights=None)
    we.compare(table, outcome, arm, covariates=None, method=..., cluster=None, by=None)
    we.compare_all(table, ...)
    we.did(...), we.its(...), we.power(...), we.cea(...)
    we.event_study(...), we.twfe(...), we.synthetic_control(...)

Module map (each imports only the modules listed before it; no cycles):

- ``literals``: option types (``Method``, ``Kind``, ``CIMethod``, ``PowerKind``) and ``check``;
- ``bootstrap``, ``_models``, ``_core``: variances, model fits with influence functions,
  point estimators (the model layer);
- ``_shared``: catalogue texts, errors, arm indicator, analysis rows (``Prepared``), the
  fitted-model handle (``FittedModel``, ``fit_model``), intervals;
- ``results``: the result protocol (``TableView``: one printer for ``summary``, ``repr``
  and HTML from the tidy table) and ``CompareResult``;
- ``effects`` (``compare``, ``compare_all``, ``holm_adjust``), ``balancing`` (``balance``,
  ``love_plot``), ``diff_in_diff``, ``time_series``, ``sample_size``;
- ``cost_effectiveness`` (``cea``: reuses the fits of two ``compare`` results);
- ``_panel`` (cells, two-way fixed effects, the imputation estimator: the model layer of
  the rollout designs), ``staggered`` (``event_study``, ``twfe``), ``synthetic``
  (``synthetic_control``).
"""

from __future__ import annotations

from ._shared import FittedModel
from .balancing import BalanceResult, balance, love_plot
from .cost_effectiveness import CEAResult, cea
from .diff_in_diff import DiDResult, did
from .effects import compare, compare_all, holm_adjust
from .imputation import MIResult, impute_and_compare
from .results import CompareResult, TableView
from .sample_size import PowerResult, power
from .staggered import EventStudyResult, TWFEResult, event_study, twfe
from .synthetic import SynthResult, synthetic_control
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
    "impute_and_compare",
    "MIResult",
    "CompareResult",
    "BalanceResult",
    "DiDResult",
    "ITSResult",
    "PowerResult",
    "CEAResult",
    "FittedModel",
    "TableView",
    "event_study",
    "twfe",
    "synthetic_control",
    "EventStudyResult",
    "TWFEResult",
    "SynthResult",
]
