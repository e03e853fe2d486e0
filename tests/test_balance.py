"""we.balance: SMDs by hand, categorical levels present in one arm only, weighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from compare_helpers import make_table

from wattelt_eval.estimation import balance, love_plot


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": ["demand_driven"] * 4 + ["supply_driven"] * 4,
            "age": [20.0, 30.0, 40.0, np.nan, 30.0, 50.0, 70.0, 50.0],
            "household": [
                "single",
                "single",
                "couple",
                "family",
                "single",
                "couple",
                "couple",
                "couple",
            ],
            "flag": [True, False, True, True, False, False, True, False],
        }
    )


def test_numeric_smd_and_missing_by_hand(tiny):
    b = balance(tiny, "arm", ["age"])
    r = b.table.iloc[0]
    assert (r.n_t, r.n_missing_t, r.n_c, r.n_missing_c) == (3, 1, 4, 0)
    assert r.mean_t == pytest.approx(30.0) and r.sd_t == pytest.approx(10.0)
    assert r.mean_c == pytest.approx(50.0) and r.sd_c == pytest.approx(
        np.std([30, 50, 70, 50], ddof=1)
    )
    assert r.smd == pytest.approx((30 - 50) / np.sqrt((100 + r.sd_c**2) / 2))
    assert (r.median_c, r.q1_c, r.q3_c) == (50.0, 45.0, 55.0)


def test_level_in_one_arm_only(tiny):
    b = balance(tiny, "arm", ["household"])
    t = b.table.set_index("level")
    fam = t.loc["family"]
    assert fam.only_in_one_arm and fam.pct_t == 0.25 and fam.pct_c == 0.0
    assert fam.smd == pytest.approx(0.25 / np.sqrt(0.25 * 0.75 / 2))
    # overall Yang-Dalton SMD: finite, and equals the Mahalanobis distance by hand
    p1 = np.array([0.25, 0.5])  # family, single (couple is the reference level)
    p0 = np.array([0.0, 0.25])
    S = (
        np.array(
            [
                [p1[0] * (1 - p1[0]) + p0[0] * (1 - p0[0]), -(p1[0] * p1[1] + p0[0] * p0[1])],
                [-(p1[0] * p1[1] + p0[0] * p0[1]), p1[1] * (1 - p1[1]) + p0[1] * (1 - p0[1])],
            ]
        )
        / 2
    )
    d = p1 - p0
    assert t.loc[""].smd == pytest.approx(np.sqrt(d @ np.linalg.solve(S, d)))
    assert np.isfinite(t.loc[""].smd)


def test_binary_yang_dalton_equals_level_smd(tiny):
    b = balance(tiny, "arm", ["flag"])
    t = b.table.set_index("level")
    assert t.loc[""].smd == pytest.approx(abs(t.loc["True"].smd))
    assert t.loc["True"].smd == pytest.approx(
        (0.75 - 0.25) / np.sqrt((0.75 * 0.25 + 0.25 * 0.75) / 2)
    )


def test_weighted_smd_uses_unweighted_pooled_sd():
    t = make_table(n_per_arm=200, seed=2, confounding=1.0)
    w = np.where(t.arm == "demand_driven", 2.0, 1.0)
    w[:10] = 5.0
    b = balance(t, "arm", ["age", "household"], weights=w)
    r = b.table.iloc[0]
    m = (t.arm == "demand_driven").to_numpy()
    mw1 = np.average(t.age[m], weights=w[m])
    mw0 = np.average(t.age[~m], weights=w[~m])
    den = np.sqrt((t.age[m].var() + t.age[~m].var()) / 2)
    assert r.smd_weighted == pytest.approx((mw1 - mw0) / den)
    assert b.ess["demand_driven"] == pytest.approx(w[m].sum() ** 2 / (w[m] ** 2).sum())
    lev = b.table[(b.table.variable == "household") & (b.table.level == "single")].iloc[0]
    assert lev.pct_w_t == pytest.approx(
        w[m & (t.household == "single").to_numpy()].sum() / w[m].sum()
    )


def test_ipw_weights_improve_balance():
    from wattelt_eval.estimation import compare

    t = make_table(n_per_arm=300, seed=5, confounding=2.0)
    res = compare(t, "mean_change_resident", covariates=["age"], method="ipw")
    sw = res.diagnostics["stabilised_weights"]
    b = balance(t, "arm", ["age"], weights=sw)
    r = b.table.iloc[0]
    assert abs(r.smd) > 0.5 and abs(r.smd_weighted) < 0.05


def test_views_plot_and_errors(tiny):
    b = balance(tiny, "arm", "age + household", weights=np.ones(8), lang="en")
    v = b.view()
    assert "SMD weighted" in v.columns and "demand_driven" in v.columns
    assert "<table" in b._repr_html_()
    fig = love_plot(b, min_count=1)
    assert len(fig.axes[0].get_yticklabels()) == 1 + 3
    # four residents per arm: under the threshold of 10 nothing may be drawn
    fig = love_plot(b)
    assert len(fig.axes[0].get_yticklabels()) == 0
    assert fig.wattelt_notes == ["Not shown (fewer than 10 residents): age, household."]
    with pytest.raises(ValueError, match="not in the table"):
        balance(tiny, "arm", ["nope"])
    with pytest.raises(ValueError, match="one value per row"):
        balance(tiny, "arm", ["age"], weights=np.ones(3))


def test_balance_plot_hides_covariates_under_the_small_number_threshold():
    """``BalanceResult.plot()`` is the disclosure-safe love plot: a covariate (and so each
    of its levels) with fewer than 10 non-missing values in an arm is not drawn."""
    from wattelt_eval.data import StudySettings

    n = 30
    arm = ["demand_driven"] * n + ["supply_driven"] * n
    income = [float(i) for i in range(n + n)]
    for i in range(8, n):  # income known for 8 treated residents (by hand), 30 controls
        income[i] = np.nan
    household = (["single", "couple", "family"] * 20)[: 2 * n]
    housing = [None] * (2 * n)
    for i in list(range(9)) + list(range(n, 2 * n)):  # 9 treated, 30 control
        housing[i] = "rent" if i % 2 else "own"
    age = [float(20 + i % 50) for i in range(2 * n)]
    t = pd.DataFrame(
        {"arm": arm, "age": age, "income": income, "household": household, "housing": housing}
    )
    b = balance(t, "arm", ["age", "income", "household", "housing"], lang="en")
    counts = b.table.drop_duplicates("variable").set_index("variable")[["n_t", "n_c"]]
    assert counts.loc["income"].tolist() == [8, 30]
    assert counts.loc["housing"].tolist() == [9, 30]
    assert counts.loc["age"].tolist() == counts.loc["household"].tolist() == [30, 30]

    fig = b.plot()
    labels = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == ["age", "household: couple", "household: family", "household: single"]
    assert len(fig.axes[0].collections[0].get_offsets()) == 4
    assert fig.wattelt_notes == ["Not shown (fewer than 10 residents): income, housing."]
    # the study's rule sets the threshold: with 5, income (8) and housing (9) are shown
    study = StudySettings(disclosure_rule="min10", disclosure_threshold=5)
    fig = b.plot(rule=study)
    assert len(fig.axes[0].get_yticklabels()) == 1 + 1 + 3 + 2
    assert fig.wattelt_notes == []
    # an explicit min_count wins; 9 shows housing but not income
    fig = love_plot(b, min_count=9, lang="nl")
    assert fig.wattelt_notes == ["Niet getoond (minder dan 9 inwoners): income."]
