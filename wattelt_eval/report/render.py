"""The council report's sections as HTML, read from a computed :class:`~.analysis.ReportAnalysis`.

Rendering formats, labels and masks; it never estimates. Every sentence comes from the
text catalogue (``i18n/messages/report.toml``), every number from
:mod:`wattelt_eval.i18n.format`. Everything published passes the study's disclosure
rule; nothing here prints row-level data, identifiers or free text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..i18n import format as fmt
from ..i18n import text, texts
from .markup import HTMLSection, esc, key_value_rows, png, row_header_table
from .plan import ARMS, FLOOR_RESIDENTS_PER_ARM, FLOW_OUTCOME, Band, Headline

if TYPE_CHECKING:
    from .analysis import Effect, ReportAnalysis

__all__ = [
    "title",
    "summary",
    "outcome_section",
    "design",
    "flow",
    "implementation",
    "provenance",
    "headline_numbers",
    "band_label",
]


def _t(key: str, lang: str, **values: Any) -> str:
    return text(f"report.{key}", lang, **values)


def _arm(lang: str, arm: str) -> str:
    return texts("common.arm", lang).get(arm, arm)


# ----------------------------------------------------------------------------- numbers
def _value(h: Headline, x: float, lang: str, diff: bool = False, unit: bool = True) -> str:
    """A headline number as printed: a share, a count or euros (a difference signed)."""
    if h.scale == "percent":
        if diff:
            s = fmt.number(100 * x, 1, lang, sign=True)
            return f"{s} {_t('unit_pp', lang)}" if unit else s
        return fmt.percent(x, 1, lang)
    if h.scale == "euro":
        return fmt.euro(x, lang, sign=diff)
    return fmt.number(x, 2, lang, sign=diff)


def headline_numbers(a: ReportAnalysis, lang: str) -> dict[str, dict[str, str]]:
    """The formatted numbers of the summary, per headline outcome (as printed)."""
    out: dict[str, dict[str, str]] = {}
    for h in a.plan.headlines:
        e = a.effects[h.key]
        if not e.shown:
            out[h.key] = {}
            continue
        out[h.key] = {
            "treated": _value(h, e.mean_treated, lang),
            "control": _value(h, e.mean_control, lang),
            "difference": _value(h, e.difference, lang, diff=True),
            "ci_low": _value(h, e.ci_low, lang, diff=True),
            "ci_high": _value(h, e.ci_high, lang, diff=True),
        }
    return out


def band_label(band: Band, lang: str, euro: bool = False) -> str:
    """Label of an ordered category: ``2``, ``1 – 999``, ``€ 5.000+``."""

    def num(x: float) -> str:
        return fmt.euro(x, lang) if euro else fmt.number(x, 0, lang)

    if band.hi is None:
        return f"{num(band.lo)}+"
    if band.hi == band.lo:
        return num(band.lo)
    return f"{num(band.lo)} – {num(band.hi)}"


def _covariate_text(a: ReportAnalysis, lang: str) -> str:
    """The adjustment covariates in words: "age, sex and household"."""
    labels = texts("report.covariate", lang)
    words = [labels.get(c, c) for c in a.covariates]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_t('and', lang)} {words[-1]}"


def _count(a: ReportAnalysis, n: int, lang: str) -> str:
    from ..disclosure import format_count

    return format_count(n, a.rule, lang=lang)


# ----------------------------------------------------------------------------- title
def title(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Title block: title, pilot name, generation date."""
    name = a.data.study.name
    sub = _t("subtitle", lang, name=name) if name else _t("subtitle_noname", lang)
    date = fmt.date(a.generated.date(), lang, "long")
    return HTMLSection(
        f'<header class="report-title"><h1>{esc(_t("title", lang))}</h1>'
        f'<p class="subtitle">{esc(sub)}</p>'
        f'<p class="date">{esc(_t("generated", lang, date=date))}</p></header>'
    )


# ----------------------------------------------------------------------------- summary
def _direction(e: Effect, lang: str) -> str:
    h = e.headline
    if not e.clear or h.better is None:
        return ""
    good = (e.difference > 0) == (h.better == "higher")
    return _t("direction_better" if good else "direction_worse", lang)


def _means_text(a: ReportAnalysis, e: Effect, lang: str) -> str:
    """The arms' values as printed ("Vraaggestuurd: 61,2%; aanbodgestuurd: 42,7%.")."""
    h = e.headline
    return _t(
        "hl_means",
        lang,
        t=_value(h, e.mean_treated, lang),
        c=_value(h, e.mean_control, lang),
    )


