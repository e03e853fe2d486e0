"""The council report's figures: drawn from the suppressed tables, each with a text alternative.

Every figure of an outcome section shows the section's counts table as shares per arm
(a 100% bar per arm), computed only from what that table publishes
(:func:`wattelt_eval.disclosure.published_shares`): a drawn share is a shown count over a
shown total; the cells the table hides (``<10``, ``x``) are drawn together as one grey
hatched segment "not shown", which the table reveals anyway by subtraction. No mark
stands for a single resident (no violins, points or boxes), so no individual value can
be read from a figure, whatever the group size.

Colour is never the only carrier of meaning: the arms are named on the axis, every
category has its own hatching and a legend entry, the shares are printed on the bars,
and the text alternative (``alt``) states every number drawn. The palette is Okabe–Ito
(colour-blind safe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..i18n import format as fmt
from ..i18n import text
from .markup import esc, png
from .plan import ARMS

if TYPE_CHECKING:
    from .analysis import ReportAnalysis

__all__ = ["ReportFigure", "CATEGORY_STYLE", "HIDDEN_STYLE", "outcome_figure", "report_figures"]

#: Fill colour (Okabe–Ito), hatching and label colour of the 1st, 2nd, ... category.
CATEGORY_STYLE: tuple[tuple[str, str, str], ...] = (
    ("#0072B2", "", "white"),  # blue
    ("#56B4E9", "..", "black"),  # sky blue
    ("#E69F00", "//", "black"),  # orange
    ("#D55E00", "\\\\", "black"),  # vermillion
    ("#CC79A7", "oo", "black"),  # reddish purple
    ("#009E73", "--", "black"),  # bluish green
)
#: The cells the table hides, drawn together.
HIDDEN_STYLE: tuple[str, str, str] = ("#DDDDDD", "xx", "black")
#: Shares narrower than this get no label on the bar (they are in the alt text and the table).
MIN_LABEL_WIDTH = 0.07


@dataclass
class ReportFigure:
    """One figure of the report with its text alternative.

    Attributes
    ----------
    key : str
        The headline outcome.
    figure : matplotlib Figure
        Bars carry ``gid`` ``"share:<arm>:<column number>"`` and ``"hidden:<arm>"``.
    alt : str
        Text alternative: what the figure shows, with every number drawn.
    notes : list of str
        Caption sentences (what is not shown and why).
    shares, hidden, totals
        The published numbers drawn (:class:`~wattelt_eval.disclosure.PublishedShares`).
    """

    key: str
    figure: Any
    alt: str
    notes: list[str] = field(default_factory=list)
    shares: pd.DataFrame | None = None
    hidden: pd.Series | None = None
    totals: pd.Series | None = None


def _f(key: str, lang: str, **values: Any) -> str:
    return text(f"figures.{key}", lang, **values)


def _labels(a: ReportAnalysis, key: str, lang: str) -> tuple[list[str], list[str]]:
    """Arm labels and category labels of an outcome's table, as in the table."""
    from . import render

    counts = a.counts[key]
    arms = [render._arm(lang, x) for x in counts.index]
    cats = [render._category_label(c, lang, key == "cost_total") for c in counts.columns]
    return arms, cats


