"""Internals shared by the modules of the comparison engine (private).

One place for what :mod:`.effects`, :mod:`.balancing`, :mod:`.diff_in_diff`,
:mod:`.time_series`, :mod:`.sample_size` and :mod:`.cost_effectiveness` have in common:
the catalogue texts (``estimation.*`` keys), bilingual errors, the arm indicator, numeric
columns, the analysis rows of a comparison (:class:`Prepared`), the fitted-model handle
(:class:`FittedModel`) and the normal / t interval. Nothing here imports a sibling module
other than the model layer (:mod:`._core`, :mod:`._models`, :mod:`.bootstrap`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, UsageError
from ..i18n import LANGS, pair, text
from . import _core
from ._models import Design, build_design, covariate_columns

#: outcome name -> kind (the package's own outcomes; others are detected from the values)
KNOWN_KINDS: dict[str, str] = {
    "goal_retention": "proportion",
    "goal_ownership": "proportion",
    "goals_achieved_share": "proportion",
    "n_retells": "count",
    "n_tellings": "count",
    "n_contacts": "count",
    "n_goals_final": "count",
    "n_problem_domains_t0": "count",
    "any_provision": "binary",
    "full_follow_up": "binary",
}
#: proportion outcome -> its number of trials
KNOWN_TRIALS: dict[str, str] = {"goal_retention": "n_resident_goals"}
#: treated level for well-known arm columns
KNOWN_TREATED: dict[str, Any] = {"arm": "demand_driven", "period": "after"}
#: outcome kinds with a ratio of the arm means next to their difference
RATIO_KINDS = {"binary", "count", "proportion", "cost"}


# ------------------------------------------------------------------------------ texts


def txt(key: str, lang: str, **values: Any) -> str:
    """The catalogue text ``estimation.<key>`` in ``lang``."""
    return text(f"estimation.{key}", lang, **values)


def bilingual(prefix: str, names: tuple[str, ...] | list[str]) -> dict[str, dict[str, str]]:
    """``{name: {"nl": ..., "en": ...}}`` for the texts ``estimation.<prefix>.<name>``."""
    return {n: {lang: txt(f"{prefix}.{n}", lang) for lang in LANGS} for n in names}


def method_text(method: str, lang: str) -> str:
    """Description of an estimator (``"aipw"`` -> "augmented IPW (doubly robust)")."""
    return txt(f"method.{method}", lang)


def ci_text(ci_method: str, lang: str) -> str:
    """Description of an inference method; an unknown label is returned as it is."""
    key = f"estimation.ci.{ci_method}"
    from ..i18n import catalogue

    return text(key, lang) if key in catalogue() else str(ci_method)


def data_error(key: str, **values: Any) -> DataError:
    """A :class:`~wattelt_eval.errors.DataError` with the text ``estimation.error.<key>``."""
    return DataError(*pair(f"estimation.error.{key}", **values))


def usage_error(key: str, **values: Any) -> UsageError:
    """A :class:`~wattelt_eval.errors.UsageError` with the text ``estimation.error.<key>``."""
    return UsageError(*pair(f"estimation.error.{key}", **values))


def require_columns(table: pd.DataFrame, columns: list[str]) -> None:
    """Raise a DataError naming the columns of ``columns`` that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if len(missing) == 1:
        raise data_error("column_missing", column=missing[0])
    if missing:
        raise data_error("columns_missing", columns=missing)


# ------------------------------------------------------------------------------ columns


def numeric(s: pd.Series, name: str) -> pd.Series:
    """A numeric or boolean column as float (missing -> NaN)."""
    if pd.api.types.is_bool_dtype(s) or s.dtype == "boolean":
        return s.astype("Float64").astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise data_error("not_numeric", column=name, dtype=str(s.dtype))
    return s.astype("Float64").astype(float)


def detect_kind(name: str, values: pd.Series) -> str:
    """Outcome type from the outcome's name, else from its values."""
    if name in KNOWN_KINDS:
        return KNOWN_KINDS[name]
    if name.startswith("cost"):
        return "cost"
    v = values.dropna()
    if pd.api.types.is_bool_dtype(values) or set(np.unique(v)) <= {0.0, 1.0}:
        return "binary"
    if (v >= 0).all() and (v == np.round(v)).all():
        return "count"
    if (v >= 0).all() and (v <= 1).all():
        return "proportion"
    return "continuous"


def _default_treated(vals: list[Any], arm: str) -> Any:
    if arm in KNOWN_TREATED and KNOWN_TREATED[arm] in set(map(str, vals)):
        return KNOWN_TREATED[arm]
    if set(map(str, vals)) == {"True", "False"}:
        return True
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in vals) and set(
        map(float, vals)
    ) == {0.0, 1.0}:
        return 1
    raise data_error("treated_unknown", arm=arm, values=list(vals))


