"""The provision catalogue: iWmo categories, units and 2025 price levels (assumptions).

See docs/synth.md, *Provisions*, for the table of volumes, prices and durations, and
docs/outcomes.md, section 4, for how a provision's cost in the window is defined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import window_days

#: CBS groups of provision costs (``cost_<group>`` outcomes), in output order.
GROUPS = (
    "household_help",
    "support_at_home",
    "aids_and_services",
    "residential_and_shelter",
    "general",
)

#: Individual provisions by key: category, product code, unit, frequency, volume choices,
#: volume probabilities, unit price (euro), probability open-ended, min/max duration
#: (days) when not open-ended.
PROVISIONS: dict[str, dict[str, Any]] = {
    "hh": dict(
        cat="01",
        product="01A01",
        unit="hour",
        freq="per_week",
        vol=(1.0, 1.5, 2.0, 2.5, 3.0),
        volp=(0.25, 0.3, 0.25, 0.12, 0.08),
        price=31.00,
        open_p=0.55,
        dur=(180, 720),
    ),
    "bg": dict(
        cat="02",
        product="02A05",
        unit="hour",
        freq="per_week",
        vol=(1.0, 1.5, 2.0, 3.0, 4.0),
        volp=(0.25, 0.25, 0.25, 0.15, 0.10),
        price=68.00,
        open_p=0.35,
        dur=(120, 540),
    ),
    "db": dict(
        cat="07",
        product="07A01",
        unit="day_part",
        freq="per_week",
        vol=(1.0, 2.0, 3.0),
        volp=(0.35, 0.45, 0.20),
        price=52.00,
        open_p=0.45,
        dur=(180, 720),
    ),
    "pv": dict(
        cat="03",
        product="03A01",
        unit="hour",
        freq="per_week",
        vol=(1.0, 2.0, 3.0, 5.0),
        volp=(0.3, 0.35, 0.25, 0.10),
        price=58.00,
        open_p=0.50,
        dur=(90, 540),
    ),
    "bw": dict(
        cat="15",
        product="15A02",
        unit="day",
        freq="per_week",
        vol=(7.0,),
        volp=(1.0,),
        price=118.00,
        open_p=1.0,
        dur=(365, 365),
    ),
}

#: Aids and services: a mix (probabilities ``p``), one of them per trajectory needing aids.
#: All are in the CBS group ``aids_and_services``.
AIDS: tuple[dict[str, Any], ...] = (
    dict(
        cat="14",
        product="14A01",
        unit="piece",
        freq="total",
        p=0.50,
        price=(150.0, 1100.0),
        kind="once",
    ),
    dict(
        cat="13",
        product="13A02",
        unit="piece",
        freq="total",
        p=0.10,
        price=(2500.0, 6000.0),
        kind="once",
    ),
    dict(
        cat="11",
        product="11A03",
        unit="piece",
        freq="per_month",
        p=0.20,
        price=(32.0, 48.0),
        kind="lease",
    ),
    dict(
        cat="08",
        product="08A01",
        unit="euro",
        freq="per_month",
        p=0.20,
        price=(30.0, 60.0),
        kind="lease",
    ),
)

#: The extra individual support (category 06) of a tailored demand-driven package.
TAILORED = dict(cat="06", product="06A01", unit="hour", freq="per_week", price=64.00)

#: A general (community) provision, category 00: not an individual provision.
GENERAL = dict(cat="00", unit="euro", freq="total")

#: Provision keys in the order they are drawn (``aid`` = one of :data:`AIDS`).
DRAWN = ("hh", "bg", "db", "pv", "aid", "bw")

#: Product codes in the order of the product index used by the generator:
#: the aids, the individual provisions, then the tailored package.
PRODUCTS = (
    [x["product"] for x in AIDS]
    + [v["product"] for v in PROVISIONS.values()]
    + [TAILORED["product"]]
)


def cost_in_window(
    volume: np.ndarray,
    price: np.ndarray,
    freq: str,
    start: np.ndarray,
    end: np.ndarray,
    open_ended: np.ndarray,
    window: int,
) -> np.ndarray:
    """Cost inside the window as docs/outcomes.md (section 4) defines it (vectorised).

    ``start`` and ``end`` are day offsets from the trajectory start (end inclusive);
    an open-ended provision runs to the end of the window.
    """
    end_eff = np.where(open_ended, window - 1, end)
    days_in = window_days(start, end_eff, window)
    if freq == "per_week":
        return volume * price / 7.0 * days_in
    if freq == "per_month":
        return volume * price / (365.25 / 12.0) * days_in
    total_days = end_eff - start + 1
    return volume * price * days_in / total_days
