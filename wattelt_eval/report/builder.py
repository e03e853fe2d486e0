"""Build the council report: execute the report notebook, export HTML, print a PDF.

Pipeline (each step deterministic given the data, the parameters and
``SOURCE_DATE_EPOCH``):

1. load and validate the pilot data package (stops with
   :class:`wattelt_eval.ValidationError` before anything runs);
2. execute the parameterised notebook ``report_template.ipynb`` that ships in this
   package with papermill (progress bar on the terminal);
3. strip volatile metadata (timings, random cell ids, kernel paths) and store the
   executed notebook next to the report;
4. convert to one self-contained HTML file with nbconvert (code hidden, images
   inlined, no scripts, no external resources);
5. print the HTML to PDF with headless Chromium.
"""

from __future__ import annotations

import contextlib
import html
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import pandas as pd

from ..errors import WatteltError
from ..i18n import LANGS, pair, text
from ..i18n import format as fmt

if TYPE_CHECKING:
    from ..data import PilotData

Lang = Literal["nl", "en"]
Format = Literal["html", "pdf"]

HERE = Path(__file__).resolve().parent
TEMPLATE_NOTEBOOK = HERE / "report_template.ipynb"
NBCONVERT_TEMPLATES = HERE / "nbconvert"
CSS_FILE = HERE / "report.css"

#: Flags for headless Chromium (plus a fresh ``--user-data-dir`` and ``--print-to-pdf``).
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)


class ReportError(WatteltError, RuntimeError):
    """The report could not be made (notebook failed, no Chromium, ...); exit code 1.

    A :class:`~wattelt_eval.errors.WatteltError` (bilingual message) that is also a
    ``RuntimeError``, as before.
    """

    exit_code = 1


@dataclass
class ReportResult:
    """What :func:`build` wrote.

    Attributes
    ----------
    html, pdf, notebook : Path or None
        The files written (``None`` when that format was not asked for).
    fingerprint : str
        The report fingerprint: SHA-256 over the canonical input tables and every
        setting that changes a number (:func:`~.provenance.report_fingerprint`).
    lang : str
    parameters : dict
        Parameters passed to the report notebook.
    parts : dict of str to ReportResult
        With ``by=``: the report of each level (this result is the side-by-side summary).
    """

    html: Path | None
    pdf: Path | None
    notebook: Path | None
    fingerprint: str
    lang: str
    parameters: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, ReportResult] = field(default_factory=dict)
    #: SHA-256 of the canonical input tables only (:func:`~.provenance.fingerprint`).
    data_fingerprint: str = ""

    @property
    def paths(self) -> list[Path]:
        own = [p for p in (self.html, self.pdf, self.notebook) if p is not None]
        return own + [p for part in self.parts.values() for p in part.paths]

    def __repr__(self) -> str:
        files = ", ".join(str(p) for p in self.paths)
        return f"ReportResult(lang={self.lang!r}, files=[{files}], fingerprint={self.fingerprint[:12]}…)"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li><a href='{html.escape(p.as_posix())}'>{html.escape(p.name)}</a></li>"
            for p in self.paths
        )
        return (
            f"<div><b>{html.escape(text('report.result_heading', self.lang))}</b> "
            f"({html.escape(self.lang)})<ul>{rows}</ul>"
            f"<code>sha256 {html.escape(self.fingerprint)}</code></div>"
        )


# ----------------------------------------------------------------------------- helpers
def _say(msg: str, progress: bool) -> None:
    if progress:
        print(msg, file=sys.stderr, flush=True)


def _step(key: str, progress: bool) -> None:
    """Announce a step of the build on stderr, in both languages."""
    nl, en = pair(f"report.progress.{key}")
    _say(f"wattelt-eval report: {nl} / {en}", progress)


def _check_options(lang: str | None, formats: Iterable[str]) -> tuple[str | None, tuple[str, ...]]:
    if lang is not None and lang not in get_args(Lang):
        raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(formats)
    bad = [f for f in formats if f not in get_args(Format)]
    if bad or not formats:
        raise ValueError(
            f"formats must be a non-empty selection of 'html' and 'pdf', not {formats!r}"
        )
    return lang, formats


