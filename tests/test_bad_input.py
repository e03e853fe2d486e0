"""Bad input never changes a number silently (issue 15): one test per fault class and format.

Each fault is put into the tiny valid package (``tests/data/tiny_valid``) as a CSV folder,
an Excel workbook (every cell typed as text, as a municipal export does) and a parquet
folder (every column a string column), and the test asserts the exact problem, the
value read, or the exclusion, worked out by hand on the tiny package.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from validation_helpers import TINY

import wattelt_eval as we
from wattelt_eval import schema
from wattelt_eval.cli.main import main
from wattelt_eval.io import neutralise_text, restore_text, write_csv, write_xlsx

FORMATS = ["csv", "xlsx", "parquet"]
KEY = "test-key-0123456789-abcdefghij"


# ======================================================================================
# Building a faulty package in each format
# ======================================================================================


def tiny_rows() -> dict[str, list[list[str]]]:
    """Every tiny_valid table as rows of text (header first)."""
    out = {}
    for name in schema.TABLES:
        with open(TINY / f"{name}.csv", encoding="utf-8", newline="") as fh:
            out[name] = [list(r) for r in csv.reader(fh)]
    return out


def set_value(rows: dict[str, list[list[str]]], table: str, row: int, column: str, value: str):
    """Set user row ``row`` (header = 1) of ``column`` in ``table``."""
    t = rows[table]
    t[row - 1][t[0].index(column)] = value


def make_package(
    tmp: Path,
    fmt: str,
    rows: dict[str, list[list[str]]],
    study: str | None = None,
    names: dict[str, str] | None = None,
) -> Path:
    """Write ``rows`` as a package of format ``fmt``; returns the path to validate.

    ``names`` renames a table's file or sheet (e.g. to hold a BSN).
    """
    names = names or {}
    study_text = study if study is not None else (TINY / "study.toml").read_text(encoding="utf-8")
    if fmt == "csv":
        d = tmp / "csv_pkg"
        d.mkdir()
        (d / "study.toml").write_text(study_text, encoding="utf-8")
        for name, r in rows.items():
            with open(d / f"{names.get(name, name)}.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(r)
        return d
    if fmt == "parquet":
        d = tmp / "pq_pkg"
        d.mkdir()
        (d / "study.toml").write_text(study_text, encoding="utf-8")
        for name, r in rows.items():
            df = pd.DataFrame(r[1:], columns=r[0], dtype="string").replace("", pd.NA)
            df.to_parquet(d / f"{names.get(name, name)}.parquet", index=False)
        return d
    wb = Workbook()
    wb.remove(wb.active)
    for name, r in rows.items():
        ws = wb.create_sheet(names.get(name, name))
        for line in r:
            ws.append([v if v != "" else None for v in line])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    (tmp / "study.toml").write_text(study_text, encoding="utf-8")  # next to the workbook
    path = tmp / "pkg.xlsx"
    wb.save(path)
    return path


def found(problems: pd.DataFrame, *rules: str) -> list[tuple]:
    sel = problems[problems["rule"].isin(rules)] if rules else problems
    return [
        (r.file, None if pd.isna(r.row) else int(r.row), r.column, r.value, r.rule, r.severity)
        for r in sel.itertuples()
    ]


def src(fmt: str, table: str) -> str:
    """The problem's ``file`` for ``table`` in format ``fmt``."""
    return {"csv": f"{table}.csv", "parquet": f"{table}.parquet", "xlsx": f"pkg.xlsx [{table}]"}[
        fmt
    ]


# ======================================================================================
# 1. Output safety
# ======================================================================================


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-kop", "'-kop"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12", "-12"),  # a number, not a formula
        ("+3.5", "+3.5"),
        ("'t Hoofd", "'t Hoofd"),
        ("team noord", "team noord"),
    ],
)
def test_neutralise_and_restore_by_hand(text: str, written: str) -> None:
    assert neutralise_text(text) == written
    assert restore_text(written) == text


