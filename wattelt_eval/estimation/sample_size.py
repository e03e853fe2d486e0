"""``we.power``: power and minimum detectable effect for planning a pilot.

Two arms, residents clustered in teams. The clustering enters through the design effect
``DE = 1 + (m - 1) ICC`` (m the mean number of residents per team, Donner & Klar 2000):
the effective number of residents per arm is ``n / DE``. With teams, the reference
distribution is a t with ``2 (k - 1)`` degrees of freedom (k teams per arm), the df of a
comparison of team means; without teams it is ``n_1 + n_0 - 2`` (continuous, proportion)
or the normal (binary, arcsine scale, as ``statsmodels.stats.power.NormalIndPower``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import UsageError
from ..i18n import pair
from ._shared import txt, usage_error
from .literals import Lang, PowerKind, check
from .results import TableView, title


def _power_std(es: float, n1: float, n0: float, alpha: float, df: float) -> float:
    """Two-sided power for a standardised effect ``es`` with effective group sizes."""
    ncp = es * np.sqrt(1.0 / (1.0 / n1 + 1.0 / n0))
    if not np.isfinite(df):
        c = stats.norm.isf(alpha / 2)
        return float(stats.norm.sf(c - ncp) + stats.norm.cdf(-c - ncp))
    c = stats.t.isf(alpha / 2, df)
    p = float(stats.nct.sf(c, df, ncp) + stats.nct.cdf(-c, df, ncp))
    if not np.isfinite(p):  # scipy's nct fails far in the tail: power is 1 there
        p = 1.0 if abs(ncp) > c else float(stats.norm.sf(c - ncp) + stats.norm.cdf(-c - ncp))
    return p


@dataclass(repr=False)
class PowerResult(TableView):
    """Result of :func:`power`. ``table`` has one row per scenario (e.g. per ``n_per_arm``
    when a list is given) with the solved quantity filled in."""

    TITLE: ClassVar[dict[str, str]] = title("power")

    table: pd.DataFrame
    solved_for: str
    kind: str
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"

    def _scalar(self, col: str) -> float:
        if len(self.table) != 1:
            raise usage_error("several_scenarios")
        return float(self.table[col].iloc[0])

    @property
    def power(self) -> float:
        return self._scalar("power")

    @property
    def effect(self) -> float:
        """The effect (difference between arms) on the outcome scale."""
        return self._scalar("effect")

    @property
    def n_per_arm(self) -> float:
        return self._scalar("n_per_arm")

    def _subject(self, lang: str) -> str:
        return f"{txt('label.solved_for', lang)} {txt(f'power.solve.{self.solved_for}', lang)}"


@dataclass(frozen=True)
class _Plan:
    """The options of :func:`power` once checked."""

    kind: str
    sd: float | None
    p_control: float | None
    icc: float
    n_clusters_per_arm: int | None
    cluster_size: float | None
    ratio: float
    alpha: float

    @property
    def clustered(self) -> bool:
        return bool(self.n_clusters_per_arm or self.cluster_size)

    def layout(self, n: float) -> tuple[float, float, float, float, float]:
        """-> design effect, effective n (treated), effective n (control), df, m."""
        if self.n_clusters_per_arm is not None:
            m = n / self.n_clusters_per_arm
            k = float(self.n_clusters_per_arm)
        elif self.cluster_size is not None:
            m = float(self.cluster_size)
            k = n / m
        else:
            m, k = 1.0, np.nan
        de = 1.0 + (m - 1.0) * self.icc
        if np.isfinite(k):
            df = max(2.0 * (k - 1.0), 1.0)  # team-level df (k teams per arm, equal arms)
        else:
            df = np.inf if self.kind == "binary" else n * (1 + self.ratio) - 2
        return de, n / de, self.ratio * n / de, df, m

    def std_effect(self, eff: float) -> float:
        """Effect on the standardised scale (Cohen's h for binary outcomes)."""
        if self.kind == "binary":
            p1 = self.p_control + eff
            return float(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(self.p_control)))
        return float(eff / self.sd)

    def from_std(self, es: float) -> float:
        """Effect on the outcome scale from the standardised scale."""
        if self.kind == "binary":
            a = np.arcsin(np.sqrt(self.p_control)) + es / 2
            if not 0 <= a <= np.pi / 2:
                return np.nan
            return float(np.sin(a) ** 2 - self.p_control)
        return float(es * self.sd)

    def power_at(self, es: float, n: float) -> float:
        """Power for the standardised effect ``es`` with ``n`` residents in the treated arm."""
        _, n1, n0, df, _ = self.layout(n)
        return _power_std(es, n1, n0, self.alpha, df)


