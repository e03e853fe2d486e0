"""Plausibility and time checks: records after the extract date, dates outside the study
period, Excel's zero dates, ages and provision volumes (thresholds in ``study.toml``).

All warnings except a birth year after the start (a negative age cannot be true: an error).
Each check reads the parsed tables of a :class:`~.cross.CrossContext`; none changes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import RECORD_DATES
from ..i18n import LANGS, pair, text
from ..schema import TABLES
from . import reasons as _reasons  # noqa: F401 - declares the reason codes
from .cross import CrossContext, _iso, _rows
from .parse import fmt_num, plain_num
from .problems import Problems
from .registry import check, reason

__all__ = ["EXCEL_ZERO_DATES", "HOURS_PER_UNIT", "WEEKS_PER"]

reason("after_extract_date", "warning")
reason("outside_study_period", "warning")
reason("excel_zero_date", "warning")
reason("implausible_age", "warning")
reason("birth_after_start", "error")
reason("implausible_volume", "warning")

#: Dates an empty or zero Excel date cell turns into (serial 0 and 1; LibreOffice's 0).
EXCEL_ZERO_DATES = ("1899-12-30", "1899-12-31", "1900-01-01")
#: Hours in one unit of a provision's volume (units of time only).
HOURS_PER_UNIT = {"minute": 1 / 60, "hour": 1.0, "day_part": 4.0, "day": 24.0}
#: Weeks in one period of a provision's frequency (``total``: the provision's own length).
WEEKS_PER = {"per_week": 1.0, "per_month": 365.25 / 12 / 7, "per_day": 1 / 7}

_EVENT_DATES = [(t, c) for t, c in RECORD_DATES if (t, c) != ("trajectories", "end_date")]


@check("after_extract_date", "cross", "after_extract_date")
def check_after_extract_date(ctx: CrossContext, P: Problems) -> None:
    """Records dated after the extract date (they are left out of the outcomes)."""
    if ctx.extract_date is None:
        return
    day = ctx.extract_date
    iso = day.strftime("%Y-%m-%d")
    expected = pair(f"validation.expected.extract_{ctx.extract_source}", date=iso)
    for table, col in _EVENT_DATES:
        if not ctx.has(table, col):
            continue
        t = ctx.tables[table]
        late = (t[col] > day).fillna(False).to_numpy(dtype=bool)
        if late.any():
            P.add(
                "after_extract_date",
                ctx.sources[table],
                _rows(t, late),
                col,
                _iso(t[col][late]),
                expected,
                pair("validation.detail.excluded_after"),
            )


@check("study_period", "cross", "outside_study_period")
def check_study_period(ctx: CrossContext, P: Problems) -> None:
    """Record dates outside ``study.period_start`` .. ``study.period_end`` (when given)."""
    st = ctx.study
    start = getattr(st, "period_start", None)
    end = getattr(st, "period_end", None)
    if not (start or end):
        return
    lo = pd.Timestamp(start) if start else pd.Timestamp.min
    hi = pd.Timestamp(end) if end else pd.Timestamp.max
    expected = pair("validation.expected.in_period", start=start or "…", end=end or "…")
    for table, col in _EVENT_DATES:
        if not ctx.has(table, col):
            continue
        t = ctx.tables[table]
        out = ((t[col] < lo) | (t[col] > hi)).fillna(False).to_numpy(dtype=bool)
        if out.any():
            P.add(
                "outside_study_period",
                ctx.sources[table],
                _rows(t, out),
                col,
                _iso(t[col][out]),
                expected,
            )


@check("excel_zero_dates", "cross", "excel_zero_date")
def check_excel_zero_dates(ctx: CrossContext, P: Problems) -> None:
    """Every date column: Excel's zero dates (an empty cell formatted as a date)."""
    zeros = pd.to_datetime(list(EXCEL_ZERO_DATES))
    for name, t in ctx.tables.items():
        for col in TABLES[name].columns:
            if col.type != "date" or col.name not in ctx.present[name]:
                continue
            hit = t[col.name].isin(zeros).to_numpy(dtype=bool)
            if hit.any():
                P.add(
                    "excel_zero_date",
                    ctx.sources[name],
                    _rows(t, hit),
                    col.name,
                    _iso(t[col.name][hit]),
                    pair("validation.expected.real_date"),
                )


