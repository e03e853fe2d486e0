"""``we.power``: power and minimum detectable effect for planning a pilot.

Two arms, residents clustered in teams. The clustering enters through the design effect
of Eldridge, Ashby & Kerry (2006), ``DE = 1 + ((cv^2 + 1) m - 1) ICC`` (m the mean number
of residents per team, cv the coefficient of variation of the team sizes; with equal
teams ``1 + (m - 1) ICC``, Donner & Klar 2000): the variance of an arm mean is
``DE var / n``. With teams the power is that of the analysis the package recommends,
``compare(..., ci="cluster_t")``: a difference of arm means whose variance is estimated
per arm from the team sums, with a t reference on Welch-Satterthwaite df (at most
``G - 2``, G teams in all). That df is random, so the power is the expectation over the two
per-arm variance estimates (Gauss-Laguerre quadrature over their chi-square laws);
:func:`_cluster_power`. Without teams the reference is a t with ``n_1 + n_0 - 2`` df
(continuous, proportion, count) or the normal (binary, arcsine scale, as
``statsmodels.stats.power.NormalIndPower``).

Solved numbers of teams and residents are rounded up to whole teams and whole residents,
and the power (or MDE) is reported for that rounded design. ``method="simulate"`` checks
the formula by simulation (:mod:`._power_sim`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..errors import UsageError
from ..i18n import pair
from ._shared import txt, usage_error
from .literals import Lang, PowerKind, check
from .results import TableView, title

#: how :func:`power` computes: the closed-form calculation or a simulation
PowerMethod = Literal["analytic", "simulate"]
#: what :func:`power` simulates from: the model behind the formula, or the package's
#: pilot generator (:func:`wattelt_eval.synth.generate`) analysed as the report does
PowerGenerator = Literal["model", "synth"]

#: Gauss-Laguerre nodes per arm for the expectation over the variance estimates.
_NODES = 48


def _power_std(ncp: float, alpha: float, df: float) -> float:
    """Two-sided power of a t (``df``; normal when infinite) with noncentrality ``ncp``."""
    if not np.isfinite(df):
        c = stats.norm.isf(alpha / 2)
        return float(stats.norm.sf(c - ncp) + stats.norm.cdf(-c - ncp))
    c = stats.t.isf(alpha / 2, df)
    p = float(stats.nct.sf(c, df, ncp) + stats.nct.cdf(-c, df, ncp))
    if not np.isfinite(p):  # scipy's nct fails far in the tail: power is 1 there
        p = 1.0 if abs(ncp) > c else float(stats.norm.sf(c - ncp) + stats.norm.cdf(-c - ncp))
    return p


def _chi2_nodes(nu: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights with ``sum w f(x) ~= E f(X)`` for ``X ~ chi2(nu)``."""
    z, w = special.roots_genlaguerre(_NODES, nu / 2.0 - 1.0)
    return 2.0 * z, w / special.gamma(nu / 2.0)


def _cluster_power(
    delta: float,
    var1: float,
    var0: float,
    k1: float,
    k0: float,
    alpha: float,
    df_fixed: float | None = None,
) -> float:
    """Power of the ``cluster_t`` test of a difference ``delta`` of two arm means.

    ``var_a`` is the variance of the arm mean (``DE var / n``), ``k_a`` the teams of the
    arm. The per-arm variance estimate is ``var_a chi2(k_a - 1) / (k_a - 1)``, independent
    of the difference under normality; the test uses their sum and a t on the
    Welch-Satterthwaite df clipped to ``[1, k1 + k0 - 2]`` (as :func:`.bootstrap.if_variance`).
    ``df_fixed`` replaces that df by a constant (then, with equal arms, the result is the
    noncentral t power on ``df_fixed`` df; used to check the quadrature).
    """
    nu1, nu0 = k1 - 1.0, k0 - 1.0
    x1, w1 = _chi2_nodes(nu1)
    x0, w0 = _chi2_nodes(nu0)
    c1 = var1 * x1[:, None] / nu1
    c0 = var0 * x0[None, :] / nu0
    v = c1 + c0
    if df_fixed is None:
        df = v**2 / (c1**2 / nu1 + c0**2 / nu0)
        df = np.clip(df, 1.0, k1 + k0 - 2.0)
    else:
        df = np.full_like(v, float(df_fixed))
    crit = stats.t.isf(alpha / 2, df) * np.sqrt(v)
    tau = np.sqrt(var1 + var0)
    p = stats.norm.cdf((delta - crit) / tau) + stats.norm.cdf((-delta - crit) / tau)
    return float(min(max(w1 @ p @ w0, 0.0), 1.0))


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

    @property
    def n_clusters_per_arm(self) -> float:
        return self._scalar("n_clusters_per_arm")

    def _subject(self, lang: str) -> str:
        return f"{txt('label.solved_for', lang)} {txt(f'power.solve.{self.solved_for}', lang)}"


