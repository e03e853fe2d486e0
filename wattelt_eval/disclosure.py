"""Statistical disclosure control for everything the package publishes.

Every table and figure that leaves the package (the council report, CLI output
meant for sharing) goes through this module, so that no resident can be
recognised from small numbers.

Rules
-----
``min10`` (default)
    Counts below the threshold (default 10, ``disclosure.threshold`` in
    ``study.toml``) are shown as ``<10``. Zero counts too: "nobody in this group"
    is itself a disclosure about everyone in the group.
``cbs``
    Counts are rounded to multiples of 5 and counts 0–7 are suppressed (shown as
    ``<8``), after the rounding-and-suppression practice of CBS tables. The
    threshold of this rule is fixed at 8; ``disclosure.threshold`` applies to
    ``min10`` only.

Both rules
    * *complementary suppression*: in a table with totals a suppressed cell could
      be recovered by subtracting the published cells from the total, so more
      cells are hidden (shown as ``x``) until every suppressed cell has at least
      two possible values given everything that is published, including the
      bounds the symbols themselves reveal (``<10`` means 0–9, ``x`` means at
      least 10). This is checked exactly with linear programming, not only with
      the "two per line" rule of thumb.
    * means, percentages and effect estimates over fewer than ``min_n`` residents
      (10; for ``min10`` the threshold) are not shown (``—``).

Functions
---------
:func:`rule_from_study`, :func:`resolve_rule`, :func:`format_count`,
:func:`format_counts`, :func:`mask_statistic`, :func:`format_statistic`,
:func:`mask_frame`, :func:`can_show`, :func:`suppression_pattern`,
:func:`suppress_table`, :func:`feasible_ranges`, :func:`filter_groups`,
:func:`note`.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4–5
(cell suppression, audit by linear programming).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .errors import DataError
from .i18n import Lang, check_lang, pair, text
from .i18n import format as fmt

if TYPE_CHECKING:
    from .data import StudySettings

Rule = Literal["min10", "cbs"]
RULES: tuple[str, ...] = ("min10", "cbs")

#: cbs rule: counts 0-7 suppressed, others rounded to a multiple of 5.
CBS_THRESHOLD = 8
CBS_BASE = 5
#: Smallest number of residents behind a published mean, percentage or estimate.
MIN_N_STATISTIC = 10
#: Symbol of a complementary suppressed cell.
COMPLEMENTARY_SYMBOL = "x"
#: Symbol of a statistic that is not shown.
MASK_SYMBOL = "—"

Code = Literal["", "primary", "complementary"]


@dataclass(frozen=True)
class DisclosureRule:
    """A suppression rule and its threshold.

    Parameters
    ----------
    rule : {"min10", "cbs"}
    threshold : int, optional
        Smallest count that may be shown. Default 10 for ``min10``; fixed at 8
        for ``cbs`` (0–7 suppressed).
    """

    rule: Rule = "min10"
    threshold: int | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"disclosure rule must be one of {RULES}, not {self.rule!r}")
        t = self.threshold
        if t is None:
            t = 10 if self.rule == "min10" else CBS_THRESHOLD
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
            raise ValueError(f"disclosure threshold must be a positive integer, not {t!r}")
        object.__setattr__(self, "threshold", int(t))

    @property
    def min_n(self) -> int:
        """Smallest number of residents behind a published statistic."""
        assert self.threshold is not None
        return self.threshold if self.rule == "min10" else max(MIN_N_STATISTIC, self.threshold)

    @property
    def symbol(self) -> str:
        """Symbol of a (primary) suppressed count, e.g. ``<10``."""
        return f"<{self.threshold}"

    def is_small(self, counts: Any) -> np.ndarray:
        """Boolean array: counts under the threshold (primary suppression)."""
        x = np.asarray(counts, dtype="float64")
        return x < self.threshold

    def rounded(self, counts: Any) -> np.ndarray:
        """Counts as published (rounded to multiples of 5 under ``cbs``; half up)."""
        x = np.asarray(counts, dtype="float64")
        if self.rule == "cbs":
            return np.floor(x / CBS_BASE + 0.5) * CBS_BASE
        return x

    def __repr__(self) -> str:
        return f"DisclosureRule(rule={self.rule!r}, threshold={self.threshold})"


def resolve_rule(
    rule: Rule | DisclosureRule | StudySettings | None = None, threshold: int | None = None
) -> DisclosureRule:
    """A :class:`DisclosureRule` from a rule name, a rule, or study settings.

    ``None`` gives the default ``min10`` rule. An explicit ``threshold`` overrides
    the one of ``rule``.
    """
    if rule is None:
        return DisclosureRule("min10", threshold)
    if isinstance(rule, DisclosureRule):
        return rule if threshold is None else DisclosureRule(rule.rule, threshold)
    if isinstance(rule, str):
        return DisclosureRule(rule, threshold)  # type: ignore[arg-type]
    if hasattr(rule, "disclosure_rule"):
        r = rule_from_study(rule)
        return r if threshold is None else DisclosureRule(r.rule, threshold)
    raise ValueError(
        f"rule must be 'min10', 'cbs', a DisclosureRule or StudySettings, not {rule!r}"
    )


def rule_from_study(study: StudySettings) -> DisclosureRule:
    """The disclosure rule set in ``study.toml`` (``[disclosure] rule, threshold``).

    The threshold applies to ``min10``; ``cbs`` always suppresses 0–7.
    """
    name = str(study.disclosure_rule or "min10")
    if name not in RULES:
        raise DataError(*pair("disclosure.invalid_rule", rule=repr(name)))
    if name == "cbs":
        return DisclosureRule("cbs")
    return DisclosureRule("min10", int(study.disclosure_threshold))


# --------------------------------------------------------------------------------------
# Single numbers
# --------------------------------------------------------------------------------------


def format_counts(
    counts: Any,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    lang: Lang = "nl",
) -> pd.Series:
    """Counts as publishable strings (vectorised :func:`format_count`).

    Missing counts become ``""``. Returns a Series of strings (index kept when
    ``counts`` is a Series).
    """
    check_lang(lang)
    r = resolve_rule(rule, threshold)
    s = counts if isinstance(counts, pd.Series) else pd.Series(np.asarray(counts, dtype="float64"))
    x = pd.to_numeric(s, errors="raise").astype("float64")
    if ((x < 0) | (x.notna() & (x != np.floor(x)))).any():
        raise ValueError("counts must be non-negative whole numbers")
    shown = pd.Series(r.rounded(x.to_numpy()), index=x.index)
    out = shown.map(lambda v: "" if math.isnan(v) else fmt.number(v, 0, lang)).astype(object)
    out[x.notna() & (x < r.threshold)] = r.symbol
    return out.astype(object)


def format_count(
    n: float | int | None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    lang: Lang = "nl",
) -> str:
    """One count as a publishable string.

    Examples
    --------
    >>> format_count(7)
    '<10'
    >>> format_count(1234)
    '1.234'
    >>> format_count(12, rule="cbs")
    '10'
    >>> format_count(7, rule="cbs")
    '<8'
    """
    v = np.nan if n is None or n is pd.NA else float(n)
    return str(format_counts(pd.Series([v]), rule, threshold, lang).iloc[0])


def can_show(
    n: float | int | Iterable[float | int] | None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
) -> bool:
    """True when a statistic over ``n`` residents may be shown.

    ``n`` may be a sequence (e.g. residents per arm for an effect estimate): then
    every group must reach :attr:`DisclosureRule.min_n`. Missing ``n`` -> False.
    """
    r = resolve_rule(rule, threshold)
    if n is None or n is pd.NA:
        return False
    arr = np.atleast_1d(np.asarray(list(n) if isinstance(n, Iterable) else n, dtype="float64"))
    if arr.size == 0 or np.isnan(arr).any():
        return False
    return bool((arr >= r.min_n).all())


def mask_statistic(
    value: float | None,
    n: float | int | Iterable[float | int] | None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
) -> float | None:
    """``value`` when it rests on enough residents (:func:`can_show`), else None."""
    if value is None or value is pd.NA or not can_show(n, rule, threshold):
        return None
    v = float(value)
    return None if math.isnan(v) else v


def format_statistic(
    value: float | None,
    n: float | int | Iterable[float | int] | None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    digits: int = 1,
    lang: Lang = "nl",
    percent: bool = False,
) -> str:
    """A mean, share or estimate as a publishable string; ``—`` under ``min_n``.

    With ``percent=True`` a share (0–1) is shown as a percentage (``42,0%``).
    A missing value with enough residents gives ``""``.

    Examples
    --------
    >>> format_statistic(0.4234, 25, percent=True)
    '42,3%'
    >>> format_statistic(3.5, 9)
    '—'
    """
    check_lang(lang)
    if not can_show(n, rule, threshold):
        return MASK_SYMBOL
    v = mask_statistic(value, n, rule, threshold)
    if v is None:
        return ""
    return fmt.percent(v, digits, lang) if percent else fmt.number(v, digits, lang)


def mask_frame(
    df: pd.DataFrame,
    n: str | Sequence[str] | pd.Series | np.ndarray,
    columns: Sequence[str] | None = None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
) -> pd.DataFrame:
    """Set statistics to missing in rows resting on fewer than ``min_n`` residents.

    Parameters
    ----------
    df : DataFrame
        One row per group (e.g. arm x domain), with statistic columns.
    n : str, list of str, Series or array
        Column name(s) with the number of residents behind each row (with several
        columns, e.g. ``["n_demand", "n_supply"]``, every one must reach ``min_n``),
        or the numbers themselves.
    columns : list of str, optional
        Statistic columns to mask; default every numeric column except ``n``.

    Returns
    -------
    DataFrame
        A copy with masked cells set to NaN.
    """
    r = resolve_rule(rule, threshold)
    if isinstance(n, str):
        ncols = [n]
        nval = df[[n]].to_numpy(dtype="float64")
    elif isinstance(n, (list, tuple)) and all(isinstance(c, str) for c in n):
        ncols = list(n)
        nval = df[ncols].to_numpy(dtype="float64")
    else:
        ncols = []
        nval = np.asarray(n, dtype="float64").reshape(len(df), -1)
    ok = (nval >= r.min_n).all(axis=1) & ~np.isnan(nval).any(axis=1)
    if columns is None:
        columns = [c for c in df.columns if c not in ncols and pd.api.types.is_numeric_dtype(df[c])]
    out = df.copy()
    for c in columns:
        out[c] = out[c].astype("float64").where(ok)
    return out


# --------------------------------------------------------------------------------------
# Tables with totals: primary and complementary suppression
# --------------------------------------------------------------------------------------


@dataclass
class SuppressedTable:
    """Result of :func:`suppression_pattern` (internal values: NOT for publication).

    Attributes
    ----------
    counts : DataFrame
        The table with its margins (true counts).
    pattern : DataFrame
        Same shape: ``""`` (shown), ``"primary"`` (under the threshold) or
        ``"complementary"`` (hidden to protect a primary cell).
    rule : DisclosureRule
    relations : ndarray
        Constraint matrix ``A`` (relations x cells, row-major over ``counts``)
        with ``A @ counts.ravel() == 0``: each row says "the parts sum to the total".
    """

    counts: pd.DataFrame
    pattern: pd.DataFrame
    rule: DisclosureRule
    relations: np.ndarray

    @property
    def n_primary(self) -> int:
        return int((self.pattern.to_numpy() == "primary").sum())

    @property
    def n_complementary(self) -> int:
        return int((self.pattern.to_numpy() == "complementary").sum())

    def to_strings(self, lang: Lang = "nl") -> pd.DataFrame:
        """The publishable table: DataFrame of strings."""
        check_lang(lang)
        vals = self.counts.to_numpy(dtype="float64")
        shown = self.rule.rounded(vals)
        out = np.vectorize(lambda v: fmt.number(v, 0, lang), otypes=[object])(shown)
        pat = self.pattern.to_numpy()
        out[pat == "primary"] = self.rule.symbol
        out[pat == "complementary"] = COMPLEMENTARY_SYMBOL
        return pd.DataFrame(out, index=self.counts.index, columns=self.counts.columns)

    def _repr_html_(self) -> str:
        return self.to_strings()._repr_html_()


def _augment(
    values: np.ndarray, add_col: bool, add_row: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table with margins, relation matrix and a margin mask."""
    R, C = values.shape
    Ra, Ca = R + int(add_row), C + int(add_col)
    aug = np.zeros((Ra, Ca))
    aug[:R, :C] = values
    if add_col:
        aug[:R, C] = values.sum(axis=1)
    if add_row:
        aug[R, :C] = values.sum(axis=0)
    if add_col and add_row:
        aug[R, C] = values.sum()
    margin = np.zeros((Ra, Ca), dtype=bool)
    margin[R:, :] = True
    margin[:, C:] = True
    rel = []
    if add_col:
        for i in range(Ra):
            a = np.zeros((Ra, Ca))
            a[i, :C] = 1.0
            a[i, C] = -1.0
            rel.append(a.ravel())
    if add_row:
        for j in range(Ca):
            a = np.zeros((Ra, Ca))
            a[:R, j] = 1.0
            a[R, j] = -1.0
            rel.append(a.ravel())
    A = np.array(rel) if rel else np.zeros((0, Ra * Ca))
    return aug, A, margin


