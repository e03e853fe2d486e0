"""``wattelt-eval template``: transitional shim; the command moves here from ``templates``."""

from __future__ import annotations

from ..templates import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
