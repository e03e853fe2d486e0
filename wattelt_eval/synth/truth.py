"""The known truth: average effects from the potential outcomes, the superpopulation,
the truth files (``truth/``) and the calibration table.

See docs/synth.md, *Known truth* and *Calibration targets*.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import StudySettings
from ..instruments import load_instrument
from ..io import write_csv
from .designs import (
    SUPERPOPULATION_SEED,
    TRUTH_OUTCOMES,
    DesignConfig,
    TeamEffects,
    block_slices,
    design_config,
    draw_team_effects,
    n_blocks,
    team_effect_arrays,
)
from .population import draw_common, draw_residents
from .worlds import potential_frame, world


def effect_summary(po: pd.DataFrame, mask: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``{outcome: {mean_demand, mean_supply, difference, ratio, n, mc_se}}`` over ``po[mask]``."""
    out: dict[str, dict[str, float]] = {}
    sub = po if mask is None else po[mask]
    n = len(sub)
    for o in TRUTH_OUTCOMES:
        d = sub[f"{o}_d"].to_numpy(float)
        s = sub[f"{o}_s"].to_numpy(float)
        md, ms = (float(d.mean()), float(s.mean())) if n else (float("nan"), float("nan"))
        diff = d - s
        out[o] = {
            "mean_demand": md,
            "mean_supply": ms,
            "difference": float(diff.mean()) if n else float("nan"),
            "ratio": md / ms if n and ms != 0 else float("nan"),
            "n": n,
            "mc_se": float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        }
    return out


@functools.lru_cache(maxsize=32)
def superpopulation(design: str, effects_key: tuple, instrument: str, n: int) -> tuple[dict, dict]:
    """Truth for the superpopulation: a large internal draw with a fixed seed.

    Residents *and* teams are new: team effects are drawn per trajectory, so the
    team random effects (and the implementation strength) are integrated out.
    Costs use the default cost window and hourly rates of :class:`StudySettings`.
    """
    eff = dict(effects_key)
    cfg = design_config(design)
    n_domains = len(load_instrument(instrument).domains)
    defaults = StudySettings()
    rates, window = defaults.rates, defaults.cost_window_days
    parts = []
    children = np.random.SeedSequence(SUPERPOPULATION_SEED).spawn(n_blocks(n))
    for (_, _, m), child in zip(block_slices(n), children, strict=True):
        rng = np.random.default_rng(child)
        res = draw_residents(rng, m, cfg, n_domains)
        te = team_effect_arrays(np.arange(m), draw_team_effects(rng, m))
        com = draw_common(rng, m)
        wd = world(1, res, com, te, eff, cfg, rates, window)
        ws = world(0, res, com, te, eff, cfg, rates, window)
        po = potential_frame(wd, ws, res)
        po["demand"] = res["demand"]
        parts.append(pd.DataFrame(po))
    po = pd.concat(parts, ignore_index=True)
    return effect_summary(po), effect_summary(po, po["demand"].to_numpy())


def build_truth(
    po: pd.DataFrame,
    eff: dict[str, float],
    design: str,
    instrument: str,
    superpopulation_n: int | None,
    cfg: DesignConfig,
    team_effects: TeamEffects,
) -> dict[str, Any]:
    """The ``data.truth`` dict (see :func:`wattelt_eval.synth.generate`)."""
    treated = (po["arm"] == "demand_driven").to_numpy()
    truth: dict[str, Any] = {
        "sample": effect_summary(po),
        "sample_treated": effect_summary(po, treated),
        "effects": dict(eff),
        "design": design,
        "instrument": instrument,
        "outcomes": list(TRUTH_OUTCOMES),
        "teams": pd.DataFrame(
            {
                "team": list(cfg.teams),
                "municipality": [cfg.municipalities[i] for i in cfg.team_municipality],
                "pilot": list(cfg.team_pilot),
                "effect_retention": team_effects.retention,
                "effect_provision": team_effects.provision,
                "effect_sharing": team_effects.sharing,
                "effect_referral": team_effects.referral,
                "implementation": team_effects.implementation,
            }
        ),
        "switch_date": None if cfg.switch_date is None else str(cfg.switch_date),
        **_team_switch(cfg),
        "potential_outcomes": po,
    }
    if superpopulation_n:
        sp, sp_t = superpopulation(
            design, tuple(sorted(eff.items())), instrument, int(superpopulation_n)
        )
        truth["superpopulation"] = sp
        truth["superpopulation_treated"] = sp_t
        truth["superpopulation_n"] = int(superpopulation_n)
        truth["superpopulation_seed"] = SUPERPOPULATION_SEED
    return truth


