"""The exclusion log of the outcome stage: which source rows do not count, and why.

Reason codes and their Dutch and English messages are in the text catalogue
(``i18n/messages/outcome.toml``, ``outcome.reason.<code>``); their meaning, with
examples, is in ``docs/outcomes.md`` section 9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import EXCLUSION_COLUMNS, empty_exclusions
from ..i18n import pair
from ..schema import MEASUREMENT_MAX
from ._arrays import _rownum_at

#: The reason codes of the exclusion log (stage ``outcomes``), in log order.
REASON_CODES = (
    "after_extract_date",
    "missing_trajectory_id",
    "duplicate_trajectory_id",
    "unknown_trajectory",
    "start_date_missing",
    "duplicate_id",
    "goal_missing_field",
    "goal_derived_from_unknown",
    "goal_derived_from_invalid",
    "goal_not_used",
    "contact_missing_field",
    "provision_missing_field",
    "provision_end_before_start",
    "provision_outside_window",
    "provision_cost_missing",
    "staff_time_missing_field",
    "staff_time_outside_window",
    "score_missing_field",
    "score_other_instrument",
    "score_unknown_domain",
    "score_out_of_range",
    "score_duplicate",
)
#: Reason code -> (Dutch, English) message, from the catalogue (``outcome.reason.*``).
REASONS: dict[str, tuple[str, str]] = {
    code: pair(f"outcome.reason.{code}", max=MEASUREMENT_MAX) for code in REASON_CODES
}
_REASON_CODES = list(REASONS)
_REASON_POS = {r: i for i, r in enumerate(_REASON_CODES)}
_LOG_TABLES = ("trajectories", "contacts", "goals", "domain_scores", "provisions", "staff_time")


class _Log:
    """Collects exclusion-log rows as positions into the source tables (built once at the end)."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, pd.DataFrame, np.ndarray, str]] = []

    def add(self, table: str, df: pd.DataFrame, positions: np.ndarray, reason: str) -> None:
        positions = np.asarray(positions)
        if positions.dtype == bool:
            positions = np.flatnonzero(positions)
        if len(positions):
            self.parts.append((table, df, positions, reason))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, _, pos, reason in self.parts:
            out[reason] = out.get(reason, 0) + len(pos)
        return out

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return empty_exclusions()
        from ..schema import ID_COLUMNS

        # one block per source table: positions concatenated first, then one take per column
        # (keyed by the frame too: positions refer to the frame they were taken from, and a
        # table may be logged before and after rows were left out, e.g. after_extract_date)
        blocks: dict[tuple[str, int], tuple[pd.DataFrame, list[np.ndarray], list[np.ndarray]]]
        blocks = {}
        for table, df, pos, reason in self.parts:
            blk = blocks.setdefault((table, id(df)), (df, [], []))
            blk[1].append(pos)
            blk[2].append(np.full(len(pos), _REASON_POS[reason], dtype=np.int16))
        tables, rows, recs, trajs, reasons = [], [], [], [], []
        for (table, _), (df, pos_list, reason_list) in blocks.items():
            pos = np.concatenate(pos_list)
            tables.append(np.full(len(pos), _LOG_TABLES.index(table), dtype=np.int8))
            rows.append(_rownum_at(df, pos))
            idcol = ID_COLUMNS.get(table)
            if idcol is not None and idcol in df.columns:
                recs.append(df[idcol].iloc[pos].astype("string").reset_index(drop=True))
            else:
                recs.append(pd.Series(pd.NA, index=range(len(pos)), dtype="string"))
            trajs.append(df["trajectory_id"].iloc[pos].astype("string").reset_index(drop=True))
            reasons.append(np.concatenate(reason_list))
        reason_codes = np.concatenate(reasons)
        nl = [REASONS[r][0] for r in _REASON_CODES]
        en = [REASONS[r][1] for r in _REASON_CODES]
        one = len(recs) == 1
        out = pd.DataFrame(
            {
                "stage": pd.Categorical.from_codes(
                    np.zeros(len(reason_codes), np.int8), ["outcomes"]
                ),
                "table": pd.Categorical.from_codes(np.concatenate(tables), list(_LOG_TABLES)),
                "row": pd.array(np.concatenate(rows), dtype="Int64"),
                "record_id": (recs[0] if one else pd.concat(recs, ignore_index=True)).array,
                "trajectory_id": (trajs[0] if one else pd.concat(trajs, ignore_index=True)).array,
                "reason": pd.Categorical.from_codes(reason_codes, _REASON_CODES),
                "message_nl": pd.Categorical.from_codes(reason_codes, nl),
                "message_en": pd.Categorical.from_codes(reason_codes, en),
            }
        )
        return out[EXCLUSION_COLUMNS]


def _combine_logs(load_log: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Load log + outcomes log, text columns as categoricals (they repeat a few values)."""
    if load_log is None or len(load_log) == 0:
        return own.reset_index(drop=True)
    load_log = load_log.reindex(columns=EXCLUSION_COLUMNS).copy()
    parts = [load_log, own]
    out = {}
    for c in EXCLUSION_COLUMNS:
        cols = [p[c] for p in parts]
        if c in ("stage", "table", "reason", "message_nl", "message_en"):
            vals = pd.concat([x.astype("string") for x in cols], ignore_index=True)
            out[c] = vals.astype("category")
        elif c == "row":
            out[c] = pd.concat([x.astype("Int64") for x in cols], ignore_index=True)
        else:
            out[c] = pd.concat([x.astype("string") for x in cols], ignore_index=True)
    return pd.DataFrame(out)[EXCLUSION_COLUMNS]
