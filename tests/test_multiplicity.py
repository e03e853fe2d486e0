"""Holm for subgroups; Romano-Wolf from the joint score bootstrap (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wattelt_eval.estimation import compare, compare_all
from wattelt_eval.estimation.multiplicity import holm_adjust


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 480
    team = rng.integers(0, 16, n)
    t = (team < 8).astype(float)
    u = rng.normal(0, 0.3, 16)[team]
    a = 0.25 * t + u + rng.normal(size=n)
    return pd.DataFrame(
        {
            "arm": np.where(t == 1, "demand_driven", "supply_driven"),
            "team": team.astype(str),
            "group": np.where(rng.random(n) < 0.5, "0-1", "2+"),
            "y1": a,
            "y1_copy": a,
            "y2": 0.1 * t + u + rng.normal(size=n),
        }
    )


def test_holm_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # sorted 0.01, 0.03, 0.04, 0.20 -> 4*0.01, 3*0.03, max(2*0.04, .09), max(0.2, .09)
    assert holm_adjust(p) == pytest.approx([0.04, 0.09, 0.09, 0.20])


def test_subgroups_carry_holm(table):
    res = compare(table, "y1", "arm", cluster="team", by="group", kind="continuous")
    t = res.table
    sub = t[(t.group != "all") & (t.term == "difference")]
    assert sub["p_holm"].to_numpy() == pytest.approx(holm_adjust(sub["p_value"].to_numpy()))
    assert t.loc[t.group == "all", "p_holm"].isna().all()


def test_romano_wolf_counts_a_copied_outcome_once(table):
    kw = dict(cluster="team", method="unadjusted", kind="continuous", seed=1)
    one = compare_all(table, ["y1"], romano_wolf=True, n_boot_rw=4999, **kw)
    two = compare_all(table, ["y1", "y1_copy"], romano_wolf=True, n_boot_rw=4999, **kw)
    p1 = one.loc[one.term == "difference", "p_romano_wolf"].iloc[0]
    p2 = two.loc[two.term == "difference", "p_romano_wolf"].to_numpy()
    # identical statistics: the max over the two is the statistic itself -> no penalty,
    # while Holm doubles the p-value
    assert p2 == pytest.approx([p1, p1])
    h = two.loc[two.term == "difference", "p_holm"].to_numpy()
    raw = two.loc[two.term == "difference", "p_value"].to_numpy()
    assert h == pytest.approx(np.minimum(1, 2 * raw))


def test_romano_wolf_is_monotone_and_at_least_single(table):
    kw = dict(cluster="team", method="unadjusted", kind="continuous", seed=2)
    tab = compare_all(table, ["y1", "y2"], romano_wolf=True, n_boot_rw=4999, **kw)
    d = tab[tab.term == "difference"].reset_index(drop=True)
    from wattelt_eval.estimation.multiplicity import romano_wolf

    fits = [compare(table, o, "arm", **kw).fit for o in ("y1", "y2")]
    single, adj = romano_wolf(fits, n_boot=4999, seed=2)
    assert adj == pytest.approx(d["p_romano_wolf"].to_numpy())
    assert (adj >= single - 1e-12).all()
    # step-down: the smaller single p keeps the order
    order = np.argsort(single)
    assert adj[order[0]] <= adj[order[1]] + 1e-12
