"""Benchmark of ``we.validate`` and ``we.load`` on a large pilot data package (issue 2).

Generates a synthetic pilot (:func:`wattelt_eval.synth.generate`, default 100,000
trajectories, all six tables), writes it with :func:`wattelt_eval.io.write_package`
as a folder of CSV files and as a folder of parquet files in a temporary folder, and
times, for each format, ``validate`` (every check, problem list) and ``load``
(checks plus the canonical tables). Prints rows, wall and CPU seconds (CPU time is
the fairer figure on a shared machine) and peak memory.

Usage::

    python benchmarks/bench_validate.py                      # 100,000 trajectories
    python benchmarks/bench_validate.py --n 10000 --formats parquet
    python benchmarks/bench_validate.py --json benchmarks/results/bench_validate.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
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
    out: dict[str, Any] = {"n_trajectories": n, "rows": rows, "total_rows": sum(rows.values()),
                           "generate_seconds": round(gen_s, 2), "formats": {}}
    print(f"{n:,} trajectories, {sum(rows.values()):,} rows in all tables "
          f"({', '.join(f'{k} {v:,}' for k, v in rows.items())}); generated in {gen_s:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            t0 = time.perf_counter()
            path = write_package(data, Path(tmp) / fmt, format=fmt)
            write_s = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
            t0, c0 = time.perf_counter(), time.process_time()
            problems = we.validate(path)
            validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            loaded = we.load(path)
            load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
            assert len(loaded.trajectories) == n
            n_err = int((problems["severity"] == "error").sum())
            n_warn = int((problems["severity"] == "warning").sum())
            res = {"write_seconds": round(write_s, 2), "validate_seconds": round(validate_s, 2),
                   "validate_cpu_seconds": round(validate_cpu, 2), "load_seconds": round(load_s, 2),
                   "load_cpu_seconds": round(load_cpu, 2), "disk_bytes": size, "errors": n_err,
                   "warnings": n_warn}
            out["formats"][fmt] = res
            print(f"{fmt:8s} validate {validate_s:6.1f} s (cpu {validate_cpu:5.1f} s)   "
                  f"load {load_s:6.1f} s (cpu {load_cpu:5.1f} s)   "
                  f"({size / 1e6:,.0f} MB on disk; {n_err} errors, {n_warn} warnings)")
    out["peak_rss_bytes"] = _peak_rss()
    print(f"peak memory {out['peak_rss_bytes'] / 2**30:.2f} GiB")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of trajectories")
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"], choices=["csv", "parquet", "xlsx"])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    res = run(args.n, args.formats, args.seed)
    if args.json:
        meta = {"python": platform.python_version(), "machine": platform.machine(),
                "cpus": __import__("os").cpu_count(), "seed": args.seed}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": [res]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
