"""``wattelt-eval report``: transitional shim; the command moves here from ``report``."""

from __future__ import annotations

from ..report import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
