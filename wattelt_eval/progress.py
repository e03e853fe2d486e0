"""Progress bars (tqdm) for the steps that take long on large packages.

Off by default: a library function shows a bar only inside :func:`shown` (the commands
``validate`` and ``outcomes`` turn it on when their error output is a terminal, or with
``--progress``; in a notebook ``we.validate(path, progress=True)`` and ``we.load(...,
progress=True)`` show a notebook bar through ``tqdm.auto``). The bar goes to standard
error and carries no data: only step names such as a table name.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

__all__ = ["shown", "bar", "step"]

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("progress", default=False)
_BAR: contextvars.ContextVar[Any] = contextvars.ContextVar("progress_bar", default=None)


@contextlib.contextmanager
def shown(enabled: bool | None = True) -> Iterator[None]:
    """Within this block, :func:`bar` shows a progress bar (``None`` keeps the setting)."""
    token = _ENABLED.set(_ENABLED.get() if enabled is None else bool(enabled))
    try:
        yield
    finally:
        _ENABLED.reset(token)


@contextlib.contextmanager
def bar(total: int, desc: str) -> Iterator[None]:
    """One bar of ``total`` steps named ``desc`` (nothing when bars are off or one is open)."""
    if not _ENABLED.get() or _BAR.get() is not None:
        yield
        return
    from tqdm.auto import tqdm

    b = tqdm(total=total, desc=desc, unit="step", leave=True, dynamic_ncols=True)
    token = _BAR.set(b)
    try:
        yield
    finally:
        _BAR.reset(token)
        b.close()


def step(label: str, n: int = 1) -> None:
    """Advance the open bar by ``n`` steps, showing ``label`` (a no-op without a bar)."""
    b = _BAR.get()
    if b is not None:
        b.set_postfix_str(label, refresh=False)
        b.update(n)
