"""National scale through the user's own path (issue 17): package vs a DuckDB-SQL reference.

For each parquet package (``--packages``; made with ``wattelt-eval synth --n N --format
parquet``) the script runs, each stage in a fresh child process so stages do not mask each
other's memory (peak = the child's ``ru_maxrss``):

* ``validate``     ``we.validate(path)`` (what ``wattelt-eval validate`` runs);
* ``load``         ``we.load(path)`` (read, check, build);
* ``outcomes``     ``we.load`` + ``we.outcome_set`` (what ``wattelt-eval outcomes`` runs);
* ``duckdb``       an independent DuckDB-SQL computation, on the same files, of the
                   outcomes of two of the four sections of issue 17: tellings
                   (``n_tellings``) and window costs (``cost_staff``,
                   ``cost_provisions``), per ``docs/outcomes.md`` sections 3 and 4. Goal
                   lineage and domain monitoring are not in the reference (yet), so the
                   reference does less work than the package: the ratios are conservative.

With ``--check`` (default for packages up to 200k trajectories) the ``outcomes`` child
also compares the package's ``n_tellings``, ``cost_staff`` and ``cost_provisions`` with
the reference, trajectory by trajectory (a real check of both).

Printed per package and stage: wall seconds, CPU seconds, peak GiB, and the ratio of each
package stage to the DuckDB reference (wall). The 2-core machine is shared: wall times
depend on the load (``load_average`` is recorded); CPU seconds are steadier.

Usage::

    python benchmarks/bench_scale.py --packages /work/scale_data/p100000 /work/scale_data/p1000000 \\
        --json benchmarks/results/bench_scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
STAGES = ("validate", "load", "outcomes", "duckdb")


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --------------------------------------------------------------------------- reference


def reference_sql(path: Path, window_days: int, rates: dict[str, float]) -> str:
    """The DuckDB SQL of the reference: one row per trajectory (see the module docstring)."""
    p = str(path).replace("'", "''")
    rate_rows = ", ".join(f"('{r}', {float(v)!r})" for r, v in rates.items()) or "(NULL, NULL)"
    w = int(window_days)
    return f"""
WITH tr AS (
    SELECT trajectory_id, start_date::DATE AS s, (start_date::DATE + {w} - 1) AS e
    FROM read_parquet('{p}/trajectories.parquet')
),
c AS (
    SELECT trajectory_id, organisation, contact_type, story_told, plan_available,
           row_number() OVER (PARTITION BY trajectory_id ORDER BY date, contact_id) AS k
    FROM read_parquet('{p}/contacts.parquet')
    WHERE date IS NOT NULL AND contact_type IS NOT NULL
),
first_org AS (
    SELECT trajectory_id, organisation, min(k) AS k0 FROM c
    WHERE organisation IS NOT NULL GROUP BY ALL
),
tell AS (
    SELECT c.trajectory_id,
           sum(CASE WHEN c.story_told THEN 1
                    WHEN c.story_told IS NULL AND c.contact_type IN ('intake', 'assessment')
                         AND (c.organisation IS NULL OR f.k0 = c.k)
                         AND NOT coalesce(c.plan_available, false) THEN 1
                    ELSE 0 END) AS n_tellings
    FROM c LEFT JOIN first_org f
      ON f.trajectory_id = c.trajectory_id AND f.organisation = c.organisation
    GROUP BY ALL
),
rates(role, rate) AS (VALUES {rate_rows}),
staff AS (
    SELECT st.trajectory_id, sum(st.minutes * r.rate / 60) AS cost_staff
    FROM read_parquet('{p}/staff_time.parquet') st
    JOIN tr USING (trajectory_id)
    JOIN rates r ON r.role = st.role
    WHERE st.date::DATE BETWEEN tr.s AND tr.e AND st.minutes IS NOT NULL
    GROUP BY ALL
),
pv AS (
    SELECT pv.trajectory_id, pv.start_date::DATE AS ps,
           coalesce(pv.end_date::DATE, tr.e) AS pe, tr.s, tr.e,
           pv.amount,
           pv.volume * coalesce(pv.unit_price, CASE WHEN pv.unit = 'euro' THEN 1 END) AS vp,
           coalesce(pv.frequency, 'total') AS freq
    FROM read_parquet('{p}/provisions.parquet') pv JOIN tr USING (trajectory_id)
    WHERE pv.start_date IS NOT NULL AND pv.category IS NOT NULL
),
pv2 AS (
    SELECT *, greatest(0, date_diff('day', greatest(ps, s), least(pe, e)) + 1) AS inside,
           date_diff('day', ps, pe) + 1 AS days
    FROM pv WHERE pe >= ps
),
prov AS (
    SELECT trajectory_id,
           sum(CASE WHEN amount IS NOT NULL THEN amount / days * inside
                    WHEN freq = 'per_week' THEN vp / 7 * inside
                    WHEN freq = 'per_month' THEN vp / 30.4375 * inside
                    ELSE vp / days * inside END) AS cost_provisions
    FROM pv2 WHERE inside > 0 GROUP BY ALL
)
SELECT tr.trajectory_id, tell.n_tellings,
       coalesce(staff.cost_staff, 0) AS cost_staff,
       coalesce(prov.cost_provisions, 0) AS cost_provisions
