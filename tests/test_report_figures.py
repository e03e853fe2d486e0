"""Disclosure in the council report's figures, their text alternatives and palette (issue 14).

The figures are checked on their plotted data (the matplotlib artists), not the image:
:func:`report_helpers.figure_leaks` reads the bar widths, the n labels, the printed
percentages and any marks, and fails when a plotted number lets one derive a count
below the threshold.
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from report_helpers import figure_leaks

from wattelt_eval import synth
from wattelt_eval.disclosure import (
    publishable_share,
    published_shares,
    suppress_table,
)
from wattelt_eval.plots._common import OKABE_ITO
from wattelt_eval.report.figures import CATEGORY_STYLE, HIDDEN_STYLE, report_figures
from wattelt_eval.report.plan import ARMS
from wattelt_eval.report.sections import HEADLINES, CouncilReport

matplotlib.use("Agg")


# ----------------------------------------------------------------------------- the rule
def test_publishable_share_by_hand():
    # n = 15: 13 with and 2 without; "86,7% of 15" reveals the 2
    assert publishable_share(13, 15) is None
    assert publishable_share(2, 15) is None
    # 0% reveals "nobody" (zero counts are small under min10)
    assert publishable_share(0, 15) is None
    assert publishable_share(15, 15) is None
    assert publishable_share(12, 30) == pytest.approx(0.4)
    assert publishable_share(10, 20) == pytest.approx(0.5)
    assert publishable_share(9, 9) is None  # n under min_n
    # cbs: 12 -> 10, 30 -> 30 (the rounded counts are what a reader sees)
    assert publishable_share(12, 30, rule="cbs") == pytest.approx(10 / 30)
    assert publishable_share(12, 30, threshold=13) is None
    assert publishable_share(None, 30) is None
    with pytest.raises(ValueError, match="whole number"):
        publishable_share(31, 30)


def test_published_shares_come_from_the_published_table_only():
    t = pd.DataFrame({"ja": [3, 20, 30], "nee": [25, 22, 40]}, index=["A", "B", "C"])
    pub = suppress_table(t)  # A: <10 x 28; B: x x 42; C: 30 40 70
    ps = published_shares(t)
    # rows with a hidden cell: nothing shown, all pooled as "not shown"
    assert ps.shares.loc[["A", "B"]].isna().all().all()
    assert ps.hidden.loc[["A", "B"]].tolist() == [1.0, 1.0]
    # the fully shown row: the published counts over the published total, by hand
    assert ps.shares.loc["C"].tolist() == pytest.approx([30 / 70, 40 / 70])
    assert ps.hidden.loc["C"] == 0.0
    assert ps.totals.tolist() == [28.0, 42.0, 70.0]
    assert pub.loc["C", "ja"] == "30" and pub.loc["A", "ja"] == "<10"
    # cbs: shares from the rounded counts (13 -> 15, 27 -> 25, 40 -> 40)
    c = published_shares(pd.DataFrame({"a": [13, 30], "b": [27, 31]}), "cbs")
    assert c.shares.iloc[0].tolist() == pytest.approx([15 / 40, 25 / 40])


# ----------------------------------------------------------------------------- the pilots
def _subset(data, per_arm: int):
    tr = data.trajectories
    keep = set(pd.concat([tr.loc[tr["arm"] == a, "trajectory_id"].iloc[:per_arm] for a in ARMS]))
    out = data.copy()
    for name, df in out.tables.items():
        setattr(out, name, df[df["trajectory_id"].isin(keep)].copy())
    out.truth = None
    return out


def _report(data, lang="nl"):
    rep = CouncilReport(data, lang=lang, n_boot=199, generated="2025-06-15T00:00:00+00:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.run()
    return rep


@pytest.fixture(scope="module")
def pilot():
    return synth.generate(300, seed=11, superpopulation=None)


@pytest.fixture(scope="module")
def report15(pilot):
    rep = _report(_subset(pilot, 15))
    assert rep.analysis.n_arm == {"demand_driven": 15, "supply_driven": 15}
    return rep


@pytest.fixture(scope="module")
def report40(pilot):
    return _report(_subset(pilot, 40), lang="en")


@pytest.fixture(scope="module")
def demo_report():
    return _report(synth.demo())


def _check_hidden_against_table(rep, f):
    """A grey "not shown" bar is the table's suppressed cells of its row together (>= 2)."""
    a = rep.analysis
    pub = suppress_table(a.counts[f.key], a.rule, lang=rep.lang)
    for arm in a.counts[f.key].index:
        h = f.hidden.loc[arm]
        if not np.isfinite(h) or h == 0:
            continue
        row = pub.loc[arm].iloc[:-1]
        hidden_cells = [v for v in row if not v.replace(".", "").replace(",", "").isdigit()]
        assert len(hidden_cells) >= 2, (f.key, arm, row.tolist())
        shown = sum(int(v.replace(".", "").replace(",", "")) for v in row if v not in hidden_cells)
        total = int(pub.loc[arm].iloc[-1].replace(".", "").replace(",", ""))
        assert h * f.totals.loc[arm] == pytest.approx(total - shown)


@pytest.mark.parametrize("which", ["report15", "report40", "demo_report"])
def test_no_figure_reveals_a_count_below_the_threshold(which, request):
    rep = request.getfixturevalue(which)
    a = rep.analysis
    figs = report_figures(a, rep.lang)
    for f in figs:
        leaks = figure_leaks(f.figure, a.rule.threshold, rep.lang)
        assert not leaks, (f.key, leaks)
        _check_hidden_against_table(rep, f)
        matplotlib.pyplot.close(f.figure)
    if which == "report15":
        # 15 trajectories per arm: any two parts of 15 have one under 10, so every cell of
        # the trajectory tables is hidden and no figure is drawn; the section says why.
        # (Goals are counted per goal: more than 15 per arm.)
        assert [f.key for f in figs] == ["goal_retention"]
        for h in HEADLINES[1:]:
            sec = rep.outcome_section(h.key)._repr_html_()
            assert "<img" not in sec and "Figuur niet getoond" in sec
    else:
        assert len(figs) >= 2  # something is drawn, so the check above checked something


