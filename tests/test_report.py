"""Report: fingerprint, provenance, formatting, options and CLI (no notebook execution)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib

import nbformat
import numpy as np
import pytest
from report_helpers import tiny_pilot

from wattelt_eval.cli import report as report_cli
from wattelt_eval.i18n.format import euro as fmt_euro
from wattelt_eval.i18n.format import number as fmt_number
from wattelt_eval.report import (
    build,
    canonical_csv,
    clean_notebook,
    fingerprint,
    generation_time,
    table_fingerprints,
)

# The canonical CSVs of tiny_pilot(), written out by hand from the recipe in docs/report.md.
EXPECTED_CSV = {
    "trajectories": (
        "trajectory_id,resident_id,arm,period,municipality,team,start_date,end_date,end_reason,"
        "birth_year,sex,household\n"
        "T1,R1,demand_driven,,GM0772,a,2025-01-15,,,1950,female,single\n"
        "T2,R2,supply_driven,,GM0772,b,2025-02-01,,,1960,male,couple\n"
    ),
    "contacts": (
        "contact_id,trajectory_id,date,organisation,professional_id,role,contact_type,"
        "story_told,plan_available\n"
        'C1,T1,2025-01-15,"wijkteam, noord",,generalist,intake,true,\n'
        "C2,T2,2025-02-01,loket,,service_desk,intake,,\n"
    ),
    "goals": (
        "goal_id,trajectory_id,stage,date,author,domain,text,derived_from,status,attainment,"
        "derived_from_source\n"
        'G1,T1,intake,,resident,,"Weer ""zelf"" boodschappen doen",,active,1,\n'
    ),
    "domain_scores": "trajectory_id,measurement,date,instrument,domain,rater,score\n",
    "provisions": (
        "provision_id,trajectory_id,category,product_code,start_date,end_date,volume,unit,"
        "frequency,unit_price,amount\n"
        "V1,T2,02,,2025-03-01,,3.0,hour,per_week,65.5,\n"
    ),
    "staff_time": "trajectory_id,date,role,minutes\n",
}


def test_canonical_csv_matches_the_recipe_by_hand():
    data = tiny_pilot()
    for name, text in EXPECTED_CSV.items():
        assert canonical_csv(data, name) == text


def test_fingerprint_is_sha256_over_named_tables():
    h = hashlib.sha256()
    for name in ("trajectories", "contacts", "goals", "domain_scores", "provisions", "staff_time"):
        h.update(f"# {name}\n{EXPECTED_CSV[name]}".encode())
    assert fingerprint(tiny_pilot()) == h.hexdigest()
    per_table = table_fingerprints(tiny_pilot())
    assert per_table["goals"] == hashlib.sha256(EXPECTED_CSV["goals"].encode()).hexdigest()


def test_fingerprint_ignores_row_order_and_index_but_not_values():
    data = tiny_pilot()
    fp = fingerprint(data)
    shuffled = data.copy()
    shuffled.trajectories = shuffled.trajectories.iloc[::-1]
    shuffled.contacts = shuffled.contacts.set_axis([10, 11]).rename_axis("row")
    assert fingerprint(shuffled) == fp
    changed = data.copy()
    changed.provisions.loc[changed.provisions.index[0], "unit_price"] = 65.51
    assert fingerprint(changed) != fp
    changed = data.copy()
    changed.goals.loc[changed.goals.index[0], "text"] = "iets anders"
    assert fingerprint(changed) != fp


def test_float_text_is_shortest_round_trip():
    data = tiny_pilot()
    data.provisions["unit_price"] = np.array([0.1 + 0.2])
    assert ",0.30000000000000004," in canonical_csv(data, "provisions")
    data.provisions["unit_price"] = np.array([1e-05])
    assert ",1e-05," in canonical_csv(data, "provisions")


def test_canonical_csv_unknown_table():
    with pytest.raises(ValueError, match="unknown table"):
        canonical_csv(tiny_pilot(), "residents")


def test_generation_time_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    assert generation_time() == dt.datetime(2025, 6, 15, 15, 6, 40, tzinfo=dt.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "gisteren")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        generation_time()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(tz=dt.timezone.utc)
    assert abs((generation_time() - now).total_seconds()) < 5


@pytest.mark.parametrize(
    ("x", "dec", "lang", "sign", "expected"),
    [
        (1234.5, 1, "nl", False, "1.234,5"),
        (1234.5, 1, "en", False, "1,234.5"),
        (-0.25, 2, "nl", True, "−0,25"),
        (0.25, 2, "en", True, "+0.25"),
        (-0.0001, 1, "nl", True, "0,0"),
        (float("nan"), 1, "nl", False, "–"),
        (None, 0, "en", False, "–"),
    ],
)
def test_fmt_number(x, dec, lang, sign, expected):
    assert fmt_number(x, dec, lang, sign=sign) == expected


def test_clean_notebook_strips_volatile_metadata():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "start_time": "2025-01-01T00:00:00",
        "end_time": "2025-01-01T00:00:09",
        "duration": 9.1,
        "input_path": "/tmp/x.ipynb",
        "parameters": {"lang": "nl"},
    }
    c = nbformat.v4.new_code_cell("1")
    c["id"] = "a1b2c3"
    c.metadata["papermill"] = {"duration": 0.1}
    c.metadata["execution"] = {"iopub.execute_input": "2025-01-01T00:00:01"}
    c.execution_count = 17
    c.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=17)]
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), c]
    out = clean_notebook(nb, "Titel")
    assert out.metadata["papermill"] == {"parameters": {"lang": "nl"}}
    assert out.metadata["title"] == "Titel"
    assert [cell["id"] for cell in out.cells] == ["cell-0", "cell-1"]
    assert out.cells[1].metadata == {}
    assert out.cells[1].execution_count == 2
    assert out.cells[1].outputs[0]["execution_count"] == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lang": "fr"}, "lang must be"),
        ({"formats": ("docx",)}, "formats must be"),
        ({"formats": ()}, "formats must be"),
        ({"n_boot": 10}, "n_boot"),
    ],
)
def test_build_rejects_bad_options(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(tiny_pilot(), tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_build_needs_data(tmp_path):
    with pytest.raises(ValueError, match="no data"):
        build(None, tmp_path)
    with pytest.raises(ValueError, match="not both"):
        build(tiny_pilot(), tmp_path, demo=True)
    with pytest.raises(TypeError, match="path or a PilotData"):
        build(42, tmp_path)


def run_report_cli(argv: list[str]) -> int:
    """``wattelt-eval report ...`` through this module's add_cli/run_cli only."""
    parser = argparse.ArgumentParser(prog="wattelt-eval")
    report_cli.add_cli(parser.add_subparsers(dest="command"))
    return report_cli.run_cli(parser.parse_args(argv))


