"""Every result type (compare, balance, did, its, power, cea) renders every view from its
tidy ``table`` through one printer: text ``repr`` is ``summary()``, HTML names method and
design, ``tidy()`` returns the table."""

from __future__ import annotations

import numpy as np
from compare_helpers import make_table

import wattelt_eval as we
from wattelt_eval.estimation import BalanceResult, CompareResult
from wattelt_eval.estimation.cost_effectiveness import CEAResult
from wattelt_eval.estimation.diff_in_diff import DiDResult
from wattelt_eval.estimation.results import TableView
from wattelt_eval.estimation.sample_size import PowerResult
from wattelt_eval.estimation.time_series import ITSResult


def test_power_views_derive_from_the_table():
    r = we.power(n_per_arm=100, power=None, effect=0.3, sd=1, lang="en")
    assert repr(r) == r.summary()
    h = r._repr_html_()
    assert h.startswith("<div><b>Power and minimum detectable effect</b>")
    assert r.method in h and r.design in h
    assert r.table.to_html(index=False) in h


def test_every_design_result_is_a_table_view_with_its_own_title():
    titles = set()
    for cls in (DiDResult, ITSResult, CEAResult, PowerResult, CompareResult, BalanceResult):
        assert issubclass(cls, TableView)
        assert cls.__repr__ is TableView.__repr__  # the dataclass did not replace it
        assert set(cls.TITLE) == {"nl", "en"}
        titles.add(cls.TITLE["en"])
    assert len(titles) == 6
    for cls in (DiDResult, ITSResult, CEAResult, PowerResult, CompareResult, BalanceResult):
        for name in ("summary", "_repr_html_", "tidy"):
            assert getattr(cls, name) is getattr(TableView, name), (cls, name)


def test_compare_and_balance_views_come_from_the_tidy_table():
    t = make_table(n_per_arm=60, n_teams=4, seed=1)
    r = we.compare(t, "n_retells", lang="en")
    assert r.tidy() is r.table and repr(r) == r.summary()
    s = r.summary()
    assert s.startswith("Comparison of the arms: n_retells (count)")
    est = r.table.set_index("term").loc["difference", "estimate"]
    assert we.i18n.format.number(est, 3, "en") in s  # the estimate, as formatted
    assert "Vergelijking van de armen" in r.summary("nl")
    h = r._repr_html_()
    assert h.startswith("<div><b>Comparison of the arms</b>") and "<table" in h
    b = we.balance(t, "arm", ["age", "household"], weights=np.ones(len(t)), lang="en")
    assert b.tidy() is b.table and repr(b) == b.summary()
    assert b.summary().startswith("Covariate balance: demand_driven vs supply_driven")
    assert b.view().to_html(index=False) in b._repr_html_()


def test_compare_result_carries_its_fit_and_cea_reuses_it():
    """The fit handle holds what the joint bootstrap of ``cea`` needs: the arm means equal
    the tidy table's, and ``cea`` gives the same replicates as a bootstrap over the two
    handles with the same weights."""
    from wattelt_eval.estimation.bootstrap import bootstrap_counts, make_clusters

    t = make_table(n_per_arm=80, n_teams=4, seed=2)
    c = we.compare(t, "cost_total", covariates=["age"], method="regression", lang="en")
    e = we.compare(t, "goal_retention", covariates=["age"], method="regression", lang="en")
    means = c.table.set_index("term").loc[["mean_control", "mean_treated"], "estimate"]
    np.testing.assert_allclose(c.fit.mu, means.to_numpy(), rtol=1e-12)
    assert c.fit.n == len(t)
    r = we.cea(
        t,
        covariates=["age"],
        method="regression",
        n_boot=50,
        seed=4,
        lang="en",
        uncertainty="bootstrap",
    )
    W = bootstrap_counts(np.random.default_rng(4), 50, c.fit.a, make_clusters(None, c.fit.a))
    mc, me = c.fit.boot(W), e.fit.boot(W)
    np.testing.assert_allclose(r.replicates.d_cost, mc[:, 1] - mc[:, 0], rtol=1e-12)
    np.testing.assert_allclose(r.replicates.d_effect, me[:, 1] - me[:, 0], rtol=1e-12)


def test_cea_fits_each_model_once(monkeypatch):
    from wattelt_eval.estimation import _core

    calls = []
    for name, fn in list(_core.ESTIMATORS.items()):
        monkeypatch.setitem(
            _core.ESTIMATORS, name, lambda *a, _fn=fn, **k: calls.append(1) or _fn(*a, **k)
        )
    t = make_table(n_per_arm=60, n_teams=4, seed=3)
    we.cea(t, n_boot=20, seed=1, lang="en")
    assert len(calls) == 2  # one fit for the cost, one for the effect
