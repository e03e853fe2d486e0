"""A tiny hand-made pilot for the figure tests; every expected number is worked out by hand.

Trajectories: T1, T2 demand-driven; T3, T4 supply-driven; instrument huizen5.

Resident domain scores (first -> latest):
  T1 health 3 -> 6, finances 5 -> 5   (professional health 4 -> 5, carer health 2 once)
  T2 health 6 -> 4, finances 2 -> 7
  T3 health 4 -> 4, finances 3 -> 2 -> 6 (latest 6)
  T4 health 5 -> 8, finances 4 once (not counted)

Goals (resident goals = first stage, author resident/jointly):
  T1 G1 (resident) -> G4 same text -> G7 achieved at final;  G3 (jointly) -> G5 reworded -> G8 dropped
  T2 G9 -> G10 achieved at plan (last stage);  G11 has no descendant at plan (lost)
  T3 only a professional goal (no resident goals)
  T4 starts at plan: G14 -> G15 same text up to case/spacing (retained);
     G16 -> G17 new wording, partly achieved (reworded)

Contacts (tellings; retellings are the tellings after the first):
  T1 C1 intake org A (inferred) | C2 assessment org B (inferred, retelling at generalist)
     | C3 follow-up | C4 handover, story_told (retelling at specialist)    -> 2 retellings
  T2 C5 intake story_told | C6 assessment, org A seen | C7 assessment, plan available -> 0
  T3 C8 intake org A | C9 assessment org E same date (consultant) | C10 handover story_told
     (specialist) | C11 follow-up story_told (specialist)                 -> 3 retellings
  T4 no contacts                                                          -> 0
"""

from __future__ import annotations

import pandas as pd

from wattelt_eval import PilotData, StudySettings
from wattelt_eval.schema import TABLES, coerce_table

NA = pd.NA


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows) if rows else TABLES[name].empty_frame()
    df.index = range(2, len(df) + 2)
    return coerce_table(name, df)


