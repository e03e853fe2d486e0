"""Issue 16 part 4: pooling packages of several municipalities or cohorts.

Pooled outcomes equal the per-package ones (trajectory by trajectory), ``compare(by=
"source")`` gives each package's own estimate, ids are namespaced, and settings that
would change a number are refused with a message naming them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from validation_helpers import TINY, copy_tiny, set_study

import wattelt_eval as we
from wattelt_eval.cli import main
from wattelt_eval.errors import UsageError
from wattelt_eval.pooling import NAMESPACED


@pytest.fixture(scope="module")
def packages() -> dict[str, we.PilotData]:
    return {
        "Eindhoven": we.synth.generate(200, seed=1),
        "Utrecht": we.synth.generate(160, seed=2),
    }


@pytest.fixture(scope="module")
def pooled(packages: dict[str, we.PilotData]) -> we.PilotData:
    return we.combine(packages)


def _unpooled(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one package in a pooled outcome table, with its own ids and teams."""
    sub = table[table["source"] == name].drop(columns="source")
    sub = sub.assign(
        trajectory_id=sub["trajectory_id"].str.removeprefix(name + ":"),
        team=sub["team"].str.replace(r"^GM\d{4}:", "", regex=True),
    )
    return sub.sort_values("trajectory_id").reset_index(drop=True)


