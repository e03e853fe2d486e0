"""National scale (issue 17): the compact reading path gives the in-memory path's results.

Large parquet tables are read with their text dictionary-encoded and parsed per distinct
value (``wattelt_eval.io.read_package(compact=...)``, ``validation/compact.py``). On a
10k-trajectory synthetic pilot, both paths must give the same problems (on a copy
corrupted with problems of many kinds) and the same outcome tables (on the clean copy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wattelt_eval as we
from wattelt_eval import synth
from wattelt_eval.validation.compact import float32_if_exact, smallest_int

N = 10_000
OUTCOME_TABLES = ("table", "exclusions", "flow", "domain_changes", "cohort_domains", "gaps")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "clean"
    return synth.write(out, N, seed=17, format="parquet", truth=False)


def _corrupt(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with problems of many kinds in the large child tables."""
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    rng = np.random.default_rng(1)

    def at(df: pd.DataFrame, k: int) -> np.ndarray:
        return df.index[rng.choice(len(df), k, replace=False)]

    ds = pd.read_parquet(dst / "domain_scores.parquet")
    score = ds["score"].astype("string")
    i = at(ds, 38)
    score[i[:5]] = "abc"  # invalid_number
    score[i[5:10]] = "99"  # score_out_of_scale
    ds["score"] = score
    ds.loc[i[10:15], "domain"] = "NULL"  # placeholder (then missing)
    ds.loc[i[15:20], "domain"] = "Financien"  # unknown_domain
    ds.loc[i[20:25], "trajectory_id"] = "T9999999"  # unknown_reference
    ds.loc[i[25:28], "rater"] = "resident\u200b"  # invisible_character
    ds.loc[i[28:31], "rater"] = "n.v.t."  # placeholder
    ds.loc[i[31:33], "instrument"] = "zrm"  # instrument_mismatch
    ds.loc[i[33:35], "rater"] = "123456782"  # BSN-like (elfproef)
    ds.loc[i[35:38], "rater"] = "bewonerr"  # invalid_enum with a suggestion
    total = ds.iloc[[0]].copy()
    total["trajectory_id"] = "Totaal"  # totals_row
    pd.concat([ds, total], ignore_index=True).to_parquet(dst / "domain_scores.parquet")
    g = pd.read_parquet(dst / "goals.parquet")
    i = at(g, 20)
    g.loc[i[:4], "text"] = "bel 06-12345678 of mail a@b.nl"  # contact_details
    g.loc[i[4:8], "stage"] = "intakee"  # invalid_enum
    g.loc[i[8:12], "goal_id"] = g["goal_id"].iloc[0]  # duplicate_id
    g.loc[i[12:16], "derived_from"] = "G-unknown"  # unknown_reference (lineage)
    g.loc[i[16:20], "date"] = pd.Timestamp("2031-01-01")  # after_extract_date
    g.to_parquet(dst / "goals.parquet")
    c = pd.read_parquet(dst / "contacts.parquet")
    i = at(c, 12)
    c.loc[i[:4], "role"] = "-"  # placeholder, missing_value
    c.loc[i[4:8], "contact_type"] = "telefoon"
    c.loc[i[8:12], "date"] = pd.Timestamp("1990-01-01")  # contact_outside_trajectory
    c.to_parquet(dst / "contacts.parquet")
    return dst


def test_compact_path_lists_the_same_problems(clean: Path, tmp_path: Path) -> None:
    bad = _corrupt(clean, tmp_path / "bad")
    for lang in ("nl", "en"):
        memory = we.validate(bad, lang=lang, compact=False)
        compact = we.validate(bad, lang=lang, compact=True)
        pd.testing.assert_frame_equal(compact, memory)
    rules = set(memory["rule"])
    # the corruptions were found (so the comparison compares something)
    expected = {
        "invalid_number",
        "score_out_of_scale",
        "placeholder",
        "unknown_domain",
        "unknown_reference",
        "invisible_character",
        "instrument_mismatch",
        "bsn",
        "invalid_enum",
        "totals_row",
        "contact_details",
        "duplicate_id",
        "missing_value",
        "contact_outside_trajectory",
    }
    assert expected <= rules, expected - rules
    # the BSN is masked on both paths, never shown
    assert not memory["value"].astype(str).str.contains("123456782").any()
    assert (memory.loc[memory["rule"] == "bsn", "row"].notna()).all()


def test_compact_path_gives_the_same_outcome_tables(clean: Path) -> None:
    memory = we.load(clean, compact=False)
    compact = we.load(clean, compact=True)
    # compact really is compact: text dictionary-encoded, numbers narrowed
    assert isinstance(compact.domain_scores["trajectory_id"].dtype, pd.CategoricalDtype)
    assert compact.domain_scores["measurement"].dtype == "Int8"
    assert compact.domain_scores["score"].dtype == np.float32
    assert compact.trajectories["trajectory_id"].dtype == memory.trajectories["trajectory_id"].dtype
    mem_deep = memory.domain_scores.memory_usage(deep=True).sum()
    assert compact.domain_scores.memory_usage(deep=True).sum() < mem_deep / 3
    a, b = we.outcome_set(memory), we.outcome_set(compact)
    for k in OUTCOME_TABLES:
        pd.testing.assert_frame_equal(getattr(b, k), getattr(a, k), obj=k)
    assert len(a.table) == N


