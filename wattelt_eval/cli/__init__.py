"""The ``wattelt-eval`` command line: one module per command, shared helpers in ``_common``.

Library modules never import from here. See :mod:`wattelt_eval.cli.main`.
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
