"""CONSORT-style flow diagram of trajectories per outcome, from ``OutcomeSet.flow``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import check_lang
from ._common import (
    Lang,
    _finish,
    _require_columns,
    _t,
    _wrap,
)

if TYPE_CHECKING:
    pass
from ._common import OKABE_ITO
from .forest import outcome_label

FLOW_OUTCOMES = ("goal_retention", "n_tellings", "cost_total", "mean_change_resident")


def flow_data(
    flow: Any,
    *,
    outcomes: Sequence[str] = FLOW_OUTCOMES,
    lang: Lang = "nl",
    min_count: int | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """The boxes of the flow diagram: counts from ``OutcomeSet.flow``, disclosure applied.

    Per part (``trajectories`` and each outcome) the excluded steps and the analysed
    count form a table with its total; small counts are suppressed with
    complementary suppression (:func:`wattelt_eval.disclosure.suppress_table`), so
    no small count can be recovered by subtraction. ``exact=True`` shows the raw
    counts (researcher's workbench only).

    Returns
    -------
    DataFrame
        Columns ``part, step, kind, n, shown, label``.
    """
    from ..disclosure import resolve_rule, suppress_table

    check_lang(lang)
    f = flow if isinstance(flow, pd.DataFrame) else getattr(flow, "flow", None)
    if not isinstance(f, pd.DataFrame):
        raise TypeError(f"expected an OutcomeSet or its .flow table, got {type(flow).__name__}")
    _require_columns(f, ["outcome", "step", "kind", "n", "label_nl", "label_en"], "flow table")
    rule = resolve_rule(None, min_count)
    rows = []
    for part in ["trajectories", *outcomes]:
        sub = f[(f["outcome"] == part) & (f["kind"].isin(["total", "excluded", "analysed"]))]
        if sub.empty:
            continue
        cells = sub[sub["kind"] != "total"]
        counts = pd.Series(cells["n"].to_numpy(), index=cells["step"].to_numpy(), dtype="int64")
        if exact:
            shown = counts.astype(str).tolist() + [str(int(counts.sum()))]
        else:
            st = suppress_table(counts, rule, lang=lang).iloc[:, 0]
            shown = st.astype(str).tolist()
        total = sub[sub["kind"] == "total"].iloc[0]
        lab = "label_nl" if lang == "nl" else "label_en"
        rows.append((part, total["step"], "total", int(counts.sum()), shown[-1], total[lab]))
        for (_, r), s in zip(cells.iterrows(), shown[:-1], strict=True):
            rows.append((part, r["step"], r["kind"], int(r["n"]), s, r[lab]))
    return pd.DataFrame(rows, columns=["part", "step", "kind", "n", "shown", "label"])


def flow(
    flow: Any,
    *,
    outcomes: Sequence[str] = FLOW_OUTCOMES,
    lang: Lang = "nl",
    min_count: int | None = None,
    exact: bool = False,
) -> Figure:
    """CONSORT-style flow diagram of trajectories, per outcome, from ``OutcomeSet.flow``.

    Top: trajectories received, excluded (with reasons) and in the outcome table.
    Below, one column per outcome: the exclusions for that outcome and the number
    analysed. Small counts are suppressed (see :func:`flow_data`).

    Returns
    -------
    matplotlib.figure.Figure
        Each box is a text artist with ``gid`` ``"box:<part>:<step>"``.
    """
    df = flow_data(flow, outcomes=outcomes, lang=lang, min_count=min_count, exact=exact)
    parts = [p for p in outcomes if p in set(df["part"])]
    ncol = max(len(parts), 1)
    fig = plt.figure(figsize=(max(3.2 * ncol, 8), 7.5), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, ncol)
    ax.set_ylim(0, 10)
    box = dict(boxstyle="round,pad=0.4", fc="white", ec="#444444")
    sbox = dict(boxstyle="round,pad=0.4", fc="#F4F4F4", ec="#999999")

    def text(x, y, s, gid, style, size=8, ha="center"):
        ax.text(x, y, s, ha=ha, va="center", fontsize=size, bbox=style, wrap=True, gid=gid)

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops=dict(arrowstyle="->", color="#444444", lw=1),
        )

    tr = df[df["part"] == "trajectories"].set_index("step")
    mid = ncol / 2
    if not tr.empty:
        text(
            mid,
            9.4,
            f"{tr.loc['received', 'label']}\nn = {tr.loc['received', 'shown']}",
            "box:trajectories:received",
            box,
            9,
        )
        exc = tr[tr["kind"] == "excluded"]
        ax.annotate(
            "",
            xy=(mid + 0.25, 8.3),
            xytext=(mid, 8.3),
            arrowprops=dict(arrowstyle="->", color="#444444", lw=1),
        )
        text(
            mid + 0.3,
            8.3,
            "\n".join(f"{lab}: {s}" for lab, s in zip(exc["label"], exc["shown"], strict=True)),
            "box:trajectories:excluded",
            sbox,
            7,
            ha="left",
        )
        text(
            mid,
            7.2,
            f"{tr.loc['analysed', 'label']}\nn = {tr.loc['analysed', 'shown']}",
            "box:trajectories:analysed",
            box,
            9,
        )
        arrow(mid, 9.0, mid, 7.6)
    for i, p in enumerate(parts):
        x = i + 0.3
        sub = df[df["part"] == p].set_index("step")
        arrow(mid, 6.8, x, 5.9)
        text(
            x,
            5.5,
            _wrap(outcome_label(p, lang), 28),
            f"box:{p}:title",
            dict(boxstyle="square,pad=0.3", fc=OKABE_ITO["sky_blue"], ec="none", alpha=0.35),
            8,
        )
        exc = sub[sub["kind"] == "excluded"]
        lines = [
            _wrap(f"{lab}: {s}", 30) for lab, s in zip(exc["label"], exc["shown"], strict=True)
        ]
        ax.annotate(
            "",
            xy=(x + 0.08, 3.6),
            xytext=(x, 3.6),
            arrowprops=dict(arrowstyle="->", color="#444444", lw=1),
        )
        text(x + 0.1, 3.6, "\n".join(lines) or "—", f"box:{p}:excluded", sbox, 7, ha="left")
        text(
            x,
            1.2,
            f"{sub.loc['analysed', 'label']}\nn = {sub.loc['analysed', 'shown']}",
            f"box:{p}:analysed",
            box,
            8,
        )
        arrow(x, 5.1, x, 1.7)
    fig.suptitle(_t("flow_title", lang))
    from ..disclosure import note as disclosure_note

    notes = [] if exact else [disclosure_note(None, min_count, lang=lang)]
    if exact:
        notes.append(_t("board_private", lang))
    return _finish(fig, notes)
