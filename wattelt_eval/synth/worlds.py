"""Phase 1b: one potential world per way of working, as compact arrays (no rows yet).

``world(1, ...)`` plays the demand-driven way of working out for every resident,
``world(0, ...)`` the supply-driven one, from the same residents and the same common
random numbers (:mod:`.population`); only the arm-dependent probabilities differ. Each
world holds everything the rows need (:mod:`.expand`) and the outcomes of
docs/outcomes.md computed from it: the potential outcomes. Nothing is drawn here.
"""

from __future__ import annotations

import numpy as np

from .. import schema
from ._arrays import categorical, expit, logit, tpois
from .designs import TRUTH_OUTCOMES, DesignConfig
from .population import (
    FMAX,
    GMAX,
    N_SLOTS,
    ROLES,
    SLOT_ASSESS,
    SLOT_DESK,
    SLOT_FINAL,
    SLOT_FOLLOW,
    SLOT_HAND,
    SLOT_REVIEW,
    SLOT_SPEC,
    SMAX,
)
from .provision_catalogue import AIDS, DRAWN, GROUPS, PROVISIONS, TAILORED, cost_in_window

Arrays = dict[str, np.ndarray]

MISSING_STORY = 0.15  # share of contacts without a recorded story_told
# resident retells even though the plan was there (generalist, specialist)
EXTRA_RETELL = (0.15, 0.12)
#: Extra potential outcomes besides :data:`TRUTH_OUTCOMES`: the costs per CBS group.
PO_EXTRA = tuple(f"cost_{g}" for g in GROUPS)


def world(
    t: int,
    res: Arrays,
    com: Arrays,
    te: Arrays,
    eff: dict[str, float],
    cfg: DesignConfig,
    rates: dict[str, float],
    window: int,
) -> dict:
    """One potential world (t = 1 demand-driven, 0 supply-driven), as compact arrays.

    Everything the rows need, and the outcomes (docs/outcomes.md, sections 2-4)
    computed from it.
    """
    v = te["implementation"] * t  # effect multiplier (0 in the supply-driven world)
    w: dict = {}
    w.update(_goals(res, com, te, eff, cfg, v))
    w.update(_contacts(res, com, te, eff, v))
    minutes, role, cost_staff = _staff_time(t, res, com, eff, w, rates, window)
    w.update(minutes=minutes, role=role)
    prov, cost_prov, group_cost, any_prov = _provisions(t, res, com, te, eff, cfg, v, window)
    w["prov"] = prov
    n_ret = w["goal_retained"].sum(axis=1)
    n_tellings = w.pop("n_tellings")
    w.update(
        n_resident_goals=w["k_r"].astype(float),
        n_retained=n_ret,
        goal_retention=n_ret / w["k_r"],
        n_tellings=n_tellings.astype(float),
        n_retells=np.maximum(n_tellings - 1, 0).astype(float),
        cost_provisions=cost_prov,
        cost_staff=cost_staff,
        cost_total=cost_prov + cost_staff,
        any_provision=any_prov.astype(float),
        **{f"cost_{g}": c for g, c in group_cost.items()},
    )
    return w


def _goals(
    res: Arrays, com: Arrays, te: Arrays, eff: dict[str, float], cfg: DesignConfig, v: np.ndarray
) -> Arrays:
    """Number of resident and professional goals at intake, and which resident goals survive."""
    age, n_prob = res["age"], res["n_prob"]
    lam_r = 1.2 * np.exp(eff["own_goals"] * v)
    k_r = 1 + tpois(com["u_kr"], lam_r, GMAX - 1)
    lam_p = 0.9 * np.exp(-eff["own_goals"] * v)
    k_p = tpois(com["u_kp"], lam_p, 3)
    p_ret = expit(
        -0.3
        - 0.12 * (n_prob - 1.7)
        - 0.25 * res["severity"]
        + 0.004 * (age - 60)
        + te["retention"]
        - 0.1 * (res["muni"] == 1)
        + cfg.retention_trend * res["tau"]
        + eff["goal_retention"] * v
    )
    slot = np.arange(GMAX)[None, :]
    valid = slot < k_r[:, None]
    retained = valid & (com["u_goal"] < p_ret[:, None])
    return dict(k_r=k_r, k_p=k_p, goal_valid=valid, goal_retained=retained)