def test_automatic_choice_by_rows(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wattelt_eval import io

    raw = io.read_package(clean)  # 10k trajectories: every table below the threshold
    assert not any(isinstance(t, pd.CategoricalDtype) for t in raw.tables["goals"].frame.dtypes)
    monkeypatch.setattr(io, "COMPACT_MIN_ROWS", 1000)
    raw = io.read_package(clean)
    assert isinstance(raw.tables["goals"].frame["trajectory_id"].dtype, pd.CategoricalDtype)
    # a column of mostly distinct ids stays plain text (smaller than a dictionary)
    assert isinstance(raw.tables["goals"].frame["goal_id"].dtype, pd.StringDtype)
    # the trajectories are never read compactly: their text is the outcome table's
    assert not isinstance(raw.tables["trajectories"].frame["arm"].dtype, pd.CategoricalDtype)


def test_recode_categorical_merges_and_drops() -> None:
    from wattelt_eval.io import recode_categorical

    s = pd.Series(pd.Categorical(["a", "B", None, "b", "x"]))
    assert list(s.cat.categories) == ["B", "a", "b", "x"]
    out = recode_categorical(s, ["b", "a", "b", None])
    assert out.astype(object).where(out.notna(), None).tolist() == ["a", "b", None, "b", None]
    assert list(out.cat.categories) == ["b", "a"]


def test_smallest_int_keeps_every_value() -> None:
    small = smallest_int(pd.Series([0, 5, None, 127], dtype="Int64"))
    assert small.dtype == "Int8"
    assert small.tolist() == [0, 5, pd.NA, 127]
    assert smallest_int(pd.Series([0, 128], dtype="Int64")).dtype == "Int16"
    assert smallest_int(pd.Series([-40000, 1], dtype="Int64")).dtype == "Int32"
    assert smallest_int(pd.Series([0, 2**40], dtype="Int64")).dtype == "Int64"
    assert smallest_int(pd.Series([None, None], dtype="Int64")).dtype == "Int8"


def test_float32_only_when_exact() -> None:
    exact = float32_if_exact(pd.Series([6.0, 7.5, np.nan, 1e6]))
    assert exact.dtype == np.float32
    assert exact.astype("float64").tolist()[:2] == [6.0, 7.5] and np.isnan(exact.iloc[2])
    assert float32_if_exact(pd.Series([6.0, 0.1])).dtype == np.float64
    assert float32_if_exact(pd.Series([65.55])).dtype == np.float64


def test_duplicated_first_is_pandas_duplicated() -> None:
    from wattelt_eval.validation.cross import duplicated_first

    rng = np.random.default_rng(3)
    for key in (rng.integers(0, 50, 2000), np.sort(rng.integers(0, 10**12, 5000)), np.arange(9)):
        key = key.astype(np.int64)
        expected = pd.Series(key).duplicated(keep="first").to_numpy()
        assert (duplicated_first(key) == expected).all()
    assert duplicated_first(np.array([5, 3, 5, 5, 3], dtype=np.int64)).tolist() == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_duplicated_rows_on_codes_is_pandas_duplicated() -> None:
    from wattelt_eval.validation.cross import _duplicated_rows

    rng = np.random.default_rng(4)
    n = 20_000
    df = pd.DataFrame(
        {
            "a": pd.Categorical(rng.choice(["x", "y", "z", None], n)),
            "b": pd.array(rng.integers(-3, 4, n), dtype="Int8"),
            "c": rng.choice(["p", "q"], n),
        }
    )
    df.loc[::7, "b"] = pd.NA
    assert (_duplicated_rows(df) == df.duplicated(keep="first").to_numpy()).all()


def test_lineage_checks_on_categorical_columns() -> None:
    """derived_from / trajectory_id as categoricals: the same lineage problems as text."""
    from wattelt_eval.validation.lineage import check_derived_from
    from wattelt_eval.validation.problems import Problems

    g = pd.DataFrame(
        {
            "goal_id": ["G1", "G2", "G3", "G4", "G5", "G6"],
            "trajectory_id": ["T1", "T1", "T2", "T2", "T2", None],
            "stage": ["intake", "plan", "plan", "intake", "final", "plan"],
            "derived_from": [None, "G1", "G1", "G5", "G4", "G9"],
        },
        index=pd.RangeIndex(2, 8, name="row"),
    ).astype("string")
    present = set(g.columns)
    text, cat = Problems(), Problems()
    check_derived_from(g, present, "goals.parquet", text)
    gc = g.copy()
    gc["trajectory_id"] = gc["trajectory_id"].astype("category")
    gc["derived_from"] = gc["derived_from"].astype("category")
    check_derived_from(gc, present, "goals.parquet", cat)
    a, b = text.frame(), cat.frame()
    pd.testing.assert_frame_equal(a, b)
    # G3 (T2) derives from G1 (T1); G9 is unknown; G4 (intake) from G5 (final) is later
    rules = set(a["rule"])
    assert {"derived_from_other_trajectory", "unknown_reference"} <= rules
    assert "derived_from_later_stage" in rules


def test_duckdb_reference_of_the_benchmark_agrees(clean: Path) -> None:
    """benchmarks/bench_scale.py's DuckDB-SQL reference gives the package's outcomes.

    Two independent implementations (SQL over the files; pandas after validation) of
    docs/outcomes.md sections 2-4, 6 and 7 (goal lineage and retention, GAS, tellings,
    window costs, domain monitoring), compared trajectory by trajectory, and per
    trajectory x rater x domain (first vs latest) and trajectory x domain x measurement
    (resident - professional gaps).
    """
    pytest.importorskip("duckdb")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_scale", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_scale.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = we.outcome_set(we.load(clean))
    ref = bench.run_reference(clean)
    check = bench._compare(res, ref)
    assert check["table"]["rows"] == N
    assert len(check["changes"]) and check["changes"]["rows"] == len(res.domain_changes)
    for name, part in check.items():
        assert part["package_only"] == part["reference_only"] == 0, name
        for c, d in part.items():
            if isinstance(d, dict):
                assert d["n_different"] == 0, (name, c, d)
    # the comparison compares something: costs, retention, gaps and trends vary ...
    t = res.table
    assert t["cost_provisions"].gt(0).sum() > N / 2
    assert t["goal_retention"].between(0.01, 0.99).sum() > N / 10
    assert t["disagreement_t0"].gt(0).sum() > N / 2
    assert res.domain_changes["trend"].value_counts().min() > 1000
    # ... and a single changed cell is found
    i = ref["table"]["goal_retention"].first_valid_index()
    ref["table"].loc[i, "goal_retention"] += 0.5
    ref["gaps"].loc[3, "gap"] = 99.0
    check = bench._compare(res, ref)
    assert check["table"]["goal_retention"]["n_different"] == 1
    assert check["gaps"]["gap"]["n_different"] == 1


def test_progress_bar_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from wattelt_eval.synth import demo_path

    quiet = we.validate(demo_path())
    assert capsys.readouterr().err == ""
    shown = we.validate(demo_path(), lang="en", progress=True)
    err = capsys.readouterr().err
    assert "checking" in err and "measurement_baseline" in err  # the last cross check
    pd.testing.assert_frame_equal(quiet, shown)
    we.load(demo_path(), progress=True)
    assert "inlezen en controleren" in capsys.readouterr().err


def test_cli_progress_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from wattelt_eval.cli.main import main
    from wattelt_eval.synth import demo_path

    out = tmp_path / "o.parquet"
    assert main(["outcomes", str(demo_path()), "--out", str(out), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "uitkomsten berekenen" in err and "5/5" in err
    assert main(["validate", str(demo_path()), "--no-progress"]) == 0
    assert "controleren:" not in capsys.readouterr().err


def test_out_of_memory_is_a_clear_bilingual_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A package too large for memory (e.g. 1M trajectories as CSV) gives a DataError that
    says what happened and what to do, in Dutch and English, not a pyarrow traceback."""
    import pyarrow as pa

    from wattelt_eval import io
    from wattelt_eval.cli.main import main
    from wattelt_eval.errors import DataError

    pkg = synth.write(tmp_path / "big", 300, seed=3, format="csv", truth=False)
    largest = max(pkg.glob("*.csv"), key=lambda f: f.stat().st_size)
    read = io.read_csv_table

    def fail_on_largest(path: Path, name: str | None = None) -> io.RawTable:
        if Path(path).name == largest.name:  # a forced allocation failure, as at 1M
            raise pa.ArrowMemoryError("malloc of size 6442450944 failed")
        return read(path, name)

    monkeypatch.setattr(io, "read_csv_table", fail_on_largest)
    for call in (we.validate, we.load):
        with pytest.raises(DataError) as info:
            call(pkg)
        err = info.value
        assert "werkgeheugen" in err.message_nl and "memory" in err.message_en
        for msg in (err.message_nl, err.message_en):
            assert largest.name in msg and largest.with_suffix(".parquet").name in msg
            assert "COPY" in msg and "docs/scale.md" in msg and "malloc" not in msg
        assert isinstance(err.__cause__, MemoryError)  # the cause is kept for a developer
    # the command: exit code 1 and the message, no traceback
    assert main(["validate", str(pkg), "--lang", "en"]) == 1
    out = capsys.readouterr()
    assert "does not fit in this computer's memory" in out.out + out.err
    assert "Traceback" not in out.out + out.err
