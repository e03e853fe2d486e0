"""Regression tests for the fast paths of validation (issue 2): each fast path must give
the problems the general route gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from validation_helpers import copy_tiny, read_rows, set_cell, write_rows

import wattelt_eval as we
from wattelt_eval.io import read_csv_table


def test_impossible_and_invalid_dates_in_one_column(tmp_path: Path) -> None:
    # an impossible date next to a value that is no date at all used to raise inside
    # pandas instead of being reported
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "contacts", 2, "date", "31-02-2025")
    set_cell(pkg, "contacts", 3, "date", "geen datum")
    p = we.validate(pkg, lang="en")
    got = sorted(zip(p["row"], p["column"], p["rule"], strict=True))
    assert (2, "date", "impossible_date") in got
    assert (3, "date", "invalid_date") in got
    assert p.loc[p["rule"] == "impossible_date", "value"].tolist() == ["31-02-2025"]


def test_csv_fast_reader_matches_pandas_route(tmp_path: Path) -> None:
    # quoted separators, doubled quotes, a newline inside quotes, spaces, empty cells:
    # the cells as the pandas C parser reads them (stripped, empty -> missing)
    text = 'a;b;c\n"x;y"; 1,5 ;\n"he said ""hi""";"two\nlines";z\n'
    path = tmp_path / "goals.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_csv_table(path)
    assert raw.separator == ";" and raw.decimal == ","
    assert list(raw.frame.columns) == ["a", "b", "c"]
    assert raw.frame.index.tolist() == [2, 3]
    assert raw.frame["a"].tolist() == ["x;y", 'he said "hi"']
    assert raw.frame["b"].tolist() == ["1,5", "two\nlines"]
    assert raw.frame["c"].isna().tolist() == [True, False]
    assert isinstance(raw.frame["a"].dtype, pd.StringDtype)


def test_ragged_csv_still_reports_its_line(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    rows = read_rows(pkg / "staff_time.csv")
    write_rows(pkg / "staff_time.csv", [*rows, [*rows[1], "extra", "more"]])
    p = we.validate(pkg, lang="en")
    bad = p[p["rule"] == "unreadable_file"]
    assert bad["file"].tolist() == ["staff_time.csv"]
    assert f"Line {len(rows) + 1} has" in bad["message"].iloc[0]
