"""Rollout designs (issue 18): event_study, twfe and synthetic_control.

Checked against pyfixest (feols with CRV1, did2s, event_study) on the castle-doctrine
data and on trajectory-level rows of the staggered generator design, by hand on tiny
panels, against the California tobacco result and against the generator's truth.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wattelt_eval as we
from wattelt_eval import synth as S
from wattelt_eval.errors import DataError, UsageError
from wattelt_eval.estimation import _panel as P
from wattelt_eval.estimation.synthetic import simplex_weights

pf = pytest.importorskip("pyfixest")
causaldata = pytest.importorskip("causaldata")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    d = causaldata.castle.load_pandas().data.copy()
    d["year"] = d["year"].astype("int64")
    d["sid"] = d["sid"].astype("int64")
    first = d.loc[d["post"] > 0].groupby("sid")["year"].min()
    d["g"] = d["sid"].map(first)  # NaN: never treated
    d["g0"] = d["g"].fillna(0).astype("int64")  # pyfixest's coding of never treated
    d["D"] = (d["year"] >= d["g"]).astype("int64")
    d["rel"] = np.where(d["g"].notna(), d["year"] - d["g"], np.inf)
    return d


@pytest.fixture(scope="module")
def staggered_rows() -> pd.DataFrame:
    """Trajectory rows of the staggered generator design with team, month and adoption."""
    d = S.generate(3000, seed=11, design="staggered", superpopulation=None)
    tr = d.trajectories[["trajectory_id", "team", "start_date"]].copy()
    po = d.truth["potential_outcomes"].set_index("trajectory_id")
    sw = d.truth["team_switch"].set_index("team")["switch_date"]
    tr["team"] = tr["team"].astype(str)
    month = pd.PeriodIndex(pd.to_datetime(tr["start_date"]), freq="M")
    tr["month"] = month.astype(str)
    tr["m"] = month.asi8.astype("int64")
    adop = pd.PeriodIndex(pd.to_datetime(tr["team"].map(sw)), freq="M")
    tr["adoption"] = adop.astype(str).where(tr["team"].map(sw).notna(), None)
    tr["a"] = np.where(tr["adoption"].notna(), adop.asi8, 0).astype("int64")
    tr["D"] = ((tr["a"] > 0) & (tr["m"] >= tr["a"])).astype("int64")
    tr["rel"] = np.where(tr["a"] > 0, tr["m"] - tr["a"], np.inf)
    for c in ("any_provision", "cost_total"):
        tr[c] = tr["trajectory_id"].map(po[f"{c}_obs"]).astype(float)
        tr[f"{c}_effect"] = tr["trajectory_id"].map(po[f"{c}_d"] - po[f"{c}_s"]).astype(float)
    return tr


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


# ------------------------------------------------------------------------------ TWFE


def test_twfe_matches_pyfixest_feols_crv1_castle(castle):
    r = we.twfe(castle, "l_homicide", "sid", "year", "D")
    f = _quiet(pf.feols, "l_homicide ~ D | sid + year", data=castle, vcov={"CRV1": "sid"})
    row = r.tidy().iloc[0]
    assert row["estimate"] == pytest.approx(f.coef()["D"], abs=1e-6)
    assert row["se"] == pytest.approx(f.se()["D"], abs=1e-6)
    assert row["p_value"] == pytest.approx(f.pvalue()["D"], abs=1e-6)
    assert row["df"] == 49
    assert r.warning  # five adoption years: the heterogeneity warning applies


def test_twfe_on_trajectory_rows_matches_pyfixest(staggered_rows):
    """Cells weighted by their row counts give the row-level fit and cluster scores."""
    rows = staggered_rows
    r = we.twfe(rows, "cost_total", "team", "month", "D", lang="en")
    f = _quiet(pf.feols, "cost_total ~ D | team + m", data=rows, vcov={"CRV1": "team"})
    row = r.tidy().iloc[0]
    assert row["estimate"] == pytest.approx(f.coef()["D"], rel=1e-7)
    assert row["se"] == pytest.approx(f.se()["D"], rel=1e-6)
    assert "we.event_study" in r.summary()


def test_twfe_weights_by_hand_heterogeneous_effects():
    """Exact additive data plus cell effects: TWFE = sum of weights x cell effects
    (de Chaisemartin & D'Haultfoeuille 2020), with a negative weight for the early
    adopter's last period when there is no never-treated unit."""
    units, T = ["E", "L", "N"], 3
    adopt = {"E": 1, "L": 2, "N": np.nan}
    effects = {("E", 1): 1.0, ("E", 2): 4.0, ("L", 2): 1.0}
    rows = []
    for i, u in enumerate(units):
        for t in range(T):
            eff = effects.get((u, t), 0.0)
            rows.append({"u": u, "t": t, "y": 10 * i + 2 * t + eff, "a": adopt[u]})
    df = pd.DataFrame(rows)
    df["D"] = (df["t"] >= df["a"]).astype(int)
    # no never-treated unit: drop N
    sub = df[df["u"] != "N"]
    pan_cells = P.cells(
        sub["u"].to_numpy(),
        sub["t"].to_numpy(),
        sub["a"].to_numpy().astype(np.int64),
        sub["u"].to_numpy(),
        sub["y"].to_numpy(),
    )
    fit = P.twfe_fit(pan_cells)
    cell_eff = np.array([effects.get((u, t), 0.0) for u, t in zip(sub["u"], sub["t"], strict=True)])
    order = np.lexsort((sub["t"].to_numpy(), sub["u"].to_numpy()))
    assert fit.estimate == pytest.approx(float(fit.weights @ cell_eff[order]), abs=1e-10)
    # the early adopter's last period (E, 2) carries a negative weight
    assert fit.weights[2] < 0
    # with only 2 clusters the public function refuses
    with pytest.raises(DataError):
        we.twfe(sub, "y", "u", "t", "D")


# ------------------------------------------------------------------------------ event study


def test_event_study_overall_matches_pyfixest_did2s_castle(castle):
    r = we.event_study(castle, "l_homicide", "sid", "year", "g")
    f = _quiet(
        pf.event_study,
        castle.copy(),
        yname="l_homicide",
        idname="sid",
        tname="year",
        gname="g0",
        estimator="did2s",
        att=True,
    )
    G = 50
    row = r.tidy().query("kind == 'overall'").iloc[0]
    assert row["estimate"] == pytest.approx(f.coef().iloc[0], abs=1e-6)
    # our SE = did2s GMM SE x sqrt(G/(G-1))
    assert row["se"] == pytest.approx(f.se().iloc[0] * np.sqrt(G / (G - 1)), abs=1e-6)
    assert np.sqrt(r.diagnostics["vcov_overall_gmm"]) == pytest.approx(f.se().iloc[0], abs=1e-7)


def test_event_study_event_times_match_pyfixest_did2s_castle(castle):
    r = we.event_study(castle, "l_homicide", "sid", "year", "g")
    f = _quiet(
        pf.did2s,
        castle.copy(),
        yname="l_homicide",
        first_stage="~ 0 | sid + year",
        second_stage="~ i(rel, ref=-1.0)",
        treatment="D",
        cluster="sid",
    )
    coef, se = f.coef(), f.se()
    ev = r.tidy().query("kind == 'event'")
    assert len(ev) == 14  # -10..4 without the reference -1
    for row in ev.itertuples():
        name = f"rel::{float(row.event_time)}"
        assert row.estimate == pytest.approx(coef[name], abs=1e-6)
        assert row.se == pytest.approx(se[name] * np.sqrt(50 / 49), abs=1e-6)


def test_event_study_on_trajectory_rows_matches_pyfixest_did2s(staggered_rows):
    rows = staggered_rows
    r = we.event_study(rows, "any_provision", "team", "month", "adoption", window=(-4, 6))
    f = _quiet(
        pf.did2s,
        rows.assign(rel=rows["rel"].where((rows["rel"] >= -4) & (rows["rel"] <= 6), np.inf)),
        yname="any_provision",
        first_stage="~ 0 | team + m",
        second_stage="~ i(rel, ref=-1.0)",
        treatment="D",
        cluster="team",
    )
    coef, se = f.coef(), f.se()
    ev = r.tidy().query("kind == 'event'")
    assert list(ev["event_time"]) == [-4, -3, -2, 0, 1, 2, 3, 4, 5, 6]
    # on this unbalanced panel pyfixest recovers the fixed effects iteratively (about
    # 1e-6 off); the exact first stage (dense OLS on the rows) is checked to 1e-9 below
    for row in ev.itertuples():
        name = f"rel::{float(row.event_time)}"
        assert row.estimate == pytest.approx(coef[name], abs=1e-5)
        assert row.se == pytest.approx(se[name] * np.sqrt(12 / 11), rel=1e-3)
    u = rows["D"] == 0
    X = pd.get_dummies(rows["team"]).join(pd.get_dummies(rows["m"], drop_first=True))
    X = X.to_numpy(dtype=float)
    b = np.linalg.lstsq(X[u.to_numpy()], rows.loc[u, "any_provision"].to_numpy(), rcond=None)[0]
    resid = rows["any_provision"].to_numpy() - X @ b
    e = np.where(rows["a"] > 0, rows["m"] - rows["a"], -99)
    for row in ev.itertuples():
        assert row.estimate == pytest.approx(resid[e == row.event_time].mean(), abs=1e-9)


def _tiny(effect_by_event: dict[int, float], trend: float = 0.0) -> pd.DataFrame:
    """Exact additive panel: 4 never-treated units, cohorts adopting at 3 and 5."""
    rows = []
    adopt = {"a": 3, "b": 3, "c": 5, "d": 5, "n1": None, "n2": None, "n3": None, "n4": None}
    for i, (u, a) in enumerate(adopt.items()):
        for t in range(8):
            e = None if a is None else t - a
            y = 3.0 * i + 0.5 * t + (effect_by_event.get(e, 0.0) if e is not None and e >= 0 else 0)
            if e is not None:
                y += trend * e
            rows.append({"unit": u, "t": t, "adopt": a, "y": y})
    return pd.DataFrame(rows)


def test_event_study_by_hand_exact_panel():
    """No noise, additive untreated outcomes: the effects come out exactly."""
    eff = {0: 1.0, 1: 2.0, 2: 3.0, 3: 3.0, 4: 3.0}
    r = we.event_study(_tiny(eff), "y", "unit", "t", "adopt")
    t = r.tidy()
    ev = t.query("kind == 'event'").set_index("event_time")["estimate"]
    for e, v in eff.items():
        assert ev[float(e)] == pytest.approx(v, abs=1e-10)
    for e in (-5, -4, -3, -2):
        assert ev[float(e)] == pytest.approx(0.0, abs=1e-10)
    # overall: row-weighted mean over treated cells (cohort 3: e=0..4, cohort 5: e=0..2)
    by_hand = (sum(eff[e] for e in range(5)) + sum(eff[e] for e in range(3))) / 8
    assert t.query("kind == 'overall'")["estimate"].iloc[0] == pytest.approx(by_hand)
    coh = t.query("kind == 'cohort'").set_index("cohort")["estimate"]
    assert coh["3"] == pytest.approx(np.mean([eff[e] for e in range(5)]))
    assert coh["5"] == pytest.approx(np.mean([eff[e] for e in range(3)]))


def test_pretrend_bias_per_slope_is_the_estimator_on_a_trend():
    """Adding a linear differential trend of slope s moves every estimate by exactly
    s x (its bias per unit slope): the numbers behind the bounds and the power."""
    eff = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}
    rng = np.random.default_rng(1)
    base = _tiny(eff)
    base["y"] += rng.normal(0, 0.3, len(base))
    s = 0.2
    tilted = base.copy()
    e = tilted["t"] - tilted["adopt"].astype(float)
    tilted["y"] += np.where(tilted["adopt"].notna(), s * e, 0.0)
    r0 = we.event_study(base, "y", "unit", "t", "adopt")
    r1 = we.event_study(tilted, "y", "unit", "t", "adopt")
    o0 = r0.tidy().query("kind == 'overall'")["estimate"].iloc[0]
    o1 = r1.tidy().query("kind == 'overall'")["estimate"].iloc[0]
    assert o1 - o0 == pytest.approx(s * r0.pretrend["bias_per_slope"], abs=1e-10)
    pt = r0.pretrend
    assert pt["n_leads"] == 4 and pt["df1"] == 4 and pt["df2"] == 8 - 4
    # Hotelling's T^2 reference, by hand from the event-time covariance
    ev = r0.tidy().query("kind == 'event'").reset_index(drop=True)
    lead = (ev["event_time"] < 0).to_numpy()
    V = r0.diagnostics["vcov_event_gmm"][np.ix_(lead, lead)] * 8 / 7
    b = ev.loc[lead, "estimate"].to_numpy()
    assert pt["statistic"] == pytest.approx(b @ np.linalg.solve(V, b) * (8 - 4) / (4 * 7))
    assert pt["power_at_slope_80"] == pytest.approx(0.8, abs=1e-6)
    # the bounds widen by slope_bound x |bias per slope| on each side
    b = r0.bounds.query("kind == 'overall'")
    width = (b["ci_high"] - b["ci_low"]).to_numpy()
    grow = width - width[0]
    assert grow == pytest.approx(2 * b["slope_bound"].to_numpy() * abs(pt["bias_per_slope"]))


