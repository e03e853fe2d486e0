"""Trajectories of the outcome stage: one row per ``trajectory_id``, and linking other rows to it.

Every other table is linked to a trajectory by its integer code (its position in the
trajectories sorted by id). Rules: ``docs/outcomes.md`` sections 1 and 9.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrays import (
    _arrow_strings,
    _codes,
    _days,
    _factorize,
    _later_duplicates,
    _lookup,
    _rownum,
)
from .log import _Log

if TYPE_CHECKING:
    from ..data import PilotData

#: Columns carried along from ``trajectories`` (extra case-mix columns follow them).
CARRIED_COLUMNS = [
    "trajectory_id",
    "arm",
    "period",
    "municipality",
    "team",
    "start_date",
    "end_date",
    "end_reason",
    "birth_year",
    "sex",
    "household",
]


@dataclass
class _Traj:
    frame: pd.DataFrame  # sorted, deduplicated trajectories (original index kept)
    index: pd.Index  # trajectory_id -> code 0..n-1
    start: np.ndarray  # int64 day of start_date
    start_valid: np.ndarray
    arm: np.ndarray  # code into ARM (-1 missing)
    carried: list[str]
    n_duplicates: int = 0
    n_missing_id: int = 0

    def codes(self, s: pd.Series) -> np.ndarray:
        return _lookup(s, self.index)


def _prepare_trajectories(data: PilotData, log: _Log) -> _Traj:
    from ..schema import ARM

    raw = data.trajectories
    ids = raw["trajectory_id"].astype("string")
    missing = ids.isna().to_numpy()
    log.add("trajectories", raw, missing, "missing_trajectory_id")
    codes = _factorize(ids)
    dup = _later_duplicates(codes, _rownum(raw), ~missing)
    log.add("trajectories", raw, dup, "duplicate_trajectory_id")
    keep = ~(missing | dup)
    tr = raw.loc[keep] if not keep.all() else raw
    # stable sort by id; UTF-8 byte order (Arrow) is code-point order (Python str)
    ids_kept = tr["trajectory_id"].astype("string")
    arr = _arrow_strings(ids_kept)
    if arr is None:  # pragma: no cover - pandas without pyarrow strings
        arr = pa.array(ids_kept.to_numpy(dtype=object), pa.string())
    tr = tr.iloc[pc.sort_indices(arr).to_numpy()]
    del ids_kept, arr
    extras = [
        c for c in data.study.extra_covariates if c in tr.columns and c not in CARRIED_COLUMNS
    ]
    carried = [c for c in CARRIED_COLUMNS if c in tr.columns] + extras
    start, start_valid = _days(tr["start_date"])
    log.add("trajectories", tr, ~start_valid, "start_date_missing")
    index = pd.Index(tr["trajectory_id"].astype("string").to_numpy(), dtype="string")
    return _Traj(
        frame=tr,
        index=index,
        start=start,
        start_valid=start_valid,
        arm=_codes(tr["arm"], ARM),
        carried=carried,
        n_duplicates=int(dup.sum()),
        n_missing_id=int(missing.sum()),
    )


def _link(df: pd.DataFrame, table: str, tr: _Traj, log: _Log) -> np.ndarray:
    """Trajectory code per row; rows with an unknown trajectory are logged (code -1)."""
    tc = tr.codes(df["trajectory_id"])
    bad = tc < 0
    if bad.any():
        log.add(table, df, bad, "unknown_trajectory")
    return tc


def _dedupe_ids(df: pd.DataFrame, table: str, idcol: str, ok: np.ndarray, log: _Log) -> np.ndarray:
    """Mark later duplicates (by row number) of ``idcol`` among ``ok`` rows as not ok (logged)."""
    codes = _factorize(df[idcol])
    dup = _later_duplicates(codes, _rownum(df), ok)
    log.add(table, df, dup, "duplicate_id")
    return ok & ~dup
