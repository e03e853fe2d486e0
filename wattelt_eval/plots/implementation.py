"""Control charts of the implementation monitor: one figure per indicator, a panel per group.

Drawn from :attr:`wattelt_eval.implementation.MonitorResult.table` (values, centre line,
limits and signals are computed there, ``docs/monitor.md``); nothing is recomputed
here. A period resting on fewer residents than the disclosure threshold (``shown``
false) is not drawn as a value, and neither are its limits or signals; the note under
the figure says which periods were left out.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import check_lang, text
from ._common import OKABE_ITO, Lang, _dropped_note, _finish, _pct_axis

_VALUE = OKABE_ITO["blue"]
_SIGNAL = OKABE_ITO["vermillion"]
_LIMIT = OKABE_ITO["grey"]


def _m(key: str, lang: str, **kw: Any) -> str:
    return text(f"monitor.{key}", lang, **kw)


def _result(source: Any) -> Any:
    from ..implementation import MonitorResult

    if isinstance(source, MonitorResult):
        return source
    raise TypeError(f"expected a MonitorResult (we.monitor(data)), got {type(source).__name__}")


def monitor_data(result: Any, indicator: str) -> pd.DataFrame:
    """The rows of one indicator as drawn: values, limits and signals masked where not shown.

    Returns
    -------
    DataFrame
        The :data:`~wattelt_eval.implementation.MONITOR_COLUMNS` rows of ``indicator``; where
        ``shown`` is false ``numerator``, ``denominator``, ``n_trajectories``, the value,
        the limits and the signal are blanked; where ``centre_shown`` is false the
        centre line.
    """
    res = _result(result)
    t = res.table[res.table["indicator"] == indicator].copy()
    hide = ~t["shown"].to_numpy(dtype=bool)
    for col in ("numerator", "denominator", "share_or_rate", "lcl", "ucl"):
        t[col] = t[col].astype("float64").where(~hide)
    t["n_trajectories"] = t["n_trajectories"].astype("Int64").where(~hide)
    t["signal"] = t["signal"] & ~hide
    t["signal_rule"] = t["signal_rule"].where(~hide, "")
    t["centre"] = t["centre"].astype("float64").where(t["centre_shown"].to_numpy(dtype=bool))
    return t.reset_index(drop=True)


def monitor_chart(
    result: Any,
    indicator: str,
    *,
    ncols: int = 3,
    lang: Lang | None = None,
) -> Figure:
    """Control chart of one indicator, a small multiple per group, signals marked.

    Parameters
    ----------
    result : MonitorResult
        From :func:`wattelt_eval.monitor` (its threshold is the disclosure threshold).
    indicator : str
        One of :data:`wattelt_eval.implementation.INDICATORS` present in the result.
    ncols : int
        Panels per row.
    lang : {"nl", "en"}, optional
        Default: the result's language.

    Returns
    -------
    Figure
        Value per period (dots joined), centre line, 3-sigma limits (dashed, a step per
        period: they widen where the denominator is small) and the points that break a
        signal rule (ring). ``fig.wattelt_notes`` holds the notes.
    """
    from ..implementation import INDICATORS, SHIFT_RUN, TREND_RUN, indicator_label, period_label

    res = _result(result)
    lang = check_lang(lang or res.lang)
    if indicator not in INDICATORS:
        raise ValueError(f"indicator must be one of {', '.join(INDICATORS)}, got {indicator!r}")
    t = monitor_data(res, indicator)
    res_n = res.table.loc[res.table["indicator"] == indicator, "denominator"].reset_index(drop=True)
    kind = INDICATORS[indicator]
    groups = list(dict.fromkeys(t["group"].tolist()))
    n_panels = max(len(groups), 1)
    ncols = max(1, min(int(ncols), n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(3.6 * ncols, 2.6 * nrows + 2.0),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    dropped: list[str] = []
    for ax, grp in zip(axes.flat, groups, strict=False):
        s = t[t["group"] == grp].sort_values("period")
        x = s["period"].to_numpy()
        v = s["share_or_rate"].to_numpy(dtype=float)
        ok = np.isfinite(v)  # a hidden or empty period breaks the line
        ax.step(x, s["centre"], where="mid", color="black", lw=1.0)
        ax.step(x, s["lcl"], where="mid", color=_LIMIT, lw=0.9, ls="--")
        ax.step(x, s["ucl"], where="mid", color=_LIMIT, lw=0.9, ls="--")
        ax.plot(x, v, "-o", color=_VALUE, ms=3, lw=1.0)
        sig = s["signal"].to_numpy(dtype=bool) & ok
        ax.plot(x[sig], v[sig], "o", ms=8, mfc="none", mec=_SIGNAL, mew=1.6)
        ax.set_title(str(grp), fontsize=9)
        ax.tick_params(labelsize=7)
        small = ~s["shown"].to_numpy(dtype=bool) & (res_n.loc[s.index] > 0).to_numpy()
        hidden = s.loc[small, "period"]
        if len(hidden):
            dropped.append(f"{grp}: {', '.join(period_label(p, res.freq) for p in hidden)}")
    for ax in list(axes.flat)[len(groups) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        if kind == "p":
            _pct_axis(ax.yaxis, lang)
            ax.set_ylabel(_m("axis.share", lang), fontsize=8)
        else:
            ax.set_ylabel(_m("axis.rate" if kind == "u" else "axis.days", lang), fontsize=8)
    fig.autofmt_xdate()
    fig.suptitle(indicator_label(indicator, lang), fontsize=11, y=0.99)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=_VALUE, marker="o", ms=3, lw=1.0, label=_m("legend.value", lang)),
        Line2D([], [], color="black", lw=1.0, label=_m("legend.centre", lang)),
        Line2D([], [], color=_LIMIT, lw=0.9, ls="--", label=_m("legend.limits", lang)),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=8,
            mfc="none",
            mec=_SIGNAL,
            label=_m("legend.signal", lang),
        ),
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.955),
        fontsize=7,
        ncols=4,
        frameon=False,
    )
    charts = sorted(set(t["chart"]))
    notes = [
        ", ".join(_m(f"chart.{c}", lang) for c in charts)
        + ". "
        + _m("note.rules", lang, shift=SHIFT_RUN, trend=TREND_RUN),
        _m("note.small", lang, t=res.threshold),
        *_dropped_note(dropped, res.threshold, lang),
    ]
    fig = _finish(fig, notes)
    # room for the notes under the panels: about a line per 90 characters
    n_lines = sum(math.ceil(len(n) / max(int(fig.get_figwidth() * 15), 60)) for n in notes)
    bottom = min(0.45, (0.35 + 0.16 * n_lines) / fig.get_figheight())
    fig.tight_layout(rect=(0, bottom, 1, 0.92))
    return fig