def _problems(effect, n_per_arm, power, plan: _Plan) -> list[tuple[str, dict[str, Any]]]:
    """The problems with the options of :func:`power` (catalogue key, values)."""
    out: list[tuple[str, dict[str, Any]]] = []
    given = [effect is not None, n_per_arm is not None, power is not None]
    if sum(given) != 2:
        out.append(("two_of_three", {}))
    alpha, icc, kind, p0 = plan.alpha, plan.icc, plan.kind, plan.p_control
    if not 0 < alpha < 1:
        out.append(("alpha", {"alpha": alpha}))
    if power is not None and not alpha < power < 1:
        out.append(("power", {"power": power}))
    if not 0 <= icc < 1:
        out.append(("icc", {"icc": icc}))
    if plan.n_clusters_per_arm is not None and plan.cluster_size is not None:
        out.append(("clusters_or_size", {}))
    if plan.n_clusters_per_arm is not None and plan.n_clusters_per_arm < 2:
        out.append(("min_clusters", {}))
    if plan.cluster_size is not None and plan.cluster_size < 1:
        out.append(("min_cluster_size", {}))
    if icc > 0 and plan.n_clusters_per_arm is None and plan.cluster_size is None:
        out.append(("icc_needs_clusters", {}))
    if kind == "continuous" and (plan.sd is None or plan.sd <= 0):
        out.append(("sd", {}))
    if kind in ("binary", "proportion") and (p0 is None or not 0 < p0 < 1):
        out.append(("p_control", {"kind": kind}))
    if kind == "binary" and effect is not None and p0 is not None and not (0 < p0 + effect < 1):
        out.append(("p_treated", {}))
    if plan.ratio <= 0:
        out.append(("ratio", {}))
    return out


def _raise_problems(problems: list[tuple[str, dict[str, Any]]]) -> None:
    """One bilingual error listing every problem with the options."""
    if not problems:
        return
    texts = [pair(f"estimation.power_problem.{key}", **values) for key, values in problems]
    nl, en = ("; ".join(t[i] for t in texts) for i in (0, 1))
    raise UsageError(txt("error.power", "nl", problems=nl), txt("error.power", "en", problems=en))


def _solve_n(plan: _Plan, effect: float, power: float) -> dict[str, Any]:
    """Residents per arm for ``power`` to detect ``effect``."""
    es = plan.std_effect(effect)
    if es == 0:
        raise usage_error("power_zero_effect")

    def f(nn: float) -> float:
        return plan.power_at(abs(es), nn) - power

    lo = 2.0 if plan.n_clusters_per_arm is None else 2.0 * plan.n_clusters_per_arm
    hi = max(4.0 * lo, 16.0)
    while f(hi) < 0 and hi < 1e7:
        hi *= 4.0
    if f(hi) < 0:
        raise usage_error("power_unreachable")
    n = lo if f(lo) >= 0 else optimize.brentq(f, lo, hi, xtol=1e-6)
    return {"effect": effect, "effect_size": es, "n_per_arm": n, "power": power}


def _solve_effect(plan: _Plan, n: float, power: float) -> dict[str, Any]:
    """Minimum detectable effect with ``n`` residents per arm at ``power``."""
    top = 40.0 if plan.kind != "binary" else np.pi

    def g(es: float) -> float:
        return plan.power_at(es, n) - power

    es = optimize.brentq(g, 1e-9, top, xtol=1e-12)
    row: dict[str, Any] = {"effect": plan.from_std(es)}
    if plan.kind in ("binary", "proportion"):
        row["effect_decrease"] = plan.from_std(-es)
    row.update({"effect_size": es, "n_per_arm": n, "power": power})
    return row


def _solve_power(plan: _Plan, n: float, effect: float) -> dict[str, Any]:
    """Power to detect ``effect`` with ``n`` residents per arm."""
    es = plan.std_effect(effect)
    return {
        "effect": effect,
        "effect_size": es,
        "n_per_arm": n,
        "power": plan.power_at(abs(es), n),
    }


def _scenario(plan: _Plan, row: dict[str, Any]) -> dict[str, Any]:
    """A solved row completed with the layout (teams, design effect, df, ...)."""
    de, n1, _, df, m = plan.layout(row["n_per_arm"])
    row.update(
        {
            "n_control": plan.ratio * row["n_per_arm"],
            "n_clusters_per_arm": (
                plan.n_clusters_per_arm
                if plan.n_clusters_per_arm is not None
                else (row["n_per_arm"] / plan.cluster_size if plan.cluster_size else np.nan)
            ),
            "cluster_size": m if plan.clustered else np.nan,
            "icc": plan.icc,
            "design_effect": de,
            "n_effective_per_arm": n1,
            "df": df,
            "alpha": plan.alpha,
            "sd": plan.sd if plan.sd is not None else np.nan,
            "p_control": plan.p_control if plan.p_control is not None else np.nan,
        }
    )
    if plan.kind in ("binary", "proportion"):
        row["p_treated"] = plan.p_control + row["effect"]
    return row


