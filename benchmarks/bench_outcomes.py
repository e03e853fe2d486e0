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
validation: schema, BSN guard, cross-table checks) and with :func:`read_compact` (parquet
straight into canonical dtypes, text columns of the child tables as categoricals), and
``we.outcome_set`` is checked to give identical tables on both. Larger sizes use the
compact reader only: ``we.load`` keeps every text column as Arrow strings and validates
every cell, which at 1M trajectories (90M domain-score rows) takes many minutes and
more memory than this machine has to spare. The outcome timings are for the compact
input.

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

#: Child tables read compactly (their text columns as categoricals).
CHILD_TABLES = ("contacts", "goals", "domain_scores", "provisions", "staff_time")


def read_compact(path: str | Path) -> Any:
    """Read a parquet package into a :class:`PilotData` without validation, compactly.

    The trajectories are put in canonical form (:func:`wattelt_eval.schema.coerce_table`).
    The child tables are read one column at a time (so at most one column is held twice)
    and kept compact, every value unchanged: text columns as dictionary-encoded
    categoricals (a trajectory id repeated 90 times is stored once), whole numbers in the
    smallest nullable integer dtype that holds them, decimals as float32 where every value
    survives the round trip exactly, dates as ``datetime64[ns]``. Row numbers follow
    ``we.load`` (header = row 1). ``we.outcome_set`` gives the same tables on this as on
    ``we.load`` output (checked at 100k by this script).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from wattelt_eval import schema
    from wattelt_eval.data import PilotData, StudySettings
    from wattelt_eval.io import read_study_toml

    path = Path(path)
    mapper = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    tables = {}
    for name, table in schema.TABLES.items():
        file = path / f"{name}.parquet"
        if name not in CHILD_TABLES:
            df = pq.read_table(file).to_pandas(self_destruct=True, types_mapper=mapper)
            df.index = pd.RangeIndex(2, 2 + len(df), name="row")
            tables[name] = schema.coerce_table(name, df)
            continue
        present = set(pq.read_schema(file).names)
        n_rows = pq.read_metadata(file).num_rows
        columns = {}
        for col in table.columns:
            if col.name in present:
                text = [col.name] if col.type in ("str", "enum") else None
                pt = pq.read_table(file, columns=[col.name], read_dictionary=text)
                s = pt.column(0).to_pandas(types_mapper=mapper)
                del pt
            else:
                s = pd.Series(pd.NA, index=pd.RangeIndex(n_rows), dtype="object")
            columns[col.name] = _compact(s, col.type)
            del s
            _release_reader_memory()
        df = pd.DataFrame(columns, copy=False)
        del columns
        df.index = pd.RangeIndex(2, 2 + len(df), name="row")
        tables[name] = df
    study = StudySettings.from_dict(read_study_toml(path / "study.toml"))
    _release_reader_memory()
    return PilotData(**tables, study=study)


def _compact(s: Any, kind: str) -> Any:
    """One child-table column in its compact dtype (values unchanged; see :func:`read_compact`)."""
    import pandas as pd

    if kind == "date":
        return s.astype("datetime64[ns]")
    if kind in ("str", "enum"):
        if not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("string").astype("category")
        _drop_hash_table(s.cat.categories)
        return s
    if kind == "int":
        return _smallest_int(s.astype("Int64"))
    if kind == "float":
        return _float32_if_exact(s.astype("float64"))
    if kind == "bool":
        return s.astype("boolean")
    return s


def _smallest_int(s: Any) -> Any:
    """``s`` (nullable Int64) in the smallest nullable integer dtype that holds every value."""
    import numpy as np

    values = s.dropna()
    if len(values) == 0:
        return s.astype("Int8")
    lo, hi = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return s.astype(f"Int{info.bits}")
    return s


def _float32_if_exact(s: Any) -> Any:
    """``s`` (float64) as float32 when every value survives the round trip exactly."""
    import numpy as np

    a = s.to_numpy()
    b = a.astype(np.float32)
    same = (b.astype(np.float64) == a) | np.isnan(a)
    return s.astype("float32") if bool(same.all()) else s


def _drop_hash_table(index: Any) -> None:
    """Drop the hash table pandas caches on a categorical's categories.

    Building a ``Categorical`` checks that its categories are unique, and pandas keeps
    the hash table of that check (``Index._engine``: one Python string object plus a
    hash slot per category) for the life of the column. For 12M goal ids that is about
    1 GiB, more than the column itself; it is rebuilt on demand if a lookup needs it.
    ``Index._cache`` is pandas' private memo of ``cache_readonly`` properties: clearing
    it changes no value.
    """
    cache = getattr(index, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _release_reader_memory() -> None:
    """Return what reading freed to the OS: Arrow's pool and the glibc heap (Linux).

    The Arrow buffers were handed over to pandas (``self_destruct``) and the dtype
    conversions freed their sources, but both allocators keep the pages unless asked.
    """
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


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
