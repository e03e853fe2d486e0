"""Validation of pilot data packages: a corpus of broken packages, dialects, round trips, CLI.

Every broken package is ``tests/data/tiny_valid`` with exactly one fault put in by
hand; each test asserts the exact file, row (as the user sees it, header = 1),
column and rule that :func:`wattelt_eval.validate` reports, and that nothing else
is reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from validation_helpers import (
    TINY,
    add_column,
    copy_tiny,
    drop_column,
    drop_rows,
    read_rows,
    set_cell,
    set_study,
    write_rows,
)

import wattelt_eval as we
from wattelt_eval import schema
from wattelt_eval.cli import main
from wattelt_eval.io import read_package
from wattelt_eval.validation import PROBLEM_COLUMNS, RULES, _check, _render

BSN = "111222333"  # 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-1*3 = 66 = 6*11: passes the elfproef
BSN_LEADING_ZERO = "012345672"  # 8+14+18+20+20+18+14-2 = 110 = 10*11


def _found(problems: pd.DataFrame) -> list[tuple]:
    return [
        (f, None if pd.isna(r) else int(r), c, rule, sev)
        for f, r, c, rule, sev in zip(
            problems["file"],
            problems["row"],
            problems["column"],
            problems["rule"],
            problems["severity"],
            strict=True,
        )
    ]


# ======================================================================================
# The corpus: one fault each
# ======================================================================================


@dataclass
class Fault:
    id: str
    edit: Callable[[Path], None]
    file: str
    row: int | None
    column: str
    rule: str
    value: str = ""  # the value the problem must show ('' = not checked)
    hint: str = ""  # text the Dutch message must contain


def _append_line(table: str, line: str) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        path = p / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")

    return edit


def _dup_column(p: Path) -> None:
    rows = read_rows(p / "staff_time.csv")
    write_rows(p / "staff_time.csv", [r + [r[3]] for r in rows])


def _copy_file(src: str, dst: str) -> Callable[[Path], None]:
    return lambda p: (p / dst).write_bytes((p / src).read_bytes())


def _extra_column_with(table: str, column: str, row: int, value: str) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        add_column(p, table, column, "")
        set_cell(p, table, row, column, value)

    return edit


def _cell(table: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda p: set_cell(p, table, row, column, value)


CORPUS: list[Fault] = [
    # files and columns
    Fault(
        "missing_file", lambda p: (p / "goals.csv").unlink(), "goals.csv", None, "", "missing_table"
    ),
    Fault(
        "missing_column",
        lambda p: drop_column(p, "contacts", "date"),
        "contacts.csv",
        1,
        "date",
        "missing_column",
    ),
    Fault(
        "missing_column_in_trajectories",
        lambda p: drop_column(p, "trajectories", "arm"),
        "trajectories.csv",
        1,
        "arm",
        "missing_column",
    ),
    Fault("duplicate_column", _dup_column, "staff_time.csv", 1, "minutes", "duplicate_column"),
    Fault(
        "ragged_line",
        _append_line("staff_time", "T01,2025-01-07,generalist,10,extra,more"),
        "staff_time.csv",
        10,
        "",
        "unreadable_file",
        hint="Regel 10 heeft 6 velden, de kopregel 4",
    ),
    Fault(
        "two_files_one_table",
        _copy_file("goals.csv", "doelen.csv"),
        "goals.csv",
        None,
        "",
        "duplicate_table",
        hint="doelen.csv wordt gebruikt",
    ),
    # types and dates
    Fault(
        "text_in_int",
        _cell("trajectories", 3, "birth_year", "abc"),
        "trajectories.csv",
        3,
        "birth_year",
        "invalid_number",
        "abc",
        "een geheel getal",
    ),
    Fault(
        "text_in_float",
        _cell("staff_time", 4, "minutes", "een uur"),
        "staff_time.csv",
        4,
        "minutes",
        "invalid_number",
        "een uur",
    ),
    Fault(
        "fraction_in_int",
        _cell("domain_scores", 4, "measurement", "1.5"),
        "domain_scores.csv",
        4,
        "measurement",
        "not_integer",
        "1.5",
    ),
    Fault(
        "impossible_iso_date",
        _cell("contacts", 4, "date", "2025-02-30"),
        "contacts.csv",
        4,
        "date",
        "impossible_date",
        "2025-02-30",
    ),
    Fault(
        "impossible_dutch_date",
        _cell("trajectories", 2, "start_date", "31-02-2025"),
        "trajectories.csv",
        2,
        "start_date",
        "impossible_date",
        "31-02-2025",
    ),
    Fault(
        "text_as_date",
        _cell("staff_time", 2, "date", "gisteren"),
        "staff_time.csv",
        2,
        "date",
        "invalid_date",
        "gisteren",
    ),
    Fault(
        "ambiguous_slash_date",
        _cell("contacts", 4, "date", "03/02/2025"),
        "contacts.csv",
        4,
        "date",
        "ambiguous_date",
        "03/02/2025",
    ),
    Fault(
        "invalid_bool",
        _cell("contacts", 2, "story_told", "misschien"),
        "contacts.csv",
        2,
        "story_told",
        "invalid_bool",
        "misschien",
    ),
    Fault(
        "municipality_pattern",
        _cell("trajectories", 3, "municipality", "0406"),
        "trajectories.csv",
        3,
        "municipality",
        "pattern",
        "0406",
        "GM0772",
    ),
    Fault(
        "missing_required_value",
        _cell("goals", 7, "author", ""),
        "goals.csv",
        7,
        "author",
        "missing_value",
    ),
    Fault(
        "birth_year_out_of_range",
        _cell("trajectories", 2, "birth_year", "1850"),
        "trajectories.csv",
        2,
        "birth_year",
        "out_of_range",
        "1850",
        "tussen 1900 en 2030",
    ),
    Fault(
        "measurement_above_maximum",
        _cell("domain_scores", 4, "measurement", "2025"),
        "domain_scores.csv",
        4,
        "measurement",
        "out_of_range",
        "2025",
        "tussen 0 en 999",
    ),
    Fault(
        "attainment_out_of_range",
        _cell("goals", 6, "attainment", "3"),
        "goals.csv",
        6,
        "attainment",
        "out_of_range",
        "3",
        "tussen −2 en 2",  # the one formatter writes the typographic minus
    ),
    # enums
    Fault(
        "enum_typo_did_you_mean",
        _cell("trajectories", 2, "arm", "vraaggestuurdd"),
        "trajectories.csv",
        2,
        "arm",
        "invalid_enum",
        "vraaggestuurdd",
        "Bedoelde u 'vraaggestuurd'?",
    ),
    Fault(
        "enum_typo_english",
        _cell("goals", 9, "status", "achived"),
        "goals.csv",
        9,
        "status",
        "invalid_enum",
        "achived",
        "Bedoelde u 'achieved'?",
    ),
    Fault(
        "category_outside_code_list",
        _cell("provisions", 2, "category", "19"),
        "provisions.csv",
        2,
        "category",
        "invalid_enum",
        "19",
        "00 t/m 18",
    ),
    # instrument
    Fault(
        "score_outside_scale",
        _cell("domain_scores", 5, "score", "11"),
        "domain_scores.csv",
        5,
        "score",
        "score_out_of_scale",
        "11",
        "1–10 (huizen5)",
    ),
    Fault(
        "score_below_scale",
        _cell("domain_scores", 9, "score", "0"),
        "domain_scores.csv",
        9,
        "score",
        "score_out_of_scale",
        "0",
    ),
    Fault(
        "unknown_domain_in_scores",
        _cell("domain_scores", 6, "domain", "helth"),
        "domain_scores.csv",
        6,
        "domain",
        "unknown_domain",
        "helth",
        "Bedoelde u 'health'?",
    ),
    Fault(
        "unknown_domain_in_goals",
        _cell("goals", 8, "domain", "schulden"),
        "goals.csv",
        8,
        "domain",
        "unknown_domain",
        "schulden",
    ),
    Fault(
        "instrument_mismatch",
        _cell("domain_scores", 4, "instrument", "zrm"),
        "domain_scores.csv",
        4,
        "instrument",
        "instrument_mismatch",
        "zrm",
    ),
    # ids and references
    Fault(
        "duplicate_goal_id",
        _cell("goals", 18, "goal_id", "G10"),
        "goals.csv",
        18,
        "goal_id",
        "duplicate_id",
        "G10",
        "Eerder in rij 11",
    ),
    Fault(
        "duplicate_contact_id",
        _cell("contacts", 12, "contact_id", "C01"),
        "contacts.csv",
        12,
        "contact_id",
        "duplicate_id",
        "C01",
        "Eerder in rij 2",
    ),
    Fault(
        "duplicate_trajectory_id",
        _append_line(
            "trajectories",
            "T03,R05,supply_driven,after,GM0406,team_zuid,2025-01-13,,,1961,male,single",
        ),
        "trajectories.csv",
        6,
        "trajectory_id",
        "duplicate_id",
        "T03",
        "Eerder in rij 4",
    ),
    Fault(
        "duplicate_score",
        _cell("domain_scores", 3, "domain", "health"),
        "domain_scores.csv",
        3,
        "domain",
        "duplicate_key",
        "health",
        "Zelfde als rij 2",
    ),
    Fault(
        "unknown_trajectory",
        _cell("contacts", 3, "trajectory_id", "T99"),
        "contacts.csv",
        3,
        "trajectory_id",
        "unknown_reference",
        "T99",
    ),
    Fault(
        "unknown_trajectory_in_provisions",
        _cell("provisions", 4, "trajectory_id", "T3"),
        "provisions.csv",
        4,
        "trajectory_id",
        "unknown_reference",
        "T3",
    ),
    Fault(
        "unknown_goal",
        _cell("goals", 4, "derived_from", "G99"),
        "goals.csv",
        4,
        "derived_from",
        "unknown_reference",
        "G99",
    ),
    # dates across rows and tables
    Fault(
        "trajectory_end_before_start",
        _cell("trajectories", 4, "end_date", "2024-12-31"),
        "trajectories.csv",
        4,
        "end_date",
        "end_before_start",
        "2024-12-31",
        "2025-01-13",
    ),
    Fault(
        "provision_end_before_start",
        _cell("provisions", 2, "end_date", "2025-01-31"),
        "provisions.csv",
        2,
        "end_date",
        "end_before_start",
        "2025-01-31",
    ),
    Fault(
        "contact_after_trajectory",
        _cell("contacts", 4, "date", "2025-07-01"),
        "contacts.csv",
        4,
        "date",
        "contact_outside_trajectory",
        "2025-07-01",
        "tot en met 2025-06-30",
    ),
    Fault(
        "contact_before_trajectory",
        _cell("contacts", 2, "date", "2025-01-05"),
        "contacts.csv",
        2,
        "date",
        "contact_outside_trajectory",
        "2025-01-05",
        "vanaf 2025-01-06",
    ),
    # derived_from
    Fault(
        "derived_from_itself",
        _cell("goals", 2, "derived_from", "G01"),
        "goals.csv",
        2,
        "derived_from",
        "derived_from_cycle",
        "G01",
    ),
    Fault(
        "derived_from_later_stage",
        _cell("goals", 5, "derived_from", "G05"),
        "goals.csv",
        5,
        "derived_from",
        "derived_from_later_stage",
        "G05",
    ),
    Fault(
        "derived_from_other_trajectory",
        _cell("goals", 10, "derived_from", "G01"),
        "goals.csv",
        10,
        "derived_from",
        "derived_from_other_trajectory",
        "G01",
    ),
    # money and time
    Fault(
        "negative_volume",
        _cell("provisions", 3, "volume", "-2"),
        "provisions.csv",
        3,
        "volume",
        "out_of_range",
        "-2",
        "≥ 0",
    ),
    Fault(
        "negative_amount",
        _cell("provisions", 2, "amount", "-120"),
        "provisions.csv",
        2,
        "amount",
        "out_of_range",
        "-120",
    ),
    Fault(
        "negative_unit_price",
        _cell("provisions", 3, "unit_price", "-65.50"),
        "provisions.csv",
        3,
        "unit_price",
        "out_of_range",
        "-65.50",
    ),
    Fault(
        "negative_minutes",
        _cell("staff_time", 5, "minutes", "-10"),
        "staff_time.csv",
        5,
        "minutes",
        "out_of_range",
        "-10",
    ),
    Fault(
        "neither_price_nor_amount",
        _cell("provisions", 2, "amount", ""),
        "provisions.csv",
        2,
        "amount",
        "no_price_or_amount",
    ),
    Fault(
        "price_without_volume",
        _cell("provisions", 3, "volume", ""),
        "provisions.csv",
        3,
        "volume",
        "missing_volume",
    ),
    # BSN
    Fault(
        "bsn_in_free_text",
        _cell("goals", 3, "text", f"BSN {BSN} bellen"),
        "goals.csv",
        3,
        "text",
        "bsn",
        "*********",
    ),
    Fault(
        "bsn_as_resident_id",
        _cell("trajectories", 2, "resident_id", BSN),
        "trajectories.csv",
        2,
        "resident_id",
        "bsn",
        "*********",
    ),
    Fault(
        "bsn_as_contact_id",
        _cell("contacts", 3, "contact_id", BSN),
        "contacts.csv",
        3,
        "contact_id",
        "bsn",
        "*********",
    ),
    Fault(
        "bsn_in_number_column",
        _cell("staff_time", 3, "minutes", BSN),
        "staff_time.csv",
        3,
        "minutes",
        "bsn",
        "*********",
    ),
    Fault(
        "bsn_in_date_column",
        _cell("contacts", 3, "date", BSN),
        "contacts.csv",
        3,
        "date",
        "bsn",
        "*********",
    ),
    Fault(
        "bsn_with_leading_zero_in_extra_column",
        _extra_column_with("goals", "note", 5, BSN_LEADING_ZERO),
        "goals.csv",
        5,
        "note",
        "bsn",
        "*********",
    ),
    # study settings
    Fault(
        "unknown_instrument",
        lambda p: set_study(p, "instrument", '"huizen6"'),
        "study.toml",
        None,
        "study.instrument",
        "unknown_instrument",
        "huizen6",
    ),
    Fault(
        "study_wrong_type",
        lambda p: set_study(p, "cost_window_days", '"een jaar"'),
        "study.toml",
        None,
        "study.cost_window_days",
        "study_type",
        "een jaar",
        "een geheel getal",
    ),
    Fault(
        "study_bad_value",
        lambda p: set_study(p, "language", '"de"'),
        "study.toml",
        None,
        "study.language",
        "study_value",
        "de",
        "nl of en",
    ),
]


def test_corpus_is_large_and_ids_unique() -> None:
    assert len(CORPUS) >= 25
    assert len({f.id for f in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("fault", CORPUS, ids=[f.id for f in CORPUS])
def test_broken_package(tmp_path: Path, fault: Fault) -> None:
    pkg = copy_tiny(tmp_path)
    fault.edit(pkg)
    checked = _check(read_package(pkg))  # what we.validate does, rendered in both languages below
    problems = _render(checked.problems, "nl")
    assert list(problems.columns) == PROBLEM_COLUMNS
    errors = problems[problems["severity"] == "error"]
    assert _found(errors) == [(fault.file, fault.row, fault.column, fault.rule, "error")]
    p = errors.iloc[0]
    if fault.value:
        assert p["value"] == fault.value
    if fault.hint:
        assert fault.hint in p["message"]
    # the message names where the problem is
    assert p["message"].startswith(fault.file)
    if fault.row is not None:
        assert f"rij {fault.row}" in p["message"]
    if fault.column and fault.row is not None:
        assert f"kolom {fault.column}" in p["message"]
    # English on request, same problem
    en = _render(checked.problems, "en")
    en_err = en[en["severity"] == "error"]
    assert _found(en_err) == _found(errors)
    if fault.row is not None:
        assert f"row {fault.row}" in en_err.iloc[0]["message"]
    assert RULES[fault.rule][2].split("'{value}'")[-1].strip()[:12] in en_err.iloc[0]["message"]


@pytest.mark.parametrize("fault", CORPUS[::9], ids=[f.id for f in CORPUS[::9]])
def test_load_refuses_broken_package(tmp_path: Path, fault: Fault) -> None:
    pkg = copy_tiny(tmp_path)
    fault.edit(pkg)
    with pytest.raises(we.ValidationError) as exc:
        we.load(pkg)
    problems = exc.value.problems
    assert _found(problems[problems["severity"] == "error"]) == [
        (fault.file, fault.row, fault.column, fault.rule, "error")
    ]
    assert str(exc.value).startswith("1 fout in ")


def test_two_goal_cycle_reports_both_goals_not_their_descendants(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(
        pkg, "goals", 2, "derived_from", "G02"
    )  # G01 <- G02 and G02 <- G01, both intake of T01
    set_cell(pkg, "goals", 3, "derived_from", "G01")
    # G03..G06 descend from the cycle (G03 <- G01, G04 <- G02, ...) but are not on it
    assert _found(we.validate(pkg)) == [
        ("goals.csv", 2, "derived_from", "derived_from_cycle", "error"),
        ("goals.csv", 3, "derived_from", "derived_from_cycle", "error"),
    ]


# ======================================================================================
# Warnings: analysable, but a researcher should know
# ======================================================================================


WARNINGS = [
    (
        "no_contacts",
        lambda p: drop_rows(p, "contacts", [10, 11, 12]),
        "trajectories.csv",
        5,
        "trajectory_id",
        "no_contacts",
    ),
    (
        "no_goals",
        lambda p: drop_rows(p, "goals", [15, 16, 17, 18]),
        "trajectories.csv",
        5,
        "trajectory_id",
        "no_goals",
    ),
    (
        "no_scores",
        lambda p: drop_rows(p, "domain_scores", [37, 38, 39, 40, 41]),
        "trajectories.csv",
        5,
        "trajectory_id",
        "no_scores",
    ),
    (
        "unknown_column",
        lambda p: add_column(p, "contacts", "opmerking", "x"),
        "contacts.csv",
        1,
        "opmerking",
        "unknown_column",
    ),
    (
        "unknown_file",
        lambda p: (p / "doelen_oud.csv").write_text("a,b\n1,2\n"),
        "doelen_oud.csv",
        None,
        "",
        "unknown_file",
    ),
]


@pytest.mark.parametrize("case", WARNINGS, ids=[w[0] for w in WARNINGS])
def test_warning_only(tmp_path: Path, case: tuple) -> None:
    _, edit, file, row, column, rule = case
    pkg = copy_tiny(tmp_path)
    edit(pkg)
    problems = we.validate(pkg)
    assert _found(problems) == [(file, row, column, rule, "warning")]
    data = we.load(pkg)  # warnings do not stop the load
    assert _found(data.warnings) == _found(problems)


def test_no_contacts_warning_names_the_trajectory(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    drop_rows(pkg, "contacts", [10, 11, 12])
    msg = we.validate(pkg, lang="en")["message"].iloc[0]
    assert (
        msg
        == "trajectories.csv, row 5, column trajectory_id: trajectory 'T04' has no contacts. No rows in contacts.csv."
    )


def test_missing_study_is_a_warning_and_defaults_apply(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    (pkg / "study.toml").unlink()
    (pkg / "domain_scores.csv").unlink()  # huizen5 domains do not fit the default instrument
    drop_column(pkg, "goals", "domain")
    problems = we.validate(pkg)
    assert ("study.toml", None, "", "missing_study", "warning") in _found(problems)
    assert (problems["severity"] == "error").sum() == 0
    assert we.load(pkg).study.instrument == "wat_telt"


def test_unknown_column_suggests_the_missing_one(tmp_path: Path) -> None:
    # "datum" is an accepted Dutch name (schema.COLUMN_ALIASES) since issue 16: a typo here
    pkg = copy_tiny(tmp_path)
    path = pkg / "contacts.csv"
    path.write_text(path.read_text().replace(",date,", ",datte,", 1))
    problems = we.validate(pkg, lang="en")
    assert _found(problems) == [
        ("contacts.csv", 1, "datte", "unknown_column", "warning"),
        ("contacts.csv", 1, "date", "missing_column", "error"),
    ] or _found(problems) == [
        ("contacts.csv", 1, "date", "missing_column", "error"),
        ("contacts.csv", 1, "datte", "unknown_column", "warning"),
    ]
    missing = problems[problems["rule"] == "missing_column"]["message"].iloc[0]
    assert "Column 'datte' looks like it: rename it to 'date'." in missing


# ======================================================================================
# Regressions and special cases
# ======================================================================================


def test_invalid_amount_reported_once_not_also_as_no_price(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "provisions", 2, "amount", "twaalf")  # V01 has only an amount
    problems = we.validate(pkg)
    assert _found(problems) == [("provisions.csv", 2, "amount", "invalid_number", "error")]


def test_invalid_volume_reported_once_not_also_as_missing_volume(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "provisions", 3, "volume", "twee")  # V02 has volume x unit_price
    assert _found(we.validate(pkg)) == [("provisions.csv", 3, "volume", "invalid_number", "error")]


def test_empty_trajectories_table_does_not_crash(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    drop_rows(pkg, "trajectories", [2, 3, 4, 5])
    problems = we.validate(pkg)
    assert _found(problems)[0] == ("trajectories.csv", None, "", "empty_table", "error")
    # every contact now points to an unknown trajectory: one problem per id (issue 15,
    # root causes first) at its first row, with the count of rows; all 11 are counted
    unknown = problems[
        (problems["file"] == "contacts.csv") & (problems["rule"] == "unknown_reference")
    ]
    assert list(unknown["value"]) == ["T01", "T02", "T03", "T04"]
    counts = unknown["message"].str.extract(r"(\d+) rijen in totaal")[0].fillna("1").astype(int)
    assert counts.sum() == 11


def test_every_problem_listed_at_once(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "contacts", 4, "date", "2025-02-30")
    set_cell(pkg, "trajectories", 2, "arm", "vraag gestuurd?")
    set_cell(pkg, "provisions", 3, "volume", "-2")
    found = _found(we.validate(pkg))
    assert found == [
        ("trajectories.csv", 2, "arm", "invalid_enum", "error"),
        ("contacts.csv", 4, "date", "impossible_date", "error"),
        ("provisions.csv", 3, "volume", "out_of_range", "error"),
    ]


def test_blank_rows_are_logged_not_dropped_silently(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    rows = read_rows(pkg / "staff_time.csv")
    write_rows(pkg / "staff_time.csv", rows[:3] + [[""] * 4] + rows[3:])
    data = we.load(pkg)
    assert len(data.staff_time) == 8
    assert list(data.staff_time.index) == [2, 3, 5, 6, 7, 8, 9, 10]  # rows as the user sees them
    log = data.exclusions
    assert list(zip(log["table"], log["row"], log["reason"], strict=True)) == [
        ("staff_time", 4, "blank_row")
    ]


def test_bsn_never_repeated_anywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "goals", 3, "text", f"bsn {BSN} bekend")
    set_cell(pkg, "trajectories", 3, "resident_id", BSN)
    set_cell(pkg, "contacts", 5, "date", BSN)
    set_cell(pkg, "staff_time", 2, "minutes", BSN)
    checked = _check(read_package(pkg))
    for lang in ("nl", "en"):
        problems = _render(checked.problems, lang)
        assert set(problems["rule"]) == {"bsn"}
        assert len(problems) == 4
        assert BSN not in problems.to_csv()
    with pytest.raises(we.ValidationError) as exc:
        we.load(pkg, lang="en")
    assert BSN not in str(exc.value)
    assert BSN not in exc.value.problems.to_csv()
    assert main(["validate", str(pkg)]) == 1
    out = capsys.readouterr()
    assert BSN not in out.out + out.err
    assert out.out.count("een BSN mag niet in de data staan") == 4
    assert main(["validate", str(pkg), "--format", "json", "--lang", "en"]) == 1
    out = capsys.readouterr()
    assert BSN not in out.out + out.err
    assert {r["value"] for r in json.loads(out.out)} == {"*********"}


def test_user_instrument_file(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    text = (Path(we.__file__).parent / "instruments" / "huizen5.toml").read_text(encoding="utf-8")
    text = text.replace('code = "huizen5"', 'code = "eigen5"').replace(
        "scale_max = 10", "scale_max = 8"
    )
    (pkg / "eigen5.toml").write_text(text, encoding="utf-8")
    set_study(pkg, "instrument", '"eigen5.toml"')
    path = pkg / "domain_scores.csv"
    path.write_text(path.read_text().replace(",huizen5,", ",eigen5,"))
    problems = we.validate(pkg)
    # scores of 9 and 10 do not exist in tiny_valid; the max there is 8: still clean
    assert problems.empty, problems
    data = we.load(pkg)
    assert data.instrument.code == "eigen5" and data.instrument.scale_max == 8
    set_cell(pkg, "domain_scores", 2, "score", "9")
    assert _found(we.validate(pkg)) == [
        ("domain_scores.csv", 2, "score", "score_out_of_scale", "error")
    ]


def test_missing_path_and_not_a_package(tmp_path: Path) -> None:
    assert _found(we.validate(tmp_path / "nope")) == [
        (str(tmp_path / "nope"), None, "", "missing_path", "error")
    ]
    f = tmp_path / "x.txt"
    f.write_text("hello")
    assert _found(we.validate(f)) == [("x.txt", None, "", "not_a_package", "error")]


def test_lang_must_be_nl_or_en() -> None:
    with pytest.raises(ValueError, match="lang"):
        we.validate(TINY, lang="de")  # type: ignore[arg-type]


# ======================================================================================
# Excel workbooks
# ======================================================================================


def _tiny_xlsx(tmp_path: Path) -> Path:
    return we.load(TINY).write(tmp_path / "pilot.xlsx", format="xlsx")


def _set_xlsx(path: Path, sheet: str, row: int, column: str, value: object) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1, value=value)
    wb.save(path)


def test_xlsx_tiny_is_clean_and_equal_to_csv(tmp_path: Path) -> None:
    xlsx = _tiny_xlsx(tmp_path)
    assert we.validate(xlsx).empty
    a, b = we.load(TINY), we.load(xlsx)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], check_like=False)
    assert a.study == b.study


def test_xlsx_problem_names_sheet_and_row(tmp_path: Path) -> None:
    xlsx = _tiny_xlsx(tmp_path)
    _set_xlsx(xlsx, "contacts", 6, "role", "wijkteamm")
    problems = we.validate(xlsx)
    assert _found(problems) == [("pilot.xlsx [contacts]", 6, "role", "invalid_enum", "error")]
    assert "Bedoelde u 'wijkteam'?" in problems["message"].iloc[0]


def test_xlsx_missing_sheet(tmp_path: Path) -> None:
    xlsx = _tiny_xlsx(tmp_path)
    wb = load_workbook(xlsx)
    del wb["goals"]
    wb.save(xlsx)
    assert _found(we.validate(xlsx)) == [("pilot.xlsx [goals]", None, "", "missing_table", "error")]


def test_xlsx_native_number_bsn_with_lost_leading_zero(tmp_path: Path) -> None:
    xlsx = _tiny_xlsx(tmp_path)
    _set_xlsx(xlsx, "trajectories", 4, "resident_id", int(BSN_LEADING_ZERO))  # Excel dropped the 0
    problems = we.validate(xlsx)
    assert _found(problems) == [("pilot.xlsx [trajectories]", 4, "resident_id", "bsn", "error")]
    assert BSN_LEADING_ZERO.lstrip("0") not in problems.to_csv()


def test_xlsx_native_dates_and_numbers(tmp_path: Path) -> None:
    import datetime as dt

    xlsx = _tiny_xlsx(tmp_path)
    _set_xlsx(xlsx, "contacts", 3, "date", dt.datetime(2025, 2, 11))
    _set_xlsx(xlsx, "provisions", 3, "unit_price", 70.25)
    data = we.load(xlsx)
    assert data.contacts.loc[3, "date"] == pd.Timestamp("2025-02-11")
    assert data.provisions.loc[3, "unit_price"] == 70.25


def test_xlsx_unknown_sheet_warns(tmp_path: Path) -> None:
    xlsx = _tiny_xlsx(tmp_path)
    wb = load_workbook(xlsx)
    wb.create_sheet("doelen oud")
    wb.save(xlsx)
    assert _found(we.validate(xlsx)) == [
        ("pilot.xlsx [doelen oud]", None, "", "unknown_sheet", "warning")
    ]


# ======================================================================================
# Dutch dialects load to the same tables as the clean twin
# ======================================================================================

DUTCH_FILE_NAMES = {
    "trajectories": "trajecten",
    "contacts": "contacten",
    "goals": "doelen",
    "domain_scores": "scores",
    "provisions": "voorzieningen",
    "staff_time": "tijdsbesteding",
}
NON_ASCII_TEXT = "Koffie in het café – één keer per week"


def _dutch_alias(col: schema.Column, code: str) -> str:
    for alias, c in col.aliases.items():
        if c == code and not alias.isdigit():
            return alias
    return code


def _dutch_number(value: str) -> str:
    """'1250.00' -> '1.250,00'; '65.50' -> '65,50'; '3' -> '3'."""
    if not value:
        return value
    whole, _, frac = value.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    whole = ".".join([whole, *groups])
    return f"{whole},{frac}" if frac else whole


def _make_twin(src: Path, dest: Path, features: set[str]) -> Path:
    """A dialect twin of package ``src``: same content, written the Dutch way."""
    dest.mkdir()
    (dest / "study.toml").write_bytes((src / "study.toml").read_bytes())
    for name, table in schema.TABLES.items():
        rows = read_rows(src / f"{name}.csv")
        header = rows[0]
        for j, colname in enumerate(header):
            col = table.column(colname)
            for r in rows[1:]:
                v = r[j]
                if not v:
                    continue
                if "dates" in features and col.type == "date":
                    y, m, d = v.split("-")
                    r[j] = f"{d}-{m}-{y}"
                elif "enums" in features and col.type == "enum":
                    r[j] = (
                        _dutch_alias(col, v).upper() if colname == "arm" else _dutch_alias(col, v)
                    )
                elif "enums" in features and col.type == "bool":
                    r[j] = {"true": "ja", "false": "nee"}[v]
                elif "semicolon" in features and col.type == "float":
                    r[j] = _dutch_number(v)
        sep = ";" if "semicolon" in features else ","
        text = "\r\n".join(sep.join(r) for r in rows) + "\r\n"
        encoding = "cp1252" if "cp1252" in features else "utf-8"
        data = text.encode(encoding)
        if "bom" in features:
            data = b"\xef\xbb\xbf" + data
        stem = DUTCH_FILE_NAMES[name] if "names" in features else name
        (dest / f"{stem}.csv").write_bytes(data)
    return dest


TWIN_FEATURES = [
    {"semicolon"},
    {"bom"},
    {"cp1252"},
    {"dates"},
    {"enums"},
    {"names"},
    {"semicolon", "bom", "dates", "enums", "names"},
    {"semicolon", "cp1252", "dates", "enums", "names"},
]


@pytest.mark.parametrize(
    "features", TWIN_FEATURES, ids=["+".join(sorted(f)) for f in TWIN_FEATURES]
)
def test_dutch_twin_loads_to_same_tables(tmp_path: Path, features: set[str]) -> None:
    clean = copy_tiny(tmp_path)
    set_cell(clean, "goals", 2, "text", NON_ASCII_TEXT)
    twin = _make_twin(clean, tmp_path / "twin", features)
    raw_twin = (twin / ("doelen.csv" if "names" in features else "goals.csv")).read_bytes()
    if "cp1252" in features:
        assert "é".encode("cp1252") in raw_twin and "é".encode() not in raw_twin
    if "semicolon" in features:
        assert (
            b"1.250,00"
            in (
                twin / ("voorzieningen.csv" if "names" in features else "provisions.csv")
            ).read_bytes()
        )
    assert we.validate(twin).empty, we.validate(twin)
    a, b = we.load(clean), we.load(twin)
    assert a.goals.loc[2, "text"] == NON_ASCII_TEXT
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert a.study == b.study
    assert len(b.exclusions) == 0


def test_dutch_dialect_values_parse_by_hand(tmp_path: Path) -> None:
    twin = _make_twin(TINY, tmp_path / "twin", {"semicolon", "dates", "enums"})
    assert "VRAAGGESTUURD" in (twin / "trajectories.csv").read_text()
    data = we.load(twin)
    assert data.provisions.loc[5, "amount"] == 1250.0
    assert data.provisions.loc[3, "unit_price"] == 65.5
    assert data.trajectories.loc[2, "arm"] == "demand_driven"
    assert data.trajectories.loc[2, "start_date"] == pd.Timestamp("2025-01-06")
    assert data.contacts.loc[2, "story_told"]


def test_ambiguous_thousands_in_decimal_comma_file(tmp_path: Path) -> None:
    twin = _make_twin(TINY, tmp_path / "twin", {"semicolon"})
    path = twin / "provisions.csv"
    # the column's other value (120,00) has a decimal comma: '.' groups thousands (issue 15)
    path.write_text(path.read_text().replace("1.250,00", "1.250"))
    assert we.validate(twin).empty
    assert we.load(twin).provisions.loc[5, "amount"] == 1250.0
    # nothing else in the column tells: ambiguous, an error on the cell
    path.write_text(path.read_text().replace("120,00", "120"))
    assert _found(we.validate(twin)) == [
        ("provisions.csv", 5, "amount", "ambiguous_number", "error")
    ]


# ======================================================================================
# Round trips (hypothesis): CSV, Excel and parquet give back the same tables
# ======================================================================================

_BASE = we.load(TINY)
_TEXT = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Cn", "Co", "Nd", "Nl", "No", "Zl", "Zp"),
            blacklist_characters="=",
        ),
        min_size=1,
        max_size=25,
    )
    .map(str.strip)
    .filter(bool)
    # by design not kept as written (issue 15): placeholders such as "-" or "NULL" are read
    # as missing, invisible characters (BOM, zero-width, NBSP) are taken out of codes
    .filter(lambda t: t.lower() not in we.io.PLACEHOLDERS)
    .filter(lambda t: not any(ch in t for ch in "\ufeff\u200b\u200c\u200d\u2060\u00a0"))
)
_MONEY = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def valid_packages(draw: st.DrawFn) -> we.PilotData:
    """tiny_valid with free text, amounts, scores, optional cells and enums redrawn."""
    data = _BASE.copy()
    tr, g, ds, pv, c, stt = (
        data.trajectories,
        data.goals,
        data.domain_scores,
        data.provisions,
        data.contacts,
        data.staff_time,
    )
    n = len(tr)
    tr["team"] = pd.array(draw(st.lists(st.none() | _TEXT, min_size=n, max_size=n)), dtype="string")
    tr["sex"] = pd.array(
        draw(st.lists(st.sampled_from(schema.SEX), min_size=n, max_size=n)), dtype="string"
    )
    tr["birth_year"] = pd.array(
        # plausible ages at the 2025 starts (0-110, issue 15: others are warned about)
        draw(st.lists(st.integers(1915, 2025), min_size=n, max_size=n)),
        dtype="Int64",
    )
    tr["period"] = pd.array(
        draw(st.lists(st.none() | st.sampled_from(schema.PERIOD), min_size=n, max_size=n)),
        dtype="string",
    )
    k = len(g)
    g["text"] = pd.array(draw(st.lists(st.none() | _TEXT, min_size=k, max_size=k)), dtype="string")
    g["attainment"] = pd.array(
        draw(st.lists(st.none() | st.integers(-2, 2), min_size=k, max_size=k)), dtype="Int64"
    )
    m = len(ds)
    ds["score"] = np.array(
        draw(st.lists(st.floats(1, 10), min_size=m, max_size=m)), dtype="float64"
    )
    has_amount = pv["amount"].notna()
    pv.loc[has_amount, "amount"] = draw(
        st.lists(_MONEY, min_size=int(has_amount.sum()), max_size=int(has_amount.sum()))
    )
    pv.loc[~has_amount, "unit_price"] = draw(
        st.lists(_MONEY, min_size=int((~has_amount).sum()), max_size=int((~has_amount).sum()))
    )
    q = len(c)
    c["story_told"] = pd.array(
        draw(st.lists(st.none() | st.booleans(), min_size=q, max_size=q)), dtype="boolean"
    )
    c["organisation"] = pd.array(draw(st.lists(_TEXT, min_size=q, max_size=q)), dtype="string")
    stt["minutes"] = np.array(
        draw(st.lists(st.floats(0, 1e4), min_size=len(stt), max_size=len(stt))), dtype="float64"
    )
    return data


def _assert_same(a: we.PilotData, b: we.PilotData, fmt: str) -> None:
    """Equal tables; in Excel floats keep 15 significant digits (Excel's own precision;
    openpyxl writes ``%.16g``), elsewhere everything is exact."""
    for name in schema.TABLES:
        if fmt == "xlsx":
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-15, atol=0)
        else:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    assert a.study == b.study


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@settings(max_examples=5, deadline=None)
@given(data=valid_packages())
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, fmt: str, data: we.PilotData) -> None:
    out = tmp_path_factory.mktemp(fmt)
    path = we.io.write_package(data, out / "pkg", format=fmt)
    problems = we.validate(path)
    assert problems.empty, problems
    _assert_same(data, we.load(path), fmt)


def test_round_trip_synthetic_pilot(tmp_path: Path) -> None:
    data = we.synth.generate(n_trajectories=40, seed=7, superpopulation=None)
    for fmt in ("csv", "xlsx", "parquet"):
        path = we.io.write_package(data, tmp_path / fmt, format=fmt)
        back = we.load(path)
        for name in schema.TABLES:
            pd.testing.assert_frame_equal(
                data[name].reset_index(drop=True),
                back[name].reset_index(drop=True),
                check_exact=True,
            )
            assert list(back[name].index) == list(range(2, 2 + len(back[name])))


def test_formula_like_text_stays_text_in_xlsx(tmp_path: Path) -> None:
    data = _BASE.copy()
    data.goals.loc[2, "text"] = "=SOM(A1:A3) is geen formule"
    path = we.io.write_package(data, tmp_path / "pkg.xlsx", format="xlsx")
    assert we.load(path).goals.loc[2, "text"] == "=SOM(A1:A3) is geen formule"


# ======================================================================================
# Command line
# ======================================================================================


def test_cli_clean_package(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(TINY)]) == 0
    out = capsys.readouterr().out
    assert "0 fouten, 0 waarschuwingen" in out and "Geen problemen gevonden." in out


def test_cli_error_exit_1_dutch_and_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "contacts", 4, "date", "2025-02-30")
    assert main(["validate", str(pkg)]) == 1
    out = capsys.readouterr().out
    assert "1 fout, 0 waarschuwingen" in out
    assert (
        "FOUT    contacts.csv, rij 4, kolom date: '2025-02-30' is een datum die niet bestaat" in out
    )
    assert main(["validate", str(pkg), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "1 error, 0 warnings" in out
    assert (
        "ERROR   contacts.csv, row 4, column date: '2025-02-30' is a date that does not exist"
        in out
    )


def test_cli_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = copy_tiny(tmp_path)
    drop_rows(pkg, "contacts", [10, 11, 12])
    assert main(["validate", str(pkg), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 1 warning" in out and "WARNING trajectories.csv, row 5" in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "trajectories", 2, "arm", "vraaggestuurdd")
    (pkg / "goals.csv").unlink()
    assert main(["validate", str(pkg), "--format", "json", "--lang", "en"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["row"], r["column"], r["rule"]) for r in records] == [
        ("goals.csv", None, "", "missing_table"),
        ("trajectories.csv", 2, "arm", "invalid_enum"),
    ]
    assert set(records[1]) == set(PROBLEM_COLUMNS)
    assert records[1]["value"] == "vraaggestuurdd"
    assert records[1]["expected"] == "demand_driven, supply_driven"
    assert records[1]["message"].endswith("Did you mean 'vraaggestuurd'?")


def test_cli_limit_groups_repeats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = copy_tiny(tmp_path)
    path = pkg / "domain_scores.csv"
    path.write_text(path.read_text().replace(",huizen5,", ",zrm,"))  # 40 mismatches
    assert main(["validate", str(pkg), "--limit", "5"]) == 1
    out = capsys.readouterr().out
    assert out.count("instrument 'zrm' is niet het instrument") == 5
    assert "… en nog 35 vergelijkbare meldingen in domain_scores.csv, kolom instrument" in out


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wattelt_eval", "validate", str(TINY), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "No problems found." in proc.stdout


# -- regression (hypothesis round trip): the digits after a decimal point are no BSN
def test_decimal_digits_are_not_a_bsn_but_an_integral_amount_is(tmp_path: Path) -> None:
    from wattelt_eval.bsn import elfproef

    assert elfproef("123456782")  # 9*1 + 8*2 + ... - 1*2 = 154 = 14 * 11
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "provisions", 3, "unit_price", "0.123456782")  # a price, not a BSN
    assert we.validate(pkg).empty
    set_cell(pkg, "provisions", 3, "unit_price", "123456782")  # nine digits passing elfproef
    problems = we.validate(pkg, lang="en")
    assert list(problems[["file", "row", "column", "rule"]].itertuples(index=False, name=None)) == [
        ("provisions.csv", 3, "unit_price", "bsn")
    ]
    assert "123456782" not in problems.to_string()


def test_checks_only_read_the_tables_and_load_maps_domain_labels(tmp_path: Path) -> None:
    # a domain written as its Dutch label: the cross-table checks accept it without changing
    # the table they check; the load step (build) maps it to the instrument's code
    pkg = copy_tiny(tmp_path)
    instrument = we.load(TINY).instrument
    dom = next(d for d in instrument.domains if d.code == "health")
    set_cell(pkg, "domain_scores", 2, "domain", dom.label_nl.upper())
    checked = _check(read_package(pkg))
    assert not (checked.problems["severity"] == "error").any()
    assert checked.tables["domain_scores"].loc[2, "domain"] == dom.label_nl.upper()
    data = we.load(pkg)
    assert data.domain_scores.loc[2, "domain"] == "health"


def test_every_reason_code_has_its_message_and_every_check_declared_reasons() -> None:
    from wattelt_eval.i18n import catalogue
    from wattelt_eval.validation import CHECKS, REASONS

    assert set(RULES) == set(REASONS)
    for code, reason in REASONS.items():
        assert reason.key in catalogue(), code
        assert reason.severity in ("error", "warning")
    for name, chk in CHECKS.items():
        assert chk.reasons and set(chk.reasons) <= set(REASONS), name
