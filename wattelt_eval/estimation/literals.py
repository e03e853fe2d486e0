"""Option types of the comparison engine, as ``Literal`` types, in one place.

Public functions declare their options with these types and check them at the boundary
with :func:`check` (as pyfixest's ``literals`` module does), so a misspelt option fails
at once with the allowed values named.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from ..i18n import Lang

__all__ = ["Method", "Kind", "CIMethod", "PowerKind", "Lang", "check"]

#: estimator of :func:`~wattelt_eval.estimation.compare`
Method = Literal["unadjusted", "regression", "ipw", "aipw"]
#: outcome type (the outcome model)
Kind = Literal["auto", "continuous", "binary", "count", "proportion", "cost"]
#: inference for :func:`~wattelt_eval.estimation.compare`
CIMethod = Literal["auto", "sandwich", "cluster_t", "wild", "bootstrap", "randomization"]
#: outcome type of :func:`~wattelt_eval.estimation.power`
PowerKind = Literal["continuous", "binary", "proportion", "count"]


def check(name: str, value: Any, lit: Any) -> None:
    """Raise a bilingual ValueError when ``value`` is not one of the values of ``lit``."""
    from ..errors import UsageError
    from ..i18n import pair

    allowed = get_args(lit)
    if value not in allowed:
        choices = ", ".join(map(repr, allowed))
        nl, en = pair(
            "estimation.error.invalid_option", name=name, value=repr(value), choices=choices
        )
        raise UsageError(nl, en)
