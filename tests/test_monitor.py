"""The implementation monitor: indicators, control limits and signal rules worked out by hand,
and recovery of the known fidelity path of a simulated rollout (``docs/monitor.md``)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import wattelt_eval as we  # noqa: E402
from wattelt_eval import PilotData, StudySettings  # noqa: E402
from wattelt_eval.errors import UsageError  # noqa: E402
from wattelt_eval.implementation import control_limits, signal_rules  # noqa: E402
from wattelt_eval.schema import TABLES, coerce_table  # noqa: E402

NA = pd.NA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows) if rows else TABLES[name].empty_frame()
    df.index = range(2, len(df) + 2)
    return coerce_table(name, df)


# --------------------------------------------------------------------------- the package

#: team a, months 2025-01..05: trajectories, of which with a resident board at measurement 0
BOARD_N = (20, 25, 30, 40, 20)
BOARD_X = (10, 15, 12, 30, 4)
#: team b, months 2025-01..03: trajectories and their tellings (retellings = tellings - 1)
RETELL_TELLINGS = ((1, 2, 3), (1, 1, 4, 2), (3, 1))  # per month, per trajectory


def _package() -> PilotData:
    """Team a: boards (p-charts); team b: retellings (u-chart), plans, contacts, goals."""
    traj, scores, contacts, goals = [], [], [], []
    k = 0

    def trajectory(team: str, day: str) -> str:
        nonlocal k
        k += 1
        tid = f"T{k:03d}"
        traj.append(
            dict(
                trajectory_id=tid,
                resident_id=f"R{k:03d}",
                arm="demand_driven",
                municipality="GM0772",
                team=team,
                start_date=day,
                birth_year=1960,
                sex="female",
                household="single",
            )
        )
        return tid

    def score(tid: str, m: int, rater: str, day: str) -> None:
        scores.append(
            dict(
                trajectory_id=tid,
                measurement=m,
                domain="finances",
                rater=rater,
                score=6,
                date=day,
                instrument="wat_telt",
            )
        )

    for month, (n, x) in enumerate(zip(BOARD_N, BOARD_X, strict=True), start=1):
        day = f"2025-{month:02d}-10"
        for i in range(n):
            tid = trajectory("a", day)
            if i < x:
                score(tid, 0, "resident", day)  # the board at intake, by the resident
            if i < 2:
                score(tid, 1, "resident", day)  # a later measurement does not count
    for month, tellings in enumerate(RETELL_TELLINGS, start=1):
        day = f"2025-{month:02d}-05"
        for n_tell in tellings:
            tid = trajectory("b", day)
            for j in range(n_tell):
                contacts.append(
                    dict(
                        contact_id=f"C{len(contacts) + 1:04d}",
                        trajectory_id=tid,
                        date=f"2025-{month:02d}-{6 + j:02d}",
                        organisation=f"org{j}",
                        role="generalist",
                        contact_type="assessment",
                        story_told=True,
                        plan_available=NA,
                    )
                )
    # team c, one month: plans, handovers and goals worked out by hand (docs/outcomes.md s13)
    c1, c2, c3 = (trajectory("c", "2025-02-01") for _ in range(3))
    score(c1, 0, "resident", "2025-02-01")
    score(c1, 0, "professional", "2025-02-01")
    score(c2, 0, "professional", "2025-02-01")  # professional only: no resident board

    def contact(tid, day, role, ctype, plan):
        contacts.append(
            dict(
                contact_id=f"C{len(contacts) + 1:04d}",
                trajectory_id=tid,
                date=day,
                organisation="org_x",
                role=role,
                contact_type=ctype,
                story_told=False,
                plan_available=plan,
            )
        )

    contact(c1, "2025-02-03", "generalist", "handover", True)  # counts, plan: yes
    contact(c1, "2025-03-04", "specialist", "assessment", False)  # counts (March), no
    contact(c2, "2025-02-05", "generalist", "handover", NA)  # not recorded: left out
    contact(c2, "2025-02-06", "generalist", "follow_up", True)  # not a handover/specialist
    contact(c3, "2025-02-07", "specialist", "follow_up", True)  # counts, yes

    def goal(gid, tid, stage, author, derived=None, day=None):
        goals.append(
            dict(
                goal_id=gid,
                trajectory_id=tid,
                stage=stage,
                author=author,
                derived_from=derived,
                status="active",
                date=day,
            )
        )

    # c1: intake goals by resident and professional; plan on day 10; specialist continues G1
    goal("G1", c1, "intake", "resident", day="2025-02-01")
    goal("G2", c1, "intake", "professional", day="2025-02-01")
    goal("G3", c1, "plan", "resident", "G1", "2025-02-11")
    goal("G4", c1, "specialist_plan", "resident", "G3", "2025-03-01")
    # c2: first stage is plan (day 20), jointly; specialist plan has a new goal
    goal("G5", c2, "plan", "jointly", day="2025-02-21")
    goal("G6", c2, "specialist_plan", "professional", "G5", "2025-03-01")
    goal("G7", c2, "specialist_plan", "professional", day="2025-03-01")
    # c3: intake goal by the professional only; plan on day 4
    goal("G8", c3, "intake", "professional", day="2025-02-01")
    goal("G9", c3, "plan", "professional", "G8", "2025-02-05")
    tables = {
        "trajectories": _frame("trajectories", traj),
        "contacts": _frame("contacts", contacts),
        "goals": _frame("goals", goals),
        "domain_scores": _frame("domain_scores", scores),
        "provisions": _frame("provisions", []),
        "staff_time": _frame("staff_time", []),
    }
    return PilotData(**tables, study=StudySettings(name="monitor test", instrument="wat_telt"))


@pytest.fixture(scope="module")
def pkg():
    return _package()


def _rows(res, indicator, group):
    t = res.table
    return t[(t["indicator"] == indicator) & (t["group"] == group)].reset_index(drop=True)


# --------------------------------------------------------------------------- limits by hand


def test_p_chart_limits_are_the_hand_formula(pkg):
    res = we.monitor(pkg, indicators=["board_t0"], chart="standard", min_count=1)
    a = _rows(res, "board_t0", "a")
    assert a["numerator"].tolist() == list(BOARD_X)
    assert a["denominator"].tolist() == list(BOARD_N)
    pbar = 71 / 135  # (10 + 15 + 12 + 30 + 4) / (20 + 25 + 30 + 40 + 20)
    for i, n in enumerate(BOARD_N):
        half = 3 * math.sqrt(pbar * (1 - pbar) / n)
        assert a.loc[i, "centre"] == pytest.approx(pbar)
        assert a.loc[i, "lcl"] == pytest.approx(max(pbar - half, 0.0))
        assert a.loc[i, "ucl"] == pytest.approx(min(pbar + half, 1.0))
    # month 1: 0.5259 +- 3 * sqrt(0.5259 * 0.4741 / 20) = 0.5259 +- 0.3350
    assert a.loc[0, "lcl"] == pytest.approx(0.19097, abs=1e-4)
    assert a.loc[0, "ucl"] == pytest.approx(0.86088, abs=1e-4)
    assert (a["chart"] == "p").all()
    # 4/20 = 0.20 > 0.19097: inside; 30/40 = 0.75 < 0.5259 + 3 * 0.0789 = 0.7628: inside
    assert a["signal_rule"].tolist() == ["", "", "", "", ""]


def test_laney_p_prime_limits_are_the_hand_formula(pkg):
    res = we.monitor(pkg, indicators=["board_t0"], chart="laney", min_count=1)
    a = _rows(res, "board_t0", "a")
    pbar = 71 / 135
    sig = [math.sqrt(pbar * (1 - pbar) / n) for n in BOARD_N]
    z = [(x / n - pbar) / s for x, n, s in zip(BOARD_X, BOARD_N, sig, strict=True)]
    mr = [abs(z[i] - z[i - 1]) for i in range(1, len(z))]
    sigma_z = sum(mr) / len(mr) / 1.128
    assert a.loc[0, "sigma_z"] == pytest.approx(sigma_z)
    # z = -0.232, 0.742, -1.381, 2.838, -2.919; mean moving range 3.268 -> sigma_z 2.898
    assert sigma_z == pytest.approx(2.8975, abs=1e-3)
    for i in range(5):
        assert a.loc[i, "lcl"] == pytest.approx(max(pbar - 3 * sig[i] * sigma_z, 0.0))
        assert a.loc[i, "ucl"] == pytest.approx(min(pbar + 3 * sig[i] * sigma_z, 1.0))
    assert (a["chart"] == "laney_p").all()


def test_auto_takes_laney_only_for_overdispersed_series():
    # 10 periods of n = 400 alternating 0.3 / 0.5: sigma_z far above 1.2 -> Laney
    n = np.full(10, 400.0)
    x = np.where(np.arange(10) % 2 == 0, 120.0, 200.0)
    from wattelt_eval.implementation import choose_chart

    c = np.full(10, 0.4)
    assert choose_chart("p", "auto", x / n, c, n, np.ones(10, bool)) == "laney_p"
    # exactly binomial-looking variation (z = +-0.5 alternating): sigma_z = 1 / 1.128 < 1.2
    half = 0.5 * math.sqrt(0.4 * 0.6 / 400)
    v = 0.4 + np.where(np.arange(10) % 2 == 0, half, -half)
    assert choose_chart("p", "auto", v, c, n, np.ones(10, bool)) == "p"
    # fewer than 8 baseline points: standard chart
    assert choose_chart("p", "auto", x[:5] / n[:5], c[:5], n[:5], np.ones(5, bool)) == "p"


def test_u_chart_limits_for_retellings_per_trajectory(pkg):
    res = we.monitor(pkg, indicators=["retellings"], chart="standard", min_count=1)
    b = _rows(res, "retellings", "b")
    # retellings = tellings - 1: month 1 (0, 1, 2), month 2 (0, 0, 3, 1), month 3 (2, 0)
    assert b["numerator"].tolist() == [3, 4, 2]
    assert b["denominator"].tolist() == [3, 4, 2]
    ubar = 9 / 9
    for i, n in enumerate((3, 4, 2)):
        assert b.loc[i, "centre"] == pytest.approx(ubar)
        assert b.loc[i, "ucl"] == pytest.approx(ubar + 3 * math.sqrt(ubar / n))
        assert b.loc[i, "lcl"] == 0.0  # 1 - 3 * sqrt(1/n) < 0
    assert (b["chart"] == "u").all()
    # Laney u': z = (u_i - 1) / sqrt(1 / n_i) = 0, 0, 0 -> sigma_z = 0, limits on the centre
    lan = _rows(
        we.monitor(pkg, indicators=["retellings"], chart="laney", min_count=1), "retellings", "b"
    )
    assert lan.loc[0, "sigma_z"] == pytest.approx(0.0)


def test_control_limits_u_and_xbar_against_the_formulas():
    got = control_limits([4, 9, 2], [2, 3, 4], "u")
    ubar = 15 / 9
    assert got["ucl"] == pytest.approx([ubar + 3 * math.sqrt(ubar / n) for n in (2, 3, 4)])
    # X-bar: values (10, 20) | (30) | (5, 15, 25); pooled within SD from the sums of squares
    x, n, sq = [30, 30, 45], [2, 1, 3], [500, 900, 875]
    got = control_limits(x, n, "xbar", sum_squares=sq)
    within = (500 - 30**2 / 2) + 0 + (875 - 45**2 / 3)  # 50 + 0 + 200
    s_p = math.sqrt(within / (1 + 0 + 2))
    mean = 105 / 6
    assert got["centre"][0] == pytest.approx(mean)
    assert got["ucl"] == pytest.approx([mean + 3 * s_p / math.sqrt(k) for k in n])
    # a baseline of the first two periods only
    got = control_limits([4, 9, 2], [2, 3, 4], "u", baseline=[True, True, False])
    assert got["centre"][2] == pytest.approx(13 / 5)


# --------------------------------------------------------------------------- indicators by hand


def test_the_indicators_of_team_c_by_hand(pkg):
    res = we.monitor(pkg, min_count=1)
    t = res.table[res.table["group"] == "c"].set_index(["indicator", "period"])
    feb, mar = pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01")

    def nd(ind, p=feb):
        r = t.loc[(ind, p)]
        return float(r["numerator"]), float(r["denominator"])

    assert nd("board_t0") == (1, 3)  # c1 (resident at 0); c2 professional only; c3 none
    assert nd("board_both_t0") == (1, 3)
    # handover c1 (yes) and specialist c3 (yes) in February; c1's specialist (no) in March;
    # c2's handover without plan_available is not counted, its follow-up is no handover
    assert nd("plan_available") == (2, 2)
    assert nd("plan_available", mar) == (0, 1)
    # first-stage goals: G1 (resident), G2 (professional), G5 (jointly), G8 (professional)
    assert nd("resident_goals") == (2, 4)
    # specialist plans: c1 all continued (G4 from G3); c2 has a new goal G7
    assert nd("plan_carried") == (1, 2)
    # first plan after intake: c1 day 10, c2 day 20, c3 day 4 -> mean 34 / 3
    assert nd("days_to_plan") == (34, 3)
    assert t.loc[("days_to_plan", feb), "share_or_rate"] == pytest.approx(34 / 3)
    assert t.loc[("resident_goals", feb), "n_trajectories"] == 3
    # what was left out is said, as a count under the disclosure rule
    assert res.left_out == {"plan_available": {"plan_not_recorded": 1}}
    notes = we.monitor(pkg, indicators=["plan_available"]).summary("nl")  # threshold 10
    assert "<10 overdrachten of specialistische contacten zonder plan_available" in notes


def test_quarters_and_the_pilot_as_a_whole(pkg):
    q = we.monitor(pkg, freq="Q", indicators=["board_t0"], chart="standard", min_count=1)
    a = _rows(q, "board_t0", "a")
    assert a["period"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-04-01")]
    assert a["numerator"].tolist() == [10 + 15 + 12, 30 + 4]
    assert a["denominator"].tolist() == [20 + 25 + 30, 40 + 20]
    whole = we.monitor(pkg, by=None, indicators=["board_t0"], min_count=1)
    w = _rows(whole, "board_t0", "all")
    # January: team a 10/20, team b 0/3; February: a 15/25, b 0/4, c 1/3
    assert w["numerator"].tolist()[:2] == [10, 16]
    assert w["denominator"].tolist()[:2] == [23, 32]


# --------------------------------------------------------------------------- signal rules


def test_outside_shift_and_trend_on_hand_made_series():
    c, lo, hi = 0.5, 0.0, 1.0
    # a point above the upper limit
    assert signal_rules([0.5, 1.2, 0.4], c, lo, hi) == ["", "outside", ""]
    # 8 points above the centre (a point on the centre line neither counts nor breaks)
    v = [0.4, 0.6, 0.6, 0.7, 0.5, 0.6, 0.6, 0.7, 0.6, 0.6, 0.3]
    got = signal_rules(v, c, lo, hi)
    assert got == [
        "",
        "shift",
        "shift",
        "shift",
        "",
        "shift",
        "shift",
        "shift",
        "shift",
        "shift",
        "",
    ]
    # 7 points above: no shift
    assert set(signal_rules([0.6] * 7 + [0.4], c, lo, hi)) == {""}
    # trend: 6 rising points (a repeated value neither counts nor breaks the trend)
    v = [0.45, 0.40, 0.42, 0.44, 0.44, 0.46, 0.48, 0.49, 0.30]
    got = signal_rules(v, 0.45, lo, hi)  # (no shift about 0.45: 4 below, 3 above)
    assert got == ["", "trend", "trend", "trend", "trend", "trend", "trend", "trend", ""]
    assert set(signal_rules([0.41, 0.42, 0.43, 0.44, 0.45, 0.40], c, lo, hi)) == {""}  # 5 rising
    # a missing period is skipped, the run goes on over it
    v = [0.6, 0.6, np.nan, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    got = signal_rules(v, c, lo, hi)
    assert got[2] == "" and got[0] == "shift" and got[-1] == "shift"


# --------------------------------------------------------------------------- disclosure


def test_small_team_months_are_not_shown(pkg):
    res = we.monitor(pkg, indicators=["board_t0"])  # the study's rule: 10 residents
    t = res.table
    small = t["n_trajectories"] < 10
    assert small.any() and (~t.loc[small, "shown"]).all() and t.loc[~small, "shown"].all()
    fig = we.plots.monitor_chart(res, "board_t0")
    # team c's only month (3 residents) is neither drawn nor printed as a share
    drawn = we.plots.monitor_data(res, "board_t0")
    c = drawn[drawn["group"] == "c"]
    assert c["share_or_rate"].isna().all() and c["numerator"].isna().all()
    notes = " ".join(fig.wattelt_notes)
    assert "c: 2025-02." in notes  # c's empty months are not "left out"
    assert "b: 2025-01, 2025-02, 2025-03, c" in notes
    assert "33%" not in res.summary()  # 1 / 3, neither as value nor as centre line
    assert c["centre"].isna().all()
    line = [ln for ln in res.summary().splitlines() if " c " in f" {ln} "]
    assert line and "2025-02" not in line[0]
    # team a shows every month; its points are all drawn
    ax_a = fig.axes[0]
    ys = ax_a.lines[3].get_ydata()
    assert np.allclose(np.asarray(ys, float), np.array(BOARD_X) / np.array(BOARD_N))


def test_bad_arguments_are_clear_usage_errors(pkg):
    for kw in (
        {"freq": "D"},
        {"by": "resident_id"},
        {"indicators": ["nope"]},
        {"chart": "pp"},
        {"baseline": 0},
        {"baseline": ("2025-05-01", "2025-01-01")},
        {"reference": "others"},
    ):
        with pytest.raises(UsageError) as e:
            we.monitor(pkg, **kw)
        assert e.value.message_nl and e.value.message_en


def test_baseline_of_the_first_k_periods(pkg):
    res = we.monitor(pkg, indicators=["board_t0"], chart="standard", baseline=2, min_count=1)
    a = _rows(res, "board_t0", "a")
    assert a["baseline"].tolist() == [True, True, False, False, False]
    assert a.loc[4, "centre"] == pytest.approx(25 / 45)
    same = we.monitor(
        pkg, indicators=["board_t0"], chart="standard", baseline=("2025-01-01", "2025-02-28")
    )
    assert _rows(same, "board_t0", "a")["centre"].tolist() == a["centre"].tolist()


# --------------------------------------------------------------------------- simulated rollout


@pytest.fixture(scope="module")
def rollout():
    return we.synth.generate(3000, seed=11, design="rollout", superpopulation=None)


def test_monitor_recovers_the_simulated_fidelity_path(rollout):
    truth = rollout.truth["rollout"]
    res = we.monitor(rollout, indicators=["board_t0", "board_both_t0"], min_count=1)
    t = res.table.assign(period=lambda d: d["period"].dt.strftime("%Y-%m"))
    m = t.merge(truth, left_on=["group", "period"], right_on=["team", "period"])
    assert len(m) == 2 * len(truth)
    # the board at intake is used exactly by the trajectories that follow the new way
    assert (m["numerator"] == m["n_faithful"]).all()
    assert (m["denominator"] == m["n_trajectories_y"]).all()
    # and the shares scatter around the known fidelity as a binomial does
    z = (m["share_or_rate"] - m["fidelity"]) / np.sqrt(
        m["fidelity"] * (1 - m["fidelity"]) / m["denominator"]
    )
    assert abs(z.mean()) < 0.25
    assert 0.8 < z.std() < 1.3  # 1.16 for this seed (108 cells of about 28)
    pooled = (m.groupby(["indicator", "team"])[["numerator", "denominator"]].sum()).reset_index()
    exp = m.assign(e=m["fidelity"] * m["denominator"]).groupby(["indicator", "team"])["e"].sum()
    share = pooled.set_index(["indicator", "team"])
    se = np.sqrt(exp * (1 - exp / share["denominator"])) / share["denominator"]
    assert (
        (share["numerator"] / share["denominator"] - exp / share["denominator"]).abs() < 4 * se
    ).all()


def test_monitor_flags_the_stalling_team(rollout):
    from wattelt_eval.synth.designs import ROLLOUT_STALLING_TEAM

    stall = rollout.truth["teams"]["team"].iloc[ROLLOUT_STALLING_TEAM]
    res = we.monitor(rollout, indicators=["board_t0"], reference="pooled")
    t = res.table
    late = t[(t["period"] >= "2025-01-01") & t["shown"]]  # the last six months
    below = late[late["signal"] & (late["share_or_rate"] < late["centre"])]
    per_team = below.groupby("group").size().reindex(sorted(t["group"].unique()), fill_value=0)
    # the stalling team lies below (the limits of) all teams together month after month ...
    assert per_team[stall] >= 5 and per_team[stall] >= late["group"].eq(stall).sum() - 1
    # ... while a slower team still catching up is flagged below at most twice
    assert per_team.drop(stall).max() <= 2
    # with each team's own baseline the teams that rise show a rising signal, the stall not
    own = we.monitor(rollout, indicators=["board_t0"])
    rising = own.table[own.table["signal_rule"].str.contains("shift|trend")]
    assert set(rising["group"]) >= set(t["group"].unique()) - {stall}


# --------------------------------------------------------------------------- report section


def test_report_section_hoe_gaat_de_invoering(rollout):
    import re
    from types import SimpleNamespace

    from wattelt_eval.disclosure import rule_from_study
    from wattelt_eval.report import render, sections
    from wattelt_eval.report.analysis import _monitor

    off = sections.CouncilReport(rollout, lang="nl", n_boot=99)
    assert off.monitor is False and off.implementation()._repr_html_() == ""
    on = sections.CouncilReport(rollout, lang="nl", n_boot=99, monitor=True)
    assert on.plan.monitor is True
    # the section from the analysis' monitor (run_analysis calls _monitor; no comparisons here)
    oset = we.outcome_set(rollout)
    a = SimpleNamespace(
        monitor=_monitor(oset, on.plan), rule=rule_from_study(rollout.study), table=oset.table
    )
    assert _monitor(oset, off.plan) is None
    html = render.implementation(a, "nl")._repr_html_()
    assert "<h2>Hoe gaat de invoering?</h2>" in html
    # the board at intake over the last three intake months (2025-04..06), pooled by hand
    t = a.monitor.table
    b = t[(t["indicator"] == "board_t0") & (t["period"] >= "2025-04-01")]
    b = b[b["period"] <= "2025-06-01"].groupby("group")[["numerator", "denominator"]].sum()
    rows = dict(re.findall(r"<th scope='row'>([^<]+)</th><td class='num'>([^<]+)</td>", html))
    # a share is published only when both the count and its complement reach the
    # threshold (publishable_share): 46 of 50 would reveal "4 without the board"
    k = a.rule.threshold
    for team, r in b.iterrows():
        ok = r["numerator"] >= k and r["denominator"] - r["numerator"] >= k
        expect = f"{round(100 * r['numerator'] / r['denominator'])}%" if ok else "—"
        assert rows[team] == expect
    assert "—" in rows.values()  # the rule bites on this pilot
    stall = rollout.truth["teams"]["team"].iloc[-1]
    shown = {t: int(v.rstrip("%")) for t, v in rows.items() if v != "—"}
    assert shown[stall] < 40 < min([v for t, v in shown.items() if t != stall], default=100)


def test_report_monitor_chart_draws_only_publishable_shares(rollout):
    """The report's control chart hides team-months whose share would reveal a small
    count or complement (0% or 100% of a team-month included), like the tables."""
    import matplotlib.pyplot as plt

    from wattelt_eval.disclosure import publishable_share, rule_from_study
    from wattelt_eval.plots import monitor_chart
    from wattelt_eval.report.render import _publishable_monitor

    rule = rule_from_study(rollout.study)
    res = we.monitor(rollout, indicators=["board_t0"])
    pub = _publishable_monitor(res, rule)
    t = pub.table
    raw = res.table
    # hidden exactly where the share is not publishable (or was not shown before)
    expect = raw["shown"].to_numpy(bool) & np.array(
        [
            publishable_share(c, n, rule) is not None
            for c, n in zip(raw["numerator"], raw["denominator"], strict=True)
        ]
    )
    assert (t["shown"].to_numpy(bool) == expect).all()
    assert (raw["shown"] & ~t["shown"]).any()  # the rule bites: some 0%/100% months hidden
    fig = monitor_chart(pub, "board_t0", lang="nl")
    allowed = set(np.round(t.loc[t["shown"], "share_or_rate"].astype(float), 9))
    drawn = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_marker() not in (None, "None", ""):
                drawn |= {
                    round(float(y), 9)
                    for y in np.asarray(line.get_ydata(), float)
                    if np.isfinite(y)
                }
    plt.close(fig)
    scale = 100 if max(drawn, default=0) > 1.5 else 1  # percent axis or share axis
    assert drawn and {round(v / scale, 9) for v in drawn} <= allowed
