"""Forest plot of all comparisons: estimate and 95% CI per outcome and method."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import check_lang
from ._common import (
    Lang,
    _finish,
    _num,
    _require_columns,
    _t,
    _threshold,
)

if TYPE_CHECKING:
    pass
from ..i18n import format as fmt
from ..i18n import pair
from ._common import OKABE_ITO

_OUTCOMES = (
    "goal_retention",
    "goal_ownership",
    "goals_achieved_share",
    "gas_t",
    "n_tellings",
    "n_retells",
    "cost_total",
    "cost_provisions",
    "cost_staff",
    "any_provision",
    "n_problem_domains_t0",
    "mean_change_resident",
    "disagreement_t0",
)
#: Outcome column -> (Dutch, English) label (catalogue ``plots.outcome.*``).
OUTCOME_LABELS: dict[str, tuple[str, str]] = {o: pair(f"plots.outcome.{o}") for o in _OUTCOMES}
#: Estimator -> (Dutch, English) label (catalogue ``plots.method.*``).
METHOD_LABELS: dict[str, tuple[str, str]] = {
    m: pair(f"plots.method.{m}") for m in ("unadjusted", "regression", "ipw", "aipw")
}
METHOD_ORDER = ("unadjusted", "regression", "ipw", "aipw")


def outcome_label(outcome: str, lang: str = "nl") -> str:
    """Human label of an outcome column (the column name when unknown)."""
    labels = OUTCOME_LABELS.get(str(outcome))
    return str(outcome) if labels is None else labels[0 if lang == "nl" else 1]


def _method_label(method: str, lang: str) -> str:
    labels = METHOD_LABELS.get(str(method))
    return str(method) if labels is None else labels[0 if lang == "nl" else 1]


def forest_data(
    results: Any, *, term: Literal["difference", "ratio"] = "difference"
) -> pd.DataFrame:
    """The rows of a forest plot from ``we.compare_all`` output, CompareResults, or a list of them.

    Returns
    -------
    DataFrame
        One row per outcome × method (group ``all``, the chosen ``term``), in outcome
        order of appearance and method order unadjusted, regression, ipw, aipw.
    """
    if term not in ("difference", "ratio"):
        raise ValueError(f"term must be 'difference' or 'ratio', got {term!r}")
    items = results if isinstance(results, (list, tuple)) else [results]
    frames = []
    for it in items:
        tab = it if isinstance(it, pd.DataFrame) else getattr(it, "table", None)
        if not isinstance(tab, pd.DataFrame):
            raise TypeError(
                "expected the table of we.compare_all, a CompareResult, or a list of them; "
                f"got {type(it).__name__}"
            )
        frames.append(tab)
    tab = pd.concat(frames, ignore_index=True)
    _require_columns(
        tab, ["outcome", "method", "term", "estimate", "ci_low", "ci_high"], "comparison table"
    )
    if "group" in tab.columns:
        tab = tab[tab["group"].astype(str) == "all"]
    tab = tab[tab["term"] == term].copy()
    tab["_o"] = tab["outcome"].map({o: i for i, o in enumerate(pd.unique(tab["outcome"]))})
    tab["_m"] = (
        tab["method"].map({m: i for i, m in enumerate(METHOD_ORDER)}).fillna(len(METHOD_ORDER))
    )
    tab = tab.sort_values(["_o", "_m"], kind="stable").drop(columns=["_o", "_m"])
    return tab.reset_index(drop=True)


def forest(
    results: Any,
    *,
    term: Literal["difference", "ratio"] = "difference",
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Forest plot of all comparisons: estimate and 95% CI per outcome and method.

    Each outcome gets its own panel (outcomes are on different scales: shares,
    counts, euros); rows are the methods, named, with the interval method beside
    the estimate. The reference line is 0 for differences and 1 for ratios (log
    axis). Estimates resting on fewer than ``min_count`` residents in an arm
    (``n_control`` / ``n_treated``) are not shown.

    Parameters
    ----------
    results : DataFrame, CompareResult or list of them
        Typically ``we.compare_all(table, method=...)`` for one or more methods.
    term : {"difference", "ratio"}

    Returns
    -------
    matplotlib.figure.Figure
        The point of each row carries ``gid`` ``"estimate:<outcome>:<method>"``, its
        interval ``"ci:<outcome>:<method>"``.
    """
    check_lang(lang)
    thr = _threshold(None, min_count)
    df = forest_data(results, term=term)
    notes: list[str] = []
    if {"n_control", "n_treated"} <= set(df.columns):
        small = df[["n_control", "n_treated"]].min(axis=1) < thr
        if small.any():
            notes.append(
                _t(
                    "forest_dropped",
                    lang,
                    t=thr,
                    groups=", ".join(
                        f"{outcome_label(o, lang)} / {_method_label(m, lang)}"
                        for o, m in zip(
                            df.loc[small, "outcome"], df.loc[small, "method"], strict=True
                        )
                    ),
                )
            )
            df = df[~small]
    outcomes_ = list(pd.unique(df["outcome"]))
    if not outcomes_:
        fig, ax = plt.subplots(figsize=(7, 2), layout="constrained")
        ax.set_axis_off()
        ax.text(0.5, 0.5, fmt.MISSING, ha="center", va="center")
        return _finish(fig, notes)
    heights = [max(int((df["outcome"] == o).sum()), 1) + 0.8 for o in outcomes_]
    fig, axes = plt.subplots(
        len(outcomes_),
        1,
        figsize=(8.5, 0.45 * sum(heights) + 1.2),
        layout="constrained",
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    ref = 0.0 if term == "difference" else 1.0
    for ax, o in zip(axes[:, 0], outcomes_, strict=True):
        sub = df[df["outcome"] == o].reset_index(drop=True)
        y = np.arange(len(sub))
        for i, r in sub.iterrows():  # one row per method (a handful): drawing, not a data path
            c = OKABE_ITO["blue"] if r["method"] != "unadjusted" else OKABE_ITO["grey"]
            ax.hlines(y[i], r["ci_low"], r["ci_high"], color=c, lw=2, gid=f"ci:{o}:{r['method']}")
            ax.plot([r["estimate"]], [y[i]], "D", color=c, ms=6, gid=f"estimate:{o}:{r['method']}")
        ax.axvline(ref, color="#444444", lw=0.8, ls="--")
        if term == "ratio":
            ax.set_xscale("log")
        labels = [_method_label(m, lang) for m in sub["method"]]
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_ylim(len(sub) - 0.4, -0.6)
        ax.set_title(outcome_label(o, lang), fontsize=10, loc="left")
        ax2 = ax.twinx()
        ax2.set_ylim(ax.get_ylim())
        ci_txt = [
            _t("ci_range", lang, estimate=_num(e, lang), low=_num(lo, lang), high=_num(hi, lang))
            + (f"  [{m}]" if isinstance(m, str) and m else "")
            for e, lo, hi, m in zip(
                sub["estimate"],
                sub["ci_low"],
                sub["ci_high"],
                sub.get("ci_method", pd.Series([""] * len(sub))),
                strict=True,
            )
        ]
        ax2.set_yticks(y, ci_txt, fontsize=7)
        ax2.tick_params(length=0)
    axes[-1, 0].set_xlabel(
        _t("difference" if term == "difference" else "ratio", lang) + _t("forest_contrast", lang)
    )
    fig.suptitle(_t("forest_title", lang))
    return _finish(fig, notes)
