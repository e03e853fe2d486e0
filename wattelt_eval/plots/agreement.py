"""Multi-rater agreement per domain: Bland–Altman gap and quadratic-weighted kappa.

Pairs are built from the scores the outcome stage counts
(:func:`wattelt_eval.outcome.score_table`, ``docs/outcomes.md`` section 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import schema
from ..i18n import check_lang
from ..i18n import format as fmt
from ._common import (
    Lang,
    _finish,
    _labels,
    _num,
    _pilot,
    _t,
    _threshold,
)

if TYPE_CHECKING:
    from ..data import PilotData
from ._common import OKABE_ITO


def weighted_kappa(x: Any, y: Any) -> float:
    """Quadratic-weighted kappa of two raters' paired scores.

    With quadratic weights kappa equals ``2 cov(x, y) / (var(x) + var(y) + (mean(x) -
    mean(y))**2)`` with population moments (Fleiss & Cohen 1973), which is what is
    computed here: it needs no contingency table and works for any numeric scale.
    NaN when both raters give one constant score.

    References
    ----------
    Fleiss, J. L. & Cohen, J. (1973). The equivalence of weighted kappa and the
    intraclass correlation coefficient as measures of reliability. Educ. Psychol. Meas. 33.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError("x and y must have the same length")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) == 0:
        return float("nan")
    den = a.var() + b.var() + (a.mean() - b.mean()) ** 2
    if den == 0:
        return float("nan")
    return float(2 * ((a - a.mean()) * (b - b.mean())).mean() / den)


def agreement_data(
    data: PilotData,
    *,
    raters: tuple[str, str] = ("resident", "professional"),
    measurement: int | None = 0,
) -> pd.DataFrame:
    """Agreement of two raters per domain: gap (Bland–Altman) and weighted kappa.

    Pairs are the scores of both raters for the same trajectory, domain and
    measurement (``measurement=None``: all measurements, so one trajectory can give
    several pairs per domain).

    Returns
    -------
    DataFrame
        One row per domain (instrument order) plus ``domain == "all"`` (all domains
        pooled): ``rater_a, rater_b, n_pairs, n_trajectories, mean_a, mean_b, bias``
        (mean of a − b), ``sd_diff``, ``loa_low``/``loa_high`` (bias ∓ 1.96 sd: the
        Bland–Altman 95% limits of agreement), ``exact`` (share of identical
        scores), ``within_1`` (share differing by at most 1 point) and ``kappa_w``
        (:func:`weighted_kappa`).
    """
    data = _pilot(data, "agreement_data")
    ra, rb = raters
    for r in raters:
        if r not in schema.RATER:
            raise ValueError(f"raters must be in {', '.join(schema.RATER)}, got {r!r}")
    if ra == rb:
        raise ValueError("raters must be two different raters")
    from ..outcome import score_table

    ds = score_table(data)
    if measurement is not None:
        ds = ds[ds["measurement"] == int(measurement)]
    key = ["trajectory_id", "domain", "measurement"]
    # one counted score per trajectory, domain, measurement and rater (outcome stage)
    sa = ds[ds["rater"] == ra].set_index(key)["score"].rename("a")
    sb = ds[ds["rater"] == rb].set_index(key)["score"].rename("b")
    pairs = pd.concat([sa, sb], axis=1, join="inner").reset_index()
    pairs["trajectory_id"] = pairs["trajectory_id"].astype(str)
    pairs["domain"] = pairs["domain"].astype(str)
    pairs["diff"] = pairs["a"] - pairs["b"]

    def _row(p: pd.DataFrame) -> dict[str, Any]:
        d = p["diff"].to_numpy(float)
        sd = float(np.std(d, ddof=1)) if len(d) > 1 else float("nan")
        bias = float(d.mean()) if len(d) else float("nan")
        return {
            "n_pairs": len(p),
            "n_trajectories": int(p["trajectory_id"].nunique()),
            "mean_a": float(p["a"].mean()) if len(p) else float("nan"),
            "mean_b": float(p["b"].mean()) if len(p) else float("nan"),
            "bias": bias,
            "sd_diff": sd,
            "loa_low": bias - 1.96 * sd,
            "loa_high": bias + 1.96 * sd,
            "exact": float((d == 0).mean()) if len(d) else float("nan"),
            "within_1": float((np.abs(d) <= 1).mean()) if len(d) else float("nan"),
            "kappa_w": weighted_kappa(p["a"], p["b"]),
        }

    order = list(data.instrument.domain_codes)
    doms = [d for d in order if d in set(pairs["domain"])]
    doms += sorted(set(pairs["domain"]) - set(order))
    rows = [dict(domain=d, **_row(pairs[pairs["domain"] == d])) for d in doms]
    rows.append(dict(domain="all", **_row(pairs)))
    out = pd.DataFrame(rows)
    out.insert(1, "rater_a", ra)
    out.insert(2, "rater_b", rb)
    return out