@dataclass(frozen=True)
class Layout:
    """A two-arm design: residents and whole teams per arm (``k1 = 0``: no teams)."""

    n1: float
    n0: float
    k1: float
    k0: float

    @property
    def clustered(self) -> bool:
        return self.k1 > 0


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
    cv: float = 0.0
    mean_control: float | None = None
    dispersion: float = 0.0

    @property
    def clustered(self) -> bool:
        return bool(self.n_clusters_per_arm or self.cluster_size)

    # ------------------------------------------------------------------ the design
    def layout(self, n: float, whole: bool = True) -> Layout:
        """The design with ``n`` residents in the intervention arm. Teams per arm are
        ``n_clusters_per_arm`` or ``n / cluster_size``, rounded up to whole teams unless
        ``whole=False`` (used only inside a root search; the result is then rounded)."""
        n0 = self.ratio * n
        if not self.clustered:
            return Layout(n, n0, 0, 0)
        if self.n_clusters_per_arm is not None:
            k1 = float(self.n_clusters_per_arm)
            k0 = self.ratio * k1
        else:
            k1, k0 = n / self.cluster_size, n0 / self.cluster_size
        if whole:
            k1, k0 = (max(math.ceil(k - 1e-9), 2) for k in (k1, k0))
        else:
            k1, k0 = max(k1, 2.0), max(k0, 2.0)
        return Layout(n, n0, k1, k0)  # type: ignore[arg-type]

    def design_effect(self, n: float, k: float) -> float:
        """Eldridge et al. (2006): ``1 + ((cv^2 + 1) m - 1) ICC`` with ``m = n / k``."""
        if k <= 0:
            return 1.0
        return 1.0 + ((self.cv**2 + 1.0) * n / k - 1.0) * self.icc

    def df(self, lay: Layout, v1: float, v0: float) -> float:
        """The df: Welch-Satterthwaite at the expected arm variances with teams, else
        ``n_1 + n_0 - 2`` (normal for binary)."""
        if lay.clustered:
            w = (v1 + v0) ** 2 / (v1**2 / (lay.k1 - 1) + v0**2 / (lay.k0 - 1))
            return float(min(max(w, 1.0), lay.k1 + lay.k0 - 2))
        return np.inf if self.kind == "binary" else lay.n1 + lay.n0 - 2

    # ------------------------------------------------------------------ the scales
    @property
    def raw_scale(self) -> bool:
        """Whether the variance depends on the effect (counts; binary with teams, analysed
        by ``cluster_t`` on the difference in proportions, with the arms' own variances);
        the MDE is then searched on the outcome scale, separately for a decrease."""
        return self.kind == "count" or (self.kind == "binary" and self.clustered)

    def analysis_scale(self, eff: float) -> tuple[float, float, float]:
        """(difference, variance per resident treated, control) on the analysed scale:
        Cohen's h with unit variance (binary), the mean with ``sd^2`` (continuous,
        proportion), the mean count with ``mu + dispersion mu^2`` (count)."""
        if self.kind == "count":
            mu0 = self.mean_control
            mu1 = mu0 + eff
            return eff, mu1 + self.dispersion * mu1**2, mu0 + self.dispersion * mu0**2
        if self.raw_scale:  # binary with teams: cluster_t on the difference in proportions
            p0 = self.p_control
            return eff, (p0 + eff) * (1 - p0 - eff), p0 * (1 - p0)
        if self.kind == "binary":
            return self.std_effect(eff), 1.0, 1.0
        return eff, self.sd**2, self.sd**2

    def std_effect(self, eff: float) -> float:
        """Effect on the standardised scale (Cohen's h for binary outcomes; for counts
        the difference over the control SD)."""
        if self.kind == "binary":
            p1 = self.p_control + eff
            return float(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(self.p_control)))
        if self.kind == "count":
            mu0 = self.mean_control
            return float(eff / np.sqrt(mu0 + self.dispersion * mu0**2))
        return float(eff / self.sd)

    def from_std(self, es: float) -> float:
        """Effect on the outcome scale from the standardised scale (not for counts)."""
        if self.kind == "binary":
            a = np.arcsin(np.sqrt(self.p_control)) + es / 2
            if not 0 <= a <= np.pi / 2:
                return np.nan
            return float(np.sin(a) ** 2 - self.p_control)
        return float(es * self.sd)

    # ------------------------------------------------------------------ power
    def arm_variances(self, eff: float, lay: Layout) -> tuple[float, float, float]:
        """(difference, variance of the treated arm mean, of the control arm mean)."""
        delta, s1, s0 = self.analysis_scale(eff)
        return (delta, *self.mean_variances(s1, s0, lay))

    def mean_variances(self, s1: float, s0: float, lay: Layout) -> tuple[float, float]:
        """Variances of the arm means from the variances per resident ``s1``, ``s0``."""
        de1 = self.design_effect(lay.n1, lay.k1) if lay.clustered else 1.0
        de0 = self.design_effect(lay.n0, lay.k0) if lay.clustered else 1.0
        return de1 * s1 / lay.n1, de0 * s0 / lay.n0

    def power_of(self, eff: float, lay: Layout) -> float:
        """Power to detect ``eff`` (outcome scale) in the design ``lay``."""
        return self.power_of_delta(*self.arm_variances(eff, lay), lay)

    def power_of_delta(self, delta: float, v1: float, v0: float, lay: Layout) -> float:
        """Power to detect ``delta`` on the analysed scale, arm-mean variances ``v1, v0``."""
        if lay.clustered:  # k may be fractional inside a root search: chi2 of real df
            return _cluster_power(delta, v1, v0, lay.k1, lay.k0, self.alpha)
        # the noncentral t of TTestIndPower (normal: NormalIndPower) exactly
        return _power_std(abs(delta) / np.sqrt(v1 + v0), self.alpha, self.df(lay, v1, v0))

    def power_std(self, es: float, lay: Layout) -> float:
        """Power for the standardised effect ``es`` (Cohen's h for binary; not counts)."""
        _, s1, s0 = self.analysis_scale(0.0)
        delta = es if self.kind == "binary" else es * self.sd
        return self.power_of_delta(delta, *self.mean_variances(s1, s0, lay), lay)


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
    k = plan.n_clusters_per_arm
    if k is not None and not float(k).is_integer():
        out.append(("whole_clusters", {"value": k}))
    if plan.cluster_size is not None and plan.cluster_size < 1:
        out.append(("min_cluster_size", {}))
    if icc > 0 and plan.n_clusters_per_arm is None and plan.cluster_size is None:
        out.append(("icc_needs_clusters", {}))
    if not (np.isfinite(plan.cv) and plan.cv >= 0):
        out.append(("cv", {"cv": plan.cv}))
    if kind == "continuous" and (plan.sd is None or plan.sd <= 0):
        out.append(("sd", {}))
    if kind in ("binary", "proportion") and (p0 is None or not 0 < p0 < 1):
        out.append(("p_control", {"kind": kind}))
    if kind == "binary" and effect is not None and p0 is not None and not (0 < p0 + effect < 1):
        out.append(("p_treated", {}))
    if kind == "count":
        mu0 = plan.mean_control
        if mu0 is None or not mu0 > 0:
            out.append(("mean_control", {}))
        elif effect is not None and not mu0 + effect > 0:
            out.append(("mean_treated", {}))
        if not (np.isfinite(plan.dispersion) and plan.dispersion >= 0):
            out.append(("dispersion", {}))
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


