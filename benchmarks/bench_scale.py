"""National scale through the user's own path (issue 17): package vs a DuckDB-SQL reference.

For each parquet package (``--packages``; made with ``wattelt-eval synth --n N --format
parquet``) the script runs, each stage in a fresh child process so stages do not mask each
other's memory (peak = the child's ``ru_maxrss``):

* ``validate``     ``we.validate(path)`` (what ``wattelt-eval validate`` runs);
* ``load``         ``we.load(path)`` (read, check, build);
* ``outcomes``     ``we.load`` + ``we.outcome_set`` (what ``wattelt-eval outcomes`` runs);
* ``duckdb``       an independent DuckDB-SQL computation, on the same files, of the
                   outcomes of the four sections of issue 17 (``docs/outcomes.md``
                   sections 2-4, 6, 7): goal lineage (roots over ``derived_from``),
                   retention, ownership, achieved share and GAS; tellings; window
                   costs; domain monitoring (first vs latest per trajectory x rater x
                   domain, resident - professional gaps, and the per-trajectory domain
                   columns). It materialises the same three tables as Arrow tables:
                   per trajectory, ``domain_changes`` and ``gaps``.

With ``--check`` (default for packages up to 200k trajectories) the ``outcomes`` child,
after its figures are taken, compares every reference column with the package's, row by
row (trajectory; trajectory x rater x domain; trajectory x domain x measurement), and
records the number of differing cells and rows on one side only.

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
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
#: DuckDB's memory limit in the reference (it spills to a temporary folder beyond it)
DUCKDB_MEMORY = os.environ.get("BENCH_DUCKDB_MEMORY", "6GB")
#: Domain-score rows per block of trajectories in the reference
SCORE_BLOCK_ROWS = 10_000_000
STAGES = ("validate", "load", "outcomes", "duckdb")
STAGE_NAMES = ("intake", "plan", "specialist_plan", "review", "final")
AUTHORS = ("resident", "jointly", "professional", "informal_carer")
STATUSES = ("active", "achieved", "partly_achieved", "not_achieved", "dropped")
RATERS = ("resident", "professional", "informal_carer")


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --------------------------------------------------------------------------- reference


def _sql_list(values: Any) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def reference_sql(
    path: Path, window_days: int, rates: dict[str, float], instrument: Any
) -> dict[str, str]:
    """The DuckDB SQL of the reference, as ``{name: statement}`` (see :func:`_run_sql`).

    ``types``, ``tr`` and ``goal`` make the enum types, the trajectories (``tc``: number
    in ``trajectory_id`` order) and the counted goals with their lineage; ``score`` (a
    block of trajectories ``__LO__ <= tc < __HI__``), ``changes`` and ``gaps`` (SELECTs
    over that block) are run per block; ``table`` gives one row per trajectory,
    ``changes`` one per trajectory x rater x domain, ``gaps`` one per trajectory x
    domain x measurement scored by both resident and professional. Written from
    ``docs/outcomes.md`` sections 2-4, 6 and 7 for canonical codes (the package's aliases,
    e.g. Dutch stage names, are not mapped here: the synthetic packages use none).
    """
    p = str(path).replace("'", "''")
    rate_rows = ", ".join(f"('{r}', {float(v)!r})" for r, v in rates.items()) or "(NULL, NULL)"
    w = int(window_days)
    stage_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STAGE_NAMES))
    th = float(instrument.problem_threshold)
    op = ">=" if instrument.direction == "lower_is_better" else "<="

    def problem(x: str) -> str:  # the score x is in the instrument's problem range
        return f"{x} {op} {th!r}"

    sign = -1 if instrument.direction == "lower_is_better" else 1
    return {
        "scores_file": f"{p}/domain_scores.parquet",
        "types": f"""
CREATE TYPE rater_t AS ENUM ({_sql_list(RATERS)});
CREATE TYPE domain_t AS ENUM ({_sql_list(instrument.domain_codes)});
""",
        "tr": f"""
