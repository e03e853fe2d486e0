"""The generated templates: no drift from the schema, drop-downs, and a filled workbook validates."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from validation_helpers import TINY, read_rows

import wattelt_eval as we
from wattelt_eval import schema, templates
from wattelt_eval.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COMMITTED = Path(__file__).resolve().parents[1] / "data_templates"
TEXT_FILES = [f"csv/{t}.csv" for t in schema.TABLES] + ["csv/study.toml", "data_dictionary.md"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    templates.write_templates(out)
    return out


def _workbook_content(path: Path) -> dict:
    """Everything a user sees in the workbook: cell values, comments, drop-downs, per sheet."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {
            c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None
        }
        comments = {
            c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment
        }
        validations = sorted(
            (str(dv.sqref), dv.type, dv.formula1, dv.errorStyle, dv.prompt)
            for dv in ws.data_validations.dataValidation
        )
        out[ws.title] = (cells, comments, validations)
    return out


@pytest.mark.parametrize("name", TEXT_FILES)
def test_committed_text_templates_match_schema(fresh: Path, name: str) -> None:
    committed = COMMITTED / name
    assert committed.exists(), f"{committed} missing: run `make templates`"
    assert committed.read_text(encoding="utf-8") == (fresh / name).read_text(encoding="utf-8"), (
        f"data_templates/{name} drifted from the schema: run `make templates`"
    )


def test_committed_workbook_matches_schema(fresh: Path) -> None:
    committed = _workbook_content(COMMITTED / templates.WORKBOOK_NAME)
    regenerated = _workbook_content(fresh / templates.WORKBOOK_NAME)
    assert list(committed) == list(regenerated)
    for sheet in regenerated:
        assert committed[sheet] == regenerated[sheet], (
            f"sheet {sheet} drifted: run `make templates`"
        )


def test_no_extra_files_committed(fresh: Path) -> None:
    committed = sorted(
        p.relative_to(COMMITTED).as_posix() for p in COMMITTED.rglob("*") if p.is_file()
    )
    regenerated = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert committed == regenerated


