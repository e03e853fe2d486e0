"""Issue 16 part 3: Dutch column names, iWmo codes and study.toml ``[mapping]``.

A package as a Wmo system exports it (Dutch file and column names, iWmo codes for unit and
frequency) must load with outcomes identical to its English twin; problems name the
column as the user wrote it; a bad ``[mapping]`` is listed like every other problem.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from validation_helpers import TINY, copy_tiny, read_rows, set_cell, write_rows

import wattelt_eval as we
from wattelt_eval import schema
from wattelt_eval.templates import build_workbook, data_dictionary
from wattelt_eval.validation import parse_enums

# The iWmo release 3.2 code lists, typed from the published lists (WJ756 Eenheid, WMO757
# Frequentie; informatiemodel.istandaarden.nl), independent of the package's tables.
IWMO_UNIT = {
    "01": "minute",
    "04": "hour",
    "14": "day",
    "16": "day_part",
    "82": "piece",
    "83": "euro",
    "84": "piece",
}
IWMO_FREQUENCY = {"1": "per_day", "2": "per_week", "4": "per_month", "6": "total"}
# A typical Wmo-system export's Dutch names (per table: English -> as exported).
DUTCH_FILES = {
    "trajectories": "trajecten",
    "contacts": "contacten",
    "goals": "doelen",
    "domain_scores": "domeinscores",
    "provisions": "voorzieningen",
    "staff_time": "tijdsbesteding",
}
DUTCH_COLUMNS = {
    "trajectories": {
        "trajectory_id": "Traject_ID",
        "resident_id": "Clientnummer",
        "arm": "Werkwijze",
        "period": "Periode",
        "municipality": "Gemeentecode",
        "start_date": "Startdatum",
        "end_date": "Einddatum",
        "end_reason": "Reden einde",
        "birth_year": "Geboortejaar",
        "sex": "Geslacht",
        "household": "Huishouden",
    },
    "contacts": {
        "contact_id": "Contactnummer",
        "trajectory_id": "traject_id",
        "date": "Datum",
        "organisation": "Organisatie",
        "professional_id": "Medewerker ID",
        "role": "Rol",
        "contact_type": "Soort contact",
        "story_told": "Verhaal verteld",
        "plan_available": "Plan beschikbaar",
    },
    "goals": {
        "goal_id": "Doel_ID",
        "trajectory_id": "Traject_ID",
        "stage": "Fase",
        "date": "Datum",
        "author": "Auteur",
        "domain": "Leefgebied",
        "text": "Omschrijving",
        "derived_from": "Afgeleid van",
        "attainment": "Doelbereik",
    },
    "domain_scores": {
        "trajectory_id": "Traject_ID",
        "measurement": "Meting",
        "date": "Datum",
        "domain": "Leefgebied",
        "rater": "Beoordelaar",
    },
    "provisions": {
        "provision_id": "Toewijzingnummer",
        "trajectory_id": "Traject_ID",
        "category": "Productcategorie",
        "product_code": "Productcode",
        "start_date": "Ingangsdatum",
        "end_date": "Einddatum",
        "volume": "Omvang",
        "unit": "Eenheid",
        "frequency": "Frequentie",
        "unit_price": "Tarief",
        "amount": "Bedrag",
    },
    "staff_time": {
        "trajectory_id": "Traject_ID",
        "date": "Datum",
        "role": "Rol",
        "minutes": "Minuten",
    },
}


def _dutch_twin(english: Path, dest: Path) -> Path:
    """The English CSV package as a Wmo system would export it (names and iWmo codes)."""
    dest.mkdir()
    unit = {v: k for k, v in IWMO_UNIT.items() if k != "84"}  # piece -> 82
    freq = {v: k for k, v in IWMO_FREQUENCY.items()}
    for t, dutch in DUTCH_FILES.items():
        df = pd.read_csv(english / f"{t}.csv", dtype=str, keep_default_na=False)
        if t == "provisions":
            df["unit"] = df["unit"].map(lambda v: unit.get(v, v))
            df["frequency"] = df["frequency"].map(lambda v: freq.get(v, v))
        df = df.rename(columns=DUTCH_COLUMNS[t])
        df.to_csv(dest / f"{dutch}.csv", index=False)
    shutil.copy(english / "study.toml", dest / "study.toml")
    return dest


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("twins")
    data = we.synth.generate(160, seed=16)
    # every frequency and several units present, so the iWmo codes are all exercised
    p = data.provisions
    p.loc[p.index[:4], "frequency"] = ["per_day", "per_month", "total", "per_week"]
    p.loc[p.index[:4], "unit"] = ["minute", "day_part", "piece", "hour"]
    english = data.write(base / "en")
    return english, _dutch_twin(english, base / "nl")


def test_dutch_twin_loads_with_identical_outcomes(twins: tuple[Path, Path]) -> None:
    english, dutch = twins
    a, b = we.load(english), we.load(dutch)
    # the same warnings, none about the Dutch names (no unknown or missing columns)
    assert sorted(b.warnings["rule"]) == sorted(a.warnings["rule"])
    for t in schema.TABLES:
        pd.testing.assert_frame_equal(a[t], b[t])
    pd.testing.assert_frame_equal(we.outcomes(a), we.outcomes(b))
    assert np.isfinite(we.outcomes(b)["cost_total"]).sum() > 100
    # every renamed column is listed with the name as written (provenance)
    m = b.mapping
    assert set(m["origin"]) == {"alias"}
    got = {(r.table, r.column): r.written for r in m.itertuples() if r.kind == "column"}
    want = {(t, c): w for t, cols in DUTCH_COLUMNS.items() for c, w in cols.items()}
    assert got == want
    assert a.mapping.empty


def test_iwmo_unit_and_frequency_codes() -> None:
    prov = schema.TABLES["provisions"]
    raw = pd.Series([*IWMO_UNIT, "4", "1"], dtype="string")
    out, bads = parse_enums(raw, prov.column("unit"))
    assert not bads
    assert out.tolist() == [*IWMO_UNIT.values(), "hour", "minute"]
    raw = pd.Series(list(IWMO_FREQUENCY), dtype="string")
    out, bads = parse_enums(raw, prov.column("frequency"))
    assert not bads and out.tolist() == list(IWMO_FREQUENCY.values())
    # 85 (KM) is in no source we could check: not accepted
    _, bads = parse_enums(pd.Series(["85"], dtype="string"), prov.column("unit"))
    assert bads and bads[0].rule == "invalid_enum"


def test_per_day_cost_worked_by_hand(tmp_path: Path) -> None:
    # T03: window 2025-01-13 .. 2026-01-12; V03 runs from 2025-02-01, open-ended: 346 days
    # in the window; V04 (1250 euro, one day) also in it.
    days = (pd.Timestamp("2026-01-12") - pd.Timestamp("2025-02-01")).days + 1
    assert days == 346
    base = we.outcomes(we.load(TINY)).set_index("trajectory_id")
    assert base.loc["T03", "cost_provisions"] == pytest.approx(3 * 32.0 / 7 * days + 1250.0)
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "provisions", 4, "frequency", "1")  # iWmo 1 = per dag
    out = we.outcomes(we.load(pkg)).set_index("trajectory_id")
    assert out.loc["T03", "cost_provisions"] == pytest.approx(3 * 32.0 * days + 1250.0)
    other = [t for t in base.index if t != "T03"]
    pd.testing.assert_series_equal(
        out.loc[other, "cost_provisions"], base.loc[other, "cost_provisions"]
    )


def _rename_header(pkg: Path, table: str, old: str, new: str) -> None:
    rows = read_rows(pkg / f"{table}.csv")
    rows[0] = [new if h == old else h for h in rows[0]]
    write_rows(pkg / f"{table}.csv", rows)


def test_problem_names_the_column_as_written(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    set_cell(pkg, "trajectories", 3, "birth_year", "negentien")
    _rename_header(pkg, "trajectories", "birth_year", "Geboortejaar")
    _rename_header(pkg, "trajectories", "sex", "sekse")  # no alias: unknown + missing
    p = we.validate(pkg, lang="en")
    cell = p[p["row"] == 3]
    assert cell["column"].tolist() == ["Geboortejaar"]
    assert "Geboortejaar" in cell["message"].iloc[0]
    assert ("trajectories.csv", "sex", "missing_column") in set(
        zip(p["file"], p["column"], p["rule"], strict=True)
    )
    assert "geboortejaar" not in set(p[p["rule"] == "unknown_column"]["column"].str.lower())


def test_name_and_alias_both_present_is_one_duplicate(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    rows = read_rows(pkg / "trajectories.csv")
    j = rows[0].index("start_date")
    write_rows(pkg / "trajectories.csv", [r + [r[j]] for r in rows])
    rows = read_rows(pkg / "trajectories.csv")
    rows[0][-1] = "Startdatum"
    write_rows(pkg / "trajectories.csv", rows)
    p = we.validate(pkg, lang="en")
    assert p[["column", "rule", "severity"]].values.tolist() == [
        ["Startdatum", "duplicate_column", "error"]
    ]
    assert "start_date" in p["message"].iloc[0]


MAPPING = """
[mapping.columns]
"Soort gesprek" = "contact_type"
[mapping.columns.trajectories]
"GBA geslacht" = "sex"
[mapping.values.contact_type]
AANM = "intake"
VERV = "follow_up"
EVAL = "evaluation"
ONDZ = "assessment"
[mapping.values.trajectories.sex]
1 = "male"
2 = "female"
"""


def test_study_mapping_own_names_and_codes(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    own = {"intake": "AANM", "follow_up": "VERV", "evaluation": "EVAL", "assessment": "ONDZ"}
    rows = read_rows(pkg / "contacts.csv")
    j = rows[0].index("contact_type")
    for r in rows[1:]:
        r[j] = own.get(r[j], r[j])
    rows[0][j] = "Soort gesprek"
    write_rows(pkg / "contacts.csv", rows)
    rows = read_rows(pkg / "trajectories.csv")
    j = rows[0].index("sex")
    for r in rows[1:]:
        r[j] = {"male": "1", "female": "2"}[r[j]]
    rows[0][j] = "GBA geslacht"
    write_rows(pkg / "trajectories.csv", rows)
    with open(pkg / "study.toml", "a", encoding="utf-8") as f:
        f.write(MAPPING)
    assert len(we.validate(pkg)) == 0
    data = we.load(pkg)
    base = we.load(TINY)
    for t in ("trajectories", "contacts"):
        pd.testing.assert_frame_equal(data[t], base[t])
    pd.testing.assert_frame_equal(we.outcomes(data), we.outcomes(base))
    m = data.mapping
    assert set(m["origin"]) == {"study"}
    cols = m[m["kind"] == "column"]
    assert sorted(zip(cols["table"], cols["written"], strict=True)) == [
        ("contacts", "Soort gesprek"),
        ("trajectories", "GBA geslacht"),
    ]
    assert set(m[(m["kind"] == "value") & (m["column"] == "sex")]["written"]) == {"1", "2"}


BAD_MAPPING = """
[mapping]
colums = 1
[mapping.columns]
Leeftijd = "age_years"
[mapping.columns.clients]
x = "resident_id"
[mapping.values.provisions.unit]
U = "hours"
[mapping.values.team]
a = "b"
[mapping.values.sex]
M = 1
"""


def test_bad_mapping_lists_every_problem_at_once(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    with open(pkg / "study.toml", "a", encoding="utf-8") as f:
        f.write(BAD_MAPPING)
    for lang in ("nl", "en"):
        p = we.validate(pkg, lang=lang)
        got = sorted(zip(p["column"], p["rule"], p["severity"], strict=True))
        assert got == sorted(
            [
                ("mapping.colums", "study_unknown_key", "warning"),
                ("mapping.columns.Leeftijd", "mapping_column", "error"),
                ("mapping.columns.clients", "mapping_column", "error"),
                ("mapping.values.provisions.unit.U", "mapping_code", "error"),
                ("mapping.values.sex.M", "study_type", "error"),
                ("mapping.values.team", "mapping_column", "error"),
            ]
        )
        assert (p["file"] == "study.toml").all()
    code = p[p["rule"] == "mapping_code"]["message"].iloc[0]
    assert "'hours'" in code and "Did you mean 'hour'?" in code
    with pytest.raises(we.ValidationError):
        we.load(pkg)


def test_dutch_header_below_a_title_line(tmp_path: Path) -> None:
    pkg = copy_tiny(tmp_path)
    for c in ("trajectory_id", "start_date", "birth_year"):
        _rename_header(pkg, "trajectories", c, DUTCH_COLUMNS["trajectories"][c])
    path = pkg / "trajectories.csv"
    path.write_text("Overzicht trajecten 2025\n" + path.read_text(encoding="utf-8"))
    p = we.validate(pkg)
    assert p[["row", "rule"]].values.tolist() == [[1, "title_line"]]
    pd.testing.assert_frame_equal(we.outcomes(we.load(pkg)), we.outcomes(we.load(TINY)))


def test_aliases_are_listed_in_dictionary_and_template() -> None:
    md = data_dictionary()
    row = next(ln for ln in md.splitlines() if ln.startswith("| `birth_year` |"))
    assert row.rstrip().endswith("| `geboortejaar` |")
    assert "[mapping.values.provisions.unit]" in md
    wb = build_workbook()
    header = {c.value: c for c in wb["trajectories"][1]}
    assert "geboortejaar" in header["birth_year"].comment.text
    for t, cols in schema.COLUMN_ALIASES.items():
        names = [a for aliases in cols.values() for a in aliases]
        assert len(names) == len(set(names)), t  # each alias names one column
        assert not set(names) & set(schema.TABLES[t].column_names), t


def test_pseudonymise_understands_dutch_names(tmp_path: Path) -> None:
    from wattelt_eval.privacy import pseudonymise_package

    pkg = copy_tiny(tmp_path)
    for t, cols in DUTCH_COLUMNS.items():
        for english, dutch in cols.items():
            _rename_header(pkg, t, english, dutch)
    out = tmp_path / "pseudo"
    record = pseudonymise_package(pkg, out, key="k" * 32)
    assert record.tables["trajectories"]["hashed"] == ["trajectory_id", "resident_id"]
    assert "text" in record.tables["goals"]["dropped"]  # the Dutch "Omschrijving" column
    body = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    for original in ("T01", "R01", "G01", "C01", "P01", "Weer wekelijks koffie"):
        assert original not in body
    data = we.load(out)
    assert data.n_trajectories == 4 and data.goals["text"].isna().all()


def test_study_mapping_wins_over_a_schema_name(tmp_path: Path) -> None:
    # an export whose "team" column holds the municipality code and the other way round
    pkg = copy_tiny(tmp_path)
    rows = read_rows(pkg / "trajectories.csv")
    i, j = rows[0].index("team"), rows[0].index("municipality")
    rows[0][i], rows[0][j] = "municipality", "team"
    write_rows(pkg / "trajectories.csv", rows)
    assert (we.validate(pkg)["severity"] == "error").any()
    with open(pkg / "study.toml", "a", encoding="utf-8") as f:
        f.write('\n[mapping.columns.trajectories]\nteam = "municipality"\nmunicipality = "team"\n')
    assert len(we.validate(pkg)) == 0
    pd.testing.assert_frame_equal(we.outcomes(we.load(pkg)), we.outcomes(we.load(TINY)))
