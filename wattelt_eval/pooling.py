"""Pool pilot data packages of several municipalities or cohorts: :func:`combine`.

``we.combine({"Eindhoven": pkg_a, "Utrecht": pkg_b})`` returns one
:class:`~wattelt_eval.data.PilotData` that ``outcomes``, ``compare(by="source")`` and the
report use like any other:

* every id, reference and pseudonym (the schema's identifier columns: ``trajectory_id``,
  ``resident_id``, ``contact_id``, ``professional_id``, ``goal_id``, ``derived_from``,
  ``provision_id``) is namespaced as ``<name>:<id>``, so two packages may use the same ids;
* ``team`` becomes ``<municipality>:<team>``: a team belongs to its municipality, so two
  cohorts of one municipality share their teams (one cluster) and two municipalities
  never do;
* ``trajectories`` gets a ``source`` column (the package's name) and ``source`` joins
  ``study.extra_covariates``, so the outcome table carries it;
* ``data.sources`` holds the names in the order given.

Settings are reconciled or the pooling is refused with a clear message
(:data:`MUST_AGREE`, docs/data_model.md "Pooling"). Nothing else changes a value: the
outcomes of each package's trajectories in the pooled table equal those of the package
alone (``tests/test_combine.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .bsn import bsn_in_text
from .data import PilotData, StudySettings, empty_exclusions, infer_extract_date
from .errors import UsageError
from .i18n import Lang, check_lang, pair
from .schema import TABLES, coerce_table

__all__ = ["combine", "SEPARATOR", "SOURCE_COLUMN", "MUST_AGREE", "NAMESPACED"]

#: Between a package's name and an id: ``Eindhoven:T0001``.
SEPARATOR = ":"
#: The column of ``trajectories`` naming the package a trajectory came from.
SOURCE_COLUMN = "source"
#: Longest package name.
MAX_NAME_CHARS = 40
#: Columns namespaced with the package's name, per table: the schema's identifier columns.
NAMESPACED: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in t.columns if c.identifier) for name, t in TABLES.items()
}
#: Settings that change the outcomes or their disclosure: the packages must agree.
MUST_AGREE = (
    "instrument",
    "problem_threshold",
    "cost_window_days",
    "price_year",
    "rates",
    "disclosure_rule",
    "disclosure_threshold",
)


def combine(
    packages: Mapping[str, PilotData | str | Path],
    extract_date: str | None = None,
    lang: Lang = "nl",
) -> PilotData:
    """Pool the packages of several municipalities or cohorts into one.

    Parameters
    ----------
    packages : mapping of str to PilotData or path
        Package name (``"Eindhoven"``, ``"cohort 2025"``) -> a loaded package or the path
        of one (loaded with :func:`wattelt_eval.load`). At least two; names are
        non-empty, unique, at most 40 characters, without ``:``. The order is kept.
    extract_date : date, optional
        One data-extract date for all packages. Default: the packages' own
        (``study.extract_date``, else inferred); they must agree.
    lang : {"nl", "en"}
        Language of the messages when a path is loaded.

    Returns
    -------
    PilotData
        Ids namespaced (``Eindhoven:T0001``), ``team`` as ``<municipality>:<team>``, a
        ``source`` column in ``trajectories`` (also in ``study.extra_covariates``),
        ``sources`` = the names. Exclusion log and warnings of every package, with the
        ids namespaced and the package named. Row numbers stay those of each package's
        own files.

    Raises
    ------
    UsageError
        Fewer than two packages, a bad or repeated name, a package that is pooled
        already or has its own ``source`` column, or settings that differ (the message
        names the setting and each package's value).

    Examples
    --------
    >>> pooled = we.combine({"Eindhoven": "eindhoven/", "Utrecht": "utrecht/"})  # doctest: +SKIP
    >>> we.compare(we.outcomes(pooled), outcome="goal_retention", by="source")  # doctest: +SKIP
    """
    check_lang(lang)
    names = _check_names(packages)
    from .validation import load

    datas = [load(packages[n], lang=lang) for n in names]
    for name, data in zip(names, datas, strict=True):
        if data.sources or SOURCE_COLUMN in data.trajectories.columns:
            raise UsageError(*pair("combine.error.pooled_already", name=name))
    study = _settings(names, datas, extract_date)
    tables = {t: _table(t, names, datas) for t in TABLES}
    extra: dict[str, list[str]] = {}
    for d in datas:
        for t, cols in (d.extra_columns or {}).items():
            extra.setdefault(t, [])
            extra[t] += [c for c in cols if c not in extra[t]]
    extra.setdefault("trajectories", [])
    extra["trajectories"].append(SOURCE_COLUMN)
    return PilotData(
        **tables,
        study=study,
        instrument=datas[0].instrument,
        exclusions=_exclusions(names, datas),
        source="combine(" + ", ".join(names) + ")",
        extra_columns=extra,
        warnings=_warnings(names, datas),
        mapping=_mapping(names, datas),
        sources=tuple(names),
    )


def _check_names(packages: Mapping[str, Any]) -> list[str]:
    if not isinstance(packages, Mapping) or len(packages) < 2:
        raise UsageError(*pair("combine.error.two_packages"))
    names = list(packages)
    seen: dict[str, str] = {}
    for n in names:
        ok = isinstance(n, str) and n.strip() == n and 0 < len(n) <= MAX_NAME_CHARS
        if not ok or SEPARATOR in n:
            raise UsageError(
                *pair(
                    "combine.error.name", name=str(n)[:60], separator=SEPARATOR, max=MAX_NAME_CHARS
                )
            )
        if bsn_in_text(pd.Series([n], dtype="string")).any():
            raise UsageError(*pair("combine.error.name_bsn"))
        if n.casefold() in seen:
            raise UsageError(*pair("combine.error.same_name", name=n, other=seen[n.casefold()]))
        seen[n.casefold()] = n
    return names


def _settings(names: list[str], datas: list[PilotData], extract_date: str | None) -> StudySettings:
    """The pooled settings: those in :data:`MUST_AGREE` equal, the extract date one date."""
    first = datas[0].study
    for key in MUST_AGREE:
        values = [getattr(d.study, key) for d in datas]
        if any(v != values[0] for v in values[1:]):
            raise UsageError(
                *pair("combine.error.setting", setting=key, values=_per(names, values))
            )
    codes = [(d.instrument.code, tuple(x.code for x in d.instrument.domains)) for d in datas]
    if any(c != codes[0] for c in codes[1:]):
        raise UsageError(
            *pair("combine.error.setting", setting="instrument", values=_per(names, codes))
        )
    covs = [sorted(d.study.extra_covariates) for d in datas]
    if any(c != covs[0] for c in covs[1:]):
        raise UsageError(
            *pair("combine.error.setting", setting="extra_covariates", values=_per(names, covs))
        )
    study = StudySettings.from_dict(first.to_dict())
    study.name = " + ".join(names)
    study.extra_covariates = [*first.extra_covariates, SOURCE_COLUMN]
    study.extract_date = _extract_date(names, datas, extract_date)
    starts = [d.study.period_start for d in datas if d.study.period_start]
    ends = [d.study.period_end for d in datas if d.study.period_end]
    study.period_start = min(starts) if starts else None
    study.period_end = max(ends) if ends else None
    return study


def _extract_date(names: list[str], datas: list[PilotData], given: str | None) -> str | None:
    if given is not None:
        try:
            return pd.Timestamp(given).strftime("%Y-%m-%d")
        except (ValueError, TypeError) as exc:
            raise UsageError(*pair("outcome.error.extract_date", value=repr(given))) from exc
    dates = []
    for d in datas:
        if d.study.extract_date:
            dates.append(d.study.extract_date)
        else:
            inferred = infer_extract_date(d)
            dates.append(None if inferred is None else inferred.strftime("%Y-%m-%d"))
    if any(x != dates[0] for x in dates[1:]):
        raise UsageError(*pair("combine.error.extract_date", values=_per(names, dates)))
    return dates[0]


def _per(names: list[str], values: list[Any]) -> str:
    return "; ".join(f"{n}: {v}" for n, v in zip(names, values, strict=True))


def _prefixed(s: pd.Series, prefix: pd.Series | str) -> pd.Series:
    """``prefix + ":" + s`` for the filled cells (vectorised), missing stays missing."""
    s = s.astype("string")
    return (prefix + SEPARATOR + s).astype("string")


def _table(name: str, names: list[str], datas: list[PilotData]) -> pd.DataFrame:
    parts = []
    for src, d in zip(names, datas, strict=True):
        df = d[name].copy()
        for c in NAMESPACED[name]:
            df[c] = _prefixed(df[c], src)
        if name == "trajectories":
            team = df["team"].astype("string")
            df["team"] = _prefixed(team, df["municipality"].astype("string"))
            df[SOURCE_COLUMN] = pd.Series(src, index=df.index, dtype="string")
        parts.append(df)
    out = pd.concat(parts)
    out.index.name = "row"
    return coerce_table(name, out, keep_extra=True)


def _exclusions(names: list[str], datas: list[PilotData]) -> pd.DataFrame:
    parts = []
    for src, d in zip(names, datas, strict=True):
        log = d.exclusions.copy()
        if log.empty:
            continue
        for c in ("record_id", "trajectory_id"):
            log[c] = _prefixed(log[c], src)
        for c in ("message_nl", "message_en"):
            log[c] = ("[" + src + "] " + log[c].astype("string")).astype("string")
        parts.append(log)
    base = empty_exclusions()
    if not parts:
        return base
    return pd.concat(parts, ignore_index=True).astype(base.dtypes.to_dict())


def _warnings(names: list[str], datas: list[PilotData]) -> pd.DataFrame:
    parts = []
    for src, d in zip(names, datas, strict=True):
        w = d.warnings
        if w is None or w.empty:
            continue
        w = w.copy()
        if "file" in w.columns:
            w["file"] = src + ": " + w["file"].astype(str)
        parts.append(w)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _mapping(names: list[str], datas: list[PilotData]) -> pd.DataFrame:
    parts = [
        d.mapping.assign(package=src)
        for src, d in zip(names, datas, strict=True)
        if d.mapping is not None and not d.mapping.empty
    ]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["package", *[c for c in out.columns if c != "package"]]].astype("string")
