"""Synthetic pilots with known truth, and the bundled demo pilot.

Real pilot data cannot be shipped, so this package simulates pilots in exactly the
data model of docs/data_model.md: every downstream stage runs on it unchanged. It
serves the demo, the tests, checking estimators against a known truth and planning
the power of a pilot.

How it works
------------
Every trajectory is drawn from one underlying resident (case-mix, severity, team,
dates) and then *both* ways of working are played out with common random numbers:
the same uniforms decide, in both worlds, how many goals the resident brings,
whether each goal survives, whether the plan travels with a handover, which
provisions are needed, and so on; only the arm-dependent probabilities differ.
From these two worlds the headline outcomes of docs/outcomes.md are computed
exactly (``goal_retention``, ``n_retells``, ``cost_total``, ``any_provision`` and
some supporting ones): these are the *potential outcomes*. The rows of the world
the resident actually lives in (its ``arm``) become the data.

Under ``effects="null"`` the two worlds are identical trajectory by trajectory
(a sharp null): the treatment changes nothing.

The calibration targets and every assumption are listed in ``docs/synth.md``.

Modules, in the order the generator runs:

- :mod:`.designs`: the three designs, effect parameters, team effects, block size;
- :mod:`.population`: residents and the common random numbers (phase 1a);
- :mod:`.provision_catalogue`: iWmo provisions, prices and the cost in the window;
- :mod:`.worlds`: the two potential worlds and their outcomes (phase 1b);
- :mod:`.expand`: the realised world's rows, one function per table (phase 2);
- :mod:`.truth`: known truth, truth files and the calibration table;
- :mod:`.api`: :func:`generate` and :func:`write` (the block driver);
- :mod:`.demo_pilot`: the bundled demo (:func:`demo`, :func:`build_demo`).

The command ``wattelt-eval synth`` lives in :mod:`wattelt_eval.cli.synth`.

Examples
--------
>>> import wattelt_eval as we
>>> data = we.synth.generate(n_trajectories=500, seed=1)
>>> data.truth["sample"]["goal_retention"]["difference"]  # doctest: +SKIP
0.19...
"""

from __future__ import annotations

from .api import MAX_TRAJECTORIES, generate, write
from .demo_pilot import (
    DEMO_FORMAT,
    DEMO_N,
    DEMO_SEED,
    build_demo,
    demo,
    demo_path,
    write_demo,
)
from .designs import (
    BLOCK_SIZE,
    DEFAULT_EFFECTS,
    DESIGNS,
    NULL_EFFECTS,
    SUPERPOPULATION_N,
    SUPERPOPULATION_SEED,
    TRUTH_OUTCOMES,
    Design,
    PackageFormat,
)
from .truth import CALIBRATION_TARGETS, calibration, read_truth, truth_to_json

__all__ = [
    "BLOCK_SIZE",
    "CALIBRATION_TARGETS",
    "DEFAULT_EFFECTS",
    "DEMO_FORMAT",
    "DEMO_N",
    "DEMO_SEED",
    "DESIGNS",
    "Design",
    "MAX_TRAJECTORIES",
    "NULL_EFFECTS",
    "PackageFormat",
    "SUPERPOPULATION_N",
    "SUPERPOPULATION_SEED",
    "TRUTH_OUTCOMES",
    "build_demo",
    "calibration",
    "demo",
    "demo_path",
    "generate",
    "read_truth",
    "truth_to_json",
    "write",
    "write_demo",
]