def arm_indicator(s: pd.Series, arm: str, treated: Any) -> tuple[np.ndarray, Any, Any]:
    """(1.0 treated / 0.0 control / NaN missing, treated value, control value)."""
    vals = pd.unique(s.dropna())
    if len(vals) != 2:
        raise data_error("arm_two_values", arm=arm, n=len(vals), values=list(vals)[:5])
    if treated is None:
        treated = _default_treated(list(vals), arm)
    match = [v for v in vals if v == treated or str(v) == str(treated)]
    if not match:
        raise data_error("treated_not_found", treated=treated, arm=arm, values=list(vals))
    t = match[0]
    c = [v for v in vals if v is not t and str(v) != str(t)][0]
    return (s == t).to_numpy(dtype=float, na_value=np.nan), t, c


# ------------------------------------------------------------------------------ analysis rows


class Prepared:
    """The analysis rows of a comparison after dropping and counting missing values."""

    def __init__(self, table, outcome, arm, covariates, kind, cluster, by, treated, trials):
        if not isinstance(table, pd.DataFrame):
            raise usage_error("not_a_frame")
        needed = [outcome, arm] + [c for c in (cluster, by, trials) if c]
        missing = [c for c in needed if c not in table.columns]
        if isinstance(covariates, (list, tuple)):
            missing += [c for c in covariates if c not in table.columns]
        if missing:
            raise data_error("columns_missing", columns=missing)
        y_all = numeric(table[outcome], outcome)
        if kind == "auto":
            kind = detect_kind(outcome, table[outcome])
        if kind == "proportion" and trials is None and outcome in KNOWN_TRIALS:
            if KNOWN_TRIALS[outcome] in table.columns:
                trials = KNOWN_TRIALS[outcome]
        cov_cols = covariate_columns(covariates, table)
        if isinstance(covariates, str) and arm in cov_cols:
            cov_cols.remove(arm)
        a_all, self.treated, self.control = arm_indicator(table[arm], arm, treated)
        keep, drops = self._keep(table, a_all, y_all, cov_cols, trials, cluster, by)
        if kind in ("binary", "proportion") and ((y_all < 0) | (y_all > 1)).any():
            raise data_error("out_of_unit", outcome=outcome, kind=kind)
        if kind in ("count", "cost") and (y_all < 0).any():
            raise data_error("negative", outcome=outcome, kind=kind)
        #: the table's index of the analysis rows (aligns several outcomes' rows)
        self.index = table.index[keep.to_numpy()]
        self.df = table.loc[keep].reset_index(drop=True)
        if len(self.df) == 0:
            raise data_error("no_rows")
        self.n_dropped = drops
        self.n_input = len(table)
        self.kind = kind
        self.trials_col = trials
        self.y = y_all[keep].to_numpy()
        self.a = a_all[keep.to_numpy()]
        self.v = numeric(self.df[trials], trials).to_numpy() if trials else np.ones(len(self.df))
        self.arm_name = arm if re.fullmatch(r"[A-Za-z_]\w*", arm) else "_treat"
        self.df[self.arm_name] = self.a
        self.covariates = covariates
        self.cluster = cluster
        self.by = by
        self.cluster_values = self.df[cluster].astype(str).to_numpy() if cluster else None
        for lab, val in (("control", 0), ("treated", 1)):
            if (self.a == val).sum() == 0:
                raise data_error(f"no_{lab}_rows")

    @staticmethod
    def _keep(table, a_all, y_all, cov_cols, trials, cluster, by):
        """Rows kept and the number dropped per reason (first reason wins)."""
        drops: dict[str, int] = {}
        keep = pd.Series(True, index=table.index)

        def drop(mask: pd.Series, reason: str) -> None:
            nonlocal keep
            new = mask & keep
            if new.any():
                drops[reason] = int(new.sum())
            keep &= ~mask

        drop(pd.Series(np.isnan(a_all), index=table.index), "arm missing")
        drop(y_all.isna(), "outcome missing")
        if cov_cols:
            drop(table[cov_cols].isna().any(axis=1), "covariate missing")
        if trials:
            tr = numeric(table[trials], trials)
            drop(tr.isna() | (tr <= 0), "trials missing or zero")
        if cluster:
            drop(table[cluster].isna(), "cluster missing")
        if by:
            drop(table[by].isna(), "subgroup missing")
        return keep, drops


# ------------------------------------------------------------------------------ the fit


@dataclass
class FittedModel:
    """The fit behind a comparison: a handle that later analyses reuse instead of refitting.

    Attributes
    ----------
    method : str
        Estimator (``unadjusted``, ``regression``, ``ipw``, ``aipw``).
    kind : str
        Outcome type.
    design : Design
        Outcome and propensity design matrices (all-zero columns dropped).
    estimate : _core.Estimate
        Marginal means ``mu`` (control, treated), their influence functions ``phi`` and
        the one-step bootstrap functional ``boot``.
    a : ndarray
        Arm indicator (1 treated) of the rows used.
    cluster_values : ndarray or None
        Cluster of each row used.
    rows : ndarray
        Positions of the rows used in the analysis rows of :class:`Prepared`.
    y, v : ndarray
        Outcome and row weights (trials for a proportion, else 1) of the rows used, so
        that inference can refit the model (wild bootstrap, randomization inference).
    has_trials : bool
        The outcome is a proportion with trials (``v`` enters the model as weights).
    """

    method: str
    kind: str
    design: Design
    estimate: _core.Estimate
    a: np.ndarray
    cluster_values: np.ndarray | None
    rows: np.ndarray
    y: np.ndarray | None = None
    v: np.ndarray | None = None
    has_trials: bool = False
    table_index: Any = None

    @property
    def n(self) -> int:
        """Number of rows in the fit."""
        return len(self.a)

    @property
    def mu(self) -> np.ndarray:
        """Marginal means (control, treated)."""
        return self.estimate.mu

    def boot(self, W: Any) -> np.ndarray:
        """Arm means (B, 2) for bootstrap weights ``W`` (B, n), from one-step updates."""
        return self.estimate.boot(W)