def tiny_pilot() -> PilotData:
    traj = _frame(
        "trajectories",
        [
            dict(
                trajectory_id=f"T{i}",
                resident_id=f"R{i}",
                arm=arm,
                municipality="GM0402",
                team=team,
                start_date="2025-01-01",
                end_date="2025-10-01",
                end_reason="goals_achieved",
                birth_year=1950 + i,
                sex="female",
                household="single",
            )
            for i, arm, team in [
                (1, "demand_driven", "a"),
                (2, "demand_driven", "b"),
                (3, "supply_driven", "c"),
                (4, "supply_driven", "d"),
            ]
        ],
    )
    s = []

    def score(t: str, m: int, d: str, r: str, v: float) -> None:
        s.append(
            dict(
                trajectory_id=t,
                measurement=m,
                domain=d,
                rater=r,
                score=v,
                date=f"2025-0{m + 1}-01",
                instrument="huizen5",
            )
        )

    score("T1", 0, "health", "resident", 3)
    score("T1", 1, "health", "resident", 6)
    score("T1", 0, "finances", "resident", 5)
    score("T1", 1, "finances", "resident", 5)
    score("T1", 0, "health", "professional", 4)
    score("T1", 1, "health", "professional", 5)
    score("T1", 0, "health", "informal_carer", 2)
    score("T2", 0, "health", "resident", 6)
    score("T2", 1, "health", "resident", 4)
    score("T2", 0, "finances", "resident", 2)
    score("T2", 1, "finances", "resident", 7)
    score("T3", 0, "health", "resident", 4)
    score("T3", 1, "health", "resident", 4)
    score("T3", 0, "finances", "resident", 3)
    score("T3", 1, "finances", "resident", 2)
    score("T3", 2, "finances", "resident", 6)
    score("T4", 0, "health", "resident", 5)
    score("T4", 1, "health", "resident", 8)
    score("T4", 0, "finances", "resident", 4)

    def goal(gid, t, stage, author, text, derived, status):
        return dict(
            goal_id=gid,
            trajectory_id=t,
            stage=stage,
            author=author,
            text=text,
            derived_from=derived,
            status=status,
        )

    goals = [
        goal("G1", "T1", "intake", "resident", "Zelf boodschappen doen", None, "active"),
        goal("G2", "T1", "intake", "professional", "Medicatie op orde", None, "active"),
        goal("G3", "T1", "intake", "jointly", "Vrienden zien", None, "active"),
        goal("G4", "T1", "plan", "resident", "Zelf boodschappen doen", "G1", "active"),
        goal("G5", "T1", "plan", "jointly", "Wekelijks vrienden zien", "G3", "active"),
        goal("G6", "T1", "plan", "professional", "Medicatie op orde", "G2", "active"),
        goal("G7", "T1", "final", "resident", "Zelf boodschappen doen", "G4", "achieved"),
        goal("G8", "T1", "final", "jointly", "Wekelijks vrienden zien", "G5", "dropped"),
        goal("G9", "T2", "intake", "resident", "Schulden oplossen", None, "active"),
        goal("G11", "T2", "intake", "resident", "Werk vinden", None, "active"),
        goal("G10", "T2", "plan", "resident", "Schulden oplossen", "G9", "achieved"),
        goal("G12", "T3", "intake", "professional", "Dagbesteding", None, "active"),
        goal("G13", "T3", "plan", "professional", "Dagbesteding", "G12", "active"),
        goal("G14", "T4", "plan", "resident", "Meer bewegen", None, "active"),
        goal("G16", "T4", "plan", "resident", "Hulp in huis", None, "active"),
        goal("G15", "T4", "final", "resident", "meer  bewegen", "G14", "active"),
        goal("G17", "T4", "final", "resident", "Hulp bij schoonmaken", "G16", "partly_achieved"),
    ]

    def contact(cid, t, date, org, role, ctype, told=NA, plan=NA):
        return dict(
            contact_id=cid,
            trajectory_id=t,
            date=date,
            organisation=org,
            role=role,
            contact_type=ctype,
            story_told=told,
            plan_available=plan,
        )

    contacts = [
        contact("C1", "T1", "2025-01-05", "A", "service_desk", "intake"),
        contact("C2", "T1", "2025-01-10", "B", "generalist", "assessment", plan=False),
        contact("C3", "T1", "2025-01-20", "B", "generalist", "follow_up"),
        contact("C4", "T1", "2025-02-01", "C", "specialist", "handover", told=True),
        contact("C5", "T2", "2025-02-01", "A", "service_desk", "intake", told=True),
        contact("C6", "T2", "2025-02-03", "A", "generalist", "assessment"),
        contact("C7", "T2", "2025-02-10", "D", "specialist", "assessment", plan=True),
        contact("C9", "T3", "2025-01-02", "E", "consultant", "assessment"),
        contact("C8", "T3", "2025-01-02", "A", "service_desk", "intake"),
        contact("C10", "T3", "2025-01-15", "F", "specialist", "handover", told=True),
        contact("C11", "T3", "2025-01-25", "F", "specialist", "follow_up", told=True),
    ]
    return PilotData(
        trajectories=traj,
        contacts=_frame("contacts", contacts),
        goals=_frame("goals", goals),
        domain_scores=_frame("domain_scores", s),
        provisions=_frame("provisions", []),
        staff_time=_frame("staff_time", []),
        study=StudySettings(name="tiny", instrument="huizen5"),
        source="tiny",
    )


#: Hand-made outcome-table rows for the cost figure: components per trajectory.
COST_ROWS = {
    # arm, household_help, support_at_home, aids_and_services, residential, general, staff
    "D1": ("demand_driven", 0, 0, 0, 0, 0, 0),
    "D2": ("demand_driven", 0, 60, 0, 0, 0, 40),
    "D3": ("demand_driven", 500, 0, 300, 0, 100, 100),
    "S1": ("supply_driven", 0, 0, 0, 0, 0, 0),
    "S2": ("supply_driven", 0, 0, 0, 0, 0, 0),
    "S3": ("supply_driven", 0, 4000, 0, 800, 0, 200),
}


def tiny_cost_table(copies: int = 1) -> pd.DataFrame:
    """An outcome table with only the cost columns, each row repeated ``copies`` times."""
    comps = [
        "cost_household_help",
        "cost_support_at_home",
        "cost_aids_and_services",
        "cost_residential_and_shelter",
        "cost_general",
        "cost_staff",
    ]
    rows = []
    for k in range(copies):
        for tid, (arm, *vals) in COST_ROWS.items():
            r = dict(
                zip(comps, map(float, vals), strict=False), trajectory_id=f"{tid}_{k}", arm=arm
            )
            rows.append(r)
    t = pd.DataFrame(rows)
    t["cost_staff"] = t["cost_staff"].astype(float)
    t["cost_provisions"] = t[comps[:5]].sum(axis=1)
    t["cost_total"] = t["cost_provisions"] + t["cost_staff"]
    t["any_provision"] = t[comps[:4]].sum(axis=1) > 0
    return t
