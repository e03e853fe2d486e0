"""Hand-worked tests of the outcome table (docs/outcomes.md).

One tiny package, built row by row below, exercises every rule. Every expected value
is worked out by hand in the comments next to the assertion.

Dates used throughout (worked out by hand):
- 2025 is not a leap year. Window of a trajectory starting 2025-01-01 with 365 days:
  2025-01-01 .. 2025-12-31 (both inclusive).
- 2024-07-01 .. 2025-06-30 = 184 days in 2024 (Jul 31 + Aug 31 + Sep 30 + Oct 31 +
  Nov 30 + Dec 31) + 181 days in 2025 (Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 +
  Jun 30) = 365 days.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from outcomes_helpers import make_data

import wattelt_eval as we
from wattelt_eval.data import EXCLUSION_COLUMNS, StudySettings
from wattelt_eval.outcome import TABLE_COLUMNS, gas_t_score, outcome_set

TRAJ = [
    {
        "trajectory_id": "T01",
        "start_date": "2025-01-01",
        "arm": "demand_driven",
        "team": "A",
        "birth_year": 1950,
    },
    {
        "trajectory_id": "T02",
        "start_date": "2025-01-01",
        "arm": "supply_driven",
        "team": "B",
        "birth_year": 1980,
    },
    {"trajectory_id": "T03", "start_date": "2025-01-01", "arm": "demand_driven", "team": "A"},
    {"trajectory_id": "T04", "start_date": "2025-01-01", "arm": "demand_driven", "team": "A"},
    {
        "trajectory_id": "T05",
        "start_date": "2025-06-15",
        "end_date": "2025-09-30",
        "end_reason": "goals_achieved",
        "arm": "supply_driven",
        "team": "B",
    },
    {"trajectory_id": "T06", "start_date": "2025-01-01", "arm": "supply_driven", "team": "B"},
    {"trajectory_id": "T07", "start_date": "2025-01-01", "arm": "supply_driven", "team": "B"},
]


def _g(gid, tid, stage, author, status, derived_from=None, attainment=None):
    return {
        "goal_id": gid,
        "trajectory_id": tid,
        "stage": stage,
        "author": author,
        "status": status,
        "derived_from": derived_from,
        "attainment": attainment,
    }


GOALS = [
    # T01: reworded goal, chain across three stages, jointly authored goal.
    _g("G1", "T01", "intake", "resident", "active"),  # R
    _g("G2", "T01", "intake", "jointly", "active"),  # R (jointly authored)
    _g("G3", "T01", "intake", "professional", "active"),  # not R, never carried: not used
    _g("G4", "T01", "plan", "professional", "active", "G1"),  # G1 reworded by the professional
    _g("G5", "T01", "plan", "jointly", "active", "G2"),  # G2 carried to plan, then lost
    _g("G6", "T01", "final", "professional", "partly_achieved", "G4", 1),  # G1 -> G4 -> G6
    _g("G7", "T01", "final", "professional", "active", None, 0),  # new professional goal
    # T02: a goal achieved and then left out of the plan; a dropped goal.
    _g("G8", "T02", "intake", "resident", "active"),
    _g("G9", "T02", "intake", "resident", "active"),
    _g("G10", "T02", "plan", "resident", "achieved", "G8"),  # achieved, not carried further
    _g("G11", "T02", "plan", "resident", "active", "G9"),
    _g("G12", "T02", "review", "resident", "dropped", "G11"),  # dropped at review
    _g("G13", "T02", "final", "professional", "active"),
    # T03: a goal carried to the final plan but dropped there.
    _g("G14", "T03", "intake", "resident", "active"),
    _g("G15", "T03", "final", "resident", "dropped", "G14"),
    _g("G16", "T03", "final", "jointly", "active"),
    # T04: no resident goals; a link to a goal of another trajectory.
    _g("G17", "T04", "intake", "professional", "active"),
    _g("G18", "T04", "final", "professional", "active", "G17", 2),
    _g("G26", "T04", "final", "resident", "active", "G22"),  # G22 is in T07: link invalid
    # T05: no goals at all.
    # T06: goals at one stage only (earliest = last = plan; no intake stage).
    _g("G19", "T06", "plan", "resident", "achieved", None, 2),
    _g("G20", "T06", "plan", "resident", "dropped"),
    _g("G21", "T06", "plan", "professional", "active"),
    # T07: broken links.
    _g("G22", "T07", "intake", "resident", "active"),  # R, never carried: lost
    _g("G23", "T07", "plan", "resident", "active", "GXX"),  # unknown parent: new goal
    _g("G24", "T07", "final", "professional", "active", "G23"),  # root G23 (resident)
    _g("G25", "T07", "final", "professional", "active", "G24"),  # same stage: link invalid
    # unknown trajectory
    _g("G27", "T99", "intake", "resident", "active"),
]


def _c(cid, tid, date, org, ctype, story=None, plan=None):
    return {
        "contact_id": cid,
        "trajectory_id": tid,
        "date": date,
        "organisation": org,
        "role": "generalist",
        "contact_type": ctype,
        "story_told": story,
        "plan_available": plan,
    }


CONTACTS = [
    # listed out of date order on purpose: sorting is by date, then contact_id
    _c("C5", "T01", "2025-02-10", "orgD", "assessment", story=True),  # observed telling
    _c("C1", "T01", "2025-01-01", "orgA", "intake"),  # inferred: new org, intake
    _c("C2", "T01", "2025-01-10", "orgA", "assessment"),  # orgA seen: no
    _c("C3", "T01", "2025-01-20", "orgB", "assessment", plan=True),  # shared plan: no
    _c("C4", "T01", "2025-02-01", "orgC", "follow_up"),  # not intake/assessment: no
    _c("C6", "T01", "2025-02-15", "orgE", "intake", story=False),  # observed not told
    _c("C7", "T01", "2025-03-01", "orgE", "assessment"),  # orgE seen in C6: no
    _c("C8", "T01", "2025-03-01", "orgF", "intake"),  # inferred: new org
    # same date, same new org: "C10" < "C9" as strings, so C10 comes first
    _c("C9", "T01", "2025-04-01", "orgG", "assessment", plan=True),  # orgG seen in C10: no
    _c("C10", "T01", "2025-04-01", "orgG", "intake"),  # inferred: new org, no plan
    _c("C11", "T03", "2025-01-02", "orgA", "intake", story=True),
    _c("C12", "T99", "2025-01-02", "orgA", "intake", story=True),  # unknown trajectory
]


def _p(
    pid,
    tid,
    cat,
    start,
    end=None,
    amount=None,
    volume=None,
    unit=None,
    unit_price=None,
    frequency=None,
):
    return {
        "provision_id": pid,
        "trajectory_id": tid,
        "category": cat,
        "start_date": start,
        "end_date": end,
        "amount": amount,
        "volume": volume,
        "unit": unit,
        "unit_price": unit_price,
        "frequency": frequency,
    }


PROVISIONS = [
    # T01 (window 2025-01-01 .. 2025-12-31)
    # straddles the window start: 3650 over 365 days = 10/day; 181 days inside -> 1810
    _p("P1", "T01", "02", "2024-07-01", "2025-06-30", amount=3650.0),
    # open-ended, per_week, 3 h x 35 = 105/week = 15/day; Dec 1..31 = 31 days -> 465
    _p(
        "P2",
        "T01",
        "01",
        "2025-12-01",
        volume=3,
        unit="hour",
        unit_price=35.0,
        frequency="per_week",
    ),
    # one day, volume x price = 1 x 2500 -> 2500 (aids and services)
    _p("P3", "T01", "13", "2025-03-01", "2025-03-01", volume=1, unit="piece", unit_price=2500.0),
    # per_month 4 day parts x 50 = 200/month = 200/30.4375 per day; Oct 1..Dec 31 = 92 days
    # -> 200 * 92 / 30.4375 = 604.5174537987679
    _p(
        "P4",
        "T01",
        "07",
        "2025-10-01",
        "2026-03-31",
        volume=4,
        unit="day_part",
        unit_price=50.0,
        frequency="per_month",
    ),
    # general provision (category 00): 100 -> cost_general, not an individual provision
    _p("P5", "T01", "00", "2025-02-01", "2025-02-28", amount=100.0),
    # wholly after the window: excluded
    _p("P6", "T01", "02", "2026-02-01", "2026-03-01", amount=500.0),
    # unit euro without unit_price: price 1 -> 250 over May (31 days), all inside
    _p("P7", "T01", "06", "2025-05-01", "2025-05-31", volume=250, unit="euro"),
    # T02: no amount and no price: cost unknown, but it is an individual provision
    _p("P8", "T02", "02", "2025-03-01", "2025-03-31", volume=10, unit="hour"),
    # T03: open-ended total, starts before the window: 395 spread over
    # 2024-12-02 .. 2025-12-31 = 30 + 365 = 395 days = 1/day; 365 days inside -> 365
    _p("P9", "T03", "00", "2024-12-02", amount=395.0),
    # T05 (window 2025-06-15 .. 2026-06-14): per_week 2 x 30 = 60/week; all 365 days inside
    # -> 60 / 7 * 365 = 3128.5714285714284
    _p(
        "P10",
        "T05",
        "01",
        "2025-06-01",
        "2026-12-31",
        volume=2,
        unit="hour",
        unit_price=30.0,
        frequency="per_week",
    ),
    # T04: ends before it starts: excluded
    _p("P11", "T04", "02", "2025-05-01", "2025-04-01", amount=10.0),
    _p("P12", "T99", "02", "2025-05-01", "2025-05-02", amount=10.0),  # unknown trajectory
]

STAFF = [
    {
        "trajectory_id": "T01",
        "date": "2025-01-05",
        "role": "generalist",
        "minutes": 90,
    },  # 90*80/60 = 120
    {
        "trajectory_id": "T01",
        "date": "2025-06-01",
        "role": "specialist",
        "minutes": 30,
    },  # 30*95/60 = 47.5
    {
        "trajectory_id": "T01",
        "date": "2024-12-31",
        "role": "generalist",
        "minutes": 60,
    },  # before: out
    {
        "trajectory_id": "T01",
        "date": "2026-01-01",
        "role": "generalist",
        "minutes": 60,
    },  # day 366: out
]


def _s(tid, m, domain, rater, score, instrument=None):
    return {
        "trajectory_id": tid,
        "measurement": m,
        "domain": domain,
        "rater": rater,
        "score": score,
        "instrument": instrument,
    }


SCORES = [
    # T01 resident: housing 4 -> 6 -> 7, finances 7 -> 5, physical_health 5 -> 5
    _s("T01", 0, "housing", "resident", 4),
    _s("T01", 0, "finances", "resident", 7),
    _s("T01", 0, "physical_health", "resident", 5),
    _s("T01", 1, "housing", "resident", 6),
    _s("T01", 1, "finances", "resident", 5),
    _s("T01", 1, "physical_health", "resident", 5),
    _s("T01", 2, "housing", "resident", 7),
    # T01 professional: housing 6 -> 6, finances 3 (once)
    _s("T01", 0, "housing", "professional", 6),
    _s("T01", 0, "finances", "professional", 3),
    _s("T01", 1, "housing", "professional", 6),
    # T04 resident: housing 6 -> 6, finances 5 -> 4
    _s("T04", 0, "housing", "resident", 6),
    _s("T04", 0, "finances", "resident", 5),
    _s("T04", 1, "housing", "resident", 6),
    _s("T04", 1, "finances", "resident", 4),
    # T02 resident: housing 8 once, plus four rows that cannot contribute
    _s("T02", 0, "housing", "resident", 8),
    _s("T02", 0, "housing", "resident", 3),  # duplicate: only the first counts
    _s("T02", 0, "unknown_x", "resident", 3),  # not a Wat telt domain
    _s("T02", 0, "finances", "resident", 11),  # outside the 1..10 scale
    _s("T02", 0, "finances", "resident", 2, instrument="zrm"),  # other instrument
]


@pytest.fixture(scope="module")
def data():
    return make_data(TRAJ, CONTACTS, GOALS, SCORES, PROVISIONS, STAFF)


@pytest.fixture(scope="module")
def res(data):
    return outcome_set(data, extract_date="2026-01-31")


def row(res, tid):
    t = res.table
    return t.loc[t["trajectory_id"] == tid].iloc[0]


# ---------------------------------------------------------------------------- table shape


def test_one_row_per_trajectory_sorted_with_all_columns(res):
    t = res.table
    assert list(t["trajectory_id"]) == ["T01", "T02", "T03", "T04", "T05", "T06", "T07"]
    assert list(t.index) == list(range(7))
    for c in [
        "trajectory_id",
        "arm",
        "period",
        "municipality",
        "team",
        "start_date",
        "end_date",
        "end_reason",
        "birth_year",
        "sex",
        "household",
        "age",
        *TABLE_COLUMNS,
    ]:
        assert c in t.columns, c
    # age = 2025 - 1950 = 75; 2025 - 1980 = 45
    assert row(res, "T01")["age"] == 75
    assert row(res, "T02")["age"] == 45
    assert row(res, "T05")["end_reason"] == "goals_achieved"


def test_extra_covariates_carried():
    d = make_data(
        [{"trajectory_id": "T1", "start_date": "2025-01-01", "income_band": "low"}],
        study=StudySettings(extra_covariates=["income_band"]),
    )
    t = we.outcomes(d)
    assert t.loc[0, "income_band"] == "low"
    assert list(t.columns).index("income_band") < list(t.columns).index("age")


# ---------------------------------------------------------------------------- goals


def test_reworded_chain_three_stages_and_jointly(res):
    r = row(res, "T01")
    # R = {G1 (resident), G2 (jointly)}; G1 -> G4 -> G6 reaches the final plan: retained;
    # G2 -> G5 stops at plan: lost. retention = 1/2
    assert r["n_resident_goals"] == 2
    assert r["n_resident_goals_retained"] == 1
    assert r["goal_retention"] == 0.5
    # final plan: G6 (root G1, resident) and G7 (root G7, professional): ownership 1/2
    assert r["n_goals_final"] == 2
    assert r["goal_ownership"] == 0.5
    # nothing achieved
    assert r["goals_achieved_share"] == 0.0
    # GAS over final goals with attainment: G6 = +1, G7 = 0 -> n = 2, sum = 1
    # T = 50 + 10 * 1 / sqrt(0.7 * 2 + 0.3 * 4) = 50 + 10 / sqrt(2.6) = 56.20174...
    assert r["gas_t"] == pytest.approx(50 + 10 / math.sqrt(2.6))
    assert r["gas_t"] == pytest.approx(56.2017, abs=1e-4)


def test_achieved_then_left_out_and_dropped(res):
    r = row(res, "T02")
    # G8 -> G10 achieved at plan, then left out: retained (achieved may leave the plan)
    # G9 -> G11 -> G12 dropped at review, nothing at final: lost
    assert r["n_resident_goals"] == 2
    assert r["n_resident_goals_retained"] == 1
    assert r["goal_retention"] == 0.5
    assert r["goals_achieved_share"] == 0.5  # G8's lineage achieved
    assert r["n_goals_final"] == 1  # G13
    assert r["goal_ownership"] == 0.0  # G13 professional
    assert np.isnan(r["gas_t"])  # no attainment recorded


def test_dropped_at_last_stage_is_lost(res):
    r = row(res, "T03")
    # G14 -> G15 reaches final but is dropped there: lost -> retention 0/1
    assert r["n_resident_goals"] == 1
    assert r["goal_retention"] == 0.0
    # final, not dropped: G16 only (jointly root): ownership 1/1
    assert r["n_goals_final"] == 1
    assert r["goal_ownership"] == 1.0


def test_no_resident_goals_and_cross_trajectory_link(res):
    r = row(res, "T04")
    # only a professional goal at intake: R empty -> retention missing
    assert r["n_resident_goals"] == 0
    assert np.isnan(r["goal_retention"])
    assert np.isnan(r["goals_achieved_share"])
    # final: G18 (root G17 professional) and G26 (link to T07 invalid -> own root, resident)
    assert r["n_goals_final"] == 2
    assert r["goal_ownership"] == 0.5
    # GAS: G18 attainment +2, n = 1 -> T = 50 + 10 * 2 / sqrt(0.7 + 0.3) = 70
    assert r["gas_t"] == 70.0


def test_no_goals(res):
    r = row(res, "T05")
    assert r["n_resident_goals"] == 0
    assert r["n_goals_final"] == 0
    assert np.isnan(r["goal_retention"]) and np.isnan(r["goal_ownership"]) and np.isnan(r["gas_t"])


def test_single_stage_without_intake(res):
    r = row(res, "T06")
    # earliest = last = plan. R = {G19 resident achieved, G20 resident dropped}
    # G19 retained, G20 lost -> 1/2; achieved share 1/2
    assert r["n_resident_goals"] == 2
    assert r["goal_retention"] == 0.5
    assert r["goals_achieved_share"] == 0.5
    # final (= plan) not dropped: G19 (resident), G21 (professional) -> 2, ownership 1/2
    assert r["n_goals_final"] == 2
    assert r["goal_ownership"] == 0.5
    # GAS: G19 +2 -> 70
    assert r["gas_t"] == 70.0


def test_broken_links(res):
    r = row(res, "T07")
    # R = {G22}: never carried, not achieved -> retention 0
    assert r["goal_retention"] == 0.0
    # final: G24 (root G23: unknown parent -> new goal by the resident: owned) and
    # G25 (same-stage link invalid -> own root, professional) -> 1/2
    assert r["n_goals_final"] == 2
    assert r["goal_ownership"] == 0.5


def test_goal_exclusions(res):
    ex = res.exclusions
    g = ex[ex["table"] == "goals"].set_index("record_id")["reason"].astype(str).to_dict()
    assert g == {
        "G3": "goal_not_used",
        "G23": "goal_derived_from_unknown",
        "G25": "goal_derived_from_invalid",
        "G26": "goal_derived_from_invalid",
        "G27": "unknown_trajectory",
    }
    # row numbers as in the file: header = 1, G3 is the 3rd data row -> row 4
    assert int(ex.loc[ex["record_id"] == "G3", "row"].iloc[0]) == 4


def test_gas_formula_independent():
    # Kiresuk & Sherman with rho = 0.3, equal weights, worked by hand:
    # n = 3, x = (-1, 0, 2): sum 1; sqrt(0.7*3 + 0.3*9) = sqrt(4.8) = 2.19089
    assert gas_t_score(1, 3) == pytest.approx(50 + 10 / 2.190890230)
    # all goals at the expected level -> 50
    assert gas_t_score(0, 4) == 50.0
    # five goals all +2: sum 10, sqrt(3.5 + 7.5) = sqrt(11) -> 50 + 100/3.3166 = 80.15
    assert gas_t_score(10, 5) == pytest.approx(80.1511, abs=1e-4)
    assert np.isnan(gas_t_score(0, 0))


# ---------------------------------------------------------------------------- tellings


def test_tellings_observed_inferred(res):
    r = row(res, "T01")
    # tellings: C1 (inferred), C5 (observed), C8 (inferred), C10 (inferred) = 4
    assert r["n_contacts"] == 10
    assert r["n_tellings"] == 4
    assert r["n_retells"] == 3
    assert r["retells_inferred"] == 0.75  # 3 of 4 inferred


def test_tellings_no_contacts_and_single(res):
    r2 = row(res, "T02")
    assert r2["n_contacts"] == 0
    assert pd.isna(r2["n_tellings"]) and pd.isna(r2["n_retells"])
    assert np.isnan(r2["retells_inferred"])
    r3 = row(res, "T03")
    assert (r3["n_tellings"], r3["n_retells"], r3["retells_inferred"]) == (1, 0, 0.0)


def test_contact_tie_break_by_contact_id():
    # C9 (plan available) and C10 (no plan) on the same day at a new organisation.
    # Sorted by contact_id, "C10" < "C9": C10 counts (new org, no plan), C9 does not.
    rows = [c for c in CONTACTS if c["contact_id"] in ("C9", "C10")]
    t = we.outcomes(make_data(TRAJ[:1], rows))
    assert t.loc[0, "n_tellings"] == 1
    # reversed ids: now the plan-available contact sorts first and blocks the other
    swapped = [{**rows[0], "contact_id": "C10"}, {**rows[1], "contact_id": "C9"}]
    t = we.outcomes(make_data(TRAJ[:1], swapped))
    assert t.loc[0, "n_tellings"] == 0


# ---------------------------------------------------------------------------- costs


def test_costs_t01(res):
    r = row(res, "T01")
    assert r["cost_household_help"] == pytest.approx(465.0)  # P2
    # P1 1810 + P4 604.5174537987679 + P7 250
    assert r["cost_support_at_home"] == pytest.approx(1810 + 18400 / 30.4375 + 250)
    assert r["cost_support_at_home"] == pytest.approx(2664.517454, abs=1e-6)
    assert r["cost_aids_and_services"] == pytest.approx(2500.0)  # P3
    assert r["cost_residential_and_shelter"] == 0.0
    assert r["cost_general"] == pytest.approx(100.0)  # P5
    assert r["cost_provisions"] == pytest.approx(5729.517454, abs=1e-6)
    assert r["cost_staff"] == pytest.approx(167.5)  # 120 + 47.5
    assert r["cost_total"] == pytest.approx(5897.017454, abs=1e-6)
    assert bool(r["any_provision"]) is True


def test_cost_missing_general_only_and_none(res):
    r2 = row(res, "T02")
    assert np.isnan(r2["cost_provisions"]) and np.isnan(r2["cost_total"])
    assert r2["cost_staff"] == 0.0
    assert bool(r2["any_provision"]) is True  # P8 is an individual provision in the window
    r3 = row(res, "T03")
    assert r3["cost_general"] == pytest.approx(365.0)  # open-ended, 1/day, 365 days
    assert r3["cost_provisions"] == pytest.approx(365.0)
    assert bool(r3["any_provision"]) is False  # category 00 only
    r4 = row(res, "T04")
    assert r4["cost_total"] == 0.0 and bool(r4["any_provision"]) is False


def test_costs_other_start(res):
    r = row(res, "T05")
    # window 2025-06-15 .. 2026-06-14, P10 covers all 365 days: 60/7 * 365
    assert r["cost_household_help"] == pytest.approx(60 / 7 * 365)
    assert r["cost_household_help"] == pytest.approx(3128.571429, abs=1e-6)


def test_cost_groups_sum_to_provisions(res):
    t = res.table
    groups = t[
        [
            "cost_household_help",
            "cost_support_at_home",
            "cost_aids_and_services",
            "cost_residential_and_shelter",
            "cost_general",
        ]
    ].sum(axis=1, skipna=False)
    ok = t["cost_provisions"].notna()
    np.testing.assert_allclose(groups[ok], t.loc[ok, "cost_provisions"])


def test_provision_and_staff_exclusions(res):
    ex = res.exclusions
    p = ex[ex["table"] == "provisions"].set_index("record_id")["reason"].astype(str).to_dict()
    assert p == {
        # P6 starts 2026-02-01, after the extract date 2026-01-31 (issue 15): not counted,
        # for that reason (it is outside T01's cost window too)
        "P6": "after_extract_date",
        "P8": "provision_cost_missing",
        "P11": "provision_end_before_start",
        "P12": "unknown_trajectory",
    }
    s = ex[ex["table"] == "staff_time"]
    # staff rows 4 and 5 (file rows: header 1, data from 2): before and after the window
    assert sorted(s["row"].astype(int)) == [4, 5]
    assert set(s["reason"].astype(str)) == {"staff_time_outside_window"}


def test_window_days_argument(data):
    # window of 31 days: T01 window 2025-01-01 .. 2025-01-31
    t = outcome_set(data, window_days=31, extract_date="2026-01-31").table
    r = t.loc[t["trajectory_id"] == "T01"].iloc[0]
    # only P1 (31 days x 10 = 310) and S1 (120) fall inside
    assert r["cost_provisions"] == pytest.approx(310.0)
    assert r["cost_staff"] == pytest.approx(120.0)
    with pytest.raises(ValueError, match="window_days"):
        outcome_set(data, window_days=0)
    with pytest.raises(ValueError, match="window_days"):
        outcome_set(data, window_days=1.5)


def test_follow_up(res, data):
    # explicit extract date 2026-01-31:
    # T01: 2025-01-01 .. 2026-01-31 = 365 + 31 = 396 days >= 365: full
    # T05: 2025-06-15 .. 2026-01-31 = 16 + 31 + 31 + 30 + 31 + 30 + 31 + 31 = 231: not full
    assert row(res, "T01")["follow_up_days"] == 396
    assert bool(row(res, "T01")["full_follow_up"]) is True
    assert row(res, "T05")["follow_up_days"] == 231
    assert bool(row(res, "T05")["full_follow_up"]) is False
    # default extract date: the latest date in the package without provision end dates:
    # P6 starts 2026-02-01 (later than staff time 2026-01-01): T01 -> 397 days
    d = outcome_set(data)
    assert d.extract_date == pd.Timestamp("2026-02-01")
    t = d.table
    assert t.loc[t["trajectory_id"] == "T01", "follow_up_days"].iloc[0] == 397


# ---------------------------------------------------------------------------- domains


def test_domain_columns(res):
    r1 = row(res, "T01")
    # resident at 0: housing 4 (<=5), finances 7, physical_health 5 (<=5) -> 2 problems
    assert r1["n_problem_domains_t0"] == 2
    assert r1["problem_domains_group"] == "2+"
    # changes: housing 4->7 = +3, finances 7->5 = -2, physical_health 5->5 = 0 -> mean 1/3
    assert r1["mean_change_resident"] == pytest.approx(1 / 3)
    # at 0: |4 - 6| = 2 (housing), |7 - 3| = 4 (finances) -> 3
    assert r1["disagreement_t0"] == 3.0
    r4 = row(res, "T04")
    assert r4["n_problem_domains_t0"] == 1  # finances 5
    assert r4["problem_domains_group"] == "0-1"
    assert r4["mean_change_resident"] == -0.5  # (0 + -1) / 2
    assert np.isnan(r4["disagreement_t0"])
    r2 = row(res, "T02")
    assert r2["n_problem_domains_t0"] == 0  # housing 8 (duplicate 3 ignored)
    assert np.isnan(r2["mean_change_resident"])
    r3 = row(res, "T03")
    assert pd.isna(r3["n_problem_domains_t0"]) and pd.isna(r3["problem_domains_group"])


def test_domain_changes(res):
    dc = res.domain_changes
    dc = dc[dc["trajectory_id"] == "T01"].set_index(["rater", "domain"], drop=False)
    h = dc.loc[("resident", "housing")]
    assert (h["first"], h["latest"], h["change"], h["n_measurements"]) == (4, 7, 3, 3)
    assert (h["first_measurement"], h["latest_measurement"]) == (0, 2)
    assert bool(h["moved_out_of_problem"]) and not bool(h["moved_into_problem"])
    assert h["trend"] == "improved"
    f = dc.loc[("resident", "finances")]
    assert f["change"] == -2 and bool(f["moved_into_problem"]) and f["trend"] == "worse"
    p = dc.loc[("resident", "physical_health")]
    assert p["change"] == 0 and p["trend"] == "same"
    assert bool(p["problem_first"]) and bool(p["problem_latest"])
    assert not bool(p["moved_out_of_problem"]) and not bool(p["moved_into_problem"])
    pf = dc.loc[("professional", "finances")]
    assert pf["n_measurements"] == 1 and np.isnan(pf["change"])
    assert pd.isna(pf["moved_out_of_problem"]) and pd.isna(pf["trend"])


def test_measurement_numbers_beyond_the_maximum_are_excluded(data, res):
    # Validation rejects a measurement number above 999 (schema.MEASUREMENT_MAX); data that
    # bypassed it (a hand-built PilotData) must not wrap around in the int16 output columns.
    from wattelt_eval.schema import MEASUREMENT_MAX

    assert MEASUREMENT_MAX == 999
    d = data.copy()
    extra = pd.DataFrame(
        [_s("T04", 40000, "housing", "resident", 2), _s("T04", 1000, "finances", "resident", 9)]
    )
    extra = extra.reindex(columns=d.domain_scores.columns).astype(d.domain_scores.dtypes.to_dict())
    ds = pd.concat([d.domain_scores, extra])
    d.domain_scores = ds.set_axis(pd.RangeIndex(2, 2 + len(ds)))
    other = outcome_set(d, extract_date="2026-01-31")
    ex = other.exclusions[other.exclusions["table"] == "domain_scores"]
    last = len(ds) + 1
    assert (
        dict(zip(ex["row"].astype(int), ex["reason"].astype(str), strict=True))[last - 1]
        == "score_missing_field"
    )
    assert (
        dict(zip(ex["row"].astype(int), ex["reason"].astype(str), strict=True))[last]
        == "score_missing_field"
    )
    pd.testing.assert_frame_equal(other.domain_changes, res.domain_changes)
    pd.testing.assert_frame_equal(other.gaps, res.gaps)
    # measurement numbers are stored compactly: 31.5M change rows at national scale
    for col in ("first_measurement", "latest_measurement", "n_measurements"):
        assert res.domain_changes[col].dtype == np.int16
    assert res.gaps["measurement"].dtype == np.int16


def test_cohort_domains(res):
    c = res.cohort_domains.set_index(["arm", "rater", "domain"])
    # demand_driven resident housing: T01 4->7, T04 6->6
    h = c.loc[("demand_driven", "resident", "housing")]
    assert h["n"] == 2
    assert (h["mean_first"], h["mean_latest"], h["mean_change"]) == (5.0, 6.5, 1.5)
    assert (h["share_improved"], h["share_same"], h["share_worse"]) == (0.5, 0.5, 0.0)
    assert h["share_moved_out_of_problem"] == 0.5
    # finances: T01 7->5, T04 5->4 (already a problem)
    f = c.loc[("demand_driven", "resident", "finances")]
    assert (f["mean_first"], f["mean_latest"], f["mean_change"]) == (6.0, 4.5, -1.5)
    assert (f["share_improved"], f["share_same"], f["share_worse"]) == (0.0, 0.0, 1.0)
    assert f["share_moved_into_problem"] == 0.5
    assert c.loc[("demand_driven", "professional", "housing")]["share_same"] == 1.0
    assert f["domain_label_nl"] == "Geldzaken" and f["domain_label_en"] == "Finances"
    # supply_driven has only single measurements: no cells
    assert "supply_driven" not in set(res.cohort_domains["arm"].astype(str))


def test_gaps(res):
    g = res.gaps
    got = sorted(
        zip(
            g["trajectory_id"].astype(str),
            g["domain"].astype(str),
            g["measurement"],
            g["gap"],
            strict=True,
        )
    )
    # resident - professional: T01 m0 housing 4-6, m0 finances 7-3, m1 housing 6-6
    assert got == [
        ("T01", "finances", 0, 4.0),
        ("T01", "housing", 0, -2.0),
        ("T01", "housing", 1, 0.0),
    ]


def test_score_exclusions(res):
    ex = res.exclusions
    s = ex[ex["table"] == "domain_scores"]
    # score rows in the file: data rows start at 2; the T02 rows are the 15th..19th -> rows 16..20
    assert dict(zip(s["row"].astype(int), s["reason"].astype(str), strict=True)) == {
        17: "score_duplicate",
        18: "score_unknown_domain",
        19: "score_out_of_range",
        20: "score_other_instrument",
    }


# ---------------------------------------------------------------------------- accounting


def test_exclusion_log_columns_and_messages(res):
    ex = res.exclusions
    assert list(ex.columns) == EXCLUSION_COLUMNS
    assert (ex["stage"].astype(str) == "outcomes").all()
    assert ex["message_nl"].notna().all() and ex["message_en"].notna().all()
    c = ex[ex["table"] == "contacts"]
    assert list(c["record_id"]) == ["C12"] and c["reason"].iloc[0] == "unknown_trajectory"


def test_load_exclusions_carried_and_counted(data):
    d = data.copy()
    d.exclusions = pd.DataFrame(
        {
            "stage": ["load"],
            "table": ["trajectories"],
            "row": [9],
            "record_id": ["T08"],
            "trajectory_id": ["T08"],
            "reason": ["invalid_arm"],
            "message_nl": ["x"],
            "message_en": ["x"],
        }
    )
    r = outcome_set(d, extract_date="2026-01-31")
    assert (r.exclusions["stage"].astype(str) == "load").sum() == 1
    f = r.flow.set_index(["outcome", "step"])["n"]
    assert f[("trajectories", "received")] == 8
    assert f[("trajectories", "excluded_at_load")] == 1
    assert f[("trajectories", "analysed")] == 7


def test_flow(res):
    f = res.flow.set_index(["outcome", "step"])["n"]
    # goal_retention: 7 in; no goals: T05; goals but no resident goals: T04 -> 5 analysed
    assert f[("goal_retention", "no_goals")] == 1
    assert f[("goal_retention", "no_resident_goals")] == 1
    assert f[("goal_retention", "analysed")] == 5
    assert f[("goal_retention", "earliest_stage_not_intake")] == 1  # T06
    assert f[("goal_retention", "single_stage")] == 1  # T06
    # tellings: only T01 and T03 have contacts
    assert f[("n_tellings", "analysed")] == 2
    # costs: T02 unknown -> 6 analysed; full follow-up: all but T05 (and T02 unknown) -> 5
    assert f[("cost_total", "cost_unknown")] == 1
    assert f[("cost_total", "analysed")] == 6
    assert f[("cost_total", "full_follow_up")] == 5
    # every outcome: total - excluded = analysed
    for outcome, grp in res.flow.groupby("outcome"):
        total = grp.loc[grp["kind"] == "total", "n"].sum()
        excl = grp.loc[grp["kind"] == "excluded", "n"].sum()
        assert total - excl == grp.loc[grp["kind"] == "analysed", "n"].sum(), outcome


def test_duplicate_and_missing_trajectory_ids():
    d = make_data(
        [
            {"trajectory_id": "T1", "start_date": "2025-01-01"},
            {"trajectory_id": "T1", "start_date": "2025-02-01"},
        ]
    )
    r = outcome_set(d)
    assert len(r.table) == 1 and r.table.loc[0, "start_date"] == pd.Timestamp("2025-01-01")
    assert list(r.exclusions["reason"].astype(str)) == ["duplicate_trajectory_id"]
    f = r.flow.set_index(["outcome", "step"])["n"]
    assert f[("trajectories", "received")] == 2


def test_repr_html_and_summary(res):
    h = res._repr_html_()
    assert "Flow" in h and "T01" in h
    assert "Geanalyseerd" in res.summary("nl") and "Analysed" in res.summary("en")
    with pytest.raises(ValueError, match="lang"):
        res.summary("de")


def test_empty_optional_tables():
    d = make_data([{"trajectory_id": "T1", "start_date": "2025-01-01"}])
    r = outcome_set(d)
    t = r.table
    assert t.loc[0, "cost_total"] == 0.0 and pd.isna(t.loc[0, "n_tellings"])
    assert len(r.domain_changes) == 0 and len(r.gaps) == 0 and len(r.cohort_domains) == 0
    assert len(r.exclusions) == 0


def test_categorical_and_object_inputs_give_the_same_outcome_set(data, res):
    # The lookups have three paths (Arrow strings, categoricals, anything else): all must give
    # the same tables. The benchmark reads large packages with categorical text columns.
    for convert in ("category", object):
        d = data.copy()
        for name in ("contacts", "goals", "domain_scores", "provisions", "staff_time"):
            df = d[name].copy()
            for c in df.columns:
                if isinstance(df[c].dtype, pd.StringDtype):
                    df[c] = df[c].astype(convert)
            setattr(d, name, df)
        other = outcome_set(d, extract_date="2026-01-31")
        for k in ("table", "exclusions", "flow", "domain_changes", "cohort_domains", "gaps"):
            pd.testing.assert_frame_equal(getattr(other, k), getattr(res, k), obj=f"{convert} {k}")


def test_domain_chunks_give_the_same_outcome_set(data, res, monkeypatch):
    # Domain scores are processed in blocks of whole trajectories at scale; with blocks of
    # 3 rows the 19 score rows fall into several blocks and every table must be unchanged.
    import importlib

    mod = importlib.import_module("wattelt_eval.outcome.domains")
    monkeypatch.setattr(mod, "DOMAIN_CHUNK_ROWS", 3)
    other = outcome_set(data, extract_date="2026-01-31")
    for k in ("table", "exclusions", "flow", "domain_changes", "cohort_domains", "gaps"):
        pd.testing.assert_frame_equal(getattr(other, k), getattr(res, k), obj=k)
    # scores sorted by trajectory (the usual export): blocks are taken as slices
    d = data.copy()
    ds = d.domain_scores.sort_values("trajectory_id", kind="stable")
    d.domain_scores = ds.set_axis(pd.RangeIndex(2, 2 + len(ds)))
    chunked = outcome_set(d, extract_date="2026-01-31")
    monkeypatch.setattr(mod, "DOMAIN_CHUNK_ROWS", 10**9)
    whole = outcome_set(d, extract_date="2026-01-31")
    for k in ("table", "exclusions", "domain_changes", "cohort_domains", "gaps"):
        pd.testing.assert_frame_equal(getattr(chunked, k), getattr(whole, k), obj=k)
    pd.testing.assert_frame_equal(chunked.table, res.table)


def _run_cli(argv):
    """Run ``wattelt-eval outcomes`` through its own add_cli/run_cli (independent of other stages)."""
    import argparse
    import importlib

    mod = importlib.import_module("wattelt_eval.cli.outcomes")  # the command, not we.outcomes

    parser = argparse.ArgumentParser(prog="wattelt-eval")
    sub = parser.add_subparsers(dest="command")
    mod.add_cli(sub)
    return mod.run_cli(parser.parse_args(argv))


def test_cli_outcomes(tmp_path, data, monkeypatch, capsys):
    import importlib.util

    if importlib.util.find_spec("wattelt_eval.validation") is None:
        pytest.skip("validation module not there yet")
    # the CLI loads with we.load (the validation package); feed it our canonical package directly
    monkeypatch.setattr("wattelt_eval.validation.load", lambda p: data)
    out = tmp_path / "o.csv"
    flow = tmp_path / "f.parquet"
    rc = _run_cli(
        ["outcomes", "pkg", "--out", str(out), "--flow", str(flow), "--extract-date", "2026-01-31"]
    )
    assert rc == 0
    t = pd.read_csv(out)
    assert list(t["trajectory_id"]) == ["T01", "T02", "T03", "T04", "T05", "T06", "T07"]
    assert t.loc[0, "follow_up_days"] == 396
    assert pd.read_parquet(flow)["n"].iloc[0] == 7
    pq = tmp_path / "o.parquet"
    assert _run_cli(["outcomes", "pkg", "--out", str(pq), "--window-days", "31"]) == 0
    assert pd.read_parquet(pq).loc[0, "cost_staff"] == pytest.approx(120.0)
    assert "7 trajecten" in capsys.readouterr().out
    # usage errors: wrong suffix, neither PATH nor --demo
    assert _run_cli(["outcomes", "pkg", "--out", str(tmp_path / "o.txt")]) == 2
    assert _run_cli(["outcomes", "--out", str(out)]) == 2
    assert _run_cli(["outcomes", "pkg", "--out", str(out), "--window-days", "0"]) == 2


# ------------------------------------------------------------------ per-goal / per-contact tables
# The figures draw from these; they apply the same rules as the outcome table (issue 12).


def test_goal_table_matches_the_outcome_table(res):
    g = res.goals
    t = res.table.set_index(res.table["trajectory_id"].astype(str))
    by = g.groupby("trajectory_id")
    n_r = by["resident_goal"].sum().reindex(t.index, fill_value=0)
    n_ret = by["retained"].sum().reindex(t.index, fill_value=0)
    assert list(n_r) == list(t["n_resident_goals"])
    assert list(n_ret) == list(t["n_resident_goals_retained"])
    g = g.set_index("goal_id")
    # T01: G1 -> G4 -> G6 (root G1, reaches final); T07: G25's same-stage link is ignored
    assert g.loc["G6", "root_id"] == "G1" and bool(g.loc["G1", "retained"])
    assert g.loc["G25", "root_id"] == "G25" and pd.isna(g.loc["G25", "parent_id"])
    # goals the log excludes (unknown trajectory, missing field, duplicate id) are not rows
    logged = res.exclusions[
        (res.exclusions["table"].astype(str) == "goals")
        & res.exclusions["reason"].astype(str).isin(["goal_missing_field", "duplicate_id"])
    ]
    assert len(g) == len(res.data.goals) - len(logged) - int(
        (
            (res.exclusions["table"].astype(str) == "goals")
            & (res.exclusions["reason"].astype(str) == "unknown_trajectory")
        ).sum()
    )


def test_contact_table_matches_the_outcome_table(res):
    c = res.contacts
    t = res.table.set_index(res.table["trajectory_id"].astype(str))
    has = t["n_contacts"] > 0
    tell = c.groupby("trajectory_id")["telling"].sum().reindex(t.index[has], fill_value=0)
    ret = c.groupby("trajectory_id")["retelling"].sum().reindex(t.index[has], fill_value=0)
    assert list(tell) == list(t.loc[has, "n_tellings"])
    assert list(ret) == list(t.loc[has, "n_retells"])
    t01 = c[c["trajectory_id"] == "T01"]
    # time order: C10 before C9 on the same date (contact_id as text)
    assert list(t01["contact_id"].astype(str))[-2:] == ["C10", "C9"]
    assert list(t01.loc[t01["telling"], "contact_id"].astype(str)) == ["C1", "C5", "C8", "C10"]


def test_per_record_tables_need_the_package():
    import dataclasses

    d = make_data([{"trajectory_id": "T1", "start_date": "2025-01-01"}])
    r = dataclasses.replace(outcome_set(d), data=None)
    with pytest.raises(ValueError, match="goals"):
        _ = r.goals