def _resolve_data(path_or_data: Any, demo: bool, lang: str | None = None) -> PilotData:
    from ..data import PilotData

    if demo:
        if path_or_data is not None:
            raise ValueError("give either a data package or demo=True, not both")
        from .. import synth

        return synth.demo()
    if isinstance(path_or_data, PilotData):
        return path_or_data
    if path_or_data is None:
        raise ValueError("no data: give a pilot data package (folder or .xlsx) or demo=True")
    if not isinstance(path_or_data, (str, os.PathLike)):
        raise TypeError(
            f"path_or_data must be a path or a PilotData, not {type(path_or_data).__name__}"
        )
    from ..validation import load

    return load(path_or_data, lang=lang or "nl")  # raises ValidationError with .problems


def find_chromium() -> str | None:
    """Path of the Chromium executable (``WATTELT_CHROMIUM`` overrides), or ``None``."""
    env = os.environ.get("WATTELT_CHROMIUM")
    if env:
        return env
    for cand in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(cand)
        if found:
            return found
    return None


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ----------------------------------------------------------------------------- steps
def execute_notebook(parameters: dict[str, Any], workdir: Path, progress: bool = True):
    """Execute the report template with papermill; return the executed notebook node.

    Raises
    ------
    ReportError
        When a cell fails (the message names the cell and the error).
    """
    import nbformat
    import papermill as pm

    out = workdir / "executed.ipynb"
    # A fixed hash seed and the non-interactive backend keep the kernel deterministic.
    with _env(PYTHONHASHSEED="0", MPLBACKEND="Agg"):
        try:
            pm.execute_notebook(
                str(TEMPLATE_NOTEBOOK),
                str(out),
                parameters=parameters,
                kernel_name="python3",
                progress_bar=progress,
                cwd=str(workdir),
                log_output=False,
                # the kernel's own start-up warnings are not the reader's business
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except pm.PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}"
            raise ReportError(
                *pair("report.error.notebook_failed", cell=exc.exec_count, error=error)
            ) from None
    return nbformat.read(str(out), as_version=4)


def clean_notebook(nb: Any, title: str) -> Any:
    """Remove volatile metadata so that two runs give byte-identical notebooks.

    Drops papermill timings and paths, per-cell execution timestamps, and
    replaces the cell ids (papermill makes a random one for the injected
    parameters) by ``cell-<n>``. Execution counts are renumbered 1, 2, ...
    """
    pm_meta = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {
        k: v for k, v in pm_meta.items() if k in ("parameters", "version", "default_parameters")
    }
    nb.metadata["title"] = title
    nb.metadata.pop("widgets", None)
    count = 0
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = count
                out.get("metadata", {}).pop("execution", None)
    return nb


