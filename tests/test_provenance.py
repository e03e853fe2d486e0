"""The report fingerprint: tables and every setting that changes a number (issue 14, part 4)."""

from __future__ import annotations

import hashlib
import json

import pytest

import wattelt_eval as we
from wattelt_eval.cli.main import main
from wattelt_eval.report.plan import ReportPlan
from wattelt_eval.report.provenance import (
    canonical_csv,
    command_line,
    fingerprint,
    report_fingerprint,
    settings_record,
)
from wattelt_eval.schema import TABLES


@pytest.fixture(scope="module")
def demo():
    return we.synth.demo()


def _changed(data, change):
    d = data.copy()
    change(d)
    return d


def test_report_fingerprint_recipe_by_hand(demo):
    """SHA-256 of the data fingerprint, then "# settings" and the sorted compact JSON."""
    tables = hashlib.sha256()
    for name in TABLES:
        tables.update(f"# {name}\n".encode())
        tables.update(canonical_csv(demo, name).encode())
    h = hashlib.sha256(f"# data\n{tables.hexdigest()}\n# settings\n".encode())
    rec = settings_record(demo)
    h.update(json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    assert report_fingerprint(demo) == h.hexdigest()
    assert rec["study"]["rates"] == demo.study.rates
    assert rec["analysis"]["seed"] == demo.study.seed and rec["analysis"]["n_boot"] == 999
    assert rec["instrument"]["problem_threshold"] == demo.instrument.problem_threshold
    assert set(rec["versions"]) >= {"python", "wattelt_eval", "numpy", "pandas", "statsmodels"}


def test_doubling_the_hourly_rates_changes_the_report_fingerprint(demo):
    """Issue 14: doubling the rates changed every cost but not the (tables-only) fingerprint."""

    def double(d):
        d.study.rates = {k: 2 * v for k, v in d.study.rates.items()}

    doubled = _changed(demo, double)
    # the costs really change (so the fingerprint must)
    before = we.outcomes(demo)["cost_staff"].sum()
    after = we.outcomes(doubled)["cost_staff"].sum()
    assert after == pytest.approx(2 * before) and before > 0
    assert fingerprint(doubled) == fingerprint(demo)  # the tables are the same
    assert report_fingerprint(doubled) != report_fingerprint(demo)


def test_every_setting_that_changes_a_number_changes_the_fingerprint(demo):
    def setter(attr, value):
        return lambda d: setattr(d.study, attr, value)

    def one_rate(d):
        d.study.rates = {**d.study.rates, "generalist": d.study.rates["generalist"] + 0.5}

    def instrument(d):
        d.instrument = d.instrument.with_threshold(d.instrument.problem_threshold + 1)

    variants = {
        "base": report_fingerprint(demo),
        "rate": report_fingerprint(_changed(demo, one_rate)),
        "window": report_fingerprint(_changed(demo, setter("cost_window_days", 180))),
        "price_year": report_fingerprint(_changed(demo, setter("price_year", 2019))),
        "extract": report_fingerprint(_changed(demo, setter("extract_date", "2025-01-31"))),
        "threshold": report_fingerprint(_changed(demo, setter("disclosure_threshold", 11))),
        "instrument": report_fingerprint(_changed(demo, instrument)),
        "seed": report_fingerprint(demo, ReportPlan.from_study(demo.study, seed=7)),
        "n_boot": report_fingerprint(demo, ReportPlan.from_study(demo.study, n_boot=499)),
        "monitor": report_fingerprint(demo, ReportPlan.from_study(demo.study, monitor=True)),
        "covariates": report_fingerprint(
            demo, ReportPlan(seed=demo.study.seed, covariates=("age",))
        ),
        "methods": report_fingerprint(
            demo, ReportPlan(seed=demo.study.seed, methods=("unadjusted",))
        ),
    }
    assert len(set(variants.values())) == len(variants), variants
    # the default plan is the study's: same fingerprint
    assert report_fingerprint(demo, ReportPlan.from_study(demo.study)) == variants["base"]


def test_versions_enter_the_fingerprint(demo, monkeypatch):
    from wattelt_eval.report import provenance

    base = report_fingerprint(demo)
    real = provenance.versions
    monkeypatch.setattr(provenance, "versions", lambda: {**real(), "pandas": "0.0.1"})
    assert report_fingerprint(demo) != base


def test_row_order_does_not_enter(demo):
    shuffled = demo.copy()
    shuffled.contacts = shuffled.contacts.sample(frac=1.0, random_state=1)
    assert report_fingerprint(shuffled) == report_fingerprint(demo)


def test_cli_prints_the_report_fingerprint(demo, capsys):
    assert main(["fingerprint", "--demo"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == report_fingerprint(demo)
    assert main(["fingerprint", "--demo", "--seed", "7", "--n-boot", "499"]) == 0
    plan = ReportPlan.from_study(demo.study, seed=7, n_boot=499)
    assert capsys.readouterr().out.strip() == report_fingerprint(demo, plan)
    assert main(["fingerprint", "--demo", "--details"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["report_fingerprint"] == out
    assert details["data_fingerprint"] == fingerprint(demo)
    assert details["settings"]["study"]["rates"] == demo.study.rates


def test_cli_fingerprint_of_a_package_and_its_errors(demo, tmp_path, capsys):
    from wattelt_eval.io import write_package

    folder = write_package(demo, tmp_path / "pilot")
    loaded = we.load(folder)
    assert main(["fingerprint", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == report_fingerprint(loaded)
    assert main(["fingerprint", str(folder), "--extract-date", "2025-12-31"]) == 0
    other = capsys.readouterr().out.strip()
    assert other != report_fingerprint(loaded)
    assert main(["fingerprint"]) == 2  # neither a package nor --demo
    assert main(["fingerprint", str(tmp_path / "missing")]) == 2
    assert "wattelt-eval fingerprint:" in capsys.readouterr().err
    (folder / "contacts.csv").unlink()  # an invalid package: every problem listed, exit 1
    assert main(["fingerprint", str(folder), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "no fingerprint was computed" in err and "contacts.csv" in err


def test_command_line_shortens_paths_and_quotes():
    shown = command_line(["report", "/home/jan/pilots/huizen 2025/", "--out=/tmp/x/reports"])
    assert shown == "wattelt-eval report 'huizen 2025' --out=reports"
    assert "/home" not in shown and "jan" not in shown
    assert (
        command_line(["report", "--demo", "--seed", "7"]) == "wattelt-eval report --demo --seed 7"
    )
