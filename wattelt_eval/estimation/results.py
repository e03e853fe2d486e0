"""The :class:`CompareResult` object returned by ``we.compare``."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TERM_LABELS = {
    "mean_control": {"en": "mean, control arm", "nl": "gemiddelde, controlearm"},
    "mean_treated": {"en": "mean, intervention arm", "nl": "gemiddelde, interventiearm"},
    "difference": {
        "en": "difference (intervention - control)",
        "nl": "verschil (interventie - controle)",
    },
    "ratio": {"en": "ratio (intervention / control)", "nl": "ratio (interventie / controle)"},
    "interaction_difference": {
        "en": "interaction: difference of differences",
        "nl": "interactie: verschil in verschillen",
    },
    "interaction_ratio": {
        "en": "interaction: ratio of ratios",
        "nl": "interactie: ratio van ratio's",
    },
}
TEXT = {
    "outcome": {"en": "Outcome", "nl": "Uitkomst"},
    "method": {"en": "Method", "nl": "Methode"},
    "design": {"en": "Design", "nl": "Opzet"},
    "models": {"en": "Models", "nl": "Modellen"},
    "inference": {"en": "Inference", "nl": "Onzekerheid"},
    "n": {"en": "n used (dropped)", "nl": "n gebruikt (weggelaten)"},
    "group": {"en": "group", "nl": "groep"},
    "term": {"en": "estimate", "nl": "schatting"},
    "ci": {"en": "95% CI", "nl": "95%-BI"},
}


class TableView:
    """Shared views of the design-level results (did, its, power, cea).

    A subclass (a ``@dataclass(repr=False)``) has ``table``, ``method``, ``design``, ``lang``,
    a ``summary()`` built from ``table``, and a class attribute ``TITLE`` ({"nl", "en"}).
    Every view derives from ``table``, the single source.
    """

    TITLE: dict[str, str] = {}

    def __repr__(self) -> str:
        return self.summary()  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        title = html.escape(self.TITLE[self.lang])  # type: ignore[attr-defined]
        return (
            f"<div><b>{title}</b>: {html.escape(self.method)}; "  # type: ignore[attr-defined]
            f"{html.escape(self.design)}"  # type: ignore[attr-defined]
            f"{self.table.to_html(index=False)}</div>"
        )  # type: ignore[attr-defined]


CI_TEXT = {
    "sandwich": {
        "en": "robust (sandwich) standard errors",
        "nl": "robuuste (sandwich) standaardfouten",
    },
    "cluster_t": {
        "en": "cluster-robust, per-arm small-sample correction, t with Welch-Satterthwaite df",
        "nl": "clusterrobuust, correctie voor weinig clusters per arm, t met Welch-Satterthwaite df",
    },
    "wild": {
        "en": "wild cluster bootstrap (Webb weights)",
        "nl": "wild-cluster-bootstrap (Webb-gewichten)",
    },
    "bootstrap": {
        "en": "bootstrap percentile interval (one-step weighted bootstrap)",
        "nl": "bootstrap-percentielinterval (one-step gewogen bootstrap)",
    },
}


def _fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    return f"{x:.{digits}g}" if ax < 0.001 and ax > 0 else f"{x:.{digits}f}"


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


@dataclass
class CompareResult:
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
    """

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

    def _view(self, lang: str) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                TEXT["group"][lang]: t["group"],
                TEXT["term"][lang]: [TERM_LABELS.get(x, {}).get(lang, x) for x in t["term"]],
                "": [_fmt(x) for x in t["estimate"]],
                TEXT["ci"][lang]: [
                    f"{_fmt(lo)} to {_fmt(hi)}" if lang == "en" else f"{_fmt(lo)} tot {_fmt(hi)}"
                    for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
                ],
                "p": [_fmt_p(p) for p in t["p_value"]],
                "n": [
                    f"{int(c)}/{int(tr)}" if np.isfinite(c) else ""
                    for c, tr in zip(t["n_control"], t["n_treated"], strict=True)
                ],
            }
        )
        return out

    def _header(self, lang: str) -> list[tuple[str, str]]:
        from .effects import METHOD_TEXT

        d = self.diagnostics
        dropped = sum(d.get("n_dropped", {}).values())
        return [
            (
                TEXT["outcome"][lang],
                f"{self.outcome} ({self.kind}); {self.arm}: {self.treated} vs {self.control}",
            ),
            (TEXT["method"][lang], METHOD_TEXT[self.method][lang]),
            (TEXT["models"][lang], self.model),
            (TEXT["inference"][lang], CI_TEXT.get(self.ci_method, {}).get(lang, self.ci_method)),
            (TEXT["design"][lang], self.design),
            (TEXT["n"][lang], f"{d.get('n_used')} ({dropped})"),
        ]

    def summary(self, lang: str | None = None) -> str:
        """Plain-text summary (Dutch by default)."""
        lang = lang or self.lang
        lines = [f"{k}: {v}" for k, v in self._header(lang)]
        lines.append("")
        lines.append(self._view(lang).to_string(index=False))
        w = {k: v for k, v in self.diagnostics.items() if k.startswith("weights_")}
        for k, v in w.items():
            lines.append(
                f"{k}: mean {v['mean']:.2f}, max {v['max']:.2f}, ESS {v['ess']:.0f} / {v['n']}"
            )
        if not self.diagnostics.get("converged", True):
            lines.append(
                "WARNING: a model did not converge / WAARSCHUWING: model niet geconvergeerd"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CompareResult({self.outcome}, {self.method}: {self.estimate:.4g} "
            f"[{self.ci_low:.4g}, {self.ci_high:.4g}], p={self.p_value:.3g})"
        )

    def _repr_html_(self) -> str:
        lang = self.lang
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self._header(lang)
        )
        return (
            f"<div><table>{head}</table>{self._view(lang).to_html(index=False, escape=True)}</div>"
        )

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
