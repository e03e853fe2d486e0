"""Helpers for the validation/io/templates tests: the tiny valid package and CSV edits."""

from __future__ import annotations

import shutil
from pathlib import Path

TINY = Path(__file__).parent / "data" / "tiny_valid"


def copy_tiny(dest: Path) -> Path:
    """Copy ``tests/data/tiny_valid`` to ``dest`` (a fresh folder) and return it."""
    out = Path(dest) / "pkg"
    shutil.copytree(TINY, out)
    return out


def read_rows(path: Path) -> list[list[str]]:
    """A tiny_valid CSV as lists of fields (these files have no quoted commas)."""
    return [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]


def write_rows(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


def set_cell(pkg: Path, table: str, row: int, column: str, value: str) -> None:
    """Set the cell at user row ``row`` (header = 1) and ``column`` of ``table``.csv."""
    path = pkg / f"{table}.csv"
    rows = read_rows(path)
    j = rows[0].index(column)
    rows[row - 1][j] = value
    write_rows(path, rows)


def get_cell(pkg: Path, table: str, row: int, column: str) -> str:
    rows = read_rows(pkg / f"{table}.csv")
    return rows[row - 1][rows[0].index(column)]


def drop_column(pkg: Path, table: str, column: str) -> None:
    path = pkg / f"{table}.csv"
    rows = read_rows(path)
    j = rows[0].index(column)
    write_rows(path, [r[:j] + r[j + 1 :] for r in rows])


def add_column(pkg: Path, table: str, column: str, fill: str = "") -> None:
    path = pkg / f"{table}.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0] + [column]] + [r + [fill] for r in rows[1:]])


def drop_rows(pkg: Path, table: str, rows_to_drop: list[int]) -> None:
    path = pkg / f"{table}.csv"
    rows = read_rows(path)
    write_rows(path, [r for i, r in enumerate(rows, start=1) if i not in rows_to_drop])


def set_study(pkg: Path, key: str, value: str) -> None:
    """Replace ``key = ...`` in study.toml (``value`` is written as TOML text)."""
    path = pkg / "study.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [f"{key} = {value}" if ln.split("=")[0].strip() == key else ln for ln in lines]
    assert out != lines, f"no key {key}"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