def _round_design(plan: _Plan, n: float) -> float:
    """Residents per arm of the design ``n`` rounded up: whole teams of (at most) the
    given size when the team size is given, and whole residents."""
    if plan.cluster_size is not None:
        k = math.ceil(n / plan.cluster_size - 1e-9)
        n = k * plan.cluster_size
    return float(math.ceil(n - 1e-9))


def _solve_n(plan: _Plan, effect: float, power: float) -> dict[str, Any]:
    """Residents per arm for ``power`` to detect ``effect``: the exact solution of the
    formula (``n_per_arm_exact``), then rounded up to whole teams and residents."""
    if plan.std_effect(effect) == 0:
        raise usage_error("power_zero_effect")

    def f(nn: float) -> float:
        return plan.power_of(effect, plan.layout(nn, whole=False)) - power

    k = plan.n_clusters_per_arm
    lo = 2.0 if k is None else 2.0 * k
    hi = max(4.0 * lo, 16.0)
    while f(hi) < 0 and hi < 1e7:
        hi *= 4.0
    if f(hi) < 0:
        raise usage_error("power_unreachable")
    exact = lo if f(lo) >= 0 else optimize.brentq(f, lo, hi, xtol=1e-6)
    if plan.clustered and plan.n_clusters_per_arm is None:
        # k = n / cluster_size teams: exact in k, then whole teams
        exact_k = exact / plan.cluster_size
        n = _round_design(plan, exact)
        while plan.power_of(effect, plan.layout(n)) < power:  # rounding k1 and k0 apart
            n = _round_design(plan, n + plan.cluster_size)
    else:
        exact_k = np.nan
        n = _round_design(plan, exact)
        while plan.power_of(effect, plan.layout(n)) < power:
            n += 1.0
    achieved = plan.power_of(effect, plan.layout(n))
    return {
        "effect": effect,
        "effect_size": plan.std_effect(effect),
        "n_per_arm": n,
        "power": achieved,
        "power_target": power,
        "n_per_arm_exact": exact,
        "n_clusters_per_arm_exact": exact_k,
    }


