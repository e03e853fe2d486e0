"""Timing of ``we.compare`` with a bootstrap on a large pilot (issue 5 requirement: a
compare on a 5,000-trajectory table with a 2,000-replicate bootstrap takes seconds).

Usage::

    python benchmarks/bench_compare.py [--n 5000] [--n-boot 2000] [--repeat 3]

Prints the best-of-``repeat`` wall-clock seconds per outcome x method (bootstrap CIs,
clustered by team), and for ``we.cea`` (joint bootstrap of cost and effect).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_compare import COVARIATES, EFFECTS, internal_pilot  # noqa: E402

from wattelt_eval.estimation import cea, compare  # noqa: E402


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=5000, help="trajectories (both arms)")
    p.add_argument("--n-boot", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--teams", type=int, default=8)
    args = p.parse_args(argv)
    table = internal_pilot(np.random.default_rng(1), args.n // 2, args.teams, EFFECTS)
    print(f"{len(table)} trajectories, {args.teams} teams, {args.n_boot} bootstrap replicates")
    print(f"{'outcome':<16}{'method':<12}{'ci':<11}{'seconds':>8}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for out in ("cost_total", "goal_retention", "n_retells"):
            for method in ("unadjusted", "regression", "aipw"):
                cov = None if method == "unadjusted" else COVARIATES
                for ci in ("bootstrap", "wild"):
                    kw = dict(method=method, cluster="team", ci=ci, n_boot=args.n_boot, seed=1)
                    secs = _best(
                        lambda o=out, c=cov, k=kw: compare(table, o, "arm", c, **k), args.repeat
                    )
                    print(f"{out:<16}{method:<12}{ci:<11}{secs:8.2f}", flush=True)
        secs = _best(
            lambda: cea(
                table,
                "cost_total",
                "goal_retention",
                covariates=COVARIATES,
                method="regression",
                cluster="team",
                n_boot=args.n_boot,
                seed=1,
            ),
            args.repeat,
        )
        print(f"{'cea':<16}{'regression':<12}{'bootstrap':<11}{secs:8.2f}")


if __name__ == "__main__":
    main()