def _contacts(res: Arrays, com: Arrays, te: Arrays, eff: dict[str, float], v: np.ndarray) -> Arrays:
    """Contact matrices (trajectory x slot): active, day, plan available, story told."""
    n = len(res["age"])
    two_plus = res["n_prob"] >= 2
    dur, observed = res["duration"], res["observed"]
    mu_s = np.exp(
        -0.75 + 0.4 * two_plus + 0.3 * res["severity"] + te["referral"] + eff["referrals"] * v
    )
    s = tpois(com["u_s"], mu_s, SMAX)
    p_share1 = expit(logit(0.25) + te["sharing"] + eff["plan_sharing"] * v)
    p_share = expit(logit(0.30) + te["sharing"] + eff["plan_sharing"] * v)
    plan1 = com["u_share1"] < p_share1
    plan_j = com["u_share"] < p_share[:, None]
    told1 = ~plan1 | (com["x1"] < EXTRA_RETELL[0])
    told_j = ~plan_j | (com["x_spec"] < EXTRA_RETELL[1])
    f_base = tpois(com["u_f"], 1.2 + 0.6 * two_plus, FMAX)
    n_follow = f_base + s
    review = dur >= 120
    # which slots happen, and on which day after the start
    active = np.zeros((n, N_SLOTS), dtype=bool)
    day = np.zeros((n, N_SLOTS), dtype=np.int64)
    active[:, SLOT_DESK] = True
    active[:, SLOT_ASSESS] = True
    day[:, SLOT_ASSESS] = np.floor((0.01 + 0.07 * com["a1"]) * dur)
    spec_active = np.arange(SMAX)[None, :] < s[:, None]
    spec_day = np.floor((0.10 + 0.38 * com["r_frac"]) * dur[:, None]).astype(np.int64)
    for j in range(SMAX):
        active[:, SLOT_SPEC[j]] = spec_active[:, j]
        active[:, SLOT_HAND[j]] = spec_active[:, j] & plan_j[:, j]  # warm handover
        day[:, SLOT_SPEC[j]] = spec_day[:, j]
        day[:, SLOT_HAND[j]] = spec_day[:, j]
    active[:, SLOT_REVIEW] = review
    day[:, SLOT_REVIEW] = dur // 2
    f_active = np.arange(FMAX + SMAX)[None, :] < n_follow[:, None]
    f_day = np.floor((0.52 + 0.46 * com["f_frac"]) * dur[:, None]).astype(np.int64)
    for k, sl in enumerate(SLOT_FOLLOW):
        active[:, sl] = f_active[:, k]
        day[:, sl] = f_day[:, k]
    active[:, SLOT_FINAL] = res["ended"]
    day[:, SLOT_FINAL] = dur
    active &= day <= observed[:, None]  # nothing after the data extraction
    # plan_available / told per slot (only first contacts at an organisation can be tellings)
    plan_av = np.ones((n, N_SLOTS), dtype=bool)
    told = np.zeros((n, N_SLOTS), dtype=bool)
    plan_av[:, SLOT_DESK] = False
    told[:, SLOT_DESK] = True
    plan_av[:, SLOT_ASSESS] = plan1
    told[:, SLOT_ASSESS] = told1
    for j in range(SMAX):
        plan_av[:, SLOT_SPEC[j]] = plan_j[:, j]
        told[:, SLOT_SPEC[j]] = told_j[:, j]
    recorded = com["rec"] >= MISSING_STORY
    first_at_org = np.zeros(N_SLOTS, dtype=bool)
    first_at_org[[SLOT_DESK, SLOT_ASSESS, *SLOT_SPEC]] = True
    # a missing story_told is inferred as docs/outcomes.md (section 3) defines it
    inferred = first_at_org[None, :] & ~plan_av
    telling = active & np.where(recorded, told, inferred)
    return dict(
        s=s,
        contact_active=active,
        contact_day=day,
        plan_av=plan_av,
        told=told,
        recorded=recorded,
        n_follow=n_follow,
        review=review,
        n_tellings=telling.sum(axis=1),
    )