def _effect_text(a: ReportAnalysis, e: Effect, lang: str) -> str:
    """Plain-language paragraphs for one headline, worded by its verdict (:func:`verdict`).

    A difference is stated as a fact only when the verdict is ``clear``; otherwise the
    text says that it may be chance. Below the floor only the arms' values are given.
    """
    v = e.verdict
    if v == "small":
        return f"<p>{esc(_t('hl_small', lang, k=a.rule.min_n))}</p>"
    if v == "failed":
        return f"<p>{esc(_t('hl_failed', lang))}</p>"
    if v == "too_small":
        means = (
            _means_text(a, e, lang) if np.isfinite([e.mean_treated, e.mean_control]).all() else ""
        )
        return f"<p>{esc(' '.join(x for x in (means, _t('hl_too_small', lang)) if x))}</p>"
    nums = headline_numbers(a, lang)[e.headline.key]
    lo, hi = nums["ci_low"], nums["ci_high"]
    if v == "clear":
        direction = _direction(e, lang)
        diff = _t("hl_diff_clear", lang, d=nums["difference"])
        if direction:
            diff = diff[:-1] + f" ({direction})."
        sure = _t("hl_sure_clear", lang, lo=lo, hi=hi)
    else:
        diff = _t("hl_diff_unclear", lang, d=nums["difference"])
        sure = _t("hl_sure_unclear", lang, lo=lo, hi=hi)
    if e.bounded:
        sure += " " + _t("hl_bounded", lang)
    return f"<p>{esc(' '.join([_means_text(a, e, lang), diff]))}</p><p>{esc(sure)}</p>"


def _cost_line(a: ReportAnalysis, lang: str) -> str:
    """What it cost, worded by the verdict: a fact only when the difference is clear."""
    e = a.effects.get("cost_total")
    if e is not None and e.verdict == "too_small":
        return f'<p class="cost">{esc(_t("hl_cost_too_small", lang))}</p>'
    if e is None or not e.shown:
        return f'<p class="cost">{esc(_t("hl_cost_unknown", lang))}</p>'
    amount = fmt.euro(abs(e.difference), lang)
    h = e.headline
    lo = _value(h, e.ci_low, lang, diff=True)
    hi = _value(h, e.ci_high, lang, diff=True)
    if e.clear:
        d = _t("hl_cost_more" if e.difference >= 0 else "hl_cost_less", lang, x=amount)
        line = _t("hl_cost_line", lang, d=d, lo=lo, hi=hi)
    else:
        d = _t("hl_cost_higher" if e.difference >= 0 else "hl_cost_lower", lang, x=amount)
        line = _t("hl_cost_unclear", lang, d=d, lo=lo, hi=hi)
    return f'<p class="cost">{esc(line)}</p>'


def _caution(a: ReportAnalysis, lang: str) -> str:
    if not a.covariates or not a.feasibility.answerable:
        return _t("summary_caution_none", lang)
    return _t("summary_caution", lang, covs=_covariate_text(a, lang))


def _pooled_html(a: ReportAnalysis, lang: str) -> str:
    """What was pooled (``PilotData.sources``, set by ``we.combine``), or nothing."""
    sources = tuple(getattr(a.data, "sources", ()) or ())
    if not sources:
        return ""
    names = ", ".join(sources[:-1]) + f" {_t('and', lang)} {sources[-1]}"
    return f"<p>{esc(_t('pooled', lang, k=len(sources), names=names))}</p>"


def _nbsp(cell: str) -> str:
    """No line break between the euro sign and its number."""
    return cell.replace("€ ", "€\u00a0")


#: The summary table's verdict words, per :data:`~.analysis.VERDICTS` value.
VERDICT_KEYS = {
    "clear": "sure_yes",
    "unclear": "sure_no",
    "small": "sure_small",
    "failed": "sure_na",
    "too_small": "sure_too_small",
}


