"""Content of the council report: each function returns one displayable HTML section.

The report notebook (``report_template.ipynb``) calls these in order; they are
plain functions of the analysis results so that they can be tested without
running a notebook. Everything published passes the study's disclosure rule;
nothing here prints row-level data, identifiers or free text.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .provenance import fingerprints, generation_time

if TYPE_CHECKING:
    from ..data import PilotData

__all__ = ["load_data", "CouncilReport", "HTMLSection", "fmt_number", "fmt_euro"]


class HTMLSection:
    """A piece of HTML that Jupyter displays as such (``text/html`` only)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:  # plain-text fallback carries no data
        return "<report section>"


def load_data(source: str) -> PilotData:
    """Load the report's data: ``"demo"``, a pickled PilotData (``*.pkl``) or a package path."""
    if source == "demo":
        from .. import synth

        return synth.demo()
    path = Path(source)
    if path.suffix == ".pkl":
        with open(path, "rb") as fh:
            return pickle.load(fh)
    from ..validation import load

    return load(path)


# ----------------------------------------------------------------------------- formatting
def fmt_number(x: float | None, decimals: int = 0, lang: str = "nl", sign: bool = False) -> str:
    """Format a number for the reader: Dutch ``1.234,5`` or English ``1,234.5``.

    Missing values give an en dash.
    """
    if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x):
        return "–"
    x = float(x)
    if x == 0:
        x = 0.0  # no "-0"
    s = f"{x:{'+' if sign else ''},.{decimals}f}"
    if s.lstrip("+-").strip("0.,") == "" and sign:
        s = s.lstrip("+-")
    if lang == "nl":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s.replace("-", "−")


def fmt_euro(x: float | None, lang: str = "nl", sign: bool = False) -> str:
    """Whole euros: Dutch ``€ −1.636``, English ``−€1,636`` (sign before the symbol)."""
    s = fmt_number(x, 0, lang, sign=sign)
    if lang == "nl" or s == "–":
        return f"€ {s}"
    if s[:1] in ("+", "−"):
        return f"{s[0]}€{s[1:]}"
    return f"€{s}"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _arm(lang: str, arm: str) -> str:
    from ..schema import ARM_LABELS_EN, ARM_LABELS_NL

    return (ARM_LABELS_NL if lang == "nl" else ARM_LABELS_EN).get(arm, arm)


def _fmt_p(p: float, lang: str) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    if p < 0.001:
        return "< 0,001" if lang == "nl" else "< 0.001"
    return fmt_number(p, 3, lang)