CREATE TABLE tr AS  -- tc: a trajectory's number in trajectory_id order (0, 1, ...)
SELECT (row_number() OVER (ORDER BY trajectory_id) - 1)::INTEGER AS tc, *
FROM (
    SELECT trajectory_id, start_date::DATE AS s, (start_date::DATE + {w} - 1) AS e
    FROM read_parquet('{p}/trajectories.parquet', file_row_number = true)
    WHERE trajectory_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY trajectory_id ORDER BY file_row_number) = 1
)
""",
        "goal": f"""
CREATE TABLE g0 AS
    SELECT g.goal_id, g.trajectory_id, CASE g.stage {stage_case} END AS st,
           g.author IN ('resident', 'jointly') AS by_res, g.status, g.attainment,
           g.derived_from
    FROM read_parquet('{p}/goals.parquet', file_row_number = true) g
    SEMI JOIN tr USING (trajectory_id)
    WHERE g.stage IN ({_sql_list(STAGE_NAMES)}) AND g.author IN ({_sql_list(AUTHORS)})
      AND g.status IN ({_sql_list(STATUSES)}) AND g.goal_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY g.goal_id ORDER BY g.file_row_number) = 1;
-- the derived_from link used: a goal of the same trajectory at an earlier stage
CREATE TABLE g1 AS
    SELECT g0.*, p.goal_id AS parent_id
    FROM g0 LEFT JOIN g0 p
      ON p.goal_id = g0.derived_from AND p.trajectory_id = g0.trajectory_id AND p.st < g0.st;
DROP TABLE g0;
CREATE TABLE goal AS
WITH r AS (  -- parents are at earlier stages: a lineage has at most 5 goals, 4 hops
    SELECT a.goal_id,
           coalesce(d.parent_id, c.parent_id, b.parent_id, a.parent_id, a.goal_id) AS root_id
    FROM g1 a
    LEFT JOIN g1 b ON b.goal_id = a.parent_id
    LEFT JOIN g1 c ON c.goal_id = b.parent_id
    LEFT JOIN g1 d ON d.goal_id = c.parent_id
),
span AS (
    SELECT trajectory_id, min(st) AS first_st, max(st) AS last_st FROM g1 GROUP BY ALL
)
SELECT g1.goal_id, g1.trajectory_id, g1.st, g1.by_res, g1.status, g1.attainment,
       r.root_id, span.first_st, span.last_st,
       g1.st = span.first_st AND g1.by_res AS is_r,
       g1.st = span.last_st AND g1.status <> 'dropped' AS in_final,
       g1.st = span.last_st AND g1.attainment IS NOT NULL AS gas_goal
FROM g1 JOIN r USING (goal_id) JOIN span USING (trajectory_id);
DROP TABLE g1;
""",
        "score": f"""
CREATE OR REPLACE TABLE score AS  -- one block of trajectories: tc in [__LO__, __HI__)
SELECT tr.tc, rater::rater_t AS rater, domain::domain_t AS domain,
       measurement::SMALLINT AS measurement,
       arg_min(score, file_row_number)::DOUBLE AS score  -- a duplicate: the first row counts
FROM read_parquet('{p}/domain_scores.parquet', file_row_number = true)
JOIN tr USING (trajectory_id)
WHERE measurement BETWEEN 0 AND 999 AND rater IN ({_sql_list(RATERS)})
  AND domain IN ({_sql_list(instrument.domain_codes)})
  AND (instrument IS NULL OR instrument = '{instrument.code}')
  AND score BETWEEN {float(instrument.scale_min)!r} AND {float(instrument.scale_max)!r}
  AND tr.tc >= __LO__ AND tr.tc < __HI__
GROUP BY ALL
""",
        "changes": f"""
