"""Helpers for the report tests: a tiny hand-made pilot and marker checks."""

from __future__ import annotations

import re

import pandas as pd

from wattelt_eval import PilotData
from wattelt_eval.schema import TABLES, coerce_table


def tiny_pilot() -> PilotData:
    """Two trajectories, two contacts, one goal, one provision: every value known by hand."""
    tabs = {n: TABLES[n].empty_frame() for n in TABLES}
    tabs["trajectories"] = coerce_table(
        "trajectories",
        pd.DataFrame(
            {
                "trajectory_id": ["T2", "T1"],
                "resident_id": ["R2", "R1"],
                "arm": ["supply_driven", "demand_driven"],
                "municipality": ["GM0772", "GM0772"],
                "team": ["b", "a"],
                "start_date": ["2025-02-01", "2025-01-15"],
                "birth_year": [1960, 1950],
                "sex": ["male", "female"],
                "household": ["couple", "single"],
            },
            index=pd.Index([2, 3], name="row"),
        ),
    )
    tabs["contacts"] = coerce_table(
        "contacts",
        pd.DataFrame(
            {
                "contact_id": ["C1", "C2"],
                "trajectory_id": ["T1", "T2"],
                "date": ["2025-01-15", "2025-02-01"],
                "organisation": ["wijkteam, noord", "loket"],
                "role": ["generalist", "service_desk"],
                "contact_type": ["intake", "intake"],
                "story_told": [True, pd.NA],
            },
            index=pd.Index([2, 3], name="row"),
        ),
    )
    tabs["goals"] = coerce_table(
        "goals",
        pd.DataFrame(
            {
                "goal_id": ["G1"],
                "trajectory_id": ["T1"],
                "stage": ["intake"],
                "author": ["resident"],
                "text": ['Weer "zelf" boodschappen doen'],
                "status": ["active"],
                "attainment": [1],
            },
            index=pd.Index([2], name="row"),
        ),
    )
    tabs["provisions"] = coerce_table(
        "provisions",
        pd.DataFrame(
            {
                "provision_id": ["V1"],
                "trajectory_id": ["T2"],
                "category": ["02"],
                "start_date": ["2025-03-01"],
                "volume": [3.0],
                "unit": ["hour"],
                "frequency": ["per_week"],
                "unit_price": [65.5],
                "amount": [float("nan")],  # coerce_table cannot cast an absent float column
            },
            index=pd.Index([2], name="row"),
        ),
    )
    return PilotData(**tabs)


#: Marker carried by every identifier and every goal text of :func:`marked_pilot`.
MARKER = "QZXMARK"

#: Identifier (and organisation name) columns per table; goal ``derived_from`` refers to goal ids.
ID_COLUMNS = {
    "trajectories": ["trajectory_id", "resident_id"],
    "contacts": ["contact_id", "trajectory_id", "professional_id", "organisation"],
    "goals": ["goal_id", "trajectory_id", "derived_from"],
    "domain_scores": ["trajectory_id"],
    "provisions": ["provision_id", "trajectory_id"],
    "staff_time": ["trajectory_id"],
}


def marked_pilot(n: int = 240, seed: int = 8) -> PilotData:
    """A synthetic pilot whose ids, organisations and goal texts carry :data:`MARKER` (leak test).

    Every identifier becomes ``<MARKER><old id>`` (consistently across tables) and
    every goal text ``<MARKER>-<row> <old text>``, so each text is unique too.
    """
    from wattelt_eval import synth

    data = synth.generate(n, seed=seed, superpopulation=None)
    for name, cols in ID_COLUMNS.items():
        df = data.tables[name].copy()
        for c in cols:
            s = df[c].astype("string")
            df[c] = (MARKER + s).astype("string")
        setattr(data, name, df)
    g = data.goals.copy()
    pos = pd.Series(range(len(g)), index=g.index).astype("string")
    g["text"] = (MARKER + "-" + pos + " " + g["text"].astype("string").fillna("")).astype("string")
    data.goals = g
    data.truth = None
    return data


# ----------------------------------------------------------------------------- figure leaks
_N_LABEL = re.compile(r"n = ([^)\s]+)")
_PERCENT = re.compile(r"^\s*([\d.,]+)\s*%\s*$")


def _number(s: str, lang: str) -> float | None:
    """A number as the report prints it (``1.234,5`` nl / ``1,234.5`` en); None for ``<10``."""
    group, dec = (".", ",") if lang == "nl" else (",", ".")
    t = s.replace(group, "").replace(dec, ".")
    try:
        return float(t)
    except ValueError:
        return None


def figure_leaks(fig, threshold: int, lang: str) -> list[str]:
    """What a figure's plotted data reveal below ``threshold`` (the image is not read).

    Reads the artists: per axes the group sizes from the tick labels (``(n = 15)``), every
    bar's width as a share of its group, the percentages printed on the figure, and
    any marks (collections, lines). A problem is reported when

    * a mark stands for individual values (a collection with offsets, a line);
    * a published n is below the threshold;
    * a bar is drawn for a group whose n is not published;
    * a drawn share times its group's n is not a whole number (not from counts), or is a
      count below the threshold (bars with gid ``hidden:*`` excepted: they are the
      table's suppressed cells together, checked against the table by the caller);
    * a printed percentage is not one of the drawn shares of at least the threshold.

    Returns
    -------
    list of str
        One line per problem; empty when nothing is revealed.
    """
    from matplotlib.patches import Rectangle

    leaks: list[str] = []
    for k, ax in enumerate(fig.axes):
        for c in ax.collections:
            if len(c.get_offsets()):
                leaks.append(
                    f"axes {k}: {len(c.get_offsets())} individual marks ({type(c).__name__})"
                )
        for line in ax.lines:
            if len(line.get_xdata()):
                leaks.append(f"axes {k}: a line of {len(line.get_xdata())} points")
        ns: dict[int, float | None] = {}
        for pos, lab in zip(ax.get_yticks(), ax.get_yticklabels(), strict=False):
            m = _N_LABEL.search(lab.get_text())
            if m:
                ns[int(round(pos))] = _number(m.group(1), lang)
        for y, n in ns.items():
            if n is not None and n < threshold:
                leaks.append(f"axes {k}: n = {n:g} published for group {y}")
        drawn: list[tuple[float, float]] = []
        for p in ax.patches:
            if not isinstance(p, Rectangle) or p.get_width() <= 0:
                continue
            y = int(round(p.get_y() + p.get_height() / 2))
            n = ns.get(y)
            gid = p.get_gid() or ""
            if n is None:
                leaks.append(f"axes {k}: bar {gid!r} drawn for a group without a published n")
                continue
            count = p.get_width() * n
            if abs(count - round(count)) > 1e-6:
                leaks.append(f"axes {k}: bar {gid!r} is {count:.3f} of {n:g}, not a count")
            elif not gid.startswith("hidden") and round(count) < threshold:
                leaks.append(f"axes {k}: bar {gid!r} reveals {round(count)} of {n:g}")
            elif not gid.startswith("hidden"):
                drawn.append((p.get_width(), n))
        for t in ax.texts:
            m = _PERCENT.match(t.get_text())
            if not m:
                continue
            v = _number(m.group(1), lang) / 100
            if not any(abs(v - w) <= 0.005 + 1e-9 for w, _ in drawn):  # printed rounded
                leaks.append(f"axes {k}: printed {t.get_text()!r} is not a drawn share")
    return leaks