def test_shared_writers_neutralise_and_our_readers_restore(tmp_path: Path) -> None:
    df = pd.DataFrame({"team": ["=1+2", "@x", "-12", "gewoon"], "n": [-1, 2, 3, 4]})
    buf = io.StringIO()
    write_csv(df, buf)
    assert buf.getvalue().splitlines()[1:] == ["'=1+2,-1", "'@x,2", "-12,3", "gewoon,4"]
    path = write_xlsx({"t": df}, tmp_path / "t.xlsx")
    ws = load_workbook(path)["t"]
    cells = [c.value for c in ws["A"][1:]]
    assert cells == ["'=1+2", "'@x", "-12", "gewoon"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws["B"][1:]] == [-1, 2, 3, 4]  # numbers stay numbers


@pytest.mark.parametrize("fmt", FORMATS)
def test_team_formula_through_write_package_round_trip(tmp_path: Path, fmt: str) -> None:
    data = we.load(TINY)
    data.trajectories["team"] = data.trajectories["team"].astype(object)
    data.trajectories.loc[2, "team"] = "=1+2"
    data.goals.loc[2, "text"] = "@HYPERLINK(x)"
    out = we.io.write_package(data, tmp_path / ("p.xlsx" if fmt == "xlsx" else "p"), format=fmt)
    if fmt == "csv":
        assert "'=1+2" in (out / "trajectories.csv").read_text(encoding="utf-8")
    back = we.load(out)
    assert back.trajectories.loc[2, "team"] == "=1+2"
    assert back.goals.loc[2, "text"] == "@HYPERLINK(x)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_pseudonymise_keep_text_neutralises_formulas(tmp_path: Path, fmt: str) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 2, "team", "=1+2")
    set_value(rows, "goals", 2, "text", '=HYPERLINK("http://x")')
    pkg = make_package(tmp_path, fmt, rows)
    key = tmp_path / "key.txt"
    key.write_text(KEY)
    out = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    assert main(["pseudonymise", str(pkg), str(out), "--key-file", str(key), "--keep-text"]) == 0
    if fmt == "xlsx":
        wb = load_workbook(out)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert not any(c.data_type == "f" for c in cells)
        values = [c.value for c in cells if isinstance(c.value, str)]
        assert "'=1+2" in values and not any(v.startswith("=") for v in values)
    else:
        text = (out / "trajectories.csv").read_text(encoding="utf-8")
        assert "'=1+2" in text and ",=1+2" not in text
        goals = (out / "goals.csv").read_text(encoding="utf-8")
        assert "\"'=HYPERLINK" in goals or "'=HYPERLINK" in goals
    back = we.load(out)
    assert back.trajectories.loc[2, "team"] == "=1+2"
    assert back.goals.loc[2, "text"] == '=HYPERLINK("http://x")'


