"""``report --by COLUMN``: one council report per level of a column, and a side-by-side summary.

For a column of the trajectories table (a cohort, a municipality, a group of teams), the
package is split by its values (:meth:`wattelt_eval.PilotData.subset`); each level gets
its own full report (own floor and power statement, own disclosure) in a sub-folder, and
``summary_<lang>.html`` (and ``.pdf``) sets the levels side by side: trajectories and
teams per arm, whether the level can answer the question, and each headline's verdict.
Trajectories without a value of the column are in no level's report; the summary says
how many (masked under the disclosure rule).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..i18n import pair, text
from .markup import esc
from .render import _nbsp, _t

if TYPE_CHECKING:
    from ..data import PilotData
    from .analysis import ReportAnalysis
    from .builder import ReportResult

__all__ = ["levels_of", "level_folder", "build_by", "summary_html"]


def levels_of(data: PilotData, by: str) -> list[str]:
    """The levels of ``by`` in the trajectories table, sorted; a usage error if absent."""
    tr = data.trajectories
    if by not in tr.columns:
        cols = ", ".join(c for c in tr.columns if c not in ("trajectory_id", "resident_id"))
        raise UsageError(*pair("report.by.no_column", by=by, columns=cols))
    levels = sorted(tr[by].dropna().astype(str).unique())
    if len(levels) < 1:
        raise UsageError(*pair("report.by.no_levels", by=by))
    return levels


def level_folder(level: str, taken: set[str]) -> str:
    """A folder name for a level: lower case ASCII letters, digits and dashes, unique."""
    base = re.sub(r"[^a-z0-9]+", "-", level.lower()).strip("-") or "level"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name)
    return name


def column_label(by: str, lang: str) -> str:
    """The column's name in words (``municipality`` -> ``gemeente``), else the name."""
    from ..i18n import catalogue

    key = f"report.by_column.{by}"
    return text(key, lang) if key in catalogue() else by


def _row(level: str, a: ReportAnalysis, lang: str) -> str:
    from ..disclosure import format_count
    from .render import VERDICT_KEYS, _value

    f = a.feasibility
    n = f"{format_count(f.n_treated, a.rule, lang=lang)} / {format_count(f.n_control, a.rule, lang=lang)}"
    teams = "—" if f.teams_treated is None else f"{f.teams_treated} / {f.teams_control}"
    cells = [n, teams, _t("by_yes" if f.answerable else "by_no", lang)]
    for h in a.plan.headlines:
        e = a.effects[h.key]
        word = _t(VERDICT_KEYS[e.verdict], lang)
        cells.append(f"{_value(h, e.difference, lang, diff=True)} ({word})" if e.shown else word)
    return (
        f"<tr><th scope='row'>{esc(level)}</th>"
        + "".join(f"<td>{esc(_nbsp(c))}</td>" for c in cells)
        + "</tr>"
    )


def summary_html(
    by: str, analyses: dict[str, ReportAnalysis], n_missing: int, lang: str, rule: Any
) -> str:
    """The side-by-side summary as one self-contained HTML document."""
    from ..disclosure import format_count
    from .builder import CSS_FILE

    any_a = next(iter(analyses.values()))
    by = column_label(by, lang)
    heads = [_t("by_col_level", lang, by=by), _t("by_col_n", lang), _t("by_col_teams", lang)]
    heads += [_t("by_col_answer", lang)] + [_t(f"name.{h.key}", lang) for h in any_a.plan.headlines]
    thead = "<tr>" + "".join(f"<th scope='col'>{esc(h)}</th>" for h in heads) + "</tr>"
    rows = "".join(_row(level, a, lang) for level, a in analyses.items())
    title = _t("by_title", lang, by=by)
    missing = (
        f"<p>{esc(_t('by_missing', lang, n=format_count(n_missing, rule, lang=lang), by=by))}</p>"
        if n_missing
        else ""
    )
    css = CSS_FILE.read_text(encoding="utf-8")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{css}</style></head><body><main>"
        f"<h1>{esc(title)}</h1><p>{esc(_t('by_intro', lang, by=by))}</p>"
        f'<table class="by-level"><caption>{esc(_t("by_caption", lang))}</caption>'
        f"<thead>{thead}</thead><tbody>{rows}</tbody></table>{missing}"
        f"<p class='note'>{esc(_t('by_note', lang))}</p></main></body></html>\n"
    )


def build_by(
    data: PilotData,
    by: str,
    out_dir: Path,
    lang: str,
    formats: tuple[str, ...],
    **options: Any,
) -> ReportResult:
    """One report per level of ``by`` (sub-folders of ``out_dir``) and the summary.

    ``options`` are passed to :func:`~wattelt_eval.report.build` (seed, n_boot, progress,
    chromium, monitor, command: the user's command, shown in every level's report). Returns the summary's :class:`ReportResult` with ``parts`` per level.
    """
    from ..disclosure import rule_from_study
    from .analysis import run_analysis
    from .builder import ReportResult, build, print_pdf
    from .plan import ReportPlan
    from .provenance import fingerprint

    levels = levels_of(data, by)
    values = data.trajectories[by].astype("string")
    taken: set[str] = set()
    parts: dict[str, ReportResult] = {}
    analyses: dict[str, ReportAnalysis] = {}
    for level in levels:
        sub = data.subset(data.trajectories.loc[values == level, "trajectory_id"])
        folder = out_dir / level_folder(level, taken)
        parts[level] = build(sub, folder, lang=lang, formats=formats, **options)
        plan = ReportPlan.from_study(  # the same plan as the level's report
            sub.study, seed=options.get("seed"), n_boot=options.get("n_boot", 999)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyses[level] = run_analysis(sub, plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"summary_{lang}.html"
    n_missing = int(values.isna().sum())
    html_path.write_text(
        summary_html(by, analyses, n_missing, lang, rule_from_study(data.study)), encoding="utf-8"
    )
    pdf_path = None
    if "pdf" in formats:
        pdf_path = print_pdf(html_path, out_dir / f"summary_{lang}.pdf", options.get("chromium"))
    return ReportResult(
        html=html_path,
        pdf=pdf_path,
        notebook=None,
        fingerprint=fingerprint(data),
        data_fingerprint=fingerprint(data),
        lang=lang,
        parameters={"by": by, "levels": levels},
        parts=parts,
    )
