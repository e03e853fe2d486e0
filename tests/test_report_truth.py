"""The council report tells the truth at every pilot size (issue 14).

- the floor and "Can this pilot answer the question?" on a tiny 15 + 15 pilot in 2 + 2
  teams and a one-team pilot (descriptives only, no interval at all);
- the one verdict rule on the demo: every "clear" has an interval without 0 AND a
  Holm-corrected p below 0.05; no unclear difference is worded as a fact;
- intervals of shares within ±100 points, ratios >= 0;
- the ICC, the smallest randomization p-value and the MDE against hand/independent
  computations; the new sections against independent computations.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wattelt_eval import compare, synth
from wattelt_eval.report.analysis import Effect, _effect_from, verdict
from wattelt_eval.report.feasibility import icc_anova, smallest_p
from wattelt_eval.report.plan import HEADLINES, Headline
from wattelt_eval.report.sections import CouncilReport

GEN = "2025-06-15T00:00:00+00:00"


@pytest.fixture(scope="module")
def source():
    return synth.generate(400, seed=5, superpopulation=None)


def _pilot(source, teams_per_arm: int, n_per_arm: int):
    tr = source.trajectories
    ids: list[str] = []
    for arm in ("demand_driven", "supply_driven"):
        t = tr[tr["arm"] == arm]
        teams = sorted(t["team"].unique())[:teams_per_arm]
        ids += list(t[t["team"].isin(teams)]["trajectory_id"].iloc[:n_per_arm])
    return source.subset(ids)


def _report(data, lang="nl"):
    rep = CouncilReport(data, lang=lang, n_boot=199, generated=GEN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.run()
    return rep


def _text(section) -> str:
    t = re.sub(r"<[^>]+>", " ", section._repr_html_())
    return re.sub(r"\s+", " ", t)


@pytest.fixture(scope="module")
def tiny(source):
    return _report(_pilot(source, 2, 15), lang="en")


@pytest.fixture(scope="module")
def demo():
    return _report(synth.demo(), lang="nl")


# ----------------------------------------------------------------------------- the floor
def test_tiny_pilot_says_it_cannot_answer_and_shows_no_interval(tiny):
    a = tiny.analysis
    assert not a.feasibility.answerable
    # 2 + 2 teams: 6 assignments, the mirror image ties -> smallest p 1/3 >= 0.05
    assert set(a.feasibility.reasons) == {"few_assignments", "few_residents"}
    assert a.feasibility.min_p == pytest.approx(1 / 3)
    assert {e.verdict for e in a.effects.values()} <= {"too_small", "small"}
    summary = _text(tiny.summary())
    assert "No. This pilot is too small to draw conclusions" in summary
    assert "There are too few teams (2 and 2)" in summary
    assert "fewer than 20 trajectories" in summary
    assert "probably not chance" not in summary and "lie between" not in summary
    assert "percentage points" not in summary  # no difference, no interval anywhere
    for h in HEADLINES:
        assert "lie between" not in _text(tiny.outcome_section(h.key))
    assert "The pilot is too small to draw conclusions" in _text(tiny.design())
    # nothing estimated below the floor: no effect modification, no care use, no baseline
    assert not a.modification and not a.care_use and a.baseline is None


def test_one_team_per_arm_is_below_the_floor(source):
    rep = _report(_pilot(source, 1, 40))
    assert rep.analysis.feasibility.reasons == ("one_team",)
    assert "In een groep werkt maar één team" in _text(rep.summary())


def test_no_share_published_whose_count_the_table_hides(tiny):
    """A share of a 15-resident arm reveals its count: hidden when the table hides a cell."""
    a = tiny.analysis
    for h in HEADLINES:
        if h.scale != "percent":
            continue
        small = a.rule.is_small(a.counts[h.key].to_numpy()).any()
        e = a.effects[h.key]
        assert (e.verdict == "small") == bool(small), h.key
        if small:
            name = {"goal_retention": "Own goals retained", "no_provision": "No individual"}
            html = tiny.summary()._repr_html_()
            row = re.search(rf"<tr><th scope='row'>{name[h.key]}[^<]*</th>(.*?)</tr>", html)
            assert row is not None and "%" not in row.group(1)
            assert "%" not in _text(tiny.outcome_section(h.key)).split("What we measure")[1][:400]


# ----------------------------------------------------------------------------- verdicts
def test_every_demo_verdict_follows_the_corrected_evidence(demo):
    a = demo.analysis
    assert a.feasibility.answerable
    for key, e in a.effects.items():
        excludes_zero = e.ci_low > 0 or e.ci_high < 0
        assert e.verdict == ("clear" if excludes_zero and e.p_holm < 0.05 else "unclear"), key
    # the case: an interval without 0 but Holm p 0.069 is not a clear difference
    np_ = a.effects["no_provision"]
    assert np_.ci_low > 0 and np_.p_holm > 0.05 and np_.verdict == "unclear"
    box = _text(demo.outcome_section("no_provision"))
    assert "Maar dat kan toeval zijn" in box and "waarschijnlijk geen toeval" not in box
    # costs: the interval includes 0 -> never "kostte ... minder"
    cost = a.effects["cost_total"]
    assert cost.ci_low < 0 < cost.ci_high
    summary = _text(demo.summary())
    assert "kostte per traject" not in summary and "Dat kan toeval zijn" in summary
    row = summary[summary.index("Geen maatwerkvoorziening nodig 4") :][:120]
    assert "geen duidelijk verschil" in row


def test_verdict_rule_by_hand():
    h = HEADLINES[0]
    base = dict(headline=h, n_treated=50, n_control=50, status="ok")
    assert verdict(Effect(**base, ci_low=0.01, ci_high=0.2, p_holm=0.049)) == "clear"
    assert verdict(Effect(**base, ci_low=0.01, ci_high=0.2, p_holm=0.05)) == "unclear"
    assert verdict(Effect(**base, ci_low=-0.01, ci_high=0.2, p_holm=0.001)) == "unclear"
    assert verdict(Effect(**base, ci_low=-0.3, ci_high=-0.1, p_holm=0.01)) == "clear"
    assert verdict(Effect(h, 5, 50, "small")) == "small"
    assert verdict(Effect(h, 50, 50, "too_small")) == "too_small"


def _fake_result(d, lo, hi, ratio=None):
    tab = pd.DataFrame(
        {
            "group": "all",
            "term": ["mean_treated", "mean_control", "difference"],
            "estimate": [0.5, 0.5 - d, d],
            "df": [np.nan, np.nan, 3.0],
        }
    )
    return SimpleNamespace(
        table=tab,
        estimate=d,
        ci_low=lo,
        ci_high=hi,
        ratio=ratio,
        p_value=0.3,
        method="aipw",
        ci_method="cluster_t",
        diagnostics={},
    )


def test_share_intervals_stay_within_100_points_and_ratios_non_negative():
    share = Headline("goal_retention", "goal_retention", "percent", "higher")
    e = _effect_from(_fake_result(0.6, -0.57, 1.77, (2.0, -0.3, 7.1)), share, 15, 15, True)
    assert (e.ci_low, e.ci_high) == (-0.57, 1.0) and e.bounded
    assert e.ratio == (2.0, 0.0, 7.1)
    assert e.df == 3.0
    inside = _effect_from(_fake_result(0.1, -0.2, 0.4), share, 15, 15, True)
    assert (inside.ci_low, inside.ci_high) == (-0.2, 0.4) and not inside.bounded
    flip = Headline("no_provision", "any_provision", "percent", None, flip=True)
    f = _effect_from(_fake_result(0.5, -0.1, 1.3), flip, 15, 15, True)
    assert (f.ci_low, f.ci_high) == (-1.0, 0.1) and f.bounded  # flipped, then cut
    euro = Headline("cost_total", "cost_total", "euro", None)
    c = _effect_from(_fake_result(-900.0, -5000.0, 3000.0), euro, 15, 15, True)
    assert (c.ci_low, c.ci_high) == (-5000.0, 3000.0) and not c.bounded


# ----------------------------------------------------------------------------- ingredients
def test_icc_anova_by_hand():
    # two arms, two teams each, 3 residents per team (balanced): arm means removed
    y = np.array([1, 2, 3, 3, 4, 5, 10, 11, 12, 14, 15, 16], dtype=float)
    team = np.repeat(["a", "b", "c", "d"], 3)
    arm = np.repeat(["t", "t", "c", "c"], 3)
    # residuals from arm means (3 and 13): team means -1, +1, -2, +2; within SS 2 per team
    msb = 3 * (1 + 1 + 4 + 4) / (4 - 2)  # 15
    msw = (4 * 2) / (12 - 4)  # 1
    expected = (msb - msw) / (msb + (3 - 1) * msw)  # 14 / 17
    assert icc_anova(y, team, arm) == pytest.approx(expected)
    assert icc_anova(y, team, arm) == pytest.approx(14 / 17)
    # no team differences beyond chance: truncated at 0
    y0 = np.array([1, 5, 3, 3, 1, 5, 2, 4, 3, 4, 2, 3], dtype=float)
    assert icc_anova(y0, team, arm) == 0.0


@pytest.mark.parametrize("gt,gc", [(2, 2), (2, 3), (2, 6), (3, 3)])
def test_smallest_randomization_p_by_enumeration(gt, gc):
    """Enumerate every assignment of teams with distinct effects: the share at least as
    extreme as the most extreme observed one is the smallest possible p-value."""
    g = gt + gc
    team_means = np.arange(g, dtype=float) ** 1.5  # distinct, no ties by accident
    diffs = []
    for tr in itertools.combinations(range(g), gt):
        m = np.zeros(g, bool)
        m[list(tr)] = True
        diffs.append(team_means[m].mean() - team_means[~m].mean())
    diffs = np.abs(np.array(diffs))
    p_min = float((diffs >= diffs.max() - 1e-12).mean())
    assert smallest_p(gt, gc) == pytest.approx(p_min)
    assert smallest_p(gt, gc) == pytest.approx((2 if gt == gc else 1) / math.comb(g, gt))


def test_mde_without_teams_matches_the_t_formula(source):
    """Without teams (ICC 0) the MDE is the two-sample t formula with the pooled SD."""
    data = _pilot(source, 4, 60)
    data.trajectories["team"] = pd.NA  # no clusters recorded
    rep = _report(data)
    a = rep.analysis
    assert a.cluster is None and a.feasibility.teams_treated is None
    m = a.feasibility.mde["cost_total"]
    n_t, n_c = a.feasibility.n_treated, a.feasibility.n_control
    df = n_t + n_c - 2
    se = m.sd * math.sqrt(1 / n_t + 1 / n_c)
    # power 0.8 of a two-sided t test at 0.05: solve with the noncentral t distribution
    from scipy.optimize import brentq

    def power(delta):
        nc = delta / se
        q = stats.t.ppf(0.975, df)
        return stats.nct.sf(q, df, nc) + stats.nct.cdf(-q, df, nc) - 0.8

    expected = brentq(power, 1e-6 * se, 5 * se)
    assert m.icc == 0.0
    assert m.mde == pytest.approx(expected, rel=0.01)


# ----------------------------------------------------------------------------- new sections
def test_effect_modification_is_compare_on_each_group(demo):
    a = demo.analysis
    m = a.modification["cost_total"]
    t = a.table
    covs = [c for c in a.covariates if c != "n_problem_domains_t0"]
    for lev in ("0-1", "2+"):
        sub = t[t["problem_domains_group"].astype("string") == lev]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = compare(
                sub, "cost_total", covariates=covs, method="aipw", cluster="team", n_boot=199
            )
        assert m.groups.loc[lev, "estimate"] == pytest.approx(res.estimate, rel=1e-9)
    it = m.interaction
    d = m.groups["estimate"]
    assert it["estimate"] == pytest.approx(d["2+"] - d["0-1"], rel=1e-9)
    assert it["ci_low"] < it["estimate"] < it["ci_high"]
    assert "Werkt vraaggestuurd werken anders bij meer problemen?" in _text(demo.problem_domains())


def test_care_use_is_the_plain_difference_of_group_means(demo):
    a = demo.analysis
    t = a.table
    g = t.groupby(t["problem_domains_group"].astype("string"))["cost_total"].mean()
    c = a.care_use["cost_total"]
    assert c.mean_treated == pytest.approx(g["2+"], rel=1e-9)
    assert c.mean_control == pytest.approx(g["0-1"], rel=1e-9)
    assert c.difference == pytest.approx(g["2+"] - g["0-1"], rel=1e-9)
    # the demo pilot is generated so that more problem domains go with more care use
    assert c.verdict == "clear" and c.difference > 0
    nop = a.care_use["no_provision"]
    share = 1 - t.groupby(t["problem_domains_group"].astype("string"))["any_provision"].mean()
    assert nop.difference == pytest.approx(share["2+"] - share["0-1"], rel=1e-9)


def test_domain_monitoring_against_the_scores(demo):
    """Board at start and latest per arm, and the gap, recomputed from the score rows."""
    a = demo.analysis
    d = a.domains
    dc = a.oset.domain_changes
    r = dc[(dc["rater"] == "resident") & (dc["n_measurements"] >= 2)]
    for arm in ("demand_driven", "supply_driven"):
        x = r[r["arm"] == arm].groupby("domain")[["first", "latest"]].mean()
        assert np.allclose(d[f"first_{arm}"], x.loc[d.index, "first"])
        assert np.allclose(d[f"latest_{arm}"], x.loc[d.index, "latest"])
    gaps = a.oset.gaps.dropna(subset=["abs_gap"]).sort_values("measurement")
    first = gaps.groupby(["trajectory_id", "domain"]).head(1).groupby("domain")["abs_gap"].mean()
    assert np.allclose(d["gap_first"], first.loc[d.index])
    last = gaps.groupby(["trajectory_id", "domain"]).tail(1)
    multi = gaps.groupby(["trajectory_id", "domain"])["measurement"].nunique() > 1
    last = last.set_index(["trajectory_id", "domain"]).loc[multi[multi].index]
    assert np.allclose(d["gap_latest"], last.groupby("domain")["abs_gap"].mean().loc[d.index])
    html = demo.domain_monitoring()._repr_html_()
    assert "Wonen" in html and "<caption>" in html


def test_baseline_weights_balance_the_case_mix(demo):
    b = demo.analysis.baseline
    tab = b.table[b.table["level"] == ""].set_index("variable")
    # the demo arms differ in problem domains; the adjusted comparison's weights balance it
    assert abs(tab.loc["n_problem_domains_t0", "smd"]) > 0.2
    assert (tab["smd_weighted"].abs() < 0.1).all()
    app = _text(demo.appendix())
    assert "SMD gewogen" in app and "Vrijheidsgraden" in app and "p (Holm)" in app


def test_council_text_has_no_jargon_and_the_appendix_has_the_methods(demo):
    council = " ".join(
        _text(s)
        for s in (demo.summary(), *[demo.outcome_section(h.key) for h in HEADLINES], demo.design())
    )
    for word in ("augmented", "IPW", "Welch", "Satterthwaite", "p-waarde gecorrigeerd", "Holm"):
        assert word not in council, word
    app = _text(demo.appendix())
    assert "augmented IPW" in app and "Welch-Satterthwaite" in app
    assert "de pilot Pilot" not in _text(demo.title())
    prov = _text(demo.provenance())
    assert "n_problem_domains_t0" not in prov and "leeftijd" in prov
