"""``generate`` and ``write``: simulate a pilot in memory, or write it as a package.

Both run the same block driver (:func:`_block`): each block of trajectories is drawn
from its own child seed, so the data do not depend on whether they are kept in memory
or streamed to parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import schema
from ..data import PilotData, StudySettings
from ..errors import UsageError
from ..i18n import pair
from ..instruments import Instrument, load_instrument
from ._arrays import str_take
from .designs import (
    SUPERPOPULATION_N,
    TRUTH_OUTCOMES,
    Design,
    DesignConfig,
    PackageFormat,
    TeamEffects,
    block_slices,
    check_design,
    design_config,
    draw_team_effects,
    n_blocks,
    ramp,
    resolve_effects,
    rollout_fidelity,
    switch_month,
    team_effect_arrays,
)
from .expand import expand
from .goal_texts import realistic_goals
from .population import draw_common, draw_residents
from .truth import build_truth, write_truth
from .worlds import potential_frame, world

#: Goal texts of :func:`generate`: the short template texts, or realistic reworded ones.
GoalText = Literal["template", "realistic"]

#: Largest number of trajectories (trajectory ids have seven digits).
MAX_TRAJECTORIES = 9_999_999


def _block(
    seed: int,
    b: int,
    first: int,
    m: int,
    cfg: DesignConfig,
    eff: dict[str, float],
    team_effects: TeamEffects,
    instrument: Instrument,
    rates: dict[str, float],
    window: int,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Tables and potential outcomes of block ``b`` (trajectories ``first + 1 .. first + m``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
    res = draw_residents(rng, m, cfg, len(instrument.domains))
    te = team_effect_arrays(res["team"], team_effects)
    faithful = None
    if cfg.design == "rollout":  # its own child seed: the other designs draw nothing more
        faithful = _rollout_faithful(seed, b, res, cfg)
        te = {**te, "implementation": te["implementation"] * faithful}
    if cfg.ramp_months:  # the effect builds up after each team's switch (no draws)
        since = switch_month(res["team"], res["start"], cfg)
        te = {**te, "implementation": te["implementation"] * ramp(since, cfg.ramp_months)}
    com = draw_common(rng, m)
    wd = world(1, res, com, te, eff, cfg, rates, window)
    ws = world(0, res, com, te, eff, cfg, rates, window)
    tids = pa.array([f"T{i:07d}" for i in range(first + 1, first + m + 1)], type=pa.string())
    tables = expand(rng, res, com, wd, ws, cfg, instrument, tids, eff)
    if faithful is not None:
        tables["domain_scores"] = _drop_intake_board(tables["domain_scores"], tids, faithful)
    t = res["demand"]
    po_df = pd.DataFrame(
        {
            "trajectory_id": pd.arrays.ArrowStringArray(tids),
            "arm": str_take(schema.ARM, np.where(t, 0, 1)),
            **potential_frame(wd, ws, res),
        }
    )
    for o in TRUTH_OUTCOMES:
        po_df[f"{o}_obs"] = np.where(t, po_df[f"{o}_d"], po_df[f"{o}_s"])
    if faithful is not None:
        po_df["faithful"] = faithful
    return tables, po_df


def _rollout_faithful(seed: int, b: int, res: dict, cfg: DesignConfig) -> np.ndarray:
    """Per trajectory of block ``b``: does its team work the new way (docs/synth.md, *Rollout*)?"""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, b)))
    month = _rollout_month(res["start"], cfg)
    return rng.random(len(month)) < rollout_fidelity(res["team"], month)


def _rollout_month(start: np.ndarray, cfg: DesignConfig) -> np.ndarray:
    """Month of the rollout (0 = first month of intake) of each start date."""
    first = cfg.intake_start.astype("datetime64[M]")
    return (np.asarray(start).astype("datetime64[M]") - first).astype(np.int64)


def _drop_intake_board(scores: pd.DataFrame, tids: pa.Array, faithful: np.ndarray) -> pd.DataFrame:
    """Without the new way of working the board is not used at intake: no measurement 0."""
    unfaithful = pd.Index(np.asarray(tids.to_pylist(), dtype=object)[~faithful])
    drop = (scores["measurement"] == 0).to_numpy() & scores["trajectory_id"].isin(unfaithful)
    return scores.loc[~np.asarray(drop, dtype=bool)].reset_index(drop=True)


def rollout_truth(
    tables: dict[str, pd.DataFrame], po: pd.DataFrame, cfg: DesignConfig
) -> pd.DataFrame:
    """The known fidelity path: per team and month, the fidelity and the realised counts.

    Columns ``team``, ``period`` (``YYYY-MM``), ``month`` (0 = first month of intake),
    ``fidelity`` (the probability a trajectory starting then follows the new way of
    working), ``n_trajectories`` and ``n_faithful`` (realised).
    """
    tr = tables["trajectories"]
    team_idx = pd.Index(cfg.teams).get_indexer(tr["team"].astype("string"))
    start = pd.to_datetime(tr["start_date"]).to_numpy().astype("datetime64[D]")
    month = _rollout_month(start, cfg)
    n_months = int(_rollout_month(np.array([cfg.intake_start + cfg.intake_days - 1]), cfg)[0]) + 1
    grid_team = np.repeat(np.arange(len(cfg.teams)), n_months)
    grid_month = np.tile(np.arange(n_months), len(cfg.teams))
    cell = team_idx * n_months + month
    size = len(grid_team)
    faithful = po.set_index("trajectory_id")["faithful"].reindex(
        tr["trajectory_id"].astype("string")
    )
    first = cfg.intake_start.astype("datetime64[M]")
    return pd.DataFrame(
        {
            "team": [cfg.teams[i] for i in grid_team],
            "period": [str(first + int(mm)) for mm in grid_month],
            "month": grid_month,
            "fidelity": rollout_fidelity(grid_team, grid_month),
            "n_trajectories": np.bincount(cell, minlength=size),
            "n_faithful": np.bincount(
                cell, weights=faithful.to_numpy(dtype=float), minlength=size
            ).astype(np.int64),
        }
    )


def _check_args(n_trajectories: int, seed: int, design: str, instrument: str) -> None:
    if isinstance(n_trajectories, bool) or not isinstance(n_trajectories, (int, np.integer)):
        raise UsageError(*pair("synth.error.n_not_integer", value=repr(n_trajectories)))
    if not 1 <= int(n_trajectories) <= MAX_TRAJECTORIES:
        raise UsageError(*pair("synth.error.n_range", value=n_trajectories))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(*pair("synth.error.seed", value=repr(seed)))
    check_design(design)
    load_instrument(instrument)


def _check_goal_options(goal_text: str, blank_lineage: float) -> None:
    if goal_text not in ("template", "realistic"):
        raise UsageError(*pair("synth.error.goal_text", value=repr(goal_text)))
    ok = isinstance(blank_lineage, (int, float, np.floating)) and not isinstance(
        blank_lineage, bool
    )
    if not ok or not 0.0 <= float(blank_lineage) <= 1.0:
        raise UsageError(*pair("synth.error.blank_lineage", value=repr(blank_lineage)))


def _study(seed: int, design: str, instrument: str, n: int) -> StudySettings:
    return StudySettings(
        name=f"Synthetische pilot / synthetic pilot ({design}, n={n}, seed={seed})",
        instrument=instrument,
        price_year=2025,
        seed=seed,
    )


class _Run:
    """The arguments of one simulation, checked, with the team effects drawn."""

    def __init__(
        self, n_trajectories: int, seed: int, effects: Any, design: str, instrument: str
    ) -> None:
        _check_args(n_trajectories, seed, design, instrument)
        self.eff = resolve_effects(effects)
        self.n = int(n_trajectories)
        self.seed = int(seed)
        self.design = design
        self.instrument = instrument
        self.cfg = design_config(design)
        self.study = _study(self.seed, design, instrument, self.n)
        self.inst = load_instrument(instrument)
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(0,)))
        self.team_effects = draw_team_effects(rng, len(self.cfg.teams))

    def blocks(self):
        """Yield ``(tables, potential outcomes)`` block by block."""
        for b, first, m in block_slices(self.n):
            yield _block(
                self.seed,
                b,
                first,
                m,
                self.cfg,
                self.eff,
                self.team_effects,
                self.inst,
                self.study.rates,
                self.study.cost_window_days,
            )

    def truth(self, po: pd.DataFrame, superpopulation: int | None) -> dict[str, Any]:
        return build_truth(
            po, self.eff, self.design, self.instrument, superpopulation, self.cfg, self.team_effects
        )


def _finish_tables(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in schema.TABLES:
        df = (
            pd.concat([p[name] for p in parts], ignore_index=True)
            if len(parts) > 1
            else parts[0][name]
        )
        df = df.reset_index(drop=True)
        df.index = pd.RangeIndex(2, len(df) + 2)
        out[name] = schema.coerce_table(name, df)
    return out


def generate(
    n_trajectories: int = 600,
    seed: int = 20250101,
    effects: str | dict[str, float] | None = "default",
    design: Design = "concurrent",
    instrument: str = "wat_telt",
    superpopulation: int | None = SUPERPOPULATION_N,
    goal_text: GoalText = "template",
    blank_lineage: float = 0.0,
) -> PilotData:
    """Simulate a pilot with known truth, in the data model of docs/data_model.md.

    Parameters
    ----------
    n_trajectories : int
        Number of trajectories (one resident each).
    seed : int
        Seed; the same seed (and arguments) gives identical data.
    effects : {"default", "null"} or dict
        Effect parameters of the demand-driven way of working. A dict overrides
        single entries of :data:`DEFAULT_EFFECTS` (e.g. ``{"goal_retention": 0}``);
        ``"null"`` sets every effect to none (:data:`NULL_EFFECTS`): both potential
        worlds are then identical for every trajectory.
    design : {"concurrent", "did", "its", "rollout", "staggered", "municipalities"}
        ``concurrent``: pilot teams against regular teams in two municipalities
        (2024 intake). ``did``: a pilot municipality (GM0772) switching on
        2024-01-01 and a comparison municipality (GM0794), intake 2023-2024, with
        ``period``. ``its``: one municipality, 36 months of intake from 2022-01,
        switching on 2023-07-01 (all teams), with ``period``. ``rollout``: six teams
        of one municipality all start the new way of working in 2024-01 (18 months of
        intake), but each trajectory follows it only with the team's fidelity of that
        month, rising at team-specific speeds; the last team stalls at 30%
        (``data.truth["rollout"]``, docs/synth.md *Rollout*). ``staggered``: twelve
        teams of one municipality switching team by team (2023-10, 2024-04, 2024-10,
        three never; 36 months from 2023-01), the effect building up over four months
        (``data.truth["team_switch"]``). ``municipalities``: one pilot municipality
        (GM0406) switching on 2024-07-01 against nine comparison municipalities.
    instrument : str
        Domain instrument code for ``domain_scores`` (default ``wat_telt``).
    superpopulation : int or None
        Size of the internal draw (fixed seed :data:`SUPERPOPULATION_SEED`) for the
        superpopulation truth; ``None`` skips it.
    goal_text : {"template", "realistic"}
        ``realistic``: Dutch goal texts reworded across the plan stages (synonyms, word
        order, first person to professional phrasing, an added means or frequency,
        typos), links that skip a stage, merged and split goals
        (:mod:`wattelt_eval.synth.goal_texts`); the true links are in
        ``data.truth["goal_links"]``. Drawn from its own child seed: the other tables
        are the same as with ``template``.
    blank_lineage : float
        Share (0..1) of the true links whose ``derived_from`` is left empty, to test
        :func:`wattelt_eval.lineage.infer`; the true links are then in
        ``data.truth["goal_links"]``.

    Returns
    -------
    PilotData
        Tables in canonical form; ``data.truth`` holds the known truth: ``sample``
        (average effects over the generated trajectories), ``sample_treated``
        (over the demand-driven ones), ``superpopulation`` and
        ``superpopulation_treated``, each ``{outcome: {mean_demand, mean_supply,
        difference, ratio, n, mc_se}}``; ``potential_outcomes`` (one row per
        trajectory: ``<outcome>_d``, ``<outcome>_s``, ``<outcome>_obs``);
        ``effects``, ``design``, ``teams`` (the team random effects); for
        ``design="rollout"`` also ``rollout`` (:func:`rollout_truth`) and a
        ``faithful`` column in ``potential_outcomes``.

    Raises
    ------
    UsageError
        For an invalid argument (a ``ValueError``; the message is in Dutch and English).

    Notes
    -----
    Outcomes follow docs/outcomes.md (sections 2-4) with the study's default cost
    window (365 days) and hourly rates. The generator is vectorised and works in
    blocks of :data:`BLOCK_SIZE` trajectories, each with its own child seed. See
    ``docs/synth.md`` for every assumption and the calibration.
    """
    run = _Run(n_trajectories, seed, effects, design, instrument)
    _check_goal_options(goal_text, blank_lineage)
    parts, pos = [], []
    for tables, po in run.blocks():
        parts.append(tables)
        pos.append(po)
    tables = _finish_tables(parts)
    po = pd.concat(pos, ignore_index=True) if len(pos) > 1 else pos[0]
    truth = run.truth(po, superpopulation)
    if goal_text == "realistic" or blank_lineage > 0:
        rng = np.random.default_rng(np.random.SeedSequence(run.seed, spawn_key=(16,)))
        goals, links = realistic_goals(
            tables["goals"],
            run.inst.domain_codes,
            rng,
            blank_lineage=float(blank_lineage),
            realistic=goal_text == "realistic",
        )
        goals.index = pd.RangeIndex(2, len(goals) + 2)
        tables["goals"] = schema.coerce_table("goals", goals)
        truth["goal_links"] = links
    if design == "rollout":
        truth["rollout"] = rollout_truth(tables, po, run.cfg)
    return PilotData(**tables, study=run.study, truth=truth, source="synthetic")


def write(
    out: str | Path,
    n_trajectories: int = 600,
    seed: int = 20250101,
    effects: str | dict[str, float] | None = "default",
    design: Design = "concurrent",
    format: PackageFormat = "csv",
    instrument: str = "wat_telt",
    truth: bool = True,
    superpopulation: int | None = SUPERPOPULATION_N,
) -> Path:
    """Generate and write a synthetic pilot data package.

    Parquet output is streamed block by block (bounded memory, suitable for
    millions of trajectories); CSV and xlsx go through
    :func:`wattelt_eval.io.write_package`. Data are identical either way. With
    ``truth=True`` the truth is written to ``<out>/truth/`` (``truth.json`` and the
    potential outcomes), outside the package tables.

    Returns
    -------
    Path
        The package folder (or the workbook for ``xlsx``).
    """
    if format not in ("csv", "xlsx", "parquet"):
        raise UsageError(*pair("synth.error.format", value=repr(format)))
    out = Path(out)
    if format != "parquet" or n_blocks(n_trajectories) <= 1:
        from ..io import write_package

        data = generate(
            n_trajectories, seed, effects, design, instrument, superpopulation if truth else None
        )
        path = write_package(data, out, format=format)
        if truth:
            folder = out if out.suffix.lower() != ".xlsx" else out.parent
            write_truth(data.truth, folder / "truth", format)
        return path
    run = _Run(n_trajectories, seed, effects, design, instrument)
    return _write_parquet_stream(out, run, truth, superpopulation)


def _write_parquet_stream(out: Path, run: _Run, truth: bool, superpopulation: int | None) -> Path:
    """Write the package as parquet block by block (and the truth, if asked)."""
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    (out / "study.toml").write_text(run.study.to_toml(), encoding="utf-8")
    writers: dict[str, pq.ParquetWriter] = {}
    pos, trajs = [], []
    try:
        for tables, po in run.blocks():
            if run.design == "rollout":
                trajs.append(tables["trajectories"][["trajectory_id", "team", "start_date"]])
            for name in schema.TABLES:
                df = schema.coerce_table(name, tables[name])
                tab = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", tab.schema)
                writers[name].write_table(tab.cast(writers[name].schema))
            del tables
            pos.append(po)
    finally:
        for w in writers.values():
            w.close()
    if truth:
        po_all = pd.concat(pos, ignore_index=True)
        truth_dict = run.truth(po_all, superpopulation)
        if run.design == "rollout":
            tr = {"trajectories": pd.concat(trajs, ignore_index=True)}
            truth_dict["rollout"] = rollout_truth(tr, po_all, run.cfg)
        write_truth(truth_dict, out / "truth", "parquet")
    return out