def _mde(plan: _Plan, lay: Layout, power: float, sign: float) -> tuple[float, float]:
    """(effect, standardised effect) of the smallest effect of sign ``sign`` detected
    with ``power``; NaN when no effect of that sign reaches it."""
    if plan.raw_scale:
        if plan.kind == "count":
            mu0 = plan.mean_control
            top, tol = (1e6 * (1 + mu0) if sign > 0 else mu0 * (1 - 1e-12)), 1e-12 * (1 + mu0)
        else:
            top, tol = (1 - plan.p_control if sign > 0 else plan.p_control) * (1 - 1e-12), 1e-12

        def g(e: float) -> float:
            return plan.power_of(sign * e, lay) - power

        if g(top) < 0:
            return np.nan, np.nan
        eff = sign * optimize.brentq(g, tol, top, xtol=tol)
        return eff, abs(plan.std_effect(eff))
    top = 40.0 if plan.kind != "binary" else np.pi

    def g_std(es: float) -> float:
        return plan.power_std(es, lay) - power

    es = optimize.brentq(g_std, 1e-9, top, xtol=1e-12)
    return plan.from_std(sign * es), es


def _solve_effect(plan: _Plan, n: float, power: float) -> dict[str, Any]:
    """Minimum detectable effect with ``n`` residents per arm (whole teams) at ``power``."""
    lay = plan.layout(n)
    eff, es = _mde(plan, lay, power, 1.0)
    row: dict[str, Any] = {"effect": eff}
    if plan.raw_scale:
        row["effect_decrease"] = _mde(plan, lay, power, -1.0)[0]
    elif plan.kind in ("binary", "proportion"):
        row["effect_decrease"] = plan.from_std(-es)
    row.update({"effect_size": es, "n_per_arm": n, "power": power})
    return row


