"""Pseudonymisation: keyed hash of ids, consistency, no originals or key in the output."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
from pathlib import Path

import pandas as pd
import pytest

from wattelt_eval import privacy
from wattelt_eval.cli import pseudonymise as pseudonymise_cli
from wattelt_eval.privacy import PrivacyError, pseudonymise_package, pseudonymise_tables

KEY = "test-key-0123456789-abcdefghij"
KEY2 = "another-key-9876543210-zyxwvu"

#: every original identifier in the sample package (none may survive)
ORIGINAL_IDS = [
    "ZAAK-2024-0001",
    "ZAAK-2024-0002",
    "ZAAK-2024-0003",
    "111222333",  # a BSN used as resident number: allowed in, hashed out
    "RES-77",
    "KONTAKT-1",
    "KONTAKT-2",
    "KONTAKT-3",
    "KONTAKT-4",
    "MW-12",
    "MW-13",
    "DOEL-1",
    "DOEL-2",
    "DOEL-3",
    "VOORZ-9",
]


def sample_tables() -> dict[str, pd.DataFrame]:
    """A raw package as a municipality might export it (strings, Dutch codes)."""
    tr = pd.DataFrame(
        {
            "trajectory_id": ["ZAAK-2024-0001", "ZAAK-2024-0002", "ZAAK-2024-0003"],
            "resident_id": ["111222333", "RES-77", "111222333"],
            "arm": ["vraaggestuurd", "aanbodgestuurd", "demand_driven"],
            "municipality": ["GM0406"] * 3,
            "team": ["noord", "zuid", "noord"],
            "start_date": ["2025-01-06", "14-02-2025", "2025-03-01"],
            "end_date": ["", "", ""],
            "birth_date": ["1948-03-02", "02-11-1960", ""],
            "birth_year": ["", "", "1971"],
            "sex": ["v", "m", "vrouw"],
            "household": ["alleenstaand", "paar", "eenoudergezin"],
            "notitie": ["woont bij dochter", "", ""],
        }
    )
    co = pd.DataFrame(
        {
            "contact_id": ["KONTAKT-1", "KONTAKT-2", "KONTAKT-3", "KONTAKT-4"],
            "trajectory_id": [
                "ZAAK-2024-0001",
                "ZAAK-2024-0001",
                "ZAAK-2024-0002",
                "ZAAK-2024-0003",
            ],
            "date": ["2025-01-06", "2025-01-08", "2025-02-14", "2025-03-01"],
            "organisation": ["Wijkteam Noord", "GGZ Oost", "Wijkteam Zuid", "Wijkteam Noord"],
            "professional_id": ["MW-12", "MW-13", "MW-12", ""],
            "role": ["generalist", "specialist", "generalist", "generalist"],
            "contact_type": ["intake", "assessment", "intake", "intake"],
        }
    )
    go = pd.DataFrame(
        {
            "goal_id": ["DOEL-1", "DOEL-2", "DOEL-3"],
            "trajectory_id": ["ZAAK-2024-0001", "ZAAK-2024-0001", "ZAAK-2024-0002"],
            "stage": ["intake", "final", "intake"],
            "author": ["inwoner", "inwoner", "samen"],
            "text": [
                "Weer zelf boodschappen doen",
                "Boodschappen met buurvrouw",
                "Vaker naar buiten",
            ],
            "derived_from": ["", "DOEL-1", ""],
            "status": ["active", "achieved", "active"],
        }
    )
    ds = pd.DataFrame(
        {
            "trajectory_id": ["ZAAK-2024-0001"] * 2,
            "measurement": ["0", "1"],
            "domain": ["finances"] * 2,
            "rater": ["inwoner"] * 2,
            "score": ["4,5", "6"],
        }
    )
    pr = pd.DataFrame(
        {
            "provision_id": ["VOORZ-9"],
            "trajectory_id": ["ZAAK-2024-0002"],
            "category": ["02"],
            "start_date": ["2025-03-01"],
            "amount": ["1200,50"],
        }
    )
    stt = pd.DataFrame(
        {
            "trajectory_id": ["ZAAK-2024-0003"],
            "date": ["2025-03-02"],
            "role": ["generalist"],
            "minutes": ["60"],
        }
    )
    return {
        "trajectories": tr,
        "contacts": co,
        "goals": go,
        "domain_scores": ds,
        "provisions": pr,
        "staff_time": stt,
    }


def write_csv_package(
    path: Path, tables: dict[str, pd.DataFrame] | None = None, sep: str = ";"
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, df in (tables or sample_tables()).items():
        df.to_csv(path / f"{name}.csv", sep=sep, index=False)
    (path / "study.toml").write_text(
        '[study]\nname = "test"\ninstrument = "huizen5"\n', encoding="utf-8"
    )
    return path


def read_out(path: Path, sep: str = ";") -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
        for p in sorted(path.glob("*.csv"))
    }


def expected_pseudonym(value: str, kind: str, key: str) -> str:
    """Independent re-computation of the documented scheme."""
    digest = hmac.new(
        key.encode(), kind.encode() + b"\x1f" + value.encode(), hashlib.sha256
    ).digest()[:10]
    alphabet = "bcdfghjklmnpqrst"
    chars = "".join(alphabet[b >> 4] + alphabet[b & 15] for b in digest)
    return privacy.PREFIXES[kind] + "-" + chars


# ----------------------------------------------------------------------- key


def test_no_key_refuses(monkeypatch, tmp_path):
    monkeypatch.delenv("WATTELT_KEY", raising=False)
    with pytest.raises(PrivacyError, match="WATTELT_KEY"):
        pseudonymise_tables(sample_tables())
    with pytest.raises(PrivacyError, match="too short"):
        pseudonymise_tables(sample_tables(), key="short")
    src = write_csv_package(tmp_path / "in")
    with pytest.raises(PrivacyError):
        pseudonymise_package(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_key_sources(monkeypatch, tmp_path):
    monkeypatch.setenv("WATTELT_KEY", KEY)
    assert privacy.resolve_key() == (KEY.encode(), "environment variable WATTELT_KEY")
    kf = tmp_path / "key.txt"
    kf.write_text(KEY2 + "\n")
    assert privacy.resolve_key(key_file=kf) == (KEY2.encode(), "key file")
    assert len(privacy.generate_key()) >= 40


# ------------------------------------------------------------- pseudonyms


def test_pseudonyms_follow_the_documented_scheme():
    out, _ = pseudonymise_tables(sample_tables(), key=KEY)
    tr = out["trajectories"]
    assert tr["resident_id"].iloc[1] == expected_pseudonym("RES-77", "resident", KEY)
    assert tr["trajectory_id"].iloc[0] == expected_pseudonym("ZAAK-2024-0001", "trajectory", KEY)
    # same code, different kinds -> different pseudonyms
    s = pd.Series(["X1"])
    assert (
        privacy.pseudonyms(s, "resident", KEY.encode())[0]
        != privacy.pseudonyms(s, "professional", KEY.encode())[0]
    )
    # no digits, so never a BSN / phone number / postcode
    assert not tr["resident_id"].str.contains(r"\d").any()


def test_consistent_across_tables_and_references():
    out, rec = pseudonymise_tables(sample_tables(), key=KEY)
    tr, co, go = out["trajectories"], out["contacts"], out["goals"]
    # the same resident (rows 0 and 2) keeps one pseudonym
    assert tr["resident_id"].iloc[0] == tr["resident_id"].iloc[2] != tr["resident_id"].iloc[1]
    # foreign keys still resolve in every table
    ids = set(tr["trajectory_id"])
    for name in ("contacts", "goals", "domain_scores", "provisions", "staff_time"):
        assert set(out[name]["trajectory_id"]) <= ids, name
    assert set(out["provisions"]["trajectory_id"]) == {tr["trajectory_id"].iloc[1]}
    # derived_from points at the pseudonymised goal_id
    assert go["derived_from"].iloc[1] == go["goal_id"].iloc[0]
    assert go["derived_from"].isna().tolist() == [True, False, True]
    # the same professional in two contacts, empty stays empty
    assert co["professional_id"].iloc[0] == co["professional_id"].iloc[2]
    assert pd.isna(co["professional_id"].iloc[3])
    assert rec.distinct_ids == {
        "contact": 4,
        "goal": 3,
        "professional": 2,
        "provision": 1,
        "resident": 2,
        "trajectory": 3,
    }


def test_stable_across_runs_and_waves_and_different_per_key():
    a, _ = pseudonymise_tables(sample_tables(), key=KEY)
    b, _ = pseudonymise_tables(sample_tables(), key=KEY)
    c, _ = pseudonymise_tables(sample_tables(), key=KEY2)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert set(a["trajectories"]["resident_id"]).isdisjoint(c["trajectories"]["resident_id"])
    # a later wave with only one resident, read from Excel as numbers: same pseudonym
    wave2 = {"trajectories": pd.DataFrame({"trajectory_id": [4.0], "resident_id": [111222333.0]})}
    w2, _ = pseudonymise_tables(wave2, key=KEY)
    assert w2["trajectories"]["resident_id"].iloc[0] == a["trajectories"]["resident_id"].iloc[0]


def test_birth_date_to_year_free_text_and_unknown_columns():
    out, rec = pseudonymise_tables(sample_tables(), key=KEY)
    tr = out["trajectories"]
    assert "birth_date" not in tr.columns and "notitie" not in tr.columns
    assert tr["birth_year"].tolist() == [1948, 1960, 1971]
    assert "text" not in out["goals"].columns
    assert rec.tables["goals"]["dropped"] == ["text"]
    assert set(rec.tables["trajectories"]["dropped"]) == {"birth_date", "notitie"}
    kept, _ = pseudonymise_tables(
        sample_tables(), key=KEY, keep_text=True, keep_columns=["notitie"]
    )
    assert kept["goals"]["text"].tolist()[0] == "Weer zelf boodschappen doen"
    assert "notitie" in kept["trajectories"].columns
    org, _ = pseudonymise_tables(sample_tables(), key=KEY, hash_organisation=True)
    o = org["contacts"]["organisation"]
    assert o.iloc[0] == o.iloc[3] != o.iloc[1] and o.str.startswith("O-").all()
    assert out["contacts"]["organisation"].iloc[0] == "Wijkteam Noord"


def test_bad_or_conflicting_birth_dates_stop():
    t = sample_tables()
    t["trajectories"].loc[1, "birth_date"] = "ergens in 1960"
    with pytest.raises(PrivacyError, match="row"):
        pseudonymise_tables(t, key=KEY)
    t = sample_tables()
    t["trajectories"].loc[0, "birth_year"] = "1950"
    with pytest.raises(PrivacyError, match="disagree"):
        pseudonymise_tables(t, key=KEY)


def test_bsn_in_kept_text_stops_without_printing_it():
    t = sample_tables()
    t["goals"].loc[2, "text"] = "BSN 123456782 doorgeven"
    with pytest.raises(PrivacyError) as info:
        pseudonymise_tables(t, key=KEY, keep_text=True)
    assert (
        "123456782" not in str(info.value)
        and "goals" in str(info.value)
        and "text" in str(info.value)
    )
    # dropped by default: then nothing is left to find
    out, _ = pseudonymise_tables(t, key=KEY)
    assert "text" not in out["goals"].columns


def test_contact_details_in_kept_text_warn():
    t = sample_tables()
    t["goals"].loc[0, "text"] = "bel dochter 06-12345678"
    _, rec = pseudonymise_tables(t, key=KEY, keep_text=True)
    w = [x for x in rec.warnings if x.get("kind") == "phone"]
    assert w and w[0]["column"] == "text" and w[0]["count"] == 1
    assert "12345678" not in json.dumps(rec.to_dict())


# ------------------------------------------------------------------ files


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_package_csv_no_original_ids_and_no_key_anywhere(tmp_path):
    src = write_csv_package(tmp_path / "in")
    rec = pseudonymise_package(src, tmp_path / "out", key=KEY)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.csv" for n in sample_tables()] + ["study.toml", "pseudonymisation_record.json"]
    )
    blob = _all_bytes(out)
    for original in ORIGINAL_IDS + [
        "Weer zelf boodschappen",
        "woont bij dochter",
        "1948-03-02",
        "02-11-1960",
    ]:
        assert original.encode() not in blob, original
    assert KEY.encode() not in blob
    # the processing record: what, when, which version, key fingerprint (not the key)
    saved = json.loads((out / "pseudonymisation_record.json").read_text())
    assert saved["version"] and saved["created"] and saved["key_fingerprint"] == rec.key_fingerprint
    assert saved["tables"]["goals"]["dropped"] == ["text"]
    # the CSV dialect is kept: ';' with decimal comma untouched
    got = read_out(out)
    assert got["domain_scores"]["score"].tolist() == ["4,5", "6"]
    assert got["provisions"]["amount"].tolist() == ["1200,50"]
    assert got["trajectories"]["birth_year"].tolist() == ["1948", "1960", "1971"]


def test_package_two_runs_identical_tables_and_other_key_differs(tmp_path):
    src = write_csv_package(tmp_path / "in")
    pseudonymise_package(src, tmp_path / "a", key=KEY)
    pseudonymise_package(src, tmp_path / "b", key=KEY)
    pseudonymise_package(src, tmp_path / "c", key=KEY2)
    for name in sample_tables():
        fa = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert fa == (tmp_path / "b" / f"{name}.csv").read_bytes()
        if name != "domain_scores" or True:
            assert fa != (tmp_path / "c" / f"{name}.csv").read_bytes()


def test_package_refuses_to_overwrite(tmp_path):
    src = write_csv_package(tmp_path / "in")
    with pytest.raises(PrivacyError, match="same"):
        pseudonymise_package(src, src, key=KEY)
    pseudonymise_package(src, tmp_path / "out", key=KEY)
    with pytest.raises(PrivacyError, match="already exists"):
        pseudonymise_package(src, tmp_path / "out", key=KEY)
    pseudonymise_package(src, tmp_path / "out", key=KEY, overwrite=True)


def test_package_xlsx_roundtrip(tmp_path):
    wb = tmp_path / "pilot.xlsx"
    with pd.ExcelWriter(wb, engine="openpyxl") as xw:
        for name, df in sample_tables().items():
            df.to_excel(xw, sheet_name=name, index=False)
        pd.DataFrame({"key": ["study.instrument"], "value": ["huizen5"]}).to_excel(
            xw, sheet_name="study", index=False
        )
    out = tmp_path / "anon" / "pilot_pseudo.xlsx"
    pseudonymise_package(wb, out, key=KEY)
    sheets = pd.read_excel(out, sheet_name=None, dtype=str)
    assert set(sheets) == set(sample_tables()) | {"study"}
    assert sheets["study"]["value"].tolist() == ["huizen5"]
    assert sheets["trajectories"]["resident_id"].iloc[1] == expected_pseudonym(
        "RES-77", "resident", KEY
    )
    # xlsx is a zip: check the unpacked XML for originals
    import zipfile

    with zipfile.ZipFile(out) as z:
        blob = b"".join(z.read(n) for n in z.namelist())
    for original in ORIGINAL_IDS:
        assert original.encode() not in blob, original
    assert (out.parent / "pilot_pseudo.pseudonymisation_record.json").exists()
    with pytest.raises(PrivacyError, match="xlsx"):
        pseudonymise_package(wb, tmp_path / "folder_out", key=KEY)


def test_package_parquet(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name, df in sample_tables().items():
        df.to_parquet(src / f"{name}.parquet", index=False)
    pseudonymise_package(src, tmp_path / "out", key=KEY)
    tr = pd.read_parquet(tmp_path / "out" / "trajectories.parquet")
    assert tr["resident_id"].iloc[1] == expected_pseudonym("RES-77", "resident", KEY)
    assert KEY.encode() not in _all_bytes(tmp_path / "out")
    for original in ORIGINAL_IDS:
        assert original.encode() not in _all_bytes(tmp_path / "out"), original


def _cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    pseudonymise_cli.add_cli(sub)
    return pseudonymise_cli.run_cli(p.parse_args(argv))


def test_cli_exit_codes_and_never_prints_key(tmp_path, monkeypatch, capsys):
    src = write_csv_package(tmp_path / "in")
    monkeypatch.delenv("WATTELT_KEY", raising=False)
    assert _cli(["pseudonymise", str(src), str(tmp_path / "out")]) == 2
    assert "WATTELT_KEY" in capsys.readouterr().err
    monkeypatch.setenv("WATTELT_KEY", KEY)
    assert _cli(["pseudonymise", str(src), str(tmp_path / "out")]) == 0
    outerr = capsys.readouterr()
    assert KEY not in outerr.out + outerr.err and "goals" in outerr.out
    assert _cli(["pseudonymise", str(src), str(tmp_path / "out")]) == 2  # exists
    kf = tmp_path / "k"
    kf.write_text(KEY2)
    assert (
        _cli(
            [
                "pseudonymise",
                str(src),
                str(tmp_path / "out2"),
                "--key-file",
                str(kf),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    t = sample_tables()
    t["trajectories"].loc[0, "team"] = "team 111222333"
    bad = write_csv_package(tmp_path / "bad", t)
    assert _cli(["pseudonymise", str(bad), str(tmp_path / "out3")]) == 1
    err = capsys.readouterr().err
    assert "111222333" not in err and "team" in err
    assert not (tmp_path / "out3").exists()


# ------------------------------------------------------------------ guard in load/validate


def test_load_and_validate_warn_on_contact_details_in_free_text(tmp_path):
    import shutil

    import wattelt_eval as we

    pkg = tmp_path / "pkg"
    shutil.copytree(Path(__file__).parent / "data" / "tiny_valid", pkg)
    goals = pd.read_csv(pkg / "goals.csv", dtype=str, keep_default_na=False)
    goals.loc[0, "text"] = "mail jan.jansen@example.nl"
    goals.loc[1, "text"] = "bel dochter 06-12345678"
    goals.loc[2, "text"] = "woont op 1234 AB 12"
    goals.to_csv(pkg / "goals.csv", index=False)
    problems = we.validate(pkg, lang="en")
    warn = problems[problems["severity"] == "warning"]
    # one warning per cell, in goals.csv, column text, rows 2..4 (header = row 1)
    assert sorted(warn.loc[warn["column"] == "text", "row"].astype(int)) == [2, 3, 4]
    assert (problems["severity"] != "error").all()
    data = we.load(pkg, lang="en")  # a warning does not stop the load
    assert len(data.warnings) == len(warn)
    shown = problems.to_string() + data.warnings.to_string()
    for secret in ("jan.jansen@example.nl", "06-12345678", "1234 AB 12"):
        assert secret not in shown