def _staff_time(
    t: int,
    res: Arrays,
    com: Arrays,
    eff: dict[str, float],
    contacts: dict,
    rates: dict[str, float],
    window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(minutes, role, cost_staff)``: minutes and role per contact slot, staff cost in window."""
    n = len(res["age"])
    s, active, day = contacts["s"], contacts["contact_active"], contacts["contact_day"]
    ct = 1.0 + eff["conversation_time"] * t
    base_min = np.zeros(N_SLOTS)
    base_min[SLOT_DESK] = 20.0
    base_min[SLOT_ASSESS] = 60.0
    base_min[SLOT_HAND] = 30.0
    base_min[SLOT_SPEC] = 60.0
    base_min[SLOT_REVIEW] = 45.0
    base_min[SLOT_FOLLOW] = 45.0
    base_min[SLOT_FINAL] = 45.0
    conv = np.zeros(N_SLOTS, dtype=bool)
    conv[[SLOT_ASSESS, SLOT_REVIEW, SLOT_FINAL]] = True
    mult = np.where(conv, ct, 1.0)
    minutes = np.maximum(5.0, np.round(base_min[None, :] * mult[None, :] * com["mins"] / 5.0) * 5.0)
    role = np.full((n, N_SLOTS), ROLES.index("generalist"), dtype=np.int64)
    role[:, SLOT_DESK] = ROLES.index("service_desk")
    role[:, SLOT_SPEC] = ROLES.index("specialist")
    # the first s follow-ups are at the specialist organisations, the rest at the team
    for k, sl in enumerate(SLOT_FOLLOW):
        role[:, sl] = np.where(k < s, ROLES.index("specialist"), ROLES.index("generalist"))
    rate = np.array([rates.get(r, rates.get("other", 75.0)) for r in ROLES])[role]
    in_window = active & (day <= window - 1)
    cost_staff = (np.where(in_window, minutes * rate / 60.0, 0.0)).sum(axis=1)
    return minutes, role, cost_staff


def _provision_logits(res: Arrays, te: Arrays) -> Arrays:
    """Log-odds of needing each drawn provision in the supply-driven world."""
    age, sev = res["age"], res["severity"]
    two_plus = res["n_prob"] >= 2
    up = te["provision"] + 0.15 * (res["muni"] == 1)
    return {
        "hh": -1.35 + 1.3 * (age >= 75) + 0.6 * (res["household"] == 0) + 0.5 * two_plus + up,
        "bg": -1.6 + 0.9 * two_plus + 0.45 * sev + 0.5 * (age < 65) + up,
        "db": -2.6 + 0.7 * two_plus + 0.6 * (age >= 75) + 0.2 * sev + up,
        "pv": -3.0 + 1.1 * (age >= 80) + 0.3 * sev + up,
        "aid": -1.7 + 1.0 * (age >= 75) + 0.3 * two_plus + up,
        "bw": -6.0 + 1.0 * sev + 0.8 * two_plus + up,
    }


def _aid(com: Arrays, i: int, start: np.ndarray, price_idx: np.ndarray, window: int) -> Arrays:
    """Which aid (:data:`AIDS`), its dates, price and cost in the window."""
    n = len(start)
    a = categorical(com["u_aid"], np.array([x["p"] for x in AIDS]))
    lo = np.array([x["price"][0] for x in AIDS])[a]
    hi = np.array([x["price"][1] for x in AIDS])[a]
    price = np.round((lo + (hi - lo) * com["u_aid_price"]) * price_idx, 2)
    once = np.array([x["kind"] == "once" for x in AIDS])[a]
    open_ended = ~once & (com["u_open"][:, i] < 0.6)
    end = np.where(once, start, start + 180 + np.floor(540 * com["u_dur"][:, i]).astype(np.int64))
    volume = np.ones(n)
    cost = np.zeros(n)
    for ai, spec in enumerate(AIDS):
        sel = a == ai
        cost[sel] = cost_in_window(
            volume[sel], price[sel], spec["freq"], start[sel], end[sel], open_ended[sel], window
        )
    return dict(
        start=start, end=end, open=open_ended, volume=volume, price=price, kind=a, cost=cost
    )


def _individual(
    key: str, com: Arrays, i: int, start: np.ndarray, price_idx: np.ndarray, window: int
) -> Arrays:
    """Volume, dates, price and cost in the window of individual provision ``key``."""
    n = len(start)
    spec = PROVISIONS[key]
    vi = categorical(com["u_vol"][:, i], np.asarray(spec["volp"]))
    volume = np.asarray(spec["vol"])[vi]
    price = np.round(spec["price"] * price_idx, 2)
    open_ended = com["u_open"][:, i] < spec["open_p"]
    d_lo, d_hi = spec["dur"]
    end = start + d_lo + np.floor((d_hi - d_lo) * com["u_dur"][:, i]).astype(np.int64) - 1
    cost = cost_in_window(volume, price, spec["freq"], start, end, open_ended, window)
    return dict(
        start=start,
        end=end,
        open=open_ended,
        volume=volume,
        price=np.broadcast_to(price, (n,)).astype(float),
        cost=cost,
    )


def _provisions(
    t: int,
    res: Arrays,
    com: Arrays,
    te: Arrays,
    eff: dict[str, float],
    cfg: DesignConfig,
    v: np.ndarray,
    window: int,
) -> tuple[dict[str, Arrays], np.ndarray, Arrays, np.ndarray]:
    """``(prov, cost_provisions, cost per CBS group, any_provision)`` of one world.

    ``prov`` maps each provision key (:data:`DRAWN`, ``tailored``, ``general``) to its
    arrays; ``have`` says who gets it.
    """
    n = len(res["age"])
    price_idx = (1.0 + cfg.price_trend) ** res["tau"]
    logit_p = _provision_logits(res, te)
    tailored = (t == 1) & (com["u_tail"] < eff["tailored"])
    cost_prov = np.zeros(n)
    group_cost = {g: np.zeros(n) for g in GROUPS}
    any_prov = np.zeros(n, dtype=bool)
    dropped_any = np.zeros(n, dtype=bool)
    prov: dict[str, Arrays] = {}
    lag = 7 + np.floor(38 * com["u_lag"]).astype(np.int64)  # 7..44 days after the start
    for i, key in enumerate(DRAWN):
        p_s = expit(logit_p[key])
        p_a = expit(logit_p[key] + eff["provision"] * v)
        have_s = com["u_prov"][:, i] < p_s
        have = com["u_prov"][:, i] < p_a
        have = np.where(tailored, have_s, have)  # tailored packages keep the full package
        dropped_any |= have_s & ~have
        if key == "aid":
            p = _aid(com, i, lag[:, i], price_idx, window)
            group = "aids_and_services"  # every entry of AIDS is in this CBS group
        else:
            p = _individual(key, com, i, lag[:, i], price_idx, window)
            group = schema.CATEGORY_TO_CBS_GROUP[PROVISIONS[key]["cat"]]
        prov[key] = dict(have=have, **p)
        group_cost[group] += np.where(have, p["cost"], 0.0)
        cost_prov += np.where(have, p["cost"], 0.0)
        any_prov |= have
    prov["tailored"] = tl = _tailored_package(com, lag, price_idx, tailored, window)
    cost_prov += np.where(tailored, tl["cost"], 0.0)
    group_cost["support_at_home"] += np.where(tailored, tl["cost"], 0.0)
    any_prov |= tailored
    prov["general"] = gp = _general_provision(com, lag, dropped_any, window)
    cost_prov += np.where(gp["have"], gp["cost"], 0.0)
    group_cost["general"] += np.where(gp["have"], gp["cost"], 0.0)
    return prov, cost_prov, group_cost, any_prov


def _tailored_package(
    com: Arrays, lag: np.ndarray, price_idx: np.ndarray, tailored: np.ndarray, window: int
) -> Arrays:
    """The extra of a tailored package: individual support (06), open-ended, 1-2.5 h a week."""
    n = len(tailored)
    t_vol = np.array([1.0, 1.5, 2.0, 2.5])[np.minimum((com["u_tail_vol"] * 4).astype(np.int64), 3)]
    t_price = np.round(TAILORED["price"] * price_idx, 2)
    t_start = lag[:, 0]
    t_cost = cost_in_window(
        t_vol,
        np.broadcast_to(t_price, (n,)),
        "per_week",
        t_start,
        t_start,
        np.ones(n, bool),
        window,
    )
    return dict(
        have=tailored,
        start=t_start,
        end=t_start,
        open=np.ones(n, bool),
        volume=t_vol,
        price=np.broadcast_to(t_price, (n,)).astype(float),
        cost=t_cost,
    )


def _general_provision(
    com: Arrays, lag: np.ndarray, dropped_any: np.ndarray, window: int
) -> Arrays:
    """A general (community) provision, category 00 (not an individual provision).

    8% of residents get one, and 60% of those who drop an individual provision.
    """
    n = len(dropped_any)
    gen = (com["u_gen"] < 0.08) | (dropped_any & (com["u_gen2"] < 0.6))
    g_amount = np.round(100.0 + 300.0 * com["u_gen_amt"], 0)
    g_start = lag[:, 1]
    g_end = g_start + 89
    g_cost = cost_in_window(
        g_amount, np.ones(n), "total", g_start, g_end, np.zeros(n, bool), window
    )
    return dict(
        have=gen,
        start=g_start,
        end=g_end,
        open=np.zeros(n, bool),
        volume=np.ones(n),
        price=g_amount,
        cost=g_cost,
    )


def potential_frame(wd: dict, ws: dict, res: Arrays) -> Arrays:
    """The potential outcomes as columns ``<outcome>_d`` / ``<outcome>_s`` (+ problem count)."""
    out: Arrays = {}
    for o in (*TRUTH_OUTCOMES, *PO_EXTRA):
        out[f"{o}_d"] = wd[o]
        out[f"{o}_s"] = ws[o]
    out["n_problem_domains_t0"] = res["n_prob"]
    return out
