"""Figures for researchers and reports: each function returns a matplotlib Figure.

Every figure

* has Dutch (``lang="nl"``, default) or English (``lang="en"``) labels;
* uses the colour-blind safe Okabe–Ito palette (Okabe & Ito 2008);
* respects the disclosure rule: groups (arms, bins, categories) with fewer
  residents than the threshold (``min_count``; default the study's
  ``disclosure.threshold``, 10) are dropped or merged, and the figure carries a
  note saying so (also in ``fig.wattelt_notes``).

The table behind each figure is available from the matching ``*_data`` function
(``board_data``, ``cohort_board_data``, ``goal_flow_data``, ``retelling_data``,
``cost_data``, ``forest_data``, ``flow_data``, ``domain_trends_data``,
``agreement_data``), so a researcher can print what is drawn.

Figures
-------
board
    The Wat telt board of one trajectory: resident, professional and carer
    scores per domain, first against latest measurement (individual data: for
    the researcher's workbench, never for publication).
cohort_board
    Per arm, the mean first and latest score per domain and the shares of
    residents improved, the same and worse (as in 'View on Star' reports).
goal_flow
    The resident's intake goals per arm, stage by stage: retained, reworded,
    achieved or lost.
retellings
    Distribution of retellings per arm and where in the chain they happen.
costs
    Costs per arm: share without costs, the positive part on a log scale, and
    the mean per CBS group of iWmo categories plus staff time.
domain_trends
    The board over time: mean score per measurement, per domain and arm.
agreement
    Multi-rater agreement per domain (resident vs professional vs carer): mean
    gap with Bland–Altman limits of agreement, and quadratic-weighted kappa.
love_plot
    Covariate balance before and after weighting.
forest
    All comparisons with their confidence intervals, method named.
flow
    CONSORT-style flow of residents and records.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import schema

if TYPE_CHECKING:
    from .data import PilotData

Lang = Literal["nl", "en"]

#: The Okabe–Ito colour-blind safe palette.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

ARM_COLORS: dict[str, str] = {
    "demand_driven": OKABE_ITO["blue"],
    "supply_driven": OKABE_ITO["orange"],
}
_EXTRA_COLORS = [OKABE_ITO[k] for k in ("bluish_green", "reddish_purple", "sky_blue", "vermillion")]

RATER_COLORS: dict[str, str] = {
    "resident": OKABE_ITO["vermillion"],
    "professional": OKABE_ITO["blue"],
    "informal_carer": OKABE_ITO["bluish_green"],
}
CHANGE_COLORS: dict[str, str] = {
    "improved": OKABE_ITO["bluish_green"],
    "same": "#BBBBBB",
    "worse": OKABE_ITO["vermillion"],
}
GOAL_STATE_COLORS: dict[str, str] = {
    "achieved": OKABE_ITO["bluish_green"],
    "retained": OKABE_ITO["blue"],
    "reworded": OKABE_ITO["sky_blue"],
    "lost": OKABE_ITO["vermillion"],
}
COST_COMPONENT_COLORS: dict[str, str] = {
    "household_help": OKABE_ITO["orange"],
    "support_at_home": OKABE_ITO["blue"],
    "aids_and_services": OKABE_ITO["bluish_green"],
    "residential_and_shelter": OKABE_ITO["reddish_purple"],
    "general": OKABE_ITO["yellow"],
    "staff": OKABE_ITO["grey"],
}
#: outcome-table column of each cost component
COST_COMPONENT_COLUMNS: dict[str, str] = {
    "household_help": "cost_household_help",
    "support_at_home": "cost_support_at_home",
    "aids_and_services": "cost_aids_and_services",
    "residential_and_shelter": "cost_residential_and_shelter",
    "general": "cost_general",
    "staff": "cost_staff",
}

GOAL_STATES = ("achieved", "retained", "reworded", "lost")
CHANGES = ("improved", "same", "worse")

# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------

_TEXT: dict[str, dict[str, str]] = {
    "board_title": {
        "nl": "Wat telt-bord van één traject",
        "en": "Wat telt board of one trajectory",
    },
    "board_private": {
        "nl": "Individuele gegevens: alleen voor analyse, niet publiceren.",
        "en": "Individual data: for analysis only, do not publish.",
    },
    "score": {"nl": "Score", "en": "Score"},
    "mean_score": {"nl": "Gemiddelde score", "en": "Mean score"},
    "first": {"nl": "eerste meting", "en": "first measurement"},
    "latest": {"nl": "laatste meting", "en": "latest measurement"},
    "problem_range": {"nl": "probleemgebied (≤ {t:g})", "en": "problem range (≤ {t:g})"},
    "cohort_title": {
        "nl": "Leefgebieden per werkwijze: eerste en laatste meting ({rater})",
        "en": "Domains per way of working: first and latest measurement ({rater})",
    },
    "share_residents": {"nl": "Aandeel inwoners", "en": "Share of residents"},
    "improved": {"nl": "vooruit", "en": "improved"},
    "same": {"nl": "gelijk", "en": "same"},
    "worse": {"nl": "achteruit", "en": "worse"},
    "goal_title": {
        "nl": "Wat gebeurt er met de eigen doelen van de inwoner?",
        "en": "What happens to the resident's own goals?",
    },
    "share_goals": {
        "nl": "Aandeel eigen doelen bij de start",
        "en": "Share of own goals at the start",
    },
    "stage": {"nl": "Fase van het plan", "en": "Plan stage"},
    "achieved": {"nl": "behaald", "en": "achieved"},
    "retained": {"nl": "behouden", "en": "retained"},
    "reworded": {"nl": "geherformuleerd", "en": "reworded"},
    "lost": {"nl": "verloren", "en": "lost"},
    "retell_title": {"nl": "Opnieuw het verhaal vertellen", "en": "Retelling the story"},
    "n_retells": {"nl": "Aantal keer opnieuw verteld", "en": "Number of retellings"},
    "share_traj": {"nl": "Aandeel trajecten", "en": "Share of trajectories"},
    "retells_per_traj": {
        "nl": "Gem. aantal keer opnieuw verteld per traject",
        "en": "Mean retellings per trajectory",
    },
    "by_role": {"nl": "Bij welke rol", "en": "At which role"},
    "by_type": {"nl": "Bij welk soort contact", "en": "At which kind of contact"},
    "distribution": {"nl": "Verdeling", "en": "Distribution"},
    "cost_title": {"nl": "Kosten per traject", "en": "Costs per trajectory"},
    "share_zero": {"nl": "Aandeel zonder kosten", "en": "Share without costs"},
    "zero_total": {"nl": "geen kosten", "en": "no costs"},
    "zero_provision": {"nl": "geen maatwerkvoorziening", "en": "no individual provision"},
    "positive_costs": {"nl": "Kosten als > 0 (€, log-schaal)", "en": "Costs if > 0 (€, log scale)"},
    "mean_cost": {"nl": "Gemiddelde kosten per traject (€)", "en": "Mean cost per trajectory (€)"},
    "staff": {"nl": "Tijd professionals", "en": "Professional time"},
    "forest_title": {
        "nl": "Vergelijkingen van de werkwijzen",
        "en": "Comparisons of the ways of working",
    },
    "difference": {"nl": "Verschil (95%-BI)", "en": "Difference (95% CI)"},
    "love_title": {"nl": "Balans van de achtergrondkenmerken", "en": "Covariate balance"},
    "flow_title": {"nl": "Stroomdiagram", "en": "Flow diagram"},
    "dropped_groups": {
        "nl": "Niet getoond (minder dan {t} inwoners): {groups}.",
        "en": "Not shown (fewer than {t} residents): {groups}.",
    },
    "merged_bins": {
        "nl": "Hoogste waarden samengevoegd tot '{label}' (kleine aantallen).",
        "en": "Highest values merged into '{label}' (small counts).",
    },
    "n": {"nl": "n", "en": "n"},
}


def _t(key: str, lang: str, **kw: Any) -> str:
    s = _TEXT[key][lang]
    return s.format(**kw) if kw else s


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang must be 'nl' or 'en', got {lang!r}")


def arm_label(arm: str, lang: str = "nl") -> str:
    """Human label of an arm code (unknown codes are returned as they are)."""
    labels = schema.ARM_LABELS_NL if lang == "nl" else schema.ARM_LABELS_EN
    return labels.get(str(arm), str(arm))


def _arm_order(values: Sequence[Any]) -> list[str]:
    present = [str(v) for v in pd.unique(pd.Series(values, dtype="object").dropna())]
    known = [a for a in schema.ARM if a in present]
    return known + sorted(a for a in present if a not in known)


def _arm_colors(arms: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    extra = iter(_EXTRA_COLORS * 4)
    for a in arms:
        out[a] = ARM_COLORS.get(a) or next(extra)
    return out


def _threshold(data: Any, min_count: int | None) -> int:
    """Smallest group shown: explicit ``min_count``, else the study's disclosure rule.

    Uses :func:`wattelt_eval.disclosure.resolve_rule`: the number of residents a
    published mean or percentage must rest on (``min_n``: 10 by default).
    """
    from .disclosure import resolve_rule

    if min_count is not None and (isinstance(min_count, bool) or int(min_count) < 1):
        raise ValueError(f"min_count must be a positive integer, got {min_count!r}")
    study = getattr(data, "study", None)
    rule = resolve_rule(
        study if hasattr(study, "disclosure_rule") else None,
        None if min_count is None else int(min_count),
    )
    return int(rule.min_n) if min_count is None else int(min_count)


def _finish(fig: Figure, notes: list[str]) -> Figure:
    """Attach disclosure / data notes below the figure and as ``fig.wattelt_notes``."""
    import textwrap

    fig.wattelt_notes = list(notes)  # type: ignore[attr-defined]
    if notes:
        width = max(int(fig.get_figwidth() * 15), 60)
        text = "\n".join(textwrap.fill(n, width) for n in notes)
        fig.supxlabel(text, x=0.01, ha="left", fontsize=8, color="#444444")
    return fig


def _dropped_note(dropped: Sequence[str], threshold: int, lang: str) -> list[str]:
    if not dropped:
        return []
    return [_t("dropped_groups", lang, t=threshold, groups=", ".join(dropped))]


def _outcome_table(source: Any) -> pd.DataFrame:
    """The per-trajectory outcome table from a PilotData, an OutcomeSet or the table itself."""
    if isinstance(source, pd.DataFrame):
        return source
    table = getattr(source, "table", None)
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(source, "trajectories") and hasattr(source, "goals"):
        from .outcome import outcomes

        return outcomes(source)
    raise TypeError(
        "expected an outcome table (DataFrame), an OutcomeSet or a PilotData, "
        f"got {type(source).__name__}"
    )


def _require_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s): {', '.join(missing)}")


def _pilot(data: Any, what: str) -> PilotData:
    if not (hasattr(data, "trajectories") and hasattr(data, "domain_scores")):
        raise TypeError(f"{what} needs a PilotData, got {type(data).__name__}")
    return data


# --------------------------------------------------------------------------------------
# The Wat telt board of one trajectory
# --------------------------------------------------------------------------------------


def board_data(data: PilotData, trajectory_id: str) -> pd.DataFrame:
    """Scores of one trajectory per domain and rater: first and latest measurement.

    Returns
    -------
    DataFrame
        Columns ``domain, rater, first_measurement, first, latest_measurement,
        latest, change`` (``latest``/``change`` missing when the rater scored
        the domain only once), domains in the instrument's order.
    """
    data = _pilot(data, "board_data")
    ds = data.domain_scores
    ds = ds[(ds["trajectory_id"] == str(trajectory_id)) & ds["score"].notna()]
    if ds.empty:
        raise ValueError(f"trajectory {trajectory_id!r} has no domain scores")
    ds = ds.sort_values(["domain", "rater", "measurement"], kind="stable")
    g = ds.groupby(["domain", "rater"], sort=False)
    out = pd.DataFrame(
        {
            "first_measurement": g["measurement"].first(),
            "first": g["score"].first(),
            "latest_measurement": g["measurement"].last(),
            "latest": g["score"].last(),
            "n_measurements": g["measurement"].nunique(),
        }
    ).reset_index()
    single = out["n_measurements"] < 2
    out.loc[single, ["latest_measurement"]] = pd.NA
    out.loc[single, "latest"] = np.nan
    out["change"] = out["latest"] - out["first"]
    order = {c: i for i, c in enumerate(data.instrument.domain_codes)}
    rorder = {r: i for i, r in enumerate(schema.RATER)}
    out["_d"] = out["domain"].map(order).fillna(len(order)).astype(float)
    out["_r"] = out["rater"].map(rorder).fillna(len(rorder)).astype(float)
    out = out.sort_values(["_d", "domain", "_r"]).drop(columns=["_d", "_r", "n_measurements"])
    return out.reset_index(drop=True)


def board(
    data: PilotData,
    trajectory_id: str,
    *,
    lang: Lang = "nl",
    show_id: bool = False,
) -> Figure:
    """The Wat telt board of one trajectory: per domain, each rater's first and latest score.

    Open markers are the first measurement, filled markers the latest, joined by a
    line; the shaded band is the instrument's problem range.

    Parameters
    ----------
    data : PilotData
    trajectory_id : str
    lang : {"nl", "en"}
    show_id : bool
        Put the trajectory id in the title (default off: the figure shows one
        resident's data and is meant for the researcher's workbench only).

    Returns
    -------
    matplotlib.figure.Figure
        The markers carry ``gid`` ``"first:<rater>"`` and ``"latest:<rater>"``.
    """
    _check_lang(lang)
    df = board_data(data, trajectory_id)
    inst = data.instrument
    labels = inst.domain_labels(lang)
    domains = list(dict.fromkeys(df["domain"]))
    y_of = {d: i for i, d in enumerate(domains)}
    raters = [r for r in schema.RATER if r in set(df["rater"])] + sorted(
        set(df["rater"]) - set(schema.RATER)
    )
    offsets = dict(
        zip(
            raters,
            np.linspace(-0.22, 0.22, len(raters)) if len(raters) > 1 else [0.0],
            strict=False,
        )
    )
    rater_labels = schema.RATER_LABELS_NL if lang == "nl" else schema.RATER_LABELS_EN

    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(domains) + 1.8), layout="constrained")
    lo, hi = inst.scale_min, inst.scale_max
    pad = 0.05 * (hi - lo)
    if inst.direction == "lower_is_better":
        ax.axvspan(inst.problem_threshold, hi + pad, color="#EEEEEE", zorder=0)
    else:
        ax.axvspan(lo - pad, inst.problem_threshold, color="#EEEEEE", zorder=0)
    for r in raters:
        sub = df[df["rater"] == r]
        y = sub["domain"].map(y_of).to_numpy(float) + offsets[r]
        color = RATER_COLORS.get(r, OKABE_ITO["black"])
        both = sub["latest"].notna().to_numpy()
        ax.hlines(
            y[both],
            sub["first"].to_numpy()[both],
            sub["latest"].to_numpy()[both],
            color=color,
            lw=1.5,
            zorder=2,
        )
        ax.scatter(
            sub["first"],
            y,
            s=42,
            facecolors="white",
            edgecolors=color,
            linewidths=1.5,
            zorder=3,
            gid=f"first:{r}",
        )
        ax.scatter(
            sub["latest"].to_numpy()[both],
            y[both],
            s=42,
            color=color,
            zorder=4,
            gid=f"latest:{r}",
            label=rater_labels.get(r, r),
        )
        if not both.any():  # keep the rater in the legend
            ax.scatter([], [], s=42, color=color, label=rater_labels.get(r, r))
    ax.set_yticks(range(len(domains)), [labels.get(d, d) for d in domains])
    ax.invert_yaxis()
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel(_t("score", lang))
    m0 = df["first_measurement"].min()
    m1 = df["latest_measurement"].max()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            mfc="white",
            mec="#444444",
            label=f"{_t('first', lang)} ({m0})",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color="#444444",
            label=f"{_t('latest', lang)} ({'-' if pd.isna(m1) else m1})",
        ),
        Patch(color="#EEEEEE", label=_t("problem_range", lang, t=inst.problem_threshold)),
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8
    )
    title = _t("board_title", lang)
    if show_id:
        title += f" ({trajectory_id})"
    ax.set_title(title)
    return _finish(fig, [_t("board_private", lang)])


# --------------------------------------------------------------------------------------
# Cohort board per arm
# --------------------------------------------------------------------------------------


def cohort_board_data(
    data: PilotData, *, rater: str = "resident", outcome_set: Any = None
) -> pd.DataFrame:
    """Per arm and domain: residents, mean first and latest score, shares improved/same/worse.

    Taken from ``OutcomeSet.cohort_domains`` (computed by :func:`wattelt_eval.outcome_set`
    unless passed): a trajectory counts for a domain when the rater scored it at two
    or more measurements; *first* is its earliest, *latest* its last measurement.

    Returns
    -------
    DataFrame
        Columns ``arm, domain, n, mean_first, mean_latest, mean_change,
        share_improved, share_same, share_worse`` in instrument domain order.
    """
    data = _pilot(data, "cohort_board_data")
    if outcome_set is None:
        from .outcome import outcome_set as _outcome_set

        outcome_set = _outcome_set(data)
    cd = outcome_set.cohort_domains
    cols = [
        "arm",
        "domain",
        "n",
        "mean_first",
        "mean_latest",
        "mean_change",
        "share_improved",
        "share_same",
        "share_worse",
    ]
    _require_columns(cd, [*cols, "rater"], "OutcomeSet.cohort_domains")
    out = cd[cd["rater"].astype(str) == rater][cols].copy()
    out["arm"] = out["arm"].astype(str)
    out["domain"] = out["domain"].astype(str)
    out["n"] = out["n"].astype("int64")
    order = {c: i for i, c in enumerate(data.instrument.domain_codes)}
    aorder = {a: i for i, a in enumerate(_arm_order(out["arm"]))}
    out = out.sort_values(
        ["domain", "arm"],
        key=lambda s: s.map(order if s.name == "domain" else aorder).fillna(99),
    )
    return out.reset_index(drop=True)


def cohort_board(
    data: PilotData,
    *,
    rater: str = "resident",
    lang: Lang = "nl",
    min_count: int | None = None,
    outcome_set: Any = None,
) -> Figure:
    """The cohort board: per domain and arm, mean first vs latest score and the change shares.

    Left panel: the mean first (open) and latest (filled) score per domain, one row
    per arm. Right panel: the shares of residents improved, the same and worse.
    Domain × arm cells with fewer than ``min_count`` residents are not shown.

    Parameters
    ----------
    data : PilotData
    rater : {"resident", "professional", "informal_carer"}
    lang : {"nl", "en"}
    min_count : int, optional
        Disclosure threshold (default the study's, 10).
    outcome_set : OutcomeSet, optional
        Reuse an already computed ``we.outcome_set(data)``.

    Returns
    -------
    matplotlib.figure.Figure
        Left-panel markers carry ``gid`` ``"first:<arm>"`` / ``"latest:<arm>"``;
        the right-panel bars carry ``gid`` ``"<change>:<arm>"``.
    """
    _check_lang(lang)
    if rater not in schema.RATER:
        raise ValueError(f"rater must be one of {', '.join(schema.RATER)}, got {rater!r}")
    thr = _threshold(data, min_count)
    df = cohort_board_data(data, rater=rater, outcome_set=outcome_set)
    small = df["n"] < thr
    labels = data.instrument.domain_labels(lang)
    dropped = [
        f"{labels.get(d, d)} ({arm_label(a, lang)})"
        for a, d in zip(df.loc[small, "arm"], df.loc[small, "domain"], strict=False)
    ]
    shown = df[~small]
    domains = list(dict.fromkeys(df["domain"]))
    arms = _arm_order(df["arm"])
    colors = _arm_colors(arms)
    y_of = {d: i for i, d in enumerate(domains)}
    n_arm = max(len(arms), 1)
    height = 0.8 / n_arm
    off = {a: (i - (n_arm - 1) / 2) * height for i, a in enumerate(arms)}

    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(11, 0.5 * max(len(domains), 3) + 2),
        sharey=True,
        layout="constrained",
        gridspec_kw={"width_ratios": [1.2, 1]},
    )
    inst = data.instrument
    ax1.axvspan(inst.scale_min, inst.problem_threshold, color="#EEEEEE", zorder=0)
    for a in arms:
        sub = shown[shown["arm"] == a]
        y = sub["domain"].map(y_of).to_numpy(float) + off[a]
        c = colors[a]
        ax1.hlines(y, sub["mean_first"], sub["mean_latest"], color=c, lw=1.5)
        ax1.scatter(
            sub["mean_first"],
            y,
            s=36,
            facecolors="white",
            edgecolors=c,
            linewidths=1.5,
            gid=f"first:{a}",
            zorder=3,
        )
        ax1.scatter(
            sub["mean_latest"],
            y,
            s=36,
            color=c,
            gid=f"latest:{a}",
            zorder=4,
            label=arm_label(a, lang),
        )
        left = np.zeros(len(sub))
        for ch in CHANGES:
            w = sub[f"share_{ch}"].to_numpy(float)
            ax2.barh(
                y,
                w,
                left=left,
                height=height * 0.92,
                color=CHANGE_COLORS[ch],
                edgecolor=c,
                linewidth=1.2,
                gid=f"{ch}:{a}",
                label=_t(ch, lang) if a == arms[0] else None,
            )
            left = left + w
    ax1.set_yticks(range(len(domains)), [labels.get(d, d) for d in domains])
    ax1.invert_yaxis()
    ax1.set_xlim(inst.scale_min, inst.scale_max)
    ax1.set_xlabel(_t("mean_score", lang) + f"  (○ {_t('first', lang)}, ● {_t('latest', lang)})")
    ax1.legend(loc="lower left", fontsize=8, frameon=True)
    ax2.set_xlim(0, 1)
    ax2.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax2.set_xlabel(_t("share_residents", lang))
    ax2.legend(loc="lower right", fontsize=8, ncols=3, frameon=True)
    rl = (schema.RATER_LABELS_NL if lang == "nl" else schema.RATER_LABELS_EN)[rater]
    fig.suptitle(_t("cohort_title", lang, rater=rl))
    return _finish(fig, _dropped_note(dropped, thr, lang))


# --------------------------------------------------------------------------------------
# Goal flow
# --------------------------------------------------------------------------------------


def _norm_text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)


def goal_lineage(data: PilotData) -> pd.DataFrame:
    """Every resident goal at a trajectory's first stage with all its descendants.

    Resident goals are goals at the trajectory's earliest stage authored by the
    resident or jointly (DESIGN section 4). Descendants follow ``derived_from``
    forward (a loop per generation, not per goal).

    Returns
    -------
    DataFrame
        Columns ``trajectory_id, root_id, goal_id, stage, stage_order, status,
        reworded`` (``reworded``: the goal's text differs from the root's, both
        present, ignoring case and spacing).
    """
    g = data.goals[
        ["goal_id", "trajectory_id", "stage", "author", "text", "derived_from", "status"]
    ]
    g = g[g["goal_id"].notna() & g["trajectory_id"].notna() & g["stage"].notna()].copy()
    g["stage_order"] = g["stage"].map(schema.STAGE_ORDER).astype("Int64")
    g["ntext"] = _norm_text(g["text"])
    first_stage = g.groupby("trajectory_id")["stage_order"].transform("min")
    roots = g[(g["stage_order"] == first_stage) & g["author"].isin(["resident", "jointly"])]
    lineage = roots.assign(root_id=roots["goal_id"], root_text=roots["ntext"])
    lineage = lineage[["root_id", "root_text", "goal_id"]]
    frontier = lineage
    seen = set(zip(lineage["root_id"], lineage["goal_id"], strict=False))
    children = g[g["derived_from"].notna()][["goal_id", "derived_from"]]
    for _ in range(len(g) + 1):
        nxt = frontier.merge(
            children, left_on="goal_id", right_on="derived_from", suffixes=("_p", "")
        )
        nxt = nxt[["root_id", "root_text", "goal_id"]]
        key = pd.Series(list(zip(nxt["root_id"], nxt["goal_id"], strict=False)), dtype="object")
        new = ~key.isin(seen).to_numpy()
        nxt = nxt[new]
        if nxt.empty:
            break
        seen.update(zip(nxt["root_id"], nxt["goal_id"], strict=False))
        lineage = pd.concat([lineage, nxt], ignore_index=True)
        frontier = nxt
    out = lineage.merge(
        g[["goal_id", "trajectory_id", "stage", "stage_order", "status", "ntext"]],
        on="goal_id",
        how="left",
    )
    out["reworded"] = (out["ntext"] != out["root_text"]).fillna(False).astype(bool)
    return out[
        ["trajectory_id", "root_id", "goal_id", "stage", "stage_order", "status", "reworded"]
    ]


def goal_states(data: PilotData) -> pd.DataFrame:
    """State of every resident intake goal at every stage (wide: one column per stage).

    At each stage the goal is ``achieved`` (a goal in its lineage at this or an
    earlier stage is achieved: it may leave the plan), else ``retained`` or
    ``reworded`` (a goal of its lineage at this stage is not dropped; reworded
    when that goal's text differs from the intake text), else ``lost``. Stages a
    trajectory skipped, and stages after its last recorded stage, carry the
    previous state forward; stages before its first stage show the start state
    (``retained``). The last column is therefore the state at the trajectory's
    last recorded stage, the basis of ``goal_retention`` (DESIGN section 4):
    retained = not lost.

    Returns
    -------
    DataFrame
        Index ``root_id``; columns ``trajectory_id`` and one per stage in
        :data:`wattelt_eval.schema.STAGE`.
    """
    lin = goal_lineage(data)
    stages = list(schema.STAGE)
    roots = lin.drop_duplicates("root_id").set_index("root_id")["trajectory_id"]
    if lin.empty:
        return pd.DataFrame(columns=["trajectory_id", *stages]).rename_axis("root_id")
    g = data.goals
    rec = g[g["trajectory_id"].isin(roots.unique())]
    recorded = (
        rec.assign(s=rec["stage"].map(schema.STAGE_ORDER))
        .groupby("trajectory_id")["s"]
        .agg(["min", "max"])
    )
    # per root x stage: present (not dropped), reworded (present and text differs), achieved
    present = lin["status"] != "dropped"
    lin = lin.assign(
        present=present,
        pres_same=present & ~lin["reworded"],
        ach=lin["status"] == "achieved",
    )
    per = lin.groupby(["root_id", "stage_order"]).agg(
        present=("present", "any"), same=("pres_same", "any"), ach=("ach", "any")
    )
    n_st = len(stages)
    idx = pd.MultiIndex.from_product([roots.index, range(n_st)], names=["root_id", "stage_order"])
    per = per.reindex(idx)
    ach_cum = per["ach"].fillna(False).astype(bool).groupby(level=0).cummax()
    state = np.where(
        per["present"].isna(),
        None,
        np.where(
            per["present"].fillna(False).astype(bool),
            np.where(per["same"].fillna(False).astype(bool), "retained", "reworded"),
            "lost",
        ),
    )
    state = pd.Series(state, index=idx, dtype="object")
    # a stage the trajectory recorded but where the lineage has no goal: lost
    traj = roots.reindex(idx.get_level_values(0)).to_numpy()
    so = idx.get_level_values(1).to_numpy()
    tmin = recorded["min"].reindex(traj).to_numpy()
    tmax = recorded["max"].reindex(traj).to_numpy()
    rec_stages = set(zip(rec["trajectory_id"], rec["stage"].map(schema.STAGE_ORDER), strict=False))
    is_rec = (
        pd.Series(list(zip(traj, so, strict=False)), dtype="object").isin(rec_stages).to_numpy()
    )
    state = state.where(~(is_rec & state.isna().to_numpy()), "lost")
    state = state.where(~(so < tmin), "retained")
    state = state.where(~(so > tmax), None)
    wide = state.unstack("stage_order").ffill(axis=1)
    ach_w = ach_cum.unstack("stage_order").astype(bool)
    wide = wide.mask(ach_w, "achieved")
    wide.columns = [stages[int(c)] for c in wide.columns]
    wide.insert(0, "trajectory_id", roots.reindex(wide.index).to_numpy())
    return wide


def goal_flow_data(data: PilotData) -> pd.DataFrame:
    """Shares of the resident's intake goals per arm, stage and state.

    Returns
    -------
    DataFrame
        Columns ``arm, stage, state, n_goals, n_trajectories, share`` where
        ``share`` is ``n_goals`` over all resident goals of the arm and
        ``n_trajectories`` counts the trajectories with resident goals in the arm.
    """
    data = _pilot(data, "goal_flow_data")
    wide = goal_states(data)
    arms = data.trajectories.set_index("trajectory_id")["arm"].astype("string")
    stages = list(schema.STAGE)
    if wide.empty:
        return pd.DataFrame(columns=["arm", "stage", "state", "n_goals", "n_trajectories", "share"])
    long = wide.melt(
        id_vars="trajectory_id", value_vars=stages, var_name="stage", value_name="state"
    )
    long["arm"] = long["trajectory_id"].map(arms)
    long = long[long["arm"].notna()]
    counts = long.groupby(["arm", "stage", "state"]).size().rename("n_goals")
    arm_list = _arm_order(long["arm"])
    idx = pd.MultiIndex.from_product(
        [arm_list, stages, list(GOAL_STATES)], names=["arm", "stage", "state"]
    )
    counts = counts.reindex(idx, fill_value=0).reset_index()
    tot = long.groupby(["arm", "stage"]).size().rename("total")
    ntraj = (
        wide.assign(arm=wide["trajectory_id"].map(arms)).groupby("arm")["trajectory_id"].nunique()
    )
    counts = counts.join(tot, on=["arm", "stage"])
    counts["share"] = counts["n_goals"] / counts["total"]
    counts["n_trajectories"] = counts["arm"].map(ntraj).astype("int64")
    return counts[["arm", "stage", "state", "n_goals", "n_trajectories", "share"]]


def goal_flow(
    data: PilotData,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Goal flow per arm: the resident's intake goals from intake to the final plan.

    A stacked flow (one panel per arm): at each plan stage the share of the
    resident's own starting goals that is achieved, retained as formulated,
    reworded, or lost. The last stage shows each trajectory's last recorded plan,
    so ``1 - lost`` there is the pooled goal retention.

    Arms with fewer than ``min_count`` trajectories with resident goals are not shown.

    Returns
    -------
    matplotlib.figure.Figure
        The stacked areas carry ``gid`` ``"<state>:<arm>"``.
    """
    _check_lang(lang)
    thr = _threshold(data, min_count)
    df = goal_flow_data(data)
    arms = _arm_order(df["arm"])
    ntraj = df.groupby("arm")["n_trajectories"].first() if not df.empty else pd.Series(dtype=int)
    dropped = [arm_label(a, lang) for a in arms if ntraj.get(a, 0) < thr]
    arms = [a for a in arms if ntraj.get(a, 0) >= thr]
    stages = list(schema.STAGE)
    slabels = schema.STAGE_LABELS_NL if lang == "nl" else schema.STAGE_LABELS_EN
    fig, axes = plt.subplots(
        1,
        max(len(arms), 1),
        figsize=(5.2 * max(len(arms), 1), 4.2),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    x = np.arange(len(stages))
    for ax, a in zip(axes[0], arms, strict=False):
        sub = (
            df[df["arm"] == a].pivot(index="stage", columns="state", values="share").reindex(stages)
        )
        bottom = np.zeros(len(stages))
        for st in GOAL_STATES:
            v = sub[st].to_numpy(float)
            ax.fill_between(
                x,
                bottom,
                bottom + v,
                color=GOAL_STATE_COLORS[st],
                alpha=0.9,
                lw=0.5,
                edgecolor="white",
                gid=f"{st}:{a}",
                label=_t(st, lang),
            )
            bottom = bottom + v
        n_goals = int(df[(df["arm"] == a) & (df["stage"] == stages[0])]["n_goals"].sum())
        ax.set_title(
            f"{arm_label(a, lang)} (n = {n_goals} {'doelen' if lang == 'nl' else 'goals'}, "
            f"{int(ntraj[a])} {'trajecten' if lang == 'nl' else 'trajectories'})",
            fontsize=10,
        )
        ax.set_xticks(x, [slabels[s] for s in stages], rotation=20)
        ax.set_xlim(0, len(stages) - 1)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_xlabel(_t("stage", lang))
    axes[0][0].set_ylabel(_t("share_goals", lang))
    if arms:
        axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.suptitle(_t("goal_title", lang))
    return _finish(fig, _dropped_note(dropped, thr, lang))


# --------------------------------------------------------------------------------------
# Retellings
# --------------------------------------------------------------------------------------


def contact_tellings(data: PilotData) -> pd.DataFrame:
    """Per contact: whether it was a telling, and whether it was a retelling.

    Applies the rule of DESIGN section 4: ``story_told`` where given; otherwise an
    ``intake`` or ``assessment`` with an organisation not seen earlier in the
    trajectory (contacts ordered by date, then ``contact_id``) and ``plan_available``
    not true. A *retelling* is every telling after the trajectory's first.

    Returns
    -------
    DataFrame
        The contacts of known trajectories (columns ``trajectory_id, contact_id, date,
        organisation, role, contact_type``) plus ``arm``, ``telling``, ``inferred``
        and ``retelling``.
    """
    c = data.contacts[
        [
            "contact_id",
            "trajectory_id",
            "date",
            "organisation",
            "role",
            "contact_type",
            "story_told",
            "plan_available",
        ]
    ]
    arms = data.trajectories.set_index("trajectory_id")["arm"].astype("string")
    c = c[c["trajectory_id"].isin(arms.index)].sort_values(
        ["trajectory_id", "date", "contact_id"], kind="stable"
    )
    new_org = ~c.duplicated(["trajectory_id", "organisation"])
    inferred_telling = (
        c["contact_type"].isin(["intake", "assessment"]).fillna(False).astype(bool)
        & new_org
        & ~c["plan_available"].fillna(False).astype(bool)
    )
    known = c["story_told"].notna()
    telling = c["story_told"].fillna(False).astype(bool).where(known, inferred_telling)
    out = c[["trajectory_id", "contact_id", "date", "organisation", "role", "contact_type"]].copy()
    out["arm"] = out["trajectory_id"].map(arms)
    out["telling"] = telling.astype(bool)
    out["inferred"] = (~known & out["telling"]).astype(bool)
    nth = out["telling"].astype(int).groupby(out["trajectory_id"]).cumsum()
    out["retelling"] = out["telling"] & (nth >= 2)
    return out.reset_index(drop=True)


def retelling_data(
    data: PilotData, *, min_count: int | None = None, max_bin: int = 4
) -> dict[str, pd.DataFrame]:
    """Tables behind :func:`retellings`.

    Returns
    -------
    dict of DataFrame
        ``distribution``: per arm and bin of ``n_retells`` (``0``, ``1``, ...,
        ``k+``): ``n`` and ``share`` of trajectories, the upper bins merged until
        every non-empty bin has at least ``min_count`` trajectories in each arm
        (bins still too small get ``suppressed = True``; empty bins are shown). ``by_role`` and ``by_type``: per arm
        and role (contact type), ``n_retellings``, ``per_trajectory`` (retellings
        there divided by the arm's trajectories, so they sum to the arm's mean
        ``n_retells``) and ``suppressed`` (fewer than ``min_count`` retellings).
        ``arms``: per arm ``n_trajectories`` (with at least one contact; the others
        have no ``n_retells``, as in the outcome table) and ``mean_retells``.
    """
    data = _pilot(data, "retelling_data")
    thr = _threshold(data, min_count)
    ct = contact_tellings(data)
    traj = data.trajectories[["trajectory_id", "arm"]].dropna()
    # trajectories without contacts have no n_retells (as in the outcome table)
    traj = traj[traj["trajectory_id"].isin(ct["trajectory_id"])]
    traj = traj.assign(arm=traj["arm"].astype(str))
    n_ret = ct.groupby("trajectory_id")["retelling"].sum()
    traj = traj.assign(n_retells=traj["trajectory_id"].map(n_ret).fillna(0).astype(int))
    arms = _arm_order(traj["arm"])
    arm_n = traj.groupby("arm").size().reindex(arms)
    arm_tab = pd.DataFrame(
        {
            "n_trajectories": arm_n,
            "mean_retells": traj.groupby("arm")["n_retells"].mean().reindex(arms),
        }
    )
    arm_tab["suppressed"] = arm_tab["n_trajectories"] < thr
    shown_arms = [a for a in arms if not arm_tab.loc[a, "suppressed"]]

    def _dist(k: int) -> pd.DataFrame:
        b = traj["n_retells"].clip(upper=k)
        tab = pd.crosstab(traj["arm"], b).reindex(index=arms, columns=range(k + 1), fill_value=0)
        return tab

    k = max_bin
    tab = _dist(k)

    def _small(x: pd.DataFrame) -> bool:
        v = x.loc[shown_arms].to_numpy()
        return bool(((v > 0) & (v < thr)).any())

    while k > 1 and _small(tab):
        k -= 1
        tab = _dist(k)
    labels = [str(i) for i in range(k)] + [f"{k}+"]
    dist = tab.set_axis(labels, axis=1).stack().rename("n").reset_index()
    dist.columns = ["arm", "bin", "n"]
    dist["share"] = dist["n"] / dist["arm"].map(arm_n)
    dist["suppressed"] = (dist["n"] > 0) & (dist["n"] < thr)
    dist.attrs["merged"] = k < max_bin
    dist.attrs["top_label"] = labels[-1]

    rt = ct[ct["retelling"]].assign(arm=lambda d: d["arm"].astype(str))

    def _by(col: str, codes: Sequence[str]) -> pd.DataFrame:
        t = pd.crosstab(rt["arm"], rt[col]) if not rt.empty else pd.DataFrame()
        t = t.reindex(index=arms, columns=list(codes), fill_value=0)
        o = t.stack().rename("n_retellings").reset_index()
        o.columns = ["arm", col, "n_retellings"]
        o["per_trajectory"] = o["n_retellings"] / o["arm"].map(arm_n)
        o["suppressed"] = (o["n_retellings"] > 0) & (o["n_retellings"] < thr)
        return o

    return {
        "distribution": dist,
        "by_role": _by("role", schema.ROLE),
        "by_type": _by("contact_type", schema.CONTACT_TYPE),
        "arms": arm_tab.rename_axis("arm").reset_index(),
    }


def retellings(
    data: PilotData,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Retellings per arm: their distribution, and at which role and kind of contact they happen.

    Panels: (1) the share of trajectories with 0, 1, 2, ... retellings; (2) the mean
    number of retellings per trajectory that happened at each role; (3) the same
    by kind of contact (e.g. a handover). Bars in (2) and (3) of one arm sum to its
    mean ``n_retells``. Small cells are merged or not drawn, with a note.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry ``gid`` ``"dist:<arm>:<bin>"``, ``"role:<arm>:<role>"`` and
        ``"type:<arm>:<contact_type>"``.
    """
    _check_lang(lang)
    thr = _threshold(data, min_count)
    tabs = retelling_data(data, min_count=thr)
    arm_tab = tabs["arms"]
    arms = [a for a, s in zip(arm_tab["arm"], arm_tab["suppressed"], strict=False) if not s]
    dropped = [
        arm_label(a, lang) for a, s in zip(arm_tab["arm"], arm_tab["suppressed"], strict=False) if s
    ]
    colors = _arm_colors(list(arm_tab["arm"]))
    notes = _dropped_note(dropped, thr, lang)
    fig, axes = plt.subplots(
        1, 3, figsize=(14, 4.4), layout="constrained", gridspec_kw={"width_ratios": [1, 1.2, 1.2]}
    )
    n_arm = max(len(arms), 1)
    width = 0.8 / n_arm
    dist = tabs["distribution"]
    bins = list(dict.fromkeys(dist["bin"]))
    small_cells = 0
    for i, a in enumerate(arms):
        sub = dist[dist["arm"] == a].set_index("bin").reindex(bins)
        xs = np.arange(len(bins)) + (i - (n_arm - 1) / 2) * width
        for x, b in zip(xs, bins, strict=False):
            if sub.loc[b, "suppressed"]:
                small_cells += 1
                continue
            axes[0].bar(
                x,
                sub.loc[b, "share"],
                width=width * 0.95,
                color=colors[a],
                gid=f"dist:{a}:{b}",
                label=None,
            )
        n = int(arm_tab.set_index("arm").loc[a, "n_trajectories"])
        axes[0].bar([], [], color=colors[a], label=f"{arm_label(a, lang)} (n = {n})")
    axes[0].set_xticks(range(len(bins)), bins)
    axes[0].set_xlabel(_t("n_retells", lang))
    axes[0].set_ylabel(_t("share_traj", lang))
    axes[0].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if arms:
        axes[0].legend(fontsize=8, frameon=False)
    axes[0].set_title(_t("distribution", lang), fontsize=10)
    if dist.attrs.get("merged"):
        notes.append(_t("merged_bins", lang, label=dist.attrs["top_label"]))

    for ax, key, col, lab, title in (
        (
            axes[1],
            "by_role",
            "role",
            schema.ROLE_LABELS_NL if lang == "nl" else schema.ROLE_LABELS_EN,
            "by_role",
        ),
        (
            axes[2],
            "by_type",
            "contact_type",
            schema.CONTACT_TYPE_LABELS_NL if lang == "nl" else schema.CONTACT_TYPE_LABELS_EN,
            "by_type",
        ),
    ):
        t = tabs[key]
        codes = list(dict.fromkeys(t[col]))
        y0 = np.arange(len(codes))
        for i, a in enumerate(arms):
            sub = t[t["arm"] == a].set_index(col).reindex(codes)
            ys = y0 + (i - (n_arm - 1) / 2) * width
            for yv, code in zip(ys, codes, strict=False):
                if sub.loc[code, "suppressed"]:
                    small_cells += 1
                    continue
                ax.barh(
                    yv,
                    sub.loc[code, "per_trajectory"],
                    height=width * 0.95,
                    color=colors[a],
                    gid=f"{col.split('_')[-1]}:{a}:{code}",
                )
        ax.set_yticks(y0, [lab.get(c, c) for c in codes], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(_t("retells_per_traj", lang))
        ax.set_title(_t(title, lang), fontsize=10)
    if small_cells:
        notes.append(
            f"{small_cells} "
            + ("balk(en) met minder dan " if lang == "nl" else "bar(s) with fewer than ")
            + f"{thr} "
            + ("niet getoond." if lang == "nl" else "not shown.")
        )
    fig.suptitle(_t("retell_title", lang))
    return _finish(fig, notes)


# --------------------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------------------


def cost_data(table: Any, *, min_count: int | None = None) -> dict[str, pd.DataFrame]:
    """Tables behind :func:`costs`, from the outcome table (or an OutcomeSet / PilotData).

    Returns
    -------
    dict of DataFrame
        ``arms``: per arm ``n``, ``n_zero``, ``share_zero``, ``mean_total``,
        ``median_positive``, ``suppressed`` (arm smaller than the threshold) and
        ``zero_suppressed`` (fewer than the threshold with, or without, costs); where the
        table has ``any_provision`` also ``n_no_provision``, ``share_no_provision`` (no
        individual provision in the window: the zeros of the provision costs that
        matter for policy) and ``no_provision_suppressed``.
        ``components``: per arm and component (CBS groups of iWmo categories and
        ``staff``) the mean cost per trajectory (``mean``); the components of an arm
        sum to its mean ``cost_total``.
    """
    t = _outcome_table(table)
    thr = _threshold(table, min_count)
    _require_columns(t, ["arm", "cost_total", *COST_COMPONENT_COLUMNS.values()], "outcome table")
    t = t[t["arm"].notna() & t["cost_total"].notna()]
    arm = t["arm"].astype(str)
    arms = _arm_order(arm)
    g = t.groupby(arm)
    zero = (t["cost_total"] <= 0).groupby(arm).sum()
    n = g.size()
    pos = t["cost_total"].where(t["cost_total"] > 0)
    tab = pd.DataFrame(
        {
            "n": n,
            "n_zero": zero.astype(int),
            "share_zero": zero / n,
            "mean_total": g["cost_total"].mean(),
            "median_positive": pos.groupby(arm).median(),
        }
    ).reindex(arms)
    tab["suppressed"] = tab["n"] < thr
    tab["zero_suppressed"] = (tab["n_zero"] < thr) | ((tab["n"] - tab["n_zero"]) < thr)
    if "any_provision" in t.columns:
        none = (~t["any_provision"].astype("boolean").fillna(True)).astype(int).groupby(arm).sum()
        tab["n_no_provision"] = none.reindex(arms).astype(int)
        tab["share_no_provision"] = tab["n_no_provision"] / tab["n"]
        tab["no_provision_suppressed"] = (tab["n_no_provision"] < thr) | (
            (tab["n"] - tab["n_no_provision"]) < thr
        )
    comp = g[list(COST_COMPONENT_COLUMNS.values())].mean().reindex(arms)
    comp.columns = list(COST_COMPONENT_COLUMNS)
    comp_long = comp.stack().rename("mean").reset_index()
    comp_long.columns = ["arm", "component", "mean"]
    return {"arms": tab.rename_axis("arm").reset_index(), "components": comp_long}


def costs(
    table: Any,
    *,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Costs per arm: the zeros, the positive part on a log scale, and the breakdown.

    Panels: (1) share of trajectories without any cost in the window and (hatched) the
    share without an individual provision (``any_provision`` false); (2) violin of
    the positive costs on a log scale, median marked (no individual points are
    drawn); (3) mean cost per trajectory stacked by CBS group of iWmo categories
    (Hulp bij het huishouden; Ondersteuning thuis; Hulpmiddelen en diensten;
    Verblijf en opvang; general provisions) and professional time.

    Parameters
    ----------
    table : DataFrame, OutcomeSet or PilotData
        The outcome table (columns of ``we.outcomes``).

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry ``gid`` ``"zero:<arm>"``, ``"no_provision:<arm>"`` and
        ``"component:<arm>:<component>"``.
    """
    _check_lang(lang)
    thr = _threshold(table, min_count)
    tabs = cost_data(table, min_count=thr)
    t = _outcome_table(table)
    at = tabs["arms"]
    arms = [a for a, s in zip(at["arm"], at["suppressed"], strict=False) if not s]
    dropped = [arm_label(a, lang) for a, s in zip(at["arm"], at["suppressed"], strict=False) if s]
    colors = _arm_colors(list(at["arm"]))
    notes = _dropped_note(dropped, thr, lang)
    at = at.set_index("arm")
    fig, axes = plt.subplots(
        1, 3, figsize=(14, 4.4), layout="constrained", gridspec_kw={"width_ratios": [0.7, 1.2, 1.2]}
    )
    labels = [f"{arm_label(a, lang)}\n(n = {int(at.loc[a, 'n'])})" for a in arms]
    # (1) zeros: no cost at all, and (where known) no individual provision
    kinds = [("zero", "share_zero", "zero_suppressed", "zero_total", None)]
    if "share_no_provision" in at.columns:
        kinds.append(
            (
                "no_provision",
                "share_no_provision",
                "no_provision_suppressed",
                "zero_provision",
                "//",
            )
        )
    width = 0.8 / len(kinds)
    for k, (gid, col, sup, lab, hatch) in enumerate(kinds):
        for i, a in enumerate(arms):
            if at.loc[a, sup]:
                notes.append(
                    f"{_t('share_zero', lang)} ({_t(lab, lang)}) "
                    + (
                        f"niet getoond voor {arm_label(a, lang)} (kleine aantallen)."
                        if lang == "nl"
                        else f"not shown for {arm_label(a, lang)} (small counts)."
                    )
                )
                continue
            x = i + (k - (len(kinds) - 1) / 2) * width
            v = float(at.loc[a, col])
            axes[0].bar(
                x,
                v,
                width=width * 0.95,
                color=colors[a],
                hatch=hatch,
                edgecolor="white" if hatch else None,
                gid=f"{gid}:{a}",
            )
            axes[0].text(x, v, f"{v:.0%}", ha="center", va="bottom", fontsize=8)
    if len(kinds) > 1:
        from matplotlib.patches import Patch

        axes[0].legend(
            handles=[
                Patch(fc="#777777", ec="white", hatch=h, label=_t(lab, lang))
                for _, _, _, lab, h in kinds
            ],
            fontsize=7,
            frameon=False,
            loc="upper left",
        )
    axes[0].set_xticks(range(len(arms)), labels, fontsize=8)
    axes[0].set_ylim(0, 1)
    axes[0].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    axes[0].set_title(_t("share_zero", lang), fontsize=10)
    # (2) positive part, log scale
    pos = t[t["arm"].astype("string").isin(arms) & (t["cost_total"] > 0)]
    pos = pos.assign(arm=pos["arm"].astype(str), log_cost=np.log10(pos["cost_total"].astype(float)))
    enough = [a for a in arms if (pos["arm"] == a).sum() >= thr]
    if enough:
        import seaborn as sns

        sns.violinplot(
            data=pos[pos["arm"].isin(enough)],
            x="arm",
            y="log_cost",
            order=enough,
            hue="arm",
            hue_order=enough,
            palette=colors,
            legend=False,
            inner="quart",
            cut=1,
            ax=axes[1],
            density_norm="width",
        )
        med = np.log10(at.loc[enough, "median_positive"].astype(float).to_numpy())
        axes[1].scatter(
            range(len(enough)),
            med,
            color="white",
            edgecolor="black",
            zorder=5,
            s=30,
            gid="median_positive",
        )
    axes[1].set_xticks(range(len(enough)), [arm_label(a, lang) for a in enough], fontsize=8)
    axes[1].set_xlabel("")
    axes[1].set_ylabel("")
    lo, hi = axes[1].get_ylim()
    ticks = np.arange(np.floor(lo), np.ceil(hi) + 1)
    axes[1].set_yticks(
        ticks,
        [f"€ {10**v:,.0f}".replace(",", ".") if lang == "nl" else f"€{10**v:,.0f}" for v in ticks],
    )
    axes[1].set_ylim(lo, hi)
    axes[1].set_title(_t("positive_costs", lang), fontsize=10)
    # (3) breakdown
    comp = tabs["components"]
    glab = schema.CBS_GROUP_LABELS_NL if lang == "nl" else schema.CBS_GROUP_LABELS_EN
    bottom = np.zeros(len(arms))
    for c in COST_COMPONENT_COLUMNS:
        v = (
            comp[comp["component"] == c]
            .set_index("arm")["mean"]
            .reindex(arms)
            .fillna(0)
            .to_numpy(float)
        )
        bars = axes[2].bar(
            range(len(arms)),
            v,
            bottom=bottom,
            color=COST_COMPONENT_COLORS[c],
            label=glab.get(c, _t("staff", lang)),
            edgecolor="white",
            lw=0.5,
        )
        for b, a in zip(bars, arms, strict=False):
            b.set_gid(f"component:{a}:{c}")
        bottom = bottom + v
    axes[2].set_xticks(range(len(arms)), labels, fontsize=8)
    axes[2].set_title(_t("mean_cost", lang), fontsize=10)
    axes[2].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.suptitle(_t("cost_title", lang))
    return _finish(fig, notes)


# --------------------------------------------------------------------------------------
# Forest plot of comparisons
# --------------------------------------------------------------------------------------

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "goal_retention": ("Behoud eigen doelen (aandeel)", "Goal retention (share)"),
    "goal_ownership": ("Eigenaarschap doelen (aandeel)", "Goal ownership (share)"),
    "goals_achieved_share": ("Doelen behaald (aandeel)", "Goals achieved (share)"),
    "gas_t": ("GAS T-score", "GAS T-score"),
    "n_tellings": ("Aantal keer verhaal verteld", "Number of tellings"),
    "n_retells": ("Aantal keer opnieuw verteld", "Number of retellings"),
    "cost_total": ("Totale kosten (€)", "Total costs (€)"),
    "cost_provisions": ("Kosten voorzieningen (€)", "Provision costs (€)"),
    "cost_staff": ("Kosten tijd professionals (€)", "Professional time costs (€)"),
    "any_provision": ("Maatwerkvoorziening (aandeel)", "Any individual provision (share)"),
    "n_problem_domains_t0": ("Probleemgebieden bij start", "Problem domains at start"),
    "mean_change_resident": ("Gem. verandering score inwoner", "Mean change, resident score"),
    "disagreement_t0": ("Verschil inwoner–professional", "Resident–professional disagreement"),
}
METHOD_LABELS: dict[str, tuple[str, str]] = {
    "unadjusted": ("ongecorrigeerd", "unadjusted"),
    "regression": ("regressie (g-computatie)", "regression (g-computation)"),
    "ipw": ("IPW (weging)", "IPW (weighting)"),
    "aipw": ("AIPW (dubbel robuust)", "AIPW (doubly robust)"),
}
METHOD_ORDER = ("unadjusted", "regression", "ipw", "aipw")


def outcome_label(outcome: str, lang: str = "nl") -> str:
    """Human label of an outcome column (the column name when unknown)."""
    pair = OUTCOME_LABELS.get(str(outcome))
    return str(outcome) if pair is None else pair[0 if lang == "nl" else 1]


def _method_label(method: str, lang: str) -> str:
    pair = METHOD_LABELS.get(str(method))
    return str(method) if pair is None else pair[0 if lang == "nl" else 1]


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
    _check_lang(lang)
    thr = _threshold(None, min_count)
    df = forest_data(results, term=term)
    notes: list[str] = []
    if {"n_control", "n_treated"} <= set(df.columns):
        small = df[["n_control", "n_treated"]].min(axis=1) < thr
        if small.any():
            notes.append(
                (
                    "Niet getoond (minder dan {t} inwoners in een arm): {g}."
                    if lang == "nl"
                    else "Not shown (fewer than {t} residents in an arm): {g}."
                ).format(
                    t=thr,
                    g=", ".join(
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
        ax.text(0.5, 0.5, "—", ha="center", va="center")
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
            f"{_num(e, lang)} ({_num(lo, lang)} {'tot' if lang == 'nl' else 'to'} {_num(hi, lang)})"
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
        (
            _t("difference", lang)
            if term == "difference"
            else ("Ratio (95%-BI)" if lang == "nl" else "Ratio (95% CI)")
        )
        + (
            " — vraaggestuurd t.o.v. aanbodgestuurd"
            if lang == "nl"
            else " — demand-driven vs supply-driven"
        )
    )
    fig.suptitle(_t("forest_title", lang))
    return _finish(fig, notes)


def _num(x: float, lang: str) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    ax = abs(x)
    s = f"{x:,.0f}" if ax >= 100 else f"{x:.2f}" if ax >= 0.01 else f"{x:.3g}"
    if lang == "nl":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s


# --------------------------------------------------------------------------------------
# Flow diagram (CONSORT style)
# --------------------------------------------------------------------------------------

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
    from .disclosure import resolve_rule, suppress_table

    _check_lang(lang)
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
    from .disclosure import note as disclosure_note

    notes = [] if exact else [disclosure_note(None, min_count, lang=lang)]
    if exact:
        notes.append(_t("board_private", lang))
    return _finish(fig, notes)


def _wrap(s: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(s, width)) or s


# --------------------------------------------------------------------------------------
# Domain monitoring over time and multi-rater agreement
# --------------------------------------------------------------------------------------

_TEXT.update(
    {
        "trend_title": {
            "nl": "Leefgebieden door de tijd: gemiddelde score per meting ({rater})",
            "en": "Domains over time: mean score per measurement ({rater})",
        },
        "measurement": {"nl": "Meting (0 = intake)", "en": "Measurement (0 = intake)"},
        "small_points": {
            "nl": "{k} punt(en) met minder dan {t} inwoners niet getoond.",
            "en": "{k} point(s) with fewer than {t} residents not shown.",
        },
        "agree_title": {
            "nl": "Overeenstemming tussen beoordelaars per leefgebied (meting {m})",
            "en": "Agreement between raters per domain (measurement {m})",
        },
        "agree_x": {
            "nl": "Gemiddeld verschil met 95%-overeenstemmingsgrenzen",
            "en": "Mean difference with 95% limits of agreement",
        },
        "kappa": {"nl": "gewogen κ", "en": "weighted κ"},
    }
)


def domain_trends_data(data: PilotData, *, rater: str = "resident") -> pd.DataFrame:
    """Mean score per arm, domain and measurement for one rater (the board over time).

    Every trajectory scored by the rater at a measurement counts at that measurement,
    so later measurements rest on the trajectories that were followed that long (the
    mix can change over time; the cohort board compares each trajectory with itself).

    Returns
    -------
    DataFrame
        Columns ``arm, domain, measurement, n, mean, sd, share_problem`` (``n``:
        trajectories; ``share_problem``: score in the instrument's problem range), in
        instrument domain order, then arm, then measurement.
    """
    data = _pilot(data, "domain_trends_data")
    if rater not in schema.RATER:
        raise ValueError(f"rater must be one of {', '.join(schema.RATER)}, got {rater!r}")
    inst = data.instrument
    ds = data.domain_scores
    ds = ds[(ds["rater"] == rater) & ds["score"].notna() & ds["measurement"].notna()]
    arms = data.trajectories.set_index("trajectory_id")["arm"].astype("string")
    ds = ds.assign(arm=ds["trajectory_id"].map(arms))
    ds = ds[ds["arm"].notna()]
    # one score per trajectory, domain and measurement (the mean if a rater scored twice)
    per = ds.groupby(["arm", "domain", "measurement", "trajectory_id"], observed=True)[
        "score"
    ].mean()
    per = per.reset_index()
    if inst.direction == "lower_is_better":
        per["problem"] = per["score"] >= inst.problem_threshold
    else:
        per["problem"] = per["score"] <= inst.problem_threshold
    g = per.groupby(["arm", "domain", "measurement"], observed=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean": g["score"].mean(),
            "sd": g["score"].std(),
            "share_problem": g["problem"].mean(),
        }
    ).reset_index()
    out["arm"] = out["arm"].astype(str)
    out["domain"] = out["domain"].astype(str)
    out["measurement"] = out["measurement"].astype("int64")
    out["n"] = out["n"].astype("int64")
    order = {c: i for i, c in enumerate(inst.domain_codes)}
    aorder = {a: i for i, a in enumerate(_arm_order(out["arm"]))}
    out = out.assign(_d=out["domain"].map(order).fillna(len(order)), _a=out["arm"].map(aorder))
    out = out.sort_values(["_d", "domain", "_a", "measurement"], kind="stable")
    return out.drop(columns=["_d", "_a"]).reset_index(drop=True)


def domain_trends(
    data: PilotData,
    *,
    rater: str = "resident",
    domains: Sequence[str] | None = None,
    lang: Lang = "nl",
    min_count: int | None = None,
    ncols: int = 5,
) -> Figure:
    """The Wat telt board over time: mean score per measurement, per domain and arm.

    One small panel per domain; one line per arm; the shaded band is the problem
    range. Points resting on fewer than ``min_count`` residents are not drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The line of arm ``a`` in domain ``d`` carries ``gid`` ``"trend:<a>:<d>"``
        (x: measurement, y: mean; NaN where suppressed).
    """
    _check_lang(lang)
    thr = _threshold(data, min_count)
    df = domain_trends_data(data, rater=rater)
    inst = data.instrument
    labels = inst.domain_labels(lang)
    doms = list(dict.fromkeys(df["domain"])) if domains is None else [str(d) for d in domains]
    unknown = [d for d in doms if d not in set(df["domain"])]
    if unknown:
        raise ValueError(f"no {rater} scores for domain(s): {', '.join(unknown)}")
    arms = _arm_order(df["arm"])
    colors = _arm_colors(arms)
    ncols = max(1, min(int(ncols), len(doms)))
    nrows = int(np.ceil(len(doms) / ncols)) if doms else 1
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(2.6 * ncols + 0.6, 2.1 * nrows + 1.2),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    small = int((df["n"] < thr).sum()) if not df.empty else 0
    ms = sorted(df["measurement"].unique()) if not df.empty else [0]
    lo, hi = inst.scale_min, inst.scale_max
    for k, ax in enumerate(axes.flat):
        if k >= len(doms):
            ax.set_axis_off()
            continue
        d = doms[k]
        if inst.direction == "lower_is_better":
            ax.axhspan(inst.problem_threshold, hi, color="#EEEEEE", zorder=0)
        else:
            ax.axhspan(lo, inst.problem_threshold, color="#EEEEEE", zorder=0)
        for a in arms:
            sub = df[(df["domain"] == d) & (df["arm"] == a)]
            y = sub["mean"].where(sub["n"] >= thr).to_numpy(float)
            ax.plot(
                sub["measurement"].to_numpy(float),
                y,
                "o-",
                color=colors[a],
                ms=3.5,
                lw=1.4,
                gid=f"trend:{a}:{d}",
                label=arm_label(a, lang) if k == 0 else None,
            )
        ax.set_title(_wrap(labels.get(d, d), 26), fontsize=8.5)
        ax.set_ylim(lo, hi)
        ax.set_xticks(ms)
        ax.tick_params(labelsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel(_t("measurement", lang), fontsize=7.5)
    for ax in axes[:, 0]:
        ax.set_ylabel(_t("mean_score", lang), fontsize=7.5)
    if arms:
        fig.legend(loc="outside upper right", fontsize=8, frameon=False, ncols=len(arms))
    rl = (schema.RATER_LABELS_NL if lang == "nl" else schema.RATER_LABELS_EN)[rater]
    fig.suptitle(_t("trend_title", lang, rater=rl))
    notes = [_t("small_points", lang, k=small, t=thr)] if small else []
    return _finish(fig, notes)


def weighted_kappa(x: Any, y: Any) -> float:
    """Quadratic-weighted kappa of two raters' paired scores.

    With quadratic weights kappa equals ``2 cov(x, y) / (var(x) + var(y) + (mean(x) -
    mean(y))**2)`` with population moments (Fleiss & Cohen 1973), which is what is
    computed here: it needs no contingency table and works for any numeric scale.
    NaN when both raters give one constant score.

    References
    ----------
    Fleiss, J. L. & Cohen, J. (1973). The equivalence of weighted kappa and the
    intraclass correlation coefficient as measures of reliability. Educ. Psychol. Meas. 33.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError("x and y must have the same length")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) == 0:
        return float("nan")
    den = a.var() + b.var() + (a.mean() - b.mean()) ** 2
    if den == 0:
        return float("nan")
    return float(2 * ((a - a.mean()) * (b - b.mean())).mean() / den)


def agreement_data(
    data: PilotData,
    *,
    raters: tuple[str, str] = ("resident", "professional"),
    measurement: int | None = 0,
) -> pd.DataFrame:
    """Agreement of two raters per domain: gap (Bland–Altman) and weighted kappa.

    Pairs are the scores of both raters for the same trajectory, domain and
    measurement (``measurement=None``: all measurements, so one trajectory can give
    several pairs per domain).

    Returns
    -------
    DataFrame
        One row per domain (instrument order) plus ``domain == "all"`` (all domains
        pooled): ``rater_a, rater_b, n_pairs, n_trajectories, mean_a, mean_b, bias``
        (mean of a − b), ``sd_diff``, ``loa_low``/``loa_high`` (bias ∓ 1.96 sd: the
        Bland–Altman 95% limits of agreement), ``exact`` (share of identical
        scores), ``within_1`` (share differing by at most 1 point) and ``kappa_w``
        (:func:`weighted_kappa`).
    """
    data = _pilot(data, "agreement_data")
    ra, rb = raters
    for r in raters:
        if r not in schema.RATER:
            raise ValueError(f"raters must be in {', '.join(schema.RATER)}, got {r!r}")
    if ra == rb:
        raise ValueError("raters must be two different raters")
    ds = data.domain_scores
    ds = ds[ds["score"].notna() & ds["measurement"].notna()]
    if measurement is not None:
        ds = ds[ds["measurement"] == int(measurement)]
    key = ["trajectory_id", "domain", "measurement"]
    sa = ds[ds["rater"] == ra].groupby(key, observed=True)["score"].mean().rename("a")
    sb = ds[ds["rater"] == rb].groupby(key, observed=True)["score"].mean().rename("b")
    pairs = pd.concat([sa, sb], axis=1, join="inner").reset_index()
    pairs["domain"] = pairs["domain"].astype(str)
    pairs["diff"] = pairs["a"] - pairs["b"]

    def _row(p: pd.DataFrame) -> dict[str, Any]:
        d = p["diff"].to_numpy(float)
        sd = float(np.std(d, ddof=1)) if len(d) > 1 else float("nan")
        bias = float(d.mean()) if len(d) else float("nan")
        return {
            "n_pairs": len(p),
            "n_trajectories": int(p["trajectory_id"].nunique()),
            "mean_a": float(p["a"].mean()) if len(p) else float("nan"),
            "mean_b": float(p["b"].mean()) if len(p) else float("nan"),
            "bias": bias,
            "sd_diff": sd,
            "loa_low": bias - 1.96 * sd,
            "loa_high": bias + 1.96 * sd,
            "exact": float((d == 0).mean()) if len(d) else float("nan"),
            "within_1": float((np.abs(d) <= 1).mean()) if len(d) else float("nan"),
            "kappa_w": weighted_kappa(p["a"], p["b"]),
        }

    order = list(data.instrument.domain_codes)
    doms = [d for d in order if d in set(pairs["domain"])]
    doms += sorted(set(pairs["domain"]) - set(order))
    rows = [dict(domain=d, **_row(pairs[pairs["domain"] == d])) for d in doms]
    rows.append(dict(domain="all", **_row(pairs)))
    out = pd.DataFrame(rows)
    out.insert(1, "rater_a", ra)
    out.insert(2, "rater_b", rb)
    return out


def agreement(
    data: PilotData,
    *,
    pairs: Sequence[tuple[str, str]] = (
        ("resident", "professional"),
        ("resident", "informal_carer"),
    ),
    measurement: int | None = 0,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Multi-rater agreement per domain: mean gap with 95% limits of agreement, and kappa.

    One panel per pair of raters (default resident vs professional and resident vs
    informal carer). Per domain the diamond is the mean difference (first rater
    minus second: positive = the resident scores higher), the bar the Bland–Altman
    95% limits of agreement; the quadratic-weighted kappa is written on the right.
    Domains with fewer than ``min_count`` residents with a pair are not shown.

    Returns
    -------
    matplotlib.figure.Figure
        The diamonds of pair ``a, b`` carry ``gid`` ``"bias:<a>:<b>"`` (offsets: bias,
        row), the limits ``"loa:<a>:<b>"``.
    """
    _check_lang(lang)
    thr = _threshold(data, min_count)
    rl = schema.RATER_LABELS_NL if lang == "nl" else schema.RATER_LABELS_EN
    labels = data.instrument.domain_labels(lang)
    tabs = [agreement_data(data, raters=tuple(p), measurement=measurement) for p in pairs]
    doms = list(data.instrument.domain_codes)
    seen = set().union(*[set(t["domain"]) for t in tabs]) if tabs else set()
    doms = [d for d in doms if d in seen] + sorted(seen - set(doms) - {"all"}) + ["all"]
    y_of = {d: i for i, d in enumerate(doms)}
    fig, axes = plt.subplots(
        1,
        max(len(tabs), 1),
        figsize=(5.4 * max(len(tabs), 1), 0.34 * len(doms) + 2),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    notes: list[str] = []
    span = data.instrument.scale_max - data.instrument.scale_min
    for ax, t in zip(axes[0], tabs, strict=False):
        a, b = t["rater_a"].iloc[0], t["rater_b"].iloc[0]
        ok = t["n_trajectories"] >= thr
        if (~ok).any():
            notes.append(
                (
                    f"{rl[a]} – {rl[b]}: "
                    + (
                        "niet getoond (minder dan {t} inwoners): "
                        if lang == "nl"
                        else "not shown (fewer than {t} residents): "
                    ).format(t=thr)
                    + ", ".join(
                        labels.get(d, "alle" if lang == "nl" else "all")
                        if d != "all"
                        else ("alle" if lang == "nl" else "all")
                        for d in t.loc[~ok, "domain"]
                    )
                )
                + "."
            )
        s = t[ok]
        y = s["domain"].map(y_of).to_numpy(float)
        ax.axvline(0, color="#444444", lw=0.8, ls="--")
        ax.hlines(
            y, s["loa_low"], s["loa_high"], color=OKABE_ITO["sky_blue"], lw=3, gid=f"loa:{a}:{b}"
        )
        ax.scatter(
            s["bias"], y, marker="D", s=30, color=OKABE_ITO["blue"], zorder=3, gid=f"bias:{a}:{b}"
        )
        for yi, k in zip(y, s["kappa_w"], strict=True):
            ax.annotate(
                f"{_num(k, lang)}",
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        ax.set_xlim(-span / 2, span / 2)
        ax.set_title(f"{rl[a]} − {rl[b]}  ({_t('kappa', lang)} →)", fontsize=10)
        ax.set_xlabel(_t("agree_x", lang), fontsize=8)
    axes[0, 0].set_yticks(
        range(len(doms)),
        [
            labels.get(d, d)
            if d != "all"
            else ("Alle leefgebieden" if lang == "nl" else "All domains")
            for d in doms
        ],
    )
    axes[0, 0].invert_yaxis()
    fig.suptitle(_t("agree_title", lang, m="—" if measurement is None else measurement))
    return _finish(fig, notes)


# --------------------------------------------------------------------------------------
# Love plot (covariate balance)
# --------------------------------------------------------------------------------------


def love_plot(
    balance: Any, *, lang: Lang = "nl", min_count: int | None = None, **kwargs: Any
) -> Figure:
    """Love plot of covariate balance before and after weighting.

    A thin wrapper around :func:`wattelt_eval.estimation.balancing.love_plot` (the
    comparison engine owns the balance computation), so that all figures can be
    found in :mod:`wattelt_eval.plots`. Disclosure: a covariate whose non-missing
    values in either arm number fewer than ``min_count`` (default the study's
    threshold, 10) is not drawn, with a note (its SMD rests on too few residents).

    Parameters
    ----------
    balance : BalanceResult
        From ``we.balance(table, arm=..., covariates=..., weights=...)``.
    lang : {"nl", "en"}
    min_count : int, optional
    **kwargs
        Passed on to the comparison engine's ``love_plot``.

    Returns
    -------
    matplotlib.figure.Figure
        Axis 0 holds the unweighted |SMD| points (first collection) and, when
        weighted, the weighted ones (second collection).
    """
    import dataclasses
    import importlib

    _check_lang(lang)
    thr = _threshold(None, min_count)
    tab = balance.table
    notes: list[str] = []
    if {"n_t", "n_c"} <= set(tab.columns):
        small = (tab["n_t"] < thr) | (tab["n_c"] < thr)
        if small.any():
            dropped = list(dict.fromkeys(tab.loc[small, "variable"].astype(str)))
            notes = _dropped_note(dropped, thr, lang)
            balance = dataclasses.replace(balance, table=tab[~small].reset_index(drop=True))
    _balance_mod = importlib.import_module(".estimation.balancing", __package__)
    fig = _balance_mod.love_plot(balance, lang=lang, **kwargs)
    return _finish(fig, notes)
