"""wattelt_eval: evaluate demand-driven (vraaggestuurd) vs supply-driven social-support pilots.

Pipeline, one module per stage (no stage reaches back)::

    data in -> validation.load -> PilotData -> outcomes -> compare/balance/... -> plots -> report

Public interface (``docs/architecture.md``)::

    import wattelt_eval as we
    data = we.load(path)
    problems = we.validate(path)
    table = we.outcomes(data)
    res = we.compare(table, outcome="goal_retention", arm="arm", method="aipw", cluster="team")
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# Checked before numpy/scipy load: numpy.f2py reads SOURCE_DATE_EPOCH at import and fails
# with an obscure int() error on a value that is not whole seconds.
_sde = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
if _sde and not _sde.lstrip("-").isdigit():
    raise ValueError(
        f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not {_sde!r} / "
        f"SOURCE_DATE_EPOCH moet een geheel aantal seconden sinds 1970 zijn, niet {_sde!r}"
    )

from ._version import __version__  # noqa: E402
from .data import PilotData, StudySettings  # noqa: E402
from .instruments import Instrument, load_instrument  # noqa: E402

# name -> (module, attribute or None for the module itself). Loaded lazily so that
# importing the package stays fast and each stage stays a module you can read alone.
_LAZY: dict[str, tuple[str, str | None]] = {
    "load": (".validation", "load"),
    "validate": (".validation", "validate"),
    "ValidationError": (".validation", "ValidationError"),
    "outcomes": (".outcome", "outcomes"),
    "outcome_set": (".outcome", "outcome_set"),
    "compare": (".estimation", "compare"),
    "compare_all": (".estimation", "compare_all"),
    "balance": (".estimation", "balance"),
    "did": (".estimation", "did"),
    "its": (".estimation", "its"),
    "event_study": (".estimation", "event_study"),
    "twfe": (".estimation", "twfe"),
    "synthetic_control": (".estimation", "synthetic_control"),
    "power": (".estimation", "power"),
    "cea": (".estimation", "cea"),
    "monitor": (".implementation", "monitor"),
    "synth": (".synth", None),
    "lineage": (".lineage", None),
    "report": (".report", None),
    "privacy": (".privacy", None),
    "disclosure": (".disclosure", None),
    "plots": (".plots", None),
    "schema": (".schema", None),
    "io": (".io", None),
    "combine": (".pooling", "combine"),
}

__all__ = ["PilotData", "StudySettings", "Instrument", "load_instrument", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod_name, attr = _LAZY[name]
        mod = importlib.import_module(mod_name, __name__)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wattelt_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
