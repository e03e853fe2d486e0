"""The validated pilot data package in memory: :class:`PilotData` and :class:`StudySettings`."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .i18n import text, texts
from .i18n.format import number
from .instruments import Instrument, load_instrument
from .schema import STUDY_FIELDS, TABLES, StudyField

#: Columns of the exclusion log, in order.
EXCLUSION_COLUMNS = [
    "stage",  # "load" or "outcomes" (or another stage name)
    "table",  # table the row came from
    "row",  # row number as the user sees it (header = 1), or <NA>
    "record_id",  # id of the record (goal_id, contact_id, ...) where it has one
    "trajectory_id",
    "reason",  # short machine code, e.g. "provision_outside_window"
    "message_nl",
    "message_en",
]


def empty_exclusions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": pd.Series([], dtype="string"),
            "table": pd.Series([], dtype="string"),
            "row": pd.Series([], dtype="Int64"),
            "record_id": pd.Series([], dtype="string"),
            "trajectory_id": pd.Series([], dtype="string"),
            "reason": pd.Series([], dtype="string"),
            "message_nl": pd.Series([], dtype="string"),
            "message_en": pd.Series([], dtype="string"),
        }
    )


#: Dates that say when something happened (provision end dates are left out: they may be
#: planned). The extract date is at or after all of them; :func:`infer_extract_date` reads them.
RECORD_DATES: tuple[tuple[str, str], ...] = (
    ("trajectories", "start_date"),
    ("trajectories", "end_date"),
    ("contacts", "date"),
    ("goals", "date"),
    ("domain_scores", "date"),
    ("provisions", "start_date"),
    ("staff_time", "date"),
)
#: Days after the 99th percentile of the record dates within which a date is not an outlier
#: (at least; or 10% of the span between the 1st and 99th percentile when that is more).
EXTRACT_MARGIN_DAYS = 31


def _day_numbers(s: pd.Series) -> np.ndarray:
    """Dates as int64 day numbers, missing dates left out."""
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s, errors="coerce")
    v = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
    v = v[v != np.iinfo(np.int64).min]  # NaT left out; a copy, so divided in place
    return np.floor_divide(v, 86_400_000_000_000, out=v)  # ns -> days (floor, as datetime64[D])


def infer_extract_date(tables: Any) -> pd.Timestamp | None:
    """The data-extract date inferred from the record dates, robust to an outlier.

    The latest record date that is not an outlier: a date more than
    :data:`EXTRACT_MARGIN_DAYS` (or 10% of the span between the 1st and the 99th
    percentile, when that is longer) after the 99th percentile of all record dates
    (:data:`RECORD_DATES`) is an outlier, such as a contact typed as 2042 or a start four
    years late. With fewer than 100 dates the 99th percentile (lower value) is the
    second-latest date, so one typo never moves the extract date.

    Parameters
    ----------
    tables : mapping
        Table name -> DataFrame (a :class:`PilotData` or the parsed tables).

    Returns
    -------
    Timestamp or None
        None when there are no dates at all.
    """
    parts = []
    for table, col in RECORD_DATES:
        try:
            df = tables[table]
        except (KeyError, TypeError):
            continue
        if df is not None and col in df.columns and len(df):
            # int32 day numbers (years 0001-9999 fit): half the memory of the 100M+
            # dates of a national package, and of the quantiles' copies
            parts.append(_day_numbers(df[col]).astype(np.int32))
    days = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    del parts
    if not len(days):
        return None
    hi = int(np.quantile(days, 0.99, method="lower"))
    lo = int(np.quantile(days, 0.01, method="higher"))
    cutoff = hi + max(EXTRACT_MARGIN_DAYS, 0.1 * (hi - lo))
    latest = int(days[days <= cutoff].max())
    return pd.Timestamp(np.datetime64(latest, "D"))


def _default(key: str) -> Any:
    """A fresh copy of the schema default of study.toml setting ``key`` (e.g. ``study.seed``)."""
    return copy.deepcopy(_FIELDS[key].default)


def _section_defaults(section: str) -> dict[str, Any]:
    """The defaults of every setting in ``section`` of study.toml, in schema order."""
    return {f.name: _default(f.key) for f in STUDY_FIELDS if f.section == section}


def _parse(f: StudyField, value: Any) -> Any:
    """A study.toml value as the type of its field; missing, ``None`` or ``""`` -> default."""
    if value is None or (isinstance(value, str) and value == ""):
        return _default(f.key)
    return _CASTS[f.type](value)


def _attribute(f: StudyField) -> str:
    """The :class:`StudySettings` attribute of setting ``f`` (``rates`` for every hourly rate)."""
    return {"study": f.name, "rates": "rates"}.get(f.section, f"{f.section}_{f.name}")


_FIELDS: dict[str, StudyField] = {f.key: f for f in STUDY_FIELDS}


def _iso_date(value: Any) -> str:
    """A date setting as ISO text (``2025-06-30``) from a TOML date, datetime or text."""
    return pd.Timestamp(value).strftime("%Y-%m-%d")


_CASTS: dict[str, Callable[[Any], Any]] = {
    "date": _iso_date,
    "str": str,
    "int": int,
    "float": float,
    "list[str]": list,
}


@dataclass
class StudySettings:
    """Settings from ``study.toml``.

    Every setting, its type, default and description is defined once, in
    :data:`wattelt_eval.schema.STUDY_FIELDS`; this class takes its defaults and its
    parsing from there. Attributes: ``[study]`` settings by their own name, the
    ``[rates]`` section as the dict ``rates`` (role -> euro per hour; extra roles
    allowed), ``[disclosure]`` settings as ``disclosure_<name>``.
    """

    name: str = _default("study.name")
    instrument: str = _default("study.instrument")
    cost_window_days: int = _default("study.cost_window_days")
    price_year: int | None = _default("study.price_year")
    problem_threshold: float | None = _default("study.problem_threshold")
    language: str = _default("study.language")
    extra_covariates: list[str] = field(
        default_factory=functools.partial(_default, "study.extra_covariates")
    )
    seed: int = _default("study.seed")
    number_locale: str | None = _default("study.number_locale")
    extract_date: str | None = _default("study.extract_date")
    period_start: str | None = _default("study.period_start")
    period_end: str | None = _default("study.period_end")
    plausibility_min_age: int = _default("plausibility.min_age")
    plausibility_max_age: int = _default("plausibility.max_age")
    plausibility_max_hours_per_week: float = _default("plausibility.max_hours_per_week")
    rates: dict[str, float] = field(default_factory=functools.partial(_section_defaults, "rates"))
    disclosure_rule: str = _default("disclosure.rule")
    disclosure_threshold: int = _default("disclosure.threshold")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudySettings:
        """Build from a parsed ``study.toml`` (sections ``study``, ``rates``, ``disclosure``).

        A setting that is absent, ``None`` or an empty text takes its schema default;
        rates of roles outside the schema are kept (as floats).
        """
        values = {
            _attribute(f): _parse(f, (d.get(f.section) or {}).get(f.name))
            for f in STUDY_FIELDS
            if f.section != "rates"
        }
        given_rates = {k: float(v) for k, v in (d.get("rates") or {}).items()}
        return cls(**values, rates={**_section_defaults("rates"), **given_rates})

    def to_dict(self) -> dict[str, Any]:
        """Nested dict in the layout of ``study.toml`` (``None`` values left out)."""
        out: dict[str, dict[str, Any]] = {}
        for f in STUDY_FIELDS:
            section = out.setdefault(f.section, {})
            if f.section == "rates":
                continue
            value = getattr(self, _attribute(f))
            if value is not None:
                section[f.name] = list(value) if isinstance(value, list) else value
        out["rates"] = dict(self.rates)
        return out

    def to_toml(self) -> str:
        """Serialise as ``study.toml`` text."""
        lines: list[str] = []
        for section, values in self.to_dict().items():
            lines.append(f"[{section}]")
            for k, v in values.items():
                lines.append(f"{k} = {_toml_value(v)}")
            lines.append("")
        return "\n".join(lines)


if {f.name for f in fields(StudySettings)} != {_attribute(f) for f in STUDY_FIELDS}:
    raise RuntimeError("StudySettings and schema.STUDY_FIELDS name different settings")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


@dataclass
class PilotData:
    """A validated pilot data package.

    Attributes
    ----------
    trajectories, contacts, goals, domain_scores, provisions, staff_time : DataFrame
        The tables in canonical form (see :mod:`wattelt_eval.schema`): every column of
        the schema present with its canonical dtype, index ``row`` = the row number
        as the user sees it in the source file (header = row 1). Absent optional
        tables are empty frames with all columns.
    study : StudySettings
    instrument : Instrument
        The study's instrument, with the problem threshold override applied.
    exclusions : DataFrame
        Exclusion log (columns :data:`EXCLUSION_COLUMNS`): rows that were read but
        will not contribute, with their reason.
    truth : dict or None
        Known truth for simulated pilots (set by :mod:`wattelt_eval.synth`).
    source : str
        Where the data came from (path or ``"synthetic"``).
    extra_columns : dict
        Per table, the extra (non-schema) columns that were kept (e.g. case-mix
        extras declared in ``study.toml``).
    warnings : DataFrame
        Warnings from :func:`wattelt_eval.load` (file, row, column, value, rule,
        severity, expected, message): things a researcher should know, such as a
        trajectory without contacts. Errors never get this far (``load`` raises).
    mapping : DataFrame
        Column names and code values that loading renamed or mapped (columns ``table,
        kind, column, written, origin``: kind ``column`` or ``value``, origin ``alias``
        for the Dutch names of the data dictionary, ``study`` for study.toml
        ``[mapping]``); empty when the package used the English names only.
    sources : tuple of str
        For pooled data (:func:`wattelt_eval.combine`), the names of the pooled packages
        in order (the values of the ``source`` column of every table); empty otherwise.
    """

    trajectories: pd.DataFrame
    contacts: pd.DataFrame
    goals: pd.DataFrame
    domain_scores: pd.DataFrame
    provisions: pd.DataFrame
    staff_time: pd.DataFrame
    study: StudySettings = field(default_factory=StudySettings)
    instrument: Instrument | None = None
    exclusions: pd.DataFrame = field(default_factory=empty_exclusions)
    truth: dict[str, Any] | None = None
    source: str = ""
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    #: Warning-level problems found by ``load`` (columns of ``validation.PROBLEM_COLUMNS``);
    #: empty for data not read from files.
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Names and codes renamed or mapped on load (empty: none)
    mapping: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Names of the pooled packages (empty: not pooled)
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.instrument is None:
            self.instrument = load_instrument(self.study.instrument).with_threshold(
                self.study.problem_threshold
            )

    # ------------------------------------------------------------------ access
    @property
    def table_names(self) -> list[str]:
        return list(TABLES)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """All six tables by name (in data-model order)."""
        return {name: getattr(self, name) for name in TABLES}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(name)
        return getattr(self, name)

    @property
    def n_trajectories(self) -> int:
        return len(self.trajectories)

    def copy(self) -> PilotData:
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items())
        return f"PilotData({counts}, instrument={self.instrument.code!r}, source={self.source!r})"

    def _repr_html_(self) -> str:
        label = texts("data.repr", "en")  # the notebook view stays English, as before
        rows = "".join(
            f"<tr><td>{k}</td><td style='text-align:right'>{number(len(v), 0, 'en')}</td></tr>"
            for k, v in self.tables.items()
        )
        return (
            f"<div><b>PilotData</b> &mdash; {self.study.name or self.source}<br>"
            f"{label['instrument']}: {self.instrument.name_en} ({self.instrument.code})<br>"
            f"<table><tr><th>{label['table']}</th><th>{label['rows']}</th></tr>{rows}</table>"
            f"{text('data.repr.exclusion_log', 'en', n=len(self.exclusions))}</div>"
        )

    def subset(self, trajectory_ids: Any) -> PilotData:
        """The package restricted to ``trajectory_ids`` (every table, exclusion log, warnings).

        Rows of the exclusion log and of the warnings without a trajectory id stay with
        the whole package only (the load warnings, which carry no trajectory id, too). Known truth is dropped (it describes the whole pilot).
        """
        ids = pd.Index(pd.unique(pd.Series(list(trajectory_ids), dtype="string")))
        out = copy.copy(self)
        for name, df in self.tables.items():
            setattr(out, name, df[df["trajectory_id"].astype("string").isin(ids)].copy())
        ex = self.exclusions
        out.exclusions = ex[ex["trajectory_id"].astype("string").isin(ids)].copy()
        w = self.warnings
        keep = w["trajectory_id"].astype("string").isin(ids) if "trajectory_id" in w else False
        out.warnings = w[keep].copy() if len(w) else w.copy()
        out.study = copy.deepcopy(self.study)
        out.truth = None
        return out

    # ------------------------------------------------------------------ output
    def write(self, path: str | Path, format: str = "csv") -> Path:
        """Write as a pilot data package (``csv`` folder, ``parquet`` folder or ``xlsx`` workbook).

        See :func:`wattelt_eval.io.write_package`.
        """
        from .io import write_package

        return write_package(self, path, format=format)