def test_pooled_outcomes_equal_the_per_package_ones(packages, pooled) -> None:
    table = we.outcomes(pooled)
    assert len(table) == sum(d.n_trajectories for d in packages.values())
    for name, data in packages.items():
        own = we.outcomes(data).sort_values("trajectory_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(_unpooled(table, name), own)


def test_compare_by_source_gives_each_package_its_estimate(packages, pooled) -> None:
    res = we.compare(we.outcomes(pooled), outcome="n_retells", arm="arm", by="source")
    t = res.table.set_index(["group", "term"])["estimate"]
    for name, data in packages.items():
        own = we.compare(we.outcomes(data), outcome="n_retells", arm="arm")
        assert t[(name, "difference")] == pytest.approx(own.estimate, rel=1e-12)
        # and by hand: difference of the arm means of that package
        o = we.outcomes(data)
        means = o.groupby("arm")["n_retells"].mean()
        assert own.estimate == pytest.approx(means["demand_driven"] - means["supply_driven"])


def test_ids_namespaced_source_kept(packages, pooled) -> None:
    we.validation.check_canonical(pooled)  # canonical dtypes and schema rules (pandera)
    assert pooled.sources == ("Eindhoven", "Utrecht")
    assert pooled.study.extra_covariates[-1] == "source"
    assert pooled.study.name == "Eindhoven + Utrecht"
    tr = pooled.trajectories
    assert tr["trajectory_id"].is_unique
    assert tr["trajectory_id"].str.match(r"^(Eindhoven|Utrecht):T\d+$").all()
    prefix = tr["trajectory_id"].str.split(":").str[0].to_numpy()
    assert (prefix == tr["source"].to_numpy()).all()
    # a team belongs to its municipality: GM code prefix, same team in both cohorts stays one
    assert (tr["team"].str.slice(0, 7) == tr["municipality"] + ":").all()
    for table, cols in NAMESPACED.items():
        for c in cols:
            filled = pooled[table][c].dropna()
            assert filled.str.match(r"^(Eindhoven|Utrecht):").all(), (table, c)
    # every record of a package still points at a trajectory of the same package
    g = pooled.goals
    has = g["derived_from"].notna().to_numpy()
    src_of = g["trajectory_id"].str.split(":").str[0].to_numpy()[has]
    assert (g["derived_from"].str.split(":").str[0].to_numpy()[has] == src_of).all()
    assert has.sum() > 100
    for name, data in packages.items():
        for t in we.schema.TABLES:
            n = (pooled[t]["trajectory_id"].str.startswith(name + ":")).sum()
            assert n == len(data[t])


def test_exclusion_log_of_every_package(packages, pooled) -> None:
    logs = {n: we.outcome_set(d).exclusions for n, d in packages.items()}
    log = we.outcome_set(pooled).exclusions
    assert len(log) == sum(len(x) for x in logs.values())
    for name, own in logs.items():
        mine = log[log["trajectory_id"].str.startswith(name + ":", na=False)]
        assert sorted(mine["reason"]) == sorted(own["reason"])


def test_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    tiny = we.load(TINY)
    with pytest.raises(UsageError, match="at least two"):
        we.combine({"A": tiny})
    with pytest.raises(UsageError, match="'A:B'"):
        we.combine({"A:B": tiny, "C": tiny})
    with pytest.raises(UsageError, match="occurs twice"):
        we.combine({"Utrecht": tiny, "utrecht": tiny})
    with pytest.raises(UsageError, match="BSN"):
        we.combine({"123456782": tiny, "B": tiny})
    other = copy_tiny(tmp_path)
    set_study(other, "cost_window_days", "180")
    with pytest.raises(UsageError) as exc:
        we.combine({"A": TINY, "B": other})
    assert "cost_window_days" in exc.value.message("en")
    assert "A: 365; B: 180" in exc.value.message("en")
    assert "cost_window_days" in exc.value.message("nl")
    pooled = we.combine({"A": tiny, "B": TINY})
    with pytest.raises(UsageError, match="pooled already"):
        we.combine({"AB": pooled, "C": tiny})


def test_extract_dates_must_agree_or_be_given(tmp_path: Path) -> None:
    a, b = copy_tiny(tmp_path / "a"), copy_tiny(tmp_path / "b")
    with open(b / "study.toml", "a", encoding="utf-8") as f:
        f.write("")
    set_study(b, "seed", "7")  # not an outcome setting: the first package's is kept
    lines = (
        (b / "study.toml")
        .read_text(encoding="utf-8")
        .replace("[study]\n", '[study]\nextract_date = "2025-11-30"\n', 1)
    )
    (b / "study.toml").write_text(lines, encoding="utf-8")
    with pytest.raises(UsageError) as exc:
        we.combine({"A": a, "B": b})
    assert "2025-11-30" in exc.value.message("en") and "extract_date" in exc.value.message("en")
    pooled = we.combine({"A": a, "B": b}, extract_date="2025-11-30")
    assert pooled.study.extract_date == "2025-11-30"
    assert pooled.study.seed == we.load(a).study.seed
    own = we.outcomes(we.load(a), extract_date="2025-11-30").sort_values("trajectory_id")
    got = _unpooled(we.outcomes(pooled), "A")
    np.testing.assert_array_equal(got["follow_up_days"], own["follow_up_days"])


def test_cli_combine_writes_a_package_that_loads_pooled(
    packages, pooled, tmp_path: Path, capsys
) -> None:
    paths = {}
    for name, data in packages.items():
        paths[name] = data.write(tmp_path / name)
    out = tmp_path / "pooled"
    args = ["combine", *(f"{n}={p}" for n, p in paths.items()), "--out", str(out), "--lang", "en"]
    assert main(args) == 0
    assert "2 packages pooled (Eindhoven, Utrecht)" in capsys.readouterr().out
    assert len(we.validate(out)) == 0
    again = we.load(out)
    assert again.sources == ("Eindhoven", "Utrecht")
    a = we.outcomes(again).reset_index(drop=True)
    b = we.outcomes(pooled).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    # deterministic: the same packages give byte-identical files
    out2 = tmp_path / "pooled2"
    assert main([*args[:-4], "--out", str(out2), "--lang", "en"]) == 0
    for f in sorted(out.iterdir()):
        assert f.read_bytes() == (out2 / f.name).read_bytes(), f.name


def test_cli_combine_usage_errors(tmp_path: Path, capsys) -> None:
    bad = ["combine", "Eindhoven", f"B={TINY}", "--out", str(tmp_path / "x"), "--lang", "en"]
    assert main(bad) == 2
    assert "NAME=PATH" in capsys.readouterr().err
    assert main(["combine", f"A={TINY}", "--out", str(tmp_path / "x")]) == 2


def test_report_says_what_was_pooled(pooled: we.PilotData) -> None:
    """The council report names the pooled packages and adjusts for the origin."""
    import warnings

    from wattelt_eval.report.sections import CouncilReport

    rep = CouncilReport(pooled, lang="en", n_boot=199, generated="2025-06-15T00:00:00+00:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.run()
    assert "source" in rep.covariates
    summary = rep.summary()._repr_html_()
    assert "This report pools the data of 2 packages: Eindhoven and Utrecht." in summary
    assert "the origin (municipality or cohort)" in rep.design()._repr_html_()