def test_event_study_bad_input_bilingual():
    df = _tiny({0: 1.0})
    with pytest.raises(DataError) as e:
        we.event_study(df, "y", "unit", "t", "nope")
    assert e.value.message_nl and e.value.message_en
    bad = df.copy()
    bad.loc[0, "adopt"] = 4  # unit 'a' with two adoption periods
    with pytest.raises(DataError) as e:
        we.event_study(bad, "y", "unit", "t", "adopt")
    assert "adopt" in e.value.message("en")
    with pytest.raises(UsageError):
        we.event_study(df, "y", "unit", "t", "adopt", window=(0, 3))
    with pytest.raises(UsageError):
        we.event_study(df, "y", "unit", "t", "adopt", time="weeks")


def test_event_study_plot_and_views(castle):
    r = we.event_study(castle, "l_homicide", "sid", "year", "g", lang="en")
    fig = r.plot()
    assert len(fig.axes) == 1
    assert "Test of trends before adoption" in r.summary()
    assert "<table" in r._repr_html_()
    assert "periode 0 sinds invoering" in r.summary("nl")


# ------------------------------------------------------------------------------ generator


def test_staggered_design_switches_team_by_team():
    d = S.generate(2000, seed=4, design="staggered", superpopulation=None)
    tr = d.trajectories
    sw = d.truth["team_switch"].set_index("team")["switch_date"]
    switch = pd.to_datetime(tr["team"].astype(str).map(sw))
    after = pd.to_datetime(tr["start_date"]) >= switch
    assert ((tr["period"] == "after") == after.fillna(False)).all()
    assert ((tr["arm"] == "demand_driven") == after.fillna(False)).all()
    assert sw.isna().sum() == 3 and sw.nunique() == 3