def _summary_row(a: ReportAnalysis, h: Headline, nums: dict[str, str], lang: str) -> str:
    """One row of the headline table: both values, the difference, its margin, the verdict."""
    e = a.effects[h.key]
    sure = _t(VERDICT_KEYS[e.verdict], lang)
    if e.shown:
        lo = _value(h, e.ci_low, lang, diff=True, unit=False)
        hi = _value(h, e.ci_high, lang, diff=True, unit=False)
        cells = [nums["treated"], nums["control"], nums["difference"], f"{lo} … {hi}"]
    elif e.verdict == "too_small" and np.isfinite([e.mean_treated, e.mean_control]).all():
        cells = [_value(h, e.mean_treated, lang), _value(h, e.mean_control, lang), "—", "—"]
    else:
        cells = ["—"] * 4
    # no line break between the euro sign and its number; the cell may wrap elsewhere
    cells = [_nbsp(c) for c in cells]
    return (
        f"<tr><th scope='row'>{esc(_t(f'name.{h.key}', lang))}</th>"
        + "".join(f"<td class='num'>{esc(c)}</td>" for c in cells)
        + f"<td>{esc(sure)}</td></tr>"
    )


def _mde_cell(a: ReportAnalysis, key: str, lang: str) -> str:
    m = a.feasibility.mde.get(key)
    h = a.plan.headline(key)
    if m is None or np.isnan(m.mde):
        return _t("feas_unknown", lang)
    if m.beyond_range or np.isinf(m.mde):
        return _t("feas_beyond", lang)
    return (
        _value(h, m.mde, lang, diff=False)
        if h.scale != "percent"
        else (f"{fmt.number(100 * m.mde, 1, lang)} {_t('unit_pp', lang)}")
    )


def feasibility(a: ReportAnalysis, lang: str) -> str:
    """The box "Kan deze pilot de vraag beantwoorden?": the floor and each MDE, in words."""
    f = a.feasibility
    head = f'<div class="feasibility" id="feasibility"><h3>{esc(_t("feas", lang))}</h3>'
    if not f.answerable:
        items = "".join(
            "<li>"
            + esc(
                _t(
                    f"feas_reason.{r}",
                    lang,
                    gt=f.teams_treated,
                    gc=f.teams_control,
                    k=FLOOR_RESIDENTS_PER_ARM,
                )
            )
            + "</li>"
            for r in f.reasons
        )
        return head + f"<p>{esc(_t('feas_no', lang))}</p><ul>{items}</ul></div>"
    teams = (
        _t("feas_teams", lang, gt=f.teams_treated, gc=f.teams_control)
        if f.teams_treated is not None
        else ""
    )
    intro = _t(
        "feas_yes",
        lang,
        n_t=_count(a, f.n_treated, lang),
        n_c=_count(a, f.n_control, lang),
        teams=teams,
    )
    rows = []
    for h in a.plan.headlines:
        e = a.effects[h.key]
        found = (
            f"{_value(h, e.ci_low, lang, diff=True)} … {_value(h, e.ci_high, lang, diff=True)}"
            if e.shown
            else "—"
        )
        rows.append(
            f"<tr><th scope='row'>{esc(_t(f'name.{h.key}', lang))}</th>"
            f"<td class='num'>{esc(_mde_cell(a, h.key, lang))}</td>"
            f"<td class='num'>{esc(_nbsp(found))}</td></tr>"
        )
    thead = (
        f"<tr><th scope='col'>{esc(_t('col_outcome', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('feas_col_mde', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('feas_col_found', lang))}</th></tr>"
    )
    wide = [
        _t(f"name.{k}", lang).lower() for k, m in f.mde.items() if m.beyond_range or np.isinf(m.mde)
    ]
    extra = f"<p>{esc(_t('feas_wide', lang, names=', '.join(wide)))}</p>" if wide else ""
    return (
        head
        + f"<p>{esc(intro)}</p>"
        + f'<table class="feasibility"><caption>{esc(_t("feas_caption", lang))}</caption>'
        f"<thead>{thead}</thead><tbody>{''.join(rows)}</tbody></table>{extra}</div>"
    )


