"""``wattelt-eval synth``: transitional shim; the command moves here from ``synth``."""

from __future__ import annotations

from ..synth import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
