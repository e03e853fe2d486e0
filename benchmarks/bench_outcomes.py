"""Benchmark of ``we.load`` (parquet) and ``we.outcome_set`` at national scale.

For each size (default 100k and 1M trajectories) the script

1. generates a synthetic pilot with :func:`wattelt_eval.synth.write` as a parquet package
   (streamed block by block) and caches it in ``bench_data/synth_<n>/`` (gitignored);
2. starts a fresh Python process per size that times ``we.load`` (read, check, build)
   and ``we.outcome_set`` stage by stage (one stage per input table: trajectories,
   goals, contacts, provisions + staff time, domain scores; then the exclusion log
   and the flow), and prints wall seconds and peak resident memory per stage and in
   total. ``outcome_set`` runs ``--repeat`` times (default 3) on the same input; the
   totals and the 1M / 100k ratio use the median run (single runs on a shared machine
   vary by 10-20 %), the stage rows are the first run's.

Peak memory per stage is the kernel's high-water mark of the process (``VmHWM``),
reset before each stage through ``/proc/self/clear_refs`` (Linux); where that is not
possible it falls back to the running ``ru_maxrss`` (peak so far). Each figure is the
whole process's resident memory (interpreter, loaded package and everything still
alive), not only what the stage added. The process peak is the largest of them.

Readers: sizes up to ``--full-load-max`` (100k) are read twice, with ``we.load`` (full
validation: schema, BSN guard, cross-table checks; compact automatically for large
tables) and with :func:`read_compact` (``we.load(path, compact=True)``: the child tables'
text dictionary-encoded, numbers narrowed; formerly a benchmark-only reader without
validation, issue 17 moved it into the package), and ``we.outcome_set`` is checked to give
identical tables on both. Larger sizes use :func:`read_compact` only. The national-scale
comparison with a DuckDB-SQL reference is ``benchmarks/bench_scale.py``.

Targets (issue 4, on the 2-core development machine): 1M trajectories in under 60 s
and under 8 GiB peak for the outcome table, and 1M at most 12x the 100k time.

Usage::

    python benchmarks/bench_outcomes.py                   # 100k and 1M
    python benchmarks/bench_outcomes.py --sizes 100000    # one size
    python benchmarks/bench_outcomes.py --json benchmarks/results/bench_outcomes.json
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "bench_data"
SEED = 20250101
GIB = 1024**3

#: Targets of issue 4.
TARGET_SECONDS_1M = 60.0
TARGET_PEAK_GIB_1M = 8.0
TARGET_RATIO = 12.0

# --------------------------------------------------------------------------- memory


def _hwm_bytes() -> int:
    """Peak resident set of this process since the last reset (VmHWM), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return _maxrss_bytes()


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _reset_hwm() -> bool:
    """Reset VmHWM (Linux ``clear_refs`` 5); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class _Timer:
    """Collects (stage, seconds, peak bytes) for wrapped functions; nested calls are skipped."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.depth = 0
        self.can_reset = _reset_hwm()

    def wrap(self, module: Any, name: str, label: str) -> None:
        fn = getattr(module, name)

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            _reset_hwm()
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                self.rows.append({"stage": label, "seconds": dt, "peak_bytes": _hwm_bytes()})
                self.depth -= 1

        setattr(module, name, inner)


# --------------------------------------------------------------------------- readers


def read_compact(path: str | Path) -> Any:
    """``we.load(path, compact=True)``: the package's own compact reading path (issue 17).

    It used to be a benchmark-only reader without validation; the same compact form (text
    dictionary-encoded, numbers narrowed, values unchanged) is now what ``we.load`` gives
    for large parquet packages, with every check (``docs/scale.md``).
    """
    import wattelt_eval as we

    return we.load(path, compact=True)


# --------------------------------------------------------------------------- worker


