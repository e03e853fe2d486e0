"""The rule registry: reason codes and the checks that report them, apart from the engine.

Two kinds of entries, in the spirit of pandera (declarations apart from backends):

- a :class:`Reason` is a *reason code* of the problem list (``problems.rule``, e.g.
  ``invalid_enum``): its severity and its catalogue message
  ``validation.rule.<code>`` (``wattelt_eval/i18n/messages/validation.toml``);
- a :class:`Check` is a named check function registered for a stage (``"read"``: what
  reading one table found and set right, listed before its cell problems; ``"table"``: one
  parsed table at a time; ``"cross"``: across rows and tables), with the reason codes it
  may report. The engine (:mod:`.engine`) runs the registered checks in order; each
  adds its problems to a :class:`~.problems.Problems` collector, so every problem is
  found at once (lazily, as pandera's ``lazy=True``).

Checks only *read* the tables they are given: normalising values (e.g. domain labels to
codes) is the load step's job (:mod:`.build`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..i18n import Lang, catalogue, text

Severity = Literal["error", "warning"]
Stage = Literal["read", "table", "cross"]

__all__ = ["Reason", "Check", "REASONS", "CHECKS", "reason", "check", "checks", "rules_table"]


@dataclass(frozen=True)
class Reason:
    """A reason code of the problem list: its severity and catalogue message."""

    code: str
    severity: Severity

    @property
    def key(self) -> str:
        """Catalogue key of the message (``validation.rule.<code>``)."""
        return f"validation.rule.{self.code}"

    def message(self, lang: Lang = "nl", value: Any = "") -> str:
        """The message in ``lang`` with ``{value}`` filled in."""
        return text(self.key, lang, value=value)


@dataclass(frozen=True)
class Check:
    """A registered check: name, stage, function and the reason codes it reports."""

    name: str
    stage: Stage
    fn: Callable[..., None]
    reasons: tuple[str, ...] = field(default=())


#: reason code -> :class:`Reason`, in declaration order
REASONS: dict[str, Reason] = {}
#: check name -> :class:`Check`, in registration (= run) order
CHECKS: dict[str, Check] = {}


def reason(code: str, severity: Severity) -> Reason:
    """Declare a reason code (once)."""
    if code in REASONS:
        raise ValueError(f"reason {code!r} declared twice")
    REASONS[code] = Reason(code, severity)
    return REASONS[code]


def check(name: str, stage: Stage, *reasons: str) -> Callable[[Callable[..., None]], Any]:
    """Register the decorated function as the check ``name`` of ``stage``.

    Every reason code it names must be declared (:func:`reason`) first.
    """

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        unknown = [r for r in reasons if r not in REASONS]
        if unknown or name in CHECKS:
            raise ValueError(f"check {name!r}: undeclared reasons {unknown} or registered twice")
        CHECKS[name] = Check(name, stage, fn, tuple(reasons))
        return fn

    return register


def checks(stage: Stage) -> list[Check]:
    """The registered checks of ``stage``, in run order."""
    return [c for c in CHECKS.values() if c.stage == stage]


def rules_table() -> dict[str, tuple[str, str, str]]:
    """``{code: (severity, Dutch template, English template)}`` for every reason code."""
    texts = catalogue()
    return {
        code: (r.severity, texts[r.key]["nl"], texts[r.key]["en"]) for code, r in REASONS.items()
    }
