"""Reading and writing pilot data packages (folder of CSVs, folder of parquet files, one xlsx).

Writing lives here; reading with validation is :func:`wattelt_eval.load` (see
:mod:`wattelt_eval.validation`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from .schema import TABLES

if TYPE_CHECKING:
    from .data import PilotData

PackageFormat = Literal["csv", "parquet", "xlsx"]


def _for_text(df: pd.DataFrame) -> pd.DataFrame:
    """Table as strings for CSV/Excel: ISO dates, true/false, empty for missing."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").astype("object").where(s.notna(), None)
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("object").map({True: "true", False: "false"}).where(s.notna(), None)
    return out


def write_package(data: PilotData, path: str | Path, format: PackageFormat = "csv") -> Path:
    """Write ``data`` as a pilot data package.

    Parameters
    ----------
    data : PilotData
    path : path
        Folder (``csv``, ``parquet``) or ``.xlsx`` file (``xlsx``).
    format : {"csv", "parquet", "xlsx"}

    Returns
    -------
    Path
        The folder or workbook written. CSV is UTF-8 with ``,`` separator, ISO
        dates and ``true``/``false``; empty optional tables are still written
        (header only) so the package is complete.
    """
    if format not in ("csv", "parquet", "xlsx"):
        raise ValueError(f"format must be 'csv', 'parquet' or 'xlsx', not {format!r}")
    path = Path(path)
    study_toml = data.study.to_toml()
    if format == "xlsx":
        if path.suffix.lower() != ".xlsx":
            path.mkdir(parents=True, exist_ok=True)
            path = path / "pilot.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name in TABLES:
                _for_text(getattr(data, name)).to_excel(xw, sheet_name=name, index=False)
            rows = []
            for section, values in data.study.to_dict().items():
                for k, v in values.items():
                    if isinstance(v, list):
                        v = ", ".join(map(str, v))
                    rows.append({"key": f"{section}.{k}", "value": v})
            pd.DataFrame(rows, columns=["key", "value"]).to_excel(xw, sheet_name="study", index=False)
        return path
    path.mkdir(parents=True, exist_ok=True)
    (path / "study.toml").write_text(study_toml, encoding="utf-8")
    for name in TABLES:
        df = getattr(data, name)
        if format == "csv":
            _for_text(df).to_csv(path / f"{name}.csv", index=False, lineterminator="\n")
        else:
            df.reset_index(drop=True).to_parquet(path / f"{name}.parquet", index=False)
    return path
