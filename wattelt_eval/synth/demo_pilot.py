"""The bundled demo pilot: 600 trajectories shipped as a parquet package with ``truth/``.

See docs/synth.md, *The bundled demo pilot*.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..data import PilotData
from .api import generate
from .designs import PackageFormat
from .truth import read_truth, write_truth

#: Seed and size of the bundled demo pilot.
DEMO_SEED = 20250314
DEMO_N = 600

#: Format of the bundled demo package. Parquet keeps all 600 trajectories with every
#: row of the full model at about 0.4 MB (the same data as CSV take about 4.7 MB);
#: ``wattelt-eval synth --demo --out DIR --format csv`` writes a readable CSV copy.
DEMO_FORMAT: PackageFormat = "parquet"

_DEMO_NAME = "Demo-pilot (synthetisch) / demo pilot (synthetic)"


def demo_path() -> Path:
    """Folder of the bundled demo pilot package (parquet tables, ``study.toml``, ``truth/``)."""
    return Path(__file__).resolve().parent.parent / "demo"


def demo() -> PilotData:
    """The bundled demo pilot: 600 trajectories, two municipalities, eight teams.

    Loaded (and validated) from the package under :func:`demo_path`, with
    ``data.truth`` read from its ``truth/`` folder. The package was made by
    :func:`build_demo` (``generate(DEMO_N, seed=DEMO_SEED)``, concurrent design,
    default effects); a test checks that rebuilding gives the same data.

    Returns
    -------
    PilotData
        A fresh copy (safe to modify).
    """
    return demo_cached().copy()


@functools.lru_cache(maxsize=1)
def demo_cached() -> PilotData:
    """The bundled demo pilot, loaded once (do not modify: :func:`demo` gives a copy)."""
    from ..validation import load

    path = demo_path()
    data = load(path)
    data.truth = read_truth(path / "truth")
    return data


def _demo_generated() -> PilotData:
    data = generate(DEMO_N, seed=DEMO_SEED, design="concurrent")
    data.study.name = _DEMO_NAME
    return data


def build_demo(out: str | Path | None = None) -> Path:
    """Regenerate the bundled demo package from its fixed seed.

    ``generate(DEMO_N, seed=DEMO_SEED, design="concurrent")`` with default
    effects, written as parquet (:data:`DEMO_FORMAT`) with ``truth/``. Stale
    table files in ``out`` are removed first. The documented command is
    ``wattelt-eval synth --demo-rebuild`` (writes into :func:`demo_path`).

    Parameters
    ----------
    out : path, optional
        Target folder; default :func:`demo_path` (the package's own copy).

    Returns
    -------
    Path
        The folder written.
    """
    from ..io import write_package

    out = Path(out) if out is not None else demo_path()
    for old in list(out.glob("*.csv")) + list(out.glob("*.parquet")) + list(out.glob("truth/*")):
        old.unlink()
    data = _demo_generated()
    write_package(data, out, format=DEMO_FORMAT)
    write_truth(data.truth, out / "truth", DEMO_FORMAT)
    demo_cached.cache_clear()
    return out


def write_demo(path: str | Path, format: PackageFormat = "csv") -> Path:
    """Write a copy of the bundled demo pilot (tables + ``truth/``) to ``path``.

    Parameters
    ----------
    path : path
        Folder (``csv``, ``parquet``) or ``.xlsx`` file.
    format : {"csv", "xlsx", "parquet"}
        Package format of the copy.

    Returns
    -------
    Path
        The package written.
    """
    from ..io import write_package

    path = Path(path)
    data = demo_cached()
    out = write_package(data, path, format=format)
    folder = path.parent if format == "xlsx" else path
    write_truth(data.truth, folder / "truth", "parquet" if format == "parquet" else "csv")
    return out
