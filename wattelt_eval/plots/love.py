"""Love plot of covariate balance: the disclosure-safe one of the comparison engine.

Transitional: until :func:`wattelt_eval.estimation.balancing.love_plot` applies the
small-number filter itself (``min_count``), this wrapper does it; then
``plots.love_plot`` becomes a plain re-export of it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..i18n import check_lang
from ._common import Lang, _dropped_note, _finish, _threshold

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def love_plot(
    balance: Any, *, lang: Lang = "nl", min_count: int | None = None, **kwargs: Any
) -> Figure:
    """Love plot of covariate balance before and after weighting.

    A thin wrapper around :func:`wattelt_eval.estimation.balancing.love_plot` (the
    comparison engine owns the balance computation), so that all figures can be
    found in :mod:`wattelt_eval.plots`. Disclosure: a covariate whose non-missing
    values in either arm number fewer than ``min_count`` (default the study's
    threshold, 10) is not drawn, with a note (its SMD rests on too few residents).

    Parameters
    ----------
    balance : BalanceResult
        From ``we.balance(table, arm=..., covariates=..., weights=...)``.
    lang : {"nl", "en"}
    min_count : int, optional
    **kwargs
        Passed on to the comparison engine's ``love_plot`` (``threshold``).

    Returns
    -------
    matplotlib.figure.Figure
        Axis 0 holds the unweighted |SMD| points (first collection) and, when
        weighted, the weighted ones (second collection); ``fig.wattelt_notes`` the
        disclosure note.
    """
    from ..estimation.balancing import love_plot as engine_love_plot

    check_lang(lang)
    thr = _threshold(None, min_count)
    tab = balance.table
    notes: list[str] = []
    if {"n_t", "n_c"} <= set(tab.columns):
        small = (tab["n_t"] < thr) | (tab["n_c"] < thr)
        if small.any():
            dropped = list(dict.fromkeys(tab.loc[small, "variable"].astype(str)))
            notes = _dropped_note(dropped, thr, lang)
            balance = dataclasses.replace(balance, table=tab[~small].reset_index(drop=True))
    fig = engine_love_plot(balance, lang=lang, **kwargs)
    return _finish(fig, notes)
