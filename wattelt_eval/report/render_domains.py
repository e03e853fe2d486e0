"""The report's sections on life domains, as HTML: problems in several domains, monitoring.

- "Problemen op meer leefgebieden": Huizen's claim (care use of residents with problems
  in two or more domains at intake) and whether the difference between the ways of
  working is another for them (the interaction test);
- "Leefgebieden: van de start tot de laatste meting": the Wat telt board at intake and
  the latest measurement per arm, and the resident - professional gap.

Read from a computed :class:`~.analysis.ReportAnalysis`; every number masked under the
study's disclosure rule (groups below ``min_n`` are not shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..i18n import format as fmt
from .analysis import is_clear
from .markup import HTMLSection, esc
from .plan import ARMS
from .render import VERDICT_KEYS, _arm, _nbsp, _t, _value

if TYPE_CHECKING:
    from .analysis import ReportAnalysis

__all__ = ["problem_domains", "domain_monitoring"]


def _care_lines(a: ReportAnalysis, lang: str) -> str:
    lines = []
    for key, e in a.care_use.items():
        h = e.headline
        lines.append(
            _t(
                "pd_care_line",
                lang,
                name=_t(f"name.{key}", lang),
                hi_val=_value(h, e.mean_treated, lang),
                lo_val=_value(h, e.mean_control, lang),
                d=_value(h, e.difference, lang, diff=True),
                lo=_value(h, e.ci_low, lang, diff=True),
                hi=_value(h, e.ci_high, lang, diff=True),
                verdict=_t(VERDICT_KEYS[e.verdict], lang),
            )
        )
    if not lines:
        return ""
    items = "".join(f"<li>{esc(x)}</li>" for x in lines)
    return f"<h3>{esc(_t('pd_care', lang))}</h3><ul>{items}</ul>"


def _modification_table(a: ReportAnalysis, lang: str) -> str:
    if not a.modification:
        return ""
    rows = []
    for key, m in a.modification.items():
        h = a.plan.headline(key)
        cells = []
        for lev in m.groups.index:
            g = m.groups.loc[lev]
            lo = _value(h, g["ci_low"], lang, True)
            hi = _value(h, g["ci_high"], lang, True)
            cells.append(f"{_value(h, g['estimate'], lang, diff=True)} ({lo} … {hi})")
        it = m.interaction
        other = is_clear(it["ci_low"], it["ci_high"], it["p_value"])
        cells.append(_t("pd_other_yes" if other else "pd_other_no", lang))
        rows.append(
            f"<tr><th scope='row'>{esc(_t(f'name.{key}', lang))}</th>"
            + "".join(f"<td class='num'>{esc(_nbsp(c))}</td>" for c in cells)
            + "</tr>"
        )
    head = (
        f"<tr><th scope='col'>{esc(_t('col_outcome', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('pd_col_lo', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('pd_col_hi', lang))}</th>"
        f"<th scope='col'>{esc(_t('pd_col_other', lang))}</th></tr>"
    )
    return (
        f"<h3>{esc(_t('pd_mod', lang))}</h3>"
        f'<table class="modification"><caption>{esc(_t("pd_caption", lang))}</caption>'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def problem_domains(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Section "Problemen op meer leefgebieden" (care use, effect modification)."""
    body = _care_lines(a, lang) + _modification_table(a, lang)
    if not body:
        body = f"<p>{esc(_t('pd_none', lang))}</p>"
    return HTMLSection(
        f'<section class="problem-domains" id="problem-domains"><h2>{esc(_t("pd", lang))}</h2>'
        f"<p>{esc(_t('pd_intro', lang))}</p>{body}</section>"
    )


def domain_monitoring(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Section "Leefgebieden": the board at the start and the latest, and the gap."""
    from ..disclosure import MASK_SYMBOL

    d = a.domains
    title = f'<section class="domains" id="domains"><h2>{esc(_t("dm", lang))}</h2>'
    intro = f"<p>{esc(_t('dm_intro', lang, instrument=a.data.instrument.name(lang)))}</p>"
    if d is None or d.empty:
        return HTMLSection(title + intro + f"<p>{esc(_t('dm_none', lang))}</p></section>")
    m = a.rule.min_n

    def score(x: float, n: int) -> str:
        return MASK_SYMBOL if n < m or not np.isfinite(x) else fmt.number(x, 1, lang)

    label = "domain_label_nl" if lang == "nl" else "domain_label_en"
    rows = []
    for _, r in d.iterrows():
        cells = []
        for arm in ARMS:
            n = int(r[f"n_{arm}"])
            cells += [score(r[f"first_{arm}"], n), score(r[f"latest_{arm}"], n)]
        cells += [score(r["gap_first"], int(r["n_gap"])), score(r["gap_latest"], int(r["n_gap"]))]
        rows.append(
            f"<tr><th scope='row'>{esc(r[label])}</th>"
            + "".join(f"<td class='num'>{esc(c)}</td>" for c in cells)
            + "</tr>"
        )
    cols = [_t("dm_col_domain", lang)]
    for arm in ARMS:
        cols += [
            _t("dm_col_first", lang, arm=_arm(lang, arm)),
            _t("dm_col_latest", lang, arm=_arm(lang, arm)),
        ]
    cols += [_t("dm_col_gap_first", lang), _t("dm_col_gap_latest", lang)]
    num = " class='num'"
    head = (
        "<tr>"
        + "".join(f"<th scope='col'{num if i else ''}>{esc(c)}</th>" for i, c in enumerate(cols))
        + "</tr>"
    )
    cap = _t("dm_caption", lang, m=m)
    return HTMLSection(
        title + intro + f'<table class="domains"><caption>{esc(cap)}</caption><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
