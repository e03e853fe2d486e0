"""Every researcher notebook is executed by the test suite (nbval) and committed executed.

The Makefile's ``test`` target runs ``pytest --nbval ... tests notebooks``; these
tests check that pytest's nbval collection really picks up every
``notebooks/*.ipynb``, that the committed notebooks carry their outputs (nbval
compares against them), and that each can be pointed at the user's own data
package through one ``parameters`` cell.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
EXPECTED = {
    "00_quickstart",
    "01_data_quality",
    "02_goal_retention",
    "03_retelling",
    "04_costs",
    "05_domain_monitoring",
    "06_designs",
    "07_implementation",
}
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))


def test_the_researchers_notebooks_exist():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


def test_nbval_collects_every_notebook():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "--nbval",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "notebooks",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    collected = set(re.findall(r"^notebooks/([^:\s]+\.ipynb)::", out.stdout, flags=re.M))
    assert collected == {p.name for p in NOTEBOOKS}, out.stdout[-2000:]


def test_makefile_runs_the_notebooks_with_nbval_and_the_sanitizers():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_lines = [line for line in make.splitlines() if "pytest" in line and "--nbval" in line]
    assert test_lines, "the Makefile's test target does not run nbval"
    line = test_lines[0]
    assert re.search(r"\bnotebooks\b", line.split("--nbval", 1)[1])
    assert "--nbval-lax" not in line  # strict: outputs are compared
    assert "--nbval-sanitize-with notebooks/nbval_sanitize.cfg" in line
    assert (NB_DIR / "nbval_sanitize.cfg").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_executed_with_a_parameters_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    # executed in order, from a fresh kernel, without errors
    counts = [c.get("execution_count") for c in code]
    assert all(isinstance(n, int) for n in counts), f"unexecuted cells in {path.name}"
    assert counts == list(range(1, len(code) + 1)), f"{path.name} not run top to bottom"
    for c in code:
        for o in c.get("outputs", []):
            assert o.get("output_type") != "error", f"{path.name}: error output"
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                pytest.fail(f"{path.name}: stderr output (warnings) in a committed notebook")
    # one parameters cell sets DATA (None = the bundled demo pilot)
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assert re.search(r"^DATA\s*=\s*None\b", "".join(params[0]["source"]), flags=re.M)
    # output comparison is switched off only for figures and timings
    for c in code:
        tags = c.get("metadata", {}).get("tags", [])
        if "nbval-ignore-output" in tags:
            src = "".join(c["source"])
            assert re.search(r"plots\.|\.plot\(|%%?time", src), (
                f"{path.name}: nbval-ignore-output on a cell that is not a figure or timing:\n{src}"
            )
        assert "nbval-skip" not in tags, f"{path.name}: skipped cell"


def test_public_functions_are_not_shadowed_by_their_subpackages():
    # ``we.compare_all`` imports the ``compare`` subpackage, which would set the package
    # attribute ``compare`` to the module; the notebooks call ``we.compare`` after it.
    code = (
        "import wattelt_eval as we; we.compare_all; we.balance; "
        "assert callable(we.compare) and we.compare.__name__ == 'compare', we.compare; "
        "assert callable(we.outcomes)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_sees_the_parameters(path):
    # the parameters cell is what `papermill -p DATA my_pilot/` replaces
    from papermill.inspection import inspect_notebook

    params = inspect_notebook(str(path))
    assert {"DATA", "SEED", "LANG"} <= set(params), params
    assert params["DATA"]["default"] == "None"
    assert params["LANG"]["default"].strip("'\"") in ("nl", "en")
