"""The report notebook's entry point: run the analysis plan, then display each section.

The report notebook (``report_template.ipynb``) makes a :class:`CouncilReport`, calls
:meth:`CouncilReport.run` once and displays its sections in order. The work is split:

- :mod:`~wattelt_eval.report.plan`: which outcomes, methods and covariates;
- :mod:`~wattelt_eval.report.analysis`: runs the plan (every number, no text);
- :mod:`~wattelt_eval.report.render`: the HTML of each section from those results
  (formatting, labels, disclosure; never estimation).

Each section can be tested without running a notebook.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..i18n import check_lang
from . import render
from .analysis import Effect, ReportAnalysis, load_data, run_analysis
from .markup import HTMLSection
from .plan import COST_BINS, FLOW_OUTCOME, HEADLINES, RETELL_BINS, Headline, ReportPlan
from .provenance import generation_time

if TYPE_CHECKING:
    from ..data import PilotData
    from ..disclosure import DisclosureRule

__all__ = [
    "load_data",
    "CouncilReport",
    "HTMLSection",
    "Effect",
    "Headline",
    "HEADLINES",
    "FLOW_OUTCOME",
    "RETELL_BINS",
    "COST_BINS",
]


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
        notebook reading other data than the caller validated); checked by :meth:`run`.
    monitor : bool
        Add the section "Hoe gaat de invoering?" (:meth:`implementation`). Off by default.
    command : str, optional
        The command that made the report, as shown under provenance
        (:func:`~wattelt_eval.report.provenance.command_line`).

    Notes
    -----
    Each headline outcome is compared with :func:`wattelt_eval.compare`: AIPW
    (doubly robust) adjusted for age, sex, household, the number of problem domains
    at intake and the study's extra case-mix columns, clustered by team when at least
    two teams are recorded, with the default inference for that design, ``n_boot``
    replicates and ``seed`` (:class:`~wattelt_eval.report.plan.ReportPlan`). When an
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
        monitor: bool = False,
        command: str | None = None,
    ) -> None:
        self.data = data
        self.lang = check_lang(lang)
        self.plan = ReportPlan.from_study(data.study, seed=seed, n_boot=n_boot, monitor=monitor)
        self.generated = dt.datetime.fromisoformat(generated) if generated else generation_time()
        self.expected_fingerprint = expected_fingerprint
        self.outcome_names = [h.key for h in self.plan.headlines]
        self.analysis: ReportAnalysis | None = None
        self.command = command

    # ------------------------------------------------------------------ analysis
    def run(self) -> None:
        """Compute the outcome table and compare every headline outcome between the arms."""
        self.analysis = run_analysis(
            self.data, self.plan, self.generated, self.expected_fingerprint
        )

    def _done(self) -> ReportAnalysis:
        if self.analysis is None:
            raise RuntimeError("call CouncilReport.run() before rendering a section")
        return self.analysis

    @property
    def seed(self) -> int:
        return self.plan.seed

    @property
    def n_boot(self) -> int:
        return self.plan.n_boot

    @property
    def effects(self) -> dict[str, Effect]:
        return self._done().effects

    @property
    def oset(self) -> Any:
        return self._done().oset

    @property
    def table(self) -> pd.DataFrame:
        return self._done().table

    @property
    def covariates(self) -> list[str]:
        return self._done().covariates

    @property
    def cluster(self) -> str | None:
        return self._done().cluster

    @property
    def rule(self) -> DisclosureRule:
        return self._done().rule

    @property
    def fingerprint(self) -> str:
        return self._done().fingerprint

    # ------------------------------------------------------------------ sections
    def headline_numbers(self) -> dict[str, dict[str, str]]:
        """The formatted numbers of the summary, per headline outcome (as printed)."""
        return render.headline_numbers(self._done(), self.lang)

    def title(self) -> HTMLSection:
        """Title block: title, pilot name, generation date."""
        return render.title(self._done(), self.lang)

    def summary(self) -> HTMLSection:
        """The one-page summary: each headline outcome, how sure we are, what it cost."""
        return render.summary(self._done(), self.lang)

    def outcome_section(self, key: str) -> HTMLSection:
        """One outcome: what it measures, the result, a figure and a suppressed table."""
        return render.outcome_section(self._done(), key, self.lang)

    def design(self) -> HTMLSection:
        """Design and its limits: observational, adjustment, team clustering, follow-up window."""
        return render.design(self._done(), self.lang)

    def flow(self) -> HTMLSection:
        """Who was included and who was not, and why (all counts suppressed)."""
        return render.flow(self._done(), self.lang)

    @property
    def monitor(self) -> bool:
        """Whether the report has the section "Hoe gaat de invoering?"."""
        return self.plan.monitor

    def implementation(self) -> HTMLSection:
        """Is the new way of working used, per team (``report --monitor``; empty when off)."""
        if not self.plan.monitor:
            return HTMLSection("")
        return render.implementation(self._done(), self.lang)

    def problem_domains(self) -> HTMLSection:
        """Problems in several life domains: care use (Huizen) and effect modification."""
        from . import render_domains

        return render_domains.problem_domains(self._done(), self.lang)

    def domain_monitoring(self) -> HTMLSection:
        """Life domains: the board at the start and the latest measurement, and the gap."""
        from . import render_domains

        return render_domains.domain_monitoring(self._done(), self.lang)

    def appendix(self) -> HTMLSection:
        """Technical appendix: methods, degrees of freedom, p-values, MDE, baseline table."""
        from . import render_appendix

        return render_appendix.appendix(self._done(), self.lang)

    def provenance(self) -> HTMLSection:
        """Package version, input fingerprint, parameters and seed, generation date."""
        return render.provenance(self._done(), self.lang, command=self.command)
