"""The outcome set: per-trajectory outcome table, exclusion log, flow and domain monitoring.

:func:`outcome_set` runs the stage's parts in order, one per input table (trajectories,
goals, tellings, costs, domains), then the follow-up, the exclusion log and the flow
table; :class:`OutcomeSet` holds the result. Every comparison, figure and report reads
the tables built here (``docs/architecture.md``, "The outcome table"). The definitions,
in Dutch and English with a worked example for each rule, are in ``docs/outcomes.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import progress
from ..data import RECORD_DATES, infer_extract_date
from ..errors import UsageError
from ..i18n import Lang, check_lang, pair, text
from ..i18n import format as fmt
from ._arrays import _bool, _day_number, _int64, _release_freed_memory
from .costs import COST_GROUP_COLUMNS, _cost_outcomes
from .domains import _domain_outcomes
from .flow import _flow
from .goals import _goal_outcomes, goal_table, lineage_recorded
from .log import _combine_logs, _Log
from .tellings import _telling_outcomes, contact_table
from .trajectories import _prepare_trajectories

if TYPE_CHECKING:
    from ..data import PilotData

__all__ = ["OutcomeSet", "TABLE_COLUMNS", "outcome_set", "outcomes"]

#: The outcome columns, in table order (after the carried columns, extras and ``age``).
TABLE_COLUMNS = [
    "n_resident_goals",
    "n_resident_goals_retained",
    "goal_retention",
    "n_goals_final",
    "goal_ownership",
    "goals_achieved_share",
    "gas_t",
    "n_contacts",
    "n_tellings",
    "n_retells",
    "retells_inferred",
    "cost_provisions",
    "cost_staff",
    "cost_total",
    "any_provision",
    *COST_GROUP_COLUMNS,
    "follow_up_days",
    "full_follow_up",
    "n_problem_domains_t0",
    "problem_domains_group",
    "mean_change_resident",
    "disagreement_t0",
]


@dataclass
class OutcomeSet:
    """The outcome table with its accounting and the domain monitoring tables.

    Attributes
    ----------
    table : DataFrame
        One row per trajectory (see ``docs/architecture.md``, "The outcome table").
    exclusions : DataFrame
        Exclusion log (load + outcomes), columns :data:`wattelt_eval.data.EXCLUSION_COLUMNS`.
    flow : DataFrame
        CONSORT-style counts per outcome: ``outcome, step, kind, n, label_nl, label_en``.
        Within an outcome, ``total - sum(excluded) == analysed``.
    domain_changes : DataFrame
        Per trajectory x rater x domain: first and latest score, change, moved out of /
        into the problem range.
    cohort_domains : DataFrame
        Per arm x rater x domain: mean first, mean latest, mean change and the shares
        improved / same / worse (trajectories with at least two measurements).
    gaps : DataFrame
        Resident - professional gap per trajectory x domain x measurement.
    window_days : int
        Cost window used.
    extract_date : Timestamp
        Data-extract date used for ``follow_up_days``; records dated after it are excluded
        (reason ``after_extract_date``).
    extract_date_source : str
        ``argument``, ``study`` (``study.extract_date``) or ``inferred``
        (:func:`wattelt_eval.data.infer_extract_date`).
    goals : DataFrame
        One row per counted goal (:func:`~wattelt_eval.outcome.goal_table`), computed on
        first access.
    contacts : DataFrame
        One row per counted contact (:func:`~wattelt_eval.outcome.contact_table`),
        computed on first access.
    """

    table: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    domain_changes: pd.DataFrame
    cohort_domains: pd.DataFrame
    gaps: pd.DataFrame
    window_days: int
    extract_date: pd.Timestamp | None
    #: what the data cannot support and the rule applied (codes ``outcome.note.<code>``,
    #: e.g. ``no_lineage``, ``baseline_shifted:1``); as text: :meth:`note_texts`
    notes: list[str] = field(default_factory=list)
    #: where the extract date came from: ``argument``, ``study`` (study.toml) or ``inferred``
    extract_date_source: str = ""
    #: the package the set was computed from (for the per-goal / per-contact tables)
    data: Any = field(default=None, repr=False, compare=False)
    _lazy: dict[str, pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def goals(self) -> pd.DataFrame:
        """One row per counted goal: lineage root, state flags (computed once, on access)."""
        return self._table("goals", goal_table)

    @property
    def contacts(self) -> pd.DataFrame:
        """One row per counted contact: telling, inferred, retelling (computed on access)."""
        return self._table("contacts", contact_table)

    def _table(self, name: str, build: Any) -> pd.DataFrame:
        if name not in self._lazy:
            if self.data is None:
                raise ValueError(
                    f"OutcomeSet.{name} needs the package: use we.outcome_set(data) / "
                    "de uitkomstenset heeft het datapakket nodig"
                )
            self._lazy[name] = build(self.data)
        return self._lazy[name]

    def __repr__(self) -> str:
        return (
            f"OutcomeSet(trajectories={len(self.table)}, exclusions={len(self.exclusions)}, "
            f"window_days={self.window_days}, extract_date={_fmt_date(self.extract_date)}"
            f"{' (' + self.extract_date_source + ')' if self.extract_date_source else ''})"
        )

    def note_texts(self, lang: Lang = "nl") -> list[str]:
        """The notes (what the data cannot support, and the rule applied) as text in ``lang``."""
        check_lang(lang)
        out = []
        for note in self.notes:
            code, _, value = note.partition(":")
            out.append(text(f"outcome.note.{code}", lang, value=value))
        return out

    def summary(self, lang: Lang = "nl") -> str:
        """Short text summary of the flow (counts only, no row-level data)."""
        check_lang(lang)
        label = "label_nl" if lang == "nl" else "label_en"
        lines = []
        for outcome, grp in self.flow.groupby("outcome", sort=False):
            lines.append(f"{outcome}:")
            for _, r in grp.iterrows():
                lines.append(f"  {r[label]}: {r['n']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def both(key: str, **values: Any) -> str:
            return " / ".join(pair(key, **values))

        head = " / ".join(
            text(
                "outcome.html.head",
                lang,
                n=fmt.number(len(self.table), 0, lang),
                days=self.window_days,
                date=_fmt_date(self.extract_date),
                n_exclusions=fmt.number(len(self.exclusions), 0, lang),
            )
            for lang in ("nl", "en")
        )
        flow = self.flow[["outcome", "label_nl", "label_en", "n"]]
        reasons = (
            self.exclusions.groupby(["stage", "table", "reason"], observed=True)
            .size()
            .rename("n")
            .reset_index()
        )
        return (
            f"<div>{head}<details open><summary>{pair('outcome.html.flow')[1]}</summary>"
            f"{flow.to_html(index=False)}</details>"
            f"<details><summary>{both('outcome.html.reasons')}</summary>"
            f"{reasons.to_html(index=False)}</details>"
            f"<details><summary>{both('outcome.html.domains')}</summary>"
            f"{self.cohort_domains.to_html(index=False, float_format=lambda x: f'{x:.2f}')}"
            f"</details>"
            f"<details><summary>{both('outcome.html.table')}</summary>"
            f"{self.table.head().to_html(index=False)}</details></div>"
        )


def _fmt_date(d: Any) -> str:
    """An ISO date (``-`` when missing), as in the outcome set's repr."""
    return "-" if d is None or pd.isna(d) else fmt.date(d, "en", "iso")


