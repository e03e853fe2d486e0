"""Helpers for the outcome tests: build tiny canonical pilot packages by hand."""

from __future__ import annotations

import pandas as pd

from wattelt_eval.data import PilotData, StudySettings
from wattelt_eval.schema import TABLES, coerce_table


def frame(name: str, rows: list[dict] | None) -> pd.DataFrame:
    """Canonical table from a list of dicts; index = row number as in a file (header = 1)."""
    if not rows:
        return TABLES[name].empty_frame()
    df = pd.DataFrame(rows)
    df.index = pd.RangeIndex(2, 2 + len(df))
    return coerce_table(name, df)


def make_data(
    trajectories: list[dict],
    contacts: list[dict] | None = None,
    goals: list[dict] | None = None,
    domain_scores: list[dict] | None = None,
    provisions: list[dict] | None = None,
    staff_time: list[dict] | None = None,
    study: StudySettings | None = None,
) -> PilotData:
    """A PilotData from hand-written rows (missing columns filled with <NA>)."""
    base = {
        "resident_id": None,
        "arm": "demand_driven",
        "municipality": "GM0772",
        "birth_year": 1950,
        "sex": "female",
        "household": "single",
    }
    trajectories = [
        {**base, "resident_id": t["trajectory_id"].replace("T", "R"), **t} for t in trajectories
    ]
    return PilotData(
        trajectories=frame("trajectories", trajectories),
        contacts=frame("contacts", contacts),
        goals=frame("goals", goals),
        domain_scores=frame("domain_scores", domain_scores),
        provisions=frame("provisions", provisions),
        staff_time=frame("staff_time", staff_time),
        study=study or StudySettings(),
        source="test",
    )
