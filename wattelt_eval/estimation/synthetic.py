"""One treated municipality against several others: ``we.synthetic_control`` (synthetic control).

The synthetic control of Abadie, Diamond & Hainmueller (2010) on the outcome series
alone: non-negative weights summing to one on the comparison units so that their
weighted series follows the treated unit's series before the switch as closely as
possible (least squares over the pre-period); the effect per period is the gap after
the switch. Inference by placebos in space: every comparison unit in turn is treated as
if it had switched, and the ratio of post- to pre-period root mean squared gap ranks the
treated unit among them (p-value); the interval inverts that test for a constant effect
(Firpo & Possebom 2018). ``docs/methods.md``, section *One municipality: synthetic control*.

Validated on the California tobacco data (Proposition 99): the average gap 1989-2000 is
the -19.6 packs per capita of Arkhangelsky et al. (2021, Table 1, "SC").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from ._shared import data_error, numeric, require_columns, txt
from .literals import Lang, check
from .results import TableView, estimate_view, title
from .staggered import TimeUnit, _period_numbers


def simplex_weights(y1: np.ndarray, Y0: np.ndarray) -> np.ndarray:
    """argmin_w ||y1 - Y0 w||^2 over w >= 0, sum w = 1 (``Y0``: periods x units).

    Lawson-Hanson non-negative least squares with the sum-to-one constraint as a heavily
    weighted extra row (:data:`_SUM_WEIGHT`), then polished on its support by solving the
    equality-constrained least squares exactly (KKT system).
    """
    scale = float(np.abs(Y0).max()) or 1.0
    A, b = Y0 / scale, y1 / scale
    J = A.shape[1]
    w, _ = optimize.nnls(
        np.vstack([A, np.full(J, _SUM_WEIGHT)]), np.r_[b, _SUM_WEIGHT], maxiter=50 * J
    )
    w = w / w.sum()
    S = np.flatnonzero(w > 1e-12)
    k = len(S)
    K = np.zeros((k + 1, k + 1))
    K[:k, :k] = A[:, S].T @ A[:, S]
    K[:k, k] = K[k, :k] = 1.0
    sol = np.linalg.lstsq(K, np.r_[A[:, S].T @ b, 1.0], rcond=None)[0][:k]
    if np.all(sol >= 0):
        w = np.zeros(J)
        w[S] = sol
    return w / w.sum()


#: weight of the sum-to-one row in :func:`simplex_weights` (data scaled to max |y| = 1)
_SUM_WEIGHT = 1e4


@dataclass(frozen=True)
class _SC:
    weights: np.ndarray
    gaps: np.ndarray
    pre_rmspe: float
    post_rmspe: float


def _fit(y1: np.ndarray, Y0: np.ndarray, pre: np.ndarray) -> _SC:
    w = simplex_weights(y1[pre], Y0[pre])
    gaps = y1 - Y0 @ w
    return _SC(
        w,
        gaps,
        float(np.sqrt(np.mean(gaps[pre] ** 2))),
        float(np.sqrt(np.mean(gaps[~pre] ** 2))),
    )


@dataclass(repr=False)
class SynthResult(TableView):
    """Result of :func:`synthetic_control`.

    ``table``: the average gap after the switch (``term`` ``"att"``) with the
    placebo p-value and test-inversion interval; ``series`` per period the treated and
    synthetic outcome and their gap; ``weights`` per comparison unit; ``placebos`` per
    comparison unit its pre/post root mean squared gap and their ratio; ``placebo_gaps``
    (periods x units) for the figure.
    """

    TITLE: ClassVar[dict[str, str]] = title("synth")

    outcome: str
    table: pd.DataFrame
    series: pd.DataFrame
    weights: pd.DataFrame
    placebos: pd.DataFrame
    placebo_gaps: pd.DataFrame
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"
    alpha: float = 0.05

    def _subject(self, lang: str) -> str:
        return self.outcome

    def _view(self, lang: str) -> pd.DataFrame:
        t = self.table.assign(term=txt("synth.term_att", lang))
        view = estimate_view(t, lang)
        lo, hi = t["ci_low"].iloc[0], t["ci_high"].iloc[0]
        if np.isinf(lo) or np.isinf(hi):
            view[txt("label.ci", lang)] = txt("synth.unbounded", lang)
        elif np.isnan(lo):
            view[txt("label.ci", lang)] = txt("synth.empty_interval", lang)
        return view

    def _extra_tables(self, lang: str) -> list[pd.DataFrame]:
        return [self.weights[self.weights["weight"] > 0.001]]

    def _notes(self, lang: str) -> list[str]:
        from ..i18n import format as fmt

        d = self.diagnostics
        return [
            txt(
                "synth.fit",
                lang,
                pre=fmt.number(d["pre_rmspe"], 3, lang),
                sd=fmt.number(d["pre_sd"], 3, lang),
                rank=d["rank"],
                n=d["n_units"],
            )
        ]

    def plot(self, lang: str | None = None, ax: Any = None) -> Any:
        """Treated vs synthetic series (left) and the gap among the placebo gaps (right)."""
        return synth_plot(self, lang=lang)


def synthetic_control(
    table: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    treated: Any,
    start: Any,
    *,
    time: TimeUnit = "auto",
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> SynthResult:
    """Synthetic control for one treated unit with placebo-in-space inference.

    Parameters
    ----------
    table : DataFrame
        One row per unit and period (e.g. a municipality's monthly mean; aggregate
        trajectories first) — or several rows per cell, which are averaged.
    treated : value of ``unit``
        The treated unit (the pilot municipality).
    start : period value
        The first treated period (same coding as ``period``).

    Notes
    -----
    The weights use the pre-period outcomes only (no covariates); with ``J`` comparison
    units the smallest possible p-value is ``1/(J+1)``: with fewer than ``1/alpha - 1``
    comparison units the interval is unbounded. Every unit needs every period.
    """
    check("lang", lang, Lang)
    check("time", time, TimeUnit)
    require_columns(table, [outcome, unit, period])
    y = numeric(table[outcome], outcome)
    per = _period_numbers(table[period], period, time)
    start_n = _period_numbers(pd.Series([start]), "start", time)[0]
    df = pd.DataFrame({"u": table[unit].astype(str), "p": per, "y": y}).dropna()
    wide = df.groupby(["u", "p"])["y"].mean().unstack("p")
    tr = str(treated)
    if tr not in wide.index:
        raise data_error("synth_no_treated", unit=unit, value=tr)
    incomplete = wide.index[wide.isna().any(axis=1)].tolist()
    if incomplete:
        raise data_error("synth_unbalanced", unit=unit, units=", ".join(incomplete[:10]))
    periods = wide.columns.to_numpy(dtype=float)
    pre = periods < start_n
    if pre.sum() < 2 or (~pre).sum() < 1:
        raise data_error("synth_periods")
    controls = [u for u in wide.index if u != tr]
    if len(controls) < 2:
        raise data_error("synth_few_controls", n=len(controls))
    Y = wide.to_numpy(dtype=float)
    y1 = wide.loc[tr].to_numpy(dtype=float)
    Y0 = wide.loc[controls].to_numpy(dtype=float).T  # periods x units
    fit = _fit(y1, Y0, pre)
    ratio = fit.post_rmspe / fit.pre_rmspe if fit.pre_rmspe > 0 else np.inf
    # placebos in space: each control as if treated, donors = the other controls
    plac_rows, plac_gaps = [], {}
    for j, u in enumerate(controls):
        others = np.delete(Y0, j, axis=1)
        pf = _fit(Y0[:, j], others, pre)
        plac_rows.append(
            {
                "unit": u,
                "pre_rmspe": pf.pre_rmspe,
                "post_rmspe": pf.post_rmspe,
                "ratio": pf.post_rmspe / pf.pre_rmspe if pf.pre_rmspe > 0 else np.inf,
            }
        )
        plac_gaps[u] = pf.gaps
    placebos = pd.DataFrame(plac_rows)
    r = placebos["ratio"].to_numpy()
    J = len(controls)
    p_value = (1 + int(np.sum(r >= ratio))) / (J + 1)
    att = float(np.mean(fit.gaps[~pre]))
    lo, hi = _inversion_interval(fit.gaps[~pre], fit.pre_rmspe, r, alpha)
    labels = df.assign(lab=table.loc[df.index, period].astype(str)).groupby("p")["lab"].first()
    series = pd.DataFrame(
        {
            "period": [labels[p] for p in periods],
            "post": ~pre,
            "treated": y1,
            "synthetic": Y0 @ fit.weights,
            "gap": fit.gaps,
        }
    )
    weights = (
        pd.DataFrame({"unit": controls, "weight": fit.weights})
        .sort_values(["weight", "unit"], ascending=[False, True])
        .reset_index(drop=True)
    )
    tidy = pd.DataFrame(
        [
            {
                "outcome": outcome,
                "term": "att",
                "estimate": att,
                "se": np.nan,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p_value,
                "df": np.nan,
                "ci_method": "randomization",
                "n_used": int(len(df)),
            }
        ]
    )
    diagnostics = {
        "pre_rmspe": fit.pre_rmspe,
        "post_rmspe": fit.post_rmspe,
        "ratio": ratio,
        "pre_sd": float(np.std(y1[pre])),
        "rank": int(1 + np.sum(r > ratio)),
        "n_units": J + 1,
        "min_p_value": 1.0 / (J + 1),
        "n_pre": int(pre.sum()),
        "n_post": int((~pre).sum()),
        "n_dropped": int(len(table) - len(df)),
    }
    del Y
    return SynthResult(
        outcome,
        tidy,
        series,
        weights,
        placebos,
        pd.DataFrame(plac_gaps, index=series["period"]),
        txt("synth.method", lang, n=J + 1),
        txt("synth.design", lang, treated=tr, j=J, pre=int(pre.sum()), post=int((~pre).sum())),
        diagnostics,
        lang,
        alpha,
    )


def _inversion_interval(
    post_gaps: np.ndarray, pre_rmspe: float, placebo_ratios: np.ndarray, alpha: float
) -> tuple[float, float]:
    """Constant effects ``theta`` not rejected by the placebo test (closed form).

    With the effect ``theta`` removed the post-period gaps are ``g - theta``; the
    treated ratio ``R(theta) = sqrt(mean((g - theta)^2)) / pre_rmspe`` and
    ``p(theta) = (1 + #{placebo ratio >= R(theta)}) / (J + 1)``; ``p > alpha`` iff
    ``R(theta)`` is at most the ``m``-th largest placebo ratio, ``m`` the smallest
    integer above ``alpha (J + 1) - 1``. Unbounded when ``m < 1``; missing (empty)
    when even the best ``theta`` is rejected.
    """
    J = len(placebo_ratios)
    m = int(np.floor(alpha * (J + 1) - 1)) + 1
    if m < 1:
        return -np.inf, np.inf
    r_m = np.sort(placebo_ratios)[::-1][m - 1]
    gbar, s2 = float(np.mean(post_gaps)), float(np.var(post_gaps))
    room = (r_m * pre_rmspe) ** 2 - s2
    if room < 0:
        return np.nan, np.nan
    return gbar - np.sqrt(room), gbar + np.sqrt(room)


def synth_plot(result: SynthResult, lang: str | None = None) -> Any:
    """Two panels: the treated and synthetic series; the gap among the placebo gaps."""
    import matplotlib.pyplot as plt

    from ..i18n import check_lang

    lang = check_lang(lang or result.lang)
    s = result.series
    x = np.arange(len(s))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(x, s["treated"], color="#D55E00", label=txt("synth.label_treated", lang))
    a1.plot(x, s["synthetic"], color="#0072B2", ls="--", label=txt("synth.label_synthetic", lang))
    for ax in (a1, a2):
        ax.axvline(int(np.argmax(s["post"].to_numpy())) - 0.5, color="black", lw=0.8, ls=":")
        step = max(1, len(s) // 6)
        ax.set_xticks(x[::step], s["period"].to_numpy()[::step], rotation=30)
    a1.legend(frameon=False)
    a1.set_ylabel(result.outcome)
    for u in result.placebo_gaps.columns:
        a2.plot(x, result.placebo_gaps[u].to_numpy(), color="#BBBBBB", lw=0.7)
    a2.plot(x, s["gap"], color="#D55E00", lw=1.8)
    a2.axhline(0, color="black", lw=0.8)
    a2.set_ylabel(txt("synth.label_gap", lang))
    fig.suptitle(txt("synth.plot_title", lang))
    fig.tight_layout()
    return fig