def _known_bounds(
    vals: np.ndarray, supp: np.ndarray, primary: np.ndarray, rule: DisclosureRule
) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows about every cell: lower and upper bounds (flat arrays)."""
    t = rule.threshold
    lo = vals.astype("float64").copy()
    hi = vals.astype("float64").copy()
    if rule.rule == "cbs":
        r = rule.rounded(vals)
        lo = np.maximum(r - (CBS_BASE // 2), t)
        hi = r + (CBS_BASE // 2)
    lo[primary] = 0.0
    hi[primary] = t - 1
    comp = supp & ~primary
    lo[comp] = t
    hi[comp] = np.inf
    return lo, hi


def feasible_ranges(table: SuppressedTable) -> pd.DataFrame:
    """Audit: the range of values each suppressed cell can take, given what is published.

    Solves two linear programmes per suppressed cell (minimise, maximise) subject
    to the table's additivity, the published cells and the bounds the symbols
    reveal (``<t`` = 0 to t−1, ``x`` = at least t; under ``cbs`` a shown value v
    means v−2 to v+2). The constraint matrix of a two-way table with margins is
    totally unimodular, so the LP bounds are whole numbers and a width of at least
    1 means at least two whole-number values are possible.

    Returns
    -------
    DataFrame
        One row per suppressed cell: ``row, column, kind, value, lower, upper``.
    """
    from scipy.optimize import linprog

    vals = table.counts.to_numpy(dtype="float64")
    pat = table.pattern.to_numpy()
    supp = (pat != "").ravel()
    primary = (pat == "primary").ravel()
    lo, hi = _known_bounds(vals.ravel(), supp, primary, table.rule)
    rows = []
    idx = np.flatnonzero(supp)
    bounds = list(zip(lo, np.where(np.isinf(hi), None, hi), strict=True))
    A = table.relations
    if A.shape[0] == 0:
        A_eq = b_eq = None
    else:
        A_eq, b_eq = A, np.zeros(A.shape[0])
    nr, nc = vals.shape
    for k in idx:
        c = np.zeros(vals.size)
        c[k] = 1.0
        lower = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        upper = linprog(-c, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        lv = lower.fun if lower.status == 0 else np.nan
        uv = -upper.fun if upper.status == 0 else (np.inf if upper.status == 3 else np.nan)
        i, j = divmod(int(k), nc)
        rows.append(
            (
                table.counts.index[i],
                table.counts.columns[j],
                pat.ravel()[k],
                vals.ravel()[k],
                lv,
                uv,
            )
        )
    return pd.DataFrame(rows, columns=["row", "column", "kind", "value", "lower", "upper"])


def _determined_by_sums(A: np.ndarray, supp: np.ndarray) -> np.ndarray:
    """For each suppressed cell (in order): is it a linear combination of published
    values through the table's sums (bounds ignored)? ``e_k`` lies in the row space of
    the relations restricted to the suppressed cells."""
    idx = np.flatnonzero(supp)
    if A.shape[0] == 0 or idx.size == 0:
        return np.zeros(idx.size, dtype=bool)
    M = A[:, idx].astype(float)
    r0 = np.linalg.matrix_rank(M)
    out = np.zeros(idx.size, dtype=bool)
    for k in range(idx.size):
        e = np.zeros((1, idx.size))
        e[0, k] = 1.0
        out[k] = np.linalg.matrix_rank(np.vstack([M, e])) == r0
    return out


def _check_counts(counts: pd.DataFrame) -> np.ndarray:
    try:
        vals = counts.apply(pd.to_numeric, errors="raise").to_numpy(dtype="float64")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"counts must be numeric: {exc}") from exc
    if np.isnan(vals).any():
        raise ValueError("counts must be complete (no missing cells); fill structural zeros with 0")
    if (vals < 0).any() or (vals != np.floor(vals)).any():
        raise ValueError("counts must be non-negative whole numbers")
    return vals


def suppression_pattern(
    counts: pd.DataFrame | pd.Series,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    margins: bool = True,
    total_label: str | None = None,
) -> SuppressedTable:
    """Primary and complementary suppression of a one- or two-way table of counts.

    Parameters
    ----------
    counts : DataFrame or Series
        Interior cells (without totals), non-negative whole numbers.
    rule, threshold
        See :func:`resolve_rule`.
    margins : bool
        Add totals (a total column when there are several columns, a total row
        when there are several rows) and protect suppressed cells against
        recovery from them. Without margins only primary suppression applies:
        nothing else is published to subtract from.
    total_label : str, optional
        Label of the total row and column (default Dutch ``Totaal``).

    Returns
    -------
    SuppressedTable

    Notes
    -----
    1. Primary: every cell (margins included) under the threshold.
    2. Complementary, rule of thumb: while some row or column relation (parts +
       total) holds exactly one suppressed cell, hide one more cell in it —
       an interior cell in preference to a total, a cell whose crossing line
       already holds exactly one suppressed cell (to close a cycle), then the
       smallest.
    3. Audit (:func:`feasible_ranges`): a suppressed cell whose feasible range is
       a single value (e.g. a bridge between two blocks of suppressed cells, or
       zeros pinned by non-negativity), or that the table's sums alone determine
       (a linear combination of published values, bounds and rounding ignored),
       gets one more neighbour suppressed, and steps 2–3 repeat. Every step hides
       one more cell, so this ends.
    """
    r = resolve_rule(rule, threshold)
    total_label = total_label or text("disclosure.total", "nl")
    if isinstance(counts, pd.Series):
        counts = counts.to_frame(name=counts.name if counts.name is not None else "n")
    if isinstance(counts.index, pd.MultiIndex) or isinstance(counts.columns, pd.MultiIndex):
        raise ValueError("counts must have a simple (not Multi) index and columns")
    vals = _check_counts(counts)
    R, C = vals.shape
    add_col = bool(margins and C > 1)
    add_row = bool(margins and R > 1)
    aug, A, margin = _augment(vals, add_col, add_row)
    index = list(counts.index) + ([total_label] if add_row else [])
    columns = list(counts.columns) + ([total_label] if add_col else [])
    primary = r.is_small(aug)
    supp = primary.copy()
    flat_supp = supp.ravel()  # view
    flat_vals = aug.ravel()
    flat_margin = margin.ravel()
    rel_cells = [np.flatnonzero(a) for a in A]
    # relations through each cell
    cell_rels: list[list[int]] = [[] for _ in range(aug.size)]
    for q, cells in enumerate(rel_cells):
        for k in cells:
            cell_rels[k].append(q)

    def pick(cands: np.ndarray) -> int:
        def key(k: int) -> tuple[int, int, float, int]:
            closes = sum(
                1 for q in cell_rels[k] if flat_supp[rel_cells[q]].sum() == 1 and not flat_supp[k]
            )
            return (int(flat_margin[k]), -closes, float(flat_vals[k]), int(k))

        return min((int(k) for k in cands), key=key)

    def table_now() -> SuppressedTable:
        codes = np.where(supp, np.where(primary, "primary", "complementary"), "")
        return SuppressedTable(
            counts=pd.DataFrame(aug, index=index, columns=columns),
            pattern=pd.DataFrame(codes.astype(object), index=index, columns=columns),
            rule=r,
            relations=A,
        )

    for _ in range(aug.size + 1):
        # step 2: no relation with exactly one suppressed cell
        changed = True
        while changed:
            changed = False
            for cells in rel_cells:
                s = flat_supp[cells]
                if s.sum() == 1:
                    flat_supp[pick(cells[~s])] = True
                    changed = True
        if len(rel_cells) == 0 or not flat_supp.any():
            break
        # step 3: exact audit (LP ranges with the bounds the symbols reveal) and the
        # linear-algebra audit (a hidden cell fixed by the table's sums alone, which
        # rounding under ``cbs`` would otherwise hide from the LP)
        rng = feasible_ranges(table_now())
        pinned = (rng["upper"] - rng["lower"] < 1 - 1e-9).to_numpy().copy()
        pinned |= _determined_by_sums(A, flat_supp)
        if not pinned.any():
            break
        k0 = int(np.flatnonzero(flat_supp)[np.flatnonzero(pinned)[0]])
        cands = np.array(
            sorted({int(k) for q in cell_rels[k0] for k in rel_cells[q] if not flat_supp[k]}),
            dtype=int,
        )
        if cands.size == 0:
            cands = np.flatnonzero(~flat_supp)
        if cands.size == 0:
            break
        flat_supp[pick(cands)] = True
    return table_now()


def suppress_table(
    counts: pd.DataFrame | pd.Series,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    margins: bool = True,
    lang: Lang = "nl",
    total_label: str | None = None,
) -> pd.DataFrame:
    """A publishable table of counts: DataFrame of strings.

    Small cells show the rule's symbol (``<10``), cells hidden to protect them
    show ``x``; under ``cbs`` shown counts are rounded to multiples of 5. See
    :func:`suppression_pattern` for the method; :func:`note` gives the legend.

    Examples
    --------
    >>> t = pd.DataFrame({"ja": [3, 20, 30], "nee": [25, 22, 40]}, index=["A", "B", "C"])
    >>> suppress_table(t)
             ja nee Totaal
    A       <10   x     28
    B         x   x     42
    C        30  40     70
    Totaal   53  87    140
    """
    check_lang(lang)
    label = total_label or text("disclosure.total", lang)
    return suppression_pattern(counts, rule, threshold, margins, label).to_strings(lang)


def note(
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    lang: Lang = "nl",
) -> str:
    """Legend for a published table under ``rule``."""
    check_lang(lang)
    r = resolve_rule(rule, threshold)
    parts = [
        text("disclosure.note.small", lang, symbol=r.symbol, threshold=r.threshold),
        text("disclosure.note.complementary", lang, symbol=COMPLEMENTARY_SYMBOL),
        text("disclosure.note.masked", lang, symbol=MASK_SYMBOL, min_n=r.min_n),
    ]
    if r.rule == "cbs":
        parts.append(text("disclosure.note.rounded", lang))
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# Figures: drop or merge small groups
# --------------------------------------------------------------------------------------


def filter_groups(
    df: pd.DataFrame,
    group_col: str | Sequence[str],
    n: str | None = None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
    merge: bool = False,
    merge_label: str | None = None,
    unit_col: str | None = None,
) -> tuple[pd.DataFrame, str, str]:
    """Drop (or merge) the groups of a figure that rest on too few residents.

    Parameters
    ----------
    df : DataFrame
        Either row level (one row per trajectory or resident; ``n=None``) or
        aggregated (one row per group, with the number of residents in column
        ``n``).
    group_col : str or list of str
        Column(s) defining the groups (e.g. ``"household"`` or ``["arm", "team"]``).
    n : str, optional
        Column with the number of residents per row (aggregated input).
    rule, threshold
        See :func:`resolve_rule`; groups need at least ``min_n`` residents.
    merge : bool
        Row-level input only: relabel the small groups as ``merge_label`` instead
        of dropping them (with several group columns, the last one is relabelled
        within its higher-level group). A merged group that is still too
        small is dropped.
    merge_label : str, optional
        Default ``"overig / other"``.
    unit_col : str, optional
        Row-level input: count distinct values of this column (e.g.
        ``"resident_id"``) instead of rows.

    Returns
    -------
    df_kept : DataFrame
    note_nl, note_en : str
        A sentence for the figure's caption saying what was left out or merged;
        ``""`` when nothing was.
    """
    r = resolve_rule(rule, threshold)
    cols = [group_col] if isinstance(group_col, str) else list(group_col)
    missing = [
        c
        for c in [*cols, *([n] if n else []), *([unit_col] if unit_col else [])]
        if c not in df.columns
    ]
    if missing:
        raise ValueError(f"filter_groups: columns not in df: {missing}")
    if merge and n is not None:
        raise ValueError("merge=True needs row-level input (n=None)")

    def sizes(frame: pd.DataFrame) -> pd.Series:
        if n is not None:
            return pd.to_numeric(frame[n], errors="raise").astype("float64")
        g = frame.groupby(cols, dropna=False, sort=False, observed=True)
        size = g[unit_col].transform("nunique") if unit_col else g[cols[0]].transform("size")
        return size.astype("float64")

    def labels(frame: pd.DataFrame) -> list[str]:
        key = frame[cols].astype("string").fillna("NA").agg(" / ".join, axis=1)
        return sorted(pd.unique(key).tolist())

    size = sizes(df)
    small = size < r.min_n
    if not small.any():
        return df.copy(), "", ""
    groups = ", ".join(labels(df[small]))
    if merge:
        merge_label = merge_label or " / ".join(pair("disclosure.other"))
        out = df.copy()
        last = cols[-1]
        out[last] = out[last].astype("object").where(~small, merge_label)
        size2 = sizes(out)
        still = size2 < r.min_n
        kept = out[~still].copy()
        key = "merged_too_small" if still.any() else "merged"
        nl, en = pair(f"disclosure.groups.{key}", min_n=r.min_n, groups=groups, label=merge_label)
        return kept, nl, en
    kept = df[~small].copy()
    nl, en = pair("disclosure.groups.left_out", min_n=r.min_n, groups=groups)
    return kept, nl, en


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def dropped_note(dropped: Iterable[str], threshold: int, lang: Lang = "nl") -> list[str]:
    """The note for groups left out of a figure because they rest on too few residents."""
    names = list(dict.fromkeys(str(d) for d in dropped))
    if not names:
        return []
    return [text("disclosure.not_shown", lang, t=threshold, groups=", ".join(names))]


def attach_notes(fig: Any, notes: list[str]) -> Any:
    """Disclosure / data notes below a matplotlib figure and as ``fig.wattelt_notes``.

    Every figure of the package ends here, so a reader (and a test) finds what was
    left out in one place.
    """
    import textwrap

    fig.wattelt_notes = list(notes)
    if notes:
        width = max(int(fig.get_figwidth() * 15), 60)
        body = "\n".join(textwrap.fill(n, width) for n in notes)
        fig.supxlabel(body, x=0.01, ha="left", fontsize=8, color="#444444")
    return fig


# --------------------------------------------------------------------------------------
# Shares: what a published percentage reveals
# --------------------------------------------------------------------------------------


def publishable_share(
    count: float | int | None,
    n: float | int | None,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
) -> float | None:
    """The share ``count / n`` when it may be published, else None.

    Every number in the report's text goes through here. With ``n`` published (as it
    is in every table of the report) a share reveals ``count`` and ``n - count``; so
    the share is published only when ``n`` reaches :attr:`DisclosureRule.min_n` and
    both ``count`` and ``n - count`` may be shown as counts (not under the
    threshold, zero included). Under ``cbs`` the share is computed from the
    rounded counts, so that it reveals no more than the rounded table.

    Examples
    --------
    >>> publishable_share(13, 15) is None   # 2 without: "86,7% of 15" reveals it
    True
    >>> publishable_share(0, 15) is None     # 0% reveals "nobody"
    True
    >>> publishable_share(12, 30)
    0.4
    >>> publishable_share(12, 30, rule="cbs")  # 10 / 30 after rounding
    0.3333333333333333
    """
    r = resolve_rule(rule, threshold)
    if count is None or n is None or count is pd.NA or n is pd.NA:
        return None
    c, m = float(count), float(n)
    if math.isnan(c) or math.isnan(m):
        return None
    if c < 0 or c > m or c != math.floor(c) or m != math.floor(m):
        raise ValueError(f"count must be a whole number from 0 to n, not {count!r} of {n!r}")
    if m < r.min_n or r.is_small([c, m - c]).any():
        return None
    rc, rm = (float(v) for v in r.rounded([c, m]))
    return rc / rm if rm > 0 else None


@dataclass
class PublishedShares:
    """Row shares of a table as they may be drawn or quoted (see :func:`published_shares`).

    Attributes
    ----------
    shares : DataFrame
        Interior cells: the cell's published count over its row's published total;
        NaN where the cell (or the row total) is suppressed.
    hidden : Series
        Per row: the share of the suppressed cells together (1 minus the shown
        shares; what the published table reveals anyway by subtraction), NaN when
        the row total is suppressed.
    totals : Series
        Per row: the published row total (rounded under ``cbs``), NaN when suppressed.
    table : SuppressedTable
        The suppressed table the shares come from (internal values: not for publication).
    """

    shares: pd.DataFrame
    hidden: pd.Series
    totals: pd.Series
    table: SuppressedTable


def published_shares(
    counts: pd.DataFrame,
    rule: Rule | DisclosureRule | StudySettings | None = "min10",
    threshold: int | None = None,
) -> PublishedShares:
    """Row shares of a two-way table of counts, drawn only from its suppressed version.

    The table is suppressed exactly as :func:`suppress_table` publishes it (margins,
    complementary suppression); a figure or sentence built from these shares reveals
    nothing the published table does not: a shown share is a shown count over a
    shown total, and the suppressed cells of a row appear only together.

    Parameters
    ----------
    counts : DataFrame
        Rows (e.g. the arms) x categories, at least two categories.
    rule, threshold
        See :func:`resolve_rule`.
    """
    if not isinstance(counts, pd.DataFrame) or counts.shape[1] < 2:
        raise ValueError("published_shares needs a DataFrame with at least two columns")
    r = resolve_rule(rule, threshold)
    st = suppression_pattern(counts, r, margins=True)
    R, C = counts.shape
    pub = st.rule.rounded(st.counts.to_numpy(dtype="float64"))
    shown = st.pattern.to_numpy() == ""
    totals = np.where(shown[:R, C] & (st.counts.to_numpy()[:R, C] >= r.min_n), pub[:R, C], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(shown[:R, :C], pub[:R, :C] / totals[:, None], np.nan)
    hidden = np.where(np.isnan(totals), np.nan, 1.0 - np.nansum(shares, axis=1))
    hidden = np.where(np.isclose(hidden, 0.0, atol=1e-12), 0.0, hidden)
    return PublishedShares(
        shares=pd.DataFrame(shares, index=counts.index, columns=counts.columns),
        hidden=pd.Series(hidden, index=counts.index),
        totals=pd.Series(totals, index=counts.index),
        table=st,
    )