def _worker(path: str, n: int, reader: str, repeat: int = 3) -> dict[str, Any]:
    """Time reading and outcome_set on one package in this (fresh) process.

    ``reader``: ``we.load`` (full validation), ``compact`` (:func:`read_compact`) or
    ``both`` (``we.load`` timed, ``compact`` timed, outcome sets compared).
    """
    import importlib

    import wattelt_eval as we

    # ``we.outcomes`` is the function; the modules are taken from importlib
    om = importlib.import_module("wattelt_eval.outcome.tables")
    vm = importlib.import_module("wattelt_eval.validation")

    timer = _Timer()
    for name, label in [
        ("read_package", "load: read parquet"),
        ("_check", "load: check (schema, BSN guard, cross-table)"),
        ("_render", "load: render problems"),
        ("_build", "load: build PilotData"),
    ]:
        if hasattr(vm, name):
            timer.wrap(vm, name, label)
    for name, label in [
        ("_prepare_trajectories", "outcomes: trajectories"),
        ("_goal_outcomes", "outcomes: goals (lineage)"),
        ("_telling_outcomes", "outcomes: contacts (tellings)"),
        ("_cost_outcomes", "outcomes: provisions + staff_time (costs)"),
        ("_domain_outcomes", "outcomes: domain_scores (monitoring)"),
        ("_combine_logs", "outcomes: exclusion log"),
        ("_flow", "outcomes: flow"),
    ]:
        timer.wrap(om, name, label)
    om._Log.frame = _timed_method(timer, om._Log.frame, "outcomes: exclusion log (rows)")

    loads = {}
    data = None
    for name in ["we.load", "compact"] if reader == "both" else [reader]:
        data = None
        k0 = len(timer.rows)
        _reset_hwm()
        t0, c0 = time.perf_counter(), time.process_time()
        data = we.load(path) if name == "we.load" else read_compact(path)
        loads[name] = {
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
            "peak_bytes": max([_hwm_bytes()] + [r["peak_bytes"] for r in timer.rows[k0:]]),
        }
        if reader == "both" and name == "we.load":
            k = len(timer.rows)
            reference = we.outcome_set(data)
            del timer.rows[k:]
    rows_in = {
        t: len(data[t])
        for t in ("trajectories", "contacts", "goals", "domain_scores", "provisions", "staff_time")
    }

    # ``repeat`` runs on the same input: wall time on a shared machine varies by 10-20 %
    # from run to run, so the totals are medians; the stage rows are those of the first run.
    runs = []
    for k in range(repeat):
        res = None  # the previous result is not held while the next one is computed
        k_rows = len(timer.rows)
        _reset_hwm()
        t1, c1 = time.perf_counter(), time.process_time()
        res = we.outcome_set(data)
        runs.append(
            {
                "seconds": time.perf_counter() - t1,
                "cpu_seconds": time.process_time() - c1,
                "peak_bytes": max([_hwm_bytes()] + [r["peak_bytes"] for r in timer.rows[k_rows:]]),
            }
        )
        if k:
            del timer.rows[k_rows:]
    t_out = statistics.median(r["seconds"] for r in runs)
    cpu_out = statistics.median(r["cpu_seconds"] for r in runs)
    peak_out = max(r["peak_bytes"] for r in runs)
    assert len(res.table) == n, (len(res.table), n)
    same = None
    if reader == "both":
        keys = ("table", "exclusions", "flow", "domain_changes", "cohort_domains", "gaps")
        for k in keys:
            _assert_same_frame(getattr(res, k), getattr(reference, k))
        same = ", ".join(keys) + " identical for we.load and compact input"
    last = list(loads)[-1]
    return {
        "n_trajectories": n,
        "rows_in": rows_in,
        "rows_out": {
            "table": len(res.table),
            "exclusions": len(res.exclusions),
            "domain_changes": len(res.domain_changes),
            "gaps": len(res.gaps),
        },
        "stages": timer.rows,
        "reader": last,
        "loads": loads,
        "load_seconds": loads[last]["seconds"],
        "load_peak_bytes": loads[last]["peak_bytes"],
        "outcomes_seconds": t_out,
        "outcomes_cpu_seconds": cpu_out,
        "outcomes_peak_bytes": peak_out,
        "outcomes_runs": runs,
        "total_seconds": loads[last]["seconds"] + t_out,
        "check": same,
        # clear_refs also resets ru_maxrss (both read the mm high-water mark): take the max
        "total_peak_bytes": max(
            [_hwm_bytes(), _maxrss_bytes(), peak_out]
            + [ld["peak_bytes"] for ld in loads.values()]
            + [r["peak_bytes"] for r in timer.rows]
        ),
        "per_stage_peak": "VmHWM reset per stage" if timer.can_reset else "ru_maxrss so far",
        "cpu_count": os.cpu_count(),
    }


def _assert_same_frame(left: Any, right: Any) -> None:
    """``assert_frame_equal``, with categorical columns compared by categories and codes.

    (pandas compares millions of categorical values one by one, about 40 s per column
    at 4M rows; the categories and codes are the same thing, compared in milliseconds.)
    """
    import pandas as pd

    assert list(left.columns) == list(right.columns), (list(left.columns), list(right.columns))
    pd.testing.assert_index_equal(left.index, right.index)
    for c in left.columns:
        a, b = left[c], right[c]
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert a.dtype == b.dtype, c
            assert (a.cat.codes.to_numpy() == b.cat.codes.to_numpy()).all(), c
        else:
            pd.testing.assert_series_equal(a, b, obj=c)


def _timed_method(timer: _Timer, fn: Any, label: str) -> Any:
    @functools.wraps(fn)
    def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
        _reset_hwm()
        t0 = time.perf_counter()
        try:
            return fn(self, *args, **kwargs)
        finally:
            timer.rows.append(
                {"stage": label, "seconds": time.perf_counter() - t0, "peak_bytes": _hwm_bytes()}
            )

    return inner