def _solve_power(plan: _Plan, n: float, effect: float) -> dict[str, Any]:
    """Power to detect ``effect`` with ``n`` residents per arm (whole teams)."""
    return {
        "effect": effect,
        "effect_size": plan.std_effect(effect),
        "n_per_arm": n,
        "power": plan.power_of(effect, plan.layout(n)),
    }


def _scenario(plan: _Plan, row: dict[str, Any]) -> dict[str, Any]:
    """A solved row completed with the layout (teams, design effect, df, ...)."""
    lay = plan.layout(row["n_per_arm"])
    _, v1, v0 = (
        plan.arm_variances(row["effect"], lay)
        if np.isfinite(row["effect"])
        else (
            0.0,
            1.0,
            1.0,
        )
    )
    de = plan.design_effect(lay.n1, lay.k1) if lay.clustered else 1.0
    row.update(
        {
            "n_control": lay.n0,
            "n_clusters_per_arm": lay.k1 if lay.clustered else np.nan,
            "n_clusters_control": lay.k0 if lay.clustered else np.nan,
            "cluster_size": lay.n1 / lay.k1 if lay.clustered else np.nan,
            "cv": plan.cv if lay.clustered else np.nan,
            "icc": plan.icc,
            "design_effect": de,
            "n_effective_per_arm": lay.n1 / de,
            "df": plan.df(lay, v1, v0),
            "alpha": plan.alpha,
            "sd": plan.sd if plan.sd is not None else np.nan,
            "p_control": plan.p_control if plan.p_control is not None else np.nan,
        }
    )
    if plan.kind in ("binary", "proportion"):
        row["p_treated"] = plan.p_control + row["effect"]
    if plan.kind == "count":
        row.update(
            {
                "mean_control": plan.mean_control,
                "mean_treated": plan.mean_control + row["effect"],
                "rate_ratio": (plan.mean_control + row["effect"]) / plan.mean_control,
                "dispersion": plan.dispersion,
            }
        )
    return row


def _texts(plan: _Plan, lang: str) -> tuple[str, str]:
    """(method, design) texts of a power calculation."""
    kind = plan.kind
    if kind == "binary" and not plan.clustered:
        ref = "normal"
    else:
        ref = "teams" if plan.clustered else "residents"
    sd = f"{plan.sd or 0:.3g}"
    if kind == "count":
        scale = txt("power_plan.scale.count", lang, dispersion=f"{plan.dispersion:.3g}")
    elif plan.raw_scale:
        scale = txt("power_plan.scale.binary_teams", lang)
    else:
        scale = txt(f"power.scale.{kind}", lang, **({"sd": sd} if kind == "proportion" else {}))
    reference = (
        txt("power_plan.reference.welch", lang)
        if ref == "teams"
        else txt(f"power.reference.{ref}", lang)
    )
    method = txt("power.method", lang, alpha=plan.alpha, scale=scale, reference=reference)
    if plan.clustered:
        design = txt("power_plan.design.clustered", lang, icc=plan.icc, cv=f"{plan.cv:.3g}")
    else:
        design = txt("power.design.independent", lang)
    if plan.ratio != 1:
        design += txt("power.design.ratio", lang, ratio=plan.ratio)
    return method, design