FROM tr
LEFT JOIN tell USING (trajectory_id)
LEFT JOIN staff USING (trajectory_id)
LEFT JOIN prov USING (trajectory_id)
ORDER BY tr.trajectory_id
"""


def run_reference(path: Path) -> Any:
    """The reference table (pandas) computed by DuckDB from the package's files."""
    import duckdb

    from wattelt_eval.data import StudySettings
    from wattelt_eval.io import read_study_toml

    study = StudySettings.from_dict(read_study_toml(path / "study.toml"))
    sql = reference_sql(path, study.cost_window_days, dict(study.rates))
    con = duckdb.connect()
    try:
        return con.execute(sql).df()
    finally:
        con.close()


# --------------------------------------------------------------------------- stages


def _stage(stage: str, path: str, check: bool) -> dict[str, Any]:
    """One stage in this (child) process; returns its figures."""
    import wattelt_eval as we

    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {"stage": stage}
    if stage == "validate":
        problems = we.validate(path)
        out["errors"] = int((problems["severity"] == "error").sum())
        out["warnings"] = int((problems["severity"] == "warning").sum())
    elif stage == "load":
        data = we.load(path)
        out["rows"] = {k: len(data[k]) for k in ("trajectories", "goals", "domain_scores")}
    elif stage == "outcomes":
        data = we.load(path)
        out["load_seconds"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = we.outcome_set(data)
        out["outcome_set_seconds"] = time.perf_counter() - t1
        out["trajectories"] = len(res.table)
        if check:
            out["check"] = _compare(res.table, run_reference(Path(path)))
    elif stage == "duckdb":
        ref = run_reference(Path(path))
        out["trajectories"] = len(ref)
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - c0
    out["peak_bytes"] = _peak_bytes()
    return out


def _compare(table: Any, ref: Any) -> dict[str, Any]:
    """Largest differences between the package's outcome table and the reference."""
    import numpy as np

    m = table.merge(ref, on="trajectory_id", how="outer", suffixes=("", "_ref"))
    res: dict[str, Any] = {"trajectories": len(m)}
    for c in ("n_tellings", "cost_staff", "cost_provisions"):
        a = m[c].astype("float64").to_numpy()
        b = m[f"{c}_ref"].astype("float64").to_numpy()
        both_missing = np.isnan(a) & np.isnan(b)
        diff = np.abs(a - b)
        res[c] = {
            "max_abs_diff": float(np.nanmax(diff)) if (~np.isnan(diff)).any() else 0.0,
            "n_different": int(((diff > 1e-6) | (np.isnan(a) != np.isnan(b))).sum()),
            "n_both_missing": int(both_missing.sum()),
        }
    return res


def run_stage(stage: str, path: Path, check: bool) -> dict[str, Any]:
    """``stage`` in a fresh Python process; its JSON result."""
    cmd = [sys.executable, __file__, "--child", stage, str(path)] + (["--check"] if check else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"stage": stage, "failed": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _n_trajectories(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path / "trajectories.parquet").num_rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="+", type=Path, default=[])
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="compare with the reference")
    ap.add_argument("--child", nargs=2, metavar=("STAGE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_stage(args.child[0], args.child[1], args.check)))
        return 0
    results: dict[str, Any] = {
        "meta": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "packages": [],
    }
    for path in args.packages:
        n = _n_trajectories(path)
        check = args.check or n <= 200_000
        rows = []
        for stage in args.stages:
            r = run_stage(stage, path, check and stage == "outcomes")
            r["load_average"] = os.getloadavg()[0]
            rows.append(r)
            print(_line(n, r), flush=True)
        ref = next((r for r in rows if r["stage"] == "duckdb" and "seconds" in r), None)
        for r in rows:
            if ref and "seconds" in r and r is not ref:
                r["ratio_to_duckdb"] = r["seconds"] / ref["seconds"]
                r["cpu_ratio_to_duckdb"] = r["cpu_seconds"] / ref["cpu_seconds"]
        for r in rows:
            if "ratio_to_duckdb" in r:
                print(f"  {r['stage']:<9} {r['ratio_to_duckdb']:.1f}x DuckDB (wall)")
        results["packages"].append({"path": str(path), "n_trajectories": n, "stages": rows})
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def _line(n: int, r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"{n:>9,} {r['stage']:<9} FAILED {r['failed'][-300:]}"
    extra = f" check={r['check']}" if "check" in r else ""
    return (
        f"{n:>9,} {r['stage']:<9} {r['seconds']:8.1f} s  cpu {r['cpu_seconds']:8.1f} s  "
        f"peak {r['peak_bytes'] / GIB:5.2f} GiB{extra}"
    )


if __name__ == "__main__":
    sys.exit(main())
