"""What every figure shares: palette, arm labels and colours, the disclosure threshold,
texts and number formats, and the notes under a figure.

Texts come from the catalogue (``i18n/messages/plots.toml``, keys ``plots.<name>``),
numbers from :mod:`wattelt_eval.i18n.format`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import schema
from ..disclosure import attach_notes as _finish  # noqa: F401 - used by every figure module
from ..disclosure import dropped_note as _dropped_note  # noqa: F401
from ..i18n import Lang, check_lang, text, texts
from ..i18n import format as fmt

if TYPE_CHECKING:
    from ..data import PilotData

__all__ = ["Lang", "check_lang"]

#: The Okabe–Ito colour-blind safe palette.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

ARM_COLORS: dict[str, str] = {
    "demand_driven": OKABE_ITO["blue"],
    "supply_driven": OKABE_ITO["orange"],
}
_EXTRA_COLORS = [OKABE_ITO[k] for k in ("bluish_green", "reddish_purple", "sky_blue", "vermillion")]

RATER_COLORS: dict[str, str] = {
    "resident": OKABE_ITO["vermillion"],
    "professional": OKABE_ITO["blue"],
    "informal_carer": OKABE_ITO["bluish_green"],
}
CHANGE_COLORS: dict[str, str] = {
    "improved": OKABE_ITO["bluish_green"],
    "same": "#BBBBBB",
    "worse": OKABE_ITO["vermillion"],
}
GOAL_STATE_COLORS: dict[str, str] = {
    "achieved": OKABE_ITO["bluish_green"],
    "retained": OKABE_ITO["blue"],
    "reworded": OKABE_ITO["sky_blue"],
    "lost": OKABE_ITO["vermillion"],
}
COST_COMPONENT_COLORS: dict[str, str] = {
    "household_help": OKABE_ITO["orange"],
    "support_at_home": OKABE_ITO["blue"],
    "aids_and_services": OKABE_ITO["bluish_green"],
    "residential_and_shelter": OKABE_ITO["reddish_purple"],
    "general": OKABE_ITO["yellow"],
    "staff": OKABE_ITO["grey"],
}
#: outcome-table column of each cost component
COST_COMPONENT_COLUMNS: dict[str, str] = {
    "household_help": "cost_household_help",
    "support_at_home": "cost_support_at_home",
    "aids_and_services": "cost_aids_and_services",
    "residential_and_shelter": "cost_residential_and_shelter",
    "general": "cost_general",
    "staff": "cost_staff",
}

GOAL_STATES = ("achieved", "retained", "reworded", "lost")
CHANGES = ("improved", "same", "worse")


def _t(key: str, lang: str, **kw: Any) -> str:
    """The figure text ``plots.<key>`` in ``lang``."""
    return text(f"plots.{key}", lang, **kw)


def _labels(mapping_nl: dict[str, str], mapping_en: dict[str, str], lang: str) -> dict[str, str]:
    """One of the schema's label dicts by language."""
    return mapping_nl if lang == "nl" else mapping_en


def arm_label(arm: str, lang: str = "nl") -> str:
    """Human label of an arm code (unknown codes are returned as they are)."""
    return texts("common.arm", check_lang(lang)).get(str(arm), str(arm))


def _arm_order(values: Sequence[Any]) -> list[str]:
    present = [str(v) for v in pd.unique(pd.Series(values, dtype="object").dropna())]
    known = [a for a in schema.ARM if a in present]
    return known + sorted(a for a in present if a not in known)


def _arm_colors(arms: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    extra = iter(_EXTRA_COLORS * 4)
    for a in arms:
        out[a] = ARM_COLORS.get(a) or next(extra)
    return out


def _threshold(data: Any, min_count: int | None) -> int:
    """Smallest group shown: explicit ``min_count``, else the study's disclosure rule.

    Uses :func:`wattelt_eval.disclosure.resolve_rule`: the number of residents a
    published mean or percentage must rest on (``min_n``: 10 by default).
    """
    from ..disclosure import resolve_rule

    if min_count is not None and (isinstance(min_count, bool) or int(min_count) < 1):
        raise ValueError(f"min_count must be a positive integer, got {min_count!r}")
    study = getattr(data, "study", None)
    rule = resolve_rule(
        study if hasattr(study, "disclosure_rule") else None,
        None if min_count is None else int(min_count),
    )
    return int(rule.min_n) if min_count is None else int(min_count)


def _rule(data: Any, min_count: int | None) -> Any:
    """The disclosure rule of a figure: ``min10`` with ``min_count``, else the study's rule."""
    from ..disclosure import DisclosureRule, resolve_rule

    if min_count is not None:
        return DisclosureRule("min10", int(min_count))
    study = getattr(data, "study", None)
    return resolve_rule(study if hasattr(study, "disclosure_rule") else None)


def _wrap(s: str, width: int) -> str:
    return "\n".join(textwrap.wrap(s, width)) or s


def _num(x: Any, lang: str) -> str:
    """A value next to a figure: no decimals from 100, two from 0.01, else 3 significant."""
    if fmt.is_missing(x):
        return fmt.MISSING
    ax = abs(float(x))
    if ax >= 100:
        return fmt.number(x, 0, lang)
    if ax >= 0.01 or ax == 0:
        return fmt.number(x, 2 if ax else 0, lang)
    decimals = 2 - math.floor(math.log10(ax))
    s = fmt.number(x, decimals, lang)
    sep = "," if lang == "nl" else "."
    return s.rstrip("0").rstrip(sep) if sep in s else s


def _short(x: float, lang: str) -> str:
    """A scale value as short as it is exact (``5``, ``4,5``)."""
    v = float(x)
    return fmt.number(v, 0 if v.is_integer() else 2, lang)


def _pct_axis(ax_axis: Any, lang: str) -> None:
    """Percent tick labels (0–1 as 0%–100%) in ``lang``."""
    import matplotlib.pyplot as plt

    ax_axis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.percent(v, 0, lang)))


def _outcome_table(source: Any) -> pd.DataFrame:
    """The per-trajectory outcome table from a PilotData, an OutcomeSet or the table itself."""
    if isinstance(source, pd.DataFrame):
        return source
    table = getattr(source, "table", None)
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(source, "trajectories") and hasattr(source, "goals"):
        from ..outcome import outcomes

        return outcomes(source)
    raise TypeError(
        "expected an outcome table (DataFrame), an OutcomeSet or a PilotData, "
        f"got {type(source).__name__}"
    )


def _require_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s): {', '.join(missing)}")


def _pilot(data: Any, what: str) -> PilotData:
    if not (hasattr(data, "trajectories") and hasattr(data, "domain_scores")):
        raise TypeError(f"{what} needs a PilotData, got {type(data).__name__}")
    return data
