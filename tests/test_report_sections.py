"""Report sections without a notebook: category merging, small arms, flow tables."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from wattelt_eval import synth
from wattelt_eval.disclosure import DisclosureRule
from wattelt_eval.report.analysis import ordered_counts
from wattelt_eval.report.plan import COST_BINS, HEADLINES, RETELL_BINS
from wattelt_eval.report.render import band_label
from wattelt_eval.report.sections import CouncilReport


def _ordered_counts(values, arms, bins, rule, lang, euro=False):
    """Counts merged by the analysis, columns labelled as the report prints them."""
    out = ordered_counts(values, arms, bins, rule)
    out.columns = [band_label(b, lang, euro) for b in out.columns]
    return out


def _arms(n_d: int, n_s: int) -> np.ndarray:
    return np.array(["demand_driven"] * n_d + ["supply_driven"] * n_s)


def test_ordered_counts_merges_small_categories_by_hand():
    # retellings: demand 0:20 1:30 2:5 3+:3, supply 0:12 1:11 2:20 3+:15
    # step 1: smallest cell 3 (3+) merges with 2 -> 2+ = (8, 35); step 2: 8 < 10 and
    # 2+ is smallest -> merges with 1 -> 1+ = (38, 46); two columns left.
    d = [0] * 20 + [1] * 30 + [2] * 5 + [3] * 3
    s = [0] * 12 + [1] * 11 + [2] * 20 + [5] * 15
    out = _ordered_counts(
        np.array(d + s, float), _arms(58, 58), RETELL_BINS, DisclosureRule(), "nl"
    )
    assert list(out.columns) == ["0", "1+"]
    assert out.loc["demand_driven"].tolist() == [20, 38]
    assert out.loc["supply_driven"].tolist() == [12, 46]


def test_ordered_counts_keeps_categories_without_small_cells_and_labels_euros():
    v = np.array([0.0] * 10 + [0.4] * 10 + [999.5] * 10 + [1000] * 10 + [7000] * 10, float)
    # 0.4 counts as the "1 - 999" band, 999.5 too (below 1000)
    out = _ordered_counts(
        np.concatenate([v, v]), _arms(50, 50), COST_BINS, DisclosureRule(), "en", euro=True
    )
    assert list(out.columns) == ["€0", "€1 – €999", "€1,000 – €4,999", "€5,000+"]
    assert out.loc["demand_driven"].tolist() == [10, 20, 10, 10]
    out = _ordered_counts(
        np.concatenate([v, v]), _arms(50, 50), COST_BINS, DisclosureRule(), "nl", euro=True
    )
    assert list(out.columns)[2] == "€ 1.000 – € 4.999"


def _subset(data, keep: pd.Series):
    """PilotData restricted to the trajectories in ``keep`` (every table)."""
    ids = set(keep)
    out = data.copy()
    for name, df in out.tables.items():
        setattr(out, name, df[df["trajectory_id"].isin(ids)].copy())
    out.truth = None
    return out


@pytest.fixture(scope="module")
def small_arm_report():
    data = synth.generate(120, seed=11, superpopulation=None)
    tr = data.trajectories
    dd = tr.loc[tr["arm"] == "demand_driven", "trajectory_id"].iloc[:6]
    ss = tr.loc[tr["arm"] == "supply_driven", "trajectory_id"]
    small = _subset(data, pd.concat([dd, ss]))
    rep = CouncilReport(small, lang="en", n_boot=199, generated="2025-06-15T00:00:00+00:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.run()
    return rep


def test_arm_below_min_n_shows_no_estimate(small_arm_report):
    rep = small_arm_report
    assert all(rep.effects[h.key].status == "small" for h in HEADLINES)
    summary = rep.summary()._repr_html_()
    assert "%" not in summary.split("</table>")[0].split("<tbody>")[1]  # no shares in the table
    assert summary.count("Too few trajectories (fewer than 10") == len(HEADLINES)
    assert "We compare &lt;10 trajectories" in summary  # the small arm's size is suppressed
    for h in HEADLINES:
        sec = rep.outcome_section(h.key)._repr_html_()
        assert "<img" not in sec and "Figure not shown" in sec
        # the counts table still appears, every number cell suppressed or >= 10
        for cell in re.findall(r"<td class='num'>([^<]*)</td>", sec):
            digits = cell.replace(",", "")
            assert not digits.isdigit() or int(digits) >= 10, cell


def test_flow_lists_only_reasons_that_occurred(small_arm_report):
    rep = small_arm_report
    fl = rep.oset.flow
    html = rep.flow()._repr_html_()
    for _, row in fl[(fl["kind"] == "excluded") & (fl["n"] == 0)].iterrows():
        if not ((fl["label_en"] == row["label_en"]) & (fl["n"] > 0)).any():
            assert f">{row['label_en']}<" not in html
    # total of the trajectories table equals the number of trajectories (>= 10, shown)
    n = len(rep.data.trajectories)
    assert f"<th scope='row'>Trajectories received</th><td class='num'>{n}</td>" in html
