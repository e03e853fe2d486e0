"""The bilingual text catalogue: every user-facing text, Dutch and English, keyed by id.

Texts live in ``i18n/messages/<area>.toml``, one table per text with an ``nl`` and an
``en`` entry and named placeholders in :meth:`str.format` syntax::

    [rule.invalid_enum]
    nl = "'{value}' is geen toegestane waarde"
    en = "'{value}' is not an allowed value"

The key of that text is ``"<area>.rule.invalid_enum"`` (the file name, then the TOML
table path). ``tests/test_i18n.py`` checks that every key exists in both languages with
the same placeholders. Numbers, percentages, euros and dates are formatted by
:mod:`wattelt_eval.i18n.format` (Babel), never by hand.

Examples
--------
>>> from wattelt_eval.i18n import text
>>> text("common.row", "en")
'row'
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any, Literal, get_args

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Lang = Literal["nl", "en"]
#: the languages every text exists in, Dutch first
LANGS: tuple[str, ...] = get_args(Lang)

_DIR = Path(__file__).with_name("messages")

__all__ = ["Lang", "LANGS", "check_lang", "text", "pair", "texts", "catalogue", "placeholders"]


def check_lang(lang: Any) -> Lang:
    """Return ``lang`` when it is ``"nl"`` or ``"en"``; otherwise a bilingual ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'nl' or 'en', not {lang!r} / lang moet 'nl' of 'en' zijn")
    return lang


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, dict[str, str]]) -> None:
    if (
        set(node)
        and set(node) <= set(LANGS) | {"note"}
        and all(isinstance(node.get(lang), str) for lang in LANGS if lang in node)
    ):
        out[prefix] = {lang: node[lang] for lang in LANGS if lang in node}
        return
    for key, value in node.items():
        if not isinstance(value, dict):
            raise ValueError(f"i18n: {prefix}.{key} is not a text table with nl/en entries")
        _flatten(f"{prefix}.{key}", value, out)


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every text of the package: ``{key: {"nl": ..., "en": ...}}`` (read once, cached)."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(_DIR.glob("*.toml")):
        with open(path, "rb") as fh:
            _flatten(path.stem, tomllib.load(fh), out)
    return out


def placeholders(template: str) -> set[str]:
    """Named placeholders of a template (``"{n} rows"`` -> ``{"n"}``)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def text(key: str, lang: Lang = "nl", /, **values: Any) -> str:
    """The text ``key`` in ``lang``, with its placeholders filled from ``values``.

    Raises KeyError for an unknown key (a programming error, caught by the tests).
    """
    entry = catalogue()[key]
    template = entry[check_lang(lang)]
    return template.format(**values) if values or "{" in template else template


def pair(key: str, /, **values: Any) -> tuple[str, str]:
    """The text ``key`` as ``(nl, en)``, e.g. for message_nl/message_en columns."""
    return text(key, "nl", **values), text(key, "en", **values)


def texts(prefix: str, lang: Lang = "nl") -> dict[str, str]:
    """All texts under ``prefix`` in ``lang``, keyed by the rest of their key.

    ``texts("report.arm", "nl")`` -> ``{"demand_driven": "vraaggestuurd", ...}``.
    """
    check_lang(lang)
    head = prefix.rstrip(".") + "."
    return {k[len(head) :]: v[lang] for k, v in catalogue().items() if k.startswith(head)}