@check("plausible_age", "cross", "birth_after_start", "implausible_age")
def check_plausible_age(ctx: CrossContext, P: Problems) -> None:
    """Age at the start (start year - birth year): negative is an error, outside
    ``plausibility.min_age`` .. ``max_age`` a warning."""
    if not ctx.has("trajectories", "birth_year", "start_date"):
        return
    t = ctx.tables["trajectories"]
    age = (
        t["start_date"].dt.year.astype("float64")
        - pd.to_numeric(t["birth_year"], errors="coerce").astype("float64")
    ).to_numpy(dtype="float64", na_value=np.nan)
    shown = t["birth_year"].astype("string").fillna("").to_numpy(dtype=object)
    neg = ~np.isnan(age) & (age < 0)
    if neg.any():
        P.add(
            "birth_after_start",
            ctx.sources["trajectories"],
            _rows(t, neg),
            "birth_year",
            shown[neg],
            pair("validation.expected.born_before_start"),
        )
    lo = getattr(ctx.study, "plausibility_min_age", 0)
    hi = getattr(ctx.study, "plausibility_max_age", 110)
    odd = ~np.isnan(age) & ~neg & ((age < lo) | (age > hi))
    if odd.any():
        expected = tuple(
            text("validation.expected.age_between", lg, low=fmt_num(lo, lg), high=fmt_num(hi, lg))
            for lg in LANGS
        )
        ages = np.array([plain_num(a) for a in age[odd]], dtype=object)
        detail = (
            np.array([text("validation.detail.age", "nl", age=a) for a in ages], dtype=object),
            np.array([text("validation.detail.age", "en", age=a) for a in ages], dtype=object),
        )
        P.add(
            "implausible_age",
            ctx.sources["trajectories"],
            _rows(t, odd),
            "birth_year",
            shown[odd],
            expected,
            detail,
        )


