"""Provenance of a council report: input fingerprint, generation date, parameters.

The fingerprint lets anyone check that a report was made from exactly the same
data: it depends on the *content* of the canonical tables, not on the file format
(CSV, Excel, parquet), the column order in the file or the order of the rows.

Recipe (also in ``docs/report.md``)
-----------------------------------
For each table in data-model order (``trajectories, contacts, goals,
domain_scores, provisions, staff_time``):

1. take the schema columns in schema order, followed by the extra columns kept on
   load (``PilotData.extra_columns``), in alphabetical order;
2. write every cell as text: missing = empty string; dates ``YYYY-MM-DD``;
   booleans ``true``/``false``; integers as digits; floats in the shortest form
   that reads back to the same number (Python ``repr``: ``65.5``, ``0.1``,
   ``1e-05``, ``3.0``); strings unchanged;
3. sort the rows by these texts, column by column from the first, in Unicode
   code point order;
4. serialise as CSV (``,`` separator, ``"`` quoting only where needed, ``\\n``
   line ends) with the header line, UTF-8;
5. feed ``"# <table name>\\n"`` followed by that CSV into one SHA-256.

The hexadecimal digest is the *data fingerprint* (:func:`fingerprint`).

The *report fingerprint* (:func:`report_fingerprint`, printed by ``wattelt-eval
fingerprint PACKAGE`` and shown first in the report) is the SHA-256 of ``"# data\n"``,
the data fingerprint (hex), ``"\n# settings\n"`` and the canonical JSON
(:func:`canonical_json`: keys sorted, no spaces, UTF-8, floats as Python ``repr``) of
:func:`settings_record`:

- ``study``: every study setting as read (``StudySettings.to_dict()``: the values of
  ``study.toml`` or the study sheet, defaults filled in, the extract date of
  ``--extract-date`` included);
- ``instrument``: the instrument definition used (scale, direction, problem
  threshold after any override, domains);
- ``analysis``: seed, bootstrap replicates, the methods tried in order, the
  candidate covariates, the cluster column, and whether the monitor section is on;
- ``versions``: Python, wattelt_eval and the key dependencies
  (:data:`KEY_DEPENDENCIES`).

Not included: the report language (it changes words, not numbers), the generation
date, file names and paths (the same data from another folder give the same
fingerprint).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import platform
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..schema import TABLES

if TYPE_CHECKING:
    from ..data import PilotData
    from .plan import ReportPlan

__all__ = [
    "canonical_csv",
    "fingerprint",
    "table_fingerprints",
    "fingerprints",
    "generation_time",
    "KEY_DEPENDENCIES",
    "versions",
    "settings_record",
    "canonical_json",
    "report_fingerprint",
    "command_line",
]

#: Dependencies whose version can change a number of the report (with Python and wattelt_eval).
KEY_DEPENDENCIES: tuple[str, ...] = ("numpy", "pandas", "scipy", "statsmodels", "pyarrow")


def _as_text(s: pd.Series) -> pd.Series:
    """One column as text per the fingerprint recipe (vectorised)."""
    missing = s.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.strftime("%Y-%m-%d").astype("object")
    elif pd.api.types.is_bool_dtype(s):
        out = s.astype("object").map({True: "true", False: "false"})
    elif pd.api.types.is_integer_dtype(s):
        out = s.astype("Int64").astype("string").astype("object")
    elif pd.api.types.is_float_dtype(s):
        # numpy's str of float64 is the shortest round-trip repr, as Python's repr
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(vals.astype(str), index=s.index, dtype="object")
    else:
        out = s.astype("string").astype("object")
    out = out.where(~missing, "")
    return out.astype("object")


def _columns(data: PilotData, name: str) -> list[str]:
    df = data.tables[name]
    schema_cols = TABLES[name].column_names
    extras = sorted(c for c in (data.extra_columns or {}).get(name, []) if c in df.columns)
    return [c for c in schema_cols if c in df.columns] + extras


def canonical_csv(data: PilotData, name: str) -> str:
    """The canonical CSV text of one table, as hashed by :func:`fingerprint`.

    Parameters
    ----------
    data : PilotData
    name : str
        Table name (one of :data:`wattelt_eval.schema.TABLES`).

    Returns
    -------
    str
        CSV text with header, rows sorted (see the module docstring for the recipe).
    """
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; expected one of {list(TABLES)}")
    df = data.tables[name]
    cols = _columns(data, name)
    text = pd.DataFrame({c: _as_text(df[c]) for c in cols}, columns=cols)
    if len(text):
        text = text.sort_values(cols, kind="mergesort", ignore_index=True)
    buf = io.StringIO()
    text.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def table_fingerprints(data: PilotData) -> dict[str, str]:
    """SHA-256 of each table's canonical CSV (hex digests), in data-model order."""
    return {
        name: hashlib.sha256(canonical_csv(data, name).encode("utf-8")).hexdigest()
        for name in TABLES
    }


def fingerprints(data: PilotData) -> tuple[str, dict[str, str]]:
    """:func:`fingerprint` and :func:`table_fingerprints` in one pass over the tables."""
    h = hashlib.sha256()
    per_table = {}
    for name in TABLES:
        text = canonical_csv(data, name).encode("utf-8")
        h.update(f"# {name}\n".encode())
        h.update(text)
        per_table[name] = hashlib.sha256(text).hexdigest()
    return h.hexdigest(), per_table