# ---------------------------------------------------------------------------------------
# Truth files
# ---------------------------------------------------------------------------------------


def truth_to_json(truth: dict[str, Any]) -> str:
    """The truth dict as JSON (DataFrames left out, except the team effects as records)."""
    out = {}
    for k, v in truth.items():
        if k == "potential_outcomes":
            continue
        if isinstance(v, pd.DataFrame):
            v = v.to_dict(orient="records")
        out[k] = v
    return json.dumps(out, indent=2, default=float)


def write_truth(truth: dict[str, Any], folder: Path, format: str) -> None:
    """Write ``truth.json`` and the potential outcomes (parquet, else CSV) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "truth.json").write_text(truth_to_json(truth), encoding="utf-8")
    po = truth["potential_outcomes"]
    if format == "parquet":
        po.to_parquet(folder / "potential_outcomes.parquet", index=False)
    else:
        write_csv(po, folder / "potential_outcomes.csv")


def read_truth(folder: str | Path) -> dict[str, Any]:
    """Read a ``truth/`` folder written by :func:`wattelt_eval.synth.write`.

    ``teams`` comes back as a DataFrame and ``potential_outcomes`` is attached,
    as in ``data.truth`` from :func:`wattelt_eval.synth.generate`.
    """
    folder = Path(folder)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    for key in ("teams", "rollout", "team_switch"):
        if isinstance(truth.get(key), list):
            truth[key] = pd.DataFrame.from_records(truth[key])
    if (folder / "potential_outcomes.parquet").exists():
        truth["potential_outcomes"] = pd.read_parquet(folder / "potential_outcomes.parquet")
    elif (folder / "potential_outcomes.csv").exists():
        truth["potential_outcomes"] = pd.read_csv(folder / "potential_outcomes.csv")
    return truth


# ---------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------

#: Calibration targets (assumptions from the sources; see docs/synth.md).
CALIBRATION_TARGETS: dict[str, tuple[float, float]] = {
    # name: (target, tolerance)
    "no_provision_share_demand": (0.40, 0.04),
    "cost_more_share_demand": (0.10, 0.02),
    "annual_cost_household_help": (2500.0, 375.0),
    "annual_cost_support_at_home": (6500.0, 975.0),
    "annual_cost_aids_and_services": (900.0, 180.0),
}


def calibration(po: pd.DataFrame) -> pd.DataFrame:
    """Calibration quantities from potential outcomes (``data.truth["potential_outcomes"]``).

    Returns a table with ``quantity, value, target, tolerance, ok``. The quantities
    are computed over the demand-driven world for the Huizen figures, and over
    the realised world for costs per client (mean cost in the 365-day window over
    trajectories with any cost in that CBS group). ``care_use_ratio_2plus`` is the
    mean total cost for 2+ problem domains divided by that for 0-1 (target > 1).
    """
    rows = []
    no_prov = 1.0 - po["any_provision_d"].mean()
    more = (po["cost_provisions_d"] > po["cost_provisions_s"] + 1e-9).mean()
    rows.append(("no_provision_share_demand", no_prov))
    rows.append(("cost_more_share_demand", more))
    for g in ("household_help", "support_at_home", "aids_and_services"):
        obs = np.where(po["arm"] == "demand_driven", po[f"cost_{g}_d"], po[f"cost_{g}_s"])
        rows.append(
            (f"annual_cost_{g}", float(obs[obs > 0].mean()) if (obs > 0).any() else float("nan"))
        )
    two = po["n_problem_domains_t0"] >= 2
    ratio = po.loc[two, "cost_total_obs"].mean() / po.loc[~two, "cost_total_obs"].mean()
    out = pd.DataFrame(rows, columns=["quantity", "value"])
    out["target"] = out["quantity"].map(lambda q: CALIBRATION_TARGETS[q][0])
    out["tolerance"] = out["quantity"].map(lambda q: CALIBRATION_TARGETS[q][1])
    out["ok"] = (out["value"] - out["target"]).abs() <= out["tolerance"]
    extra = pd.DataFrame(
        [("care_use_ratio_2plus", ratio, 1.0, np.nan, bool(ratio > 1.2))],
        columns=["quantity", "value", "target", "tolerance", "ok"],
    )
    return pd.concat([out, extra], ignore_index=True)


def _team_switch(cfg: DesignConfig) -> dict[str, Any]:
    """Staggered design: each team's switch date (``None``: never), as ``team_switch``."""
    if cfg.team_switch is None:
        return {}
    return {
        "team_switch": pd.DataFrame(
            {
                "team": list(cfg.teams),
                "switch_date": [None if s is None else str(s) for s in cfg.team_switch],
            }
        )
    }