def agreement(
    data: PilotData,
    *,
    pairs: Sequence[tuple[str, str]] = (
        ("resident", "professional"),
        ("resident", "informal_carer"),
    ),
    measurement: int | None = 0,
    lang: Lang = "nl",
    min_count: int | None = None,
) -> Figure:
    """Multi-rater agreement per domain: mean gap with 95% limits of agreement, and kappa.

    One panel per pair of raters (default resident vs professional and resident vs
    informal carer). Per domain the diamond is the mean difference (first rater
    minus second: positive = the resident scores higher), the bar the Bland–Altman
    95% limits of agreement; the quadratic-weighted kappa is written on the right.
    Domains with fewer than ``min_count`` residents with a pair are not shown.

    Returns
    -------
    matplotlib.figure.Figure
        The diamonds of pair ``a, b`` carry ``gid`` ``"bias:<a>:<b>"`` (offsets: bias,
        row), the limits ``"loa:<a>:<b>"``.
    """
    check_lang(lang)
    thr = _threshold(data, min_count)
    rl = _labels(schema.RATER_LABELS_NL, schema.RATER_LABELS_EN, lang)
    labels = data.instrument.domain_labels(lang)
    tabs = [agreement_data(data, raters=tuple(p), measurement=measurement) for p in pairs]
    doms = list(data.instrument.domain_codes)
    seen = set().union(*[set(t["domain"]) for t in tabs]) if tabs else set()
    doms = [d for d in doms if d in seen] + sorted(seen - set(doms) - {"all"}) + ["all"]
    y_of = {d: i for i, d in enumerate(doms)}
    fig, axes = plt.subplots(
        1,
        max(len(tabs), 1),
        figsize=(5.4 * max(len(tabs), 1), 0.34 * len(doms) + 2),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    notes: list[str] = []
    span = data.instrument.scale_max - data.instrument.scale_min
    for ax, t in zip(axes[0], tabs, strict=False):
        a, b = t["rater_a"].iloc[0], t["rater_b"].iloc[0]
        ok = t["n_trajectories"] >= thr
        if (~ok).any():
            every = _t("all", lang)
            notes.append(
                _t(
                    "agree_dropped",
                    lang,
                    pair=f"{rl[a]} – {rl[b]}",
                    t=thr,
                    domains=", ".join(
                        every if d == "all" else labels.get(d, every) for d in t.loc[~ok, "domain"]
                    ),
                )
            )
        s = t[ok]
        y = s["domain"].map(y_of).to_numpy(float)
        ax.axvline(0, color="#444444", lw=0.8, ls="--")
        ax.hlines(
            y, s["loa_low"], s["loa_high"], color=OKABE_ITO["sky_blue"], lw=3, gid=f"loa:{a}:{b}"
        )
        ax.scatter(
            s["bias"], y, marker="D", s=30, color=OKABE_ITO["blue"], zorder=3, gid=f"bias:{a}:{b}"
        )
        for yi, k in zip(y, s["kappa_w"], strict=True):
            ax.annotate(
                f"{_num(k, lang)}",
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        ax.set_xlim(-span / 2, span / 2)
        ax.set_title(f"{rl[a]} − {rl[b]}  ({_t('kappa', lang)} →)", fontsize=10)
        ax.set_xlabel(_t("agree_x", lang), fontsize=8)
    axes[0, 0].set_yticks(
        range(len(doms)),
        [labels.get(d, d) if d != "all" else _t("all_domains", lang) for d in doms],
    )
    axes[0, 0].invert_yaxis()
    fig.suptitle(_t("agree_title", lang, m=fmt.MISSING if measurement is None else measurement))
    return _finish(fig, notes)