def test_the_leak_check_catches_revealing_figures():
    """The check fails on the figures of issue 14 (so the test above can fail)."""
    import matplotlib.pyplot as plt

    # a bar of 86,7% labelled n = 15 reveals 13 and 2
    fig, ax = plt.subplots()
    ax.barh([0], [13 / 15])
    ax.set_yticks([0], ["vraaggestuurd\n(n = 15)"])
    ax.text(0.4, 0, "86,7%")
    leaks = figure_leaks(fig, 10, "nl")
    assert leaks == [], "13 of 15 alone is publishable; its complement is the leak below"
    ax.barh([0], [2 / 15], left=[13 / 15])
    assert any("reveals 2 of 15" in x for x in figure_leaks(fig, 10, "nl"))
    plt.close(fig)
    # a share of 0% and a strip of individual costs
    fig, ax = plt.subplots()
    ax.barh([0], [1.0])
    ax.set_yticks([0], ["a (n = 15)"])
    ax.text(0.5, 0, "0%")
    ax.scatter(np.arange(15), np.arange(15))
    leaks = figure_leaks(fig, 10, "nl")
    assert any("individual marks" in x for x in leaks)
    assert any("'0%' is not a drawn share" in x for x in leaks)
    plt.close(fig)
    # a share that is not a count of its n (drawn from other numbers than the table)
    fig, ax = plt.subplots()
    ax.barh([0], [0.5123])
    ax.set_yticks([0], ["a (n = 40)"])
    assert any("not a count" in x for x in figure_leaks(fig, 10, "en"))
    plt.close(fig)


# ----------------------------------------------------------------------------- accessibility
def _percents(s: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d)?%", s)


def test_alt_text_states_every_number_drawn(demo_report, report40):
    for rep in (demo_report, report40):
        a = rep.analysis
        for f in report_figures(a, rep.lang):
            for arm in a.counts[f.key].index:
                for s in f.shares.loc[arm]:
                    if np.isfinite(s):
                        pct = f"{100 * s:.1f}%"
                        pct = pct.replace(".", ",") if rep.lang == "nl" else pct
                        assert pct in f.alt, (f.key, pct, f.alt)
            # every arm named with its published n
            for name in ("vraaggestuurd", "aanbodgestuurd", "demand-driven", "supply-driven"):
                if name in f.alt:
                    assert re.search(re.escape(name) + r" \(n = [\d.,]+\)", f.alt)
            assert len(_percents(f.alt)) >= 2
            matplotlib.pyplot.close(f.figure)
    html = demo_report.outcome_section("cost_total")._repr_html_()
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert "Staafdiagram" in alt and len(_percents(alt)) >= 4


def test_palette_is_okabe_ito_and_colour_is_never_alone(demo_report):
    colours = [c for c, _, _ in CATEGORY_STYLE]
    assert set(colours) <= {v.upper() for v in OKABE_ITO.values()}
    assert len(set(colours)) == len(colours)
    hatches = [h for _, h, _ in (*CATEGORY_STYLE, HIDDEN_STYLE)]
    assert len(set(hatches)) == len(hatches)  # every category has its own hatching
    # in a drawn figure: the two arms are named on the axis, not told apart by colour
    f = report_figures(demo_report.analysis, "nl")[0]
    ax = f.figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("vraaggestuurd") and labels[1].startswith("aanbodgestuurd")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["behouden of bereikt", "verloren"]
    matplotlib.pyplot.close(f.figure)


def test_label_contrast_meets_wcag_aa():
    """Percentages on the bars: contrast of label colour on the bar colour >= 4.5 (WCAG 1.4.3)."""
    from matplotlib.colors import to_rgb

    def luminance(c):
        rgb = np.array(to_rgb(c))
        lin = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(lin @ [0.2126, 0.7152, 0.0722])

    for fill, _, ink in (*CATEGORY_STYLE, HIDDEN_STYLE):
        hi, lo = sorted([luminance(fill), luminance(ink)], reverse=True)
        ratio = (hi + 0.05) / (lo + 0.05)
        assert ratio >= 4.5, (fill, ink, round(ratio, 2))


def test_monitor_chart_alt_text_lists_every_value_drawn():
    from wattelt_eval.plots import monitor_data
    from wattelt_eval.report.figures import monitor_alt

    data = synth.generate(600, seed=3, design="rollout", superpopulation=None)
    rep = CouncilReport(
        data, lang="en", n_boot=199, generated="2025-06-15T00:00:00+00:00", monitor=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.run()
    res = rep.analysis.monitor
    alt = monitor_alt(res, "board_t0", "en")
    drawn = monitor_data(res, "board_t0")
    shown = drawn[np.isfinite(drawn["share_or_rate"].to_numpy(dtype=float))]
    assert len(shown) > 0 and len(shown) < len(drawn)  # some periods hidden, some drawn
    assert len(_percents(alt)) == len(shown)
    for _, r in shown.iterrows():
        assert f"{r['period']:%Y-%m} {100 * r['share_or_rate']:.0f}%" in alt
    html = rep.implementation()._repr_html_()
    assert 'alt="Control chart' in html
