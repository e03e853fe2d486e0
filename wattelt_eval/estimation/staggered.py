"""Pilots that roll out over time: ``we.event_study`` (staggered adoption) and ``we.twfe``.

Thin public layer over :mod:`._panel` (cells, two-way fixed effects, the imputation
estimator). ``docs/methods.md``, section *Staggered adoption and event studies*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import _panel as P
from ._shared import data_error, numeric, require_columns, txt, usage_error
from .literals import Lang, check
from .results import TableView, estimate_view, title

#: ``time=`` of :func:`event_study`: how the period column is read
TimeUnit = Literal["auto", "number", "month"]

#: ``inference=`` of :func:`event_study` (for the overall effect)
EventInference = Literal["analytic", "randomization"]

#: multiples of the slope the pre-trend test detects with 80% power, at which
#: :func:`event_study` reports bounds (``bounds``)
BOUND_MULTIPLES: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)


# ------------------------------------------------------------------------------ input


def _period_numbers(s: pd.Series, name: str, time: str) -> np.ndarray:
    """Period numbers: integers as given, or months (``YYYY-MM``, dates) as month counts.

    Missing values stay missing (NaN)."""
    if time in ("auto", "number") and pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float)
        ok = np.isfinite(v)
        if not np.all(v[ok] == np.round(v[ok])):
            raise data_error("panel_period", column=name)
        return v
    if time == "number":
        raise data_error("panel_period", column=name)
    try:
        per = pd.PeriodIndex(pd.to_datetime(s.astype("string"), errors="raise"), freq="M")
    except (ValueError, TypeError) as exc:
        raise data_error("panel_period", column=name) from exc
    return np.where(per.isna(), np.nan, per.asi8.astype(float))


@dataclass(frozen=True)
class _Panel:
    cells: P.Cells
    n_rows: int
    n_dropped: int
    period_labels: dict[int, str]


def _panel(
    table: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    adoption: str | None,
    treatment: str | None,
    cluster: str | None,
    time: str,
) -> _Panel:
    cols = [outcome, unit, period] + [c for c in (adoption, treatment, cluster) if c]
    require_columns(table, list(dict.fromkeys(cols)))
    y = numeric(table[outcome], outcome).to_numpy(dtype=float)
    per = _period_numbers(table[period], period, time)
    if adoption:
        adop = _period_numbers(table[adoption], adoption, time)
    else:
        adop = np.full(len(table), np.nan)
    keep = np.isfinite(y) & np.isfinite(per) & table[unit].notna().to_numpy()
    d = None
    if treatment:
        dv = numeric(table[treatment], treatment).to_numpy(dtype=float)
        if not np.all(np.isin(dv[np.isfinite(dv)], (0.0, 1.0))):
            raise data_error("panel_treatment", column=treatment)
        keep &= np.isfinite(dv)
        d = dv > 0.5
    cl_col = cluster or unit
    keep &= table[cl_col].notna().to_numpy()
    sub = table.loc[keep]
    # adoption and cluster must be constant per unit
    units = sub[unit].astype(str).to_numpy()
    for col, vals in ((adoption, adop[keep]), (cl_col, sub[cl_col].astype(str).to_numpy())):
        if col is None:
            continue
        nun = pd.DataFrame({"u": units, "v": vals}).groupby("u")["v"].nunique(dropna=False)
        if (nun > 1).any():
            raise data_error("panel_not_constant", column=col, unit=unit, n=int((nun > 1).sum()))
    a = np.full(int(keep.sum()), P.NEVER, dtype=np.int64)
    fin = np.isfinite(adop[keep])
    a[fin] = adop[keep][fin].astype(np.int64)
    p_int = per[keep].astype(np.int64)
    c = P.cells(
        units,
        p_int,
        a,
        sub[cl_col].astype(str).to_numpy(),
        y[keep],
        None if d is None else d[keep],
    )
    if d is not None:
        cell_d = pd.DataFrame({"u": units, "p": p_int, "d": d[keep]}).groupby(["u", "p"])["d"]
        if (cell_d.nunique() > 1).any():
            raise data_error("panel_not_constant", column=treatment, unit=f"{unit} x {period}", n=1)
    labels = _labels(table[period], per)
    return _Panel(c, int(keep.sum()), int((~keep).sum()), labels)


def _labels(s: pd.Series, per: np.ndarray) -> dict[int, str]:
    ok = np.isfinite(per)
    df = pd.DataFrame({"p": per[ok].astype(np.int64), "lab": s[ok].astype(str).to_numpy()})
    return df.groupby("p")["lab"].first().to_dict()


# ------------------------------------------------------------------------------ TWFE


@dataclass(repr=False)
class TWFEResult(TableView):
    """Result of :func:`twfe`: the DiD coefficient of ``y ~ D | unit + period``.

    ``negative_weights`` (share of treated cells with a negative weight) and
    ``staggered`` feed the warning about heterogeneous effects (``notes``).
    """

    TITLE: ClassVar[dict[str, str]] = title("twfe")

    outcome: str
    table: pd.DataFrame
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warning: bool = False
    lang: str = "nl"

    def _subject(self, lang: str) -> str:
        return self.outcome

    def _view(self, lang: str) -> pd.DataFrame:
        return estimate_view(self.table, lang)

    def _notes(self, lang: str) -> list[str]:
        if not self.warning:
            return []
        dg = self.diagnostics
        return [
            txt(
                "twfe.heterogeneity",
                lang,
                n_neg=dg["n_negative_weights"],
                n=dg["n_treated_cells"],
                cohorts=dg["n_cohorts"],
            )
        ]


def twfe(
    table: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    treatment: str,
    cluster: str | None = None,
    *,
    time: TimeUnit = "auto",
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> TWFEResult:
    """Two-way fixed effects: ``outcome ~ treatment | unit + period``, CRV1 by cluster.

    Rows may be unit-periods (a classic panel) or individual trajectories with their unit
    (team, municipality) and period; the fit is done on the unit x period cells with
    their row counts as weights, which gives the same coefficient and cluster scores as
    the fit on the rows. Standard error CRV1 with fixest's small-sample factor
    ``(N-1)/(N-K) G/(G-1)`` (``K`` = 1 + number of periods, the unit effects being
    nested in the clusters), t with ``G-1`` df: the same numbers as pyfixest's
    ``feols("y ~ D | unit + period", vcov={"CRV1": cluster})``.

    With adoption at different times (or treatment switching off) the coefficient is a
    weighted average of cell effects with weights that can be negative (de Chaisemartin &
    D'Haultfœuille 2020; Goodman-Bacon 2021): the result then carries a warning with the
    number of negatively weighted cells; use :func:`event_study` instead.

    Parameters
    ----------
    treatment : str
        0/1 column, constant within each unit x period.
    cluster : str, optional
        Column that is constant within each unit (default: ``unit``).
    time : {"auto", "number", "month"}
        How ``period`` is read: integers (years, month numbers) or months
        (``YYYY-MM`` or dates); ``"auto"``: numbers when the column is numeric.
    """
    check("lang", lang, Lang)
    check("time", time, TimeUnit)
    pan = _panel(table, outcome, unit, period, None, treatment, cluster, time)
    c = pan.cells
    if c.n_clusters < 3:
        raise data_error("panel_few_clusters", g=c.n_clusters)
    if not c.d.any() or c.d.all():
        raise data_error("panel_no_variation", column=treatment)
    fit = P.twfe_fit(c)
    tcrit = stats.t.ppf(1 - alpha / 2, fit.df)
    pval = float(2 * stats.t.sf(abs(fit.estimate / fit.se), fit.df))
    # cohorts: first treated period per unit; reversals (treated then untreated)
    cell = pd.DataFrame({"u": c.unit, "p": c.period, "d": c.d}).sort_values(["u", "p"])
    first = cell[cell.d].groupby("u")["p"].min()
    reversal = bool((cell.groupby("u")["d"].diff().fillna(0) < 0).any())
    n_neg = int((fit.weights < 0).sum())
    warn = n_neg > 0 or first.nunique() > 1 or reversal
    table_ = pd.DataFrame(
        [
            {
                "outcome": outcome,
                "term": "twfe",
                "estimate": fit.estimate,
                "se": fit.se,
                "ci_low": fit.estimate - tcrit * fit.se,
                "ci_high": fit.estimate + tcrit * fit.se,
                "p_value": pval,
                "df": float(fit.df),
                "ci_method": "cluster_t",
                "n_used": pan.n_rows,
            }
        ]
    )
    diagnostics = {
        "n_used": pan.n_rows,
        "n_dropped": pan.n_dropped,
        "n_clusters": c.n_clusters,
        "small_sample_factor": fit.factor,
        "n_treated_cells": int(c.d.sum()),
        "n_negative_weights": n_neg,
        "negative_weight_sum": float(fit.weights[fit.weights < 0].sum()),
        "n_cohorts": int(first.nunique()),
        "reversal": reversal,
    }
    return TWFEResult(
        outcome,
        table_,
        txt("twfe.method", lang, g=c.n_clusters),
        txt("twfe.design", lang, unit=unit, period=period),
        diagnostics,
        warn,
        lang,
    )


# ------------------------------------------------------------------------------ event study


@dataclass(repr=False)
class EventStudyResult(TableView):
    """Result of :func:`event_study`.

    ``table`` (tidy): one row per target: ``kind`` ``"overall"``, ``"event"`` (event
    time ``event_time``; negative = pre-period placebo estimates, ``-1`` is the
    reference) or ``"cohort"`` (adoption period ``cohort``), with ``estimate, se,
    ci_low, ci_high, p_value, df, n_rows, n_clusters``. ``pretrend`` holds the joint test
    of the pre-period estimates and its power; ``bounds`` the overall and per-event-time
    intervals when the parallel-trend assumption is off by a linear trend of at most
    ``slope_bound`` per period.
    """

    TITLE: ClassVar[dict[str, str]] = title("event_study")

    outcome: str
    table: pd.DataFrame
    pretrend: dict[str, Any]
    bounds: pd.DataFrame
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"
    alpha: float = 0.05

    def _subject(self, lang: str) -> str:
        return self.outcome

    def _view(self, lang: str) -> pd.DataFrame:
        t = self.table.copy()
        t["term"] = [_term_text(r, lang) for r in t.itertuples()]
        return estimate_view(t, lang)

    def _notes(self, lang: str) -> list[str]:
        from ..i18n import format as fmt

        pt = self.pretrend
        if pt.get("p_value") is None:
            return [txt("event_study.pretrend_missing", lang)]
        out = [
            txt(
                "event_study.pretrend",
                lang,
                k=pt["n_leads"],
                p=fmt.p_value(pt["p_value"], lang),
                slope=fmt.number(pt["slope_80"], 3, lang),
                bias=fmt.number(pt["bias_at_slope_80"], 3, lang),
            )
        ]
        bd = pt.get("breakdown_slope")
        if bd is not None and np.isfinite(bd) and bd > 0:
            out.append(txt("event_study.breakdown", lang, slope=fmt.number(bd, 3, lang)))
        return out

    def plot(self, lang: str | None = None, ax: Any = None) -> Any:
        """Event-study figure: estimates by event time with their intervals."""
        return event_study_plot(self, lang=lang, ax=ax)


def _term_text(r: Any, lang: str) -> str:
    if r.kind == "overall":
        return txt("event_study.term_overall", lang)
    if r.kind == "event":
        return txt("event_study.term_event", lang, e=int(r.event_time))
    return txt("event_study.term_cohort", lang, cohort=r.cohort)


def event_study(
    table: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    adoption: str,
    cluster: str | None = None,
    *,
    window: tuple[int, int] | None = None,
    inference: EventInference = "analytic",
    n_permutations: int = 999,
    seed: int = 0,
    time: TimeUnit = "auto",
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> EventStudyResult:
    """Staggered adoption: effects by event time, cohort and overall (imputation estimator).

    The imputation estimator of Borusyak, Jaravel & Spiess (2024): unit and period
    effects are fitted on the untreated cells only (never-treated units and the
    not-yet-treated periods of the others); each treated cell's effect is its outcome
    minus that prediction, and event-time, cohort and overall effects are row-weighted
    means of these. Unlike two-way fixed effects it does not mix already-treated units
    into the comparison, so effects that differ by cohort and event time do not bias
    it. Computed as Gardner's two-stage DiD; the pre-period estimates (event time < 0,
    reference -1) are those of ``pyfixest.did2s(..., second_stage="~i(rel, ref=-1)")``.

    Inference: the two-stage GMM cluster variance (as pyfixest's ``did2s``) times
    ``G/(G-1)``, t with ``G-1`` df (``G`` clusters). Joint pre-trend test: Wald statistic
    of the pre-period estimates referred to Hotelling's T² distribution
    (``F = W (G-k) / (k (G-1))`` with ``(k, G-k)`` df; at most the ``G-2`` leads closest to
    adoption); its power against a linear differential
    trend and the slope it detects with 80% power; bounds on the effects when parallel
    trends is off by a linear trend of at most a given slope (see ``bounds``).

    Parameters
    ----------
    table : DataFrame
        Rows: unit-periods or trajectories (with their unit and period).
    unit, period : str
        The unit that adopts (team, municipality) and the period (month, quarter, year).
    adoption : str
        The first treated period of the row's unit (same coding as ``period``); missing
        for units never treated in the data.
    cluster : str, optional
        Constant within unit (default: ``unit``).
    window : (int, int), optional
        Event times reported (e.g. ``(-6, 12)``); default all.
    inference : {"analytic", "randomization"}
        For the overall effect: ``"randomization"`` replaces the cluster-robust t by
        randomization inference over the adoption times: the units' adoption periods
        (never included) are permuted ``n_permutations`` times (seeded by ``seed``) and
        the overall effect re-estimated; p-value = share at least as large (observed
        assignment included), interval by test inversion for a constant effect. Valid
        with few clusters when the order of adoption is as good as random. The
        event-time and cohort rows keep the analytic inference (their ``ci_method``).
    """
    check("lang", lang, Lang)
    check("time", time, TimeUnit)
    check("inference", inference, EventInference)
    if n_permutations < 19:
        raise usage_error("event_permutations", n=n_permutations)
    if window is not None and (len(window) != 2 or window[0] > -2 or window[1] < 0):
        raise usage_error("event_window", window=repr(window))
    pan = _panel(table, outcome, unit, period, adoption, None, cluster, time)
    c0 = pan.cells
    ok = P.identified(c0)
    c = P.subset(c0, ok) if not ok.all() else c0
    n_unidentified = int(c0.n[~ok].sum())
    if c.n_clusters < 3:
        raise data_error("panel_few_clusters", g=c.n_clusters)
    if not c.d.any():
        raise data_error("panel_no_variation", column=adoption)
    G = c.n_clusters
    tcrit = float(stats.t.ppf(1 - alpha / 2, G - 1))
    lo_w, hi_w = window if window is not None else (-P.NEVER, P.NEVER)
    ever = c.adoption != P.NEVER
    ev = c.event
    in_win = ever & (ev >= lo_w) & (ev <= hi_w)
    ev_vals = np.unique(ev[in_win & (ev != -1)])
    ev_target = np.where(in_win & (ev != -1), np.searchsorted(ev_vals, ev), -1)
    post = c.d & in_win
    adopt_num = _adoption_number(c)
    coh_vals = np.unique(adopt_num[post])
    coh_target = np.where(post, np.searchsorted(coh_vals, adopt_num), -1)
    rows: list[dict[str, Any]] = []
    fits = {}
    for kind, target, labels in (
        ("overall", np.where(post, 0, -1), [None]),
        ("event", ev_target, list(ev_vals)),
        ("cohort", coh_target, list(coh_vals)),
    ):
        f = P.imputation_fit(c, target)
        fits[kind] = (f, labels)
        se = np.sqrt(np.diag(f.vcov) * G / (G - 1))
        for j, lab in enumerate(labels):
            est = float(f.estimate[j])
            rows.append(
                {
                    "outcome": outcome,
                    "kind": kind,
                    "term": kind
                    if kind == "overall"
                    else f"{kind}_{lab if kind == 'event' else pan.period_labels.get(int(lab), lab)}",
                    "event_time": float(lab) if kind == "event" else np.nan,
                    "cohort": pan.period_labels.get(int(lab), str(lab)) if kind == "cohort" else "",
                    "estimate": est,
                    "se": float(se[j]),
                    "ci_low": est - tcrit * se[j],
                    "ci_high": est + tcrit * se[j],
                    "p_value": float(2 * stats.t.sf(abs(est / se[j]), G - 1))
                    if se[j] > 0
                    else np.nan,
                    "df": float(G - 1),
                    "ci_method": "cluster_t",
                    "n_rows": int(f.n_rows[j]),
                    "n_clusters": int(f.n_clusters_target[j]),
                }
            )
    tidy = pd.DataFrame(rows)
    ri: dict[str, Any] = {}
    if inference == "randomization":
        ri = _randomization(c, hi_w, n_permutations, seed, alpha)
        i0 = tidy.index[tidy["kind"] == "overall"][0]
        tidy.loc[i0, ["se", "df"]] = np.nan
        tidy.loc[i0, ["ci_low", "ci_high", "p_value"]] = [
            ri["ci_low"],
            ri["ci_high"],
            ri["p_value"],
        ]
        tidy.loc[i0, "ci_method"] = "randomization"
    pretrend, bounds = _pretrend_and_bounds(c, fits, ev_vals, ev_target, post, G, tcrit, alpha)
    diagnostics = {
        "n_used": pan.n_rows - n_unidentified,
        "n_dropped": pan.n_dropped,
        "n_unidentified": n_unidentified,
        "n_clusters": G,
        "n_units": c.n_units,
        "n_never_treated_units": int(len(np.unique(c.unit[~ever]))),
        "n_cohorts": len(coh_vals),
        "vcov_overall_gmm": float(fits["overall"][0].vcov[0, 0]),
        "vcov_event_gmm": fits["event"][0].vcov,
        **({"randomization": ri} if ri else {}),
    }
    return EventStudyResult(
        outcome,
        tidy,
        pretrend,
        bounds,
        txt("event_study.method", lang, g=G),
        txt(
            "event_study.design",
            lang,
            units=c.n_units,
            cohorts=len(coh_vals),
            never=diagnostics["n_never_treated_units"],
        ),
        diagnostics,
        lang,
        alpha,
    )


def _randomization(c: P.Cells, hi_w: int, n_perm: int, seed: int, alpha: float) -> dict[str, Any]:
    """Randomization inference for the overall effect: permute the units' adoption periods.

    The estimator is linear in the outcome (``a_perm @ ybar``), so under the constant
    effect ``theta`` the permutation distribution of the centred estimate is
    ``a_perm @ (ybar - theta * D_obs)`` (the imputed effect of ``theta * D_perm`` is
    exactly ``theta``): one weight vector per permutation serves every ``theta``.
    """
    from ._inversion import invert_test, share_at_least

    unit_adopt = np.full(c.n_units, P.NEVER, dtype=np.int64)
    ever = c.adoption != P.NEVER
    adopt_num = _adoption_number(c)
    unit_adopt[c.unit[ever]] = adopt_num[ever]
    rng = np.random.default_rng(seed)

    def weights(ua: np.ndarray) -> np.ndarray:
        a = ua[c.unit]
        treated = (a != P.NEVER) & (c.pnum >= a)
        target = treated & (c.pnum - a <= hi_w)
        return P.imputation_weights(c, treated, target)

    a_obs = weights(unit_adopt)
    A = np.vstack([a_obs] + [weights(rng.permutation(unit_adopt)) for _ in range(n_perm)])
    d_obs = (c.d & (c.event <= hi_w)).astype(float)
    ay, ad = A @ c.ybar, A @ d_obs
    est = float(ay[0])

    def p_at(theta: float) -> float:
        return share_at_least(ay - theta * ad, est - theta)

    scale = float(np.std(ay[1:])) or 1.0
    lo, hi = invert_test(p_at, est, scale, alpha)
    return {
        "p_value": p_at(0.0),
        "ci_low": lo,
        "ci_high": hi,
        "n_permutations": n_perm,
        "seed": seed,
        "min_p_value": 1.0 / (n_perm + 1),
    }


def _adoption_number(c: P.Cells) -> np.ndarray:
    """Adoption period in the data's period numbers (from event time and period)."""
    return np.where(c.adoption == P.NEVER, P.NEVER, c.pnum - c.event)


def _pretrend_and_bounds(
    c: P.Cells,
    fits: dict,
    ev_vals: np.ndarray,
    ev_target: np.ndarray,
    post: np.ndarray,
    G: int,
    tcrit: float,
    alpha: float,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Joint test of the pre-period estimates, its power against a linear trend, and the
    bounds under a linear violation of parallel trends of bounded slope."""
    f_ev, _ = fits["event"]
    f_all, _ = fits["overall"]
    lead = ev_vals < 0
    k = int(lead.sum())
    # the estimator applied to a unit-specific linear trend of slope 1 in event time for
    # the adopting units: the expected estimates under that violation
    signal = np.where(c.adoption != P.NEVER, c.event, 0).astype(float)
    b_ev = P.imputation_fit(c, ev_target, y=signal).estimate
    b_all = float(P.imputation_fit(c, np.where(post, 0, -1), y=signal).estimate[0])
    se_all = float(np.sqrt(f_all.vcov[0, 0] * G / (G - 1)))
    est_all = float(f_all.estimate[0])
    pre: dict[str, Any] = {"n_leads": k, "p_value": None}
    # with few clusters only the leads closest to adoption enter (Hotelling needs G > k)
    lead_idx = np.flatnonzero(lead)[::-1][: max(G - 2, 0)]
    k_used = len(lead_idx)
    if k_used >= 1:
        V = f_ev.vcov[np.ix_(lead_idx, lead_idx)] * G / (G - 1)
        b = f_ev.estimate[lead_idx]
        Vi = np.linalg.pinv(V)
        q = int(np.linalg.matrix_rank(V))
        # Hotelling T^2 small-sample reference: F = T^2 (G-q) / (q (G-1)) ~ F(q, G-q)
        scale = (G - q) / (q * (G - 1))
        F = float(b @ Vi @ b) * scale
        df2 = G - q
        crit = stats.f.ppf(1 - alpha, q, df2)
        lam1 = float(b_ev[lead_idx] @ Vi @ b_ev[lead_idx])  # noncentrality per unit slope^2

        def power(slope: float) -> float:
            return float(stats.ncf.sf(crit, q, df2, lam1 * slope**2))

        lam80 = optimize.brentq(lambda lam: stats.ncf.sf(crit, q, df2, lam) - 0.8, 1e-9, 1e6)
        s80 = float(np.sqrt(lam80 / lam1)) if lam1 > 0 else np.inf
        pre.update(
            n_leads=k_used,
            n_leads_available=k,
            statistic=F,
            df1=q,
            df2=df2,
            p_value=float(stats.f.sf(F, q, df2)),
            slope_80=s80,
            power_at_slope_80=power(s80) if np.isfinite(s80) else np.nan,
            bias_at_slope_80=abs(b_all) * s80,
            bias_per_slope=b_all,
        )
    s80 = pre.get("slope_80", np.nan)
    rows = []
    se_ev = np.sqrt(np.diag(f_ev.vcov) * G / (G - 1))
    for m in BOUND_MULTIPLES if np.isfinite(s80) else ():
        M = m * s80
        rows.append(_bound_row("overall", np.nan, m, M, est_all, se_all, b_all, tcrit))
        for j, e in enumerate(ev_vals):
            if e >= 0:
                rows.append(
                    _bound_row("event", e, m, M, f_ev.estimate[j], se_ev[j], b_ev[j], tcrit)
                )
    bounds = pd.DataFrame(
        rows,
        columns=["kind", "event_time", "multiple", "slope_bound", "estimate", "ci_low", "ci_high"],
    )
    if np.isfinite(b_all) and abs(b_all) > 0 and "p_value" in pre and pre["p_value"] is not None:
        pre["breakdown_slope"] = max(0.0, (abs(est_all) - tcrit * se_all) / abs(b_all))
    return pre, bounds


def _bound_row(kind, e, m, M, est, se, b1, tcrit) -> dict[str, Any]:
    half = M * abs(b1) + tcrit * se
    return {
        "kind": kind,
        "event_time": float(e),
        "multiple": m,
        "slope_bound": M,
        "estimate": float(est),
        "ci_low": float(est - half),
        "ci_high": float(est + half),
    }


# ------------------------------------------------------------------------------ figure


def event_study_plot(result: EventStudyResult, lang: str | None = None, ax: Any = None) -> Any:
    """Estimates by event time with their intervals; pre-period in grey, reference -1 at 0."""
    import matplotlib.pyplot as plt

    from ..i18n import check_lang

    lang = check_lang(lang or result.lang)
    t = result.table[result.table["kind"] == "event"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.8))
    else:
        fig = ax.figure
    pre = t["event_time"] < 0
    for sel, colour in ((pre, "#999999"), (~pre, "#0072B2")):
        s = t[sel]
        ax.errorbar(
            s["event_time"],
            s["estimate"],
            yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]],
            fmt="o",
            color=colour,
            capsize=2,
        )
    ax.plot([-1], [0.0], "o", color="#999999", mfc="white")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls=":")
    ax.set_xlabel(txt("event_study.axis_event", lang))
    ax.set_ylabel(result.outcome)
    ax.set_title(txt("event_study.plot_title", lang, level=int(round(100 * (1 - result.alpha)))))
    fig.tight_layout()
    return fig