def outcome_figure(a: ReportAnalysis, key: str, lang: str) -> ReportFigure | None:
    """The figure of one outcome section; None when an arm is below ``min_n`` or nothing is shown.

    Nothing is shown when the table hides every cell (e.g. 15 residents per arm
    under ``min10``: one of any two parts of 15 is under 10); the section then says
    so instead of drawing grey bars.

    Parameters
    ----------
    a : ReportAnalysis
    key : str
        Headline key (``goal_retention``, ``n_retells``, ``cost_total``, ``no_provision``).
    lang : {"nl", "en"}
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from ..disclosure import can_show, format_count, published_shares

    if not can_show([a.n_arm[x] for x in ARMS], a.rule):
        return None
    counts = a.counts[key]
    ps = published_shares(counts, a.rule)
    if not np.isfinite(ps.shares.to_numpy()).any():
        return None
    arm_names, cats = _labels(a, key, lang)
    ncat = len(cats)
    if ncat > len(CATEGORY_STYLE):
        raise ValueError(f"at most {len(CATEGORY_STYLE)} categories can be drawn, not {ncat}")
    totals = [
        format_count(t, a.rule, lang=lang) if np.isfinite(t) else a.rule.symbol for t in ps.totals
    ]
    ylabels = [f"{name}\n(n = {n})" for name, n in zip(arm_names, totals, strict=True)]

    fig, ax = plt.subplots(figsize=(6.6, 1.0 + 0.75 * len(counts)))
    hidden_drawn = False
    for y, arm in enumerate(counts.index):
        left = 0.0
        for j in range(ncat):
            w = float(ps.shares.iloc[y, j])
            if not np.isfinite(w) or w <= 0:
                continue
            colour, hatch, ink = CATEGORY_STYLE[j]
            ax.barh(
                y,
                w,
                left=left,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                lw=0.8,
                gid=f"share:{arm}:{j}",
            )
            if w >= MIN_LABEL_WIDTH:
                ax.text(
                    left + w / 2,
                    y,
                    fmt.percent(w, 0, lang),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=ink,
                    bbox={"boxstyle": "round,pad=0.15", "fc": colour, "ec": "none"},
                )
            left += w
        h = float(ps.hidden.iloc[y])
        if np.isfinite(h) and h > 1e-12:
            colour, hatch, _ = HIDDEN_STYLE
            ax.barh(
                y,
                h,
                left=left,
                color=colour,
                hatch=hatch,
                edgecolor="#777777",
                lw=0.5,
                gid=f"hidden:{arm}",
            )
            hidden_drawn = True
    ax.set_yticks(range(len(counts)), ylabels, fontsize=9)
    ax.set_ylim(len(counts) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, 6), [fmt.percent(v, 0, lang) for v in np.linspace(0, 1, 6)])
    ax.set_xlabel(_f(f"xlabel.{key}", lang), fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(
            facecolor=CATEGORY_STYLE[j][0],
            hatch=CATEGORY_STYLE[j][1],
            edgecolor="white",
            label=cats[j],
        )
        for j in range(ncat)
    ]
    notes = []
    if hidden_drawn:
        handles.append(
            Patch(
                facecolor=HIDDEN_STYLE[0],
                hatch=HIDDEN_STYLE[1],
                edgecolor="#777777",
                label=_f("hidden", lang),
            )
        )
        notes.append(_f("hidden_note", lang, t=a.rule.threshold, sym=a.rule.symbol))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.45 - 0.1 / len(counts)),
        ncol=min(len(handles), 3),
        frameon=False,
        fontsize=8,
    )
    fig.tight_layout()
    alt = _alt_text(key, arm_names, cats, totals, ps, lang)
    return ReportFigure(key, fig, alt, notes, ps.shares, ps.hidden, ps.totals)


def _alt_text(
    key: str, arms: list[str], cats: list[str], totals: list[str], ps: Any, lang: str
) -> str:
    """What the figure shows, with every number drawn (the same published numbers)."""
    rows = []
    for y, (arm, n) in enumerate(zip(arms, totals, strict=True)):
        parts = [
            f"{cat} {fmt.percent(s, 1, lang)}"
            for cat, s in zip(cats, ps.shares.iloc[y], strict=True)
            if np.isfinite(s)
        ]
        h = float(ps.hidden.iloc[y])
        if np.isfinite(h) and h > 1e-12:
            parts.append(f"{_f('hidden', lang)} {fmt.percent(h, 1, lang)}")
        if not parts:
            parts.append(_f("hidden", lang))
        rows.append(_f("alt_row", lang, arm=arm, n=n, parts=", ".join(parts)))
    return _f("alt", lang, what=text(f"report.name.{key}", lang), rows=" ".join(rows))


def report_figures(a: ReportAnalysis, lang: str) -> list[ReportFigure]:
    """Every figure of the report's outcome sections, in plan order (omitted ones left out)."""
    figs = (outcome_figure(a, h.key, lang) for h in a.plan.headlines)
    return [f for f in figs if f is not None]


def figure_html(a: ReportAnalysis, key: str, lang: str) -> str:
    """``<figure>`` of one outcome (PNG with its text alternative and caption), or a note."""
    from ..disclosure import can_show

    try:
        fig = outcome_figure(a, key, lang)
    except (ValueError, KeyError, IndexError):  # as before: the report goes on without it
        return f'<p class="note">{esc(text("report.fig_failed", lang))}</p>'
    if fig is None:
        shown = can_show([a.n_arm[x] for x in ARMS], a.rule)
        why = _f("all_hidden", lang) if shown else text("report.fig_omitted", lang)
        return f'<p class="note">{esc(why)}</p>'
    caption = " ".join([_f("caption", lang), *fig.notes])
    return f"<figure>{png(fig.figure, fig.alt)}<figcaption>{esc(caption)}</figcaption></figure>"


def monitor_alt(result: Any, indicator: str, lang: str) -> str:
    """Text alternative of the monitor's control chart: per team every value drawn, signals.

    Only the periods the chart draws (:func:`wattelt_eval.plots.monitor_data`: periods
    below the disclosure threshold are blank there and here).
    """
    from ..implementation import INDICATORS, indicator_label, period_label
    from ..plots import monitor_data

    t = monitor_data(result, indicator)
    kind = INDICATORS[indicator]
    rows = []
    for grp, s in t.sort_values("period").groupby("group", sort=True):
        vals = [
            f"{period_label(p, result.freq)} "
            + (fmt.percent(v, 0, lang) if kind == "p" else fmt.number(v, 1, lang))
            for p, v in zip(s["period"], s["share_or_rate"], strict=True)
            if np.isfinite(v)
        ]
        sig = [period_label(p, result.freq) for p in s.loc[s["signal"].astype(bool), "period"]]
        parts = ", ".join(vals) or _f("hidden", lang)
        if sig:
            parts += "; " + _f("monitor_signal", lang, periods=", ".join(sig))
        rows.append(_f("monitor_row", lang, group=str(grp), parts=parts))
    return _f("monitor_alt", lang, what=indicator_label(indicator, lang), rows=" ".join(rows))