SELECT tc, rater, domain,
       min(measurement) AS first_measurement, max(measurement) AS latest_measurement,
       count(*) AS n_measurements,
       arg_min(score, measurement) AS first, arg_max(score, measurement) AS latest,
       CASE WHEN count(*) >= 2 THEN arg_max(score, measurement) - arg_min(score, measurement)
            END AS change,
       {problem("arg_min(score, measurement)")} AS problem_first,
       {problem("arg_max(score, measurement)")} AS problem_latest,
       CASE WHEN count(*) < 2 THEN NULL
            WHEN {sign} * (arg_max(score, measurement) - arg_min(score, measurement)) > 0
            THEN 'improved'
            WHEN arg_max(score, measurement) = arg_min(score, measurement) THEN 'same'
            ELSE 'worse' END AS trend
FROM score GROUP BY ALL
""",
        "gaps": """
SELECT r.tc, r.domain, r.measurement, r.score AS resident,
       p.score AS professional, r.score - p.score AS gap
FROM score r JOIN score p
  ON p.tc = r.tc AND p.domain = r.domain
 AND p.measurement = r.measurement
WHERE r.rater = 'resident' AND p.rater = 'professional'
""",
        "table": f"""
WITH c AS (
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
),
goal_raw AS (SELECT derived_from FROM read_parquet('{p}/goals.parquet')),
lin AS (  -- per lineage root: reaches the final plan / a goal of it is achieved
    SELECT root_id, bool_or(in_final) AS lin_final, bool_or(status = 'achieved') AS lin_ach
    FROM goal GROUP BY ALL
),
gl AS (
    SELECT g.*, lin.lin_final, lin.lin_ach, rt.by_res AS owned
    FROM goal g JOIN lin USING (root_id) JOIN goal rt ON rt.goal_id = g.root_id
),
goals AS (
    SELECT trajectory_id,
           count(*) FILTER (is_r) AS n_r,
           count(*) FILTER (is_r AND (lin_final OR lin_ach)) AS n_ret,
           count(*) FILTER (is_r AND lin_ach) AS n_ach,
           count(*) FILTER (in_final) AS n_final,
           count(*) FILTER (in_final AND owned) AS n_owned,
           count(*) FILTER (gas_goal) AS gas_n,
           sum(attainment) FILTER (gas_goal) AS gas_sum,
           NOT (SELECT bool_or(derived_from IS NOT NULL) FROM goal_raw)
             AND max(last_st) > min(first_st) AS no_lineage
    FROM gl GROUP BY ALL
),
ch AS (
    SELECT tc,
           count(*) FILTER (rater = 'resident' AND first_measurement = 0) AS n_t0,
           count(*) FILTER (rater = 'resident' AND first_measurement = 0
                            AND {problem("first")}) AS n_prob,
           avg(change) FILTER (rater = 'resident' AND n_measurements >= 2) AS mean_change
    FROM changes GROUP BY ALL
),
gp AS (
    SELECT tc, avg(abs(gap)) FILTER (measurement = 0) AS disagreement_t0
    FROM gaps GROUP BY ALL
)
SELECT tr.trajectory_id, tell.n_tellings,
       coalesce(staff.cost_staff, 0) AS cost_staff,
       coalesce(prov.cost_provisions, 0) AS cost_provisions,
       coalesce(goals.n_r, 0) AS n_resident_goals,
       CASE WHEN NOT coalesce(goals.no_lineage, false) THEN coalesce(goals.n_ret, 0) END
         AS n_resident_goals_retained,
       CASE WHEN NOT coalesce(goals.no_lineage, false) THEN goals.n_ret / nullif(goals.n_r, 0)
         END AS goal_retention,
       coalesce(goals.n_final, 0) AS n_goals_final,
       goals.n_owned / nullif(goals.n_final, 0) AS goal_ownership,
       goals.n_ach / nullif(goals.n_r, 0) AS goals_achieved_share,
       CASE WHEN goals.gas_n > 0 THEN 50 + 10 * goals.gas_sum
            / sqrt(0.7 * goals.gas_n + 0.3 * goals.gas_n ^ 2) END
         AS gas_t,
       CASE WHEN ch.n_t0 > 0 THEN ch.n_prob END AS n_problem_domains_t0,
       ch.mean_change AS mean_change_resident,
       gp.disagreement_t0
