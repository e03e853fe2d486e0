"""``wattelt-eval pseudonymise``: transitional shim; the command moves here from ``privacy``."""

from __future__ import annotations

from ..privacy import add_cli, run_cli

__all__ = ["add_cli", "run_cli"]