# --------------------------------------------------------------------------- driver


def ensure_data(n: int, folder: Path) -> Path:
    """The cached parquet package of ``n`` trajectories, generated when absent."""
    path = folder / f"synth_{n}"
    if (path / "trajectories.parquet").exists() and (path / "staff_time.parquet").exists():
        return path
    tmp = folder / f"synth_{n}.tmp"
    print(f"generating {n:,} trajectories into {path} ...", flush=True)
    t0 = time.perf_counter()
    code = (
        "from wattelt_eval import synth; "
        f"synth.write({str(tmp)!r}, {n}, seed={SEED}, format='parquet', truth=False)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    tmp.rename(path)
    print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def run_size(n: int, folder: Path, reader: str, repeat: int = 3) -> dict[str, Any]:
    path = ensure_data(n, folder)
    # Arrow's default memory pool is used (mimalloc here); the system allocator was tried and
    # peaked higher at 1M (fragmentation), see docs/outcomes.md.
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            str(path),
            "--n",
            str(n),
            "--reader",
            reader,
            "--repeat",
            str(repeat),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gib(b: int) -> str:
    return f"{b / GIB:6.2f} GiB"


def print_result(r: dict[str, Any]) -> None:
    n = r["n_trajectories"]
    print(f"\n== {n:,} trajectories ==")
    print("input rows: " + ", ".join(f"{k} {v:,}" for k, v in r["rows_in"].items()))
    print(f"{'stage':52s} {'seconds':>8s} {'peak':>11s}")
    for s in r["stages"]:
        print(f"{s['stage']:52s} {s['seconds']:8.2f} {_gib(s['peak_bytes'])}")
    for name, ld in r["loads"].items():
        print(f"{'read: ' + name + ' (total)':52s} {ld['seconds']:8.2f} {_gib(ld['peak_bytes'])}")
    runs = r.get("outcomes_runs", [])
    label = (
        f"we.outcome_set (total, median of {len(runs)})"
        if len(runs) > 1
        else "we.outcome_set (total)"
    )
    print(f"{label:52s} {r['outcomes_seconds']:8.2f} {_gib(r['outcomes_peak_bytes'])}")
    if len(runs) > 1:
        print(
            "  runs: "
            + ", ".join(f"{x['seconds']:.2f} s (CPU {x['cpu_seconds']:.2f})" for x in runs)
        )
    print(
        f"{'read (' + r['reader'] + ') + outcomes (process peak)':52s} "
        f"{r['total_seconds']:8.2f} {_gib(r['total_peak_bytes'])}"
    )
    print(
        f"(outcome_set CPU {r['outcomes_cpu_seconds']:.1f} s; peak per stage: "
        f"{r['per_stage_peak']})"
    )
    if r["check"]:
        print(r["check"])


def check_targets(results: dict[int, dict[str, Any]]) -> list[str]:
    """Messages for the issue-4 targets (empty list when all are met or not applicable)."""
    lines = []
    big = results.get(1_000_000)
    small = results.get(100_000)
    if big:
        t, p = big["outcomes_seconds"], big["total_peak_bytes"] / GIB
        lines.append(
            f"1M outcome_set {t:.1f} s (target < {TARGET_SECONDS_1M:.0f} s): "
            + ("met" if t < TARGET_SECONDS_1M else "MISSED")
        )
        lines.append(
            f"1M process peak {p:.2f} GiB (target < {TARGET_PEAK_GIB_1M:.0f} GiB): "
            + ("met" if p < TARGET_PEAK_GIB_1M else "MISSED")
        )
        lines.append(f"1M load + outcome_set {big['total_seconds']:.1f} s (for information)")
    if big and small:
        ratio = big["outcomes_seconds"] / small["outcomes_seconds"]
        lines.append(
            f"outcome_set 1M / 100k time ratio {ratio:.1f} (target <= "
            f"{TARGET_RATIO:.0f}): " + ("met" if ratio <= TARGET_RATIO else "MISSED")
        )
        lr = big["load_seconds"] / small["load_seconds"]
        lines.append(f"load 1M / 100k time ratio {lr:.1f} (for information)")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="cache folder for packages")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    ap.add_argument(
        "--full-load-max",
        type=int,
        default=100_000,
        help="sizes up to this also run we.load (full validation) and check that "
        "outcome_set is identical on both readers; larger sizes use the "
        "compact reader only",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="outcome_set runs per size; totals and the ratio use their median",
    )
    ap.add_argument("--reader", default="both", help=argparse.SUPPRESS)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.n, args.reader, args.repeat)))
        return 0
    args.data.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in args.sizes:
        results[n] = run_size(
            n, args.data, "both" if n <= args.full_load_max else "compact", args.repeat
        )
        print_result(results[n])
    lines = check_targets(results)
    if lines:
        print("\n== targets ==")
        print("\n".join(lines))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({str(k): v for k, v in results.items()}, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
