"""Tests of the synthetic pilot generator (wattelt_eval.synth) and the bundled demo pilot.

Numbers are checked another way: the potential outcomes of the realised world against
``we.outcomes`` (an independent implementation of docs/outcomes.md) on the rows the
generator wrote, the truth against means recomputed from the potential outcomes, the
calibration targets on a large draw, and the confounding against a regression-adjusted
estimate.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wattelt_eval as we
from wattelt_eval import synth
from wattelt_eval.cli import main as cli_main

OUTCOMES = list(synth.TRUTH_OUTCOMES)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _errors(path: Path) -> pd.DataFrame:
    problems = we.validate(path, lang="en")
    return problems[problems["severity"] == "error"]


# ---------------------------------------------------------------------------------------
# Packages: validate, formats, determinism
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("design", synth.DESIGNS)
def test_each_design_writes_a_valid_package(tmp_path: Path, design: str) -> None:
    out = synth.write(
        tmp_path / design, n_trajectories=150, seed=5, design=design, superpopulation=None
    )
    assert _errors(out).empty, _errors(out).to_string()
    data = we.load(out)
    assert data.n_trajectories == 150
    for name, table in data.tables.items():
        assert len(table) > 0, name
    tr = data.trajectories
    if design == "concurrent":
        assert tr["period"].isna().all()
        assert set(tr["arm"]) == {"demand_driven", "supply_driven"}
        assert tr["municipality"].nunique() == 2
    elif design == "rollout":  # every team switches at the start; fidelity varies instead
        assert set(tr["period"]) == {"after"} and set(tr["arm"]) == {"demand_driven"}
        rollout = pd.DataFrame.from_records(
            json.loads((tmp_path / design / "truth" / "truth.json").read_text("utf-8"))["rollout"]
        )
        assert rollout["n_trajectories"].sum() == 150
        assert (rollout["n_faithful"] <= rollout["n_trajectories"]).all()
    else:
        assert set(tr["period"]) == {"before", "after"}
        # demand-driven exactly: after the switch, in a pilot team
        cfg = synth.designs.design_config(design)
        pilot_teams = {t for t, p in zip(cfg.teams, cfg.team_pilot, strict=True) if p}
        expect = (tr["period"] == "after") & tr["team"].isin(pilot_teams)
        assert ((tr["arm"] == "demand_driven") == expect).all()
        switch = pd.Series(pd.Timestamp(str(cfg.switch_date)), index=tr.index)
        if cfg.team_switch is not None:  # staggered: each team its own switch (or none)
            per_team = {
                t: pd.Timestamp(str(s))
                for t, s in zip(cfg.teams, cfg.team_switch, strict=True)
                if s is not None
            }
            switch = tr["team"].astype(str).map(per_team)
        assert ((tr["start_date"] >= switch) == (tr["period"] == "after")).all()
    truth = json.loads((tmp_path / design / "truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["design"] == design
    assert set(truth["sample"]) == set(OUTCOMES)


def test_xlsx_and_parquet_packages_validate_and_hold_the_same_data(tmp_path: Path) -> None:
    xl = synth.write(tmp_path / "pilot.xlsx", 25, seed=9, format="xlsx", superpopulation=None)
    pq = synth.write(tmp_path / "pq", 25, seed=9, format="parquet", superpopulation=None)
    assert _errors(xl).empty and _errors(pq).empty
    a, b = we.load(xl), we.load(pq)
    for name in a.tables:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)
    assert (tmp_path / "truth" / "truth.json").exists()  # next to the workbook


def test_same_seed_identical_files_other_seed_differs(tmp_path: Path) -> None:
    runs = {}
    for label, seed in (("a", 11), ("b", 11), ("c", 12)):
        synth.write(tmp_path / label, 120, seed=seed, superpopulation=None)
        runs[label] = _hashes(tmp_path / label)
    assert runs["a"] == runs["b"]
    assert "trajectories.csv" in runs["a"] and "truth/potential_outcomes.csv" in runs["a"]
    differ = [f for f in runs["a"] if f.endswith(".csv") and runs["a"][f] != runs["c"][f]]
    assert len(differ) == 7  # six tables + potential outcomes


def test_streamed_parquet_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # small blocks so that 250 trajectories take the streaming path (3 blocks)
    monkeypatch.setattr(synth.designs, "BLOCK_SIZE", 100)
    path = synth.write(tmp_path / "s", 250, seed=4, format="parquet", superpopulation=None)
    streamed = we.load(path)
    ref = synth.generate(250, seed=4, superpopulation=None)
    for name in ref.tables:
        pd.testing.assert_frame_equal(
            streamed[name].reset_index(drop=True),
            ref[name].reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
    po = pd.read_parquet(tmp_path / "s" / "truth" / "potential_outcomes.parquet")
    pd.testing.assert_frame_equal(po, ref.truth["potential_outcomes"], check_dtype=False)
    # ids stay unique across blocks
    assert streamed.trajectories["trajectory_id"].is_unique
    assert streamed.goals["goal_id"].is_unique and streamed.contacts["contact_id"].is_unique


# ---------------------------------------------------------------------------------------
# Potential outcomes and truth
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def medium() -> we.PilotData:
    return synth.generate(1500, seed=21, superpopulation=20_000)


def test_observed_potential_outcomes_equal_section4_outcomes(medium: we.PilotData) -> None:
    # the generator computes the outcomes in the compact world arrays; we.outcomes
    # recomputes them from the rows written: they must agree trajectory by trajectory
    out = we.outcomes(medium).set_index("trajectory_id")
    po = medium.truth["potential_outcomes"].set_index("trajectory_id")
    for o in OUTCOMES:
        got = pd.to_numeric(out[o], errors="coerce").astype(float).reindex(po.index)
        np.testing.assert_allclose(
            got.to_numpy(), po[f"{o}_obs"].to_numpy(float), rtol=0, atol=1e-6, err_msg=o
        )
    np.testing.assert_array_equal(
        out["n_problem_domains_t0"].astype(int).reindex(po.index).to_numpy(),
        po["n_problem_domains_t0"].to_numpy(),
    )


def test_truth_is_the_mean_of_potential_outcome_differences(medium: we.PilotData) -> None:
    truth = medium.truth
    po = truth["potential_outcomes"]
    treated = po["arm"] == "demand_driven"
    for key, sub in (("sample", po), ("sample_treated", po[treated])):
        for o in OUTCOMES:
            t = truth[key][o]
            d, s = sub[f"{o}_d"].to_numpy(float), sub[f"{o}_s"].to_numpy(float)
            assert t["n"] == len(sub)
            assert t["difference"] == pytest.approx(np.mean(d - s), abs=1e-9)
            assert t["mean_demand"] == pytest.approx(d.mean(), abs=1e-9)
            assert t["mean_supply"] == pytest.approx(s.mean(), abs=1e-9)
            assert t["ratio"] == pytest.approx(d.mean() / s.mean(), rel=1e-12)
            assert t["mc_se"] == pytest.approx(np.std(d - s, ddof=1) / np.sqrt(len(sub)), rel=1e-9)
        # the observed value is the potential outcome of the arm lived in
        for o in OUTCOMES:
            obs = np.where(treated, po[f"{o}_d"], po[f"{o}_s"])
            np.testing.assert_array_equal(po[f"{o}_obs"].to_numpy(float), obs)
    for key in ("superpopulation", "superpopulation_treated"):
        for o in OUTCOMES:
            t = truth[key][o]
            assert t["difference"] == pytest.approx(t["mean_demand"] - t["mean_supply"], abs=1e-9)
            assert t["n"] > 0
    assert truth["superpopulation"]["goal_retention"]["n"] == 20_000
    # default effects point the intended way (both populations)
    for key in ("sample", "superpopulation"):
        assert truth[key]["goal_retention"]["difference"] > 0.1
        assert truth[key]["n_retells"]["difference"] < -0.3
        assert truth[key]["any_provision"]["difference"] < -0.05
        assert truth[key]["n_resident_goals"]["difference"] > 0.2


def test_null_effects_give_identical_worlds_and_zero_truth() -> None:
    data = synth.generate(400, seed=8, effects="null", superpopulation=5_000)
    po = data.truth["potential_outcomes"]
    for o in OUTCOMES:
        np.testing.assert_array_equal(po[f"{o}_d"].to_numpy(), po[f"{o}_s"].to_numpy(), err_msg=o)
        for key in ("sample", "sample_treated", "superpopulation", "superpopulation_treated"):
            t = data.truth[key][o]
            assert t["difference"] == 0.0
            assert t["ratio"] == 1.0 or np.isnan(t["ratio"])
    assert data.truth["effects"] == synth.NULL_EFFECTS


def test_single_effect_switched_off() -> None:
    # retellings come only from plan sharing and the number of referrals: with both
    # effects off the tellings are the same in both worlds, trajectory by trajectory
    data = synth.generate(
        600, seed=3, effects={"plan_sharing": 0, "referrals": 0}, superpopulation=None
    )
    po = data.truth["potential_outcomes"]
    np.testing.assert_array_equal(po["n_tellings_d"].to_numpy(), po["n_tellings_s"].to_numpy())
    assert data.truth["sample"]["n_retells"]["difference"] == 0.0
    assert data.truth["sample"]["goal_retention"]["difference"] > 0.1  # others unchanged
    on = synth.generate(600, seed=3, effects={"referrals": 0}, superpopulation=None)
    assert on.truth["sample"]["n_retells"]["difference"] < -0.3


@pytest.mark.parametrize(
    ("effects", "message"),
    [
        ({"goal_retentoin": 1.0}, "unknown effect"),
        ({"tailored": 1.5}, "tailored"),
        ({"conversation_time": -1.0}, "conversation_time"),
        ({"provision": float("nan")}, "finite"),
        ("large", "default"),
    ],
)
def test_bad_effects_are_refused(effects: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synth.generate(10, seed=1, effects=effects, superpopulation=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"design": "rct"}, "design"),
        ({"n_trajectories": 0}, "n_trajectories"),
        ({"instrument": "nope"}, "nope"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    args = {"n_trajectories": 10, "seed": 1, "superpopulation": None, **kwargs}
    with pytest.raises((ValueError, KeyError, FileNotFoundError), match=message):
        synth.generate(**args)


# ---------------------------------------------------------------------------------------
# Mechanisms
# ---------------------------------------------------------------------------------------


def test_retellings_arise_from_plan_sharing(medium: we.PilotData) -> None:
    c = medium.contacts
    first = c["contact_type"].isin(["intake", "assessment"]) & (c["role"] != "service_desk")
    rec = c["story_told"].notna()
    no_plan = first & rec & ~c["plan_available"].astype(bool)
    plan = first & rec & c["plan_available"].astype(bool)
    # without the plan the resident always tells the story again; with it only sometimes
    assert c.loc[no_plan, "story_told"].astype(bool).all()
    share_told = c.loc[plan, "story_told"].astype(bool).mean()
    assert 0.05 < share_told < 0.25
    # the plan travels more often in the demand-driven arm (plan_sharing effect)
    arm = medium.trajectories.set_index("trajectory_id")["arm"]
    c_arm = c["trajectory_id"].map(arm)
    share = c[first].groupby(c_arm[first])["plan_available"].mean()
    assert share["demand_driven"] > share["supply_driven"] + 0.2
    # warm handovers exist only where the plan was shared
    hand = c[c["contact_type"] == "handover"]
    assert len(hand) > 0 and hand["plan_available"].astype(bool).all()


def test_goals_and_conversation_time(medium: we.PilotData) -> None:
    g = medium.goals
    arm = medium.trajectories.set_index("trajectory_id")["arm"]
    ga = g["trajectory_id"].map(arm)
    intake = g["stage"] == "intake"
    resident = g["author"].isin(["resident", "jointly"])
    own = (intake & resident).groupby(ga).sum() / arm.value_counts()
    assert own["demand_driven"] > own["supply_driven"]
    # lineages: every derived_from points to an earlier-stage goal of the same trajectory
    d = g.dropna(subset=["derived_from"])
    parent = g.set_index("goal_id").loc[d["derived_from"]]
    assert (parent["trajectory_id"].to_numpy() == d["trajectory_id"].to_numpy()).all()
    assert (parent["date"].to_numpy() <= d["date"].to_numpy()).all()
    assert {"achieved", "dropped", "partly_achieved", "not_achieved"} <= set(g["status"])
    assert g["text"].str.contains("anders geformuleerd").any()  # rewording
    # demand-driven assessment conversations take longer (conversation_time effect)
    st = medium.staff_time.merge(
        medium.contacts[["trajectory_id", "date", "role", "contact_type"]].drop_duplicates(),
        on=["trajectory_id", "date", "role"],
    )
    a = st[st["contact_type"] == "assessment"]
    mins = a.groupby(a["trajectory_id"].map(arm))["minutes"].mean()
    assert mins["demand_driven"] / mins["supply_driven"] == pytest.approx(1.5, rel=0.1)
    # 2-4 measurements, raters resident and professional (carer sometimes)
    s = medium.domain_scores
    n_meas = s.groupby("trajectory_id")["measurement"].nunique()
    assert n_meas.between(2, 4).all() and set(n_meas) == {2, 3, 4}
    assert set(s["rater"]) == {"resident", "professional", "informal_carer"}
    carer = s.loc[s["rater"] == "informal_carer", "trajectory_id"].nunique() / len(n_meas)
    assert 0.15 < carer < 0.35


# ---------------------------------------------------------------------------------------
# Calibration on a large draw
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large() -> we.PilotData:
    return synth.generate(100_000, seed=2024, superpopulation=None)


def test_calibration_targets_hold(large: we.PilotData) -> None:
    po = large.truth["potential_outcomes"]
    cal = synth.calibration(po).set_index("quantity")
    assert cal["ok"].all(), cal.to_string()
    # recomputed here from the rows written (not the generator's arrays)
    arm = large.trajectories.set_index("trajectory_id")["arm"]
    prov = large.provisions
    individual = prov[prov["category"] != "00"]
    demand_ids = arm.index[arm == "demand_driven"]
    no_ind = 1 - demand_ids.isin(individual["trajectory_id"]).mean()
    # observed demand-driven residents are a selected group: same target, wider band
    assert no_ind == pytest.approx(0.40, abs=0.06)
    assert cal.loc["no_provision_share_demand", "value"] == pytest.approx(0.40, abs=0.04)
    assert cal.loc["cost_more_share_demand", "value"] == pytest.approx(0.10, abs=0.02)
    assert cal.loc["annual_cost_household_help", "value"] == pytest.approx(2500, rel=0.15)
    assert cal.loc["annual_cost_support_at_home", "value"] == pytest.approx(6500, rel=0.15)
    assert cal.loc["annual_cost_aids_and_services", "value"] == pytest.approx(900, rel=0.20)
    # problems in 2+ domains go with more care use, in both worlds
    two = po["n_problem_domains_t0"] >= 2
    for w in ("d", "s"):
        assert (
            po.loc[two, f"cost_provisions_{w}"].mean()
            > 1.5 * po.loc[~two, f"cost_provisions_{w}"].mean()
        )
        assert (
            po.loc[two, f"any_provision_{w}"].mean()
            > po.loc[~two, f"any_provision_{w}"].mean() + 0.1
        )


def test_large_draw_has_the_designed_structure(large: we.PilotData) -> None:
    tr = large.trajectories
    assert tr["team"].nunique() == 8 and tr["municipality"].nunique() == 2
    # every arm has teams of its own (concurrent: pilot vs regular teams)
    assert tr.groupby("team")["arm"].nunique().eq(1).all()
    # ids unique across the 50k blocks
    assert tr["trajectory_id"].is_unique and large.goals["goal_id"].is_unique


# ---------------------------------------------------------------------------------------
# Confounding: a naive comparison is biased, adjustment recovers the truth
# ---------------------------------------------------------------------------------------


def test_naive_is_biased_adjusted_recovers_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    # switch off the team random effects (8 teams would otherwise add a cluster-level
    # error of their own) so that the only bias left is confounding by case-mix
    monkeypatch.setattr(synth.designs, "TEAM_SD", {k: 0.0 for k in synth.designs.TEAM_SD})
    monkeypatch.setattr(synth.designs, "IMPLEMENTATION_SD", 0.0)
    data = synth.generate(20_000, seed=3, superpopulation=None)
    po = data.truth["potential_outcomes"]
    tr = data.trajectories
    age = (tr["start_date"].dt.year - tr["birth_year"].astype(int)).to_numpy()
    table = pd.DataFrame(
        {
            "arm": tr["arm"].astype(str).to_numpy(),
            "two_plus": (po["n_problem_domains_t0"].to_numpy() >= 2).astype(float),
            "old": (age >= 75).astype(float),
            "household": tr["household"].astype(str).to_numpy(),
        }
    )
    # arm assignment depends on the case-mix
    assert table.groupby("arm")["two_plus"].mean().diff().abs().iloc[-1] > 0.1
    for o, min_bias in (("cost_total", 300.0), ("any_provision", 0.03)):
        table[o] = po[f"{o}_obs"].to_numpy(float)
        truth = data.truth["sample"][o]["difference"]
        naive = we.compare(table, o, method="unadjusted", kind="continuous", ci="sandwich")
        adj = we.compare(
            table,
            o,
            covariates="two_plus + old + C(household)",
            method="regression",
            kind="continuous",
            ci="sandwich",
        )
        assert abs(naive.estimate - truth) > min_bias
        assert abs(adj.estimate - truth) < abs(naive.estimate - truth) / 3
        assert adj.ci_low <= truth <= adj.ci_high
        assert not naive.ci_low <= truth <= naive.ci_high


# ---------------------------------------------------------------------------------------
# Demo pilot
# ---------------------------------------------------------------------------------------


def test_demo_package_is_small_valid_and_complete() -> None:
    path = synth.demo_path()
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert size < 1_000_000
    assert _errors(path).empty
    data = synth.demo()
    assert data.n_trajectories == synth.DEMO_N == 600
    assert data.trajectories["municipality"].nunique() == 2
    assert data.trajectories["team"].nunique() == 8
    assert all(len(t) > 0 for t in data.tables.values())
    assert data.study.seed == synth.DEMO_SEED
    assert data.truth["design"] == "concurrent"
    assert len(data.truth["potential_outcomes"]) == 600
    assert isinstance(data.truth["teams"], pd.DataFrame) and len(data.truth["teams"]) == 8
    # a copy: changing it leaves the bundled one alone
    data.trajectories.loc[:, "team"] = "x"
    assert synth.demo().trajectories["team"].nunique() == 8


def test_demo_rebuild_reproduces_the_bundled_package(tmp_path: Path) -> None:
    out = synth.build_demo(tmp_path / "demo")
    rebuilt = we.load(out)
    bundled = synth.demo()
    for name in bundled.tables:
        pd.testing.assert_frame_equal(rebuilt[name], bundled[name], obj=name)
    truth = synth.read_truth(out / "truth")
    pd.testing.assert_frame_equal(truth["potential_outcomes"], bundled.truth["potential_outcomes"])
    assert truth["sample"] == bundled.truth["sample"]
    assert truth["superpopulation"] == bundled.truth["superpopulation"]


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def test_cli_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(
        [
            "synth",
            "--n",
            "60",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "p"),
            "--design",
            "did",
            "--effects",
            '{"goal_retention": 0}',
            "--lang",
            "en",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "Synthetic pilot package written to" in text and "goal_retention" in text
    assert _errors(tmp_path / "p").empty
    truth = json.loads((tmp_path / "p" / "truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["effects"]["goal_retention"] == 0.0 and truth["design"] == "did"
    # a copy of the demo, as CSV
    assert cli_main(["synth", "--demo", "--out", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d" / "trajectories.csv").exists()
    assert len(pd.read_csv(tmp_path / "d" / "trajectories.csv")) == 600
    assert (tmp_path / "d" / "truth" / "truth.json").exists()
    capsys.readouterr()
    # usage errors
    assert cli_main(["synth", "--n", "10"]) == 2
    assert "--out" in capsys.readouterr().err
    assert cli_main(["synth", "--n", "10", "--out", str(tmp_path / "x"), "--effects", "{bad"]) == 2
    assert "JSON" in capsys.readouterr().err
    assert cli_main(["synth", "--demo", "--demo-rebuild", "--out", str(tmp_path / "y")]) == 2
