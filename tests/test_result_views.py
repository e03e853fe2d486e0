"""The design-level results (power here; did/its/cea share the class) render every view
from their tidy ``table``: text ``repr`` is ``summary()``, HTML names method and design."""

from __future__ import annotations

import wattelt_eval as we
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
    for cls in (DiDResult, ITSResult, CEAResult, PowerResult):
        assert issubclass(cls, TableView)
        assert cls.__repr__ is TableView.__repr__  # the dataclass did not replace it
        assert set(cls.TITLE) == {"nl", "en"}
        titles.add(cls.TITLE["en"])
    assert len(titles) == 4
