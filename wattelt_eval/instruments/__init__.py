"""Measurement instruments (domain boards) shipped as TOML data files.

A user adds an instrument by writing a TOML file in the same format (see
``wat_telt.toml``) and pointing ``study.instrument`` in ``study.toml`` at it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..errors import DataError, UsageError
from ..i18n import pair

BUILTIN = ("huizen5", "zrm", "positieve_gezondheid", "wat_telt")


class InstrumentFileError(DataError):
    """An instrument file that cannot be used (a ``ValueError``; exit code 1)."""


class UnknownInstrumentError(UsageError, FileNotFoundError):
    """Neither a built-in instrument nor an existing file (exit code 2).

    Also a :class:`FileNotFoundError`, as before the bilingual errors.
    """


@dataclass(frozen=True)
class Domain:
    code: str
    label_nl: str
    label_en: str

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en


@dataclass(frozen=True)
class Instrument:
    """A domain instrument: scale, direction, problem threshold and domains.

    A domain score at or below ``problem_threshold`` counts as a problem
    (for ``direction == "higher_is_better"``).
    """

    code: str
    name_nl: str
    name_en: str
    scale_min: float
    scale_max: float
    direction: str
    problem_threshold: float
    domains: tuple[Domain, ...]
    indicative: bool = False
    note_nl: str = ""
    note_en: str = ""

    @property
    def domain_codes(self) -> list[str]:
        return [d.code for d in self.domains]

    def name(self, lang: str = "nl") -> str:
        return self.name_nl if lang == "nl" else self.name_en

    def domain_labels(self, lang: str = "nl") -> dict[str, str]:
        return {d.code: d.label(lang) for d in self.domains}

    def with_threshold(self, threshold: float | None) -> Instrument:
        """Copy with an overridden problem threshold (``None`` keeps it)."""
        if threshold is None:
            return self
        from dataclasses import replace

        return replace(self, problem_threshold=float(threshold))

    @classmethod
    def from_dict(cls, d: dict) -> Instrument:
        missing = [
            k
            for k in ("code", "scale_min", "scale_max", "problem_threshold", "domains")
            if k not in d
        ]
        if missing:
            raise InstrumentFileError(
                *pair("data.instrument.missing_keys", keys=", ".join(missing))
            )
        domains = tuple(
            Domain(
                str(x["code"]), str(x.get("label_nl", x["code"])), str(x.get("label_en", x["code"]))
            )
            for x in d["domains"]
        )
        if len({x.code for x in domains}) != len(domains):
            raise InstrumentFileError(*pair("data.instrument.duplicate_domains"))
        return cls(
            code=str(d["code"]),
            name_nl=str(d.get("name_nl", d["code"])),
            name_en=str(d.get("name_en", d["code"])),
            scale_min=float(d["scale_min"]),
            scale_max=float(d["scale_max"]),
            direction=str(d.get("direction", "higher_is_better")),
            problem_threshold=float(d["problem_threshold"]),
            domains=domains,
            indicative=bool(d.get("indicative", False)),
            note_nl=str(d.get("note_nl", "")),
            note_en=str(d.get("note_en", "")),
        )


def load_instrument(code_or_path: str | Path, base_dir: str | Path | None = None) -> Instrument:
    """Load a built-in instrument by code, or a user instrument from a TOML file.

    Parameters
    ----------
    code_or_path : str or Path
        One of :data:`BUILTIN`, or a path to a TOML file.
    base_dir : path, optional
        Folder relative paths are resolved against (the data package folder).
    """
    s = str(code_or_path)
    if s in BUILTIN:
        text = resources.files(__package__).joinpath(f"{s}.toml").read_text(encoding="utf-8")
        return Instrument.from_dict(tomllib.loads(text))
    p = Path(s)
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.exists():
        raise UnknownInstrumentError(
            *pair("data.instrument.unknown", value=repr(s), known=", ".join(BUILTIN))
        )
    return Instrument.from_dict(tomllib.loads(p.read_text(encoding="utf-8")))
