"""The reproducible council report (HTML and PDF, Dutch or English) from one command.

>>> import wattelt_eval as we
>>> we.report.build("my_pilot/", "reports/", lang="nl")        # doctest: +SKIP
>>> we.report.build(None, "reports/", demo=True, lang="en")    # doctest: +SKIP

Command line::

    wattelt-eval report my_pilot/ --out reports/ [--lang nl|en]
    wattelt-eval report --demo --out reports/

The command itself lives in :mod:`wattelt_eval.cli.report`. The report is made in
three layers: :mod:`.plan` (what is computed), :mod:`.analysis` (the numbers) and
:mod:`.render` (the HTML sections); :mod:`.builder` runs the notebook that joins them.
See ``docs/report.md`` for what the report contains, the disclosure rules and the
recipe of the input fingerprint.
"""

from __future__ import annotations

from .builder import (
    CHROMIUM_FLAGS,
    ReportError,
    ReportResult,
    build,
    clean_notebook,
    find_chromium,
    print_pdf,
    to_html,
)
from .provenance import (
    canonical_csv,
    fingerprint,
    generation_time,
    report_fingerprint,
    settings_record,
    table_fingerprints,
)

__all__ = [
    "build",
    "ReportResult",
    "ReportError",
    "fingerprint",
    "report_fingerprint",
    "settings_record",
    "table_fingerprints",
    "canonical_csv",
    "generation_time",
    "find_chromium",
    "print_pdf",
    "to_html",
    "clean_notebook",
    "CHROMIUM_FLAGS",
]
