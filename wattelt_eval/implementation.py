"""Follow the implementation (``we.monitor``): is the new way of working used, per team and month?

:func:`monitor` turns the outcome stage's per-record tables (``OutcomeSet.table``,
``.goals``, ``.contacts``) into fidelity and adoption indicators per group and period,
with statistical process control (SPC): p-, u- and X̄-charts with their standard limits,
Laney's p′ and u′ for overdispersed series, and run-chart signal rules. The indicators
reuse the outcome stage's rules (``docs/outcomes.md`` section 13); the charts, rules,
references and decisions are in ``docs/monitor.md``. The figure is
:func:`wattelt_eval.plots.monitor_chart`.

References
----------
Montgomery, D. C. (2019). *Introduction to Statistical Quality Control* (8th ed.).
Wiley. Sections 7.2 (p-chart), 7.3 (u-chart), 6.3 (X̄ with variable sample size).
Laney, D. B. (2002). Improved control charts for attributes. *Quality Engineering*,
14(4), 531-537.
Provost, L. P., & Murray, S. K. (2011). *The Health Care Data Guide*. Jossey-Bass.
Anhøj, J., & Olesen, A. V. (2014). Run charts revisited. *PLoS ONE*, 9(11), e113825.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import UsageError
from .i18n import Lang, check_lang, pair, text
from .i18n import format as fmt
from .schema import STAGE

__all__ = [
    "CHART_KINDS",
    "INDICATORS",
    "INDICATOR_UNITS",
    "MONITOR_COLUMNS",
    "MonitorResult",
    "control_limits",
    "monitor",
    "signal_rules",
]

Freq = Literal["M", "Q", "W"]
By = Literal["team", "arm", "municipality"]
Chart = Literal["auto", "standard", "laney"]
Reference = Literal["own", "pooled"]

FREQS: tuple[str, ...] = ("M", "Q", "W")
BYS: tuple[str, ...] = ("team", "arm", "municipality")
CHARTS: tuple[str, ...] = ("auto", "standard", "laney")
REFERENCES: tuple[str, ...] = ("own", "pooled")

#: indicator -> chart family: ``p`` (share of units), ``u`` (count per unit), ``xbar`` (mean)
INDICATORS: dict[str, str] = {
    "board_t0": "p",
    "board_both_t0": "p",
    "plan_available": "p",
    "resident_goals": "p",
    "plan_carried": "p",
    "retellings": "u",
    "days_to_plan": "xbar",
}
#: indicator -> the unit it counts (a trajectory counts in one period only; a goal's or a
#: contact's trajectory may count in several periods)
INDICATOR_UNITS: dict[str, str] = {
    "board_t0": "trajectory",
    "board_both_t0": "trajectory",
    "plan_available": "contact",
    "resident_goals": "goal",
    "plan_carried": "trajectory",
    "retellings": "trajectory",
    "days_to_plan": "trajectory",
}
#: the chart families and the charts they can take
CHART_KINDS: dict[str, tuple[str, ...]] = {
    "p": ("p", "laney_p"),
    "u": ("u", "laney_u"),
    "xbar": ("xbar",),
}

#: Width of the control limits in standard deviations (Shewhart).
SIGMA = 3.0
#: Run rules: a shift is this many points in a row on one side of the centre line ...
SHIFT_RUN = 8
#: ... a trend this many points in a row each higher (or each lower) than the one before.
TREND_RUN = 6
#: d2 for moving ranges of two points: E|X_i - X_{i-1}| = 1.128 sigma.
D2 = 1.128
#: ``chart="auto"`` uses Laney's p′/u′ when sigma_z exceeds this (overdispersion) ...
LANEY_SIGMA_Z = 1.2
#: ... estimated from at least this many baseline points with a denominator.
LANEY_MIN_POINTS = 8

#: Columns of :attr:`MonitorResult.table`, in order.
MONITOR_COLUMNS = [
    "indicator",
    "group",
    "period",
    "numerator",
    "denominator",
    "n_trajectories",
    "share_or_rate",
    "chart",
    "baseline",
    "centre",
    "lcl",
    "ucl",
    "sigma_z",
    "signal",
    "signal_rule",
    "shown",
    "centre_shown",
]


# ------------------------------------------------------------------------------ SPC core


def _baseline_mask(n_points: int, baseline: np.ndarray | None) -> np.ndarray:
    if baseline is None:
        return np.ones(n_points, dtype=bool)
    return np.asarray(baseline, dtype=bool)


def control_limits(
    x: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    chart: str,
    baseline: Sequence[bool] | np.ndarray | None = None,
    *,
    sum_squares: Sequence[float] | np.ndarray | None = None,
    centre: Sequence[float] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Centre line and 3-sigma control limits of one series (``docs/monitor.md``).

    Parameters
    ----------
    x, n : array_like
        Numerator and denominator per period (events and units; for ``xbar`` the sum
        of the values and their number). A period with ``n == 0`` gets no value and no
        limits.
    chart : {"p", "u", "laney_p", "laney_u", "xbar"}
        ``p``: p̄ ± 3 sqrt(p̄(1 − p̄)/n_i); ``u``: ū ± 3 sqrt(ū/n_i); ``laney_p`` /
        ``laney_u``: the same with the sigma multiplied by sigma_z, the moving-range
        standard deviation of the z-scores (mean |z_i − z_{i−1}| / 1.128); ``xbar``:
        x̄̄ ± 3 s_p/sqrt(n_i) with s_p the pooled within-period standard deviation.
    baseline : array of bool, optional
        Periods the centre line, s_p and sigma_z are estimated from (default: all).
    sum_squares : array_like, optional
        ``xbar`` only: the sum of squared values per period.
    centre : array_like, optional
        A given centre line per period (``reference="pooled"``) instead of the
        baseline's pooled value.

    Returns
    -------
    dict
        ``value``, ``centre``, ``lcl``, ``ucl`` (arrays), ``sigma_z`` (float, NaN unless
        Laney) and ``chart``. ``p`` limits are clipped to [0, 1], ``u`` and ``xbar``
        lower limits at 0.
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    bl = _baseline_mask(len(x), baseline) & (n > 0)
    has = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(has, x / np.where(has, n, 1.0), np.nan)
    if centre is not None:
        c = np.asarray(centre, dtype=np.float64)
    else:
        tot_n = n[bl].sum()
        c = np.full(len(x), x[bl].sum() / tot_n if tot_n > 0 else np.nan)
    safe_n = np.where(has, n, np.nan)
    if chart in ("p", "laney_p"):
        sigma = np.sqrt(c * (1.0 - c) / safe_n)
    elif chart in ("u", "laney_u"):
        sigma = np.sqrt(c / safe_n)
    elif chart == "xbar":
        if sum_squares is None:
            raise ValueError("control_limits(chart='xbar') needs sum_squares")
        sq = np.asarray(sum_squares, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            within = sq[bl] - x[bl] ** 2 / n[bl]
        dof = (n[bl] - 1.0).sum()
        s_p = np.sqrt(max(within.sum(), 0.0) / dof) if dof > 0 else np.nan
        sigma = s_p / np.sqrt(safe_n)
    else:
        raise ValueError(f"unknown chart {chart!r}")
    sigma_z = np.nan
    if chart.startswith("laney"):
        sigma_z = _sigma_z(value, c, sigma, bl)
        sigma = sigma * sigma_z
    lcl = c - SIGMA * sigma
    ucl = c + SIGMA * sigma
    if chart in ("p", "laney_p"):
        lcl, ucl = np.clip(lcl, 0.0, 1.0), np.clip(ucl, 0.0, 1.0)
    else:
        lcl = np.maximum(lcl, 0.0)
    lcl = np.where(has, lcl, np.nan)
    ucl = np.where(has, ucl, np.nan)
    return {"value": value, "centre": c, "lcl": lcl, "ucl": ucl, "sigma_z": sigma_z, "chart": chart}


def _sigma_z(value: np.ndarray, c: np.ndarray, sigma: np.ndarray, bl: np.ndarray) -> float:
    """Laney's sigma_z: mean moving range of the baseline z-scores / 1.128 (NaN: < 2 points).

    Consecutive means consecutive among the baseline periods that have a value; a
    period with zero sigma (a centre line of 0 or 1) gives no z-score.
    """
    ok = bl & np.isfinite(value) & (sigma > 0)
    z = (value[ok] - c[ok]) / sigma[ok]
    if len(z) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(z))) / D2)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of True in ``flags``."""
    d = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def signal_rules(
    value: Sequence[float] | np.ndarray,
    centre: Sequence[float] | np.ndarray,
    lcl: Sequence[float] | np.ndarray,
    ucl: Sequence[float] | np.ndarray,
    *,
    shift: int = SHIFT_RUN,
    trend: int = TREND_RUN,
) -> list[str]:
    """The signal rules each point of a series breaks, in time order (``docs/monitor.md``).

    * ``outside``: the point lies above the upper or below the lower control limit;
    * ``shift``: the point belongs to ``shift`` or more points in a row on the same side
      of the centre line (points exactly on it neither count nor break the run);
    * ``trend``: the point belongs to ``trend`` or more points in a row each higher (or
      each lower) than the one before (a repeated value neither counts nor breaks it).

    Points without a value (no denominator) are skipped: the run goes on over them.

    Returns
    -------
    list of str
        Per point the rules it breaks joined by ``+`` (``"shift+trend"``), ``""`` if none.
    """
    v = np.asarray(value, dtype=np.float64)
    c = np.asarray(centre, dtype=np.float64) * np.ones(len(v))
    rules: list[list[str]] = [[] for _ in range(len(v))]
    with np.errstate(invalid="ignore"):
        out = (v > np.asarray(ucl, dtype=np.float64)) | (v < np.asarray(lcl, dtype=np.float64))
    for i in np.flatnonzero(out):
        rules[i].append("outside")
    # shift: the points off the centre line, by side
    idx = np.flatnonzero(np.isfinite(v) & np.isfinite(c) & (v != c))
    side = np.sign(v[idx] - c[idx])
    for s in (1.0, -1.0):
        for a, b in _runs(side == s):
            if b - a >= shift:
                for i in idx[a:b]:
                    rules[i].append("shift")
    # trend: the points with a value, repeated values merged into the first of them
    idx = np.flatnonzero(np.isfinite(v))
    if len(idx) >= 2:
        keep = np.r_[True, v[idx][1:] != v[idx][:-1]]
        first = idx[keep]
        step = np.sign(np.diff(v[first]))
        marked = np.zeros(len(v), dtype=bool)
        for s in (1.0, -1.0):
            for a, b in _runs(step == s):
                if b - a + 1 >= trend:  # b - a steps join b - a + 1 points
                    lo, hi = first[a], first[b]
                    marked[lo : hi + 1] = True
        for i in np.flatnonzero(marked & np.isfinite(v)):
            rules[i].append("trend")
    order = ("outside", "shift", "trend")
    return ["+".join(r for r in order if r in set(rs)) for rs in rules]