def _from_sizes(
    cluster_sizes: Any, n_per_arm: Any, n_clusters_per_arm: Any, cluster_size: Any, cv: Any
) -> tuple[float, int, float]:
    """(n_per_arm, teams per arm, cv) from a list of team sizes (cv with ddof 0, which
    makes the design effect exact for the size-weighted arm mean)."""
    sizes = np.asarray(cluster_sizes, dtype=float)
    bad = (
        sizes.ndim != 1
        or len(sizes) < 2
        or not np.all(np.isfinite(sizes))
        or np.any(sizes < 1)
        or any(x is not None for x in (n_clusters_per_arm, cluster_size, cv))
        or (n_per_arm is not None and not np.allclose(np.atleast_1d(n_per_arm), sizes.sum()))
    )
    if bad:
        _raise_problems([("cluster_sizes", {})])
    return float(sizes.sum()), len(sizes), float(sizes.std() / sizes.mean())


def power(
    effect: float | None = None,
    n_per_arm: float | list[float] | None = None,
    power: float | None = 0.8,
    *,
    kind: PowerKind = "continuous",
    sd: float | None = None,
    p_control: float | None = None,
    mean_control: float | None = None,
    dispersion: float = 0.0,
    icc: float = 0.0,
    n_clusters_per_arm: int | None = None,
    cluster_size: float | None = None,
    cluster_sizes: list[float] | None = None,
    cv: float | None = None,
    ratio: float = 1.0,
    alpha: float = 0.05,
    method: PowerMethod = "analytic",
    generator: PowerGenerator = "model",
    n_sim: int = 1000,
    seed: int = 1,
    outcome: str = "goal_retention",
    effects: str | dict[str, float] = "default",
    lang: Lang = "nl",
) -> PowerResult:
    """Power, minimum detectable effect (MDE) or residents per arm for a two-arm pilot.

    Give two of ``effect``, ``n_per_arm`` and ``power``; the third is solved (pass
    ``power=None`` to compute power). ``n_per_arm`` may be a list to get a curve.
    A solved number of residents or teams is rounded up to whole residents and whole
    teams per arm; the reported power is that of the rounded design (the exact solution
    is kept in ``n_per_arm_exact`` / ``n_clusters_per_arm_exact``).

    Parameters
    ----------
    effect : float, optional
        Difference between arms on the outcome scale (intervention - control): a mean
        difference (continuous, count), or a difference in proportions (binary,
        proportion). When solving, the MDE is reported for an increase (``effect``) and,
        for binary, proportion and count outcomes, also for a decrease
        (``effect_decrease``).
    n_per_arm : float or list, optional
        Residents in the intervention arm; the control arm has ``ratio * n_per_arm``.
    power : float or None
        Target power (default 0.8); ``None`` to compute it.
    kind : {"continuous", "binary", "proportion", "count"}
        ``continuous``: needs ``sd`` (standard deviation per resident); t-test.
        ``binary``: needs ``p_control``; Cohen's arcsine effect size ``h`` and a normal
        test (statsmodels ``NormalIndPower``), with teams the ``cluster_t`` reference.
        ``proportion`` (a per-resident share such as goal retention): needs
        ``p_control``; analysed as a mean with ``sd`` defaulting to ``sqrt(p(1-p))``,
        the largest SD a [0, 1] outcome with mean p can have (conservative).
        ``count`` (e.g. retellings): needs ``mean_control`` (mean count per resident in
        the control arm); the effect is the **difference in mean counts** (what
        ``compare`` estimates); the rate ratio is reported alongside. Variance per
        resident ``mu + dispersion mu^2`` in each arm (Poisson with ``dispersion=0``,
        negative binomial otherwise), so a decrease and an increase differ.
    mean_control, dispersion : float
        Control mean and negative-binomial overdispersion of a count outcome.
    icc : float
        Intraclass correlation of the outcome within teams (0 without clustering).
    n_clusters_per_arm, cluster_size : optional
        Teams per arm (whole), or mean residents per team (give at most one). With
        ``n_clusters_per_arm`` the team size is ``n_per_arm / n_clusters_per_arm``;
        with ``cluster_size`` the teams are ``n_per_arm / cluster_size`` rounded up.
        The control arm has ``ratio`` times as many teams (rounded up).
    cluster_sizes : list of float, optional
        The planned team sizes of an arm (instead of the three options above): sets
        ``n_per_arm`` (their sum), the teams per arm and ``cv``.
    cv : float, optional
        Coefficient of variation of the team sizes (SD / mean); default 0 (equal teams).
    ratio : float
        Control residents per intervention resident.
    alpha : float
        Two-sided significance level.
    method : {"analytic", "simulate"}
        ``simulate``: power by simulation (``power=None`` only), with its Monte Carlo SE
        (``power_mc_se``); see ``generator``.
    generator : {"model", "synth"}
        For ``method="simulate"``. ``model``: team sums drawn from the model behind the
        formula (normal random team intercept; beta-binomial for binary; gamma team
        frailty and negative binomial for count), analysed as ``compare(...,
        method="unadjusted", ci="cluster_t")``; the analytic power is reported next to
        it. ``synth``: ``n_sim`` pilots of ``n_per_arm * (1 + ratio)`` trajectories from
        :func:`wattelt_eval.synth.generate` (its 4 + 4 teams, case-mix and ``effects``),
        analysed as the council report does (AIPW on the report's covariates, clustered
        by team, falling back to the unadjusted comparison); ``outcome`` is a report
        headline; ``effect`` is then the generator's sample truth (mean over pilots).
    n_sim, seed : int
        Replicates and seed of the simulation (deterministic).
    outcome, effects
        Outcome and effect parameters of ``generator="synth"``.

    References
    ----------
    Donner A, Klar N (2000). Design and Analysis of Cluster Randomization Trials in Health
    Research. Arnold. Eldridge SM, Ashby D, Kerry S (2006). Sample size for cluster
    randomized trials: effect of coefficient of variation of cluster size and analysis
    method. Int J Epidemiol 35:1292-1300. Cohen J (1988). Statistical Power Analysis for
    the Behavioral Sciences, 2nd ed. (effect size h).
    """
    check("kind", kind, PowerKind)
    check("lang", lang, Lang)
    check("method", method, PowerMethod)
    check("generator", generator, PowerGenerator)
    if cluster_sizes is not None:
        n_per_arm, n_clusters_per_arm, cv = _from_sizes(
            cluster_sizes, n_per_arm, n_clusters_per_arm, cluster_size, cv
        )
    plan = _Plan(
        kind,
        sd,
        p_control,
        icc,
        n_clusters_per_arm,
        cluster_size,
        ratio,
        alpha,
        0.0 if cv is None else float(cv),
        mean_control,
        float(dispersion),
    )
    if method == "simulate":
        from ._power_sim import simulate

        return simulate(
            plan,
            effect,
            n_per_arm,
            power,
            generator=generator,
            n_sim=n_sim,
            seed=seed,
            outcome=outcome,
            effects=effects,
            cluster_sizes=cluster_sizes,
            lang=lang,
        )
    _raise_problems(_problems(effect, n_per_arm, power, plan))
    if kind == "proportion" and sd is None:
        plan = replace(plan, sd=float(np.sqrt(p_control * (1 - p_control))))
    ns = list(np.atleast_1d(n_per_arm)) if n_per_arm is not None else [None]
    rows = []
    for n in ns:
        if n_per_arm is None:
            row = _solve_n(plan, effect, power)
        elif effect is None:
            row = _solve_effect(plan, float(n), power)
        else:
            row = _solve_power(plan, float(n), effect)
        rows.append(_scenario(plan, {"kind": kind, **row}))
    solve_for = "n_per_arm" if n_per_arm is None else "effect" if effect is None else "power"
    method_text, design = _texts(plan, lang)
    return PowerResult(pd.DataFrame(rows), solve_for, kind, method_text, design, {}, lang)