def summary(a: ReportAnalysis, lang: str) -> HTMLSection:
    """The one-page summary: each headline outcome, how sure we are, what it cost."""
    from ..disclosure import note

    n_t = _count(a, a.n_arm[ARMS[0]], lang)
    n_c = _count(a, a.n_arm[ARMS[1]], lang)
    head = (
        f"<tr><th scope='col'>{esc(_t('col_outcome', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_arm(lang, ARMS[0]))}</th>"
        f"<th scope='col' class='num'>{esc(_arm(lang, ARMS[1]))}</th>"
        f"<th scope='col' class='num'>{esc(_t('col_diff', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('col_ci', lang))}</th>"
        f"<th scope='col'>{esc(_t('col_sure', lang))}</th></tr>"
    )
    nums = headline_numbers(a, lang)
    rows = "".join(_summary_row(a, h, nums[h.key], lang) for h in a.plan.headlines)
    boxes = "".join(
        f'<div class="headline" id="headline-{h.key}"><h3>{esc(_t(f"name.{h.key}", lang))}</h3>'
        f"{_effect_text(a, a.effects[h.key], lang)}</div>"
        for h in a.plan.headlines
    )
    return HTMLSection(
        f'<section class="summary"><h2>{esc(_t("summary", lang))}</h2>'
        f"<p>{esc(_t('summary_intro', lang, n_t=n_t, n_c=n_c))}</p>"
        + _pooled_html(a, lang)
        + feasibility(a, lang)
        + f'<table class="headlines"><caption>{esc(text("figures.caption_headlines", lang))}'
        f"</caption><thead>{head}</thead><tbody>{rows}</tbody></table>"
        + boxes
        + _cost_line(a, lang)
        + f'<p class="note">{esc(_caution(a, lang))}</p>'
        f'<p class="note">{esc(note(a.rule, lang=lang))}</p></section>'
    )


# ----------------------------------------------------------------------------- outcomes
def _category_label(c: Any, lang: str, euro: bool) -> str:
    if isinstance(c, Band):
        return band_label(c, lang, euro)
    return _t(f"category.{c}", lang)


def _counts_html(a: ReportAnalysis, key: str, lang: str) -> str:
    """An outcome's counts table, labelled and suppressed under the study's rule."""
    from ..disclosure import suppress_table

    counts = a.counts[key].copy()
    counts.index = [_arm(lang, x) for x in counts.index]
    counts.columns = [_category_label(c, lang, key == "cost_total") for c in counts.columns]
    pub = suppress_table(counts, a.rule, lang=lang)
    head = (
        f"<tr><th scope='col'>{esc(text('figures.col_arm', lang))}</th>"
        + "".join(f"<th scope='col' class='num'>{esc(c)}</th>" for c in pub.columns)
        + "</tr>"
    )
    body = "".join(
        f"<tr><th scope='row'>{esc(i)}</th>"
        + "".join(f"<td class='num'>{esc(v)}</td>" for v in row)
        + "</tr>"
        for i, row in zip(pub.index, pub.to_numpy(), strict=True)
    )
    cap = _t(f"table_caption.{key}", lang, days=a.data.study.cost_window_days)
    return (
        f'<table class="counts"><caption>{esc(cap)}</caption>'
        f"<thead>{head}</thead><tbody>{body}</tbody></table>"
    )


def _figure_html(a: ReportAnalysis, key: str, lang: str) -> str:
    """The outcome's figure, drawn from its suppressed table (:mod:`.figures`)."""
    from .figures import figure_html

    return figure_html(a, key, lang)


def outcome_section(a: ReportAnalysis, key: str, lang: str) -> HTMLSection:
    """One outcome: what it measures, the result, a figure and a suppressed table."""
    e = a.effects[key]
    days = a.data.study.cost_window_days
    parts = [
        f'<section class="outcome" id="outcome-{key}"><h2>{esc(_t(f"name.{key}", lang))}</h2>',
        f"<p><em>{esc(_t('sec_what', lang))}:</em> {esc(_t(f'what.{key}', lang, days=days))}</p>",
        _effect_text(a, e, lang),
    ]
    if e.shown:
        parts.append(f'<p class="note">{esc(_t("see_appendix", lang))}</p>')
    parts.append(_figure_html(a, key, lang))
    parts.append(_counts_html(a, key, lang))
    parts.append("</section>")
    return HTMLSection("".join(parts))