def choose_chart(
    kind: str, chart: str, value: np.ndarray, centre: np.ndarray, n: np.ndarray, bl: np.ndarray
) -> str:
    """The chart of one series: ``standard``/``laney`` as asked, ``auto`` by sigma_z.

    ``auto`` takes Laney's p′/u′ when sigma_z of the standard chart's baseline z-scores
    exceeds :data:`LANEY_SIGMA_Z` with at least :data:`LANEY_MIN_POINTS` baseline points
    (``docs/monitor.md``, "Which chart"); ``xbar`` has no Laney form.
    """
    std, laney = CHART_KINDS[kind][0], CHART_KINDS[kind][-1]
    if kind == "xbar" or chart == "standard":
        return std
    if chart == "laney":
        return laney
    sig = _unclipped_sigma(kind, centre, n)
    bl = np.asarray(bl, dtype=bool)
    with np.errstate(invalid="ignore"):
        ok = bl & np.isfinite(value) & (sig > 0)
    if ok.sum() < LANEY_MIN_POINTS:
        return std
    sz = _sigma_z(value, centre, sig, bl)
    return laney if np.isfinite(sz) and sz > LANEY_SIGMA_Z else std


def _unclipped_sigma(kind: str, c: np.ndarray, n: np.ndarray) -> np.ndarray:
    safe_n = np.where(n > 0, n, np.nan)
    if kind == "p":
        return np.sqrt(c * (1.0 - c) / safe_n)
    return np.sqrt(c / safe_n)


