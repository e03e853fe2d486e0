"""Benchmark of the synthetic pilot generator at national scale (issue 3).

For each size (default 1,000,000 trajectories) a fresh Python process runs
:func:`wattelt_eval.synth.write` with ``format="parquet"``: all six tables with every
row, streamed block by block (:data:`wattelt_eval.synth.BLOCK_SIZE` trajectories per
block) to parquet, plus the truth (``truth.json`` with the superpopulation truth of a
200k internal draw, and the potential outcomes). The script prints wall seconds, peak
resident memory (the child's ``ru_maxrss``), rows per table and the size on disk.

Usage::

    python benchmarks/bench_synth.py                          # 1M trajectories
    python benchmarks/bench_synth.py --sizes 100000 1000000
    python benchmarks/bench_synth.py --json benchmarks/results/bench_synth.json

The package is written to a temporary folder (``--out`` to keep it) and removed after.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED = 20250101
GIB = 1024**3

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from wattelt_eval import synth
t1 = time.perf_counter()
out = Path(sys.argv[1]); n = int(sys.argv[2]); seed = int(sys.argv[3])
synth.write(out, n_trajectories=n, seed=seed, format="parquet", truth=True)
t2 = time.perf_counter()
import pyarrow.parquet as pq
rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(out.glob("*.parquet"))}
print(json.dumps({"import_seconds": t1 - t0, "write_seconds": t2 - t1, "rows": rows,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def run_one(n: int, out: Path, seed: int = SEED) -> dict[str, Any]:
    """Generate ``n`` trajectories to parquet in a fresh process; return the measurements."""
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), str(n), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"generator failed for n={n}:\n{proc.stderr}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["n_trajectories"] = n
    res["wall_seconds"] = wall
    res["disk_bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    res["total_rows"] = int(sum(res["rows"].values()))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=None, help="keep the packages here")
    ap.add_argument("--json", type=Path, default=None, help="write the results as JSON")
    args = ap.parse_args(argv)
    base = args.out or Path(tempfile.mkdtemp(prefix="bench_synth_"))
    results = []
    try:
        for n in args.sizes:
            r = run_one(n, base / f"synth_{n}", args.seed)
            results.append(r)
            print(
                f"n={n:>9,d}  wall {r['wall_seconds']:7.1f} s  (write {r['write_seconds']:7.1f} s)  "
                f"peak {r['peak_rss_bytes'] / GIB:5.2f} GiB  rows {r['total_rows']:>12,d}  "
                f"disk {r['disk_bytes'] / 1024**2:8.1f} MiB"
            )
            for name, k in r["rows"].items():
                print(f"    {name:15s} {k:>12,d}")
    finally:
        if args.out is None:
            shutil.rmtree(base, ignore_errors=True)
    if args.json:
        import os

        meta = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
