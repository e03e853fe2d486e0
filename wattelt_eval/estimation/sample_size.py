"""``we.power``: power and minimum detectable effect for planning a pilot.

Two arms, residents clustered in teams. The clustering enters through the design effect
``DE = 1 + (m - 1) ICC`` (m the mean number of residents per team, Donner & Klar 2000):
the effective number of residents per arm is ``n / DE``. With teams, the reference
distribution is a t with ``2 (k - 1)`` degrees of freedom (k teams per arm), the df of a
comparison of team means; without teams it is ``n_1 + n_0 - 2`` (continuous, proportion)
or the normal (binary, arcsine scale, as ``statsmodels.stats.power.NormalIndPower``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .effects import _check_literal
from .results import TableView

PowerKind = Literal["continuous", "binary", "proportion"]

TEXT = {
    "title": {
        "nl": "Power en minimaal detecteerbaar effect",
        "en": "Power and minimum detectable effect",
    },
    "solved": {"nl": "opgelost voor", "en": "solved for"},
}
SOLVE_LABEL = {
    "effect": "minimum detectable effect",
    "n_per_arm": "residents per arm",
    "power": "power",
}


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

    TITLE: ClassVar[dict[str, str]] = TEXT["title"]

    table: pd.DataFrame
    solved_for: str
    kind: str
    method: str
    design: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    lang: str = "nl"

    def _scalar(self, col: str) -> float:
        if len(self.table) != 1:
            raise ValueError("Several scenarios; read them from .table.")
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

    def summary(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        cols = [
            c
            for c in (
                "effect",
                "effect_size",
                "p_treated",
                "n_per_arm",
                "n_clusters_per_arm",
                "cluster_size",
                "icc",
                "design_effect",
                "n_effective_per_arm",
                "df",
                "alpha",
                "power",
            )
            if c in self.table.columns
        ]
        return (
            f"{TEXT['title'][lang]} ({TEXT['solved'][lang]} {SOLVE_LABEL[self.solved_for]})\n"
            f"{self.method}\n{self.design}\n" + self.table[cols].round(4).to_string(index=False)
        )


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
    lang: Literal["nl", "en"] = "nl",
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
    _check_literal("kind", kind, PowerKind)
    _check_literal("lang", lang, Literal["nl", "en"])
    problems = []
    given = {
        "effect": effect is not None,
        "n_per_arm": n_per_arm is not None,
        "power": power is not None,
    }
    if sum(given.values()) != 2:
        problems.append(
            "give exactly two of effect, n_per_arm and power (power=None to solve "
            "it) / geef precies twee van effect, n_per_arm en power"
        )
    solve = [k for k, v in given.items() if not v]
    if not 0 < alpha < 1:
        problems.append(f"alpha={alpha} must lie in (0, 1)")
    if power is not None and not alpha < power < 1:
        problems.append(f"power={power} must lie in (alpha, 1)")
    if not 0 <= icc < 1:
        problems.append(f"icc={icc} must lie in [0, 1)")
    if n_clusters_per_arm is not None and cluster_size is not None:
        problems.append("give n_clusters_per_arm or cluster_size, not both")
    if n_clusters_per_arm is not None and n_clusters_per_arm < 2:
        problems.append("n_clusters_per_arm must be at least 2")
    if cluster_size is not None and cluster_size < 1:
        problems.append("cluster_size must be at least 1")
    if icc > 0 and n_clusters_per_arm is None and cluster_size is None:
        problems.append("icc > 0 needs n_clusters_per_arm or cluster_size")
    if kind == "continuous" and (sd is None or sd <= 0):
        problems.append("kind='continuous' needs sd > 0")
    if kind in ("binary", "proportion") and (p_control is None or not 0 < p_control < 1):
        problems.append(f"kind={kind!r} needs p_control in (0, 1)")
    if (
        kind == "binary"
        and effect is not None
        and p_control is not None
        and not (0 < p_control + effect < 1)
    ):
        problems.append("p_control + effect must lie in (0, 1)")
    if ratio <= 0:
        problems.append("ratio must be positive")
    if problems:
        raise ValueError("power(): " + "; ".join(problems))
    solve_for = solve[0]
    if kind == "proportion" and sd is None:
        sd = float(np.sqrt(p_control * (1 - p_control)))
    ns = list(np.atleast_1d(n_per_arm)) if n_per_arm is not None else [None]

    def layout(n: float) -> tuple[float, float, float, float, float]:
        """-> design effect, effective n (treated), effective n (control), df, m."""
        if n_clusters_per_arm is not None:
            m = n / n_clusters_per_arm
            k = float(n_clusters_per_arm)
        elif cluster_size is not None:
            m = float(cluster_size)
            k = n / m
        else:
            m, k = 1.0, np.nan
        de = 1.0 + (m - 1.0) * icc
        if np.isfinite(k):
            df = max(2.0 * (k - 1.0), 1.0)  # team-level df (k teams per arm, equal arms)
        else:
            df = np.inf if kind == "binary" else n * (1 + ratio) - 2
        return de, n / de, ratio * n / de, df, m

    def std_effect(eff: float) -> float:
        if kind == "binary":
            p1 = p_control + eff
            return float(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p_control)))
        return float(eff / sd)

    def from_std(es: float) -> float:
        if kind == "binary":
            a = np.arcsin(np.sqrt(p_control)) + es / 2
            if not 0 <= a <= np.pi / 2:
                return np.nan
            return float(np.sin(a) ** 2 - p_control)
        return float(es * sd)

    rows = []
    for n in ns:
        row: dict[str, Any] = {"kind": kind}
        if solve_for == "n_per_arm":
            es = std_effect(effect)
            if es == 0:
                raise ValueError("power(): effect must not be zero when solving n_per_arm")

            def f(nn: float, es: float = es) -> float:
                de, n1, n0, df, _ = layout(nn)
                return _power_std(abs(es), n1, n0, alpha, df) - power

            lo = 2.0 if n_clusters_per_arm is None else 2.0 * n_clusters_per_arm
            hi = max(4.0 * lo, 16.0)
            while f(hi) < 0 and hi < 1e7:
                hi *= 4.0
            if f(hi) < 0:
                raise ValueError(
                    "power(): the target power cannot be reached with this number of teams "
                    "(the design effect grows with team size); add teams. / Met dit aantal "
                    "teams is de power niet haalbaar; neem meer teams."
                )
            n = lo if f(lo) >= 0 else optimize.brentq(f, lo, hi, xtol=1e-6)
            row["effect"] = effect
            row["effect_size"] = es
            row["n_per_arm"] = n
            row["power"] = power
        elif solve_for == "effect":
            de, n1, n0, df, _ = layout(n)
            top = 40.0 if kind != "binary" else np.pi

            def g(es: float, n1: float = n1, n0: float = n0, df: float = df) -> float:
                return _power_std(es, n1, n0, alpha, df) - power

            es = optimize.brentq(g, 1e-9, top, xtol=1e-12)
            row["effect"] = from_std(es)
            if kind in ("binary", "proportion"):
                row["effect_decrease"] = from_std(-es)
            row["effect_size"] = es
            row["n_per_arm"] = n
            row["power"] = power
        else:
            de, n1, n0, df, _ = layout(n)
            es = std_effect(effect)
            row["effect"] = effect
            row["effect_size"] = es
            row["n_per_arm"] = n
            row["power"] = _power_std(abs(es), n1, n0, alpha, df)
        de, n1, n0, df, m = layout(row["n_per_arm"])
        row.update(
            {
                "n_control": ratio * row["n_per_arm"],
                "n_clusters_per_arm": (
                    n_clusters_per_arm
                    if n_clusters_per_arm is not None
                    else (row["n_per_arm"] / cluster_size if cluster_size else np.nan)
                ),
                "cluster_size": m if (n_clusters_per_arm or cluster_size) else np.nan,
                "icc": icc,
                "design_effect": de,
                "n_effective_per_arm": n1,
                "df": df,
                "alpha": alpha,
                "sd": sd if sd is not None else np.nan,
                "p_control": p_control if p_control is not None else np.nan,
            }
        )
        if kind in ("binary", "proportion"):
            row["p_treated"] = p_control + row["effect"]
        rows.append(row)
    tab = pd.DataFrame(rows)
    ref = (
        "normal"
        if kind == "binary" and not (n_clusters_per_arm or cluster_size)
        else "t with 2(k-1) df (k teams per arm)"
        if (n_clusters_per_arm or cluster_size)
        else "t with n1 + n0 - 2 df"
    )
    scale = {
        "continuous": "standardised mean difference (effect / sd)",
        "binary": "Cohen's h = 2 asin(sqrt p1) - 2 asin(sqrt p0)",
        "proportion": f"mean difference on the share, sd {sd or 0:.3g}"
        " (default sqrt(p(1-p)), conservative)",
    }
    method = f"two-sided test at alpha {alpha}, {scale[kind]}, {ref}, noncentral distribution"
    if n_clusters_per_arm or cluster_size:
        design = (
            f"two arms, residents clustered in teams (ICC {icc}); design effect "
            "1 + (m - 1) ICC with m residents per team"
        )
    else:
        design = "two arms, independent residents (no clustering)"
    if ratio != 1:
        design += f"; {ratio} control residents per intervention resident"
    return PowerResult(tab, solve_for, kind, method, design, {}, lang)
