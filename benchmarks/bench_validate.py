"""Benchmark of ``we.validate`` and ``we.load`` on a large pilot data package (issue 2).

Generates a synthetic pilot (:func:`wattelt_eval.synth.generate`, default 100,000
trajectories, all six tables), writes it with :func:`wattelt_eval.io.write_package`
as a folder of CSV files and as a folder of parquet files in a temporary folder, and
times, for each format, ``validate`` (every check, problem list) and ``load``
(checks plus the canonical tables). Prints rows, wall and CPU seconds (CPU time is
the fairer figure on a shared machine) and peak memory.

``validate`` and ``load`` run in a fresh Python process per format (reading the
package from disk, as a user would), so the peak memory reported for them is
theirs alone, not that of generating the synthetic pilot.

Usage::

    python benchmarks/bench_validate.py                      # 100,000 trajectories
    python benchmarks/bench_validate.py --n 10000 --formats parquet
    python benchmarks/bench_validate.py --json benchmarks/results/bench_validate.json
    python benchmarks/bench_validate.py --n 100000 --packages DIR/parquet DIR/csv
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import wattelt_eval as we
from wattelt_eval.io import write_package
from wattelt_eval.synth import generate

SEED = 20250101


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(n: int, formats: list[str], seed: int = SEED) -> dict[str, Any]:
    t0 = time.perf_counter()
    data = generate(n_trajectories=n, seed=seed, superpopulation=None)
    gen_s = time.perf_counter() - t0
    rows = {name: len(df) for name, df in data.tables.items()}
    out: dict[str, Any] = {
        "n_trajectories": n,
        "rows": rows,
        "total_rows": sum(rows.values()),
        "generate_seconds": round(gen_s, 2),
        "formats": {},
    }
    print(
        f"{n:,} trajectories, {sum(rows.values()):,} rows in all tables "
        f"({', '.join(f'{k} {v:,}' for k, v in rows.items())}); generated in {gen_s:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        written = {}
        for fmt in formats:
            t0 = time.perf_counter()
            written[fmt] = write_package(data, Path(tmp) / fmt, format=fmt)
            out["formats"][fmt] = {"write_seconds": round(time.perf_counter() - t0, 2)}
        out["generate_peak_rss_bytes"] = _peak_rss()
        del data  # the child processes below should not share the machine with it
        gc.collect()
        for fmt, path in written.items():
            out["formats"][fmt].update(measure_in_child(path, n))
            _print(fmt, out["formats"][fmt])
    print(f"peak memory of generating and writing {out['generate_peak_rss_bytes'] / 2**30:.2f} GiB")
    return out


def measure_in_child(path: str | Path, n: int) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process; adds the package's size on disk."""
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--n", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    size = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
    return {**json.loads(proc.stdout.splitlines()[-1]), "disk_bytes": size}


def _print(fmt: str, res: dict[str, Any]) -> None:
    print(
        f"{fmt:8s} validate {res['validate_seconds']:6.1f} s (cpu {res['validate_cpu_seconds']:5.1f} s)"
        f"   load {res['load_seconds']:6.1f} s (cpu {res['load_cpu_seconds']:5.1f} s)   "
        f"peak {res['peak_rss_bytes'] / 2**30:.2f} GiB   ({res['disk_bytes'] / 1e6:,.0f} MB on disk; "
        f"{res['errors']} errors, {res['warnings']} warnings)"
    )


def measure(path: str, n: int) -> dict[str, Any]:
    """Validate, then load, the package at ``path`` (run in a fresh process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    problems = we.validate(path)
    validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    loaded = we.load(path)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(loaded.trajectories) == n
    return {
        "validate_seconds": round(validate_s, 2),
        "validate_cpu_seconds": round(validate_cpu, 2),
        "load_seconds": round(load_s, 2),
        "load_cpu_seconds": round(load_cpu, 2),
        "errors": int((problems["severity"] == "error").sum()),
        "warnings": int((problems["severity"] == "warning").sum()),
        "peak_rss_bytes": _peak_rss(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of trajectories")
    ap.add_argument(
        "--formats", nargs="+", default=["parquet", "csv"], choices=["csv", "parquet", "xlsx"]
    )
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument(
        "--packages",
        nargs="+",
        type=Path,
        help="time these package folders (written before, --n trajectories each) "
        "instead of generating one",
    )
    ap.add_argument(
        "--measure", help=argparse.SUPPRESS
    )  # internal: time one package in this process
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.n)))
        return
    if args.packages:  # time packages already on disk (no generation in this run)
        res: dict[str, Any] = {"n_trajectories": args.n, "formats": {}}
        for pkg in args.packages:
            kind = "parquet" if any(pkg.glob("*.parquet")) else "csv"
            res["formats"][kind] = measure_in_child(pkg, args.n)
            _print(kind, res["formats"][kind])
    else:
        res = run(args.n, args.formats, args.seed)
    if args.json:
        meta = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": __import__("os").cpu_count(),
            "seed": args.seed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": [res]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
