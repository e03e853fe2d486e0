"""Issue 16 part 5: ``outcomes --out table.xlsx`` for analysts, with the data dictionary.

The workbook holds the same numbers as the CSV output, a second sheet describing every
column in Dutch and English, goes through the shared safe writer (no formulas) and is
byte-identical from run to run.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from validation_helpers import copy_tiny, set_cell

from wattelt_eval.cli import main
from wattelt_eval.outcome import TABLE_COLUMNS, outcome_dictionary


@pytest.fixture()
def pkg(tmp_path: Path) -> Path:
    p = copy_tiny(tmp_path)
    set_cell(p, "trajectories", 2, "team", "=HYPERLINK(1)")  # formula-like text
    return p


def test_xlsx_has_the_table_and_its_dictionary(pkg: Path, tmp_path: Path) -> None:
    xlsx, csv = tmp_path / "out" / "table.xlsx", tmp_path / "table.csv"
    assert main(["outcomes", str(pkg), "--out", str(xlsx), "--lang", "en"]) == 0
    assert main(["outcomes", str(pkg), "--out", str(csv)]) == 0
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == ["outcomes", "dictionary"]
    table, dictionary = sheets["outcomes"], sheets["dictionary"]
    from_csv = pd.read_csv(csv)
    assert list(table.columns) == list(from_csv.columns)
    for c in TABLE_COLUMNS:
        kind = "float64" if pd.api.types.is_numeric_dtype(from_csv[c]) else "object"
        pd.testing.assert_series_equal(
            table[c].astype(kind), from_csv[c].astype(kind), check_names=False
        )
    assert dictionary["column"].tolist() == list(table.columns)
    assert list(dictionary.columns) == [
        "column",
        "type",
        "description (Dutch)",
        "description (English)",
    ]
    assert dictionary[["description (Dutch)", "description (English)"]].notna().all().all()
    row = dictionary.set_index("column").loc["goal_retention"]
    assert row["type"] == "number" and "retained" in row["description (English)"]
    # formula-like text is text in the workbook, never a formula
    ws = openpyxl.load_workbook(xlsx)["outcomes"]
    team = [c for c in ws[1] if c.value == "team"][0].column
    cells = [ws.cell(row=r, column=team) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type != "f" for c in cells)
    assert "'=HYPERLINK(1)" in {c.value for c in cells}


def test_xlsx_in_dutch_and_byte_identical(pkg: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert (
        main(["outcomes", str(pkg), "--out", str(a), "--exclusions", str(tmp_path / "x.xlsx")]) == 0
    )
    assert main(["outcomes", str(pkg), "--out", str(b)]) == 0
    assert openpyxl.load_workbook(a).sheetnames == ["uitkomsten", "woordenboek"]
    assert a.read_bytes() == b.read_bytes()
    assert pd.read_excel(tmp_path / "x.xlsx").shape[1] == 8


def test_dictionary_covers_extra_and_pooled_columns() -> None:
    t = pd.DataFrame({"trajectory_id": ["A:T1"], "source": ["A"], "income": [1.5], "gas_t": [50.0]})
    d = outcome_dictionary(t).set_index("column")
    assert d.loc["trajectory_id", "type"] == "text"
    assert "pooled package" in d.loc["source", "description_en"]
    assert "extra_covariates" in d.loc["income", "description_en"]
    assert d.loc["income", "type"] == "number"
    assert "GAS" in d.loc["gas_t", "description_nl"]
