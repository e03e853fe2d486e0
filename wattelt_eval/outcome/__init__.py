"""The outcome stage: per-trajectory outcome table, exclusion log, flow and domain monitoring.

Reads a validated :class:`~wattelt_eval.data.PilotData`; every comparison, figure and
report reads the tables built here. Definitions (Dutch and English, worked examples):
``docs/outcomes.md``.
"""

from __future__ import annotations

from .tables import GAS_RHO, REASONS, TABLE_COLUMNS, OutcomeSet, gas_t_score, outcome_set, outcomes

__all__ = [
    "GAS_RHO",
    "OutcomeSet",
    "REASONS",
    "TABLE_COLUMNS",
    "gas_t_score",
    "outcome_set",
    "outcomes",
]