def _texts(plan: _Plan, lang: str) -> tuple[str, str]:
    """(method, design) texts of a power calculation."""
    kind = plan.kind
    if kind == "binary" and not plan.clustered:
        ref = "normal"
    else:
        ref = "teams" if plan.clustered else "residents"
    sd = f"{plan.sd or 0:.3g}"
    scale = txt(f"power.scale.{kind}", lang, **({"sd": sd} if kind == "proportion" else {}))
    method = txt(
        "power.method",
        lang,
        alpha=plan.alpha,
        scale=scale,
        reference=txt(f"power.reference.{ref}", lang),
    )
    if plan.clustered:
        design = txt("power.design.clustered", lang, icc=plan.icc)
    else:
        design = txt("power.design.independent", lang)
    if plan.ratio != 1:
        design += txt("power.design.ratio", lang, ratio=plan.ratio)
    return method, design


def power(
    effect: float | None = None,
    n_per_arm: float | list[float] | None = None,
    power: float | None = 0.8,
    *,
    kind: PowerKind = "continuous",
    sd: float | None = None,
    p_control: float | None = None,
    icc: float = 0.0,
    n_clusters_per_arm: int | None = None,
    cluster_size: float | None = None,
    ratio: float = 1.0,
    alpha: float = 0.05,
    lang: Lang = "nl",
) -> PowerResult:
    """Power, minimum detectable effect (MDE) or residents per arm for a two-arm pilot.

    Give two of ``effect``, ``n_per_arm`` and ``power``; the third is solved (pass
    ``power=None`` to compute power). ``n_per_arm`` may be a list to get a curve.

    Parameters
    ----------
    effect : float, optional
        Difference between arms on the outcome scale (intervention - control): a mean
        difference (continuous), or a difference in proportions (binary, proportion).
        When solving, the MDE is reported for an increase (``effect``) and, for binary
        and proportion outcomes, also for a decrease (``effect_decrease``).
    n_per_arm : float or list, optional
        Residents in the intervention arm; the control arm has ``ratio * n_per_arm``.
    power : float or None
        Target power (default 0.8); ``None`` to compute it.
    kind : {"continuous", "binary", "proportion"}
        ``continuous``: needs ``sd`` (standard deviation per resident); t-test.
        ``binary``: needs ``p_control``; Cohen's arcsine effect size ``h`` and a normal
        test (statsmodels ``NormalIndPower``), with teams a t with 2(k-1) df.
        ``proportion`` (a per-resident share such as goal retention): needs
        ``p_control``; analysed as a mean with ``sd`` defaulting to ``sqrt(p(1-p))``,
        the largest SD a [0, 1] outcome with mean p can have (conservative).
    icc : float
        Intraclass correlation of the outcome within teams (0 without clustering).
    n_clusters_per_arm, cluster_size : optional
        Teams per arm, or residents per team (give at most one). With
        ``n_clusters_per_arm`` the team size is ``n_per_arm / n_clusters_per_arm``.
    ratio : float
        Control residents per intervention resident.
    alpha : float
        Two-sided significance level.

    References
    ----------
    Donner A, Klar N (2000). Design and Analysis of Cluster Randomization Trials in Health
    Research. Arnold. Cohen J (1988). Statistical Power Analysis for the Behavioral
    Sciences, 2nd ed. (effect size h).
    """
    check("kind", kind, PowerKind)
    check("lang", lang, Lang)
    plan = _Plan(kind, sd, p_control, icc, n_clusters_per_arm, cluster_size, ratio, alpha)
    _raise_problems(_problems(effect, n_per_arm, power, plan))
    if kind == "proportion" and sd is None:
        plan = replace(plan, sd=float(np.sqrt(p_control * (1 - p_control))))
    ns = list(np.atleast_1d(n_per_arm)) if n_per_arm is not None else [None]
    rows = []
    for n in ns:
        if n_per_arm is None:
            row = _solve_n(plan, effect, power)
        elif effect is None:
            row = _solve_effect(plan, n, power)
        else:
            row = _solve_power(plan, n, effect)
        rows.append(_scenario(plan, {"kind": kind, **row}))
    solve_for = "n_per_arm" if n_per_arm is None else "effect" if effect is None else "power"
    method, design = _texts(plan, lang)
    return PowerResult(pd.DataFrame(rows), solve_for, kind, method, design, {}, lang)
