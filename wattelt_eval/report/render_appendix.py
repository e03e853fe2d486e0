"""The report's technical appendix, as HTML: methods, degrees of freedom, p-values, baseline.

The council text (summary, outcome sections) carries no statistical jargon; the names of
the estimators and intervals, degrees of freedom, p-values (raw and Holm-corrected),
ratios, the ICC and MDE behind "Kan deze pilot de vraag beantwoorden?", the interaction
tests and the baseline table with standardised mean differences are here. Read from a
computed :class:`~.analysis.ReportAnalysis`; counts masked under the disclosure rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..estimation.results import ci_text, method_text
from ..i18n import catalogue
from ..i18n import format as fmt
from .markup import HTMLSection, esc
from .plan import ARMS
from .render import _arm, _mde_cell, _t, _value

if TYPE_CHECKING:
    from .analysis import Effect, ReportAnalysis

__all__ = ["appendix"]


def _num(x: float, decimals: int, lang: str) -> str:
    return fmt.number(x, decimals, lang) if np.isfinite(x) else "—"


def _row(a: ReportAnalysis, e: Effect, lang: str) -> list[str]:
    h = e.headline
    m = a.feasibility.mde.get(h.key)
    icc = _num(m.icc, 3, lang) if m is not None else "—"
    mde = _mde_cell(a, h.key, lang)
    if not e.shown:
        return ["—"] * 6 + [icc, mde]
    ratio = "—"
    if e.ratio is not None and np.isfinite(e.ratio).all():
        r, lo, hi = (fmt.number(x, 2, lang) for x in e.ratio)
        ratio = f"{r} ({lo} … {hi})"
    method = method_text(e.method, lang) + (
        f" ({_t('lab_unadjusted_fallback', lang)})" if e.fallback else ""
    )
    return [
        method,
        ci_text(e.ci_method, lang),
        _num(e.df, 1, lang),
        fmt.p_value(e.p_value, lang),
        fmt.p_value(e.p_holm, lang),
        ratio,
        icc,
        mde,
    ]


def _methods_table(a: ReportAnalysis, lang: str) -> str:
    cols = [
        "col_outcome",
        "app_col_method",
        "app_col_ci",
        "app_col_df",
        "app_col_p",
        "app_col_holm",
        "app_col_ratio",
        "app_col_icc",
        "app_col_mde",
    ]
    head = "<tr>" + "".join(f"<th scope='col'>{esc(_t(c, lang))}</th>" for c in cols) + "</tr>"
    rows = "".join(
        f"<tr><th scope='row'>{esc(_t(f'name.{h.key}', lang))}</th>"
        + "".join(f"<td>{esc(c)}</td>" for c in _row(a, a.effects[h.key], lang))
        + "</tr>"
        for h in a.plan.headlines
    )
    return (
        f'<table class="methods"><caption>{esc(_t("app_caption", lang))}</caption>'
        f"<thead>{head}</thead><tbody>{rows}</tbody></table>"
    )


def _notes(a: ReportAnalysis, lang: str) -> list[str]:
    f = a.feasibility
    out = []
    if f.min_p is not None:
        out.append(
            _t(
                "app_min_p",
                lang,
                gt=f.teams_treated,
                gc=f.teams_control,
                p=fmt.p_value(f.min_p, lang),
            )
        )
    for key, m in a.modification.items():
        h = a.plan.headline(key)
        it = m.interaction
        out.append(
            _t(
                "app_interaction",
                lang,
                name=_t(f"name.{key}", lang).lower(),
                d=_value(h, it["estimate"], lang, diff=True),
                lo=_value(h, it["ci_low"], lang, diff=True),
                hi=_value(h, it["ci_high"], lang, diff=True),
                p=fmt.p_value(it["p_value"], lang),
                df=_num(it["df"], 1, lang),
                method=method_text(m.method, lang),
                ci=ci_text(it["ci_method"], lang),
            )
        )
    for key, e in a.care_use.items():
        out.append(
            _t(
                "app_care",
                lang,
                name=_t(f"name.{key}", lang).lower(),
                p=fmt.p_value(e.p_value, lang),
                method=method_text(e.method, lang),
                ci=ci_text(e.ci_method, lang),
            )
        )
    return out


def _level_label(variable: str, level: str, lang: str) -> str:
    from .. import schema

    if not level:
        return ""
    maps = {
        "sex": schema.SEX_LABELS_NL if lang == "nl" else schema.SEX_LABELS_EN,
        "household": schema.HOUSEHOLD_LABELS_NL if lang == "nl" else schema.HOUSEHOLD_LABELS_EN,
    }
    return maps.get(variable, {}).get(level, level)


def _baseline_table(a: ReportAnalysis, lang: str) -> str:
    """Baseline by arm: means or masked percentages, SMD unweighted and weighted."""
    from ..disclosure import MASK_SYMBOL

    b = a.baseline
    if b is None:
        return ""
    labels = {
        k.rsplit(".", 1)[1]: v[lang]
        for k, v in catalogue().items()
        if k.startswith("report.covariate.")
    }
    small = a.rule.threshold
    rows = []
    tab: pd.DataFrame = b.table
    for _, r in tab.iterrows():
        cells = []
        for arm in ("t", "c"):
            if r["type"] == "numeric":
                cells.append(_num(r[f"mean_{arm}"], 1, lang))
            elif r["level"] == "":
                cells.append("")
            else:
                cnt = r[f"count_{arm}"]
                show = np.isfinite(cnt) and (cnt == 0 or cnt >= small)
                cells.append(fmt.percent(r[f"pct_{arm}"], 1, lang) if show else MASK_SYMBOL)
        smd_w = r["smd_weighted"] if "smd_weighted" in r.index else np.nan
        cells += [_num(r["smd"], 2, lang), _num(smd_w, 2, lang)]
        name = labels.get(r["variable"], r["variable"]) if r["level"] == "" else ""
        level = _level_label(r["variable"], r["level"], lang)
        rows.append(
            f"<tr><th scope='row'>{esc(name or level)}</th>"
            + "".join(f"<td class='num'>{esc(c)}</td>" for c in cells)
            + "</tr>"
        )
    cols = [
        _t("app_col_variable", lang),
        _arm(lang, ARMS[0]),
        _arm(lang, ARMS[1]),
        _t("app_col_smd", lang),
        _t("app_col_smd_w", lang),
    ]
    head = "<tr>" + "".join(f"<th scope='col'>{esc(c)}</th>" for c in cols) + "</tr>"
    cap = _t("app_baseline_caption", lang, sym=MASK_SYMBOL)
    return (
        f"<h3>{esc(_t('app_baseline', lang))}</h3>"
        f'<table class="baseline"><caption>{esc(cap)}</caption><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def appendix(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Section "Bijlage: technische details"."""
    parts: list[Any] = [
        f'<section class="appendix" id="appendix"><h2>{esc(_t("appendix", lang))}</h2>',
        f"<p>{esc(_t('app_intro', lang))}</p>",
        _methods_table(a, lang),
    ]
    notes = _notes(a, lang)
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append(_baseline_table(a, lang))
    parts.append("</section>")
    return HTMLSection("".join(parts))
