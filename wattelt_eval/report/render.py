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
from .plan import ARMS, FLOW_OUTCOME, Band, Headline

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


def _effect_text(a: ReportAnalysis, e: Effect, lang: str) -> str:
    """Plain-language paragraphs for one headline (what changed, how sure)."""
    if e.status == "small":
        return f"<p>{esc(_t('hl_small', lang, k=a.rule.min_n))}</p>"
    if e.status == "failed":
        return f"<p>{esc(_t('hl_failed', lang))}</p>"
    nums = headline_numbers(a, lang)[e.headline.key]
    direction = _direction(e, lang)
    sure = _t(
        "hl_ci_clear" if e.clear else "hl_ci_unclear", lang, lo=nums["ci_low"], hi=nums["ci_high"]
    )
    parts = [
        _t("hl_means", lang, t=nums["treated"], c=nums["control"]),
        _t("hl_diff", lang, d=nums["difference"]) + (f" ({direction})" if direction else ""),
    ]
    return f"<p>{esc(' '.join(parts))}</p><p>{esc(sure)}</p>"


def _cost_line(a: ReportAnalysis, lang: str) -> str:
    e = a.effects.get("cost_total")
    if e is None or not e.shown:
        return f'<p class="cost">{esc(_t("hl_cost_unknown", lang))}</p>'
    amount = fmt.euro(abs(e.difference), lang)
    d = _t("hl_cost_more" if e.difference >= 0 else "hl_cost_less", lang, x=amount)
    h = e.headline
    lo = _value(h, e.ci_low, lang, diff=True)
    hi = _value(h, e.ci_high, lang, diff=True)
    return f'<p class="cost">{esc(_t("hl_cost_line", lang, d=d, lo=lo, hi=hi))}</p>'


def _caution(a: ReportAnalysis, lang: str) -> str:
    if not a.covariates:
        return _t("summary_caution_none", lang)
    return _t("summary_caution", lang, covs=_covariate_text(a, lang))