# ------------------------------------------------------------------------------ indicators


def _outcome_set(data: Any) -> Any:
    from .outcome import OutcomeSet, outcome_set

    if isinstance(data, OutcomeSet):
        if data.data is None:
            raise UsageError(*pair("monitor.error.data", value="OutcomeSet(data=None)"))
        return data
    if hasattr(data, "trajectories") and hasattr(data, "goals"):
        return outcome_set(data)
    raise UsageError(*pair("monitor.error.data", value=type(data).__name__))


def _records(
    oset: Any, by: str | None, names: Sequence[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    """Per indicator, one row per counted unit: ``group, when, x, n, sq, tc``.

    ``tc`` is the trajectory's row in the outcome table (for counting residents);
    the rules are the outcome stage's (``docs/outcomes.md`` section 13). Also, per
    indicator, the units left out by reason (``{indicator: {reason: n}}``): a trajectory
    without ``start_date`` (already in the exclusion log), a handover or specialist
    contact without ``plan_available``, a plan without ``date``.
    """
    t = oset.table
    start = pd.to_datetime(t["start_date"])
    grp = (
        pd.Series("all", index=t.index, dtype="object")
        if by is None
        else t[by].astype("string").fillna("NA").astype("object")
    )
    tid = pd.Index(t["trajectory_id"].astype("string"))
    out: dict[str, pd.DataFrame] = {}
    left: dict[str, dict[str, int]] = {name: {} for name in names}

    def frame(tc: np.ndarray, when: Any, x: Any, sq: Any = None) -> pd.DataFrame:
        x = np.asarray(x, dtype=np.float64)
        f = pd.DataFrame(
            {
                "group": grp.to_numpy()[tc],
                "when": pd.to_datetime(pd.Series(np.asarray(when))).to_numpy(),
                "x": x,
                "n": np.ones(len(tc)),
                "sq": x**2 if sq is None else sq,
                "tc": tc,
            }
        )
        return f[f["when"].notna()].reset_index(drop=True)

    def drop_count(name: str, reason: str, n: int) -> None:
        if n:
            left[name][reason] = left[name].get(reason, 0) + int(n)

    all_tc = np.arange(len(t))
    if "board_t0" in names:
        out["board_t0"] = frame(all_tc, start, t["n_problem_domains_t0"].notna())
    if "board_both_t0" in names:
        out["board_both_t0"] = frame(all_tc, start, t["disagreement_t0"].notna())
    if "retellings" in names:
        has = t["n_retells"].notna().to_numpy()
        out["retellings"] = frame(
            all_tc[has], start[has], t["n_retells"][has].to_numpy(dtype=np.float64)
        )
    if any(k in names for k in ("resident_goals", "plan_carried", "days_to_plan")):
        g = oset.goals
        gtc = tid.get_indexer(g["trajectory_id"].astype("string"))
        stage = g["stage"].cat.codes.to_numpy()  # codes into schema.STAGE
        if "resident_goals" in names:
            first = stage == g["first_stage"].cat.codes.to_numpy()
            sel = first & (gtc >= 0)
            out["resident_goals"] = frame(
                gtc[sel], start.to_numpy()[gtc[sel]], g["resident_goal"].to_numpy()[sel]
            )
        if "plan_carried" in names:
            sel = (stage == STAGE.index("specialist_plan")) & (gtc >= 0)
            cont = pd.Series(g["parent_id"].notna().to_numpy()[sel]).groupby(gtc[sel]).all()
            tc = cont.index.to_numpy(dtype=np.int64)
            out["plan_carried"] = frame(tc, start.to_numpy()[tc], cont.to_numpy())
        if "days_to_plan" in names:
            sel = (stage > STAGE.index("intake")) & g["date"].notna().to_numpy() & (gtc >= 0)
            first_day = pd.Series(pd.to_datetime(g["date"]).to_numpy()[sel]).groupby(gtc[sel]).min()
            tc = first_day.index.to_numpy(dtype=np.int64)
            days = (first_day.to_numpy() - start.to_numpy()[tc]) / np.timedelta64(1, "D")
            out["days_to_plan"] = frame(tc, start.to_numpy()[tc], days)
            later = (stage > STAGE.index("intake")) & (gtc >= 0)
            undated = np.setdiff1d(np.unique(gtc[later]), tc)
            drop_count("days_to_plan", "plan_no_date", len(undated))
    if "plan_available" in names:
        c = oset.contacts
        ctc = tid.get_indexer(c["trajectory_id"].astype("string"))
        kind = (c["contact_type"] == "handover") | (c["role"] == "specialist")
        pa_ = c["plan_available"].astype("boolean")
        sel = (kind & pa_.notna()).to_numpy() & (ctc >= 0)
        drop_count("plan_available", "plan_not_recorded", int((kind & pa_.isna()).sum()))
        out["plan_available"] = frame(
            ctc[sel],
            pd.to_datetime(c["date"]).to_numpy()[sel],
            pa_.to_numpy(dtype=bool, na_value=False)[sel],
        )
    no_start = int(start.isna().sum())
    for name in ("board_t0", "board_both_t0", "retellings", "resident_goals", "plan_carried"):
        if name in names:
            drop_count(name, "no_start_date", no_start)
    return out, left


_MISSING_REASON = {
    "plan_carried": "no_specialist",
    "plan_available": "no_contacts",
    "days_to_plan": "no_plan_dates",
}


def _aggregate(rec: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Per group x period: numerator, denominator, sum of squares, residents; all periods."""
    rec = rec.assign(period=rec["when"].dt.to_period(freq))
    agg = rec.groupby(["group", "period"], sort=True, observed=True).agg(
        numerator=("x", "sum"),
        denominator=("n", "sum"),
        sum_squares=("sq", "sum"),
        n_trajectories=("tc", "nunique"),
    )
    periods = pd.period_range(rec["period"].min(), rec["period"].max(), freq=freq)
    groups = sorted(rec["group"].unique().tolist())
    full = pd.MultiIndex.from_product([groups, periods], names=["group", "period"])
    return agg.reindex(full, fill_value=0).reset_index()


def _baseline_flags(periods: pd.PeriodIndex, baseline: Any, freq: str) -> np.ndarray:
    """Which of the indicator's periods form the baseline."""
    if baseline is None:
        return np.ones(len(periods), dtype=bool)
    if isinstance(baseline, (int, np.integer)) and not isinstance(baseline, bool):
        return np.arange(len(periods)) < int(baseline)
    lo, hi = baseline
    p_lo = pd.Period(pd.Timestamp(lo), freq=freq)
    p_hi = pd.Period(pd.Timestamp(hi), freq=freq)
    return np.asarray((periods >= p_lo) & (periods <= p_hi))


def _check_baseline(baseline: Any) -> None:
    if baseline is None:
        return
    if isinstance(baseline, (int, np.integer)) and not isinstance(baseline, bool):
        if int(baseline) >= 1:
            return
    elif isinstance(baseline, (tuple, list)) and len(baseline) == 2:
        try:
            lo, hi = (pd.Timestamp(b) for b in baseline)
        except (ValueError, TypeError):
            lo = hi = pd.NaT
        if pd.notna(lo) and pd.notna(hi) and lo <= hi:
            return
    raise UsageError(*pair("monitor.error.baseline", value=repr(baseline)))


def _check_choice(value: Any, known: Sequence[Any], key: str) -> None:
    if value not in known:
        raise UsageError(
            *pair(f"monitor.error.{key}", known=", ".join(map(str, known)), value=repr(value))
        )


def _series(
    a: pd.DataFrame, kind: str, chart: str, bl: np.ndarray, pooled: np.ndarray | None
) -> pd.DataFrame:
    """Limits and signals of one group's series (``a`` in period order)."""
    x, n = a["numerator"].to_numpy(float), a["denominator"].to_numpy(float)
    sq = a["sum_squares"].to_numpy(float)
    std = CHART_KINDS[kind][0]
    basic = control_limits(x, n, std, bl, sum_squares=sq, centre=pooled)
    name = choose_chart(kind, chart, basic["value"], basic["centre"], n, bl)
    lim = basic if name == std else control_limits(x, n, name, bl, sum_squares=sq, centre=pooled)
    rules = signal_rules(lim["value"], lim["centre"], lim["lcl"], lim["ucl"])
    return a.assign(
        share_or_rate=lim["value"],
        chart=name,
        baseline=bl,
        centre=np.where(n > 0, lim["centre"], np.nan),
        lcl=lim["lcl"],
        ucl=lim["ucl"],
        sigma_z=lim["sigma_z"],
        signal=[r != "" for r in rules],
        signal_rule=rules,
    )


def _centre_shown(table: pd.DataFrame, reference: str, threshold: int) -> np.ndarray:
    """Whether the centre line rests on enough residents to be shown.

    ``own``: the group's baseline periods together have at least ``threshold``
    residents; ``pooled``: all groups together in the period have.
    """
    if reference == "pooled":
        keys = ["indicator", "period"]
        n = table.groupby(keys, sort=False)["n_trajectories"].transform("sum")
    else:
        keys = ["indicator", "group"]
        n = (
            table["n_trajectories"]
            .where(table["baseline"], 0)
            .groupby([table[k] for k in keys], sort=False)
            .transform("sum")
        )
    return (n >= threshold).to_numpy()


def monitor(
    data: Any,
    freq: Freq = "M",
    by: By | None = "team",
    indicators: Sequence[str] | None = None,
    baseline: int | tuple[Any, Any] | None = None,
    chart: Chart | Mapping[str, Chart] = "auto",
    *,
    reference: Reference = "own",
    min_count: int | None = None,
    lang: Lang = "nl",
) -> MonitorResult:
    """Fidelity and adoption indicators per group and period, with SPC limits and signals.

    Parameters
    ----------
    data : PilotData or OutcomeSet
        The package (``we.load``, ``we.synth.generate``) or its outcome set.
    freq : {"M", "Q", "W"}
        Period: month (default), quarter or week. Trajectory indicators count in the
        period of ``start_date``; ``plan_available`` in the period of the contact.
    by : {"team", "arm", "municipality"} or None
        The groups (small multiples); ``None``: the pilot as a whole.
    indicators : list of str, optional
        Some of :data:`INDICATORS` (default: all).
    baseline : int or (start, end), optional
        Periods the centre line and limits are estimated from: all (default), the
        first ``k`` periods, or the periods from ``start`` to ``end`` (dates). Later
        periods are judged against the limits of the baseline.
    chart : {"auto", "standard", "laney"} or dict
        ``standard``: p-, u- or X̄-chart; ``laney``: p′/u′; ``auto``: Laney where the
        series is overdispersed (:func:`choose_chart`). A dict sets it per indicator.
    reference : {"own", "pooled"}
        ``own``: each group's own baseline (classic SPC); ``pooled``: the centre line of
        each period is all groups together, so a group lagging the others stands out.
    min_count : int, optional
        Disclosure threshold (default the study's rule): a period with fewer residents
        is kept in the table with ``shown`` false and is not drawn as a share.
    lang : {"nl", "en"}
        Language of ``summary()`` and the HTML view.

    Returns
    -------
    MonitorResult
        ``.table`` (columns :data:`MONITOR_COLUMNS`) is the single source of
        ``summary()``, the HTML view and :func:`wattelt_eval.plots.monitor_chart`.
    """
    from .disclosure import resolve_rule

    check_lang(lang)
    _check_choice(freq, FREQS, "freq")
    _check_choice(by, (*BYS, None), "by")
    _check_choice(reference, REFERENCES, "reference")
    _check_baseline(baseline)
    names = list(INDICATORS) if indicators is None else list(indicators)
    for name in names:
        _check_choice(name, list(INDICATORS), "indicator")
    charts = dict(chart) if isinstance(chart, Mapping) else {k: chart for k in names}
    for name in names:
        _check_choice(charts.get(name, "auto"), CHARTS, "chart")
    oset = _outcome_set(data)
    study = getattr(oset.data, "study", None)
    rule = resolve_rule(study if hasattr(study, "disclosure_rule") else None, min_count)
    threshold = int(rule.min_n) if min_count is None else int(min_count)

    recs, left_out = _records(oset, by, names)
    parts: list[pd.DataFrame] = []
    missing: dict[str, str] = {}
    for name in names:
        rec = recs[name]
        if len(rec) == 0 or rec["n"].sum() == 0:
            missing[name] = _MISSING_REASON.get(name, "no_rows")
            continue
        agg = _aggregate(rec, freq)
        periods = pd.PeriodIndex(agg["period"].unique(), freq=freq)
        bl_of = dict(zip(periods, _baseline_flags(periods, baseline, freq), strict=True))
        pooled = None
        if reference == "pooled":
            tot = agg.groupby("period", sort=True)[["numerator", "denominator"]].sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                pooled_of = (tot["numerator"] / tot["denominator"]).to_dict()
        for _, a in agg.groupby("group", sort=True):
            a = a.sort_values("period")
            bl = np.array([bl_of[p] for p in a["period"]])
            if reference == "pooled":
                pooled = np.array([pooled_of[p] for p in a["period"]], dtype=np.float64)
                if INDICATORS[name] == "xbar":
                    pooled = None  # the X̄ chart keeps its own centre (docs/monitor.md)
            s = _series(a, INDICATORS[name], charts.get(name, "auto"), bl, pooled)
            parts.append(s.assign(indicator=name))
    if parts:
        table = pd.concat(parts, ignore_index=True)
        table["period"] = table["period"].dt.start_time
        table["shown"] = table["n_trajectories"] >= threshold
        table["centre_shown"] = _centre_shown(table, reference, threshold)
        for col in ("numerator", "denominator"):
            table[col] = table[col].astype(np.float64)
        table["n_trajectories"] = table["n_trajectories"].astype(np.int64)
        table = table[MONITOR_COLUMNS]
    else:
        table = pd.DataFrame(columns=MONITOR_COLUMNS)
    return MonitorResult(
        table=table,
        freq=freq,
        by=by,
        baseline=baseline,
        reference=reference,
        threshold=threshold,
        missing=missing,
        left_out={k: v for k, v in left_out.items() if v},
        rule=rule,
        lang=lang,
    )


# ------------------------------------------------------------------------------ the result


def _t(key: str, lang: str, **kw: Any) -> str:
    return text(f"monitor.{key}", lang, **kw)


def period_label(start: Any, freq: str) -> str:
    """A period by its start: ``2024-03`` (month), ``2024-Q1`` (quarter), ISO date (week)."""
    ts = pd.Timestamp(start)
    if freq == "M":
        return f"{ts:%Y-%m}"
    if freq == "Q":
        return f"{ts.year}-Q{ts.quarter}"
    return f"{ts:%Y-%m-%d}"


def indicator_label(name: str, lang: str = "nl") -> str:
    """Human label of an indicator."""
    return _t(f"indicator.{name}", lang)


def _fmt_value(x: Any, kind: str, lang: str) -> str:
    if fmt.is_missing(x):
        return fmt.MISSING
    if kind == "p":
        return fmt.percent(x, 0, lang)
    return fmt.number(x, 0 if kind == "xbar" else 2, lang)


@dataclass(repr=False)
class MonitorResult:
    """Result of :func:`monitor`: the tidy table and how it was made.

    ``summary()`` (also ``repr``) and ``_repr_html_`` derive everything from ``table``;
    a period below the disclosure threshold (``shown`` false) is never printed as a
    share. The figure: :func:`wattelt_eval.plots.monitor_chart`.
    """

    table: pd.DataFrame
    freq: str
    by: str | None
    baseline: Any
    reference: str
    threshold: int
    missing: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    rule: Any = None
    lang: str = "nl"

    def tidy(self) -> pd.DataFrame:
        """The tidy table (the single source of every view)."""
        return self.table

    def _title(self, lang: str) -> str:
        by = _t(f"by.{self.by or 'none'}", lang)
        return _t("title", lang, by=by, freq=_t(f"freq.{self.freq}", lang))

    def _baseline_text(self, lang: str) -> str:
        b = self.baseline
        if b is None:
            return _t("baseline_all", lang)
        if isinstance(b, (int, np.integer)):
            return _t("baseline_first", lang, k=int(b))
        lo, hi = (fmt.date(pd.Timestamp(v), lang, "iso") for v in b)
        return _t("baseline_range", lang, start=lo, end=hi)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        return [
            (_t("label.baseline", lang), self._baseline_text(lang)),
            (_t("label.reference", lang), _t(f"reference.{self.reference}", lang)),
        ]

    def _view(self, lang: str) -> pd.DataFrame:
        """Per indicator and group: chart, centre line, latest shown value, signals."""
        rows = []
        t = self.table
        for (ind, grp), s in t.groupby(["indicator", "group"], sort=False):
            kind = INDICATORS[ind]
            with_n = s[s["denominator"] > 0]
            centre = with_n.loc[with_n["centre_shown"], "centre"].dropna()
            shown = with_n[with_n["shown"]]
            last = shown.iloc[-1] if len(shown) else None
            rules = sorted(
                {r for rr in s.loc[s["shown"], "signal_rule"] for r in rr.split("+") if r}
            )
            n_sig = int((s["signal"] & s["shown"]).sum())
            rows.append(
                {
                    _t("label.indicator", lang): indicator_label(ind, lang),
                    _t("label.group", lang): grp,
                    _t("label.chart", lang): _t(f"chart.{s['chart'].iloc[0]}", lang),
                    _t("label.periods", lang): len(with_n),
                    _t("label.centre", lang): _fmt_value(
                        centre.iloc[-1] if len(centre) else None, kind, lang
                    ),
                    _t("label.latest", lang): ""
                    if last is None
                    else (
                        f"{period_label(last['period'], self.freq)}: "
                        f"{_fmt_value(last['share_or_rate'], kind, lang)}"
                    ),
                    _t("label.signals", lang): f"{n_sig}"
                    + (f" ({', '.join(_t(f'rule.{r}', lang) for r in rules)})" if rules else ""),
                }
            )
        return pd.DataFrame(rows)

    def _notes(self, lang: str) -> list[str]:
        notes = [
            _t("note.rules", lang, shift=SHIFT_RUN, trend=TREND_RUN),
            _t("note.small", lang, t=self.threshold),
        ]
        for ind, reason in self.missing.items():
            notes.append(
                f"{indicator_label(ind, lang)}: "
                + _t("note.no_data", lang, reason=_t(f"missing.{reason}", lang))
            )
        from .disclosure import format_count

        for ind, reasons in self.left_out.items():
            for reason, n in reasons.items():
                count = format_count(n, self.rule, lang=lang)
                notes.append(
                    f"{indicator_label(ind, lang)}: " + _t(f"left_out.{reason}", lang, n=count)
                )
        return notes

    def summary(self, lang: str | None = None) -> str:
        """Plain-text summary (in the result's language unless ``lang`` is given)."""
        lang = check_lang(lang or self.lang)
        lines = [self._title(lang)]
        lines += [f"{k}: {v}" for k, v in self._header(lang)]
        lines += ["", self._view(lang).to_string(index=False)]
        lines += [""] + self._notes(lang)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        lang = check_lang(self.lang)
        head = "".join(
            f"<div><b>{html.escape(k)}</b>: {html.escape(v)}</div>" for k, v in self._header(lang)
        )
        notes = "".join(f"<p><small>{html.escape(n)}</small></p>" for n in self._notes(lang))
        return (
            f"<div><h4>{html.escape(self._title(lang))}</h4>{head}"
            f"{self._view(lang).to_html(index=False)}{notes}</div>"
        )