def test_outcomes_csv_neutralises_team(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 2, "team", "=1+2")
    pkg = make_package(tmp_path, "csv", rows)
    out = tmp_path / "x.csv"
    assert main(["outcomes", str(pkg), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert any(",'=1+2," in ln for ln in lines)
    assert not any(",=1+2," in ln for ln in lines)
    table = pd.read_csv(out, dtype=str)
    assert table["team"].map(restore_text).tolist().count("=1+2") == 1


# ======================================================================================
# 2. Identifiers never echoed
# ======================================================================================

BSN = "111222333"  # passes the elfproef


@pytest.mark.parametrize("fmt", FORMATS)
def test_bsn_in_file_or_sheet_name_and_header_is_masked(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tiny_rows()
    rows["staff_time"][0][rows["staff_time"][0].index("minutes")] = f"minuten {BSN}"
    pkg = make_package(tmp_path, fmt, rows, names={"contacts": f"contacts_{BSN}"})
    for lang in ("nl", "en"):
        problems = we.validate(pkg, lang=lang)
        everything = problems.astype(str).to_string()
        assert BSN not in everything and "*********" in everything
    masked = "*********"
    bsn = found(problems, "bsn")
    assert (src(fmt, "staff_time"), 1, f"minuten_{masked}", masked, "bsn", "error") in bsn
    with pytest.raises(we.ValidationError) as exc:
        we.load(pkg)
    assert BSN not in str(exc.value) and BSN not in exc.value.problems.astype(str).to_string()
    assert main(["validate", str(pkg), "--format", "json"]) == 1
    assert main(["validate", str(pkg)]) == 1
    out = capsys.readouterr()
    assert BSN not in out.out + out.err


def test_bsn_in_package_path_is_masked_in_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tiny_rows()
    set_value(rows, "contacts", 2, "date", "2025-02-30")
    (tmp_path / BSN).mkdir()
    pkg = make_package(tmp_path / BSN, "csv", rows)
    with pytest.raises(we.ValidationError) as exc:
        we.load(pkg)
    assert BSN not in str(exc.value)
    assert main(["validate", str(pkg)]) == 1
    assert main(["outcomes", str(pkg), "--out", str(tmp_path / "o.csv")]) == 1
    out = capsys.readouterr()
    assert BSN not in out.out + out.err and "*********" in out.out


# ======================================================================================
# 3. Numbers
# ======================================================================================


def _amounts(rows: dict, v4: str, v1: str = "120.00") -> None:
    """Amount of provision V04 (row 5) and V01 (row 2); the others have none."""
    set_value(rows, "provisions", 5, "amount", v4)
    set_value(rows, "provisions", 2, "amount", v1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("v4", ["1.250", "€ 1.250", "1,250"])
def test_ambiguous_grouping_alone_is_an_error(tmp_path: Path, fmt: str, v4: str) -> None:
    rows = tiny_rows()
    _amounts(rows, v4, "120")  # the other amount shows no separator: undecided
    problems = we.validate(make_package(tmp_path, fmt, rows))
    assert found(problems) == [
        (src(fmt, "provisions"), 5, "amount", v4, "ambiguous_number", "error")
    ]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("v4", "v1", "want4", "want1"),
    [
        ("1.250", "120,50", 1250.0, 120.5),  # decimal comma elsewhere: '.' groups
        ("€ 1.250", "€ 120,50", 1250.0, 120.5),
        ("1,250", "120,50", 1.25, 120.5),  # the comma is the decimal sign
        ("1.250", "120.50", 1.25, 120.5),  # decimal point elsewhere: '.' is decimal
        ("1,250", "120.50", 1250.0, 120.5),  # ',' groups
        ("1.250.000", "120", 1250000.0, 120.0),  # two groups: unambiguous
    ],
)
def test_ambiguous_grouping_resolved_by_the_column(
    tmp_path: Path, fmt: str, v4: str, v1: str, want4: float, want1: float
) -> None:
    rows = tiny_rows()
    _amounts(rows, v4, v1)
    pkg = make_package(tmp_path, fmt, rows)
    assert found(we.validate(pkg)) == []
    data = we.load(pkg)
    assert data.provisions.loc[5, "amount"] == want4
    assert data.provisions.loc[2, "amount"] == want1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("locale", "want"), [("nl", 1250.0), ("en", 1.25)])
def test_ambiguous_grouping_resolved_by_declared_locale(
    tmp_path: Path, fmt: str, locale: str, want: float
) -> None:
    rows = tiny_rows()
    _amounts(rows, "1.250", "120")
    study = (
        (TINY / "study.toml")
        .read_text()
        .replace("seed = 20250101", f'seed = 20250101\nnumber_locale = "{locale}"')
    )
    pkg = make_package(tmp_path, fmt, rows, study=study)
    assert found(we.validate(pkg)) == []
    assert we.load(pkg).provisions.loc[5, "amount"] == want


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("v", ["inf", "-inf", "Infinity", "nan", "NaN", "1e400"])
def test_non_finite_amount_rejected(tmp_path: Path, fmt: str, v: str) -> None:
    rows = tiny_rows()
    _amounts(rows, v)
    problems = we.validate(make_package(tmp_path, fmt, rows))
    assert found(problems) == [(src(fmt, "provisions"), 5, "amount", v, "invalid_number", "error")]


def test_non_finite_number_in_a_parquet_float_column(tmp_path: Path) -> None:
    d = tmp_path / "p"
    we.io.write_package(we.load(TINY), d, format="parquet")
    pv = pd.read_parquet(d / "provisions.parquet")
    pv.loc[3, "amount"] = np.inf  # user row 5
    pv.to_parquet(d / "provisions.parquet", index=False)
    assert found(we.validate(d)) == [
        ("provisions.parquet", 5, "amount", "inf", "invalid_number", "error")
    ]


def test_wrong_number_locale_is_a_study_error(tmp_path: Path) -> None:
    study = (TINY / "study.toml").read_text() + ""
    study = study.replace("seed = 20250101", 'seed = 20250101\nnumber_locale = "de"')
    pkg = make_package(tmp_path, "csv", tiny_rows(), study=study)
    assert found(we.validate(pkg)) == [
        ("study.toml", None, "study.number_locale", "de", "study_value", "error")
    ]


# ======================================================================================
# 4. Text: encoding, invisible characters, placeholders, merged cells
# ======================================================================================


def test_utf8_file_with_one_cp1252_line_is_reported_with_its_line(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "goals", 2, "text", "Financiën op orde")
    pkg = make_package(tmp_path, "csv", rows)
    path = pkg / "goals.csv"
    lines = path.read_bytes().split(b"\n")
    assert b"Zelf" in lines[2]
    lines[2] = lines[2].replace(b"Zelf", "Zelf ë".encode("cp1252"))  # line 3 in cp1252
    path.write_bytes(b"\n".join(lines))
    problems = we.validate(pkg)
    assert found(problems) == [("goals.csv", 3, "", "", "mixed_encoding", "error")]
    assert "UTF-8" in problems["expected"].iloc[0]


def test_whole_cp1252_file_still_reads(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "goals", 2, "text", "Financiën op orde")
    pkg = make_package(tmp_path, "csv", rows)
    path = pkg / "goals.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    assert found(we.validate(pkg)) == []
    assert we.load(pkg).goals.loc[2, "text"] == "Financiën op orde"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("char", "shown"),
    [("\ufeff", "<U+FEFF>"), ("\u200b", "<U+200B>"), ("\x00", "<U+0000>"), ("\u00a0", "<U+00A0>")],
)
def test_invisible_character_removed_from_ids_with_a_warning(
    tmp_path: Path, fmt: str, char: str, shown: str
) -> None:
    if fmt == "xlsx" and char == "\x00":
        pytest.skip("a workbook cannot hold NUL (openpyxl refuses it)")
    rows = tiny_rows()
    set_value(rows, "contacts", 2, "trajectory_id", char + "T01")
    set_value(rows, "trajectories", 3, "arm", "demand_driven" + char)
    pkg = make_package(tmp_path, fmt, rows)
    assert found(we.validate(pkg)) == [
        (
            src(fmt, "trajectories"),
            3,
            "arm",
            f"demand_driven{shown}",
            "invisible_character",
            "warning",
        ),
        (src(fmt, "contacts"), 2, "trajectory_id", f"{shown}T01", "invisible_character", "warning"),
    ]
    data = we.load(pkg)
    assert data.contacts.loc[2, "trajectory_id"] == "T01"
    assert data.trajectories.loc[3, "arm"] == "demand_driven"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("word", ["NULL", "n.v.t.", "-", "#N/A", "leeg", "Onbekend", "null"])
def test_placeholder_is_missing_with_a_warning(tmp_path: Path, fmt: str, word: str) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 2, "team", word)  # optional text column
    set_value(rows, "provisions", 3, "volume", word)  # optional number (V02 has a price)
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    assert found(problems, "placeholder") == [
        (src(fmt, "trajectories"), 2, "team", word, "placeholder", "warning"),
        (src(fmt, "provisions"), 3, "volume", word, "placeholder", "warning"),
    ]
    # the volume is now missing while a unit price is given: the existing rule says so
    assert found(problems, "missing_volume") == [
        (src(fmt, "provisions"), 3, "volume", "", "missing_volume", "error")
    ]
    set_value(rows, "provisions", 3, "volume", "2")
    pkg2 = make_package(tmp_path / "b", fmt, rows) if (tmp_path / "b").mkdir() is None else None
    data = we.load(pkg2)
    assert pd.isna(data.trajectories.loc[2, "team"])
    assert data.trajectories["team"].dropna().tolist() == ["team_noord", "team_zuid", "team_zuid"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_placeholder_in_a_required_column_is_missing_value(tmp_path: Path, fmt: str) -> None:
    rows = tiny_rows()
    set_value(rows, "contacts", 3, "date", "n.v.t.")
    problems = we.validate(make_package(tmp_path, fmt, rows))
    assert found(problems) == [
        (src(fmt, "contacts"), 3, "date", "n.v.t.", "placeholder", "warning"),
        (src(fmt, "contacts"), 3, "date", "", "missing_value", "error"),
    ]


def test_onbekend_stays_a_code_where_the_code_list_has_it(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 2, "sex", "onbekend")
    pkg = make_package(tmp_path, "csv", rows)
    assert found(we.validate(pkg)) == []
    assert we.load(pkg).trajectories.loc[2, "sex"] == "unknown"


def test_merged_cells_are_reported(tmp_path: Path) -> None:
    rows = tiny_rows()
    pkg = make_package(tmp_path, "xlsx", rows)
    wb = load_workbook(pkg)
    ws = wb["contacts"]
    ws["B3"] = None  # C02 belongs to T01 too: a user merged B2:B3 to show it once
    ws.merge_cells("B2:B3")
    wb.save(pkg)
    problems = we.validate(pkg)
    assert found(problems, "merged_cells") == [
        ("pkg.xlsx [contacts]", 2, "trajectory_id", "B2:B3", "merged_cells", "error")
    ]


# ======================================================================================
# 8. Root causes first: title line, totals row, a duplicate id and the references it breaks
# ======================================================================================


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_title_line_above_the_header_is_named_and_skipped(tmp_path: Path, fmt: str) -> None:
    rows = tiny_rows()
    rows["trajectories"].insert(0, ["Overzicht trajecten 2025"])
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    assert found(problems) == [(src(fmt, "trajectories"), 1, "", "", "title_line", "warning")]
    assert "title" in we.validate(pkg, lang="en")["message"].iloc[0]
    assert "titel" in problems["message"].iloc[0]
    data = we.load(pkg)
    # rows keep the numbers the user sees: the header is line 2, T01 line 3
    assert data.trajectories.loc[3, "trajectory_id"] == "T01"
    assert len(data.trajectories) == 4


def test_title_line_with_a_bad_cell_reports_the_right_line(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 3, "start_date", "2025-02-30")
    rows["trajectories"].insert(0, ["Overzicht"])
    problems = we.validate(make_package(tmp_path, "csv", rows))
    assert found(problems) == [
        ("trajectories.csv", 1, "", "", "title_line", "warning"),
        ("trajectories.csv", 4, "start_date", "2025-02-30", "impossible_date", "error"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("word", ["Totaal", "TOTAAL:", "Total"])
def test_totals_row_is_one_problem_and_excluded(tmp_path: Path, fmt: str, word: str) -> None:
    rows = tiny_rows()
    n_cols = len(rows["provisions"][0])
    total = [word] + [""] * (n_cols - 1)
    total[rows["provisions"][0].index("amount")] = "1370.00"  # 120 + 1250
    total[rows["provisions"][0].index("volume")] = "7"
    rows["provisions"].append(total)  # row 7
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    assert found(problems) == [
        (src(fmt, "provisions"), 7, "provision_id", "", "totals_row", "warning")
    ]
    data = we.load(pkg)
    assert len(data.provisions) == 5 and data.provisions["amount"].sum() == 1370.0
    log = data.exclusions
    assert log[["table", "row", "reason"]].values.tolist() == [["provisions", 7, "totals_row"]]


def _t04_typed_as_t03(rows: dict) -> None:
    set_value(rows, "trajectories", 5, "trajectory_id", "T03")  # T04 typed as T03


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_id_and_the_references_it_breaks_are_one_problem(
    tmp_path: Path, fmt: str
) -> None:
    rows = tiny_rows()
    _t04_typed_as_t03(rows)
    n_refs = sum(
        r[rows[t][0].index("trajectory_id")] == "T04"
        for t in schema.TABLES
        if t != "trajectories"
        for r in rows[t][1:]
    )
    assert n_refs >= 10  # by hand: T04's contacts, goals, scores, provision, staff time
    problems = we.validate(make_package(tmp_path, fmt, rows))
    errors = problems[problems["severity"] == "error"]
    assert found(errors) == [
        (src(fmt, "trajectories"), 5, "trajectory_id", "T03", "duplicate_id", "error")
    ]
    msg = (
        we.validate(make_package(tmp_path / "en", fmt, rows), lang="en")
        if (tmp_path / "en").mkdir() is None
        else None
    )
    text = msg[msg["rule"] == "duplicate_id"]["message"].iloc[0]
    assert f"{n_refs} references" in text and "'T04'" in text and "row 4" in text


def test_unknown_references_grouped_per_value_with_a_count(tmp_path: Path) -> None:
    rows = tiny_rows()
    t = rows["contacts"]
    j = t[0].index("trajectory_id")
    changed = [i + 1 for i, r in enumerate(t) if i and r[j] == "T02"]
    for i in changed:
        t[i - 1][j] = "T99"
    problems = we.validate(make_package(tmp_path, "csv", rows), lang="en")
    assert found(problems) == [
        ("trajectories.csv", 3, "trajectory_id", "T02", "no_contacts", "warning"),
        ("contacts.csv", changed[0], "trajectory_id", "T99", "unknown_reference", "error"),
    ]
    rows_text = ", ".join(map(str, changed))
    assert f"{len(changed)} rows in all: {rows_text}" in problems["message"].iloc[1]


# ======================================================================================
# 5. Time: the extract date
# ======================================================================================

CLEAN_EXTRACT = pd.Timestamp("2025-12-15")  # latest record date of tiny_valid (by hand)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("table", "row", "column", "typo"),
    [("contacts", 6, "date", "2042-03-01"), ("provisions", 4, "start_date", "2029-02-01")],
)
def test_one_typo_does_not_move_the_inferred_extract_date(
    tmp_path: Path, fmt: str, table: str, row: int, column: str, typo: str
) -> None:
    rows = tiny_rows()
    set_value(rows, table, row, column, typo)
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    assert problems.attrs["extract_date"] == "2025-12-15"
    assert problems.attrs["extract_date_source"] == "inferred"
    late = found(problems, "after_extract_date")
    assert (src(fmt, table), row, column, typo, "after_extract_date", "warning") in late
    data = we.load(pkg)
    res = we.outcome_set(data)
    assert res.extract_date == CLEAN_EXTRACT and res.extract_date_source == "inferred"
    t = res.table.set_index("trajectory_id")
    # follow-up by hand from the clean extract date: T01 starts 2025-01-06 -> 344 days
    assert t.loc["T01", "follow_up_days"] == (CLEAN_EXTRACT - pd.Timestamp("2025-01-06")).days + 1
    ex = res.exclusions
    hit = ex[(ex["table"] == table) & (ex["row"] == row)]
    assert hit["reason"].astype(str).tolist() == ["after_extract_date"]


def _late_study(date: str) -> str:
    return (
        (TINY / "study.toml")
        .read_text()
        .replace("seed = 20250101", f"seed = 20250101\nextract_date = {date}")
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_declared_extract_date_excludes_later_records(tmp_path: Path, fmt: str) -> None:
    pkg = make_package(tmp_path, fmt, tiny_rows(), study=_late_study("2025-06-30"))
    problems = we.validate(pkg)
    assert problems.attrs["extract_date_source"] == "study"
    late = problems[problems["rule"] == "after_extract_date"]
    # every record dated after 2025-06-30 in tiny_valid, by hand from the CSVs
    want = sum(
        r[rows[0].index(col)] > "2025-06-30"
        for (tb, col) in [
            ("trajectories", "start_date"),
            ("contacts", "date"),
            ("goals", "date"),
            ("domain_scores", "date"),
            ("provisions", "start_date"),
            ("staff_time", "date"),
        ]
        for rows in [tiny_rows()[tb]]
        for r in rows[1:]
        if r[rows[0].index(col)]
    )
    assert len(late) == want > 0
    assert set(late["severity"]) == {"warning"}
    res = we.outcome_set(we.load(pkg))
    assert res.extract_date == pd.Timestamp("2025-06-30") and res.extract_date_source == "study"
    assert (res.exclusions["reason"] == "after_extract_date").sum() >= want
    t = res.table.set_index("trajectory_id")
    assert (
        t.loc["T01", "follow_up_days"]
        == (pd.Timestamp("2025-06-30") - pd.Timestamp("2025-01-06")).days + 1
    )


def test_extract_date_flag_on_validate_and_outcomes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkg = make_package(tmp_path, "csv", tiny_rows())
    assert main(["validate", str(pkg), "--extract-date", "2025-06-30", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "after the extract date" in out and "Extract date: 2025-06-30 (--extract-date)" in out
    o = tmp_path / "o.csv"
    ex = tmp_path / "ex.csv"
    argv = ["outcomes", str(pkg), "--out", str(o), "--exclusions", str(ex)]
    assert main([*argv, "--extract-date", "2025-06-30"]) == 0
    log = pd.read_csv(ex)
    assert (log["reason"] == "after_extract_date").sum() > 0
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Peildatum: 2025-12-15, afgeleid" in out


# ======================================================================================
# 6. Plausibility (thresholds in study.toml)
# ======================================================================================


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("zero", ["1900-01-01", "1899-12-30"])
def test_excel_zero_date(tmp_path: Path, fmt: str, zero: str) -> None:
    rows = tiny_rows()
    set_value(rows, "provisions", 4, "start_date", zero)  # V03, open-ended
    problems = we.validate(make_package(tmp_path, fmt, rows))
    assert found(problems) == [
        (src(fmt, "provisions"), 4, "start_date", zero, "excel_zero_date", "warning")
    ]


def test_excel_zero_date_in_a_parquet_date_column(tmp_path: Path) -> None:
    d = tmp_path / "p"
    we.io.write_package(we.load(TINY), d, format="parquet")
    pv = pd.read_parquet(d / "provisions.parquet")
    pv.loc[2, "start_date"] = pd.Timestamp("1899-12-30")  # user row 4, a real date column
    pv.to_parquet(d / "provisions.parquet", index=False)
    assert found(we.validate(d), "excel_zero_date") == [
        ("provisions.parquet", 4, "start_date", "1899-12-30", "excel_zero_date", "warning")
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_birth_year_after_start_is_an_error_and_old_age_a_warning(tmp_path: Path, fmt: str) -> None:
    rows = tiny_rows()
    set_value(rows, "trajectories", 2, "birth_year", "2026")  # T01 starts 2025: age -1
    set_value(rows, "trajectories", 3, "birth_year", "1910")  # T02 starts 2025: age 115
    problems = we.validate(make_package(tmp_path, fmt, rows), lang="en")
    assert found(problems, "birth_after_start", "implausible_age") == [
        (src(fmt, "trajectories"), 2, "birth_year", "2026", "birth_after_start", "error"),
        (src(fmt, "trajectories"), 3, "birth_year", "1910", "implausible_age", "warning"),
    ]
    assert "Age at the start: 115" in problems["message"].iloc[1]
    # the threshold is a setting: max_age = 120 accepts 115
    study = (TINY / "study.toml").read_text() + "\n[plausibility]\nmax_age = 120\n"
    problems = (
        we.validate(make_package(tmp_path / "b", fmt, rows, study=study))
        if (tmp_path / "b").mkdir() is None
        else None
    )
    assert found(problems, "implausible_age") == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("volume", "unit", "frequency", "hours"),
    [
        ("1000000000", "hour", "per_week", 1e9),
        ("200", "hour", "per_week", 200.0),
        ("8", "day", "per_week", 192.0),
        ("1000", "hour", "per_month", 1000 / (365.25 / 12 / 7)),
    ],
)
def test_implausible_hours_per_week(
    tmp_path: Path, fmt: str, volume: str, unit: str, frequency: str, hours: float
) -> None:
    rows = tiny_rows()
    set_value(rows, "provisions", 3, "volume", volume)  # V02: 2 hours per week at 65.50
    set_value(rows, "provisions", 3, "unit", unit)
    set_value(rows, "provisions", 3, "frequency", frequency)
    problems = we.validate(make_package(tmp_path, fmt, rows), lang="en")
    assert found(problems) == [
        (src(fmt, "provisions"), 3, "volume", volume, "implausible_volume", "warning")
    ]
    assert hours > 168
    assert "hours per week" in problems["message"].iloc[0]


def test_plausible_hours_per_week_pass(tmp_path: Path) -> None:
    rows = tiny_rows()
    set_value(rows, "provisions", 3, "volume", "160")  # 160 h per week <= 168
    assert found(we.validate(make_package(tmp_path, "csv", rows))) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_dates_outside_the_study_period(tmp_path: Path, fmt: str) -> None:
    study = (
        (TINY / "study.toml")
        .read_text()
        .replace(
            "seed = 20250101", "seed = 20250101\nperiod_start = 2025-01-07\nperiod_end = 2025-11-30"
        )
    )
    problems = we.validate(make_package(tmp_path, fmt, tiny_rows(), study=study))
    got = problems[problems["rule"] == "outside_study_period"]
    want = sum(
        not ("2025-01-07" <= r[rows[0].index(col)] <= "2025-11-30")
        for (tb, col) in [
            ("trajectories", "start_date"),
            ("contacts", "date"),
            ("goals", "date"),
            ("domain_scores", "date"),
            ("provisions", "start_date"),
            ("staff_time", "date"),
        ]
        for rows in [tiny_rows()[tb]]
        for r in rows[1:]
        if r[rows[0].index(col)]
    )
    assert len(got) == want > 0 and set(got["severity"]) == {"warning"}


# ======================================================================================
# 7. Outcomes the data cannot support
# ======================================================================================


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_derived_from_anywhere_gives_missing_retention_not_zero(
    tmp_path: Path, fmt: str
) -> None:
    rows = tiny_rows()
    j = rows["goals"][0].index("derived_from")
    for r in rows["goals"][1:]:
        r[j] = ""
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    stages = {}
    for r in rows["goals"][1:]:
        stages.setdefault(r[rows["goals"][0].index("trajectory_id")], set()).add(
            r[rows["goals"][0].index("stage")]
        )
    multi = sorted(t for t, s in stages.items() if len(s) > 1)
    assert found(problems) == [
        (src(fmt, "goals"), None, "derived_from", str(len(multi)), "no_lineage", "warning")
    ]
    res = we.outcome_set(we.load(pkg))
    t = res.table.set_index("trajectory_id")
    assert t.loc[multi, "goal_retention"].isna().all()
    assert t.loc[multi, "n_resident_goals_retained"].isna().all()
    assert "no_lineage" in res.notes
    assert "goal_retention" in res.note_texts("en")[0]
    # with lineage (the clean package) retention is a number for the same trajectories
    clean = we.outcome_set(we.load(TINY)).table.set_index("trajectory_id")
    assert clean.loc[multi, "goal_retention"].notna().all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_measurements_numbered_from_one_use_the_lowest_as_baseline(
    tmp_path: Path, fmt: str
) -> None:
    rows = tiny_rows()
    j = rows["domain_scores"][0].index("measurement")
    for r in rows["domain_scores"][1:]:
        r[j] = str(int(r[j]) + 1)
    pkg = make_package(tmp_path, fmt, rows)
    problems = we.validate(pkg)
    assert found(problems) == [
        (
            src(fmt, "domain_scores"),
            None,
            "measurement",
            "4",
            "measurements_not_from_zero",
            "warning",
        )
    ]
    res = we.outcome_set(we.load(pkg))
    assert res.notes == ["baseline_shifted:4"]  # all four trajectories
    clean = we.outcome_set(we.load(TINY)).table
    cols = [
        "n_problem_domains_t0",
        "problem_domains_group",
        "mean_change_resident",
        "disagreement_t0",
    ]
    pd.testing.assert_frame_equal(res.table[cols], clean[cols])
    assert res.table["n_problem_domains_t0"].notna().all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_excel_serial_number_in_a_date_column_is_named(tmp_path: Path, fmt: str) -> None:
    rows = tiny_rows()
    set_value(rows, "contacts", 3, "date", "45698")  # Excel's number for 2025-02-10
    problems = we.validate(make_package(tmp_path, fmt, rows), lang="en")
    assert found(problems) == [(src(fmt, "contacts"), 3, "date", "45698", "invalid_date", "error")]
    assert "Excel date number: 2025-02-10?" in problems["message"].iloc[0]