def _summary_row(a: ReportAnalysis, h: Headline, nums: dict[str, str], lang: str) -> str:
    """One row of the headline table: both means, the difference, its interval, how sure."""
    e = a.effects[h.key]
    if e.shown:
        sure = _t("sure_yes" if e.clear else "sure_no", lang)
        lo = _value(h, e.ci_low, lang, diff=True, unit=False)
        hi = _value(h, e.ci_high, lang, diff=True, unit=False)
        # no line break between the euro sign and its number; the cell may wrap elsewhere
        cells = [
            c.replace("€ ", "€\u00a0")
            for c in (nums["treated"], nums["control"], nums["difference"], f"{lo} … {hi}")
        ]
    else:
        sure = _t("sure_na", lang)
        cells = ["—"] * 4
    return (
        f"<tr><th scope='row'>{esc(_t(f'name.{h.key}', lang))}</th>"
        + "".join(f"<td class='num'>{esc(c)}</td>" for c in cells)
        + f"<td>{esc(sure)}</td></tr>"
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
        f'<table class="headlines"><thead>{head}</thead><tbody>{rows}</tbody></table>'
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
        "<tr><th></th>"
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


def _share_figure(e: Effect, lang: str) -> Any:
    """Share without an individual provision per arm, with the difference's 95% CI."""
    import matplotlib.pyplot as plt

    from ..plots import ARM_COLORS

    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    shares = [e.mean_treated, e.mean_control]
    vals = [100 * s for s in shares]
    ax.barh([_arm(lang, x) for x in ARMS], vals, color=[ARM_COLORS[x] for x in ARMS])
    for y, (v, s) in enumerate(zip(vals, shares, strict=True)):
        ax.text(v + 1, y, fmt.percent(s, 1, lang), va="center")
    ax.set_xlim(0, 110)
    ax.set_xlabel(_t("name.no_provision", lang) + " (%)")
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _figure(a: ReportAnalysis, key: str, lang: str) -> Any:
    from .. import plots

    kw = {"lang": lang, "min_count": a.rule.min_n}
    if key == "goal_retention":
        return plots.goal_flow(a.data, **kw)
    if key == "n_retells":
        return plots.retellings(a.data, **kw)
    if key == "cost_total":
        return plots.costs(a.table, **kw)
    return _share_figure(a.effects[key], lang)


def _figure_html(a: ReportAnalysis, key: str, lang: str) -> str:
    from ..disclosure import can_show

    e = a.effects[key]
    omitted = f'<p class="note">{esc(_t("fig_omitted", lang))}</p>'
    if not e.shown and key == "no_provision":
        return omitted
    if not can_show([a.n_arm[x] for x in ARMS], a.rule):
        return omitted
    try:
        fig = _figure(a, key, lang)
    except (ValueError, KeyError, IndexError):
        return f'<p class="note">{esc(_t("fig_failed", lang))}</p>'
    notes = " ".join(getattr(fig, "wattelt_notes", []) or [])
    cap = f"<figcaption>{esc(notes)}</figcaption>" if notes else ""
    return f"<figure>{png(fig, _t(f'name.{key}', lang))}{cap}</figure>"


def _method_note(e: Effect, lang: str) -> str:
    """Ratio, p-values, method and inference of a shown effect, as one note."""
    from ..estimation.effects import METHOD_TEXT
    from ..estimation.results import CI_TEXT

    extra = []
    if e.ratio is not None and np.isfinite(e.ratio).all():
        r, lo, hi = (fmt.number(x, 2, lang) for x in e.ratio)
        extra.append(_t("lab_ratio", lang, r=r, lo=lo, hi=hi))
    extra.append(_t("lab_p", lang, p=fmt.p_value(e.p_value, lang), ph=fmt.p_value(e.p_holm, lang)))
    m = METHOD_TEXT.get(e.method, {}).get(lang, e.method)
    ci = CI_TEXT.get(e.ci_method, {}).get(lang, e.ci_method)
    extra.append(_t("lab_method", lang, m=m, ci=ci))
    if e.fallback:
        extra.append(_t("lab_unadjusted_fallback", lang))
    return f'<p class="note">{esc(" ".join(extra))}</p>'


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
        parts.append(_method_note(e, lang))
    parts.append(_figure_html(a, key, lang))
    parts.append(_counts_html(a, key, lang))
    parts.append("</section>")
    return HTMLSection("".join(parts))


# ----------------------------------------------------------------------------- design
def design(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Design and its limits: observational, adjustment, team clustering, follow-up window."""
    from ..disclosure import format_count
    from ..estimation.effects import METHOD_TEXT

    paras = [_t("design_obs", lang)]
    if any(e.shown and e.adjusted for e in a.effects.values()):
        method = METHOD_TEXT["aipw"][lang]
        paras.append(_t("design_adjust", lang, method=method, covs=_covariate_text(a, lang)))
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
        f'<section class="design"><h2>{esc(_t("design", lang))}</h2>{body}</section>'
    )


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
        + f'<table class="reasons"><thead>{thead}</thead><tbody>{"".join(rows)}</tbody></table>'
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
def _recent(t: pd.DataFrame, unit: str, k: int, min_n: int, end: Any) -> pd.DataFrame:
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
    out["show"] = (n >= min_n) & (out["denominator"] > 0)
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

    res = a.monitor
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
            i: _recent(
                t[t["indicator"] == i], INDICATOR_UNITS[i], MONITOR_RECENT, a.rule.min_n, end
            )
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
        parts.append(f"<figure>{png(fig, indicator_label(shown_ind[0], lang))}{figcap}</figure>")
    parts.append("</section>")
    return HTMLSection("".join(parts))


def provenance(a: ReportAnalysis, lang: str) -> HTMLSection:
    """Package version, input fingerprint, parameters and seed, generation date."""
    from .._version import __version__
    from ..estimation.effects import METHOD_TEXT

    st, inst, r = a.data.study, a.data.instrument, a.rule
    none = _t("none", lang)
    method = METHOD_TEXT["aipw" if a.covariates else "unadjusted"][lang]
    rows = [
        (_t("prov_version", lang), esc(__version__)),
        (_t("prov_fp", lang), f"<code>{a.fingerprint}</code>"),
        (_t("prov_seed", lang), str(a.plan.seed)),
        (_t("prov_nboot", lang), str(a.plan.n_boot)),
        (_t("prov_window", lang), str(st.cost_window_days)),
        (_t("prov_method", lang), esc(method)),
        (_t("prov_covs", lang), esc(", ".join(a.covariates) or none)),
        (_t("prov_cluster", lang), esc(a.cluster or none)),
        (_t("prov_instrument", lang), esc(f"{inst.name(lang)} ({inst.code})")),
        (_t("prov_rule", lang), esc(f"{r.rule} ({r.threshold})")),
        (_t("prov_lang", lang), lang),
        (_t("prov_date", lang), esc(a.generated.isoformat())),
    ]
    per_table = key_value_rows((k, f"<code>{v}</code>") for k, v in a.table_fingerprints.items())
    return HTMLSection(
        f'<section class="provenance"><h2>{esc(_t("provenance", lang))}</h2>'
        f"<p>{esc(_t('prov_intro', lang))}</p>"
        f'<table class="kv">{key_value_rows(rows)}</table>'
        f"<h3>{esc(_t('prov_tables', lang))}</h3>"
        f'<table class="kv small">{per_table}</table>'
        f"<p class='note'>{esc(_t('prov_recipe', lang))}</p></section>"
    )
