"""Figures for researchers and reports: each function returns a matplotlib Figure.

Every figure

* has Dutch (``lang="nl"``, default) or English (``lang="en"``) labels (texts in
  ``i18n/messages/plots.toml``, numbers through :mod:`wattelt_eval.i18n.format`);
* uses the colour-blind safe Okabe–Ito palette (Okabe & Ito 2008);
* respects the disclosure rule: groups (arms, bins, categories) with fewer
  residents than the threshold (``min_count``; default the study's
  ``disclosure.threshold``, 10) are dropped or merged, and the figure carries a
  note saying so (also in ``fig.wattelt_notes``);
* draws from tables the outcome stage produces (the outcome table, ``OutcomeSet``'s
  domain tables, :func:`wattelt_eval.outcome.goal_table`,
  :func:`~wattelt_eval.outcome.contact_table`, :func:`~wattelt_eval.outcome.score_table`):
  no outcome rule is computed here.

The table behind each figure is available from the matching ``*_data`` function
(``board_data``, ``cohort_board_data``, ``goal_flow_data``, ``retelling_data``,
``cost_data``, ``forest_data``, ``flow_data``, ``domain_trends_data``,
``agreement_data``, ``monitor_data``), so a researcher can print what is drawn. See
``docs/figures.md``.

Figures (module)
----------------
board, cohort_board (``board``)
    The Wat telt board of one trajectory (individual data: for the researcher's
    workbench, never for publication); per arm, the mean first and latest score per
    domain and the shares of residents improved, the same and worse.
goal_flow (``goals``)
    The resident's intake goals per arm, stage by stage: retained, reworded,
    achieved or lost.
retellings (``retelling``)
    Distribution of retellings per arm and where in the chain they happen.
costs (``costs``)
    Costs per arm: share without costs, the positive part on a log scale, and
    the mean per CBS group of iWmo categories plus staff time.
domain_trends (``domains``)
    The board over time: mean score per measurement, per domain and arm.
agreement (``agreement``)
    Multi-rater agreement per domain (resident vs professional vs carer): mean
    gap with Bland–Altman limits of agreement, and quadratic-weighted kappa.
love_plot (``love``)
    Covariate balance before and after weighting.
forest (``forest``)
    All comparisons with their confidence intervals, method named.
flow (``flow``)
    CONSORT-style flow of residents and records.
monitor_chart (``implementation``)
    Implementation monitor: control chart of one indicator, a panel per team, signals
    marked (from :func:`wattelt_eval.monitor`).

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from ._common import (
    ARM_COLORS,
    CHANGE_COLORS,
    CHANGES,
    COST_COMPONENT_COLORS,
    COST_COMPONENT_COLUMNS,
    GOAL_STATE_COLORS,
    GOAL_STATES,
    OKABE_ITO,
    RATER_COLORS,
    Lang,
    arm_label,
)
from .agreement import agreement, agreement_data, weighted_kappa
from .board import board, board_data, cohort_board, cohort_board_data
from .costs import cost_data, costs
from .domains import domain_trends, domain_trends_data
from .flow import FLOW_OUTCOMES, flow, flow_data
from .forest import METHOD_LABELS, METHOD_ORDER, OUTCOME_LABELS, forest, forest_data, outcome_label
from .goals import goal_flow, goal_flow_data, goal_lineage, goal_states
from .implementation import monitor_chart, monitor_data
from .love import love_plot
from .retelling import contact_tellings, retelling_data, retellings

__all__ = [
    "ARM_COLORS",
    "CHANGES",
    "CHANGE_COLORS",
    "COST_COMPONENT_COLORS",
    "COST_COMPONENT_COLUMNS",
    "FLOW_OUTCOMES",
    "GOAL_STATES",
    "GOAL_STATE_COLORS",
    "Lang",
    "METHOD_LABELS",
    "METHOD_ORDER",
    "OKABE_ITO",
    "OUTCOME_LABELS",
    "RATER_COLORS",
    "agreement",
    "agreement_data",
    "arm_label",
    "board",
    "board_data",
    "cohort_board",
    "cohort_board_data",
    "contact_tellings",
    "cost_data",
    "costs",
    "domain_trends",
    "domain_trends_data",
    "flow",
    "flow_data",
    "forest",
    "forest_data",
    "goal_flow",
    "goal_flow_data",
    "goal_lineage",
    "goal_states",
    "love_plot",
    "monitor_chart",
    "monitor_data",
    "outcome_label",
    "retelling_data",
    "retellings",
    "weighted_kappa",
]
