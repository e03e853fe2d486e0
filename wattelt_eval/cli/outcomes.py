"""``wattelt-eval outcomes``: transitional shim; the command moves here from ``outcome.tables``."""

from __future__ import annotations

from ..outcome.tables import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