def fingerprint(data: PilotData) -> str:
    """SHA-256 fingerprint of the canonical input tables (hex digest).

    Parameters
    ----------
    data : PilotData

    Returns
    -------
    str
        64 hexadecimal characters.

    Notes
    -----
    Independent of the file format, the column order and the row order of the
    input; any change of any value changes it. The exact recipe is in the
    docstring of :mod:`wattelt_eval.report.provenance` and in ``docs/report.md``.
    """
    h = hashlib.sha256()
    for name in TABLES:
        h.update(f"# {name}\n".encode())
        h.update(canonical_csv(data, name).encode("utf-8"))
    return h.hexdigest()


def generation_time() -> dt.datetime:
    """The report's generation time (UTC), honouring ``SOURCE_DATE_EPOCH``.

    Returns
    -------
    datetime
        ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC) when set, else now.

    References
    ----------
    https://reproducible-builds.org/specs/source-date-epoch/
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not {raw!r}"
            ) from exc
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)


# ----------------------------------------------------------------------------- settings
def versions() -> dict[str, str]:
    """Python, wattelt_eval and :data:`KEY_DEPENDENCIES` versions (``"-"`` when absent)."""
    from importlib import metadata

    from .._version import __version__

    out = {"python": platform.python_version(), "wattelt_eval": __version__}
    for name in KEY_DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def settings_record(data: PilotData, plan: ReportPlan | None = None) -> dict[str, Any]:
    """Every setting that changes a number of the report, as plain JSON-able values.

    Parameters
    ----------
    data : PilotData
        Its study settings and instrument are read.
    plan : ReportPlan, optional
        The report's plan; default :meth:`ReportPlan.from_study` (the study's seed,
        999 replicates, no monitor section), as ``wattelt-eval report`` without options.

    Returns
    -------
    dict
        ``study``, ``instrument``, ``analysis`` and ``versions`` (module docstring).
    """
    from .plan import ReportPlan

    plan = plan or ReportPlan.from_study(data.study)
    inst = data.instrument
    return {
        "study": data.study.to_dict(),
        "instrument": dataclasses.asdict(inst) if inst is not None else None,
        "analysis": {
            "seed": int(plan.seed),
            "n_boot": int(plan.n_boot),
            "methods": list(plan.methods),
            "covariates": list(plan.covariates),
            "cluster": plan.cluster,
            "monitor": bool(plan.monitor),
        },
        "versions": versions(),
    }


def _plain(x: Any) -> Any:
    """numpy scalars and other stragglers as JSON values (text as the last resort)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (dt.date, dt.datetime, pd.Timestamp)):
        return x.isoformat()
    if isinstance(x, (set, frozenset)):
        return sorted(x)
    return str(x)


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces (floats as Python ``repr``; NaN refused)."""
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    )


def report_fingerprint(
    data: PilotData, plan: ReportPlan | None = None, data_fingerprint: str | None = None
) -> str:
    """SHA-256 over the data fingerprint and every setting that changes a number.

    SHA-256 of ``"# data\\n"``, the data fingerprint (:func:`fingerprint`, 64 hex
    characters), ``"\\n# settings\\n"`` and :func:`canonical_json` of
    :func:`settings_record`. Changing any value of the data, any study setting (an
    hourly rate, the cost window, the price year, the problem threshold, the extract
    date, the disclosure rule), the instrument, the seed, the replicates, the methods or
    covariates, or a key dependency's version changes it.

    Parameters
    ----------
    data : PilotData
    plan : ReportPlan, optional
        See :func:`settings_record`.
    data_fingerprint : str, optional
        :func:`fingerprint` of ``data`` when already computed (it is the slow part at
        national scale: the tables are serialised and sorted once).

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    fp = data_fingerprint or fingerprint(data)
    h = hashlib.sha256()
    h.update(f"# data\n{fp}\n# settings\n".encode())
    h.update(canonical_json(settings_record(data, plan)).encode("utf-8"))
    return h.hexdigest()


def command_line(argv: Sequence[str], program: str = "wattelt-eval") -> str:
    """The command as shown in the report: ``program`` and ``argv`` with paths shortened.

    Every argument that names a path (it contains a path separator or exists as a
    file or folder) is reduced to its last part, so that no home folder, user name
    or directory structure is published; arguments are quoted for a POSIX shell.

    Examples
    --------
    >>> command_line(["report", "/home/jan/pilots/huizen 2025", "--seed", "7"])
    "wattelt-eval report 'huizen 2025' --seed 7"
    """
    import shlex
    from pathlib import PurePath

    parts = [program]
    for arg in argv:
        a = str(arg)
        if "=" in a and a.startswith("--"):
            opt, _, val = a.partition("=")
            parts.append(f"{opt}={_short_path(val, PurePath)}")
        else:
            parts.append(_short_path(a, PurePath))
    return " ".join(shlex.quote(p) for p in parts)


def _short_path(a: str, pure: Any) -> str:
    if a.startswith("-") or not (os.sep in a or "/" in a or os.path.exists(a)):
        return a
    name = pure(a.rstrip("/" + os.sep)).name
    return name or a
