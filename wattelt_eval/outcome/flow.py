"""The CONSORT-style flow table: per outcome, how many trajectories are analysed, and why not.

Steps and their labels (``outcome.flow.<step>`` in the catalogue): ``docs/outcomes.md``
section 10. Within an outcome, ``total - sum(excluded) == analysed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..i18n import pair
from .trajectories import _Traj

if TYPE_CHECKING:
    from ..data import PilotData


def _flow(
    data: PilotData, table: pd.DataFrame, tr: _Traj, ginfo: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The flow table: per outcome, total, exclusions by step and analysed (section 10)."""
    rows: list[tuple[str, str, str, int]] = []
    load = data.exclusions
    n_load = 0
    if load is not None and len(load):
        n_load = int((load["table"].astype("string") == "trajectories").sum())
    n = len(table)
    rows += [
        ("trajectories", "received", "total", n + n_load + tr.n_duplicates + tr.n_missing_id),
        ("trajectories", "excluded_at_load", "excluded", n_load),
        ("trajectories", "missing_trajectory_id", "excluded", tr.n_missing_id),
        ("trajectories", "duplicate_trajectory_id", "excluded", tr.n_duplicates),
        ("trajectories", "analysed", "analysed", n),
    ]
    n_goals = ginfo["n_goals"]
    first_stage, last_stage = ginfo["first_stage"], ginfo["last_stage"]
    nr = table["n_resident_goals"].to_numpy(dtype=np.int64)
    nf = table["n_goals_final"].to_numpy(dtype=np.int64)
    no_goals = n_goals == 0
    analysed_r = nr > 0
    rows += [
        ("goal_retention", "included", "total", n),
        ("goal_retention", "no_goals", "excluded", int(no_goals.sum())),
        ("goal_retention", "no_resident_goals", "excluded", int((~no_goals & (nr == 0)).sum())),
        ("goal_retention", "analysed", "analysed", int(table["goal_retention"].notna().sum())),
        (
            "goal_retention",
            "earliest_stage_not_intake",
            "info",
            int((analysed_r & (first_stage > 0)).sum()),
        ),
        (
            "goal_retention",
            "single_stage",
            "info",
            int((analysed_r & (first_stage == last_stage)).sum()),
        ),
        ("goal_ownership", "included", "total", n),
        ("goal_ownership", "no_goals", "excluded", int(no_goals.sum())),
        ("goal_ownership", "no_final_goals", "excluded", int((~no_goals & (nf == 0)).sum())),
        ("goal_ownership", "analysed", "analysed", int(table["goal_ownership"].notna().sum())),
        ("gas_t", "included", "total", n),
        ("gas_t", "no_attainment", "excluded", int(table["gas_t"].isna().sum())),
        ("gas_t", "analysed", "analysed", int(table["gas_t"].notna().sum())),
    ]
    nc = table["n_contacts"].to_numpy(dtype=np.int64)
    rows += [
        ("n_tellings", "included", "total", n),
        ("n_tellings", "no_contacts", "excluded", int((nc == 0).sum())),
        ("n_tellings", "analysed", "analysed", int(table["n_tellings"].notna().sum())),
        ("retells_inferred", "included", "total", n),
        (
            "retells_inferred",
            "no_tellings",
            "excluded",
            int(table["retells_inferred"].isna().sum()),
        ),
        ("retells_inferred", "analysed", "analysed", int(table["retells_inferred"].notna().sum())),
    ]
    no_start = int((~tr.start_valid).sum())
    cost_na = int(table["cost_total"].isna().sum())
    rows += [
        ("cost_total", "included", "total", n),
        ("cost_total", "start_date_missing", "excluded", no_start),
        ("cost_total", "cost_unknown", "excluded", cost_na - no_start),
        ("cost_total", "analysed", "analysed", n - cost_na),
        (
            "cost_total",
            "full_follow_up",
            "info",
            int((table["full_follow_up"].fillna(False) & table["cost_total"].notna()).sum()),
        ),
    ]
    rows += [
        ("n_problem_domains_t0", "included", "total", n),
        (
            "n_problem_domains_t0",
            "no_resident_scores_t0",
            "excluded",
            int(table["n_problem_domains_t0"].isna().sum()),
        ),
        (
            "n_problem_domains_t0",
            "analysed",
            "analysed",
            int(table["n_problem_domains_t0"].notna().sum()),
        ),
        ("mean_change_resident", "included", "total", n),
        (
            "mean_change_resident",
            "fewer_than_two_measurements",
            "excluded",
            int(table["mean_change_resident"].isna().sum()),
        ),
        (
            "mean_change_resident",
            "analysed",
            "analysed",
            int(table["mean_change_resident"].notna().sum()),
        ),
        ("disagreement_t0", "included", "total", n),
        ("disagreement_t0", "no_pair_t0", "excluded", int(table["disagreement_t0"].isna().sum())),
        ("disagreement_t0", "analysed", "analysed", int(table["disagreement_t0"].notna().sum())),
    ]
    flow = pd.DataFrame(rows, columns=["outcome", "step", "kind", "n"])
    labels = {s: pair(f"outcome.flow.{s}") for s in dict.fromkeys(flow["step"])}
    flow["label_nl"] = [labels[s][0] for s in flow["step"]]
    flow["label_en"] = [labels[s][1] for s in flow["step"]]
    flow["n"] = flow["n"].astype(np.int64)
    return flow