def test_cli_usage_errors(tmp_path, capsys):
    assert run_report_cli(["report", "--out", str(tmp_path)]) == 2
    assert "PATH" in capsys.readouterr().err
    assert run_report_cli(["report", str(tmp_path), "--demo", "--out", str(tmp_path)]) == 2
    assert run_report_cli(["report", str(tmp_path / "nergens"), "--out", str(tmp_path)]) == 2
    assert "bestaat niet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        run_report_cli(["report", "--demo", "--lang", "fr"])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("x", "lang", "sign", "expected"),
    [
        (-1636.4, "nl", True, "€ −1.636"),
        (-1636.4, "en", True, "−€1,636"),
        (1117, "en", True, "+€1,117"),
        (4227, "en", False, "€4,227"),
        (4227, "nl", False, "€ 4.227"),
    ],
)
def test_fmt_euro(x, lang, sign, expected):
    assert fmt_euro(x, lang, sign=sign) == expected


def test_an_invalid_source_date_epoch_is_named_at_import():
    import os
    import subprocess
    import sys

    env = {**os.environ, "SOURCE_DATE_EPOCH": "abc"}
    out = subprocess.run(
        [sys.executable, "-c", "import wattelt_eval"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("ValueError: SOURCE_DATE_EPOCH must be a whole number") and "'abc'" in last
    )
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    ok = subprocess.run(
        [sys.executable, "-c", "import wattelt_eval"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
