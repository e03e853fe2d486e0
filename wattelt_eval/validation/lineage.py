"""Goal lineage checks: ``derived_from`` names a known, earlier goal of the same trajectory.

Vectorised over all goals: the parent of each goal is found by a hash lookup among the
first occurrences of the goal ids, and cycles by pointer doubling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..i18n import pair
from ..schema import STAGE_ORDER
from .parse import _arrow_strings
from .problems import Problems

__all__ = ["check_derived_from"]


def _rows(df: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    return df.index.to_numpy()[np.asarray(mask, dtype=bool)]


def check_derived_from(g: pd.DataFrame, present: set[str], source: str, P: Problems) -> None:
    """Report unknown parents, parents of another trajectory or a later stage, and cycles."""
    ppos = _parent_positions(g, source, P)
    if "trajectory_id" in present:
        _other_trajectory(g, ppos, source, P)
    if "stage" in present:
        _later_stage(g, ppos, source, P)
    _cycles(g, ppos, source, P)


def _parent_positions(g: pd.DataFrame, source: str, P: Problems) -> np.ndarray:
    """Row position of each goal's parent (first goal with that id), -1 if none or unknown."""
    ids = g["goal_id"]
    firsts = ~ids.duplicated(keep="first").to_numpy(dtype=bool) & ids.notna().to_numpy(dtype=bool)
    first_pos = np.flatnonzero(firsts)  # position of the first occurrence of each goal_id
    parent = g["derived_from"]
    has_parent = parent.notna().to_numpy(dtype=bool)
    text = (pd.StringDtype, pd.CategoricalDtype)
    if isinstance(parent.dtype, text) and isinstance(ids.dtype, pd.StringDtype):
        # pyarrow's hash lookup: position of each parent among the first goal_ids, -1 if absent
        first_ids = _arrow_strings(ids).filter(pa.array(firsts))
        if isinstance(parent.dtype, pd.CategoricalDtype):  # look up each category once
            cats = pd.Series(np.asarray(parent.cat.categories, dtype=object), dtype="string")
            found = pc.index_in(_arrow_strings(cats), value_set=first_ids)
            w_u = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int64)
            codes = parent.cat.codes.to_numpy()
            where = np.where(codes >= 0, w_u[np.maximum(codes, 0)] if len(w_u) else -1, -1)
        else:
            found = pc.index_in(_arrow_strings(parent), value_set=first_ids)
            where = np.asarray(
                pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64
            )
    else:
        ids_obj = ids.to_numpy(dtype=object, na_value=None)
        where = pd.Index(ids_obj[firsts], dtype=object).get_indexer(
            parent.to_numpy(dtype=object, na_value=None)
        )
    known = (where >= 0) & has_parent
    unknown = has_parent & ~known
    if unknown.any():
        P.add(
            "unknown_reference",
            source,
            _rows(g, unknown),
            "derived_from",
            parent[unknown].to_numpy(dtype=object),
            pair("validation.expected.goal_reference"),
        )
    ppos = np.full(len(g), -1, dtype=np.int64)
    if known.any():
        ppos[known] = first_pos[where[known]]
    return ppos


def _other_trajectory(g: pd.DataFrame, ppos: np.ndarray, source: str, P: Problems) -> None:
    """A parent of another trajectory (its link is then dropped from ``ppos``)."""
    parent = g["derived_from"]
    sel = np.flatnonzero(ppos >= 0)
    other = np.zeros(len(g), dtype=bool)
    if isinstance(g["trajectory_id"].dtype, pd.CategoricalDtype):  # compare the codes
        code = g["trajectory_id"].cat.codes.to_numpy()
        a, b = code[sel], code[ppos[sel]]
        other[sel] = (a != b) & (a >= 0) & (b >= 0)
    else:
        tid = g["trajectory_id"].to_numpy(dtype=object, na_value=None)
        other[sel] = (
            pd.Series(tid[sel]).ne(pd.Series(tid[ppos[sel]])).to_numpy()
            & pd.notna(tid[sel])
            & pd.notna(tid[ppos[sel]])
        )
    if other.any():
        P.add(
            "derived_from_other_trajectory",
            source,
            _rows(g, other),
            "derived_from",
            parent[other].to_numpy(dtype=object),
            pair("validation.expected.goal_same_trajectory"),
        )
        ppos[other] = -1


def _later_stage(g: pd.DataFrame, ppos: np.ndarray, source: str, P: Problems) -> None:
    """A parent of a later stage (its link is then dropped from ``ppos``)."""
    parent = g["derived_from"]
    order = g["stage"].map(STAGE_ORDER).astype("float64").to_numpy()
    sel = np.flatnonzero(ppos >= 0)
    later = np.zeros(len(g), dtype=bool)
    later[sel] = order[ppos[sel]] > order[sel]
    if later.any():
        P.add(
            "derived_from_later_stage",
            source,
            _rows(g, later),
            "derived_from",
            parent[later].to_numpy(dtype=object),
            pair("validation.expected.goal_earlier_stage"),
        )
        ppos[later] = -1


def _cycles(g: pd.DataFrame, ppos: np.ndarray, source: str, P: Problems) -> None:
    """Goals on a derived_from cycle."""
    parent = g["derived_from"]
    # cycles: pointer doubling; after >= n steps a node still pointing somewhere reaches a cycle,
    # and the nodes reached that way are exactly the nodes on cycles.
    n = len(g)
    if n and (ppos >= 0).any():
        nxt = np.where(ppos >= 0, ppos, n)  # n = sentinel "no parent"
        nxt = np.append(nxt, n)
        steps = 1
        while steps < n + 1:
            nxt = nxt[nxt]
            steps *= 2
        reach = nxt[:n]
        on_cycle = np.zeros(n + 1, dtype=bool)
        on_cycle[reach[reach < n]] = True
        cyc = on_cycle[:n]
        if cyc.any():
            P.add(
                "derived_from_cycle",
                source,
                _rows(g, cyc),
                "derived_from",
                parent[cyc].to_numpy(dtype=object),
                pair("validation.expected.goal_earlier"),
            )
