"""The result protocol of the comparison engine and :class:`CompareResult`.

Every result type (:class:`CompareResult`, ``BalanceResult``, ``DiDResult``,
``ITSResult``, ``PowerResult``, ``CEAResult``) is a :class:`TableView`: its tidy table
(``tidy()``, the single source) is rendered by one printer into the text ``summary()``
(which is also ``repr``) and the notebook HTML (``_repr_html_``). A result type only says
what goes where: a title, a subject, header lines (method, design, ...), the displayed
table (``_view``, by default the tidy table itself), extra tables and notes.
Numbers are formatted by :mod:`wattelt_eval.i18n.format` in the result's language.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..i18n import LANGS
from ..i18n import format as fmt
from ._shared import FittedModel, bilingual, ci_text, method_text, txt

__all__ = ["TableView", "CompareResult", "CI_TEXT", "TERM_LABELS", "estimate_view", "fmt_estimate"]

#: ``{ci_method: {"nl": ..., "en": ...}}`` from the catalogue (``estimation.ci.*``)
CI_TEXT = bilingual("ci", ("sandwich", "cluster_t", "wild", "bootstrap", "randomization"))
#: ``{term: {"nl": ..., "en": ...}}`` for the terms of a comparison
TERM_LABELS = bilingual(
    "term",
    (
        "mean_control",
        "mean_treated",
        "difference",
        "ratio",
        "interaction_difference",
        "interaction_ratio",
    ),
)


def title(name: str) -> dict[str, str]:
    """The title ``estimation.title.<name>`` in every language (a result's ``TITLE``)."""
    return {lang: txt(f"title.{name}", lang) for lang in LANGS}


# ------------------------------------------------------------------------------ numbers


def fmt_estimate(x: Any, lang: str = "nl", digits: int = 3) -> str:
    """An estimate for display: 0 decimals from 1000, 1 from 100, else ``digits``
    decimals, and ``digits`` significant digits below 0.001; missing gives ``–``."""
    if fmt.is_missing(x):
        return fmt.MISSING
    x = float(x)
    ax = abs(x)
    if ax >= 1000:
        return fmt.number(x, 0, lang)
    if ax >= 100:
        return fmt.number(x, 1, lang)
    if 0 < ax < 0.001:
        return fmt.number(x, digits - 1 - math.floor(math.log10(ax)), lang)
    return fmt.number(x, digits, lang)


def _term_label(term: str, lang: str, wtp: Any = None) -> str:
    from ..i18n import catalogue

    key = f"estimation.term.{term}"
    label = catalogue()[key][lang] if key in catalogue() else str(term)
    if wtp is not None and not fmt.is_missing(wtp):
        label += f" (wtp {fmt.number(wtp, 0, lang)})"
    return label


def estimate_view(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The displayed form of a tidy table of estimates (one printer for every result).

    Columns shown when present: group, term (labelled), estimate, CI, p, n per arm
    (control/treated).
    """
    out: dict[str, Any] = {}
    if "group" in table.columns:
        out[txt("label.group", lang)] = table["group"].to_numpy()
    wtps = table["wtp"] if "wtp" in table.columns else [None] * len(table)
    out[txt("label.term", lang)] = [
        _term_label(t, lang, w) for t, w in zip(table["term"], wtps, strict=True)
    ]
    out[""] = [fmt_estimate(x, lang) for x in table["estimate"]]
    out[txt("label.ci", lang)] = [
        ""
        if fmt.is_missing(lo) and fmt.is_missing(hi)
        else txt("label.ci_range", lang, low=fmt_estimate(lo, lang), high=fmt_estimate(hi, lang))
        for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]
    if "p_value" in table.columns:
        out["p"] = ["" if fmt.is_missing(p) else fmt.p_value(p, lang) for p in table["p_value"]]
    if {"n_control", "n_treated"} <= set(table.columns):
        out["n"] = [
            f"{int(c)}/{int(t)}" if np.isfinite(c) else ""
            for c, t in zip(table["n_control"], table["n_treated"], strict=True)
        ]
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------ the printer


class TableView:
    """The one result protocol: every view derives from the tidy table.

    A subclass (a ``@dataclass(repr=False)``) has ``lang`` and either a ``table`` attribute
    or its own :meth:`tidy`; it sets ``TITLE`` (``{"nl", "en"}``) and overrides what it
    needs of :meth:`_subject`, :meth:`_header`, :meth:`_view`, :meth:`_extra_tables` and
    :meth:`_notes`. :meth:`summary`, ``repr`` and ``_repr_html_`` are not overridden.
    """

    TITLE: ClassVar[dict[str, str]] = {}

    def tidy(self) -> pd.DataFrame:
        """The tidy table of the result (the single source of every view)."""
        return self.table  # type: ignore[attr-defined]

    # --- what a result type says (overridable)
    def _subject(self, lang: str) -> str:
        return ""

    def _header(self, lang: str) -> list[tuple[str, str]]:
        return [
            (txt("label.method", lang), str(getattr(self, "method", ""))),
            (txt("label.design", lang), str(getattr(self, "design", ""))),
        ]

    def _view(self, lang: str) -> pd.DataFrame:
        return self.tidy()

    def _extra_tables(self, lang: str) -> list[pd.DataFrame]:
        return []

    def _notes(self, lang: str) -> list[str]:
        return []

    # --- the printer
    def _lang(self, lang: str | None) -> str:
        from ..i18n import check_lang

        return check_lang(lang or getattr(self, "lang", "nl"))

    def summary(self, lang: str | None = None) -> str:
        """Plain-text summary (in the result's language unless ``lang`` is given)."""
        lang = self._lang(lang)
        subject = self._subject(lang)
        lines = [self.TITLE[lang] + (f": {subject}" if subject else "")]
        lines += [f"{k}: {v}" for k, v in self._header(lang)]
        lines += ["", self._view(lang).to_string(index=False)]
        for extra in self._extra_tables(lang):
            lines += ["", extra.to_string(index=False)]
        notes = self._notes(lang)
        if notes:
            lines += [""] + notes
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        lang = self._lang(None)
        subject = self._subject(lang)
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self._header(lang)
        )
        parts = [
            f"<div><b>{html.escape(self.TITLE[lang])}</b>",
            f": {html.escape(subject)}" if subject else "",
            f"<table>{head}</table>",
            self._view(lang).to_html(index=False),
        ]
        parts += [t.to_html(index=False) for t in self._extra_tables(lang)]
        parts += [f"<p>{html.escape(n)}</p>" for n in self._notes(lang)]
        return "".join(parts) + "</div>"


# ------------------------------------------------------------------------------ compare


@dataclass(repr=False)
class CompareResult(TableView):
    """Result of :func:`wattelt_eval.compare`.

    Attributes
    ----------
    estimate, ci_low, ci_high, p_value : float
        The marginal difference (intervention - control) over all rows, its CI and p-value.
    n_per_arm : dict
        Rows used per arm (``{treated_label: n, control_label: n}``).
    method, kind, design : str
        Estimator, outcome type, and the design the estimate rests on.
    table : DataFrame
        Tidy table (``group, term, estimate, se, ci_low, ci_high, p_value, df, ci_method,
        n_control, n_treated``); every other view derives from it.
    diagnostics : dict
        Models, convergence, weights summary (stabilised weights, effective sample size),
        overlap, dropped rows, inference method, clusters.
    fit : FittedModel
        The fit over all rows (design, marginal means, influence functions, bootstrap
        functional), for analyses that build on this comparison (``we.cea``) without
        refitting.
    """

    TITLE: ClassVar[dict[str, str]] = title("compare")

    outcome: str
    kind: str
    method: str
    design: str
    arm: str
    treated: Any
    control: Any
    table: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"
    alpha: float = 0.05
    fit: FittedModel | None = field(default=None, compare=False)

    def _row(self, term: str, group: str = "all") -> pd.Series | None:
        t = self.table
        m = (t["group"] == group) & (t["term"] == term)
        return t.loc[m].iloc[0] if m.any() else None

    @property
    def estimate(self) -> float:
        return float(self._row("difference")["estimate"])

    @property
    def ci_low(self) -> float:
        return float(self._row("difference")["ci_low"])

    @property
    def ci_high(self) -> float:
        return float(self._row("difference")["ci_high"])

    @property
    def p_value(self) -> float:
        return float(self._row("difference")["p_value"])

    @property
    def se(self) -> float:
        return float(self._row("difference")["se"])

    @property
    def ratio(self) -> tuple[float, float, float] | None:
        """(ratio, ci_low, ci_high), or None where a ratio is not natural."""
        r = self._row("ratio")
        return (
            None if r is None else (float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))
        )

    @property
    def n_per_arm(self) -> dict[str, int]:
        r = self._row("difference")
        return {str(self.treated): int(r["n_treated"]), str(self.control): int(r["n_control"])}

    @property
    def model(self) -> str:
        return "; ".join(self.diagnostics.get("models", []))

    @property
    def ci_method(self) -> str:
        return str(self.diagnostics.get("ci_method"))

    def _subject(self, lang: str) -> str:
        return f"{self.outcome} ({self.kind}); {self.arm}: {self.treated} vs {self.control}"

    def _header(self, lang: str) -> list[tuple[str, str]]:
        d = self.diagnostics
        dropped = sum(d.get("n_dropped", {}).values())
        return [
            (txt("label.method", lang), method_text(self.method, lang)),
            (txt("label.models", lang), self.model),
            (txt("label.inference", lang), ci_text(self.ci_method, lang)),
            (txt("label.design", lang), self.design),
            (txt("label.n", lang), f"{d.get('n_used')} ({dropped})"),
        ]

    def _view(self, lang: str) -> pd.DataFrame:
        return estimate_view(self.table, lang)

    def _notes(self, lang: str) -> list[str]:
        notes = []
        for k, v in self.diagnostics.items():
            if k.startswith("weights_"):
                notes.append(
                    txt(
                        "label.weights",
                        lang,
                        name=k,
                        mean=fmt.number(v["mean"], 2, lang),
                        max=fmt.number(v["max"], 2, lang),
                        ess=fmt.number(v["ess"], 0, lang),
                        n=v["n"],
                    )
                )
        if not self.diagnostics.get("converged", True):
            notes.append(txt("label.not_converged", lang))
        if self.diagnostics.get("method_auto"):
            notes.append(str(self.diagnostics["method_auto"]))
        for term, note in self.diagnostics.get("ci_notes", {}).items():
            notes.append(f"{term}: {txt(f'ci_note.{note}', lang)}")
        t = self.table
        rows = t[(t["group"] == "all") & (t["term"] == "ratio")] if "e_value" in t else t[:0]
        for r in rows.itertuples():
            if np.isfinite(r.e_value):
                notes.append(
                    txt(
                        "label.e_value",
                        lang,
                        e=fmt.number(r.e_value, 2, lang),
                        e_ci=fmt.number(r.e_value_ci, 2, lang),
                    )
                )
        return notes

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (table records + scalar diagnostics)."""
        diag = {
            k: v
            for k, v in self.diagnostics.items()
            if isinstance(v, (int, float, str, bool, list, tuple, dict, type(None)))
            and k != "subgroups"
        }
        return {
            "outcome": self.outcome,
            "kind": self.kind,
            "method": self.method,
            "design": self.design,
            "treated": str(self.treated),
            "control": str(self.control),
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "n_per_arm": self.n_per_arm,
            "table": self.table.replace({np.nan: None}).to_dict(orient="records"),
            "diagnostics": diag,
        }