def test_staggered_effect_builds_up(staggered_rows):
    """The demand-driven effect on provisions ramps up over the first four months."""
    rows = staggered_rows[staggered_rows["D"] == 1]
    e = (rows["m"] - rows["a"]).clip(upper=6)
    eff = rows.groupby(e)["any_provision_effect"].mean()
    assert eff[0] > eff[6]  # the effect is negative: smaller in magnitude at first
    assert abs(eff[0]) < 0.5 * abs(eff[6])


def test_municipalities_design():
    d = S.generate(1500, seed=2, design="municipalities", superpopulation=None)
    tr = d.trajectories
    assert tr["municipality"].nunique() == 10
    pilot = tr[tr["arm"] == "demand_driven"]
    assert set(pilot["municipality"]) == {"GM0406"}
    assert (pd.to_datetime(pilot["start_date"]) >= "2024-07-01").all()


def test_event_study_covers_truth_small_simulation():
    """Fast version of benchmarks/sim_staggered.py: null effects, 24 pilots."""
    cover, reject = [], []
    for seed in range(24):
        d = S.generate(
            2500, seed=100 + seed, design="staggered", effects="null", superpopulation=None
        )
        tr = d.trajectories[["trajectory_id", "team", "start_date"]].copy()
        po = d.truth["potential_outcomes"].set_index("trajectory_id")
        sw = d.truth["team_switch"].set_index("team")["switch_date"]
        tr["month"] = pd.to_datetime(tr["start_date"]).dt.strftime("%Y-%m")
        tr["adoption"] = tr["team"].astype(str).map(sw).str.slice(0, 7)
        tr["y"] = tr["trajectory_id"].map(po["any_provision_obs"]).astype(float)
        t = we.event_study(tr, "y", "team", "month", "adoption", window=(-6, 12)).tidy()
        ev = t.query("kind == 'event'")
        cover += list((ev["ci_low"] <= 0) & (ev["ci_high"] >= 0))
        reject.append(t.query("kind == 'overall'")["p_value"].iloc[0] < 0.05)
    assert np.mean(cover) >= 0.88
    assert np.mean(reject) <= 0.25


