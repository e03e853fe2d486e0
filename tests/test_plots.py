"""Figure tests on a tiny hand-made pilot: each figure draws the numbers worked out by hand."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from plots_helpers import tiny_cost_table, tiny_pilot  # noqa: E402

from wattelt_eval import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tiny():
    return tiny_pilot()


def _by_gid(fig, gid):
    """All artists (collections and patches) in the figure with this gid."""
    return [a for a in fig.findobj() if a.get_gid() == gid]


def _bar(fig, gid):
    arts = _by_gid(fig, gid)
    assert len(arts) == 1, f"{gid}: {len(arts)} artists"
    return arts[0]


def _offsets(fig, gid):
    arts = _by_gid(fig, gid)
    assert len(arts) == 1, f"{gid}: {len(arts)} artists"
    return np.asarray(arts[0].get_offsets())


def _band_heights(coll, xs):
    """Height of a fill_between band at each x (top minus bottom of its polygon)."""
    v = np.vstack([p.vertices for p in coll.get_paths()])
    return np.array([np.ptp(v[np.isclose(v[:, 0], x), 1]) for x in xs])


# ------------------------------------------------------------------------ board


def test_board_draws_each_raters_first_and_latest_score(tiny):
    fig = plots.board(tiny, "T1", lang="en")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Health", "Finances"]  # huizen5 order, only scored domains
    y_health = 0
    first = _offsets(fig, "first:resident")
    latest = _offsets(fig, "latest:resident")
    # resident: health 3 -> 6, finances 5 -> 5 (by hand, see plots_helpers)
    assert sorted(first[:, 0]) == [3, 5]
    assert first[np.argmin(np.abs(first[:, 1] - y_health)), 0] == 3
    assert latest[np.argmin(np.abs(latest[:, 1] - y_health)), 0] == 6
    assert list(_offsets(fig, "first:professional")[:, 0]) == [4]
    assert list(_offsets(fig, "latest:professional")[:, 0]) == [5]
    # the carer scored once: a first marker, no latest marker
    assert list(_offsets(fig, "first:informal_carer")[:, 0]) == [2]
    assert len(_offsets(fig, "latest:informal_carer")) == 0
    # colours: resident vermillion, open first marker
    coll = _by_gid(fig, "latest:resident")[0]
    assert to_hex(coll.get_facecolor()[0]) == plots.OKABE_ITO["vermillion"].lower()
    assert "do not publish" in fig.wattelt_notes[0]
    assert "T1" not in ax.get_title()


def test_board_dutch_labels_and_errors(tiny):
    fig = plots.board(tiny, "T2", lang="nl", show_id=True)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Gezondheid"
    assert "T2" in ax.get_title()
    with pytest.raises(ValueError, match="no domain scores"):
        plots.board(tiny, "T9")
    with pytest.raises(ValueError, match="lang"):
        plots.board(tiny, "T1", lang="de")


# ------------------------------------------------------------------------ cohort board


def test_cohort_board_data_by_hand(tiny):
    df = plots.cohort_board_data(tiny).set_index(["arm", "domain"])
    r = df.loc[("demand_driven", "health")]
    assert (r["n"], r["mean_first"], r["mean_latest"]) == (2, 4.5, 5.0)
    assert (r["share_improved"], r["share_same"], r["share_worse"]) == (0.5, 0.0, 0.5)
    r = df.loc[("demand_driven", "finances")]
    assert (r["mean_first"], r["mean_latest"], r["share_improved"], r["share_same"]) == (
        3.5,
        6,
        0.5,
        0.5,
    )
    r = df.loc[("supply_driven", "finances")]  # T3 only (T4 scored once): 3 -> 6
    assert (r["n"], r["mean_first"], r["mean_latest"], r["share_improved"]) == (1, 3, 6, 1)


def test_cohort_board_draws_the_means_and_shares(tiny):
    fig = plots.cohort_board(tiny, lang="en", min_count=1)
    dd_first = _offsets(fig, "first:demand_driven")
    dd_latest = _offsets(fig, "latest:demand_driven")
    # rows: health (y~0), finances (y~1)
    order = np.argsort(dd_first[:, 1])
    assert list(dd_first[order, 0]) == [4.5, 3.5]
    assert list(dd_latest[np.argsort(dd_latest[:, 1]), 0]) == [5.0, 6.0]
    improved = _by_gid(fig, "improved:supply_driven")
    widths = sorted(p.get_width() for p in improved)
    assert widths == [0.5, 1.0]  # health 1 of 2 (T4), finances 1 of 1 (T3)
    worse = sorted(p.get_width() for p in _by_gid(fig, "worse:demand_driven"))
    assert worse == [0.0, 0.5]


def test_cohort_board_drops_small_cells_with_a_note(tiny):
    fig = plots.cohort_board(tiny, lang="en", min_count=2)
    # supply_driven finances has one resident: not drawn, listed in the note
    sd = _offsets(fig, "first:supply_driven")
    assert len(sd) == 1 and sd[0, 0] == 4.5
    assert "Finances (supply-driven)" in fig.wattelt_notes[0]
    assert "fewer than 2" in fig.wattelt_notes[0]
    # default threshold 10: nothing of the tiny pilot may be shown
    fig = plots.cohort_board(tiny, lang="nl")
    assert len(_offsets(fig, "first:demand_driven")) == 0
    assert "minder dan 10" in fig.wattelt_notes[0]


# ------------------------------------------------------------------------ goal flow


def test_goal_states_by_hand(tiny):
    st = plots.goal_states(tiny)
    assert set(st.index) == {"G1", "G3", "G9", "G11", "G14", "G16"}
    assert list(st.loc["G1", ["intake", "plan", "specialist_plan", "review", "final"]]) == [
        "retained",
        "retained",
        "retained",
        "retained",
        "achieved",
    ]
    assert list(st.loc["G3", ["intake", "plan", "review", "final"]]) == [
        "retained",
        "reworded",
        "reworded",
        "lost",
    ]
    assert list(st.loc["G9", ["intake", "plan", "final"]]) == ["retained", "achieved", "achieved"]
    assert list(st.loc["G11", ["intake", "plan", "final"]]) == ["retained", "lost", "lost"]
    # T4 starts at plan; case and spacing differences are not a rewording
    assert list(st.loc["G14", ["intake", "plan", "final"]]) == ["retained"] * 3
    assert st.loc["G16", "final"] == "reworded"


def test_goal_flow_draws_the_shares(tiny):
    fig = plots.goal_flow(tiny, lang="en", min_count=1)
    xs = np.arange(5)
    # demand-driven: 4 goals; plan: 1 retained, 1 reworded, 1 achieved, 1 lost
    np.testing.assert_allclose(
        _band_heights(_bar(fig, "lost:demand_driven"), xs), [0, 0.25, 0.25, 0.25, 0.5]
    )
    np.testing.assert_allclose(
        _band_heights(_bar(fig, "achieved:demand_driven"), xs), [0, 0.25, 0.25, 0.25, 0.5]
    )
    np.testing.assert_allclose(
        _band_heights(_bar(fig, "retained:demand_driven"), xs), [1, 0.25, 0.25, 0.25, 0]
    )
    np.testing.assert_allclose(
        _band_heights(_bar(fig, "reworded:supply_driven"), xs), [0, 0, 0, 0, 0.5]
    )
    assert "n = 4 goals" in fig.axes[0].get_title()
    fig = plots.goal_flow(tiny, lang="nl", min_count=2)  # supply-driven: 1 trajectory with goals
    assert len(_by_gid(fig, "lost:supply_driven")) == 0
    assert "aanbodgestuurd" in fig.wattelt_notes[0]


# ------------------------------------------------------------------------ retellings


def test_contact_tellings_follow_the_design_rule(tiny):
    ct = plots.contact_tellings(tiny).set_index("contact_id")
    assert ct["telling"].to_dict() == {
        "C1": True,
        "C2": True,
        "C3": False,
        "C4": True,
        "C5": True,
        "C6": False,
        "C7": False,
        "C8": True,
        "C9": True,
        "C10": True,
        "C11": True,
    }
    assert sorted(ct.index[ct["retelling"]]) == ["C10", "C11", "C2", "C4", "C9"]
    assert sorted(ct.index[ct["inferred"]]) == ["C1", "C2", "C8", "C9"]


def test_retellings_figure_by_hand(tiny):
    fig = plots.retellings(tiny, lang="en", min_count=1)
    # distribution: demand-driven T1 2, T2 0; supply-driven T3 3 (T4 has no contacts:
    # no n_retells, as in the outcome table). Zero counts are small (as in the tables) and
    # the arm's n is printed, so the bins merge down to 0 and 1+ and still none can be shown
    assert not [p for p in fig.findobj() if str(p.get_gid()).startswith("dist:")]
    dist = plots.retelling_data(tiny, min_count=1)["distribution"]
    assert dist["suppressed"].all() and dist["share"].isna().all()
    assert dist.set_index(["arm", "bin"])["n"].to_dict() == {
        ("demand_driven", "0"): 1,
        ("demand_driven", "1+"): 1,
        ("supply_driven", "0"): 0,
        ("supply_driven", "1+"): 1,
    }
    # where: per trajectory; supply-driven specialist 2 retellings / 1 trajectory
    assert _bar(fig, "role:supply_driven:specialist").get_width() == 2.0
    assert _bar(fig, "role:supply_driven:consultant").get_width() == 1.0
    assert _bar(fig, "role:demand_driven:generalist").get_width() == 0.5
    assert _bar(fig, "type:demand_driven:handover").get_width() == 0.5
    assert _bar(fig, "type:supply_driven:handover").get_width() == 1.0
    # bars of an arm sum to its mean number of retellings (1.0 and 3.0)
    for arm, mean in [("demand_driven", 1.0), ("supply_driven", 3.0)]:
        tot = sum(
            p.get_width() for p in fig.findobj() if str(p.get_gid()).startswith(f"role:{arm}:")
        )
        assert tot == pytest.approx(mean)


def test_retellings_merge_upper_bins_and_suppress(tiny):
    tabs = plots.retelling_data(tiny, min_count=2)
    # both arms too small (2 trajectories each, threshold 2 is met) -> bins merge down to 0, 1+
    dist = tabs["distribution"]
    assert list(dict.fromkeys(dist["bin"])) == ["0", "1+"]
    assert dist.set_index(["arm", "bin"]).loc[("supply_driven", "1+"), "n"] == 1
    fig = plots.retellings(tiny, lang="en", min_count=3)
    assert "Not shown (fewer than 3 residents): demand-driven, supply-driven." in fig.wattelt_notes


# ------------------------------------------------------------------------ costs


def test_costs_figure_by_hand():
    t = tiny_cost_table()
    fig = plots.costs(t, lang="en", min_count=1)
    assert _bar(fig, "zero:demand_driven").get_height() == pytest.approx(1 / 3)
    assert _bar(fig, "zero:supply_driven").get_height() == pytest.approx(2 / 3)
    # no individual provision (household, support, aids, residential all 0): D1; S1, S2
    assert _bar(fig, "no_provision:demand_driven").get_height() == pytest.approx(1 / 3)
    assert _bar(fig, "no_provision:supply_driven").get_height() == pytest.approx(2 / 3)
    # demand-driven means: household 500/3, support 20, aids 100, general 100/3, staff 140/3
    expect = {
        "household_help": 500 / 3,
        "support_at_home": 20,
        "aids_and_services": 100,
        "residential_and_shelter": 0,
        "general": 100 / 3,
        "staff": 140 / 3,
    }
    for comp, v in expect.items():
        assert _bar(fig, f"component:demand_driven:{comp}").get_height() == pytest.approx(v)
    top = max(
        p.get_y() + p.get_height()
        for p in fig.findobj()
        if str(p.get_gid()).startswith("component:supply_driven:")
    )
    assert top == pytest.approx(5000 / 3)
    # the positive part has no mark for an individual value (no violin, median or points)
    assert not _by_gid(fig, "median_positive")
    assert not [c for ax in fig.axes for c in ax.collections if len(c.get_offsets())]


def test_positive_costs_in_bands_by_hand():
    """Panel 2: bands from the suppressed arm x band table; a small outer band is merged."""
    import pandas as pd

    def rows(arm, costs):
        return [{"arm": arm, "cost_total": float(c)} for c in costs]

    t = pd.DataFrame(
        rows("demand_driven", [50] * 10 + [500] * 10 + [5000] * 10 + [50000] * 10)
        + rows("supply_driven", [500] * 10 + [5000] * 30 + [50000] * 10)
    )
    for c in ["cost_household_help", "cost_support_at_home", "cost_aids_and_services"]:
        t[c] = 0.0
    t["cost_residential_and_shelter"] = 0.0
    t["cost_general"] = 0.0
    t["cost_staff"] = t["cost_total"]
    t["any_provision"] = False
    pos = plots.cost_data(t, min_count=10)["positive"]
    # supply-driven has no cost under 100 (0 < 10): the first band merges into the second
    assert pos["lo"].unique().tolist() == [0, 1000, 10000]
    fig = plots.costs(t, lang="en", min_count=10)
    widths = {
        arm: [_bar(fig, f"positive:{arm}:{j}").get_width() for j in range(3)]
        for arm in ("demand_driven", "supply_driven")
    }
    assert widths["demand_driven"] == pytest.approx([20 / 40, 10 / 40, 10 / 40])
    assert widths["supply_driven"] == pytest.approx([10 / 50, 30 / 50, 10 / 50])
    # 9 instead of 10 supply-driven costs over 50,000: the top band merges down instead
    fig = plots.costs(t.drop(index=t.index[-1]), lang="en", min_count=10)
    assert _bar(fig, "positive:supply_driven:1").get_width() == pytest.approx(39 / 49)
    assert not _by_gid(fig, "positive_hidden:supply_driven")
    # two bands left and still a small cell (5 over 10,000): the table hides it and its
    # partners; what it hides is drawn together in grey
    t3 = pd.DataFrame(
        rows("demand_driven", [50] * 10 + [5000] * 10 + [50000] * 10)
        + rows("supply_driven", [5000] * 30 + [50000] * 5)
    )
    for c in [c for c in t.columns if c.startswith("cost_") and c != "cost_total"]:
        t3[c] = 0.0
    t3["cost_staff"] = t3["cost_total"]
    t3["any_provision"] = False
    fig = plots.costs(t3, lang="en", min_count=10)
    assert _bar(fig, "positive_hidden:supply_driven").get_width() == pytest.approx(1.0)
    assert not [p for p in fig.findobj() if str(p.get_gid()).startswith("positive:supply")]
    assert any("grey" in n for n in fig.wattelt_notes)


def test_costs_disclosure_and_dutch():
    t = tiny_cost_table(copies=4)
    fig = plots.costs(t, lang="nl", min_count=4)
    assert _bar(fig, "zero:demand_driven").get_height() == pytest.approx(1 / 3)
    assert _bar(fig, "zero:supply_driven").get_height() == pytest.approx(2 / 3)
    fig = plots.costs(t, lang="nl", min_count=5)
    # 12 per arm; demand-driven has 4 without costs, supply-driven 4 with (< 5):
    # neither share may be drawn (the complement would reveal the small count)
    assert len(_by_gid(fig, "zero:demand_driven")) == 0
    assert len(_by_gid(fig, "zero:supply_driven")) == 0
    assert len(_by_gid(fig, "no_provision:demand_driven")) == 0
    assert any("vraaggestuurd" in n for n in fig.wattelt_notes)
    assert any("geen maatwerkvoorziening" in n for n in fig.wattelt_notes)
    with pytest.raises(ValueError, match="cost_total"):
        plots.costs(tiny_cost_table().drop(columns="cost_total"), min_count=1)
    with pytest.raises(TypeError):
        plots.costs([1, 2, 3])


# ------------------------------------------------------------------------ forest


def _random_table(n=240, seed=7):
    import pandas as pd

    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n) < 0.5, "demand_driven", "supply_driven")
    dd = arm == "demand_driven"
    age = rng.normal(72, 8, n)
    k = rng.integers(1, 5, n)
    kept = rng.binomial(k, np.where(dd, 0.75, 0.55))
    return pd.DataFrame(
        {
            "trajectory_id": [f"T{i:04d}" for i in range(n)],
            "arm": arm,
            "age": age,
            "team": rng.choice(list("abcdefgh"), n),
            "household": rng.choice(["single", "couple"], n),
            "n_resident_goals": k,
            "n_resident_goals_retained": kept,
            "goal_retention": kept / k,
            "n_retells": rng.poisson(np.where(dd, 0.8, 1.6)),
            "cost_total": rng.gamma(1.2, 2500, n) * (rng.random(n) < 0.6),
            "any_provision": rng.random(n) < 0.5,
        }
    )


def test_forest_draws_estimates_and_intervals():
    import wattelt_eval as we

    t = _random_table()
    outs = ["goal_retention", "n_retells", "cost_total"]
    res = [
        we.compare_all(t, outs, method=m, covariates=["age"], holm=False)
        for m in ("unadjusted", "regression")
    ]
    fig = plots.forest(res, lang="en")
    # the unadjusted difference in mean retellings, by numpy
    dd = t["arm"] == "demand_driven"
    diff = t.loc[dd, "n_retells"].mean() - t.loc[~dd, "n_retells"].mean()
    line = _bar(fig, "estimate:n_retells:unadjusted")
    assert line.get_xdata()[0] == pytest.approx(diff)
    tab = plots.forest_data(res)
    assert len(tab) == 6 and set(tab["method"]) == {"unadjusted", "regression"}
    for _, r in tab.iterrows():
        x = _bar(fig, f"estimate:{r['outcome']}:{r['method']}").get_xdata()[0]
        ci = _bar(fig, f"ci:{r['outcome']}:{r['method']}").get_segments()[0][:, 0]
        assert x == pytest.approx(r["estimate"])
        np.testing.assert_allclose(sorted(ci), [r["ci_low"], r["ci_high"]])
        assert r["ci_low"] <= r["estimate"] <= r["ci_high"]
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert "Number of retellings" in titles
    ylabels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "regression (g-computation)" in ylabels
    # an arm under the threshold: the estimate is not shown
    small = t[(t["arm"] == "supply_driven") | (np.arange(len(t)) < 30)]
    r2 = we.compare_all(small, ["n_retells"], method="unadjusted", holm=False)
    n_dd = int(r2["n_treated"].iloc[0])
    fig = plots.forest(r2, lang="nl", min_count=n_dd + 1)
    assert not _by_gid(fig, "estimate:n_retells:unadjusted")
    assert "Niet getoond" in fig.wattelt_notes[0]
    with pytest.raises(ValueError, match="term"):
        plots.forest(res, term="odds")


# ------------------------------------------------------------------------ flow


def test_flow_diagram_counts(tiny):
    import wattelt_eval as we

    os_ = we.outcome_set(tiny)
    fig = plots.flow(os_, lang="en", exact=True)
    box = _bar(fig, "box:goal_retention:analysed")
    assert box.get_text().endswith("n = 3")  # T1, T2, T4 have resident goals
    assert _bar(fig, "box:trajectories:received").get_text().endswith("n = 4")
    assert "No contacts recorded: 1" in _bar(fig, "box:n_tellings:excluded").get_text()
    fig = plots.flow(os_, lang="nl")  # published: all counts of the tiny pilot are small
    assert _bar(fig, "box:goal_retention:analysed").get_text().endswith("n = <10")
    assert "<10" in fig.wattelt_notes[0]


def test_flow_complementary_suppression():
    import pandas as pd

    f = pd.DataFrame(
        {
            "outcome": ["trajectories"] * 3,
            "step": ["received", "excluded_at_load", "analysed"],
            "kind": ["total", "excluded", "analysed"],
            "n": [120, 3, 117],
        }
    )
    f["label_nl"] = f["step"]
    f["label_en"] = f["step"]
    shown = plots.flow_data(f, outcomes=[], lang="en").set_index("step")["shown"]
    # 3 is small; with the total shown, 117 must be hidden too or 3 = 120 - 117
    assert shown["excluded_at_load"] == "<10"
    assert not (shown["received"].isdigit() and shown["analysed"].isdigit())


# ------------------------------------------------------------------------ love plot


def test_love_plot_shows_smds_before_and_after_weighting():
    import statsmodels.api as sm

    import wattelt_eval as we

    t = _random_table()
    t["age"] = t["age"] + np.where(t["arm"] == "demand_driven", 4, 0)  # imbalance
    a = (t["arm"] == "demand_driven").to_numpy(float)
    X = sm.add_constant(t[["age"]].to_numpy())
    ps = sm.Logit(a, X).fit(disp=0).predict(X)
    w = np.where(a == 1, a.mean() / ps, (1 - a.mean()) / (1 - ps))
    bal = we.balance(t, arm="arm", covariates=["age"], weights=w)
    fig = plots.love_plot(bal, lang="en")
    pts = [c for c in fig.axes[0].collections if len(c.get_offsets())]
    x_un, x_w = (float(np.asarray(c.get_offsets())[0, 0]) for c in pts[:2])
    x1, x0 = t.loc[a == 1, "age"], t.loc[a == 0, "age"]
    smd = (x1.mean() - x0.mean()) / np.sqrt((x1.var() + x0.var()) / 2)
    assert x_un == pytest.approx(abs(smd), rel=1e-6)
    assert x_w < 0.1 < x_un  # a logistic PS on age balances the age mean
    with pytest.raises(ValueError, match="lang"):
        plots.love_plot(bal, lang="fr")


# ------------------------------------------------------------------------ domain trends


def test_domain_trends_data_by_hand(tiny):
    df = plots.domain_trends_data(tiny).set_index(["arm", "domain", "measurement"])
    # resident scores (plots_helpers): demand-driven health T1 3 -> 6, T2 6 -> 4
    assert df.loc[("demand_driven", "health", 0), ["n", "mean"]].tolist() == [2, 4.5]
    assert df.loc[("demand_driven", "health", 1), "mean"] == 5.0
    assert df.loc[("demand_driven", "health", 0), "share_problem"] == 0.5  # 3 <= 5, 6 > 5
    # supply-driven finances: T3 3, 2, 6 and T4 4 (once)
    assert df.loc[("supply_driven", "finances", 0), ["n", "mean", "share_problem"]].tolist() == [
        2,
        3.5,
        1.0,
    ]
    assert df.loc[("supply_driven", "finances", 2), ["n", "mean"]].tolist() == [1, 6.0]
    assert list(dict.fromkeys(plots.domain_trends_data(tiny)["domain"])) == ["health", "finances"]
    with pytest.raises(ValueError, match="rater"):
        plots.domain_trends_data(tiny, rater="neighbour")


def test_domain_trends_draws_the_means_and_suppresses_small_points(tiny):
    fig = plots.domain_trends(tiny, lang="en", min_count=1)
    line = _bar(fig, "trend:supply_driven:finances")
    assert list(line.get_xdata()) == [0, 1, 2]
    assert list(line.get_ydata()) == [3.5, 2.0, 6.0]
    assert list(_bar(fig, "trend:demand_driven:health").get_ydata()) == [4.5, 5.0]
    assert fig.wattelt_notes == []
    fig = plots.domain_trends(tiny, lang="nl", min_count=2)
    y = _bar(fig, "trend:supply_driven:finances").get_ydata()
    assert y[0] == 3.5 and np.isnan(y[1]) and np.isnan(y[2])
    assert fig.wattelt_notes == ["2 punt(en) met minder dan 2 inwoners niet getoond."]
    with pytest.raises(ValueError, match="safety"):
        plots.domain_trends(tiny, domains=["safety"])


# ------------------------------------------------------------------------ agreement


def test_weighted_kappa_equals_statsmodels_quadratic_kappa():
    import pandas as pd
    from statsmodels.stats.inter_rater import cohens_kappa

    rng = np.random.default_rng(3)
    x = rng.integers(1, 11, 300)
    y = np.clip(x + rng.integers(-3, 3, 300), 1, 10)
    tab = pd.crosstab(x, y).reindex(index=range(1, 11), columns=range(1, 11), fill_value=0)
    assert plots.weighted_kappa(x, y) == pytest.approx(
        cohens_kappa(tab.to_numpy(), wt="quadratic").kappa, rel=1e-12
    )
    assert plots.weighted_kappa([3, 6], [4, 5]) == pytest.approx(0.6)  # by hand, see below
    assert np.isnan(plots.weighted_kappa([5, 5], [5, 5]))


def test_agreement_data_by_hand(tiny):
    # measurement 0: one resident-professional pair (T1 health 3 vs 4)
    a0 = plots.agreement_data(tiny).set_index("domain")
    assert a0.loc["health", ["n_pairs", "bias"]].tolist() == [1, -1.0]
    assert list(a0.index) == ["health", "all"]
    # all measurements: T1 health (3, 4) and (6, 5): differences -1, +1
    a = plots.agreement_data(tiny, measurement=None).set_index("domain").loc["health"]
    assert (a["n_pairs"], a["n_trajectories"], a["bias"]) == (2, 1, 0.0)
    assert a["sd_diff"] == pytest.approx(np.sqrt(2))
    assert a["loa_high"] == pytest.approx(1.96 * np.sqrt(2))
    assert (a["exact"], a["within_1"]) == (0.0, 1.0)
    # population moments: var 2.25 and 0.25, cov 0.75, equal means -> 1.5 / 2.5
    assert a["kappa_w"] == pytest.approx(0.6)
    carer = plots.agreement_data(tiny, raters=("resident", "informal_carer")).set_index("domain")
    assert carer.loc["health", "bias"] == 1.0  # 3 vs 2
    with pytest.raises(ValueError, match="different"):
        plots.agreement_data(tiny, raters=("resident", "resident"))


def test_agreement_figure_draws_bias_and_limits(tiny):
    fig = plots.agreement(
        tiny, pairs=[("resident", "professional")], measurement=None, lang="en", min_count=1
    )
    off = _offsets(fig, "bias:resident:professional")
    assert list(off[:, 0]) == [0.0, 0.0]  # health and all domains
    seg = _bar(fig, "loa:resident:professional").get_segments()[0]
    np.testing.assert_allclose(sorted(seg[:, 0]), [-1.96 * np.sqrt(2), 1.96 * np.sqrt(2)])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Health", "All domains"]
    fig = plots.agreement(tiny, lang="nl")  # default threshold 10: nothing of the tiny pilot
    assert len(_offsets(fig, "bias:resident:professional")) == 0
    assert any("minder dan 10" in n for n in fig.wattelt_notes)


# ------------------------------------------------------------------------ the demo pilot
# Every figure renders on the bundled demo pilot and draws the numbers of its table.


@pytest.fixture(scope="module")
def demo():
    import wattelt_eval as we

    data = we.synth.demo()
    return data, we.outcome_set(data)


def test_demo_board_and_cohort_board(demo):
    data, oset = demo
    tid = sorted(data.domain_scores["trajectory_id"].unique())[0]
    fig = plots.board(data, tid, lang="en")
    bd = plots.board_data(data, tid)
    res = bd[bd["rater"] == "resident"]
    np.testing.assert_allclose(sorted(_offsets(fig, "first:resident")[:, 0]), sorted(res["first"]))
    fig = plots.cohort_board(data, lang="en", outcome_set=oset)
    cb = plots.cohort_board_data(data, outcome_set=oset)
    dd = cb[(cb["arm"] == "demand_driven") & (cb["n"] >= 10)]
    assert len(dd) == len(data.instrument.domain_codes)
    np.testing.assert_allclose(_offsets(fig, "latest:demand_driven")[:, 0], dd["mean_latest"])
    widths = [p.get_width() for p in _by_gid(fig, "improved:supply_driven")]
    sd = cb[cb["arm"] == "supply_driven"]
    np.testing.assert_allclose(widths, sd["share_improved"])


def test_demo_goal_flow_retellings_costs(demo):
    data, oset = demo
    fig = plots.goal_flow(data, lang="en")
    gf = plots.goal_flow_data(data)
    want = gf[(gf["arm"] == "supply_driven") & (gf["state"] == "lost")]["share"].to_numpy()
    np.testing.assert_allclose(_band_heights(_bar(fig, "lost:supply_driven"), np.arange(5)), want)
    # goal retention pooled = 1 - lost at the last stage
    t = oset.table[oset.table["arm"] == "supply_driven"]
    assert 1 - want[-1] == pytest.approx(
        t["n_resident_goals_retained"].sum() / t["n_resident_goals"].sum()
    )
    fig = plots.retellings(data, lang="en")
    dist = plots.retelling_data(data)["distribution"]
    shown = dist[~dist["suppressed"]]
    assert len(shown) >= 2
    # independently from the outcome table: each drawn share is a count of at least 10
    # trajectories over the arm's n (bins as labelled: "k" exactly, "k+" at least k)
    nr = oset.table.dropna(subset=["n_retells"])
    for _, r in shown.iterrows():
        v = nr.loc[nr["arm"] == r["arm"], "n_retells"]
        lab = str(r["bin"])
        k = int(lab.rstrip("+"))
        count = int((v >= k).sum() if lab.endswith("+") else (v == k).sum())
        assert count >= 10 and r["share"] == pytest.approx(count / len(v))
        assert _bar(fig, f"dist:{r['arm']}:{r['bin']}").get_height() == pytest.approx(r["share"])
    # no arm has exactly one hidden bin (it would follow from its n and the others)
    assert not (dist.groupby("arm")["suppressed"].sum() == 1).any()
    tab = oset.table
    fig = plots.costs(tab, lang="en")
    comp = plots.cost_data(tab)["components"]
    tops = {}
    for _, r in comp.iterrows():
        b = _bar(fig, f"component:{r['arm']}:{r['component']}")
        assert b.get_height() == pytest.approx(r["mean"])
        tops[r["arm"]] = max(tops.get(r["arm"], 0), b.get_y() + b.get_height())
    for arm, top in tops.items():
        assert top == pytest.approx(tab.loc[tab["arm"] == arm, "cost_total"].mean())
        share = 1 - tab.loc[tab["arm"] == arm, "any_provision"].astype(float).mean()
        assert _bar(fig, f"no_provision:{arm}").get_height() == pytest.approx(share)


def test_demo_forest_flow_love(demo):
    import wattelt_eval as we

    data, oset = demo
    tab = oset.table
    res = we.compare_all(tab, ["goal_retention", "n_retells"], method="unadjusted", cluster="team")
    fig = plots.forest(res, lang="en")
    for _, r in plots.forest_data(res).iterrows():
        x = _bar(fig, f"estimate:{r['outcome']}:{r['method']}").get_xdata()[0]
        assert x == pytest.approx(r["estimate"])
    fig = plots.flow(oset, lang="en")
    fd = plots.flow_data(oset, lang="en").set_index(["part", "step"])
    assert (
        _bar(fig, "box:trajectories:received")
        .get_text()
        .endswith(f"n = {fd.loc[('trajectories', 'received'), 'shown']}")
    )
    bal = we.balance(tab, arm="arm", covariates=["age", "n_problem_domains_t0"])
    fig = plots.love_plot(bal, lang="en")
    x = np.asarray(fig.axes[0].collections[0].get_offsets())[:, 0]
    np.testing.assert_allclose(sorted(x), sorted(np.abs(bal.table["smd"])))


def test_demo_domain_trends_and_agreement(demo):
    data, _ = demo
    fig = plots.domain_trends(data, lang="nl")
    tr = plots.domain_trends_data(data)
    sub = tr[(tr["arm"] == "demand_driven") & (tr["domain"] == "housing")]
    np.testing.assert_allclose(_bar(fig, "trend:demand_driven:housing").get_ydata(), sub["mean"])
    assert len(fig.axes) >= len(data.instrument.domain_codes)
    fig = plots.agreement(data, lang="en")
    ag = plots.agreement_data(data, raters=("resident", "informal_carer"))
    ag = ag[ag["n_trajectories"] >= 10]
    np.testing.assert_allclose(_offsets(fig, "bias:resident:informal_carer")[:, 0], ag["bias"])
    # the resident's own mean minus the carer's equals the bias (paired rows)
    np.testing.assert_allclose(ag["mean_a"] - ag["mean_b"], ag["bias"])


def test_love_plot_on_the_tiny_pilot_by_hand(tiny):
    import wattelt_eval as we

    t = we.outcomes(tiny)
    bal = we.balance(t, arm="arm", covariates=["age"])
    fig = plots.love_plot(bal, lang="en", min_count=1)
    # ages at 2025-01-01: demand-driven 74, 73; supply-driven 72, 71 (SD 0.707 each)
    x = float(np.asarray(fig.axes[0].collections[0].get_offsets())[0, 0])
    assert x == pytest.approx(2 / np.sqrt(0.5))
    assert fig.wattelt_notes == []
    fig = plots.love_plot(bal, lang="nl")  # two residents per arm: nothing may be drawn
    assert len(fig.axes[0].collections[0].get_offsets()) == 0
    assert fig.wattelt_notes == ["Niet getoond (minder dan 10 inwoners): age."]


def test_forest_of_a_hand_made_ratio_table():
    import pandas as pd

    tab = pd.DataFrame(
        {
            "outcome": ["n_retells", "n_retells", "cost_total"],
            "group": ["all", "0-1", "all"],
            "method": ["aipw", "aipw", "regression"],
            "term": ["ratio"] * 3,
            "estimate": [0.5, 0.9, 0.8],
            "ci_low": [0.25, 0.5, 0.6],
            "ci_high": [1.0, 1.6, 1.1],
            "n_control": [20, 12, 20],
            "n_treated": [20, 8, 20],
            "ci_method": ["cluster_t"] * 3,
        }
    )
    fig = plots.forest(tab, term="ratio", lang="en")
    assert [r["outcome"] for _, r in plots.forest_data(tab, term="ratio").iterrows()] == [
        "n_retells",
        "cost_total",
    ]  # the subgroup row is not part of the forest
    assert _bar(fig, "estimate:n_retells:aipw").get_xdata()[0] == 0.5
    np.testing.assert_allclose(
        sorted(_bar(fig, "ci:cost_total:regression").get_segments()[0][:, 0]), [0.6, 1.1]
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())  # no-effect line
    assert "0.50 (0.25 to 1.00)  [cluster_t]" in [
        t.get_text() for a in fig.axes for t in a.get_yticklabels()
    ]


# ------------------------------------------------------------------------ one rule, one place


def test_figures_use_the_outcome_stage_rules(tiny):
    # issue 12: the figures draw from the outcome stage's tables. Where the old copies
    # differed, the outcome stage's rule (docs/outcomes.md) holds: e.g. two contacts
    # without organisation are both "new" organisations (an inferred telling each).
    import wattelt_eval as we

    d = tiny.copy()
    c = d.contacts.copy()
    c.loc[c["contact_id"].isin(["C8", "C9"]), "organisation"] = pd.NA
    c.loc[c["contact_id"] == "C9", "plan_available"] = pd.NA
    d.contacts = c
    ct = plots.contact_tellings(d).set_index("contact_id")
    oset = we.outcome_set(d)
    n_ret = oset.table.set_index(oset.table["trajectory_id"].astype(str))["n_retells"]
    assert int(ct.loc[ct["trajectory_id"] == "T3", "retelling"].sum()) == n_ret["T3"]
    # the goal flow's last stage is the outcome table's retention
    st = plots.goal_states(tiny)
    t = we.outcomes(tiny).set_index("trajectory_id")
    kept = (st["final"] != "lost").groupby(st["trajectory_id"]).sum()
    for tid, k in kept.items():
        assert k == t.loc[tid, "n_resident_goals_retained"]
