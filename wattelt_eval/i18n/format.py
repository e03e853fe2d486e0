"""One formatter for numbers, percentages, euros, p-values and dates, Dutch and English.

Built on Babel (CLDR locale data): Dutch ``1.234,5`` / ``€ 1.234`` / ``3 december 2026``,
English ``1,234.5`` / ``€1,234`` / ``3 December 2026``. Conventions kept throughout the
package (and its committed report):

- a missing or non-finite value gives an en dash ``–``;
- the minus sign is U+2212 ``−`` (typographic minus), never a hyphen, and ``-0`` never shows;
- rounding is half-to-even on the exact binary value, as Python's own ``format`` does;
- ``sign=True`` puts ``+`` before positive values (not before a value that rounds to zero).

Examples
--------
>>> number(-1234.5, 1, "nl")
'−1.234,5'
>>> euro(-1636, "en")
'−€1,636'
>>> percent(0.4234, 1, "nl")
'42,3%'
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal
from typing import Any

from . import Lang, check_lang

__all__ = ["MISSING", "MINUS", "number", "percent", "euro", "p_value", "date", "is_missing"]

#: shown for a missing value
MISSING = "–"
#: the typographic minus sign
MINUS = "−"

_LOCALE = {"nl": "nl_NL", "en": "en_GB"}


def is_missing(x: Any) -> bool:
    """True for None, pandas NA/NaT and non-finite numbers."""
    if x is None:
        return True
    try:
        import pandas as pd

        if x is pd.NA or x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _digits(x: float, decimals: int, lang: Lang, grouping: bool = True) -> tuple[str, bool, bool]:
    """(magnitude text, negative, rounds to zero) with Babel's grouping for ``lang``."""
    from babel.numbers import format_decimal

    value = Decimal(float(x))  # exact binary value: half-even as Python's format
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals > 0 else "")
    body = format_decimal(
        abs(value), format=pattern, locale=_LOCALE[lang], decimal_quantization=True
    )
    zero = all(c in "0.," for c in body)
    return body, value < 0 and not zero, zero


def number(
    x: Any, decimals: int = 0, lang: Lang = "nl", sign: bool = False, grouping: bool = True
) -> str:
    """A number with thousands grouping: Dutch ``1.234,5``, English ``1,234.5``.

    ``grouping=False`` leaves out the group separator (a year: ``1900``).
    """
    check_lang(lang)
    if is_missing(x):
        return MISSING
    body, neg, zero = _digits(float(x), decimals, lang, grouping)
    if neg:
        return MINUS + body
    return ("+" + body) if sign and not zero else body


def percent(share: Any, decimals: int = 1, lang: Lang = "nl", sign: bool = False) -> str:
    """A share (0–1) as a percentage: ``42,3%`` / ``42.3%``."""
    if is_missing(share):
        return MISSING
    return number(float(share) * 100.0, decimals, lang, sign) + "%"


def euro(x: Any, lang: Lang = "nl", sign: bool = False, decimals: int = 0) -> str:
    """Euros: Dutch ``€ −1.636``, English ``−€1,636`` (sign before the symbol)."""
    s = number(x, decimals, lang, sign)
    if lang == "nl" or s == MISSING:
        return f"€ {s}"
    if s[:1] in ("+", MINUS):
        return f"{s[0]}€{s[1:]}"
    return f"€{s}"


def p_value(p: Any, lang: Lang = "nl", decimals: int = 3) -> str:
    """A p-value: ``< 0,001`` below 0.001, otherwise three decimals."""
    check_lang(lang)
    if is_missing(p):
        return MISSING
    floor = 10.0**-decimals
    if float(p) < floor:
        return "< " + number(floor, decimals, lang)
    return number(p, decimals, lang)


def date(d: Any, lang: Lang = "nl", style: str = "long") -> str:
    """A date: ``long`` ``3 december 2026``, ``medium`` ``3 dec 2026``, ``iso`` ``2026-12-03``."""
    from babel.dates import format_date

    check_lang(lang)
    if is_missing(d):
        return MISSING
    if hasattr(d, "to_pydatetime"):
        d = d.to_pydatetime()
    if isinstance(d, _dt.datetime):
        d = d.date()
    elif isinstance(d, str):
        d = _dt.date.fromisoformat(d[:10])
    if style == "iso":
        return d.isoformat()
    return format_date(d, format=style, locale=_LOCALE[lang])
