"""The outcome stage: per-trajectory outcome table, exclusion log, flow and domain monitoring.

Reads a validated :class:`~wattelt_eval.data.PilotData`; every comparison, figure and
report reads the tables built here. Definitions (Dutch and English, worked examples):
``docs/outcomes.md``.

Modules: ``tables`` (:func:`outcome_set`, :class:`OutcomeSet`), one per rule family
(``trajectories``, ``goals``, ``tellings``, ``costs``, ``domains``), ``log`` (exclusion
log), ``flow`` (flow table) and ``_arrays`` (vectorised helpers).
"""

from __future__ import annotations

from .dictionary import outcome_dictionary
from .domains import SCORE_COLUMNS, domain_tables, score_table
from .goals import GAS_RHO, GOAL_COLUMNS, gas_t_score, goal_table
from .log import REASONS
from .tables import TABLE_COLUMNS, OutcomeSet, outcome_set, outcomes
from .tellings import CONTACT_COLUMNS, contact_table

__all__ = [
    "CONTACT_COLUMNS",
    "GAS_RHO",
    "GOAL_COLUMNS",
    "OutcomeSet",
    "REASONS",
    "SCORE_COLUMNS",
    "TABLE_COLUMNS",
    "contact_table",
    "domain_tables",
    "gas_t_score",
    "goal_table",
    "outcome_dictionary",
    "outcome_set",
    "outcomes",
    "score_table",
]