# ------------------------------------------------------------------------------ synthetic control


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(DATA / "california_prop99.csv", sep=";")


def test_synthetic_control_california(prop99):
    r = we.synthetic_control(prop99, "PacksPerCapita", "State", "Year", "California", 1989)
    row = r.tidy().iloc[0]
    # Arkhangelsky et al. (2021), Table 1, SC: -19.6 (their Frank-Wolfe solution)
    assert row["estimate"] == pytest.approx(-19.6, abs=0.1)
    w = r.weights.set_index("unit")["weight"]
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    assert set(w[w > 0.05].index) == {"Utah", "Montana", "Nevada", "Connecticut"}
    # p-value by hand from the placebo table
    ratio = r.diagnostics["ratio"]
    J = len(r.placebos)
    assert row["p_value"] == pytest.approx((1 + (r.placebos["ratio"] >= ratio).sum()) / (J + 1))
    assert J == 38
    fig = r.plot()
    assert len(fig.axes) == 2


def test_simplex_weights_kkt(prop99):
    """Optimality: on the support the gradient is equal (the multiplier), elsewhere not
    smaller (KKT of the simplex-constrained least squares)."""
    W = prop99.pivot(index="Year", columns="State", values="PacksPerCapita")
    pre = W.index < 1989
    y1 = W.loc[pre, "California"].to_numpy()
    Y0 = W.loc[pre].drop(columns="California").to_numpy()
    w = simplex_weights(y1, Y0)
    grad = Y0.T @ (Y0 @ w - y1)
    on = w > 1e-9
    lam = grad[on].mean()
    assert np.allclose(grad[on], lam, atol=1e-6 * np.abs(grad).max())
    assert (grad[~on] >= lam - 1e-6 * np.abs(grad).max()).all()