# ----------------------------------------------------------------------------- design
def design(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Design and its limits: observational, adjustment, team clustering, follow-up window."""
    from ..disclosure import format_count

    paras = [_t("design_obs", lang)]
    if any(e.shown and e.adjusted for e in a.effects.values()):
        paras.append(_t("design_adjust", lang, covs=_covariate_text(a, lang)))
    else:
        paras.append(_t("design_noadjust", lang))
    if a.teams is not None:
        g = a.teams
        paras.append(_t("design_cluster", lang, g=g.total, gt=g.treated, gc=g.control))
    else:
        paras.append(_t("design_nocluster", lang))
    ext = a.extract_date
    extract = fmt.date(None if ext is None or pd.isna(ext) else pd.Timestamp(ext), lang, "iso")
    full = format_count(a.n_full_follow_up, a.rule, lang=lang)
    days = a.data.study.cost_window_days
    paras.append(_t("design_window", lang, days=days, full=full, extract=extract))
    paras.append(_t("design_multiple", lang))
    if getattr(a.data, "sources", ()):
        paras.append(_t("design_pooled", lang))
    r = a.rule
    paras.append(_t("design_privacy", lang, k=r.threshold, sym=r.symbol, m=r.min_n))
    paras.append(_t("design_instrument_note", lang, name=a.data.instrument.name(lang)))
    n_inferred = _n_links_inferred(a.data.goals)
    if n_inferred:
        paras.append(
            _t("design_lineage_inferred", lang, n=format_count(n_inferred, a.rule, lang=lang))
        )
    body = "".join(f"<p>{esc(p)}</p>" for p in paras)
    return HTMLSection(
        f'<section class="design"><h2>{esc(_t("design", lang))}</h2>{body}'
        f"{_warnings_html(a, lang)}</section>"
    )


def analysis_warnings(a: ReportAnalysis, lang: str) -> list[str]:
    """The warnings the analysis raised, in plain words (one sentence each, no jargon).

    From the headline comparisons (their warning classes, a fallback to the unadjusted
    comparison, an interval cut at the possible range, a failed comparison), the design
    (below the floor, few teams) and the outcome stage's notes (e.g. no goal links).
    """
    effects = list(a.effects.values())

    def names(pick: Any) -> str:
        return ", ".join(_t(f"name.{e.headline.key}", lang).lower() for e in effects if pick(e))

    out = []
    if not a.feasibility.answerable:
        out.append(_t("warn.too_small", lang))
    if any(e.shown and e.ci_method.startswith("randomization") for e in effects):
        out.append(_t("warn.few_teams", lang))
    for code, pick in (
        ("fallback", lambda e: e.shown and e.fallback),
        ("bounded", lambda e: e.shown and e.bounded),
        ("failed", lambda e: e.status == "failed"),
        *(
            (cls, (lambda c: lambda e: c in e.warning_classes)(cls))
            for cls in ("OverlapWarning", "ConvergenceWarning", "DroppedRowsWarning")
        ),
    ):
        which = names(pick)
        if which:
            out.append(_t(f"warn.{code}", lang, outcomes=which))
    out.extend(_note_texts(a, lang))
    return out


def _note_texts(a: ReportAnalysis, lang: str) -> list[str]:
    """The outcome stage's notes in the report's plain words, counts under the rule.

    A note with a council wording (``report.note.<code>``) uses it; ``lineage_inferred``
    is said in the design section already; any other note keeps its outcome-stage text.
    """
    from ..disclosure import format_count
    from ..i18n import catalogue

    out = []
    for note in a.oset.notes:
        code, _, value = note.partition(":")
        if code == "lineage_inferred":
            continue
        key = f"report.note.{code}"
        if key in catalogue():
            n = format_count(int(value), a.rule, lang=lang) if value.isdigit() else value
            out.append(text(key, lang, n=n))
        else:
            out.append(text(f"outcome.note.{code}", lang, value=value))
    return out


def _warnings_html(a: ReportAnalysis, lang: str) -> str:
    items = analysis_warnings(a, lang)
    head = f"<h3>{esc(_t('warn_title', lang))}</h3>"
    if not items:
        return head + f"<p>{esc(_t('warn_none', lang))}</p>"
    return head + "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"


def _n_links_inferred(goals: pd.DataFrame) -> int:
    """Goal links inferred from text (``derived_from_source`` = ``inferred``), a count."""
    if "derived_from_source" not in goals.columns:
        return 0
    return int((goals["derived_from_source"] == "inferred").sum())


# ----------------------------------------------------------------------------- flow
def _flow_table(a: ReportAnalysis, outcome: str, lang: str) -> pd.DataFrame | None:
    """One outcome's flow as publishable strings: reasons left out, analysed, total.

    Reasons that did not occur are left out (they say nothing about residents);
    the remaining counts and their total are suppressed as one table.
    """
    from ..disclosure import format_count, suppress_table

    label = "label_nl" if lang == "nl" else "label_en"
    fl = a.oset.flow
    f = fl[fl["outcome"] == outcome]
    total = f[f["kind"] == "total"]
    parts_f = f[f["kind"].isin(["excluded", "analysed"]) & (f["n"] > 0)]
    if total.empty or parts_f.empty:
        return None
    s = pd.Series(parts_f["n"].to_numpy(dtype="int64"), index=[str(x) for x in parts_f[label]])
    s = s.groupby(level=0, sort=False).sum()
    total_label = str(total[label].iloc[0])
    col = _t("col_count", lang)
    if len(s) == 1:
        n = int(total["n"].iloc[0])
        shown = [
            format_count(n, a.rule, lang=lang),
            format_count(int(s.iloc[0]), a.rule, lang=lang),
        ]
        return pd.DataFrame({col: shown}, index=[total_label, s.index[0]])
    pub = suppress_table(s.to_frame(col), a.rule, lang=lang, total_label=total_label)
    return pub.iloc[[len(pub) - 1, *range(len(pub) - 1)]]  # the total first, as a flow


def _arms_table(a: ReportAnalysis, lang: str) -> str:
    from ..disclosure import suppress_table

    arms = pd.Series([a.n_arm[x] for x in ARMS], index=[_arm(lang, x) for x in ARMS])
    pub = suppress_table(arms.to_frame(_t("col_count", lang)), a.rule, lang=lang)
    return row_header_table(pub, "flow", _t("flow_by_arm", lang))


def _reasons_html(a: ReportAnalysis, lang: str) -> str:
    """Records left out, by table and reason (codes and fixed labels only, never row content)."""
    from ..disclosure import format_counts
    from ..outcome import REASONS

    ex = a.oset.exclusions
    head = f"<h3>{esc(_t('flow_reasons', lang))}</h3>"
    if ex is None or ex.empty:
        return head + f"<p>{esc(_t('flow_none', lang))}</p>"
    g = ex.groupby(
        [ex["table"].astype("string"), ex["reason"].astype("string")], dropna=False
    ).size()
    g = g.sort_index()
    shown = format_counts(g.reset_index(drop=True), a.rule, lang=lang)
    rows = []
    for (table, reason), n in zip(g.index, shown, strict=True):
        lab = REASONS.get(str(reason))
        reason_text = (lab[0] if lang == "nl" else lab[1]) if lab else str(reason)
        rows.append(
            f"<tr><td>{esc(table)}</td><td>{esc(reason_text)}</td>"
            f"<td class='num'>{esc(n)}</td></tr>"
        )
    thead = (
        f"<tr><th scope='col'>{esc(_t('col_table', lang))}</th>"
        f"<th scope='col'>{esc(_t('col_reason', lang))}</th>"
        f"<th scope='col' class='num'>{esc(_t('col_count', lang))}</th></tr>"
    )
    return (
        head
        + f'<table class="reasons"><caption>{esc(text("figures.caption_reasons", lang))}</caption>'
        f"<thead>{thead}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def flow(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Who was included and who was not, and why (all counts suppressed)."""
    parts = [
        f'<section class="flow"><h2>{esc(_t("flow", lang))}</h2>',
        f"<p>{esc(_t('flow_intro', lang))}</p>",
    ]
    # flow outcome per table; no_provision rests on the same trajectories as the costs
    tables = [(_t("flow_trajectories", lang), "trajectories")] + [
        (_t(f"name.{h.key}", lang), FLOW_OUTCOME.get(h.column, h.column))
        for h in a.plan.headlines
        if h.column != "any_provision"
    ]
    for name, outcome in tables:
        pub = _flow_table(a, outcome, lang)
        if pub is not None:
            parts.append(row_header_table(pub, "flow", name))
    parts.append(_arms_table(a, lang))
    parts.append(_reasons_html(a, lang))
    parts.append("</section>")
    return HTMLSection("".join(parts))


# ----------------------------------------------------------------------------- provenance
# ----------------------------------------------------------------------------- implementation
def _publishable_monitor(res: Any, rule: Any) -> Any:
    """The monitor result as the report may publish it: a period of an indicator that
    counts trajectories is shown only when its share is publishable
    (:func:`~wattelt_eval.disclosure.publishable_share`: count and complement both at or
    above the threshold, so 0% and 100% of a team-month are hidden like the tables'
    small cells)."""
    import dataclasses

    from ..disclosure import publishable_share
    from ..implementation import INDICATOR_UNITS

    t = res.table.copy()
    per_res = t["indicator"].map(INDICATOR_UNITS).eq("trajectory").to_numpy()
    ok = [
        publishable_share(c, n, rule) is not None if pr else True
        for c, n, pr in zip(t["numerator"], t["denominator"], per_res, strict=True)
    ]
    t["shown"] = t["shown"].to_numpy(dtype=bool) & np.array(ok, dtype=bool)
    return dataclasses.replace(res, table=t)


def _recent(t: pd.DataFrame, unit: str, k: int, rule: Any, end: Any) -> pd.DataFrame:
    """Per group: the last ``k`` periods up to ``end`` pooled, and whether they may be shown.

    ``end`` is the month of the last start date: contacts go on after the last intake,
    from ever fewer (long) trajectories, so the months after it are not "recent".

    The residents behind the pooled share: the sum of the periods' residents for an
    indicator counting trajectories (each counts in one period), else the largest
    period's (a lower bound: a trajectory may have contacts in several periods).
    """
    last = [p for p in sorted(t["period"].unique()) if p <= end][-k:]
    r = t[t["period"].isin(last)]
    g = r.groupby("group", sort=True)
    out = g[["numerator", "denominator"]].sum()
    n = g["n_trajectories"].sum() if unit == "trajectory" else g["n_trajectories"].max()
    out["show"] = (n >= rule.min_n) & (out["denominator"] > 0)
    if unit == "trajectory":  # a share of residents: count and complement both publishable
        from ..disclosure import publishable_share

        pub = [
            publishable_share(c, d, rule) is not None
            for c, d in out[["numerator", "denominator"]].to_numpy()
        ]
        out["show"] &= np.array(pub, dtype=bool)
    out["signal"] = (r["signal"] & r["shown"]).groupby(r["group"], sort=True).any()
    return out


def implementation(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Optional section "Hoe gaat de invoering?": the new way of working used, per team.

    Per team the board at intake and the shared plan before a handover over the last
    months (pooled, masked below the disclosure rule), whether a control-chart signal
    occurred then, and the board's control chart (``docs/monitor.md``).
    """
    from ..disclosure import MASK_SYMBOL
    from ..implementation import INDICATOR_UNITS, indicator_label
    from .plan import MONITOR_INDICATORS, MONITOR_RECENT

    res = _publishable_monitor(a.monitor, a.rule)
    parts = [
        f'<section class="implementation" id="implementation"><h2>{esc(_t("monitor", lang))}</h2>',
        f"<p>{esc(_t('monitor_intro', lang, t=a.rule.min_n, k=MONITOR_RECENT))}</p>",
    ]
    t = res.table
    shown_ind = [i for i in MONITOR_INDICATORS if i in set(t["indicator"])]
    for ind in MONITOR_INDICATORS:
        if ind not in shown_ind:
            reason = text(f"monitor.missing.{res.missing.get(ind, 'no_rows')}", lang)
            parts.append(f'<p class="note">{esc(indicator_label(ind, lang))}: {esc(reason)}</p>')
    if shown_ind:
        end = pd.Timestamp(a.table["start_date"].max()).to_period("M").start_time
        recent = {
            i: _recent(t[t["indicator"] == i], INDICATOR_UNITS[i], MONITOR_RECENT, a.rule, end)
            for i in shown_ind
        }
        groups = sorted(set().union(*(r.index for r in recent.values())))
        head = f"<th>{esc(_t('monitor_col_team', lang))}</th>" + "".join(
            f"<th>{esc(indicator_label(i, lang))}</th><th>{esc(_t('monitor_col_signal', lang))}</th>"
            for i in shown_ind
        )
        rows = []
        for grp in groups:
            cells = [f"<th scope='row'>{esc(grp)}</th>"]
            for i in shown_ind:
                r = recent[i].loc[grp] if grp in recent[i].index else None
                if r is None or not bool(r["show"]):
                    cells.append(f"<td class='num'>{MASK_SYMBOL}</td><td></td>")
                    continue
                share = fmt.percent(r["numerator"] / r["denominator"], 0, lang)
                sig = _t("monitor_yes" if r["signal"] else "monitor_no", lang)
                cells.append(f"<td class='num'>{esc(share)}</td><td>{esc(sig)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        cap = _t("monitor_caption", lang, k=MONITOR_RECENT, t=a.rule.min_n)
        parts.append(
            f'<table class="monitor"><caption>{esc(cap)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        from ..plots import monitor_chart

        fig = monitor_chart(res, shown_ind[0], lang=lang)
        notes = " ".join(getattr(fig, "wattelt_notes", []) or [])
        figcap = f"<figcaption>{esc(notes)}</figcaption>" if notes else ""
        from .figures import monitor_alt

        alt = monitor_alt(res, shown_ind[0], lang)
        parts.append(f"<figure>{png(fig, alt)}{figcap}</figure>")
    parts.append("</section>")
    return HTMLSection("".join(parts))


def provenance(a: ReportAnalysis, lang: str, command: str | None = None) -> HTMLSection:
    """Report fingerprint, the command, every setting that changes a number, versions, date.

    The body is :func:`_provenance_html` (at the end of this module).
    """
    return _provenance_html(a, lang, command)


# ----------------------------------------------------------------------------- provenance body
def _provenance_html(a: ReportAnalysis, lang: str, command: str | None) -> HTMLSection:
    """The provenance section: what anyone needs to make exactly this report again."""
    from ..estimation.effects import METHOD_TEXT
    from .provenance import report_fingerprint, settings_record

    def p(key: str, **values: Any) -> str:
        return text(f"provenance.{key}", lang, **values)

    st, inst, r = a.data.study, a.data.instrument, a.rule
    none = _t("none", lang)
    record = settings_record(a.data, a.plan)
    method = METHOD_TEXT["aipw" if a.covariates else "unadjusted"][lang]
    ext = a.extract_date
    extract = fmt.date(None if ext is None or pd.isna(ext) else pd.Timestamp(ext), lang, "iso")
    how = p("extract_set" if st.extract_date else "extract_inferred")
    deps = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    rows = [
        (p("fingerprint"), f"<code>{report_fingerprint(a.data, a.plan, a.fingerprint)}</code>"),
        (p("command"), f"<code>{esc(command or none)}</code>"),
        (_t("prov_fp", lang), f"<code>{a.fingerprint}</code>"),
        (_t("prov_version", lang), esc(record["versions"]["wattelt_eval"])),
        (p("versions"), esc(deps)),
        (_t("prov_seed", lang), str(a.plan.seed)),
        (_t("prov_nboot", lang), str(a.plan.n_boot)),
        (_t("prov_window", lang), str(st.cost_window_days)),
        (p("extract"), esc(f"{extract} ({how})")),
        (_t("prov_method", lang), esc(method)),
        (_t("prov_covs", lang), esc(_covariate_text(a, lang) or none)),
        (_t("prov_cluster", lang), esc(_t("prov_cluster_teams", lang) if a.cluster else none)),
        (_t("prov_instrument", lang), esc(f"{inst.name(lang)} ({inst.code})")),
        (_t("prov_rule", lang), esc(f"{r.rule} ({r.threshold})")),
        (_t("prov_lang", lang), lang),
        (_t("prov_date", lang), esc(a.generated.isoformat())),
    ]
    sources = tuple(getattr(a.data, "sources", ()) or ())
    if sources:
        rows.append((_t("prov_sources", lang), esc(", ".join(sources))))
    mapping = getattr(a.data, "mapping", None)
    if mapping is not None and len(mapping):
        pairs = [f"{w} → {c}" for w, c in mapping[["written", "column"]].astype(str).to_numpy()]
        written = ", ".join(pairs[:40]) + (" …" if len(pairs) > 40 else "")
        rows.append((_t("prov_mapping", lang), esc(written)))
    settings = key_value_rows(
        (f"{section}.{name}", f"<code>{esc(canonical_value(v))}</code>")
        for section, values in record["study"].items()
        for name, v in values.items()
    )
    threshold = key_value_rows(
        [(p("problem_threshold"), f"<code>{esc(canonical_value(inst.problem_threshold))}</code>")]
    )
    per_table = key_value_rows((k, f"<code>{v}</code>") for k, v in a.table_fingerprints.items())
    return HTMLSection(
        f'<section class="provenance"><h2>{esc(_t("provenance", lang))}</h2>'
        f"<p>{esc(p('intro'))}</p>"
        f'<table class="kv"><caption>{esc(p("caption_main"))}</caption>'
        f"{key_value_rows(rows)}</table>"
        f"<h3>{esc(p('settings'))}</h3>"
        f'<table class="kv small"><caption>{esc(p("caption_settings"))}</caption>'
        f"{settings}{threshold}</table>"
        f"<h3>{esc(_t('prov_tables', lang))}</h3>"
        f'<table class="kv small"><caption>{esc(p("caption_tables"))}</caption>'
        f"{per_table}</table>"
        f"<p class='note'>{esc(p('recipe'))}</p></section>"
    )


def canonical_value(v: Any) -> str:
    """A setting as in the fingerprint's JSON (``80.0``, ``"min10"``, ``["x"]``, ``null``)."""
    from .provenance import canonical_json

    return canonical_json(v)
