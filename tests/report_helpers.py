"""Helpers for the report tests: a tiny hand-made pilot and marker checks."""

from __future__ import annotations

import pandas as pd

from wattelt_eval import PilotData
from wattelt_eval.schema import TABLES, coerce_table


def tiny_pilot() -> PilotData:
    """Two trajectories, two contacts, one goal, one provision: every value known by hand."""
    tabs = {n: TABLES[n].empty_frame() for n in TABLES}
    tabs["trajectories"] = coerce_table(
        "trajectories",
        pd.DataFrame(
            {
                "trajectory_id": ["T2", "T1"],
                "resident_id": ["R2", "R1"],
                "arm": ["supply_driven", "demand_driven"],
                "municipality": ["GM0772", "GM0772"],
                "team": ["b", "a"],
                "start_date": ["2025-02-01", "2025-01-15"],
                "birth_year": [1960, 1950],
                "sex": ["male", "female"],
                "household": ["couple", "single"],
            },
            index=pd.Index([2, 3], name="row"),
        ),
    )
    tabs["contacts"] = coerce_table(
        "contacts",
        pd.DataFrame(
            {
                "contact_id": ["C1", "C2"],
                "trajectory_id": ["T1", "T2"],
                "date": ["2025-01-15", "2025-02-01"],
                "organisation": ["wijkteam, noord", "loket"],
                "role": ["generalist", "service_desk"],
                "contact_type": ["intake", "intake"],
                "story_told": [True, pd.NA],
            },
            index=pd.Index([2, 3], name="row"),
        ),
    )
    tabs["goals"] = coerce_table(
        "goals",
        pd.DataFrame(
            {
                "goal_id": ["G1"],
                "trajectory_id": ["T1"],
                "stage": ["intake"],
                "author": ["resident"],
                "text": ['Weer "zelf" boodschappen doen'],
                "status": ["active"],
                "attainment": [1],
            },
            index=pd.Index([2], name="row"),
        ),
    )
    tabs["provisions"] = coerce_table(
        "provisions",
        pd.DataFrame(
            {
                "provision_id": ["V1"],
                "trajectory_id": ["T2"],
                "category": ["02"],
                "start_date": ["2025-03-01"],
                "volume": [3.0],
                "unit": ["hour"],
                "frequency": ["per_week"],
                "unit_price": [65.5],
                "amount": [float("nan")],  # coerce_table cannot cast an absent float column
            },
            index=pd.Index([2], name="row"),
        ),
    )
    return PilotData(**tabs)


#: Marker carried by every identifier and every goal text of :func:`marked_pilot`.
MARKER = "QZXMARK"

#: Identifier (and organisation name) columns per table; goal ``derived_from`` refers to goal ids.
ID_COLUMNS = {
    "trajectories": ["trajectory_id", "resident_id"],
    "contacts": ["contact_id", "trajectory_id", "professional_id", "organisation"],
    "goals": ["goal_id", "trajectory_id", "derived_from"],
    "domain_scores": ["trajectory_id"],
    "provisions": ["provision_id", "trajectory_id"],
    "staff_time": ["trajectory_id"],
}


def marked_pilot(n: int = 240, seed: int = 8) -> PilotData:
    """A synthetic pilot whose ids, organisations and goal texts carry :data:`MARKER` (leak test).

    Every identifier becomes ``<MARKER><old id>`` (consistently across tables) and
    every goal text ``<MARKER>-<row> <old text>``, so each text is unique too.
    """
    from wattelt_eval import synth

    data = synth.generate(n, seed=seed, superpopulation=None)
    for name, cols in ID_COLUMNS.items():
        df = data.tables[name].copy()
        for c in cols:
            s = df[c].astype("string")
            df[c] = (MARKER + s).astype("string")
        setattr(data, name, df)
    g = data.goals.copy()
    pos = pd.Series(range(len(g)), index=g.index).astype("string")
    g["text"] = (MARKER + "-" + pos + " " + g["text"].astype("string").fillna("")).astype("string")
    data.goals = g
    data.truth = None
    return data
