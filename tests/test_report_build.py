"""End-to-end council report: notebook execution, HTML, PDF, reproducibility, leaks, browser.

Three builds per test session (module-scoped fixtures, reused by every test here):

* the marked pilot (ids and goal texts carry :data:`report_helpers.MARKER`) from a CSV
  package on disk, Dutch, HTML + PDF, with ``SOURCE_DATE_EPOCH`` set;
* the same again (HTML only) into another folder, for the reproducibility test;
* the bundled demo pilot in English, HTML + PDF, for the browser test and the
  headline numbers.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import MARKER, marked_pilot

import wattelt_eval as we
from wattelt_eval.disclosure import rule_from_study
from wattelt_eval.estimation import compare
from wattelt_eval.io import write_package
from wattelt_eval.report import build
from wattelt_eval.report.plan import ARMS, ReportPlan
from wattelt_eval.report.sections import HEADLINES, CouncilReport

EPOCH = "1750000000"  # 2025-06-15 15:06:40 UTC
N_BOOT = 199

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed"
)


def pdf_text(path: Path) -> str:
    """Text of a PDF (pdftotext), whitespace collapsed to single spaces."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", " ", out)


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


# ----------------------------------------------------------------------------- builds
@pytest.fixture(scope="module")
def marked_package(tmp_path_factory):
    data = marked_pilot()
    folder = write_package(data, tmp_path_factory.mktemp("marked") / "pilot")
    return data, folder