def _png(fig: Any, alt: str) -> str:
    """A matplotlib Figure as an inline PNG ``<img>`` (deterministic bytes, no metadata)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{_esc(alt)}">'


# ----------------------------------------------------------------------------- texts
#: Every user-facing sentence of the report, Dutch and English.
T: dict[str, dict[str, str]] = {
    "title": {
        "nl": "Vraaggestuurd werken: wat levert het op?",
        "en": "Demand-driven working: what does it bring?",
    },
    "subtitle": {
        "nl": "Rapport voor de gemeenteraad over de pilot {name}",
        "en": "Report for the council on the pilot {name}",
    },
    "subtitle_noname": {"nl": "Rapport voor de gemeenteraad", "en": "Report for the council"},
    "generated": {"nl": "Gemaakt op {date}", "en": "Generated on {date}"},
    # ---- summary
    "summary": {"nl": "Samenvatting", "en": "Summary"},
    "summary_intro": {
        "nl": "In deze pilot werkten teams vraaggestuurd: het verhaal en de eigen doelen van de "
        "inwoner staan voorop. We vergelijken {n_t} trajecten die vraaggestuurd werden "
        "begeleid met {n_c} trajecten die op de gewone, aanbodgestuurde manier liepen. "
        "Het gaat om drie vragen: blijven de eigen doelen van inwoners overeind, hoe vaak "
        "moeten zij hun verhaal opnieuw doen, en wat kost het? Daarnaast kijken we hoeveel "
        "inwoners geen maatwerkvoorziening nodig hadden.",
        "en": "In this pilot, teams worked demand-driven: the resident's own story and goals "
        "come first. We compare {n_t} trajectories supported in the demand-driven way with "
        "{n_c} trajectories that ran the usual, supply-driven way. Three questions: do "
        "residents' own goals survive, how often do they have to tell their story again, and "
        "what does it cost? We also look at how many residents needed no individual provision.",
    },
    "summary_caution": {
        "nl": "Let op: dit is geen loting maar een vergelijking van groepen zoals ze in de "
        "praktijk ontstonden. We hebben rekening gehouden met verschillen in {covs}, maar niet "
        "met alles. Zie 'Opzet en beperkingen'.",
        "en": "Note: this is not a randomised trial but a comparison of groups as they arose "
        "in practice. We took differences in {covs} into account, but not everything. See "
        "'Design and limitations'.",
    },
    "summary_caution_none": {
        "nl": "Let op: dit is geen loting maar een vergelijking van groepen zoals ze in de "
        "praktijk ontstonden, zonder correctie voor verschillen tussen de groepen. Zie 'Opzet "
        "en beperkingen'.",
        "en": "Note: this is not a randomised trial but a comparison of groups as they arose "
        "in practice, without adjustment for differences between the groups. See 'Design "
        "and limitations'.",
    },
    "and": {"nl": "en", "en": "and"},
    "col_outcome": {"nl": "Uitkomst", "en": "Outcome"},
    "col_diff": {"nl": "Verschil", "en": "Difference"},
    "col_ci": {"nl": "95%-betrouwbaarheidsinterval", "en": "95% confidence interval"},
    "col_sure": {"nl": "Hoe zeker?", "en": "How sure?"},
    "col_n": {"nl": "Aantal trajecten", "en": "Trajectories"},
    "col_mean": {"nl": "Gemiddelde", "en": "Mean"},
    "sure_yes": {"nl": "duidelijk verschil", "en": "clear difference"},
    "sure_no": {"nl": "niet zeker", "en": "not certain"},
    "sure_na": {"nl": "niet te zeggen", "en": "cannot say"},
    # ---- outcome names and explanations
    "name_goal_retention": {"nl": "Eigen doelen behouden", "en": "Own goals retained"},
    "name_n_retells": {"nl": "Verhaal opnieuw doen", "en": "Retelling the story"},
    "name_cost_total": {"nl": "Kosten per traject", "en": "Costs per trajectory"},
    "name_no_provision": {
        "nl": "Geen maatwerkvoorziening nodig",
        "en": "No individual provision needed",
    },
    "what_goal_retention": {
        "nl": "Het deel van de doelen die de inwoner zelf (of samen met de professional) bij de "
        "start formuleerde, dat tot het laatste plan overeind bleef of werd bereikt.",
        "en": "The share of the goals the resident formulated at the start (alone or with the "
        "professional) that survived to the last plan or was achieved.",
    },
    "what_n_retells": {
        "nl": "Hoe vaak een inwoner het eigen verhaal opnieuw moest vertellen, na de eerste keer.",
        "en": "How often a resident had to tell their story again, after the first time.",
    },
    "what_cost_total": {
        "nl": "De kosten van maatwerkvoorzieningen en de tijd van professionals in de eerste "
        "{days} dagen van een traject, in euro per traject.",
        "en": "The costs of individual provisions and professional time in the first {days} "
        "days of a trajectory, in euros per trajectory.",
    },
    "what_no_provision": {
        "nl": "Het deel van de trajecten zonder maatwerkvoorziening (een individuele Wmo-"
        "voorziening) in de eerste {days} dagen; algemene voorzieningen tellen niet mee.",
        "en": "The share of trajectories without an individual provision (an individual Wmo "
        "provision) in the first {days} days; general provisions do not count.",
    },
    "unit_pp": {"nl": "procentpunten", "en": "percentage points"},
    "unit_retells": {"nl": "keer", "en": "times"},
    # ---- headline sentences
    "hl_means": {
        "nl": "Vraaggestuurd: {t}; aanbodgestuurd: {c}.",
        "en": "Demand-driven: {t}; supply-driven: {c}.",
    },
    "hl_diff": {
        "nl": "Verschil (vraaggestuurd min aanbodgestuurd): {d}.",
        "en": "Difference (demand-driven minus supply-driven): {d}.",
    },
    "hl_ci_clear": {
        "nl": "Hoe zeker: we zijn er redelijk zeker van (95%) dat het echte verschil tussen "
        "{lo} en {hi} ligt. Het hele interval ligt aan één kant van nul: dit verschil is "
        "waarschijnlijk geen toeval.",
        "en": "How sure: we are fairly sure (95%) that the true difference lies between {lo} "
        "and {hi}. The whole interval lies on one side of zero: this difference is probably "
        "not chance.",
    },
    "hl_ci_unclear": {
        "nl": "Hoe zeker: het echte verschil ligt waarschijnlijk (95%) tussen {lo} en {hi}. "
        "Dat interval bevat nul: het kan dus ook geen verschil zijn, of een verschil de "
        "andere kant op.",
        "en": "How sure: the true difference probably (95%) lies between {lo} and {hi}. That "
        "interval includes zero: there may be no difference, or one the other way.",
    },
    "hl_small": {
        "nl": "Te weinig trajecten (minder dan {k} in een groep) om dit te tonen zonder dat "
        "inwoners herkenbaar worden.",
        "en": "Too few trajectories (fewer than {k} in a group) to show this without residents "
        "becoming recognisable.",
    },
    "hl_failed": {
        "nl": "Met deze gegevens kon geen betrouwbare vergelijking worden gemaakt.",
        "en": "No reliable comparison could be made with these data.",
    },
    "hl_cost_line": {
        "nl": "Wat het kostte: vraaggestuurd werken kostte per traject {d} (95%: {lo} tot {hi}).",
        "en": "What it cost: demand-driven working cost {d} per trajectory (95%: {lo} to {hi}).",
    },
    "hl_cost_more": {"nl": "{x} meer", "en": "{x} more"},
    "hl_cost_less": {"nl": "{x} minder", "en": "{x} less"},
    "hl_cost_unknown": {
        "nl": "Wat het kostte: niet te tonen (zie Kosten per traject).",
        "en": "What it cost: cannot be shown (see Costs per trajectory).",
    },
    "direction_better": {"nl": "gunstig voor vraaggestuurd", "en": "in favour of demand-driven"},
    "direction_worse": {"nl": "ongunstig voor vraaggestuurd", "en": "against demand-driven"},
    # ---- outcome sections
    "sec_what": {"nl": "Wat we meten", "en": "What we measure"},
    "sec_result": {"nl": "Uitkomst", "en": "Result"},
    "sec_figure": {"nl": "Figuur", "en": "Figure"},
    "sec_table": {"nl": "Tabel", "en": "Table"},
    "fig_omitted": {
        "nl": "Figuur niet getoond: te weinig trajecten in een groep.",
        "en": "Figure not shown: too few trajectories in a group.",
    },
    "fig_failed": {
        "nl": "Figuur niet getoond: met deze gegevens niet te maken.",
        "en": "Figure not shown: it cannot be made from these data.",
    },
    "tab_goal_retention": {
        "nl": "Eigen startdoelen van inwoners: behouden of bereikt, en verloren (aantal doelen).",
        "en": "Residents' own starting goals: retained or achieved, and lost (number of goals).",
    },
    "tab_n_retells": {
        "nl": "Trajecten naar het aantal keer dat het verhaal opnieuw verteld moest worden.",
        "en": "Trajectories by the number of times the story had to be told again.",
    },
    "tab_cost_total": {
        "nl": "Trajecten naar kosten in het venster van {days} dagen.",
        "en": "Trajectories by costs in the {days}-day window.",
    },
    "tab_no_provision": {
        "nl": "Trajecten met en zonder maatwerkvoorziening.",
        "en": "Trajectories with and without an individual provision.",
    },
    "lab_retained": {"nl": "behouden of bereikt", "en": "retained or achieved"},
    "lab_lost": {"nl": "verloren", "en": "lost"},
    "lab_none_needed": {"nl": "geen maatwerkvoorziening", "en": "no individual provision"},
    "lab_with_provision": {"nl": "met maatwerkvoorziening", "en": "with individual provision"},
    "lab_ratio": {
        "nl": "Als verhouding: vraaggestuurd is {r} keer aanbodgestuurd (95%: {lo} tot {hi}).",
        "en": "As a ratio: demand-driven is {r} times supply-driven (95%: {lo} to {hi}).",
    },
    "lab_p": {
        "nl": "p-waarde {p}; gecorrigeerd voor vier vergelijkingen (Holm) {ph}.",
        "en": "p-value {p}; corrected for four comparisons (Holm) {ph}.",
    },
    "lab_method": {
        "nl": "Methode: {m}. Onzekerheid: {ci}.",
        "en": "Method: {m}. Uncertainty: {ci}.",
    },
    "lab_unadjusted_fallback": {
        "nl": "De gecorrigeerde vergelijking lukte niet met deze gegevens; dit is de "
        "ongecorrigeerde vergelijking.",
        "en": "The adjusted comparison was not possible with these data; this is the "
        "unadjusted comparison.",
    },
    # ---- design
    "design": {"nl": "Opzet en beperkingen", "en": "Design and limitations"},
    "design_obs": {
        "nl": "Dit is een observationeel onderzoek: inwoners zijn niet door loting aan een "
        "werkwijze toegewezen. Verschillen tussen de groepen kunnen dus (deels) komen door "
        "verschillen tussen de inwoners zelf.",
        "en": "This is an observational study: residents were not assigned to a way of "
        "working by lottery. Differences between the groups may therefore (partly) come from "
        "differences between the residents themselves.",
    },
    "design_adjust": {
        "nl": "Correctie: we vergelijken met {method}, gecorrigeerd voor {covs}. Dat haalt de "
        "verschillen in deze kenmerken weg, maar niet verschillen in zaken die niet gemeten zijn.",
        "en": "Adjustment: we compare with {method}, adjusted for {covs}. That removes the "
        "differences in these characteristics, but not differences in what was not measured.",
    },
    "design_noadjust": {
        "nl": "Correctie: geen; de groepen worden vergeleken zoals ze zijn.",
        "en": "Adjustment: none; the groups are compared as they are.",
    },
    "design_cluster": {
        "nl": "Teams: inwoners van hetzelfde team lijken op elkaar. Daarom rekenen we de "
        "onzekerheid per team ({g} teams: {gt} vraaggestuurd, {gc} aanbodgestuurd). Met zo "
        "weinig teams is de onzekerheid groot; dat zit in de intervallen.",
        "en": "Teams: residents of the same team resemble each other. We therefore compute "
        "the uncertainty by team ({g} teams: {gt} demand-driven, {gc} supply-driven). With so "
        "few teams the uncertainty is large; the intervals include that.",
    },
    "design_nocluster": {
        "nl": "Teams: er zijn geen (of te weinig) teams vastgelegd; de onzekerheid houdt geen "
        "rekening met verschillen tussen teams en kan daardoor te klein zijn.",
        "en": "Teams: no (or too few) teams were recorded; the uncertainty does not account "
        "for differences between teams and may therefore be too small.",
    },
    "design_window": {
        "nl": "Periode: kosten tellen over de eerste {days} dagen van elk traject. {full} "
        "trajecten werden de hele periode gevolgd; van de andere kennen we alleen de kosten "
        "tot de datum van de gegevens ({extract}).",
        "en": "Period: costs count over the first {days} days of each trajectory. {full} "
        "trajectories were followed for the whole period; for the others we only know the "
        "costs up to the date of the data ({extract}).",
    },
    "design_multiple": {
        "nl": "Vier vergelijkingen: bij vier uitkomsten is de kans groter dat er één toevallig "
        "'duidelijk' lijkt. Bij elke uitkomst staat daarom ook de p-waarde gecorrigeerd "
        "volgens Holm.",
        "en": "Four comparisons: with four outcomes the chance is higher that one looks "
        "'clear' by chance. Each outcome therefore also shows the p-value corrected by Holm.",
    },
    "design_privacy": {
        "nl": "Privacy: aantallen onder de {k} staan er als '{sym}'; gemiddelden en "
        "percentages over minder dan {m} inwoners worden niet getoond. Er staan geen namen, "
        "kenmerken of vrije tekst van inwoners in dit rapport.",
        "en": "Privacy: counts under {k} are shown as '{sym}'; means and percentages over "
        "fewer than {m} residents are not shown. This report contains no names, identifiers "
        "or free text of residents.",
    },
    "design_instrument_note": {
        "nl": "Leefgebieden: gemeten met {name}.",
        "en": "Life domains: measured with {name}.",
    },
    # ---- flow
    "flow": {"nl": "Welke trajecten tellen mee", "en": "Which trajectories count"},
    "flow_intro": {
        "nl": "Elk traject in de gegevens telt mee, of staat hieronder met de reden waarom "
        "niet. Per uitkomst kan het aantal verschillen: zonder eigen startdoelen valt een "
        "traject bijvoorbeeld buiten de vergelijking van doelbehoud. Redenen die niet "
        "voorkwamen staan er niet bij.",
        "en": "Every trajectory in the data counts, or is listed below with the reason why "
        "not. The number can differ per outcome: without own starting goals, for example, a "
        "trajectory is left out of the goal retention comparison. Reasons that did not "
        "occur are not listed.",
    },
    "flow_trajectories": {"nl": "Trajecten in de gegevens", "en": "Trajectories in the data"},
    "flow_by_arm": {"nl": "Trajecten per werkwijze", "en": "Trajectories by way of working"},
    "flow_reasons": {
        "nl": "Regels die niet meetellen, naar reden",
        "en": "Records that do not count, by reason",
    },
    "flow_none": {
        "nl": "Alle regels in de gegevens tellen mee.",
        "en": "All records in the data count.",
    },
    "col_table": {"nl": "Tabel", "en": "Table"},
    "col_reason": {"nl": "Reden", "en": "Reason"},
    "col_count": {"nl": "Aantal", "en": "Count"},
    "col_step": {"nl": "Stap", "en": "Step"},
    # ---- provenance
    "provenance": {"nl": "Herkomst en reproduceerbaarheid", "en": "Provenance and reproducibility"},
    "prov_intro": {
        "nl": "Met dezelfde gegevens, dezelfde instellingen en dezelfde versie van het pakket "
        "maakt iedereen precies dit rapport opnieuw. De vingerafdruk hieronder verandert als "
        "ook maar één waarde in de gegevens verandert.",
        "en": "With the same data, settings and package version anyone can make exactly this "
        "report again. The fingerprint below changes when any single value in the data changes.",
    },
    "prov_version": {"nl": "Versie van wattelt_eval", "en": "wattelt_eval version"},
    "prov_fp": {"nl": "Vingerafdruk van de gegevens (SHA-256)", "en": "Data fingerprint (SHA-256)"},
    "prov_tables": {"nl": "Vingerafdruk per tabel", "en": "Fingerprint per table"},
    "prov_seed": {"nl": "Seed (toevalsgetallen)", "en": "Seed (random numbers)"},
    "prov_nboot": {"nl": "Aantal bootstrap-herhalingen", "en": "Bootstrap replicates"},
    "prov_window": {"nl": "Kostenvenster (dagen)", "en": "Cost window (days)"},
    "prov_method": {"nl": "Vergelijkingsmethode", "en": "Comparison method"},
    "prov_covs": {"nl": "Correctie voor", "en": "Adjusted for"},
    "prov_cluster": {"nl": "Clusters", "en": "Clusters"},
    "prov_instrument": {"nl": "Instrument", "en": "Instrument"},
    "prov_rule": {"nl": "Regel voor kleine aantallen", "en": "Small-number rule"},
    "prov_date": {"nl": "Datum van het rapport", "en": "Date of the report"},
    "prov_lang": {"nl": "Taal", "en": "Language"},
    "prov_recipe": {
        "nl": "Hoe de vingerafdruk wordt berekend staat in docs/report.md van het pakket "
        "(wattelt_eval.report.fingerprint).",
        "en": "How the fingerprint is computed is described in docs/report.md of the package "
        "(wattelt_eval.report.fingerprint).",
    },
    "none": {"nl": "geen", "en": "none"},
}

COVARIATE_LABELS = {
    "age": {"nl": "leeftijd", "en": "age"},
    "sex": {"nl": "geslacht", "en": "sex"},
    "household": {"nl": "huishouden", "en": "household"},
    "n_problem_domains_t0": {
        "nl": "het aantal leefgebieden met problemen bij de start",
        "en": "the number of problem domains at intake",
    },
}


def _t(key: str, lang: str, **kw: Any) -> str:
    s = T[key][lang]
    return s.format(**kw) if kw else s


# ----------------------------------------------------------------------------- analysis
@dataclass(frozen=True)
class Headline:
    """One headline outcome of the report."""

    key: str  # report key (``no_provision`` is reported from ``any_provision``)
    column: str  # outcome-table column that is compared
    scale: str  # "percent", "count" or "euro"
    better: str | None  # "higher", "lower" or None (no value judgement)
    flip: bool = False  # report 1 - share


#: Outcome-table column -> the outcome in ``OutcomeSet.flow`` that counts its trajectories.
FLOW_OUTCOME = {"n_retells": "n_tellings"}

HEADLINES: tuple[Headline, ...] = (
    Headline("goal_retention", "goal_retention", "percent", "higher"),
    Headline("n_retells", "n_retells", "count", "lower"),
    Headline("cost_total", "cost_total", "euro", None),
    Headline("no_provision", "any_provision", "percent", None, flip=True),
)


@dataclass
class Effect:
    """The comparison of one headline outcome between the arms (numbers not yet masked)."""

    headline: Headline
    n_treated: int
    n_control: int
    status: str  # "ok", "small" (disclosure) or "failed"
    mean_treated: float = float("nan")
    mean_control: float = float("nan")
    difference: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    p_value: float = float("nan")
    p_holm: float = float("nan")
    ratio: tuple[float, float, float] | None = None
    method: str = ""
    ci_method: str = ""
    adjusted: bool = False
    fallback: bool = False
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.status == "ok"

    @property
    def clear(self) -> bool:
        """The 95% CI of the difference excludes zero."""
        return self.shown and (self.ci_low > 0 or self.ci_high < 0)


def _effect_from(res: Any, h: Headline, n_t: int, n_c: int, adjusted: bool) -> Effect:
    tab = res.table
    allr = tab[tab["group"] == "all"].set_index("term")
    m_t = float(allr.loc["mean_treated", "estimate"])
    m_c = float(allr.loc["mean_control", "estimate"])
    d, lo, hi = res.estimate, res.ci_low, res.ci_high
    ratio = res.ratio
    if h.flip:
        m_t, m_c, d, lo, hi = 1 - m_t, 1 - m_c, -d, -hi, -lo
        ratio = None  # a ratio of "with" shares does not carry over to "without"
    return Effect(
        headline=h,
        n_treated=n_t,
        n_control=n_c,
        status="ok",
        mean_treated=m_t,
        mean_control=m_c,
        difference=d,
        ci_low=lo,
        ci_high=hi,
        p_value=res.p_value,
        ratio=ratio,
        method=res.method,
        ci_method=res.ci_method,
        adjusted=adjusted,
        diagnostics=res.diagnostics,
    )


#: Ordered categories of the retellings table: [low, high] (high None = open end).
RETELL_BINS: tuple[tuple[float, float | None], ...] = ((0, 0), (1, 1), (2, 2), (3, None))
#: Cost bands in euros: [low, high] (high None = open end); 0 < cost < 1 counts as 1.
COST_BINS: tuple[tuple[float, float | None], ...] = ((0, 0), (1, 999), (1000, 4999), (5000, None))


def _bin_label(lo: float, hi: float | None, lang: str, euro: bool) -> str:
    def num(x: float) -> str:
        s = fmt_number(x, 0, lang)
        return (f"€ {s}" if lang == "nl" else f"€{s}") if euro else s

    if hi is None:
        return f"{num(lo)}+"
    if hi == lo:
        return num(lo)
    return f"{num(lo)} – {num(hi)}"


def _ordered_counts(
    values: np.ndarray,
    arms: np.ndarray,
    bins: tuple[tuple[float, float | None], ...],
    rule: Any,
    lang: str,
    euro: bool = False,
) -> pd.DataFrame:
    """Arm x ordered-category counts, merging neighbouring categories with small cells.

    While some cell is under the rule's threshold and more than two categories
    are left, the category with the smallest cell is merged with the neighbour
    whose smallest cell is smaller. Suppression then handles what is left.
    """
    arm_levels = ["demand_driven", "supply_driven"]
    # category of each value: the last bin whose lower bound it reaches (0 < x < 1 -> bin 1)
    lows = np.array([b[0] for b in bins], dtype="float64")
    idx = (
        np.searchsorted(lows, np.where((values > 0) & (values < 1), 1.0, values), side="right") - 1
    )
    idx = np.clip(idx, 0, len(bins) - 1)
    base = np.zeros((len(arm_levels), len(bins)), dtype="int64")
    for i, a in enumerate(arm_levels):
        base[i] = np.bincount(idx[arms == a], minlength=len(bins))
    groups = [[j] for j in range(len(bins))]

    def col(g: list[int]) -> np.ndarray:
        return base[:, g].sum(axis=1)

    while len(groups) > 2:
        mins = [int(col(g).min()) for g in groups]
        if not any(rule.is_small(np.array(mins))):
            break
        k = int(np.argmin(mins))
        if k == 0:
            j = 1
        elif k == len(groups) - 1:
            j = k - 1
        else:
            j = k - 1 if mins[k - 1] <= mins[k + 1] else k + 1
        a, b = sorted((k, j))
        groups[a : b + 1] = [groups[a] + groups[b]]
    labels = [_bin_label(bins[g[0]][0], bins[g[-1]][1], lang, euro) for g in groups]
    data = np.column_stack([col(g) for g in groups])
    return pd.DataFrame(data, index=arm_levels, columns=labels)


# ----------------------------------------------------------------------------- the report
class CouncilReport:
    """Runs the analysis for the council report and renders its sections.

    Parameters
    ----------
    data : PilotData
    lang : {"nl", "en"}
    seed : int, optional
        Bootstrap seed (default the study's seed).
    n_boot : int
        Bootstrap replicates.
    generated : str, optional
        ISO timestamp of the report (default :func:`generation_time`).
    expected_fingerprint : str, optional
        When given, the data's fingerprint must equal it (guards against the
        notebook reading other data than the caller validated).

    Notes
    -----
    Each headline outcome is compared with :func:`wattelt_eval.compare`: AIPW
    (doubly robust) adjusted for age, sex, household and the study's extra case-mix
    columns, clustered by team when at least two teams are recorded, with the
    default inference for that design, ``n_boot`` replicates and ``seed``. When an
    arm has fewer residents than the disclosure rule's ``min_n`` nothing is
    estimated or shown for that outcome.
    """

    def __init__(
        self,
        data: PilotData,
        lang: str = "nl",
        seed: int | None = None,
        n_boot: int = 999,
        generated: str | None = None,
        expected_fingerprint: str | None = None,
    ) -> None:
        from ..disclosure import rule_from_study

        if lang not in ("nl", "en"):
            raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")
        self.data = data
        self.lang = lang
        self.seed = int(data.study.seed if seed is None else seed)
        self.n_boot = int(n_boot)
        self.generated = dt.datetime.fromisoformat(generated) if generated else generation_time()
        self.fingerprint, self.table_fingerprints = fingerprints(data)
        if expected_fingerprint and expected_fingerprint != self.fingerprint:
            raise ValueError(
                "the data read by the report notebook differ from the data that were "
                f"validated (fingerprint {self.fingerprint} instead of {expected_fingerprint})"
            )
        self.rule = rule_from_study(data.study)
        self.outcome_names = [h.key for h in HEADLINES]
        self.effects: dict[str, Effect] = {}
        self.oset: Any = None
        self.table: pd.DataFrame | None = None
        self.covariates: list[str] = []
        self.cluster: str | None = None

    # ------------------------------------------------------------------ analysis
    def run(self) -> None:
        """Compute the outcome table and compare every headline outcome between the arms."""
        from ..outcome import outcome_set

        self.oset = outcome_set(self.data)
        t = self.oset.table
        self.table = t
        # baseline case-mix: the problem domains are scored at intake, before the way of
        # working can change them (docs/report.md), and drive who lands in which arm
        cands = [
            "age",
            "sex",
            "household",
            "n_problem_domains_t0",
            *self.data.study.extra_covariates,
        ]
        self.covariates = [
            c
            for c in dict.fromkeys(cands)
            if c in t.columns and t[c].notna().any() and t[c].nunique() > 1
        ]
        teams = t["team"].dropna() if "team" in t.columns else pd.Series([], dtype="string")
        self.cluster = "team" if teams.nunique() >= 2 and teams.size == len(t) else None
        for h in HEADLINES:
            self.effects[h.key] = self._compare(h)
        shown = [e for e in self.effects.values() if e.shown]
        if shown:
            from ..estimation.effects import holm_adjust

            adj = holm_adjust(np.array([e.p_value for e in shown]))
            for e, p in zip(shown, adj, strict=True):
                e.p_holm = float(p)

    def _covariate_text(self, lang: str) -> str:
        """The adjustment covariates in words: "age, sex and household"."""
        words = [COVARIATE_LABELS.get(c, {}).get(lang, c) for c in self.covariates]
        if len(words) < 2:
            return "".join(words)
        return f"{', '.join(words[:-1])} {_t('and', lang)} {words[-1]}"

    def _caution(self, lang: str) -> str:
        if not self.covariates:
            return _t("summary_caution_none", lang)
        return _t("summary_caution", lang, covs=self._covariate_text(lang))

    def _arm_n(self, column: str) -> tuple[int, int]:
        t = self.table
        ok = t[column].notna()
        n_t = int((ok & (t["arm"] == "demand_driven")).sum())
        n_c = int((ok & (t["arm"] == "supply_driven")).sum())
        return n_t, n_c

    def _compare(self, h: Headline) -> Effect:
        import warnings

        from ..disclosure import can_show
        from ..estimation import compare

        n_t, n_c = self._arm_n(h.column)
        if not can_show([n_t, n_c], self.rule):
            return Effect(h, n_t, n_c, "small")
        attempts = []
        if self.covariates:
            attempts.append(("aipw", list(self.covariates)))
        attempts.append(("unadjusted", None))
        for i, (method, covs) in enumerate(attempts):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = compare(
                        self.table,
                        h.column,
                        arm="arm",
                        covariates=covs,
                        method=method,
                        cluster=self.cluster,
                        n_boot=self.n_boot,
                        seed=self.seed,
                        lang=self.lang,
                    )
                eff = _effect_from(res, h, n_t, n_c, adjusted=covs is not None)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError):
                continue
            if not np.isfinite([eff.difference, eff.ci_low, eff.ci_high]).all():
                continue
            eff.fallback = i > 0 and bool(self.covariates)
            return eff
        return Effect(h, n_t, n_c, "failed")

    # ------------------------------------------------------------------ formatting
    def _fmt_value(self, h: Headline, x: float, diff: bool = False, unit: bool = True) -> str:
        lang = self.lang
        if h.scale == "percent":
            if diff:
                s = fmt_number(100 * x, 1, lang, sign=True)
                return f"{s} {_t('unit_pp', lang)}" if unit else s
            return f"{fmt_number(100 * x, 1, lang)}%"
        if h.scale == "euro":
            return fmt_euro(x, lang, sign=diff)
        return fmt_number(x, 2, lang, sign=diff)

    def _name(self, h: Headline) -> str:
        return _t(f"name_{h.key}", self.lang)

    def headline_numbers(self) -> dict[str, dict[str, str]]:
        """The formatted numbers of the summary, per headline outcome (as printed)."""
        out: dict[str, dict[str, str]] = {}
        for h in HEADLINES:
            e = self.effects[h.key]
            if not e.shown:
                out[h.key] = {}
                continue
            out[h.key] = {
                "treated": self._fmt_value(h, e.mean_treated),
                "control": self._fmt_value(h, e.mean_control),
                "difference": self._fmt_value(h, e.difference, diff=True),
                "ci_low": self._fmt_value(h, e.ci_low, diff=True),
                "ci_high": self._fmt_value(h, e.ci_high, diff=True),
            }
        return out

    def _direction(self, e: Effect) -> str:
        h = e.headline
        if not e.clear or h.better is None:
            return ""
        good = (e.difference > 0) == (h.better == "higher")
        return _t("direction_better" if good else "direction_worse", self.lang)

    def _effect_text(self, e: Effect) -> str:
        """Plain-language paragraphs for one headline (what changed, how sure)."""
        lang, h = self.lang, e.headline
        if e.status == "small":
            return f"<p>{_esc(_t('hl_small', lang, k=self.rule.min_n))}</p>"
        if e.status == "failed":
            return f"<p>{_esc(_t('hl_failed', lang))}</p>"
        nums = self.headline_numbers()[h.key]
        direction = self._direction(e)
        sure = _t(
            "hl_ci_clear" if e.clear else "hl_ci_unclear",
            lang,
            lo=nums["ci_low"],
            hi=nums["ci_high"],
        )
        parts = [
            _t("hl_means", lang, t=nums["treated"], c=nums["control"]),
            _t("hl_diff", lang, d=nums["difference"]) + (f" ({direction})" if direction else ""),
        ]
        return f"<p>{_esc(' '.join(parts))}</p><p>{_esc(sure)}</p>"

    def _cost_line(self) -> str:
        lang = self.lang
        e = self.effects.get("cost_total")
        if e is None or not e.shown:
            return f'<p class="cost">{_esc(_t("hl_cost_unknown", lang))}</p>'
        amount = fmt_euro(abs(e.difference), lang)
        d = _t("hl_cost_more" if e.difference >= 0 else "hl_cost_less", lang, x=amount)
        h = e.headline
        lo, hi = self._fmt_value(h, e.ci_low, diff=True), self._fmt_value(h, e.ci_high, diff=True)
        return f'<p class="cost">{_esc(_t("hl_cost_line", lang, d=d, lo=lo, hi=hi))}</p>'

    # ------------------------------------------------------------------ sections
    def _date(self) -> str:
        d = self.generated.date()
        if self.lang == "nl":
            months = [
                "januari",
                "februari",
                "maart",
                "april",
                "mei",
                "juni",
                "juli",
                "augustus",
                "september",
                "oktober",
                "november",
                "december",
            ]
        else:
            months = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ]
        return f"{d.day} {months[d.month - 1]} {d.year}"

    def title(self) -> HTMLSection:
        """Title block: title, pilot name, generation date."""
        name = self.data.study.name
        sub = _t("subtitle", self.lang, name=name) if name else _t("subtitle_noname", self.lang)
        return HTMLSection(
            f'<header class="report-title"><h1>{_esc(_t("title", self.lang))}</h1>'
            f'<p class="subtitle">{_esc(sub)}</p>'
            f'<p class="date">{_esc(_t("generated", self.lang, date=self._date()))}</p></header>'
        )

    def _count(self, n: int) -> str:
        from ..disclosure import format_count

        return format_count(n, self.rule, lang=self.lang)

    def summary(self) -> HTMLSection:
        """The one-page summary: each headline outcome, how sure we are, what it cost."""
        from ..disclosure import note

        lang = self.lang
        t = self.table
        n_t = self._count(int((t["arm"] == "demand_driven").sum()))
        n_c = self._count(int((t["arm"] == "supply_driven").sum()))
        head = (
            f"<tr><th scope='col'>{_esc(_t('col_outcome', lang))}</th>"
            f"<th scope='col' class='num'>{_esc(_arm(lang, 'demand_driven'))}</th>"
            f"<th scope='col' class='num'>{_esc(_arm(lang, 'supply_driven'))}</th>"
            f"<th scope='col' class='num'>{_esc(_t('col_diff', lang))}</th>"
            f"<th scope='col' class='num'>{_esc(_t('col_ci', lang))}</th>"
            f"<th scope='col'>{_esc(_t('col_sure', lang))}</th></tr>"
        )
        rows, boxes = [], []
        nums = self.headline_numbers()
        for h in HEADLINES:
            e = self.effects[h.key]
            name = self._name(h)
            if e.shown:
                v = nums[h.key]
                sure = _t("sure_yes" if e.clear else "sure_no", lang)
                lo = self._fmt_value(h, e.ci_low, diff=True, unit=False)
                hi = self._fmt_value(h, e.ci_high, diff=True, unit=False)
                # no line break between the euro sign and its number; the cell may wrap elsewhere
                cells = [
                    c.replace("€ ", "€\u00a0")
                    for c in (v["treated"], v["control"], v["difference"], f"{lo} … {hi}")
                ]
            else:
                sure = _t("sure_na", lang)
                cells = ["—"] * 4
            rows.append(
                f"<tr><th scope='row'>{_esc(name)}</th>"
                + "".join(f"<td class='num'>{_esc(c)}</td>" for c in cells)
                + f"<td>{_esc(sure)}</td></tr>"
            )
            boxes.append(
                f'<div class="headline" id="headline-{h.key}"><h3>{_esc(name)}</h3>'
                f"{self._effect_text(e)}</div>"
            )
        return HTMLSection(
            f'<section class="summary"><h2>{_esc(_t("summary", lang))}</h2>'
            f"<p>{_esc(_t('summary_intro', lang, n_t=n_t, n_c=n_c))}</p>"
            f'<table class="headlines"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
            + "".join(boxes)
            + self._cost_line()
            + f'<p class="note">{_esc(self._caution(lang))}</p>'
            f'<p class="note">{_esc(note(self.rule, lang=lang))}</p></section>'
        )

    # ---- one section per outcome
    def _counts_table(self, key: str) -> pd.DataFrame:
        """The counts behind an outcome's table (arm x category; not published as is).

        Ordered categories (retellings, cost bands) are merged with a neighbour while
        a cell is under the disclosure threshold and more than two categories are
        left, so that fewer cells need to be hidden.
        """
        lang, t = self.lang, self.table
        arms = t["arm"].astype("string")
        if key == "goal_retention":
            g = t[t["goal_retention"].notna()]
            a = g["arm"].astype("string")
            kept = g["n_resident_goals_retained"].astype("float64").groupby(a).sum()
            total = g["n_resident_goals"].astype("float64").groupby(a).sum()
            counts = pd.DataFrame(
                {_t("lab_retained", lang): kept, _t("lab_lost", lang): total - kept}
            )
        elif key in ("n_retells", "cost_total"):
            v = t[key].astype("float64")
            ok = v.notna().to_numpy()
            bins = RETELL_BINS if key == "n_retells" else COST_BINS
            counts = _ordered_counts(
                v[ok].to_numpy(),
                arms[ok].to_numpy(),
                bins,
                self.rule,
                lang,
                euro=key == "cost_total",
            )
        else:
            p = t["any_provision"]
            ok = p.notna()
            lab = p[ok].map(
                {False: _t("lab_none_needed", lang), True: _t("lab_with_provision", lang)}
            )
            counts = pd.crosstab(arms[ok], lab, dropna=False)
            counts = counts.reindex(
                columns=[_t("lab_none_needed", lang), _t("lab_with_provision", lang)], fill_value=0
            )
        counts = counts.reindex(["demand_driven", "supply_driven"], fill_value=0).fillna(0)
        counts.index = [_arm(lang, a) for a in counts.index]
        counts.columns = [str(c) for c in counts.columns]
        return counts.astype("int64")

    def _suppressed_table_html(self, key: str) -> str:
        from ..disclosure import suppress_table

        counts = self._counts_table(key)
        pub = suppress_table(counts, self.rule, lang=self.lang)
        head = (
            "<tr><th></th>"
            + "".join(f"<th scope='col' class='num'>{_esc(c)}</th>" for c in pub.columns)
            + "</tr>"
        )
        body = "".join(
            f"<tr><th scope='row'>{_esc(i)}</th>"
            + "".join(f"<td class='num'>{_esc(v)}</td>" for v in row)
            + "</tr>"
            for i, row in zip(pub.index, pub.to_numpy(), strict=True)
        )
        days = self.data.study.cost_window_days
        cap = _t(f"tab_{key}", self.lang, days=days)
        return f'<table class="counts"><caption>{_esc(cap)}</caption><thead>{head}</thead><tbody>{body}</tbody></table>'

    def _figure(self, key: str) -> Any:
        from .. import plots

        kw = {"lang": self.lang, "min_count": self.rule.min_n}
        if key == "goal_retention":
            return plots.goal_flow(self.data, **kw)
        if key == "n_retells":
            return plots.retellings(self.data, **kw)
        if key == "cost_total":
            return plots.costs(self.table, **kw)
        return self._share_figure(self.effects[key])

    def _share_figure(self, e: Effect) -> Any:
        """Share without an individual provision per arm, with the difference's 95% CI."""
        import matplotlib.pyplot as plt

        from ..plots import ARM_COLORS

        lang = self.lang
        fig, ax = plt.subplots(figsize=(6.4, 2.4))
        arms = ["demand_driven", "supply_driven"]
        vals = [100 * e.mean_treated, 100 * e.mean_control]
        ax.barh([_arm(lang, a) for a in arms], vals, color=[ARM_COLORS[a] for a in arms])
        for y, v in enumerate(vals):
            ax.text(v + 1, y, f"{fmt_number(v, 1, lang)}%", va="center")
        ax.set_xlim(0, 110)
        ax.set_xlabel(_t("name_no_provision", lang) + " (%)")
        ax.invert_yaxis()
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def outcome_section(self, key: str) -> HTMLSection:
        """One outcome: what it measures, the result, a figure and a suppressed table."""
        lang = self.lang
        h = next(x for x in HEADLINES if x.key == key)
        e = self.effects[key]
        days = self.data.study.cost_window_days
        parts = [
            f'<section class="outcome" id="outcome-{key}"><h2>{_esc(self._name(h))}</h2>',
            f"<p><em>{_esc(_t('sec_what', lang))}:</em> {_esc(_t(f'what_{key}', lang, days=days))}</p>",
            self._effect_text(e),
        ]
        if e.shown:
            extra = []
            if e.ratio is not None and np.isfinite(e.ratio).all():
                r, lo, hi = (fmt_number(x, 2, lang) for x in e.ratio)
                extra.append(_t("lab_ratio", lang, r=r, lo=lo, hi=hi))
            extra.append(_t("lab_p", lang, p=_fmt_p(e.p_value, lang), ph=_fmt_p(e.p_holm, lang)))
            from ..estimation.effects import METHOD_TEXT
            from ..estimation.results import CI_TEXT

            m = METHOD_TEXT.get(e.method, {}).get(lang, e.method)
            ci = CI_TEXT.get(e.ci_method, {}).get(lang, e.ci_method)
            extra.append(_t("lab_method", lang, m=m, ci=ci))
            if e.fallback:
                extra.append(_t("lab_unadjusted_fallback", lang))
            parts.append(f'<p class="note">{_esc(" ".join(extra))}</p>')
        parts.append(self._figure_html(key, e))
        parts.append(self._suppressed_table_html(key))
        parts.append("</section>")
        return HTMLSection("".join(parts))

    def _figure_html(self, key: str, e: Effect) -> str:
        lang = self.lang
        if not e.shown and key == "no_provision":
            return f'<p class="note">{_esc(_t("fig_omitted", lang))}</p>'
        n_arms = [int((self.table["arm"] == a).sum()) for a in ("demand_driven", "supply_driven")]
        from ..disclosure import can_show

        if not can_show(n_arms, self.rule):
            return f'<p class="note">{_esc(_t("fig_omitted", lang))}</p>'
        try:
            fig = self._figure(key)
        except (ValueError, KeyError, IndexError):
            return f'<p class="note">{_esc(_t("fig_failed", lang))}</p>'
        notes = " ".join(getattr(fig, "wattelt_notes", []) or [])
        alt = self._name(next(x for x in HEADLINES if x.key == key))
        cap = f"<figcaption>{_esc(notes)}</figcaption>" if notes else ""
        return f"<figure>{_png(fig, alt)}{cap}</figure>"

    # ---- design and limits
    def design(self) -> HTMLSection:
        """Design and its limits: observational, adjustment, team clustering, follow-up window."""
        from ..disclosure import format_count
        from ..estimation.effects import METHOD_TEXT

        lang, t, st = self.lang, self.table, self.data.study
        paras = [_t("design_obs", lang)]
        adjusted = [e for e in self.effects.values() if e.shown and e.adjusted]
        if adjusted:
            covs = self._covariate_text(lang)
            paras.append(_t("design_adjust", lang, method=METHOD_TEXT["aipw"][lang], covs=covs))
        else:
            paras.append(_t("design_noadjust", lang))
        if self.cluster:
            teams = t[["team", "arm"]].dropna().drop_duplicates()
            gt = int((teams["arm"] == "demand_driven").sum())
            gc = int((teams["arm"] == "supply_driven").sum())
            g = int(teams["team"].nunique())
            paras.append(_t("design_cluster", lang, g=g, gt=gt, gc=gc))
        else:
            paras.append(_t("design_nocluster", lang))
        full = int(t["full_follow_up"].fillna(False).astype(bool).sum())
        ext = self.oset.extract_date
        extract = "–" if ext is None or pd.isna(ext) else pd.Timestamp(ext).strftime("%Y-%m-%d")
        paras.append(
            _t(
                "design_window",
                lang,
                days=st.cost_window_days,
                full=format_count(full, self.rule, lang=lang),
                extract=extract,
            )
        )
        paras.append(_t("design_multiple", lang))
        paras.append(
            _t(
                "design_privacy",
                lang,
                k=self.rule.threshold,
                sym=self.rule.symbol,
                m=self.rule.min_n,
            )
        )
        paras.append(_t("design_instrument_note", lang, name=self.data.instrument.name(lang)))
        body = "".join(f"<p>{_esc(p)}</p>" for p in paras)
        return HTMLSection(
            f'<section class="design"><h2>{_esc(_t("design", lang))}</h2>{body}</section>'
        )

    # ---- flow of residents
    def _flow_table(self, outcome: str) -> pd.DataFrame | None:
        """One outcome's flow as publishable strings: reasons left out, analysed, total.

        Reasons that did not occur are left out (they say nothing about residents);
        the remaining counts and their total are suppressed as one table.
        """
        from ..disclosure import format_count, suppress_table

        lang = self.lang
        label = "label_nl" if lang == "nl" else "label_en"
        fl = self.oset.flow
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
                format_count(n, self.rule, lang=lang),
                format_count(int(s.iloc[0]), self.rule, lang=lang),
            ]
            return pd.DataFrame({col: shown}, index=[total_label, s.index[0]])
        pub = suppress_table(s.to_frame(col), self.rule, lang=lang, total_label=total_label)
        return pub.iloc[[len(pub) - 1, *range(len(pub) - 1)]]  # the total first, as a flow

    def flow(self) -> HTMLSection:
        """Who was included and who was not, and why (all counts suppressed)."""
        from ..disclosure import suppress_table

        lang = self.lang
        parts = [
            f'<section class="flow"><h2>{_esc(_t("flow", lang))}</h2>',
            f"<p>{_esc(_t('flow_intro', lang))}</p>",
        ]
        # flow outcome per table; no_provision rests on the same trajectories as the costs
        tables = [(_t("flow_trajectories", lang), "trajectories")] + [
            (self._name(h), FLOW_OUTCOME.get(h.column, h.column))
            for h in HEADLINES
            if h.column != "any_provision"
        ]
        for name, outcome in tables:
            pub = self._flow_table(outcome)
            if pub is None:
                continue
            body = "".join(
                f"<tr><th scope='row'>{_esc(i)}</th><td class='num'>{_esc(v)}</td></tr>"
                for i, v in zip(pub.index, pub.iloc[:, 0], strict=True)
            )
            parts.append(
                f'<table class="flow"><caption>{_esc(name)}</caption><tbody>{body}</tbody></table>'
            )
        # by arm
        t = self.table
        arms = (
            t["arm"]
            .astype("string")
            .value_counts()
            .reindex(["demand_driven", "supply_driven"], fill_value=0)
        )
        arms.index = [_arm(lang, a) for a in arms.index]
        pub = suppress_table(arms.to_frame(_t("col_count", lang)), self.rule, lang=lang)
        body = "".join(
            f"<tr><th scope='row'>{_esc(i)}</th><td class='num'>{_esc(v)}</td></tr>"
            for i, v in zip(pub.index, pub.iloc[:, 0], strict=True)
        )
        parts.append(
            f'<table class="flow"><caption>{_esc(_t("flow_by_arm", lang))}</caption>'
            f"<tbody>{body}</tbody></table>"
        )
        # records left out, by table and reason (codes and fixed labels only, never row content)
        parts.append(self._reasons_html())
        parts.append("</section>")
        return HTMLSection("".join(parts))

    def _reasons_html(self) -> str:
        from ..disclosure import format_counts
        from ..outcome import REASONS

        lang = self.lang
        ex = self.oset.exclusions
        head = f"<h3>{_esc(_t('flow_reasons', lang))}</h3>"
        if ex is None or ex.empty:
            return head + f"<p>{_esc(_t('flow_none', lang))}</p>"
        g = ex.groupby(
            [ex["table"].astype("string"), ex["reason"].astype("string")], dropna=False
        ).size()
        g = g.sort_index()
        shown = format_counts(g.reset_index(drop=True), self.rule, lang=lang)
        rows = []
        for (table, reason), n in zip(g.index, shown, strict=True):
            lab = REASONS.get(str(reason))
            text = (lab[0] if lang == "nl" else lab[1]) if lab else str(reason)
            rows.append(
                f"<tr><td>{_esc(table)}</td><td>{_esc(text)}</td><td class='num'>{_esc(n)}</td></tr>"
            )
        thead = (
            f"<tr><th scope='col'>{_esc(_t('col_table', lang))}</th>"
            f"<th scope='col'>{_esc(_t('col_reason', lang))}</th>"
            f"<th scope='col' class='num'>{_esc(_t('col_count', lang))}</th></tr>"
        )
        return (
            head
            + f'<table class="reasons"><thead>{thead}</thead><tbody>{"".join(rows)}</tbody></table>'
        )

    # ---- provenance
    def provenance(self) -> HTMLSection:
        """Package version, input fingerprint, parameters and seed, generation date."""
        from .._version import __version__
        from ..estimation.effects import METHOD_TEXT

        lang = self.lang
        st = self.data.study
        covs = ", ".join(self.covariates) or _t("none", lang)
        rows = [
            (_t("prov_version", lang), _esc(__version__)),
            (_t("prov_fp", lang), f"<code>{self.fingerprint}</code>"),
            (_t("prov_seed", lang), str(self.seed)),
            (_t("prov_nboot", lang), str(self.n_boot)),
            (_t("prov_window", lang), str(st.cost_window_days)),
            (
                _t("prov_method", lang),
                _esc(
                    METHOD_TEXT["aipw"][lang]
                    if self.covariates
                    else METHOD_TEXT["unadjusted"][lang]
                ),
            ),
            (_t("prov_covs", lang), _esc(covs)),
            (_t("prov_cluster", lang), _esc(self.cluster or _t("none", lang))),
            (
                _t("prov_instrument", lang),
                _esc(f"{self.data.instrument.name(lang)} ({self.data.instrument.code})"),
            ),
            (_t("prov_rule", lang), _esc(f"{self.rule.rule} ({self.rule.threshold})")),
            (_t("prov_lang", lang), lang),
            (_t("prov_date", lang), _esc(self.generated.isoformat())),
        ]
        body = "".join(f"<tr><th scope='row'>{_esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
        per_table = "".join(
            f"<tr><th scope='row'>{_esc(k)}</th><td><code>{v}</code></td></tr>"
            for k, v in self.table_fingerprints.items()
        )
        return HTMLSection(
            f'<section class="provenance"><h2>{_esc(_t("provenance", lang))}</h2>'
            f"<p>{_esc(_t('prov_intro', lang))}</p>"
            f'<table class="kv">{body}</table>'
            f"<h3>{_esc(_t('prov_tables', lang))}</h3>"
            f'<table class="kv small">{per_table}</table>'
            f"<p class='note'>{_esc(_t('prov_recipe', lang))}</p></section>"
        )
