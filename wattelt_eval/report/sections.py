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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .provenance import fingerprint, generation_time, table_fingerprints

if TYPE_CHECKING:
    from ..data import PilotData

__all__ = ["load_data", "CouncilReport", "HTMLSection", "fmt_number"]


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


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _png(fig: Any, alt: str) -> str:
    """A matplotlib Figure as an inline PNG ``<img>`` (deterministic bytes, no metadata)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{_esc(alt)}">'


# ----------------------------------------------------------------------------- texts
T: dict[str, dict[str, str]] = {
    "title": {
        "nl": "Vraaggestuurd werken: wat levert het op?",
        "en": "Demand-driven working: what does it bring?",
    },
    "subtitle": {
        "nl": "Rapport voor de gemeenteraad over de pilot {name}",
        "en": "Report for the council on the pilot {name}",
    },
    "subtitle_noname": {
        "nl": "Rapport voor de gemeenteraad",
        "en": "Report for the council",
    },
    "generated": {"nl": "Gemaakt op {date}", "en": "Generated on {date}"},
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
    "prov_params": {"nl": "Instellingen", "en": "Settings"},
    "prov_seed": {"nl": "Seed (toevalsgetallen)", "en": "Seed (random numbers)"},
    "prov_nboot": {"nl": "Aantal bootstrap-herhalingen", "en": "Bootstrap replicates"},
    "prov_window": {"nl": "Kostenvenster (dagen)", "en": "Cost window (days)"},
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
}


def _t(key: str, lang: str, **kw: Any) -> str:
    s = T[key][lang]
    return s.format(**kw) if kw else s


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
        if lang not in ("nl", "en"):
            raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")
        self.data = data
        self.lang = lang
        self.seed = int(data.study.seed if seed is None else seed)
        self.n_boot = int(n_boot)
        self.generated = (
            dt.datetime.fromisoformat(generated) if generated else generation_time()
        )
        self.fingerprint = fingerprint(data)
        if expected_fingerprint and expected_fingerprint != self.fingerprint:
            raise ValueError(
                "the data read by the report notebook differ from the data that were "
                f"validated (fingerprint {self.fingerprint} instead of {expected_fingerprint})"
            )
        self.outcome_names: list[str] = []

    # ------------------------------------------------------------------ analysis
    def run(self) -> None:
        """Compute everything the sections show."""

    # ------------------------------------------------------------------ sections
    def _date(self) -> str:
        d = self.generated.date()
        if self.lang == "nl":
            months = [
                "januari", "februari", "maart", "april", "mei", "juni", "juli",
                "augustus", "september", "oktober", "november", "december",
            ]
        else:
            months = [
                "January", "February", "March", "April", "May", "June", "July",
                "August", "September", "October", "November", "December",
            ]
        return f"{d.day} {months[d.month - 1]} {d.year}"

    def title(self) -> HTMLSection:
        name = self.data.study.name
        sub = _t("subtitle", self.lang, name=name) if name else _t("subtitle_noname", self.lang)
        return HTMLSection(
            f'<header class="report-title"><h1>{_esc(_t("title", self.lang))}</h1>'
            f'<p class="subtitle">{_esc(sub)}</p>'
            f'<p class="date">{_esc(_t("generated", self.lang, date=self._date()))}</p></header>'
        )

    def summary(self) -> HTMLSection:
        return HTMLSection("")

    def outcome_section(self, outcome: str) -> HTMLSection:
        return HTMLSection("")

    def design(self) -> HTMLSection:
        return HTMLSection("")

    def flow(self) -> HTMLSection:
        return HTMLSection("")

    def provenance(self) -> HTMLSection:
        from .. import __version__

        lang = self.lang
        st = self.data.study
        rows = [
            (_t("prov_version", lang), __version__),
            (_t("prov_fp", lang), f"<code>{self.fingerprint}</code>"),
            (_t("prov_seed", lang), str(self.seed)),
            (_t("prov_nboot", lang), str(self.n_boot)),
            (_t("prov_window", lang), str(st.cost_window_days)),
            (_t("prov_instrument", lang), _esc(self.data.instrument.name(lang))),
            (_t("prov_rule", lang), _esc(f"{st.disclosure_rule} ({st.disclosure_threshold})")),
            (_t("prov_lang", lang), lang),
            (_t("prov_date", lang), _esc(self.generated.isoformat())),
        ]
        body = "".join(f"<tr><th scope='row'>{_esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
        per_table = "".join(
            f"<tr><th scope='row'>{_esc(k)}</th><td><code>{v}</code></td></tr>"
            for k, v in table_fingerprints(self.data).items()
        )
        return HTMLSection(
            f'<section class="provenance"><h2>{_esc(_t("provenance", lang))}</h2>'
            f"<p>{_esc(_t('prov_intro', lang))}</p>"
            f'<table class="kv">{body}</table>'
            f"<h3>{_esc(_t('prov_tables', lang))}</h3>"
            f'<table class="kv small">{per_table}</table>'
            f"<p class='note'>{_esc(_t('prov_recipe', lang))}</p></section>"
        )
