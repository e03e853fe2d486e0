"""The validated pilot data package in memory: :class:`PilotData` and :class:`StudySettings`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .instruments import Instrument, load_instrument
from .schema import STUDY_FIELDS, TABLES

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


def _study_defaults() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in STUDY_FIELDS:
        section, key = f.key.split(".", 1)
        out.setdefault(section, {})[key] = copy.deepcopy(f.default)
    return out


@dataclass
class StudySettings:
    """Settings from ``study.toml`` (defaults from :data:`wattelt_eval.schema.STUDY_FIELDS`)."""

    name: str = ""
    instrument: str = "wat_telt"
    cost_window_days: int = 365
    price_year: int | None = None
    problem_threshold: float | None = None
    language: str = "nl"
    extra_covariates: list[str] = field(default_factory=list)
    seed: int = 20250101
    rates: dict[str, float] = field(default_factory=lambda: dict(_study_defaults()["rates"]))
    disclosure_rule: str = "min10"
    disclosure_threshold: int = 10

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudySettings:
        """Build from a parsed ``study.toml`` (sections ``study``, ``rates``, ``disclosure``)."""
        defaults = _study_defaults()
        study = {**defaults["study"], **(d.get("study") or {})}
        rates = {**defaults["rates"], **(d.get("rates") or {})}
        disc = {**defaults["disclosure"], **(d.get("disclosure") or {})}
        return cls(
            name=str(study.get("name") or ""),
            instrument=str(study.get("instrument") or "wat_telt"),
            cost_window_days=int(study.get("cost_window_days") or 365),
            price_year=None if study.get("price_year") is None else int(study["price_year"]),
            problem_threshold=None
            if study.get("problem_threshold") is None
            else float(study["problem_threshold"]),
            language=str(study.get("language") or "nl"),
            extra_covariates=list(study.get("extra_covariates") or []),
            seed=int(study.get("seed") if study.get("seed") is not None else 20250101),
            rates={k: float(v) for k, v in rates.items()},
            disclosure_rule=str(disc.get("rule") or "min10"),
            disclosure_threshold=int(disc.get("threshold") or 10),
        )

    def to_dict(self) -> dict[str, Any]:
        """Nested dict in the layout of ``study.toml`` (``None`` values left out)."""
        study = {
            "name": self.name,
            "instrument": self.instrument,
            "cost_window_days": self.cost_window_days,
            "price_year": self.price_year,
            "problem_threshold": self.problem_threshold,
            "language": self.language,
            "extra_covariates": list(self.extra_covariates),
            "seed": self.seed,
        }
        return {
            "study": {k: v for k, v in study.items() if v is not None},
            "rates": dict(self.rates),
            "disclosure": {"rule": self.disclosure_rule, "threshold": self.disclosure_threshold},
        }

    def to_toml(self) -> str:
        """Serialise as ``study.toml`` text."""
        lines: list[str] = []
        for section, values in self.to_dict().items():
            lines.append(f"[{section}]")
            for k, v in values.items():
                lines.append(f"{k} = {_toml_value(v)}")
            lines.append("")
        return "\n".join(lines)


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
        rows = "".join(
            f"<tr><td>{k}</td><td style='text-align:right'>{len(v):,}</td></tr>"
            for k, v in self.tables.items()
        )
        return (
            f"<div><b>PilotData</b> &mdash; {self.study.name or self.source}<br>"
            f"instrument: {self.instrument.name_en} ({self.instrument.code})<br>"
            f"<table><tr><th>table</th><th>rows</th></tr>{rows}</table>"
            f"exclusion log: {len(self.exclusions)} rows</div>"
        )

    # ------------------------------------------------------------------ output
    def write(self, path: str | Path, format: str = "csv") -> Path:
        """Write as a pilot data package (``csv`` folder, ``parquet`` folder or ``xlsx`` workbook).

        See :func:`wattelt_eval.io.write_package`.
        """
        from .io import write_package

        return write_package(self, path, format=format)