def test_csv_headers_are_the_schema_columns_in_order() -> None:
    for name, table in schema.TABLES.items():
        header = (COMMITTED / "csv" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert header == [",".join(c.name for c in table.columns)]
        # the hand-written test package follows the same layout
        assert read_rows(TINY / f"{name}.csv")[0] == [c.name for c in table.columns]


def test_study_toml_template_is_clean_and_holds_the_defaults() -> None:
    d = tomllib.loads((COMMITTED / "csv" / "study.toml").read_text(encoding="utf-8"))
    flat = {f"{s}.{k}": v for s, sec in d.items() for k, v in sec.items()}
    for f in schema.STUDY_FIELDS:
        if f.default is None:
            assert f.key not in flat  # commented out
        elif f.key != "study.name":
            assert flat[f.key] == f.default
    # the blank folder has exactly one problem: no trajectories yet (no study problems)
    problems = we.validate(COMMITTED / "csv")
    assert list(zip(problems["file"], problems["rule"], strict=True)) == [
        ("trajectories.csv", "empty_table")
    ]


def test_every_enum_and_bool_column_has_its_drop_down() -> None:
    wb = load_workbook(COMMITTED / templates.WORKBOOK_NAME)
    lists = wb[templates.LISTS_SHEET]
    for name, table in schema.TABLES.items():
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert header == table.column_names
        by_col = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                assert rng.min_row == 2 and rng.max_row == templates.MAX_ROW
                assert rng.min_col == rng.max_col
                by_col[header[rng.min_col - 1]] = dv
        expected_cols = {c.name for c in table.columns if c.type in ("enum", "bool")}
        assert set(by_col) == expected_cols, name
        for col_name, dv in by_col.items():
            col = table.column(col_name)
            assert dv.type == "list" and dv.errorStyle == "warning"
            # resolve "='lijsten'!$B$2:$B$6" by hand and read the values
            ref = dv.formula1.lstrip("=").split("!")[1].replace("$", "")
            values = [c.value for row in lists[ref] for c in row]
            assert tuple(values) == (col.enum if col.type == "enum" else ("ja", "nee")), col_name


def test_explanation_sheet_lists_every_column() -> None:
    wb = load_workbook(COMMITTED / templates.WORKBOOK_NAME)
    ws = wb[templates.EXPLANATION_SHEET]
    pairs = {(r[0], r[1]) for r in ws.iter_rows(values_only=True)}
    for name, table in schema.TABLES.items():
        for c in table.columns:
            assert (name, c.name) in pairs


def test_data_dictionary_covers_schema() -> None:
    text = (COMMITTED / "data_dictionary.md").read_text(encoding="utf-8")
    for name, table in schema.TABLES.items():
        assert f"## `{name}`" in text
        assert table.description_nl in text and table.description_en in text
        for c in table.columns:
            assert f"| `{c.name}` |" in text
            for code in c.enum:
                assert f"| `{code}` |" in text
            for alias in c.aliases:
                if not alias.isdigit():
                    assert f"`{alias}`" in text, alias
    for f in schema.STUDY_FIELDS:
        assert f"| `{f.key}` |" in text


def _typed(col: schema.Column, value: str) -> object:
    """A cell value as a user would type it into Excel."""
    if value == "":
        return None
    if col.type == "date":
        return dt.datetime.fromisoformat(value)
    if col.type == "int":
        return int(value)
    if col.type == "float":
        return float(value)
    if col.type == "bool":
        return {"true": "ja", "false": "nee"}[value]
    return value


def test_filled_workbook_validates_clean_and_equals_tiny(tmp_path: Path) -> None:
    wb = load_workbook(COMMITTED / templates.WORKBOOK_NAME)
    for name, table in schema.TABLES.items():
        ws = wb[name]
        rows = read_rows(TINY / f"{name}.csv")
        header = rows[0]
        for i, r in enumerate(rows[1:], start=2):
            for j, (colname, v) in enumerate(zip(header, r, strict=True), start=1):
                ws.cell(row=i, column=j, value=_typed(table.column(colname), v))
    study = wb[templates.STUDY_SHEET]
    tiny_study = tomllib.loads((TINY / "study.toml").read_text(encoding="utf-8"))
    for row in study.iter_rows(min_row=2):
        sec, key = row[0].value.split(".", 1)
        v = tiny_study.get(sec, {}).get(key)
        if v is not None and v != []:
            row[1].value = v
    path = tmp_path / "ingevuld.xlsx"
    wb.save(path)
    problems = we.validate(path)
    assert problems.empty, problems
    a, b = we.load(TINY), we.load(path)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert a.study == b.study
    assert b.instrument.code == "huizen5"


def test_filled_workbook_problem_points_at_sheet_cell(tmp_path: Path) -> None:
    wb = load_workbook(COMMITTED / templates.WORKBOOK_NAME)
    ws = wb["trajectories"]
    ws.append(
        [
            "T01",
            "R01",
            "vraaggestuurd",
            None,
            "GM0406",
            None,
            dt.datetime(2025, 1, 6),
            None,
            None,
            1948,
            "vrouw",
            "alleenstaand",
        ]
    )
    ws.append(
        [
            "T02",
            "R02",
            "aanbodgestuurdd",
            None,
            "GM0406",
            None,
            dt.datetime(2025, 1, 6),
            None,
            None,
            1950,
            "man",
            "alleenstaand",
        ]
    )
    path = tmp_path / "pilot.xlsx"
    wb.save(path)
    problems = we.validate(path, lang="en")
    errors = problems[problems["severity"] == "error"]
    assert list(
        zip(errors["file"], errors["row"], errors["column"], errors["rule"], strict=True)
    ) == [("pilot.xlsx [trajectories]", 3, "arm", "invalid_enum")]
    assert errors["message"].iloc[0].endswith("Did you mean 'aanbodgestuurd'?")


def test_cli_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "--out", str(tmp_path / "t")]) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == len(TEXT_FILES) + 1
    assert all(Path(p).exists() for p in printed)