def test_synthetic_control_interval_inverts_the_placebo_test(prop99):
    r = we.synthetic_control(prop99, "PacksPerCapita", "State", "Year", "California", 1989)
    lo, hi = r.tidy()[["ci_low", "ci_high"]].iloc[0]
    s = r.series
    g = s.loc[s["post"], "gap"].to_numpy()
    pre_rmspe = r.diagnostics["pre_rmspe"]
    ratios = r.placebos["ratio"].to_numpy()

    def p_of(theta: float) -> float:
        R = np.sqrt(np.mean((g - theta) ** 2)) / pre_rmspe
        return (1 + np.sum(ratios >= R)) / (len(ratios) + 1)

    eps = 1e-6 * (hi - lo)
    assert p_of(lo + eps) > 0.05 and p_of(hi - eps) > 0.05
    assert p_of(lo - eps) <= 0.05 and p_of(hi + eps) <= 0.05


def test_synthetic_control_on_municipalities_design():
    d = S.generate(15000, seed=9, design="municipalities", superpopulation=None)
    tr = d.trajectories[["trajectory_id", "municipality", "start_date"]].copy()
    po = d.truth["potential_outcomes"].set_index("trajectory_id")
    tr["month"] = pd.to_datetime(tr["start_date"]).dt.strftime("%Y-%m")
    tr["y"] = tr["trajectory_id"].map(po["any_provision_obs"]).astype(float)
    r = we.synthetic_control(tr, "y", "municipality", "month", "GM0406", "2024-07", lang="en")
    assert r.diagnostics["n_units"] == 10 and r.diagnostics["n_pre"] == 18
    assert r.tidy()["p_value"].iloc[0] >= 0.1  # 10 units: smallest p 0.1
    lo, hi = r.tidy()[["ci_low", "ci_high"]].iloc[0]
    assert np.isinf(lo) and np.isinf(hi)  # 1/10 > 0.05: the interval is unbounded


def test_synthetic_control_bad_input(prop99):
    with pytest.raises(DataError):
        we.synthetic_control(prop99, "PacksPerCapita", "State", "Year", "Atlantis", 1989)
    with pytest.raises(DataError) as e:
        we.synthetic_control(prop99.iloc[5:], "PacksPerCapita", "State", "Year", "California", 1989)
    assert "Connecticut" in e.value.message("en") or "Delaware" in e.value.message("en")


def test_randomization_inference_matches_direct_reestimation():
    """The linear shortcut equals re-running the estimator on permuted adoption times."""
    rng = np.random.default_rng(5)
    df = _tiny({0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0})
    df["y"] += rng.normal(0, 0.5, len(df))
    r = we.event_study(df, "y", "unit", "t", "adopt", inference="randomization", n_permutations=19)
    row = r.tidy().query("kind == 'overall'").iloc[0]
    assert row["ci_method"] == "randomization" and np.isnan(row["se"])
    # the same permutations, drawn as the function draws them (units in sorted order)
    units = sorted(df["unit"].unique())
    per_unit = df.groupby("unit")["adopt"].first().reindex(units)
    ua = np.where(per_unit.notna(), per_unit.fillna(0), P.NEVER).astype(np.int64)
    perm_rng = np.random.default_rng(0)
    stats_ = [row["estimate"]]
    for _ in range(19):
        p = perm_rng.permutation(ua)
        mapping = {u: (np.nan if a == P.NEVER else float(a)) for u, a in zip(units, p, strict=True)}
        t = we.event_study(df.assign(adopt=df["unit"].map(mapping)), "y", "unit", "t", "adopt")
        stats_.append(t.tidy().query("kind == 'overall'")["estimate"].iloc[0])
    stats_ = np.abs(np.array(stats_))
    assert row["p_value"] == pytest.approx(np.mean(stats_ >= stats_[0] - 1e-12))
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
