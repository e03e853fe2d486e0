"""The benchmark's compact reader gives the outcome set of ``we.load``, value for value.

``benchmarks/bench_outcomes.py`` times ``we.outcome_set`` at national scale on input read
by :func:`read_compact` (``we.load(compact=True)``: values in their smallest exact dtype). The
figures in ``docs/outcomes.md`` only mean something if that input is the same data; the
script checks it at 100k, this test checks it on the bundled demo on every run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wattelt_eval as we
from wattelt_eval.synth import demo_path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_outcomes.py"
TABLES = ("table", "exclusions", "flow", "domain_changes", "cohort_domains", "gaps")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_outcomes", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compact_reader_gives_the_outcome_set_of_we_load(bench):
    compact = bench.read_compact(demo_path())
    full = we.load(demo_path())
    assert len(full.exclusions) == 0  # the demo is valid: nothing for the reader to skip
    # the compact input is smaller, with the same values
    assert compact.domain_scores["measurement"].dtype == "Int8"
    assert compact.domain_scores["score"].dtype == np.float32
    assert isinstance(compact.goals["trajectory_id"].dtype, pd.CategoricalDtype)
    for name in ("contacts", "goals", "domain_scores", "provisions", "staff_time"):
        assert len(compact[name]) == len(full[name])
        assert list(compact[name].index[:2]) == [2, 3]  # row numbers as we.load: header = 1
    a = we.outcome_set(compact)
    b = we.outcome_set(full)
    for k in TABLES:
        pd.testing.assert_frame_equal(getattr(a, k), getattr(b, k), obj=k)
        bench._assert_same_frame(getattr(a, k), getattr(b, k))


def test_same_frame_check_sees_a_changed_category(bench):
    df = pd.DataFrame({"arm": pd.Categorical(["a", "b", "a"]), "x": [1.0, 2.0, 3.0]})
    bench._assert_same_frame(df, df.copy())
    other = df.copy()
    other["arm"] = pd.Categorical(["a", "b", "b"])
    with pytest.raises(AssertionError):
        bench._assert_same_frame(df, other)
    other = df.copy()
    other["arm"] = other["arm"].cat.reorder_categories(["b", "a"])
    with pytest.raises(AssertionError):
        bench._assert_same_frame(df, other)
    other = df.copy()
    other.loc[1, "x"] = 2.5
    with pytest.raises(AssertionError):
        bench._assert_same_frame(df, other)