def outcomes(
    data: PilotData,
    window_days: int | None = None,
    *,
    extract_date: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per-trajectory outcome table (``docs/outcomes.md``).

    Parameters
    ----------
    data : PilotData
        A pilot data package in canonical form (``we.load`` or ``we.synth.generate``).
    window_days : int, optional
        Cost window in days from ``start_date`` (default ``data.study.cost_window_days``).
        The window is ``[start_date, start_date + window_days - 1]``, both inclusive.
    extract_date : date, optional
        Data-extract date for ``follow_up_days`` (default: ``study.extract_date``, else
        inferred from the record dates, robust to outliers; see ``docs/outcomes.md``).
        Records dated after it are excluded with a reason.

    Returns
    -------
    DataFrame
        One row per trajectory, sorted by ``trajectory_id``, index ``0..n-1``. Columns:
        the carried trajectory columns, extra case-mix columns, ``age`` and
        :data:`TABLE_COLUMNS`.

    See Also
    --------
    outcome_set : the same table with exclusion log, flow and domain monitoring.
    """
    return outcome_set(data, window_days, extract_date=extract_date).table


def _check_window(window_days: Any) -> int:
    """The cost window as a positive int (UsageError, a ValueError, otherwise)."""
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)):
        raise UsageError(*pair("outcome.error.window_days_type", value=repr(window_days)))
    if int(window_days) <= 0:
        raise UsageError(*pair("outcome.error.window_days_positive", value=int(window_days)))
    return int(window_days)


def _check_extract_date(extract_date: Any) -> pd.Timestamp | None:
    """The extract date as a normalised Timestamp (None: not given)."""
    if extract_date is None:
        return None
    try:
        day = pd.Timestamp(extract_date).normalize()
    except (ValueError, TypeError) as exc:
        raise UsageError(*pair("outcome.error.extract_date", value=repr(extract_date))) from exc
    if pd.isna(day):
        raise UsageError(*pair("outcome.error.extract_date", value=repr(extract_date)))
    return day


def outcome_set(
    data: PilotData,
    window_days: int | None = None,
    *,
    extract_date: str | pd.Timestamp | None = None,
) -> OutcomeSet:
    """Outcome table plus exclusion log, CONSORT flow and domain monitoring.

    Parameters
    ----------
    data : PilotData
    window_days : int, optional
        Cost window in days (default ``data.study.cost_window_days``, 365).
    extract_date : date, optional
        Data-extract date for ``follow_up_days``; records dated after it are excluded
        with a reason. Default: ``study.extract_date``, else inferred from the record
        dates, robust to outliers (:func:`wattelt_eval.data.infer_extract_date`).

    Returns
    -------
    OutcomeSet

    Notes
    -----
    The definitions and every edge case are documented, in Dutch and English and
    with worked examples, in ``docs/outcomes.md``.
    """
    window_days = _check_window(data.study.cost_window_days if window_days is None else window_days)
    extract_date = _check_extract_date(extract_date)
    source = "argument"
    if extract_date is None and getattr(data.study, "extract_date", None):
        extract_date, source = _check_extract_date(data.study.extract_date), "study"
    if extract_date is None:
        extract_date, source = infer_extract_date(data), "inferred"

    log = _Log()
    if extract_date is not None:
        data = _drop_after_extract(data, extract_date, log)
    data, notes = _unsupported(data)
    tr = _prepare_trajectories(data, log)
    n = len(tr.frame)
    progress.step("trajectories")

    goals, ginfo = _goal_outcomes(data.goals, tr, log)
    progress.step("goals")
    tell = _telling_outcomes(data.contacts, tr, log)
    progress.step("contacts")
    costs = _cost_outcomes(data, tr, window_days, log)
    progress.step("costs")
    dom = _domain_outcomes(data, tr, log)
    progress.step("domain_scores")

    # ---- follow-up
    extract_day = None if extract_date is None else _day_number(extract_date)
    if extract_day is None:
        fu = np.zeros(n, dtype=np.int64)
        fu_missing = np.ones(n, dtype=bool)
    else:
        fu = extract_day - tr.start + 1
        fu_missing = ~tr.start_valid
    fu = np.where(fu_missing, 0, fu)

    # ---- assemble the table
    t = tr.frame.reset_index(drop=True)
    out: dict[str, Any] = {c: t[c] for c in tr.carried}
    sd = t["start_date"]
    out["age"] = (sd.dt.year.astype("Int64") - t["birth_year"].astype("Int64")).astype("Int64")
    out.update(goals)
    out.update(tell)
    out.update(costs)
    out["follow_up_days"] = _int64(fu, fu_missing)
    out["full_follow_up"] = _bool(fu >= window_days, fu_missing)
    out.update(dom["columns"])
    table = pd.DataFrame(
        {k: (v.array if isinstance(v, pd.Series) else v) for k, v in out.items()},
        index=pd.RangeIndex(n),
    )
    # the table holds its own (consolidated) copy: let the column arrays go before the
    # log and the flow are built (0.3 GB at 1M trajectories, at the stage's peak)
    del out, goals, tell, costs, t, sd
    dom["columns"] = None
    _release_freed_memory()

    own_log = log.frame()
    exclusions = _combine_logs(data.exclusions, own_log)
    flow = _flow(data, table, tr, ginfo)
    ext = None if extract_day is None else pd.Timestamp(np.datetime64(extract_day, "D"))
    return OutcomeSet(
        table=table,
        exclusions=exclusions,
        flow=flow,
        domain_changes=dom["changes"],
        cohort_domains=dom["cohort"],
        gaps=dom["gaps"],
        window_days=window_days,
        extract_date=ext,
        extract_date_source=source if ext is not None else "",
        notes=notes,
        data=data,
    )


def _unsupported(data: PilotData) -> tuple[PilotData, list[str]]:
    """What the data cannot support, as note codes (``outcome.note.<code>``), and the rules.

    * ``no_lineage``: no goal has ``derived_from`` while goals span several stages, so
      ``goal_retention`` is missing there (not 0): lineage cannot be traced.
    * ``lineage_inferred:<n>``: ``n`` goal links were inferred from text
      (:func:`wattelt_eval.lineage.infer`, column ``goals.derived_from_source``).
    * ``baseline_shifted:<n>``: no domain score in the package has measurement 0 (the
      measurements are numbered from 1, say): the package's lowest measurement number is
      read as the baseline (documented rule), so the ``_t0`` outcomes are not missing for
      everyone; ``n`` trajectories are renumbered. When some trajectories do have
      measurement 0, nothing is shifted: a trajectory without it has no board at intake
      (its ``_t0`` outcomes are missing, which the implementation monitor counts).
    """
    notes: list[str] = []
    g = data.goals
    if (
        not lineage_recorded(g)
        and (g.groupby("trajectory_id", observed=True)["stage"].nunique() > 1).any()
    ):
        notes.append("no_lineage")
    if "derived_from_source" in g.columns:  # links inferred by wattelt_eval.lineage
        n_inferred = int((g["derived_from_source"] == "inferred").sum())
        if n_inferred:
            notes.append(f"lineage_inferred:{n_inferred}")
    ds = data.domain_scores
    if len(ds) and "measurement" in ds.columns:
        meas = ds["measurement"]
        lowest = meas.min()
        if pd.notna(lowest) and lowest > 0:
            ds = ds.copy()
            ds["measurement"] = (meas - lowest).astype(meas.dtype)
            data = dataclasses.replace(data, domain_scores=ds)
            n = int(ds["trajectory_id"][meas.notna()].nunique())
            notes.append(f"baseline_shifted:{n}")
    return data, notes


def _drop_after_extract(data: PilotData, extract_date: pd.Timestamp, log: _Log) -> PilotData:
    """The package without the records dated after the extract date (each logged).

    A trajectory starting after it is left out with all its rows; any other record
    (contact, goal, score, provision start, staff time) dated after it is left out
    (reason ``after_extract_date``). A trajectory's end date after the extract date is
    kept (it may be planned). Nothing is copied when no record is late.
    """
    changes: dict[str, pd.DataFrame] = {}
    tr = data.trajectories
    late_tr = (tr["start_date"] > extract_date).fillna(False).to_numpy(dtype=bool)
    late_ids = tr["trajectory_id"][late_tr].dropna().unique() if late_tr.any() else []
    if late_tr.any():
        log.add("trajectories", tr, late_tr, "after_extract_date")
        changes["trajectories"] = tr[~late_tr]
    for table, col in RECORD_DATES:
        if table == "trajectories":
            continue
        df = data[table]
        if col not in df.columns or not len(df):
            continue
        late = (df[col] > extract_date).fillna(False).to_numpy(dtype=bool)
        if len(late_ids):
            late |= df["trajectory_id"].isin(late_ids).to_numpy(dtype=bool)
        if late.any():
            log.add(table, df, late, "after_extract_date")
            changes[table] = df[~late]
    if not changes:
        return data
    return dataclasses.replace(data, **changes)
