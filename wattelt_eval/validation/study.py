"""Checks of the study settings (``study.toml`` or the ``study`` sheet).

Known keys are the study fields of :mod:`wattelt_eval.schema`; each value is checked for
its type and allowed values, then the settings and the instrument are built
(:class:`~wattelt_eval.data.StudySettings`, :func:`~wattelt_eval.instruments.load_instrument`).
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..data import StudySettings
from ..errors import WatteltError
from ..i18n import pair
from ..instruments import BUILTIN, Instrument, load_instrument
from ..io import RawPackage
from ..schema import STUDY_FIELDS
from .problems import Problems, did_you_mean

__all__ = ["check_study"]

#: values allowed for a setting with a fixed list
_ALLOWED = {
    "study.language": ("nl", "en"),
    "study.number_locale": ("nl", "en"),
    "disclosure.rule": ("min10", "cbs"),
}
#: settings that must be above 0
_POSITIVE = (
    "study.cost_window_days",
    "disclosure.threshold",
    "plausibility.max_age",
    "plausibility.max_hours_per_week",
)


def check_study(raw: RawPackage, P: Problems) -> tuple[StudySettings, Instrument | None]:
    """Check the study settings; return them (defaults for what is wrong) and the instrument."""
    d = _settings_dict(raw, P)
    settings = StudySettings.from_dict(_clean_settings(d, raw.study_source, P))
    return settings, _instrument(settings, raw, P)


def _settings_dict(raw: RawPackage, P: Problems) -> dict[str, Any]:
    src = raw.study_source
    if raw.study is None:
        if raw.kind != "missing":
            P.add(
                "missing_study",
                src,
                None,
                "",
                "",
                pair("validation.expected.study_file"),
            )
        return {}
    return raw.study


def _clean_settings(d: dict[str, Any], src: str, P: Problems) -> dict[str, dict[str, Any]]:
    """The settings whose key, type and value are right; the others reported."""
    known = {f.key: f for f in STUDY_FIELDS}
    clean: dict[str, dict[str, Any]] = {}
    for section, values in d.items():
        if section == "mapping":  # column names and code values: checked by .mapping
            continue
        if not isinstance(values, dict):
            P.add("study_unknown_key", src, None, section, section)
            continue
        for key, value in values.items():
            dotted = f"{section}.{key}"
            f = known.get(dotted)
            if f is None:
                if (
                    section == "rates"
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                ):
                    clean.setdefault(section, {})[key] = value
                    continue
                sugg = difflib.get_close_matches(dotted, list(known), n=1, cutoff=0.6)
                P.add(
                    "study_unknown_key",
                    src,
                    None,
                    dotted,
                    dotted,
                    ("", ""),
                    did_you_mean(sugg[0] if sugg else None),
                )
                continue
            ok, value = _study_value_ok(f.type, value)
            if not ok:
                P.add("study_type", src, None, dotted, value, _type_expected(f.type))
                continue
            allowed = _ALLOWED.get(dotted)
            if allowed and value not in allowed:
                first, second = allowed
                expected = pair("validation.expected.one_of", first=first, second=second)
                P.add("study_value", src, None, dotted, value, expected)
                continue
            if dotted in _POSITIVE and value <= 0:
                P.add(
                    "study_value", src, None, dotted, value, pair("validation.expected.above_zero")
                )
                continue
            clean.setdefault(section, {})[key] = value
    return clean


def _type_expected(typ: str) -> tuple[str, str]:
    key = {
        "str": "str",
        "int": "int",
        "float": "float",
        "list[str]": "list_str",
        "date": "date",
    }.get(typ)
    return pair(f"validation.expected.type.{key}") if key else (typ, typ)


def _instrument(settings: StudySettings, raw: RawPackage, P: Problems) -> Instrument | None:
    """The study's instrument with its problem threshold; None (and a problem) if unknown."""
    instrument: Instrument | None
    try:
        instrument = load_instrument(settings.instrument, base_dir=raw.base_dir).with_threshold(
            settings.problem_threshold
        )
    except Exception as exc:  # noqa: BLE001 - reported as a problem
        instrument = None
        P.add(
            "unknown_instrument",
            raw.study_source,
            None,
            "study.instrument",
            settings.instrument,
            pair("validation.expected.instrument", builtin=", ".join(BUILTIN)),
            (exc.message("nl"), exc.message("en"))
            if isinstance(exc, WatteltError)
            else (str(exc), str(exc)),
        )
    return instrument


def _study_value_ok(typ: str, value: Any) -> tuple[bool, Any]:
    if typ == "str":
        return isinstance(value, str), value
    if typ == "int":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return True, int(value)
        return False, value
    if typ == "float":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, (int, float)):
            return True, float(value)
        try:
            return True, float(str(value).replace(",", "."))
        except ValueError:
            return False, value
    if typ == "date":
        if isinstance(value, (date, datetime)):
            return True, value.strftime("%Y-%m-%d")
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return True, pd.Timestamp(value.strip()).strftime("%Y-%m-%d")
            except ValueError:
                return False, value
        return False, value
    if typ == "list[str]":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return isinstance(value, list) and all(isinstance(v, str) for v in value), value
    return True, value