def drop_empty_columns(design: Design) -> Design:
    """Drop all-zero design columns (unused levels) and constant propensity columns."""
    X, X0, X1, Z = design.X, design.X0, design.X1, design.Z
    keep = np.any(X != 0, axis=0) | np.any(X1 != 0, axis=0)
    design.X, design.X0, design.X1 = X[:, keep], X0[:, keep], X1[:, keep]
    if Z is not None:
        zk = np.any(Z != 0, axis=0)
        zk[0] = True
        const = np.all(Z == Z[:1], axis=0)
        const[0] = False
        design.Z = Z[:, zk & ~const]
    return design


def _check_identified(a: np.ndarray, design: Design) -> None:
    """Refuse covariates that determine the arm (e.g. team dummies with the arm per team).

    The arm effect is then not identified: the arm indicator lies in the span of the
    covariate columns (checked by least squares; exact up to rounding).
    """
    Z = design.Z
    if Z is None or Z.shape[1] < 2:
        return
    coef, *_ = np.linalg.lstsq(Z, a.astype(float), rcond=None)
    if np.max(np.abs(a - Z @ coef)) < 1e-8:
        raise data_error("arm_determined", columns=", ".join(design.z_columns[1:]))


def _overlap(a: np.ndarray, Z: np.ndarray, v: np.ndarray) -> dict[str, Any]:
    """Overlap diagnostics for an adjusted method without a propensity model of its own."""
    try:
        e = _core.propensity(a, Z).mean(Z)
    except Exception:  # noqa: BLE001 - separation etc.: reported, not fatal
        return {"overlap_diagnostics": "propensity model failed"}
    out = _core.weight_diagnostics(a, np.clip(e, 1e-12, 1 - 1e-12), v)
    out.pop("stabilised_weights", None)
    return out


def fit_model(
    prep: Prepared, rows: np.ndarray, method: str, trim: float | None, ps_fixed: bool = False
) -> tuple[FittedModel, dict[str, Any]]:
    """Fit ``method`` on the rows ``rows`` (bool mask over ``prep.df``).

    With ``trim`` (``ipw``/``aipw``) rows with a propensity score outside
    ``[trim, 1 - trim]`` are dropped first. Returns the fit and its diagnostics.
    """
    df = prep.df.loc[rows].reset_index(drop=True)
    y, a, v = prep.y[rows], prep.a[rows], prep.v[rows]
    cov = None if method == "unadjusted" else prep.covariates
    if method in ("ipw", "aipw") and not cov:
        raise usage_error("needs_covariates", method=method)
    design = drop_empty_columns(build_design(df, prep.arm_name, cov))
    diag: dict[str, Any] = {}
    sub = np.ones(len(y), dtype=bool)
    if trim is not None and method in ("ipw", "aipw"):
        e = _core.propensity(a, design.Z).mean(design.Z)
        sub = (e >= trim) & (e <= 1 - trim)
        diag["n_trimmed"] = int((~sub).sum())
        if (~sub).any():
            y, a, v, df = y[sub], a[sub], v[sub], df.loc[sub].reset_index(drop=True)
            design = drop_empty_columns(build_design(df, prep.arm_name, cov))
    _check_identified(a, design)
    trials = v if prep.trials_col else None
    est = _core.ESTIMATORS[method](y, a, v, design, prep.kind, trials, ps_fixed=ps_fixed)
    diag.update(est.diagnostics)
    if method == "regression" and design.Z is not None:
        diag.update(_overlap(a, design.Z, v))
    cl_vals = prep.cluster_values[rows][sub] if prep.cluster_values is not None else None
    pos = np.flatnonzero(rows)[sub]
    fit = FittedModel(
        method, prep.kind, design, est, a, cl_vals, pos, y, v, trials is not None, prep.index[pos]
    )
    return fit, diag


# ------------------------------------------------------------------------------ intervals


def summarise_interval(stat: float, se: float, df: float, alpha: float):
    """(low, high, two-sided p) from a normal (``df`` infinite) or t reference."""
    q = stats.norm.ppf(1 - alpha / 2) if not np.isfinite(df) else stats.t.ppf(1 - alpha / 2, df)
    z = stat / se if se > 0 else np.inf * np.sign(stat)
    p = 2 * (stats.norm.sf(abs(z)) if not np.isfinite(df) else stats.t.sf(abs(z), df))
    return stat - q * se, stat + q * se, float(p)
