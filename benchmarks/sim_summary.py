"""Combine the ``sim_compare`` runs in ``benchmarks/results`` into one table.

Usage::

    python benchmarks/sim_summary.py  # writes benchmarks/results/sim_compare_summary.{csv,md}

Rows: source (internal / synth) x outcome x method x interval method, with bias, RMSE
and coverage from the ``effect`` run and the type-I error (rejection rate at 5%) from the
``null`` run, when present. ``sandwich`` rows equal ``cluster_t`` when every team holds
one arm (the same variance formula) and are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def load(source: str, setting: str) -> pd.DataFrame | None:
    path = RESULTS / f"sim_compare_{source}_{setting}.json"
    if not path.exists():
        return None
    d = json.loads(path.read_text())
    df = pd.DataFrame(d["summary"])
    df["n_sims"] = d["meta"]["n_sims"]
    return df


def _markdown(df: pd.DataFrame) -> str:
    rows = [list(map(str, df.columns)), ["---"] * df.shape[1]]
    rows += [["" if pd.isna(v) else str(v) for v in r] for r in df.itertuples(index=False)]
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def main() -> None:
    frames = []
    for source in ("internal", "synth"):
        eff, null = load(source, "effect"), load(source, "null")
        if eff is None:
            continue
        eff = eff[eff.ci != "sandwich"]
        keys = ["outcome", "method", "ci"]
        out = eff[
            keys
            + [
                "n_sims",
                "n_ok",
                "truth",
                "bias",
                "rmse",
                "coverage",
                "mc_se_coverage",
                "mean_ci_width",
            ]
        ].copy()
        if null is not None:
            null = null[null.ci != "sandwich"]
            out = out.merge(
                null[keys + ["rejection_rate", "coverage"]].rename(
                    columns={"rejection_rate": "type1_error", "coverage": "coverage_null"}
                ),
                on=keys,
                how="left",
            )
        else:
            out["type1_error"] = float("nan")
            out["coverage_null"] = float("nan")
        out.insert(0, "source", source)
        frames.append(out)
    tab = pd.concat(frames, ignore_index=True)
    tab.to_csv(
        RESULTS / "sim_compare_summary.csv", index=False, float_format="%.4g", lineterminator="\n"
    )
    show = tab.copy()
    for c in ("coverage", "type1_error", "coverage_null"):
        show[c] = (100 * show[c]).round(1)
    show["bias"] = show["bias"].map(lambda x: f"{x:.3g}")
    show["rmse"] = show["rmse"].map(lambda x: f"{x:.3g}")
    show["truth"] = show["truth"].map(lambda x: f"{x:.3g}")
    cols = ["source", "outcome", "method", "ci", "truth", "bias", "rmse", "coverage", "type1_error"]
    body = _markdown(show[cols])
    (RESULTS / "sim_compare_summary.md").write_text(body + "\n")
    print(body)


if __name__ == "__main__":
    main()