def to_html(nb: Any, lang: str) -> str:
    """Convert an executed notebook to one self-contained HTML page (code hidden)."""
    import copy

    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # the council sees displays, not prints, warnings or tracebacks
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if o.get("output_type") in ("display_data", "execute_result")
            ]
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]
    exporter = HTMLExporter(
        template_name="council",
        extra_template_basedirs=[str(NBCONVERT_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )
    resources = {
        "council_css": CSS_FILE.read_text(encoding="utf-8"),
        "metadata": {"name": nb.metadata.get("title", "report")},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def print_pdf(
    html_path: Path, pdf_path: Path, chromium: str | None = None, timeout: float = 120
) -> Path:
    """Print an HTML file to PDF with headless Chromium.

    Raises
    ------
    ReportError
        When Chromium is missing or does not produce the PDF.
    """
    exe = chromium or find_chromium()
    if not exe:
        raise ReportError(*pair("report.error.no_chromium"))
    pdf_path = Path(pdf_path).resolve()
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="wattelt-chromium-") as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            Path(html_path).resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(
                *(
                    text(
                        "report.error.chromium_timeout", lang, seconds=fmt.number(timeout, 0, lang)
                    )
                    for lang in LANGS
                )
            ) from None
        except OSError as exc:
            raise ReportError(*pair("report.error.chromium_start", exe=exe, error=exc)) from None
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise ReportError(*pair("report.error.no_pdf", code=proc.returncode, tail=tail))
    return pdf_path


# ----------------------------------------------------------------------------- build
def build(
    path_or_data: str | os.PathLike[str] | PilotData | None,
    out_dir: str | os.PathLike[str] = "reports",
    lang: Lang | None = None,
    formats: Iterable[Format] = ("html", "pdf"),
    *,
    demo: bool = False,
    seed: int | None = None,
    n_boot: int = 999,
    progress: bool = True,
    chromium: str | None = None,
    extract_date: str | None = None,
    monitor: bool = False,
    by: str | None = None,
    command: Sequence[str] | None = None,
) -> ReportResult:
    """Make the council report (HTML and PDF) for a pilot data package.

    Parameters
    ----------
    path_or_data : path or PilotData or None
        A pilot data package (folder or ``.xlsx``), loaded and validated with
        :func:`wattelt_eval.load`, or a :class:`~wattelt_eval.PilotData`. ``None``
        together with ``demo=True`` reports the bundled demo pilot.
    out_dir : path
        Folder for ``report_<lang>.html``, ``report_<lang>.pdf`` and the executed
        notebook ``report_<lang>.ipynb`` (created if needed).
    lang : {"nl", "en"}, optional
        Report language; default the study's ``language`` setting (``nl``).
    formats : sequence of {"html", "pdf"}
        Which documents to make. The HTML is always made (the PDF is printed from
        it), but only kept when asked for.
    demo : bool
        Report the bundled demo pilot (:func:`wattelt_eval.synth.demo`).
    seed : int, optional
        Seed for the bootstrap; default the study's ``seed`` setting.
    n_boot : int
        Bootstrap replicates for the confidence intervals.
    progress : bool
        Show the steps and papermill's progress bar on the terminal (stderr).
    chromium : str, optional
        Chromium executable (default ``/usr/bin/chromium`` or ``$WATTELT_CHROMIUM``).
    monitor : bool
        Add the section "Hoe gaat de invoering?": the board at intake and the shared
        plan before a handover per team and month, with the board's control chart
        (``docs/monitor.md``). Off by default.
    by : str, optional
        A column of the trajectories table (cohort, municipality, team group): one
        report per level in a sub-folder of ``out_dir``, each with its own floor, power
        statement and disclosure, plus ``summary_<lang>.html/.pdf`` side by side
        (:mod:`wattelt_eval.report.by_level`). The result is the summary's, with
        ``parts`` per level.
    command : sequence of str, optional
        The command-line arguments after the program name (``wattelt-eval report``
        passes them); shown in the report with paths shortened to their last part
        (:func:`~.provenance.command_line`). Default: the equivalent command built
        from these parameters.

    Returns
    -------
    ReportResult

    Raises
    ------
    wattelt_eval.ValidationError
        The package is invalid; nothing was executed (see ``.problems``).
    ReportError
        The notebook failed or Chromium could not print the PDF.

    Notes
    -----
    With ``SOURCE_DATE_EPOCH`` set, two builds from the same data and seed give a
    byte-identical HTML file and executed notebook. The input fingerprint is
    explained in :mod:`wattelt_eval.report.provenance`.
    """
    import nbformat

    from .._version import __version__
    from .plan import ReportPlan
    from .provenance import command_line, fingerprint, generation_time, report_fingerprint

    lang, formats = _check_options(lang, formats)
    if not isinstance(n_boot, int) or n_boot < 99:
        raise ValueError(f"n_boot must be a whole number of at least 99, not {n_boot!r}")
    if seed is not None and not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, not {seed!r}")

    _step("loading", progress)
    data = prepare_data(path_or_data, demo, lang, extract_date)
    if lang is None:
        lang = data.study.language if data.study.language in get_args(Lang) else "nl"
    if by is not None:
        from .by_level import build_by

        opts = dict(seed=seed, n_boot=n_boot, progress=progress, chromium=chromium)
        opts["command"] = command
        return build_by(data, by, Path(out_dir), lang, formats, monitor=monitor, **opts)
    seed = data.study.seed if seed is None else seed
    fp = fingerprint(data)
    plan = ReportPlan.from_study(data.study, seed=seed, n_boot=n_boot, monitor=monitor)
    report_fp = report_fingerprint(data, plan, data_fingerprint=fp)
    if command is None:
        command = _equivalent_command(path_or_data, demo, data, lang, seed, n_boot, monitor)
    shown_command = command_line(command)
    generated = generation_time()

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report_{lang}"

    with tempfile.TemporaryDirectory(prefix="wattelt-report-") as tmp:
        tmpdir = Path(tmp)
        # The kernel reads the data exactly as validated here (no second validation);
        # the fingerprint check in the notebook guards that it is the same data.
        pkl = tmpdir / "pilotdata.pkl"
        with open(pkl, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        data_param = pkl.name
        parameters = {
            "data_source": data_param,
            "lang": lang,
            "seed": int(seed),
            "n_boot": int(n_boot),
            "generated": generated.isoformat(),
            "expected_fingerprint": fp,
            "command": shown_command,
        }
        if monitor:  # only when asked: the default report's parameters stay as they were
            parameters["monitor"] = True
        _step("executing", progress)
        nb = execute_notebook(parameters, tmpdir, progress=progress)

    title = text("report.document_title", lang) + (
        f" — {data.study.name}" if data.study.name else ""
    )
    nb = clean_notebook(nb, title)
    nb_path = out_dir / f"{stem}.ipynb"
    nbformat.write(nb, str(nb_path))

    _step("html", progress)
    html_text = to_html(nb, lang)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html_text, encoding="utf-8")

    pdf_path = None
    if "pdf" in formats:
        _step("pdf", progress)
        pdf_path = out_dir / f"{stem}.pdf"
        print_pdf(html_path, pdf_path, chromium=chromium)
    if "html" not in formats:
        html_path.unlink()
        html_path = None
    result = ReportResult(
        html=html_path,
        pdf=pdf_path,
        notebook=nb_path,
        fingerprint=report_fp,
        lang=lang,
        parameters={**parameters, "version": __version__},
        data_fingerprint=fp,
    )
    for p in result.paths:
        _say(f"  {p}", progress)
    return result


# ----------------------------------------------------------------------------- provenance
def prepare_data(
    path_or_data: Any, demo: bool = False, lang: str | None = None, extract_date: str | None = None
) -> PilotData:
    """The data a report is made from: loaded and validated, ``--extract-date`` applied.

    Shared by :func:`build` and ``wattelt-eval fingerprint``, so that both see the same
    settings and print the same report fingerprint.
    """
    data = _resolve_data(path_or_data, demo, lang)
    if extract_date is not None:  # the --extract-date flag: the reference of the outcomes
        data = data.copy()
        data.study.extract_date = str(pd.Timestamp(extract_date).date())
    return data


def _equivalent_command(
    path_or_data: Any, demo: bool, data: PilotData, lang: str, seed: int, n_boot: int, monitor: bool
) -> list[str]:
    """``wattelt-eval report`` arguments that make this report (built from Python)."""
    if demo:
        source = ["--demo"]
    elif isinstance(path_or_data, (str, os.PathLike)):
        source = [os.fspath(path_or_data)]
    else:  # a PilotData in memory: name where it came from
        source = [Path(str(data.source or "PilotData")).name or "PilotData"]
    args = ["report", *source, "--lang", lang, "--seed", str(seed), "--n-boot", str(n_boot)]
    if data.study.extract_date:
        args += ["--extract-date", str(data.study.extract_date)]
    return args + (["--monitor"] if monitor else [])