FROM tr
LEFT JOIN tell USING (trajectory_id)
LEFT JOIN staff USING (trajectory_id)
LEFT JOIN prov USING (trajectory_id)
LEFT JOIN goals USING (trajectory_id)
LEFT JOIN ch USING (tc)
LEFT JOIN gp USING (tc)
ORDER BY tr.trajectory_id
""",
    }


#: Per-trajectory columns the reference computes (compared with the package's table).
TABLE_COLUMNS = (
    "n_tellings",
    "cost_staff",
    "cost_provisions",
    "n_resident_goals",
    "n_resident_goals_retained",
    "goal_retention",
    "n_goals_final",
    "goal_ownership",
    "goals_achieved_share",
    "gas_t",
    "n_problem_domains_t0",
    "mean_change_resident",
    "disagreement_t0",
)
CHANGE_COLUMNS = (
    "first_measurement",
    "latest_measurement",
    "n_measurements",
    "first",
    "latest",
    "change",
    "problem_first",
    "problem_latest",
    "trend",
)
GAP_COLUMNS = ("resident", "professional", "gap")


def run_reference(path: Path, *, pandas: bool = True) -> dict[str, Any]:
    """The reference tables computed by DuckDB from the package's files.

    ``{"table", "changes", "gaps"}`` as pandas frames (``pandas=False``: Arrow tables,
    which is what the timed stage materialises).
    """

    from wattelt_eval.data import StudySettings
    from wattelt_eval.instruments import load_instrument
    from wattelt_eval.io import read_study_toml

    study = StudySettings.from_dict(read_study_toml(path / "study.toml"))
    inst = load_instrument(study.instrument).with_threshold(study.problem_threshold)
    sql = reference_sql(path, study.cost_window_days, dict(study.rates), inst)
    with tempfile.TemporaryDirectory() as tmp:
        return _run_sql(sql, tmp, pandas)


def _run_sql(sql: dict[str, str], tmp: str, pandas: bool) -> dict[str, Any]:
    import duckdb

    # DuckDB's default memory limit is 80% of RAM; beyond DUCKDB_MEMORY it spills to disk
    # (a database file, so that the intermediate tables can be evicted too)
    con = duckdb.connect(
        str(Path(tmp) / "reference.duckdb"),
        config={
            "memory_limit": DUCKDB_MEMORY,
            "temp_directory": tmp,
            "preserve_insertion_order": False,
        },
    )
    try:
        for name in ("types", "tr", "goal"):
            con.execute(sql[name])
        # domain scores in blocks of whole trajectories (as the package does): a hash
        # aggregate over 90M rows (dedupe per trajectory x rater x domain x measurement)
        # does not fit in DUCKDB_MEMORY at 1M trajectories
        n_tr = con.execute("SELECT count(*) FROM tr").fetchone()[0]
        n_rows = con.execute(f"SELECT count(*) FROM '{sql['scores_file']}'").fetchone()[0]
        n_blocks = max(1, -(-n_rows // SCORE_BLOCK_ROWS))
        bounds = [n_tr * i // n_blocks for i in range(n_blocks + 1)]
        for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            con.execute(sql["score"].replace("__LO__", str(lo)).replace("__HI__", str(hi)))
            for name in ("changes", "gaps"):
                head = f"CREATE TABLE {name} AS " if i == 0 else f"INSERT INTO {name} "
                con.execute(head + sql[name])
        out = {"table": con.sql(sql["table"]).to_arrow_table()}
        out["changes"] = con.sql("SELECT * FROM changes").to_arrow_table()
        out["gaps"] = con.sql("SELECT * FROM gaps").to_arrow_table()
    finally:
        con.close()
    if pandas:
        out = {k: v.to_pandas() for k, v in out.items()}
        ids = out["table"]["trajectory_id"]  # in tc order
        for k in ("changes", "gaps"):
            tc = out[k].pop("tc").to_numpy()
            out[k].insert(0, "trajectory_id", ids.to_numpy()[tc])
    return out


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
        out["rows"] = {"domain_changes": len(res.domain_changes), "gaps": len(res.gaps)}
        if check:  # after the stage's figures: the check's time and memory are not counted
            out.update(_figures(t0, c0))
            del data
            out["check"] = _compare(res, run_reference(Path(path)))
            out["peak_bytes_with_check"] = _peak_bytes()
            return out
    elif stage == "duckdb":
        ref = run_reference(Path(path), pandas=False)
        out["trajectories"] = ref["table"].num_rows
        out["rows"] = {"domain_changes": ref["changes"].num_rows, "gaps": ref["gaps"].num_rows}
    out.update(_figures(t0, c0))
    return out


def _figures(t0: float, c0: float) -> dict[str, float]:
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "peak_bytes": _peak_bytes(),
    }


def _diff(a: Any, b: Any) -> dict[str, Any]:
    """Largest difference and number of differing cells of two aligned columns."""
    import numpy as np
    import pandas as pd

    if not (pd.api.types.is_numeric_dtype(a) or pd.api.types.is_bool_dtype(a)):
        a, b = a.astype("string"), b.astype("string")
        differ = (a != b).fillna(True) & ~(a.isna() & b.isna())
        return {"max_abs_diff": None, "n_different": int(differ.sum())}
    x = a.astype("float64").to_numpy(na_value=np.nan)
    y = b.astype("float64").to_numpy(na_value=np.nan)
    diff = np.abs(x - y)
    return {
        "max_abs_diff": float(np.nanmax(diff)) if (~np.isnan(diff)).any() else 0.0,
        "n_different": int(((diff > 1e-6) | (np.isnan(x) != np.isnan(y))).sum()),
        "n_both_missing": int((np.isnan(x) & np.isnan(y)).sum()),
    }


def _compare(res: Any, ref: dict[str, Any]) -> dict[str, Any]:
    """The package's outcome set against the reference, row by row and column by column.

    Rows are matched on their keys (outer join: a row on one side only counts as a
    difference in every column).
    """
    out: dict[str, Any] = {}
    specs = (
        ("table", res.table, ["trajectory_id"], TABLE_COLUMNS),
        ("changes", res.domain_changes, ["trajectory_id", "rater", "domain"], CHANGE_COLUMNS),
        ("gaps", res.gaps, ["trajectory_id", "domain", "measurement"], GAP_COLUMNS),
    )
    for name, pkg, keys, cols in specs:
        left = pkg[keys + list(cols)].copy()
        right = ref[name][keys + list(cols)].copy()
        for k in keys:
            dtype = "int64" if k == "measurement" else "string"
            left[k], right[k] = left[k].astype(dtype), right[k].astype(dtype)
        m = left.merge(right, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
        part: dict[str, Any] = {
            "rows": len(m),
            "package_only": int((m["_merge"] == "left_only").sum()),
            "reference_only": int((m["_merge"] == "right_only").sum()),
        }
        for c in cols:
            part[c] = _diff(m[c], m[f"{c}_ref"])
        out[name] = part
    return out


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


def _check_summary(check: dict[str, Any]) -> str:
    """'table 100000 rows, 0 different cells; ...' for the printed line."""
    parts = []
    for name, part in check.items():
        n_diff = sum(v["n_different"] for v in part.values() if isinstance(v, dict))
        extra = part["package_only"] + part["reference_only"]
        parts.append(f"{name} {part['rows']:,} rows, {n_diff + extra} different")
    return "; ".join(parts)


def _line(n: int, r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"{n:>9,} {r['stage']:<9} FAILED {r['failed'][-300:]}"
    extra = f" check: {_check_summary(r['check'])}" if "check" in r else ""
    return (
        f"{n:>9,} {r['stage']:<9} {r['seconds']:8.1f} s  cpu {r['cpu_seconds']:8.1f} s  "
        f"peak {r['peak_bytes'] / GIB:5.2f} GiB{extra}"
    )


if __name__ == "__main__":
    sys.exit(main())
