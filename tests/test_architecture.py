"""The package's map holds: stages in order, no stage reaches back, the CLI apart, lazy import.

docs/architecture.md shows the same map; this test is what keeps it true.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "wattelt_eval"

#: rank of each top-level part of the package; a module may import only parts of equal or
#: lower rank (docs/architecture.md, "The map").
RANK: dict[str, int] = {
    "_version": 0,
    "progress": 0,
    "errors": 0,
    "i18n": 0,
    "schema": 1,
    "instruments": 1,
    "bsn": 1,
    "data": 2,
    "io": 2,
    "disclosure": 3,
    "validation": 4,
    "templates": 4,
    "pooling": 4,
    "synth": 5,
    "outcome": 6,
    "privacy": 6,
    "lineage": 6,
    "estimation": 7,
    "implementation": 7,
    "plots": 8,
    "report": 9,
    "cli": 10,
    "__init__": 11,
    "__main__": 11,
}

HEAVY = ("statsmodels", "scipy", "matplotlib", "seaborn", "papermill", "openpyxl", "nbformat")


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        package = parts
    else:
        package = parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(ln, n) for ln, n in out if n == "wattelt_eval" or n.startswith("wattelt_eval.")]


def test_no_stage_reaches_back_and_no_library_module_imports_the_cli():
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent)
        me = _part(".".join(rel.with_suffix("").parts))
        if rel.name == "__init__.py" and rel.parent == Path("wattelt_eval"):
            me = "__init__"
        for line, target in _imports(path):
            them = _part(target) if target != "wattelt_eval" else "__init__"
            if them == me:
                continue
            if them not in RANK or me not in RANK:
                bad.append(f"{rel}:{line} {target} (part not on the map)")
            elif RANK[them] > RANK[me]:
                bad.append(f"{rel}:{line} imports {target} ({me} ranks below {them})")
    assert not bad, "\n".join(bad)


def test_import_is_lazy():
    code = (
        "import sys, wattelt_eval as we; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules)); "
        "print(callable(we.compare), callable(we.outcomes))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, callables = out.stdout.splitlines()
    assert heavy == ""
    assert callables == "True True"


def test_no_public_function_shares_a_name_with_a_module():
    import wattelt_eval as we

    # command modules (cli/compare.py, ...) are named after their command and never become
    # attributes of the package; every other module and package counts
    lib = [p for p in PKG.rglob("*") if "cli" not in p.relative_to(PKG).parts]
    modules = {p.stem for p in lib if p.suffix == ".py"} | {p.name for p in lib if p.is_dir()}
    functions = {
        n for n in we.__all__ if callable(getattr(we, n)) and not isinstance(getattr(we, n), type)
    }
    functions -= {n for n in functions if type(getattr(we, n)).__name__ == "module"}
    assert not functions & modules, functions & modules