@check("plausible_volume", "cross", "implausible_volume")
def check_plausible_volume(ctx: CrossContext, P: Problems) -> None:
    """A provision's volume as hours per week above ``plausibility.max_hours_per_week``.

    Units of time only (minute, hour, day part = 4 h, day = 24 h); ``per_day`` is times 7,
    ``per_month`` divided by 365.25 / 12 / 7 weeks; ``total`` by the provision's own length in weeks
    (start to end, both inclusive; open-ended: not checked).
    """
    if not ctx.has("provisions", "volume", "unit"):
        return
    t = ctx.tables["provisions"]
    vol = pd.to_numeric(t["volume"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    per_unit = t["unit"].astype(object).map(HOURS_PER_UNIT).astype("float64").to_numpy()
    freq = (
        t["frequency"].astype(object).fillna("total")
        if "frequency" in ctx.present["provisions"]
        else pd.Series("total", index=t.index)
    )
    weeks = freq.map(WEEKS_PER).astype("float64").to_numpy()
    if ctx.has("provisions", "start_date", "end_date"):
        length = ((t["end_date"] - t["start_date"]).dt.days + 1) / 7
        total = (freq == "total").to_numpy() & length.notna().to_numpy() & (length > 0).to_numpy()
        weeks = np.where(total, length.to_numpy(dtype="float64", na_value=np.nan), weeks)
    hours = vol * per_unit / weeks
    limit = float(getattr(ctx.study, "plausibility_max_hours_per_week", 168.0))
    high = ~np.isnan(hours) & (hours > limit)
    if high.any():
        expected = tuple(
            text("validation.expected.hours_per_week", lg, limit=fmt_num(limit, lg)) for lg in LANGS
        )
        shown = np.array([plain_num(v) for v in vol[high]], dtype=object)
        detail = tuple(
            np.array(
                [
                    text("validation.detail.hours_per_week", lg, hours=fmt_num(round(h, 1), lg))
                    for h in hours[high]
                ],
                dtype=object,
            )
            for lg in LANGS
        )
        P.add(
            "implausible_volume",
            ctx.sources["provisions"],
            _rows(t, high),
            "volume",
            shown,
            expected,
            detail,
        )


reason("no_lineage", "warning")
reason("measurements_not_from_zero", "warning")


@check("lineage_recorded", "cross", "no_lineage")
def check_lineage_recorded(ctx: CrossContext, P: Problems) -> None:
    """No goal has ``derived_from`` while goals span several stages: retention is unknown."""
    if not ctx.has("goals", "trajectory_id", "stage"):
        return
    g = ctx.tables["goals"]
    if not len(g) or ("derived_from" in ctx.present["goals"] and g["derived_from"].notna().any()):
        return
    multi = g.groupby("trajectory_id", observed=True)["stage"].nunique()
    n = int((multi > 1).sum())
    if n:
        has_text = "text" in ctx.present["goals"] and bool(g["text"].notna().any())
        P.add(
            "no_lineage",
            ctx.sources["goals"],
            None,
            "derived_from",
            str(n),
            pair("validation.expected.lineage"),
            pair("validation.detail.infer_lineage") if has_text else ("", ""),
        )


reason("link_source_without_link", "warning")


@check("link_source", "cross", "link_source_without_link")
def check_link_source(ctx: CrossContext, P: Problems) -> None:
    """``derived_from_source`` filled where ``derived_from`` is empty: a link went missing."""
    if not ctx.has("goals", "derived_from_source"):
        return
    g = ctx.tables["goals"]
    link = g["derived_from"] if "derived_from" in ctx.present["goals"] else None
    bad = g["derived_from_source"].notna().to_numpy(dtype=bool)
    if link is not None:
        bad = bad & link.isna().to_numpy(dtype=bool)
    if bad.any():
        P.add(
            "link_source_without_link",
            ctx.sources["goals"],
            _rows(g, bad),
            "derived_from_source",
            g["derived_from_source"].to_numpy(dtype=object)[bad],
            pair("validation.expected.link_source"),
        )


@check("measurement_baseline", "cross", "measurements_not_from_zero")
def check_measurement_baseline(ctx: CrossContext, P: Problems) -> None:
    """Trajectories whose domain scores do not start at 0.

    When no score in the package has measurement 0 the package's lowest measurement is
    taken as the baseline (the outcome stage's rule); otherwise those trajectories have no
    board at intake and their ``_t0`` outcomes are missing.
    """
    if not ctx.has("domain_scores", "trajectory_id", "measurement"):
        return
    d = ctx.tables["domain_scores"]
    m = pd.to_numeric(d["measurement"], errors="coerce")
    n = _starting_above_zero(d["trajectory_id"], m)
    if n:
        P.add(
            "measurements_not_from_zero",
            ctx.sources["domain_scores"],
            None,
            "measurement",
            str(n),
            pair("validation.expected.baseline_zero"),
            pair(
                "validation.detail.baseline_rule"
                if (m > 0).all() or m.isna().all()
                else "validation.detail.no_intake_board"
            ),
        )


def _starting_above_zero(ids: pd.Series, m: pd.Series) -> int:
    """Number of trajectories whose lowest measurement is above 0 (missing ones skipped).

    ``(m.groupby(ids).min() > 0).sum()`` over integer codes (a categorical's own codes),
    without a hash table of tens of millions of rows.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes, k = ids.cat.codes.to_numpy(), len(ids.cat.categories)
    else:
        codes, uniq = pd.factorize(ids)
        k = len(uniq)
    vals = m.to_numpy(dtype="float64", na_value=np.nan)
    ok = (codes >= 0) & ~np.isnan(vals)
    first = np.full(k, np.inf)
    np.fmin.at(first, codes[ok], vals[ok])
    return int((np.isfinite(first) & (first > 0)).sum())
