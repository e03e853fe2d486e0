"""Small vectorised helpers: inverse-CDF draws from common uniforms and Arrow string columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Id suffixes ``-C00`` .. ``-V99`` of contacts, goals and provisions within a trajectory.
SUFFIX = {p: [f"-{p}{k:02d}" for k in range(100)] for p in ("C", "G", "V")}


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def tpois(u: np.ndarray, lam: np.ndarray, kmax: int) -> np.ndarray:
    """Inverse CDF of a Poisson(lam) at ``u``, capped at ``kmax`` (common random numbers)."""
    lam = np.broadcast_to(lam, u.shape)
    k = np.zeros(u.shape, dtype=np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    for j in range(1, kmax + 1):
        k += u > cdf
        p = p * lam / j
        cdf = cdf + p
    return k


def categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn by inverse CDF at ``u`` from ``probs`` (K, or one row of K per element)."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=-1)
    cum[..., -1] = np.inf
    if cum.ndim == 1:
        return np.searchsorted(cum, u, side="right").astype(np.int64)
    return (u[:, None] >= cum).sum(axis=1).astype(np.int64)


def window_days(start: np.ndarray, end: np.ndarray, window: int) -> np.ndarray:
    """Days of [start, end] (inclusive day offsets) inside [0, window - 1]."""
    return np.clip(np.minimum(end, window - 1) - np.maximum(start, 0) + 1, 0, None)


def select(t: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per trajectory, ``a`` where demand-driven (``t``) else ``b`` (broadcast over extra axes)."""
    tt = t.reshape((-1,) + (1,) * (a.ndim - 1))
    return np.where(tt, a, b)


def str_take(
    values: list[str] | tuple[str, ...], idx: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Pandas ``string`` array of ``values[idx]`` (``idx < 0`` gives missing)."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), mask=mask) if mask.any() else pa.array(idx)
    arr = pc.take(pa.array(list(values), type=pa.string()), indices)
    return pd.arrays.ArrowStringArray(arr)


def str_join(*parts: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Pandas ``string`` array of the element-wise concatenation of Arrow string arrays."""
    return pd.arrays.ArrowStringArray(pc.binary_join_element_wise(*parts, ""))


def pa_take(values: list[str], idx: np.ndarray) -> pa.Array:
    """Arrow string array of ``values[idx]``."""
    return pc.take(pa.array(values, type=pa.string()), pa.array(np.asarray(idx, dtype=np.int64)))
