"""The benchmark's compact reader gives the outcome set of ``we.load``, value for value.

``benchmarks/bench_outcomes.py`` times ``we.outcome_set`` at national scale on input read
by :func:`read_compact` (one column at a time, values in their smallest exact dtype). The
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
    assert isinstance(compact.goals["goal_id"].dtype, pd.CategoricalDtype)
    for name in ("contacts", "goals", "domain_scores", "provisions", "staff_time"):
        assert len(compact[name]) == len(full[name])
        assert list(compact[name].index[:2]) == [2, 3]  # row numbers as we.load: header = 1
    a = we.outcome_set(compact)
    b = we.outcome_set(full)
    for k in TABLES:
        pd.testing.assert_frame_equal(getattr(a, k), getattr(b, k), obj=k)
        bench._assert_same_frame(getattr(a, k), getattr(b, k))


def test_smallest_int_keeps_every_value(bench):
    small = bench._smallest_int(pd.Series([0, 5, None, 127], dtype="Int64"))
    assert small.dtype == "Int8"
    assert small.tolist() == [0, 5, pd.NA, 127]
    assert bench._smallest_int(pd.Series([0, 128], dtype="Int64")).dtype == "Int16"
    assert bench._smallest_int(pd.Series([-40000, 1], dtype="Int64")).dtype == "Int32"
    big = pd.Series([0, 2**40], dtype="Int64")
    assert bench._smallest_int(big).dtype == "Int64"
    assert bench._smallest_int(pd.Series([None, None], dtype="Int64")).dtype == "Int8"


def test_float32_only_when_exact(bench):
    exact = bench._float32_if_exact(pd.Series([6.0, 7.5, np.nan, 1e6]))
    assert exact.dtype == np.float32
    assert exact.astype("float64").tolist()[:2] == [6.0, 7.5] and np.isnan(exact.iloc[2])
    # 0.1 and 65.55 are not float32 numbers: the column stays float64
    assert bench._float32_if_exact(pd.Series([6.0, 0.1])).dtype == np.float64
    assert bench._float32_if_exact(pd.Series([65.55])).dtype == np.float64


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
