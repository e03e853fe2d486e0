"""``wattelt-eval validate``: transitional shim; the command moves here from ``validation``."""

from __future__ import annotations

from ..validation import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
