"""``wattelt-eval compare``: the command gives the same numbers as the API, suppresses
small groups and reports usage errors with exit code 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from compare_helpers import make_table

from wattelt_eval.cli import main
from wattelt_eval.estimation import compare, compare_all


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory):
    t = make_table(n_per_arm=150, n_teams=8, seed=4)
    t["any_provision"] = t["any_provision"].astype("boolean")
    t.loc[3, "any_provision"] = pd.NA  # True/False with a gap comes back as text
    path = tmp_path_factory.mktemp("cmp") / "outcomes.csv"
    t.to_csv(path, index=False)
    return t, path


def test_cli_single_outcome_matches_api(table_csv, tmp_path, capsys):
    t, path = table_csv
    out = tmp_path / "res.csv"
    rc = main(
        [
            "compare",
            str(path),
            "--outcome",
            "n_retells",
            "--method",
            "regression",
            "--covariates",
            "age + C(household)",
            "--cluster",
            "team",
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    assert rc == 0
    got = pd.read_csv(out)
    res = compare(
        t, "n_retells", covariates="age + C(household)", method="regression", cluster="team"
    )
    row = got[(got.group == "all") & (got.term == "difference")].iloc[0]
    assert row.estimate == pytest.approx(res.estimate, rel=1e-9)
    assert (row.ci_low, row.ci_high) == pytest.approx((res.ci_low, res.ci_high), rel=1e-9)
    assert "clustered by team" in row.design
    assert not got.suppressed.any()
    assert "written to" in capsys.readouterr().out


def test_cli_several_outcomes_holm_matches_compare_all(table_csv, tmp_path):
    t, path = table_csv
    out = tmp_path / "res.parquet"
    rc = main(
        [
            "compare",
            str(path),
            "--outcome",
            "goal_retention",
            "--outcome",
            "any_provision",
            "--outcome",
            "mean_change_resident",
            "--cluster",
            "team",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    got = pd.read_parquet(out)
    ref = compare_all(
        t, ["goal_retention", "any_provision", "mean_change_resident"], cluster="team"
    )
    np.testing.assert_allclose(got.estimate, ref.estimate, rtol=1e-9)
    np.testing.assert_allclose(got.p_holm.dropna(), ref.p_holm.dropna(), rtol=1e-9)
    # the row with a missing any_provision was dropped, not misread
    ap = got[(got.outcome == "any_provision") & (got.term == "difference")].iloc[0]
    assert ap.n_control + ap.n_treated == len(t) - 1


def test_cli_suppresses_groups_under_ten(table_csv, tmp_path):
    t, _ = table_csv
    t = t.copy()
    t["tiny"] = np.where(np.arange(len(t)) < 12, "a", "b")  # group a: 12 treated, 0 control
    t.loc[150:155, "tiny"] = "a"  # 6 control residents in group a
    path = tmp_path / "t.parquet"
    t.to_parquet(path)
    out = tmp_path / "res.csv"
    rc = main(
        [
            "compare",
            str(path),
            "--outcome",
            "mean_change_resident",
            "--by",
            "tiny",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    got = pd.read_csv(out)
    assert got.loc[got.group == "a", "suppressed"].all()
    assert got.loc[got.group == "a", "estimate"].isna().all()
    assert got.loc[got.group == "b vs a", "suppressed"].all()
    assert not got.loc[got.group == "all", "suppressed"].any()


def test_cli_usage_and_data_errors(table_csv, tmp_path, capsys):
    _, path = table_csv
    assert main(["compare", str(path), "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["compare", str(path), "--demo", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["compare", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["compare", str(path), "--outcome", "nope", "--out", str(tmp_path / "x.csv")]) == 1
    assert "Kolommen ontbreken" in capsys.readouterr().err


def test_cli_demo_runs(tmp_path):
    out = tmp_path / "demo.csv"
    assert (
        main(
            [
                "compare",
                "--demo",
                "--outcome",
                "goal_retention",
                "--cluster",
                "team",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    assert got.loc[got.term == "difference", "n_control"].iloc[0] > 10


def test_cli_takes_the_disclosure_rule_from_the_study_settings(tmp_path, capsys):
    """A data package's ``[disclosure] threshold`` (here 150) decides what is hidden: the
    demo's subgroups (0-1: 112 treated; 2+: 131 control) fall under it, all rows (285
    treated, 315 control) do not."""
    import shutil

    from wattelt_eval.synth import demo_path

    pkg = tmp_path / "pkg"
    shutil.copytree(demo_path(), pkg, ignore=shutil.ignore_patterns("truth"))
    toml = (pkg / "study.toml").read_text(encoding="utf-8")
    (pkg / "study.toml").write_text(
        toml.replace("threshold = 10", "threshold = 150"), encoding="utf-8"
    )
    out = tmp_path / "res.csv"
    argv = ["compare", str(pkg), "--outcome", "mean_change_resident"]
    rc = main([*argv, "--by", "problem_domains_group", "--out", str(out), "--lang", "en"])
    assert rc == 0
    got = pd.read_csv(out)
    assert not got.loc[got.group == "all", "suppressed"].any()
    assert got.loc[got.group != "all", "suppressed"].all()
    assert got.loc[got.group != "all", "estimate"].isna().all()
    # continuous outcome: 3 terms (two means, difference) per subgroup + 1 interaction
    assert "rows suppressed (<150 per arm): 7" in capsys.readouterr().out
