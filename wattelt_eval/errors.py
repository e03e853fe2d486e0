"""Exception types of the package, bilingual, and what each means for a command's exit code.

Every error a user can cause carries its message in Dutch and English
(``message_nl`` / ``message_en``). The command line maps the *type* to an exit code
(:mod:`wattelt_eval.cli._common`), never the message text:

- :class:`DataError` (and :class:`~wattelt_eval.validation.ValidationError`): the data
  cannot be used as given -> exit 1;
- :class:`UsageError`: the request itself is wrong (a missing key file, an output that
  already exists, an unknown option value) -> exit 2.
"""

from __future__ import annotations

__all__ = [
    "WatteltError",
    "DataError",
    "UsageError",
    "WatteltWarning",
    "ConvergenceWarning",
    "OverlapWarning",
    "DroppedRowsWarning",
]


class WatteltError(ValueError):
    """Base class: a bilingual message (``message_nl``, ``message_en``)."""

    #: exit code of the command line for this type
    exit_code: int = 1

    def __init__(self, message_nl: str, message_en: str | None = None) -> None:
        self.message_nl = message_nl
        self.message_en = message_nl if message_en is None else message_en
        text = (
            self.message_nl
            if self.message_en == self.message_nl
            else f"{message_nl} / {message_en}"
        )
        super().__init__(text)

    def message(self, lang: str = "nl") -> str:
        """The message in ``lang`` (``"nl"`` or ``"en"``)."""
        return self.message_nl if lang == "nl" else self.message_en


class DataError(WatteltError):
    """The data cannot be used as given (exit code 1)."""

    exit_code = 1


class UsageError(WatteltError):
    """The request is wrong: an option, a path, a missing key (exit code 2)."""

    exit_code = 2


class WatteltWarning(UserWarning):
    """Base class of the package's warnings (filter them by class, never by text)."""


class ConvergenceWarning(WatteltWarning):
    """A model did not converge; its estimate may be unreliable."""


class OverlapWarning(WatteltWarning):
    """Poor overlap (positivity) between the arms on the covariates."""


class DroppedRowsWarning(WatteltWarning):
    """Rows were left out of an analysis (e.g. missing covariates) beyond a set share."""