@pytest.fixture(scope="module")
def marked_builds(marked_package, tmp_path_factory):
    _, folder = marked_package
    root = tmp_path_factory.mktemp("marked_reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        first = build(folder, root / "a", lang="nl", n_boot=N_BOOT, progress=False)
        second = build(
            folder, root / "b", lang="nl", formats=("html",), n_boot=N_BOOT, progress=False
        )
    return first, second


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return build(None, out, lang="en", demo=True, n_boot=N_BOOT, progress=False)


@pytest.fixture(scope="module")
def demo_report():
    """The report's analysis of the demo, run here in-process with the same parameters."""
    data = we.synth.demo()
    rep = CouncilReport(data, lang="en", n_boot=N_BOOT, generated="2025-06-15T15:06:40+00:00")
    rep.run()
    return rep


# ----------------------------------------------------------------------------- HTML tables
class _Tables(HTMLParser):
    """Collect the body cells of every <table> with its class: [(class, [[cell, ...], ...])]."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("class", ""), []))
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self.tables and not self._head:
            self.tables[-1][1].append([])
        elif tag in ("td", "th") and not self._head:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    p = _Tables()
    p.feed(text)
    return p.tables


def count_cells(text: str) -> list[str]:
    """Every published count: the number cells of the count tables (not the header row)."""
    cells = []
    for cls, rows in html_tables(text):
        if cls.split()[0] in ("counts", "flow", "reasons"):
            for row in rows:
                cells += row[1:] if cls.split()[0] != "reasons" else row[2:]
    return cells


def as_count(cell: str) -> int | None:
    digits = cell.replace(".", "").replace(",", "")
    return int(digits) if digits.isdigit() else None


# ----------------------------------------------------------------------------- tests
def test_build_writes_html_pdf_and_notebook(marked_builds, demo_build):
    first, second = marked_builds
    for res in (first, demo_build):
        assert res.html.exists() and res.pdf.exists() and res.notebook.exists()
        assert res.pdf.read_bytes().startswith(b"%PDF")
    assert second.pdf is None and second.html.exists()
    assert demo_build.html.name == "report_en.html" and first.html.name == "report_nl.html"


def test_html_is_self_contained_and_hides_code(demo_build):
    text = demo_build.html.read_text(encoding="utf-8")
    # no scripts, no external resources: every src is an inlined image
    assert "<script" not in text.lower()
    srcs = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert len(re.findall(r"<img ", text)) >= 4  # one figure per outcome
    # code hidden: none of the notebook's source lines appear
    for code in ("rep.run()", "sections.CouncilReport", "import warnings"):
        assert code not in text
    assert '<html lang="en">' in text


def test_reproducible_with_source_date_epoch(marked_builds):
    first, second = marked_builds
    assert first.html.read_bytes() == second.html.read_bytes()
    assert first.notebook.read_bytes() == second.notebook.read_bytes()
    text = first.html.read_text(encoding="utf-8")
    assert "15 juni 2025" in text and "2025-06-15T15:06:40+00:00" in text


def test_provenance_block(marked_package, marked_builds):
    data, folder = marked_package
    first, _ = marked_builds
    text = html.unescape(first.html.read_text(encoding="utf-8"))
    loaded = we.load(folder)
    plan = ReportPlan.from_study(loaded.study, n_boot=N_BOOT)
    assert first.fingerprint == we.report.report_fingerprint(loaded, plan)
    assert first.data_fingerprint == we.report.fingerprint(data)
    assert first.fingerprint in text and first.data_fingerprint in text
    # the command that makes it again, with no directory of the machine that made it
    seed = loaded.study.seed
    assert f"wattelt-eval report pilot --lang nl --seed {seed} --n-boot {N_BOOT}" in text
    assert str(folder.parent) not in text and str(Path.home()) not in text
    # every rate as read
    for role, rate in loaded.study.rates.items():
        assert f"rates.{role}" in text and repr(float(rate)) in text
    for digest in we.report.table_fingerprints(data).values():
        assert digest in text
    assert we.__version__ in text
    assert str(data.study.seed) in text and str(N_BOOT) in text


def test_no_marker_leaks(marked_package, marked_builds):
    data, _ = marked_package
    first, _ = marked_builds
    # the input really carries the markers (else this test could not fail)
    assert MARKER in we.report.canonical_csv(data, "goals")
    assert MARKER in we.report.canonical_csv(data, "trajectories")
    places = {
        "html": first.html.read_text(encoding="utf-8"),
        "notebook": first.notebook.read_text(encoding="utf-8"),
        "pdf": pdf_text(first.pdf),
    }
    for where, text in places.items():
        assert MARKER.lower() not in text.lower(), f"marker found in the {where}"
    # nor the raw goal texts without the marker (free text never appears)
    goal_texts = data.goals["text"].str.replace(rf"^{MARKER}-\d+ ", "", regex=True)
    longest = max(goal_texts.dropna().unique(), key=len)
    assert longest not in places["html"] and longest not in places["pdf"]


@pytest.mark.parametrize("which", ["marked", "demo"])
def test_every_published_count_passes_the_rule(which, marked_builds, demo_build):
    res = marked_builds[0] if which == "marked" else demo_build
    text = res.html.read_text(encoding="utf-8")
    cells = count_cells(text)
    assert len(cells) > 20
    rule = rule_from_study(we.synth.demo().study)
    bad = []
    for c in cells:
        n = as_count(c)
        if n is None:
            assert c in (rule.symbol, "x"), c
        elif n < rule.threshold:
            bad.append(c)
    assert not bad, f"counts under {rule.threshold} published: {bad}"


def test_summary_has_each_headline_with_ci(demo_build, demo_report):
    text = html.unescape(demo_build.html.read_text(encoding="utf-8"))
    summary = text[text.index('class="summary"') : text.index('class="outcome"')]
    for h in HEADLINES:
        assert f'id="headline-{h.key}"' in summary
    assert "Margin (95%)" in summary and "Can this pilot answer the question?" in summary
    assert "What it cost" in summary
    # arm sizes in the summary are the raw counts of the trajectories table
    arms = demo_report.data.trajectories["arm"].value_counts()
    assert f"We compare {arms['demand_driven']} trajectories" in summary
    assert f"with {arms['supply_driven']} trajectories" in summary


def test_report_numbers_are_the_compare_results(demo_report):
    """The report's goal-retention effect is what we.compare gives on the outcome table."""
    rep = demo_report
    e = rep.effects["goal_retention"]
    assert e.shown
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(
            rep.table,
            "goal_retention",
            arm="arm",
            covariates=rep.covariates,
            method="aipw",
            cluster=rep.cluster,
            n_boot=N_BOOT,
            seed=rep.seed,
        )
    assert e.difference == pytest.approx(res.estimate, rel=1e-12)
    assert (e.ci_low, e.ci_high) == pytest.approx((res.ci_low, res.ci_high), rel=1e-12)
    # no_provision is reported as 1 - share with a provision: the difference flips sign
    p = rep.effects["no_provision"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(
            rep.table,
            "any_provision",
            arm="arm",
            covariates=rep.covariates,
            method="aipw",
            cluster=rep.cluster,
            n_boot=N_BOOT,
            seed=rep.seed,
        )
    assert p.difference == pytest.approx(-res.estimate, rel=1e-12)
    assert (p.ci_low, p.ci_high) == pytest.approx((-res.ci_high, -res.ci_low), rel=1e-12)


def test_pdf_pages_and_headline_numbers(demo_build, demo_report):
    pages = pdf_pages(demo_build.pdf)
    assert 4 <= pages <= 14
    text = pdf_text(demo_build.pdf)
    nums = demo_report.headline_numbers()
    assert all(nums[h.key] for h in HEADLINES)  # every headline shown for the demo
    for key, values in nums.items():
        for what, s in values.items():
            assert s in text, f"{key} {what} {s!r} not in the PDF text"


@pytest.mark.browser
def test_browser_loads_html_without_errors(demo_build, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    exe = we.report.find_chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (make system-deps)")
    messages: list[str] = []
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.on(
                "console",
                lambda m: (
                    messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: messages.append(f"requestfailed: {r.url}"))
            page.goto(demo_build.html.resolve().as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
            )
            title = page.title()
            h2 = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert not messages, messages
    assert len(images) >= 4
    assert all(complete and w > 0 and h > 0 for complete, w, h in images), images
    assert "council" in title
    assert h2[0] == "Summary" and h2[-1] == "Provenance and reproducibility"
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    width = int.from_bytes(data[16:20], "big")
    assert width == 1000


def test_invalid_package_stops_before_execution(marked_package, tmp_path, capsys):
    import argparse

    from wattelt_eval.cli import report

    data, _ = marked_package
    bad = data.copy()
    tr = bad.trajectories.copy()
    tr.loc[tr.index[[1, 4]], "arm"] = ["beide", "onbekend"]
    bad.trajectories = tr
    folder = write_package(bad, tmp_path / "bad")
    out = tmp_path / "out"
    parser = argparse.ArgumentParser(prog="wattelt-eval")
    report.add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(folder), "--out", str(out), "--lang", "en"])
    assert report.run_cli(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "The data are not valid" in err
    # file rows: header is row 1, so position k is row k + 2
    for r, v in zip([3, 6], ["beide", "onbekend"], strict=True):
        assert f"trajectories.csv, row {r}, column arm: '{v}'" in err
    assert not out.exists() or not any(out.iterdir())


# ----------------------------------------------------------------------------- accessibility
AXE_DIR = Path(__file__).parent / "axe"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.1 A and AA (what EN 301 549 requires of web content) and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "EN-301-549", "best-practice"]


@pytest.fixture(scope="module")
def demo_nl_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_nl")
    return build(None, out, lang="nl", demo=True, n_boot=N_BOOT, formats=("html",), progress=False)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """A tiny pilot: 15 trajectories per arm (most numbers suppressed, figures omitted)."""
    data = we.synth.generate(120, seed=11, superpopulation=None)
    tr = data.trajectories
    keep = set(pd.concat([tr.loc[tr["arm"] == a, "trajectory_id"].iloc[:15] for a in ARMS]))
    for name, df in data.tables.items():
        setattr(data, name, df[df["trajectory_id"].isin(keep)].copy())
    data.truth = None
    out = tmp_path_factory.mktemp("small")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(data, out, lang="nl", n_boot=N_BOOT, formats=("html",), progress=False)


def axe_violations(html_path: Path) -> list[dict]:
    """axe-core's violations of a page in headless Chromium (the pinned tests/axe package)."""
    pw = pytest.importorskip("playwright.sync_api")
    exe = we.report.find_chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (make system-deps)")
    if not AXE.exists():
        pytest.fail("axe-core is not installed: npm ci --prefix tests/axe (make test does this)")
    pinned = json.loads((AXE_DIR / "package.json").read_text())["dependencies"]["axe-core"]
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            version = page.evaluate("axe.version")
            found = page.evaluate(
                """async (tags) => {
                    const r = await axe.run(document, {
                        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
                    return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' '))}));
                }""",
                AXE_TAGS,
            )
        finally:
            browser.close()
    assert version == pinned
    return found


@pytest.mark.browser
@pytest.mark.parametrize("which", ["demo_build", "demo_nl_build", "small_build", "marked"])
def test_axe_core_finds_no_violations(which, request):
    res = request.getfixturevalue(which)
    if which == "marked":
        res = res[0] if isinstance(res, tuple) else res
    assert axe_violations(res.html) == []


@pytest.fixture
def marked(marked_builds):
    return marked_builds[0]


def test_small_pilot_report_shows_no_small_number(small_build):
    """15 per arm: the figures of the trajectory outcomes are omitted, counts suppressed."""
    text = html.unescape(small_build.html.read_text(encoding="utf-8"))
    # every trajectory outcome's figure omitted (any two parts of 15 have one under 10);
    # the goals are counted per goal, so their figure may be drawn
    assert text.count("Figuur niet getoond") >= 3
    assert text.count("<img") + text.count("Figuur niet getoond") == len(HEADLINES)
    for c in count_cells(text):
        n = as_count(c)
        assert n is None or n >= 10, c


@pytest.mark.parametrize("which", ["demo_build", "marked"])
def test_pdf_is_tagged_with_language_and_title(which, request):
    pypdf = pytest.importorskip("pypdf")
    res = request.getfixturevalue(which)
    reader = pypdf.PdfReader(str(res.pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == res.lang
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title.startswith(
        "Evaluation of" if res.lang == "en" else we.i18n.text("report.document_title", "nl")
    )


@pytest.mark.browser
def test_axe_core_reports_what_it_should(tmp_path):
    """The axe check can fail: a page without language, an image without text alternative."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><main><h1>x</h1>"
        '<img src="data:image/png;base64,iVBORw0KGgo="></main></body></html>',
        encoding="utf-8",
    )
    ids = {v["id"] for v in axe_violations(page)}
    assert {"html-has-lang", "image-alt"} <= ids


@pytest.mark.parametrize("which", ["demo_build", "demo_nl_build", "small_build"])
def test_every_table_has_a_caption_and_header_cells(which, request):
    text = request.getfixturevalue(which).html.read_text(encoding="utf-8")
    tables = re.findall(r"<table[^>]*>(.*?)</table>", text, re.S)
    assert len(tables) >= 10
    for t in tables:
        assert t.lstrip().startswith("<caption>"), t[:80]
        assert re.search(r"<th[^>]*scope=", t), t[:80]
    # every image has a text alternative with numbers in it
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', text)
    assert len(alts) == text.count("<img")
    assert all(re.search(r"\d+([.,]\d)?%", a) for a in alts), alts
