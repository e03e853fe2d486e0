"""Goal lineage from text: infer ``derived_from`` where plan systems did not record it.

Plan systems keep each plan version's goals as text; few record that a goal at review
continues an intake goal. :func:`infer` links a goal without ``derived_from`` to a goal at
an earlier stage of its trajectory (usually the stage before; a goal can skip a stage):

1. **Candidates** — every goal at an earlier stage of the same trajectory that is not
   already continued by a goal (a recorded link is never overridden).
2. **Score** — token similarity (rapidfuzz) of the normalised Dutch goal texts: case and
   accents folded, stop words and boilerplate left out, words stemmed (Snowball Dutch),
   synonyms mapped by a small Wmo thesaurus (:data:`THESAURUS`, e.g. schulden /
   betalingsachterstanden); plus the domain (same +, different -; often missing), the
   stages skipped, whether the earlier goal was closed (achieved, dropped) and the author.
3. **Assign** — one to one within each trajectory over all stages at once, maximising
   the total score of the links at or above ``threshold`` (where each goal's best
   candidate differs this is the optimum and is taken vectorised; the other trajectories
   are solved by :func:`scipy.optimize.linear_sum_assignment`, one small matrix each).

:attr:`LineageResult.audit` lists, per goal, its best candidates kept or rejected with
score and reason; :func:`write_audit` exports it to xlsx for a researcher to correct and
:func:`apply_audit` reads the corrected file back. :func:`threshold_sensitivity` gives
goal retention per arm over a grid of thresholds. Goal text is read, never written:
the audit table, messages and summaries carry ids, stages and scores only (the xlsx export
adds the texts for the researcher's own machine, docs/privacy.md). Method and figures:
docs/outcomes.md, *2.5 Afstamming afleiden / Inferring lineage*.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .bsn import redact
from .errors import DataError, UsageError
from .i18n import Lang, check_lang, pair, text
from .i18n.format import number
from .schema import STAGE_ORDER

if TYPE_CHECKING:
    from .data import PilotData

__all__ = [
    "AUDIT_COLUMNS",
    "DEFAULT_THRESHOLD",
    "LineageResult",
    "THESAURUS",
    "Weights",
    "apply_audit",
    "evaluate",
    "infer",
    "normalise_text",
    "read_audit",
    "threshold_sensitivity",
    "write_audit",
]

Method = Literal["model", "baseline"]
_METHODS = ("model", "baseline")

#: Default score a candidate link must reach (docs/outcomes.md 2.5: chosen on the generator).
DEFAULT_THRESHOLD = 0.35

#: Columns of :attr:`LineageResult.audit`, in order (no goal text).
AUDIT_COLUMNS = [
    "trajectory_id",
    "goal_id",
    "stage",
    "candidate_id",
    "candidate_stage",
    "score",
    "text_score",
    "same_domain",
    "decision",
    "reason",
]
#: Decisions in the audit, and the Dutch words a researcher may type instead.
DECISIONS = ("kept", "rejected")
DECISION_ALIASES = {"behouden": "kept", "afgewezen": "rejected", "ja": "kept", "nee": "rejected"}
#: Reasons in the audit (``lineage.reason.<code>`` in the catalogue).
REASONS = (
    "assigned",
    "below_threshold",
    "goal_linked_elsewhere",
    "candidate_linked_elsewhere",
    "not_assigned",
    "researcher",
)

#: Per goal: how many of its best candidates the audit lists (the kept one always).
AUDIT_TOP = 3

#: Dutch stop words and plan boilerplate left out before comparing (after folding accents).
STOP_WORDS = frozenset(
    """
    aan af al als bij dan dat de der die dit door een en er het hij hem haar hun ik in is je
    kan kunnen me meer mij mijn minder na naar niet geen nog of om onder ook op over te
    tot uit van voor wat we weer wil willen wordt worden zal zelf zich zijn zo zodat zonder
    met heeft hebben hem iets ergens goed beter graag samen ons onze u uw wel
    doen doet gaan gaat krijgen komen
    client clienten mevrouw meneer dhr mevr inwoner zelfstandig zelfstandige
    is gerealiseerd geregeld ingezet opgelost verminderd verbeterd aangevraagd gestart
    afgenomen vergroot hersteld gestopt behandeld gewaarborgd verstrekt gevonden opgesteld
    gevolgd besproken mogelijk gemaakt voorkomen afgewend opgepakt uitgebreid opgebouwd
    keer per week dag dagen elke iedere maand maanden jaar binnen twee drie een eind
    """.split()
)

#: A small Wmo thesaurus: each group of words (and their word forms) is read as its first
#: word. Own work for the goal vocabulary of social support (docs/outcomes.md 2.5).
THESAURUS: tuple[tuple[str, ...], ...] = (
    (
        "schulden",
        "schuld",
        "betalingsachterstanden",
        "achterstanden",
        "schuldhulpverlening",
        "schuldenproblematiek",
        "schuldsanering",
        "betalingsregeling",
        "aflossen",
        "geldzorgen",
        "geldproblemen",
        "regeling",
        "schuldhulp",
        "incasso",
        "deurwaarder",
    ),
    (
        "administratie",
        "post",
        "rekeningen",
        "overzicht",
        "papieren",
        "brieven",
        "financiele",
        "financien",
    ),
    (
        "inkomen",
        "rondkomen",
        "budget",
        "budgetplan",
        "toeslagen",
        "uitkering",
        "geld",
        "boodschappengeld",
        "budgetbeheer",
    ),
    (
        "woning",
        "huis",
        "woonruimte",
        "huisvesting",
        "wonen",
        "plek",
        "appartement",
        "kamer",
        "onderdak",
    ),
    ("woningaanpassing", "aanpassing", "aangepast", "traplift", "trap", "drempels"),
    (
        "uitzetting",
        "huisuitzetting",
        "huur",
        "verhuurder",
        "ontruiming",
        "uitgezet",
        "huurachterstand",
    ),
    ("werk", "baan", "reintegratie", "betaald", "arbeid", "solliciteren", "werken"),
    ("dagbesteding", "daginvulling", "overdag", "ochtenden", "dagactiviteit"),
    ("vrijwilligerswerk", "vrijwilliger", "betekenen"),
    ("pijn", "pijnklachten", "pijnbestrijding"),
    ("bewegen", "conditie", "fitter", "fit", "wandelen", "beweegt"),
    (
        "medicijnen",
        "pillen",
        "medicatiegebruik",
        "medicijnrol",
        "therapietrouw",
        "medicatie",
        "innemen",
    ),
    ("somber", "depressieve", "depressie", "neerslachtig", "ggz", "klachten"),
    ("stress", "piekeren", "spanningsklachten", "onrust", "hoofd", "stressklachten"),
    ("angst", "angstklachten", "bang"),
    ("verzorging", "wassen", "douchen", "aankleden", "kleden", "adl", "persoonlijke"),
    ("maaltijd", "eten", "maaltijden", "voeding", "maaltijdvoorziening", "warme"),
    ("schoonmaken", "schoon", "huishoudelijke", "poetsen", "leefbaar", "huishouden", "schoonmaak"),
    ("boodschappen", "supermarkt", "winkel"),
    ("was", "wasverzorging", "kleren", "kleding", "strijken"),
    ("vervoer", "vervoersvoorziening", "mobiliteit", "buitenshuis", "pad", "taxi", "regiotaxi"),
    ("scootmobiel", "hulpmiddel", "rolstoel", "rollator", "verplaatsing"),
    ("eenzaam", "eenzaamheid", "alleen", "mensen", "netwerk", "sociaal", "sociale"),
    ("buurt", "buren", "wijk", "buurthuis", "vrienden", "activiteiten"),
    ("kinderen", "dochter", "zoon", "familie", "kleinkinderen", "kind"),
    ("gezin", "ruzie", "spanningen", "gezinsbegeleiding", "relatie"),
    ("mantelzorger", "mantelzorg", "ontlasten", "ontlast", "respijtzorg", "volhoudt", "man"),
    ("veilig", "veiligheid", "geweld", "huiselijk"),
    ("vallen", "valrisico", "valpreventie", "lopen", "valt"),
    ("zingeving", "uitkijken", "kijken", "geestelijk", "verzorger", "zin", "zinvol"),
    ("kerk", "geloof", "kerkgemeenschap", "kerkdienst", "moskee", "beleven"),
    ("hobby", "vrijetijdsbesteding", "schilderen", "hobbys"),
    ("sport", "sporten", "zwemmen", "club", "beweegactiviteit"),
    ("alcohol", "drinken", "alcoholgebruik", "alcoholproblematiek", "drank"),
    ("drugs", "blowen", "middelengebruik", "verslaving", "verslavingszorg", "cannabis"),
    ("verhuizen", "verhuizing", "urgentie", "urgentieverklaring", "gelijkvloerse", "kleinere"),
    (
        "bewind",
        "bewindvoerder",
        "bewindvoering",
        "beschermingsbewind",
        "geldzaken",
        "inkomensbeheer",
        "overneemt",
    ),
    ("opleiding", "diploma", "cursus", "scholing", "scholingstraject", "school"),
    ("gewicht", "afvallen", "dietist", "leefstijlprogramma", "leefstijl", "overgewicht"),
    ("slapen", "doorslapen", "slaapproblemen", "slaapritme", "nachts", "slaap"),
    ("koken", "klaarmaken", "kookvaardigheden", "bereidt", "bereiden"),
    ("opvoeding", "opvoeden", "opvoedondersteuning", "ouder", "opvoedvragen"),
    ("toilet", "wc", "toiletgang"),
    ("uiterlijk", "verzorgd", "kapper", "uiterlijke", "nette"),
    ("fiets", "fietsen", "driewieler", "fietst"),
    ("ov", "bus", "openbaar", "reistraining", "reizen", "reist", "trein"),
    ("maatje", "praten", "maatjescontact", "koffie", "vrijwilligerspunt"),
    ("ontmoeting", "soos", "koffieochtend", "ontmoetingsgroep", "inloop"),
    ("oplichting", "opgelicht", "misbruik", "vreemden", "weerbaar"),
    ("overlast", "burenoverlast", "buurtbemiddeling", "bemiddeling"),
    ("rouw", "verdriet", "verlies", "rouwverwerking", "rouwbegeleiding"),
    ("levensverhaal", "verhaal", "levensvragen", "luistert", "gesprekken"),
    ("tuin", "tuinieren"),
    ("muziek", "zingen", "koor", "muziekactiviteit"),
    ("roken", "sigaretten", "rokenprogramma", "rookt"),
    ("gokken", "gokgedrag", "gokverslaving"),
)


@dataclass(frozen=True)
class Weights:
    """How the parts of a candidate's score add up (docs/outcomes.md 2.5).

    ``score = text + same_domain * [same] - other_domain * [different] - skip * (stages
    skipped) - closed * [earlier goal achieved, dropped or not achieved] + same_author *
    [same author] - taken_over * [a resident's or joint goal continued by a goal the
    professional wrote]`` (a goal the professional rewrote as their own is more often a
    replacement than a continuation, docs/outcomes.md 2.5); ``text`` is the mean of rapidfuzz's ``token_set_ratio`` and
    ``token_sort_ratio`` (0..1) on the normalised texts.
    """

    same_domain: float = 0.1
    other_domain: float = 0.2
    skip: float = 0.08
    closed: float = 0.25
    same_author: float = 0.03
    taken_over: float = 0.3


# ---------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("dutch")


@functools.lru_cache(maxsize=1)
def _thesaurus_index() -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """Word -> group label, stem -> group label, and the sorted words of the thesaurus.

    The label is the group's first word in capitals (no other token is in capitals). A
    stem is kept only when it has four or more letters and belongs to one group (the
    Dutch Snowball stemmer strips ``ge-``: "gezin" and "zin" share a stem).
    """
    st = _stemmer()
    word_label: dict[str, str] = {}
    stem_groups: dict[str, set[str]] = {}
    for group in THESAURUS:
        label = group[0].upper()
        for w in group:
            word_label.setdefault(w, label)
            stem_groups.setdefault(st.stemWord(w), set()).add(label)
    stem_label = {k: next(iter(v)) for k, v in stem_groups.items() if len(v) == 1 and len(k) >= 4}
    return word_label, stem_label, tuple(sorted(word_label))


#: Least rapidfuzz ``ratio`` (0..100) at which a word with a typo is read as a thesaurus word.
TYPO_CUTOFF = 84


def _correct_typos(words: list[str]) -> list[str]:
    """A word of five or more letters not in the thesaurus -> its closest thesaurus word.

    Closest by rapidfuzz ``ratio`` (at least :data:`TYPO_CUTOFF`) among the thesaurus
    words with the same first letter, all distinct words at once (``process.cdist``):
    "geldzrgen" reads as "geldzorgen", "dinken" as "drinken"; "weten" stays (not "eten").
    """
    from rapidfuzz import fuzz, process

    word_label, _, vocab = _thesaurus_index()
    todo = [i for i, w in enumerate(words) if w not in word_label and len(w) >= 5]
    out = list(words)
    if not todo:
        return out
    sim = process.cdist(
        [words[i] for i in todo],
        vocab,
        scorer=fuzz.ratio,
        score_cutoff=TYPO_CUTOFF,
        dtype=np.uint8,
        workers=1,
    )
    first = np.array([v[0] for v in vocab])
    same_first = first[None, :] == np.array([words[i][0] for i in todo])[:, None]
    sim = np.where(same_first, sim, 0)
    best = sim.argmax(axis=1)
    hit = sim[np.arange(len(todo)), best] >= TYPO_CUTOFF
    for i, b, h in zip(todo, best, hit, strict=True):
        if h:
            out[i] = vocab[b]
    return out


def _word_forms(words: list[str], thesaurus: bool) -> list[str]:
    """Distinct words as compared: a thesaurus group label, else the word's stem.

    A word is its group's label when it is a thesaurus word (after typo correction) or
    its stem is one (inflections: "schuld" for "schulden"); any other word is stemmed.
    """
    if not thesaurus:
        return _stemmer().stemWords(words)
    word_label, stem_label, _ = _thesaurus_index()
    fixed = _correct_typos(words)
    stems = _stemmer().stemWords(fixed)
    return [word_label.get(w) or stem_label.get(x) or x for w, x in zip(fixed, stems, strict=True)]


def _fold(s: pd.Series) -> pd.Series:
    """Casefolded, accents removed, anything but letters and digits as a space."""
    s = s.astype("string").str.casefold().str.normalize("NFKD")
    s = s.str.encode("ascii", errors="ignore").str.decode("ascii").astype("string")
    return s.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def normalise_text(texts: pd.Series, thesaurus: bool = True) -> pd.Series:
    """Goal texts as compared: folded, without stop words, stemmed, synonyms mapped.

    Vectorised over the distinct words (each stemmed once). Missing text stays missing.

    Parameters
    ----------
    texts : Series of str
    thesaurus : bool
        Map synonyms by :data:`THESAURUS` (``False``: stemming only).

    Returns
    -------
    Series of str
        Same index; the kept word forms sorted and joined by spaces ("" when none is left).

    Examples
    --------
    >>> normalise_text(pd.Series(["Ik wil van mijn schulden af",
    ...                           "Betalingsachterstanden zijn opgelost"])).tolist()
    ['schul', 'schul']
    """
    return _normalise_folded(_fold(texts), thesaurus)


def _normalise_folded(folded: pd.Series, thesaurus: bool) -> pd.Series:
    """:func:`normalise_text` of texts already folded by :func:`_fold`."""
    texts = folded
    folded = folded.reset_index(drop=True)
    words = folded.str.split().explode()
    words = words[words.notna() & ~words.isin(STOP_WORDS)]
    uniq = pd.unique(words.to_numpy(dtype=object))
    stems = _word_forms([str(w) for w in uniq], thesaurus)
    code = pd.Index(uniq).get_indexer(words.to_numpy(dtype=object))
    frame = pd.DataFrame(
        {"k": words.index.to_numpy(), "w": np.asarray(stems + [""], dtype=object)[code]}
    )
    frame = frame.drop_duplicates().sort_values(["k", "w"], kind="stable")
    # join the sorted word forms per text without a Python call per text
    k = frame["k"].to_numpy(dtype=np.int64)
    w = frame["w"].to_numpy(dtype=object) + " "
    out = np.full(len(texts), "", dtype=object)
    if len(k):
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        out[k[starts]] = np.add.reduceat(w, starts)
    out = pd.Series(out, index=texts.index, dtype="string").str.rstrip()
    return out.where(texts.notna(), pd.NA)


# ---------------------------------------------------------------------------------------
# candidates and scores
# ---------------------------------------------------------------------------------------

_CLOSED = ("achieved", "dropped", "not_achieved")


@dataclass
class _Scored:
    """Every candidate pair of a package with its score (positions into ``data.goals``)."""

    child: np.ndarray  # goal without derived_from
    cand: np.ndarray  # goal at an earlier stage of the same trajectory
    score: np.ndarray
    text_score: np.ndarray
    same_domain: np.ndarray  # 1 same, 0 different, -1 unknown
    stage: np.ndarray  # stage order per goal (-1: missing)
    traj: np.ndarray  # trajectory code per goal (-1: missing)
    recorded_parent: np.ndarray  # per goal: position of its recorded parent (-1: none)
    taken: np.ndarray  # per goal: already continued by a recorded link


def _codes(goals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Trajectory code (-1 missing) and stage order (-1 missing) per goal."""
    tcode = pd.factorize(goals["trajectory_id"].astype("string"))[0]
    stage = goals["stage"].astype("string").map(STAGE_ORDER)
    return tcode, stage.fillna(-1).to_numpy(np.int64)


def _recorded(goals: pd.DataFrame, tcode: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Position of the recorded parent per goal (-1: none, unknown or not earlier in the trajectory)."""
    ids = pd.Index(goals["goal_id"].astype("string"))
    dfrom = goals["derived_from"].astype("string")
    if not ids.is_unique:
        ids = ids.where(~ids.duplicated(), None)
    parent = ids.get_indexer(dfrom.fillna("\x00"))
    p = np.maximum(parent, 0)
    ok = (parent >= 0) & (tcode[p] == tcode) & (stage[p] < stage) & (stage[p] >= 0)
    return np.where(ok, parent, -1)


def _pairs(tcode: np.ndarray, stage: np.ndarray, child_ok: np.ndarray, cand_ok: np.ndarray):
    """All (child, candidate) pairs: same trajectory, candidate at an earlier stage.

    Goals are sorted by trajectory and stage; a child's candidates are then one
    contiguous run (the trajectory's goals before its stage), so the pairs are made with
    ``np.repeat`` and no loop per goal.
    """
    n = len(tcode)
    order = np.lexsort((np.arange(n), stage, tcode))
    t_s, st_s = tcode[order], stage[order]
    first_of_traj = np.searchsorted(t_s, t_s, side="left")
    key = t_s.astype(np.int64) * 16 + st_s
    first_of_stage = np.searchsorted(key, key, side="left")
    valid = (t_s >= 0) & (st_s >= 0) & child_ok[order]
    count = np.where(valid, first_of_stage - first_of_traj, 0)
    total = int(count.sum())
    child_sorted = np.repeat(np.arange(n), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    cand_sorted = first_of_traj[child_sorted] + offset
    child, cand = order[child_sorted], order[cand_sorted]
    keep = cand_ok[cand]
    return child[keep], cand[keep]


def _text_scores(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of rapidfuzz ``token_set_ratio`` and ``token_sort_ratio`` (0..1), pair by pair."""
    from rapidfuzz import fuzz, process

    if not len(a):
        return np.zeros(0)
    s1 = process.cpdist(a, b, scorer=fuzz.token_set_ratio, workers=1, dtype=np.float32)
    s2 = process.cpdist(a, b, scorer=fuzz.token_sort_ratio, workers=1, dtype=np.float32)
    return (s1.astype(np.float64) + s2) / 200.0


#: Candidate pairs whose texts are compared at a time (bounds the memory of the text copies).
PAIR_CHUNK = 1_000_000

#: Least similarity (0..1) of the whole folded texts at which a goal is a near copy.
NEAR_COPY = 0.9


def _near_copy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """rapidfuzz ``ratio`` (0..1) of the whole texts where at least :data:`NEAR_COPY`, else 0."""
    from rapidfuzz import fuzz, process

    if not len(a):
        return np.zeros(0)
    r = process.cpdist(a, b, scorer=fuzz.ratio, workers=1, dtype=np.float32) / 100.0
    return np.where(r >= NEAR_COPY, r, 0.0).astype(np.float64)


def _score(data: PilotData, method: Method, weights: Weights, thesaurus: bool) -> _Scored:
    g = data.goals
    tcode, stage = _codes(g)
    rec = _recorded(g, tcode, stage)
    has_text = g["text"].notna().to_numpy() if "text" in g.columns else np.zeros(len(g), bool)
    taken = np.zeros(len(g), bool)
    taken[rec[rec >= 0]] = True
    no_link = g["derived_from"].isna().to_numpy()
    child, cand = _pairs(tcode, stage, no_link & has_text, has_text & ~taken)
    if method == "baseline":
        norm = _fold(g["text"]) if len(g) else pd.Series(dtype="string")
        t = norm.fillna("").to_numpy(dtype=object)
        from rapidfuzz import fuzz, process

        ts = (
            process.cpdist(t[child], t[cand], scorer=fuzz.token_set_ratio, workers=1) / 100.0
            if len(child)
            else np.zeros(0)
        )
        dom = np.full(len(child), -1, np.int8)
        return _Scored(child, cand, ts.astype(np.float64), ts, dom, stage, tcode, rec, taken)
    folded = _fold(g["text"])
    norm = _normalise_folded(folded, thesaurus).fillna("").to_numpy(dtype=object)
    raw = folded.fillna("").to_numpy(dtype=object)
    ts = np.zeros(len(child))
    for lo in range(0, len(child), PAIR_CHUNK):  # bounded memory for the text pairs
        c, p = child[lo : lo + PAIR_CHUNK], cand[lo : lo + PAIR_CHUNK]
        # a near copy (typos only) scores by the whole folded text, stop words included
        ts[lo : lo + PAIR_CHUNK] = np.maximum(
            _text_scores(norm[c], norm[p]), _near_copy(raw[c], raw[p])
        )
    domain = g["domain"].astype("string")
    d_known = domain.notna().to_numpy()
    dcode = pd.factorize(domain)[0]
    both = d_known[child] & d_known[cand]
    same = np.where(both, (dcode[child] == dcode[cand]).astype(np.int8), -1).astype(np.int8)
    # stages the trajectory has between the two goals (a skipped plan version)
    pos = _stage_positions(tcode, stage)
    skipped = np.maximum(pos[child] - pos[cand] - 1, 0)
    status = g["status"].astype("string")
    closed = status.isin(_CLOSED).fillna(False).to_numpy(dtype=bool)
    author = pd.factorize(g["author"].astype("string"))[0]
    same_author = (author[child] == author[cand]) & (author[child] >= 0)
    by_res = g["author"].astype("string").isin(("resident", "jointly")).fillna(False)
    by_pro = (g["author"].astype("string") == "professional").fillna(False)
    taken_over = by_res.to_numpy(dtype=bool)[cand] & by_pro.to_numpy(dtype=bool)[child]
    w = weights
    score = (
        ts
        + w.same_domain * (same == 1)
        - w.other_domain * (same == 0)
        - w.skip * skipped
        - w.closed * closed[cand]
        + w.same_author * same_author
        - w.taken_over * taken_over
    )
    return _Scored(child, cand, score, ts, same, stage, tcode, rec, taken)


def _stage_positions(tcode: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Per goal: rank of its stage among the stages its trajectory has goals in (0, 1, ...)."""
    has = np.zeros((max(int(tcode.max()) + 1, 1) if len(tcode) else 1, len(STAGE_ORDER)), bool)
    ok = (tcode >= 0) & (stage >= 0)
    has[tcode[ok], stage[ok]] = True
    rank = np.cumsum(has, axis=1) - 1
    return np.where(ok, rank[np.maximum(tcode, 0), np.maximum(stage, 0)], -1)


# ---------------------------------------------------------------------------------------
# assignment
# ---------------------------------------------------------------------------------------


def _match(
    rows: np.ndarray, cols: np.ndarray, score: np.ndarray, block: np.ndarray | None = None
) -> np.ndarray:
    """Maximum-total-score one-to-one matching; returns the indices of the chosen edges.

    ``rows`` / ``cols`` label the two sides (any integers); ``block`` (e.g. the
    trajectory) splits the edges into independent problems (default: one). Only edges
    with a positive score are used; any row or column may stay unmatched.

    Per block: when the best edge of every row goes to a different column, those edges
    are the optimum (each row has its maximum) and are taken for all such blocks at once;
    the other blocks are solved by :func:`scipy.optimize.linear_sum_assignment` on their
    small score matrix (non-edges 0), one call each.
    """
    from scipy.optimize import linear_sum_assignment

    block = np.zeros(len(rows), np.int64) if block is None else np.asarray(block)
    e = np.flatnonzero(score > 0)
    if not len(e):
        return np.zeros(0, np.int64)
    # best edge per row (ties: the lower column), rows labelled within their block
    order = e[np.lexsort((cols[e], -score[e], rows[e], block[e]))]
    first = np.ones(len(order), bool)
    first[1:] = (rows[order][1:] != rows[order][:-1]) | (block[order][1:] != block[order][:-1])
    best = order[first]
    clash = pd.DataFrame({"b": block[best], "c": cols[best]}).duplicated(keep=False).to_numpy()
    hard_blocks = np.unique(block[best][clash])
    easy = ~np.isin(block[best], hard_blocks)
    chosen = [best[easy]]
    hard = e[np.isin(block[e], hard_blocks)]
    hard = hard[np.argsort(block[hard], kind="stable")]
    starts = np.flatnonzero(np.r_[True, block[hard][1:] != block[hard][:-1]])
    for lo, hi in zip(starts, np.r_[starts[1:], len(hard)], strict=True):
        h = hard[lo:hi]
        r_u, r = np.unique(rows[h], return_inverse=True)
        c_u, c = np.unique(cols[h], return_inverse=True)
        m = np.zeros((len(r_u), len(c_u)))
        idx = np.full((len(r_u), len(c_u)), -1, np.int64)
        m[r, c] = score[h]
        idx[r, c] = h
        ri, ci = linear_sum_assignment(m, maximize=True)
        got = idx[ri, ci]
        chosen.append(got[got >= 0])
    return np.sort(np.concatenate(chosen))


def _assign(sc: _Scored, threshold: float) -> np.ndarray:
    """Inferred parent position per goal (-1: none), one to one over all stages at once.

    A goal gets at most one earlier goal and an earlier goal at most one continuation;
    the links maximise the total score within each trajectory (all stages together, so
    a link that skips a stage competes on equal terms with one to the stage before).
    """
    n = len(sc.stage)
    parent = np.full(n, -1, np.int64)
    e = np.flatnonzero((sc.score >= threshold) & ~sc.taken[sc.cand])
    chosen = e[_match(sc.child[e], sc.cand[e], sc.score[e], sc.traj[sc.child[e]])]
    parent[sc.child[chosen]] = sc.cand[chosen]
    return parent


# ---------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------


@dataclass
class LineageResult:
    """Goals with recorded and inferred links, and the audit of the inference.

    Attributes
    ----------
    data : PilotData
        The package with ``goals.derived_from`` filled where a link was inferred and a
        column ``derived_from_source``: ``recorded``, ``inferred`` (or missing: no link).
    audit : DataFrame
        Columns :data:`AUDIT_COLUMNS`: per goal without a recorded link, its best
        candidates (up to :data:`AUDIT_TOP`, the kept one always) with ``score``,
        ``text_score``, ``same_domain``, ``decision`` (``kept`` / ``rejected``) and
        ``reason``. No goal text.
    threshold : float
    method : str
        ``model`` or ``baseline`` (plain token similarity), or ``audit`` (read back).
    """

    data: PilotData
    audit: pd.DataFrame
    threshold: float
    method: str

    @property
    def n_recorded(self) -> int:
        """Links recorded in the package."""
        return int((self.data.goals["derived_from_source"] == "recorded").sum())

    @property
    def n_inferred(self) -> int:
        """Links inferred (or taken from the corrected audit)."""
        return int((self.data.goals["derived_from_source"] == "inferred").sum())

    def summary(self, lang: Lang = "nl") -> str:
        """One line: goals, recorded and inferred links, threshold (counts only)."""
        check_lang(lang)
        return text(
            "lineage.summary",
            lang,
            n_goals=number(len(self.data.goals), 0, lang),
            n_recorded=number(self.n_recorded, 0, lang),
            n_inferred=number(self.n_inferred, 0, lang),
            threshold=number(self.threshold, 2, lang),
            method=self.method,
        )

    def __repr__(self) -> str:
        return (
            f"LineageResult(goals={len(self.data.goals)}, recorded={self.n_recorded}, "
            f"inferred={self.n_inferred}, threshold={self.threshold}, method={self.method!r})"
        )


def _with_links(data: PilotData, inferred: np.ndarray) -> PilotData:
    """``data`` with the inferred parents (positions) written into ``derived_from``."""
    g = data.goals.copy()
    had = g["derived_from"].notna().to_numpy()
    ids = g["goal_id"].astype("string").to_numpy(dtype=object)
    new = inferred >= 0
    dfrom = g["derived_from"].astype("string").to_numpy(dtype=object).copy()
    dfrom[new] = ids[inferred[new]]
    g["derived_from"] = pd.array(dfrom, dtype="string").astype(data.goals["derived_from"].dtype)
    source = np.where(had, "recorded", np.where(new, "inferred", None))
    g["derived_from_source"] = pd.array(source, dtype="string")
    return dataclasses.replace(data, goals=g)


def _recorded_only(data: PilotData) -> PilotData:
    """``data`` without links an earlier inference added (``derived_from_source`` inferred)."""
    g = data.goals
    if "derived_from_source" not in g.columns:
        return data
    inferred = (g["derived_from_source"] == "inferred").fillna(False).to_numpy(dtype=bool)
    if not inferred.any():
        return data
    g = g.copy()
    g["derived_from"] = g["derived_from"].where(~inferred)
    g["derived_from_source"] = g["derived_from_source"].where(~inferred)
    return dataclasses.replace(data, goals=g)


def _audit(g: pd.DataFrame, sc: _Scored, parent: np.ndarray, threshold: float) -> pd.DataFrame:
    """The audit rows: each goal's best candidates (and its kept one), with the reason."""
    kept = parent[sc.child] == sc.cand
    rank = (
        pd.DataFrame({"c": sc.child, "s": -sc.score, "p": sc.cand})
        .sort_values(["c", "s", "p"], kind="stable")
        .groupby("c", sort=False)
        .cumcount()
    )
    rank = rank.sort_index().to_numpy()
    show = kept | (rank < AUDIT_TOP)
    e = np.flatnonzero(show)
    ch, ca = sc.child[e], sc.cand[e]
    has_child = np.zeros(len(parent), bool)
    has_child[parent[parent >= 0]] = True
    has_child |= sc.taken
    reason = np.select(
        [kept[e], sc.score[e] < threshold, parent[ch] >= 0, has_child[ca]],
        ["assigned", "below_threshold", "goal_linked_elsewhere", "candidate_linked_elsewhere"],
        "not_assigned",
    )
    ids = g["goal_id"].astype("string").reset_index(drop=True)
    stage = g["stage"].astype("string").reset_index(drop=True)
    same = sc.same_domain[e]
    out = pd.DataFrame(
        {
            "trajectory_id": g["trajectory_id"].astype("string").iloc[ch].to_numpy(),
            "goal_id": ids.iloc[ch].to_numpy(),
            "stage": stage.iloc[ch].to_numpy(),
            "candidate_id": ids.iloc[ca].to_numpy(),
            "candidate_stage": stage.iloc[ca].to_numpy(),
            "score": np.round(sc.score[e], 4),
            "text_score": np.round(sc.text_score[e], 4),
            "same_domain": pd.array(np.where(same < 0, None, same == 1), dtype="boolean"),
            "decision": pd.array(np.where(kept[e], "kept", "rejected"), dtype="string"),
            "reason": pd.array(reason, dtype="string"),
        }
    )
    for c in ("trajectory_id", "goal_id", "stage", "candidate_id", "candidate_stage"):
        out[c] = out[c].astype("string")
    order = np.lexsort((-out["score"].to_numpy(), ca, ch))
    return out.iloc[order].reset_index(drop=True)[AUDIT_COLUMNS]


def _check(threshold: float, method: str) -> None:
    if method not in _METHODS:
        raise UsageError(*pair("lineage.error.method", value=repr(method), known=_METHODS))
    ok = isinstance(threshold, (int, float, np.floating)) and not isinstance(threshold, bool)
    if not ok or not np.isfinite(threshold):
        raise UsageError(*pair("lineage.error.threshold", value=repr(threshold)))


def infer(
    data: PilotData,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    method: Method = "model",
    weights: Weights | None = None,
    thesaurus: bool = True,
) -> LineageResult:
    """Infer goal lineage (``derived_from``) from the goal texts where it is missing.

    Parameters
    ----------
    data : PilotData
        A loaded package; goals need ``text`` to be linked (a goal without text gets no
        inferred link).
    threshold : float
        Score a link must reach (default :data:`DEFAULT_THRESHOLD`; the score is about
        0..1.1, see :class:`Weights`).
    method : {"model", "baseline"}
        ``model``: normalised text, domain, stages, status, author (module docstring);
        ``baseline``: plain ``token_set_ratio`` of the case-folded texts, same candidates
        and assignment (the yardstick of docs/outcomes.md 2.5).
    weights : Weights, optional
        Parts of the score (default :class:`Weights`).
    thesaurus : bool
        Map synonyms with :data:`THESAURUS` (``False`` shows what it adds).

    Returns
    -------
    LineageResult
        ``.data`` (recorded links untouched, inferred ones added, ``derived_from_source``)
        and ``.audit``.

    Raises
    ------
    UsageError
        For an unknown ``method`` or a threshold that is not a finite number.
    """
    _check(threshold, method)
    data = _recorded_only(data)
    sc = _score(data, method, weights or Weights(), thesaurus)
    parent = _assign(sc, float(threshold))
    return LineageResult(
        data=_with_links(data, parent),
        audit=_audit(data.goals, sc, parent, float(threshold)),
        threshold=float(threshold),
        method=method,
    )


def threshold_sensitivity(
    data: PilotData,
    thresholds: np.ndarray | list[float] | None = None,
    *,
    method: Method = "model",
    weights: Weights | None = None,
) -> pd.DataFrame:
    """Goal retention per arm over a grid of thresholds (scores computed once).

    Parameters
    ----------
    data : PilotData
    thresholds : array_like, optional
        Default 0.25, 0.30, ..., 0.75.
    method : {"model", "baseline"}
    weights : Weights, optional

    Returns
    -------
    DataFrame
        One row per threshold and arm: ``threshold``, ``arm``, ``n`` (trajectories with a
        goal retention), ``goal_retention`` (mean), ``ci_low``, ``ci_high`` (mean ± 1.96
        standard errors over trajectories, no clustering: a sensitivity check, not the
        effect estimate), ``n_inferred`` (links inferred at that threshold, whole package)
        and ``method`` (``mean, normal approximation``).
    """
    from .outcome import outcomes

    grid = np.round(np.arange(0.25, 0.751, 0.05), 2) if thresholds is None else thresholds
    grid = [float(t) for t in grid]
    for t in grid:
        _check(t, method)
    data = _recorded_only(data)
    sc = _score(data, method, weights or Weights(), True)
    rows = []
    for t in grid:
        parent = _assign(sc, t)
        table = outcomes(_with_links(data, parent))
        for arm, grp in table.groupby("arm", observed=True, sort=True):
            r = grp["goal_retention"].dropna().to_numpy(dtype=float)
            m = float(r.mean()) if len(r) else np.nan
            se = float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else np.nan
            rows.append(
                {
                    "threshold": t,
                    "arm": str(arm),
                    "n": len(r),
                    "goal_retention": m,
                    "ci_low": m - 1.96 * se,
                    "ci_high": m + 1.96 * se,
                    "n_inferred": int((parent >= 0).sum()),
                    "method": "mean, normal approximation",
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# the audit as a researcher's working file
# ---------------------------------------------------------------------------------------

AUDIT_SHEET = "audit"
README_SHEET = "uitleg_readme"


def write_audit(result: LineageResult, path: str | Path, include_text: bool = True) -> Path:
    """Write the audit as an xlsx workbook for a researcher to check and correct.

    Sheet ``audit``: :data:`AUDIT_COLUMNS`, and with ``include_text`` the columns
    ``goal_text`` and ``candidate_text``; the researcher changes ``decision`` (``kept`` /
    ``rejected``, or ``behouden`` / ``afgewezen``) and may add rows; :func:`apply_audit`
    reads it back. Sheet ``uitleg_readme``: how, in Dutch and English.

    The file holds goal text when ``include_text`` (the default): it is a working file
    for the researcher's own machine, never to be shared or published (docs/privacy.md).
    Written through :func:`wattelt_eval.io.write_xlsx` (formula-like text neutralised).
    """
    from .io import write_xlsx

    audit = result.audit.copy()
    if include_text:
        g = result.data.goals
        txt = pd.Series(g["text"].astype("string").to_numpy(), index=g["goal_id"].astype("string"))
        txt = txt[~txt.index.duplicated()]
        audit["goal_text"] = txt.reindex(audit["goal_id"]).to_numpy()
        audit["candidate_text"] = txt.reindex(audit["candidate_id"]).to_numpy()
    readme = pd.DataFrame(
        {
            "nl": [text(f"lineage.readme.line{i}", "nl") for i in range(1, 5)],
            "en": [text(f"lineage.readme.line{i}", "en") for i in range(1, 5)],
        }
    )
    return write_xlsx({AUDIT_SHEET: audit, README_SHEET: readme}, path)


def read_audit(path: str | Path) -> pd.DataFrame:
    """Read an audit workbook written by :func:`write_audit` (sheet ``audit``), as text.

    Raises
    ------
    UsageError
        When the file cannot be read or has no sheet ``audit``.
    """
    from .io import restore_text

    path = Path(path)
    try:
        df = pd.read_excel(path, sheet_name=AUDIT_SHEET, dtype=object, engine="openpyxl")
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(
            *pair(
                "lineage.error.audit_unreadable", path=redact(path.name), reason=type(exc).__name__
            )
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    for c in df.columns:
        df[c] = df[c].map(restore_text)
    df.index = pd.RangeIndex(2, len(df) + 2)  # the row numbers the researcher sees
    return df


def _problem(code: str, row: object, column: str, value: object) -> tuple[str, str]:
    shown = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
    nl, en = pair(f"lineage.audit.{code}", row=row, column=column, value=redact(shown))
    return nl, en


def apply_audit(data: PilotData, audit: pd.DataFrame | str | Path) -> LineageResult:
    """The package with the links a researcher kept in the (corrected) audit.

    Recorded links are kept and never overridden; every audit row with decision ``kept``
    (or ``behouden``) becomes a link ``candidate_id -> goal_id`` (source ``inferred``);
    all other inferred links are dropped.

    Parameters
    ----------
    data : PilotData
        The package the audit was made from (links inferred earlier are ignored).
    audit : DataFrame or path
        The audit (:attr:`LineageResult.audit` or a workbook from :func:`write_audit`).

    Raises
    ------
    DataError
        Listing every problem of the audit at once (row, column, value, expected), in
        Dutch and English: a missing column, an unknown decision, an unknown goal, a link
        across trajectories or not to an earlier stage, a link over a recorded one, a goal
        or a candidate kept twice.
    """
    if not isinstance(audit, pd.DataFrame):
        audit = read_audit(audit)
    data = _recorded_only(data)
    g = data.goals
    problems: list[tuple[str, str]] = []
    need = ("goal_id", "candidate_id", "decision")
    missing = [c for c in need if c not in audit.columns]
    for c in missing:
        problems.append(_problem("missing_column", 1, c, ""))
    if missing:
        _raise(problems)
    dec = audit["decision"].astype("string").str.strip().str.casefold()
    dec = dec.map(lambda v: DECISION_ALIASES.get(v, v) if isinstance(v, str) else v)
    bad = ~dec.isin(DECISIONS).fillna(False)
    for row, v in audit.loc[bad.to_numpy(), "decision"].items():
        problems.append(_problem("decision", row, "decision", v))
    kept = audit[(dec == "kept").fillna(False).to_numpy()]
    tcode, stage = _codes(g)
    ids = pd.Index(g["goal_id"].astype("string"))
    child = ids.get_indexer(kept["goal_id"].astype("string").str.strip())
    cand = ids.get_indexer(kept["candidate_id"].astype("string").str.strip())
    rows = kept.index.to_numpy()
    for col, pos in (("goal_id", child), ("candidate_id", cand)):
        for row, v in zip(rows[pos < 0], kept[col].to_numpy()[pos < 0], strict=True):
            problems.append(_problem("unknown_goal", row, col, v))
    ok = (child >= 0) & (cand >= 0)
    c, p = np.maximum(child, 0), np.maximum(cand, 0)
    other = ok & (tcode[c] != tcode[p])
    later = ok & ~other & (stage[p] >= stage[c])
    recorded = ok & g["derived_from"].notna().to_numpy()[c]
    rec = _recorded(g, tcode, stage)
    continued = np.zeros(len(g), bool)
    continued[rec[rec >= 0]] = True
    cand_taken = ok & continued[p]
    twice_goal = ok & pd.Series(np.where(ok, child, -1)).duplicated(keep=False).to_numpy()
    twice_cand = ok & pd.Series(np.where(ok, cand, -1)).duplicated(keep=False).to_numpy()
    for code, mask, col in (
        ("other_trajectory", other, "candidate_id"),
        ("not_earlier", later, "candidate_id"),
        ("over_recorded", recorded, "goal_id"),
        ("candidate_recorded", cand_taken, "candidate_id"),
        ("goal_twice", twice_goal & ~recorded, "goal_id"),
        ("candidate_twice", twice_cand & ~cand_taken, "candidate_id"),
    ):
        for row, v in zip(rows[mask], kept[col].to_numpy()[mask], strict=True):
            problems.append(_problem(code, row, col, v))
    if problems:
        _raise(problems)
    parent = np.full(len(g), -1, np.int64)
    parent[child] = cand
    out = audit.copy()
    out["decision"] = dec.astype("string")
    return LineageResult(
        data=_with_links(data, parent), audit=out, threshold=float("nan"), method="audit"
    )


def _raise(problems: list[tuple[str, str]]) -> None:
    nl_head, en_head = pair("lineage.audit.head", n=len(problems))
    raise DataError(
        "\n".join([nl_head, *(p[0] for p in problems)]),
        "\n".join([en_head, *(p[1] for p in problems)]),
    )


# ---------------------------------------------------------------------------------------
# evaluation against known links (simulated pilots)
# ---------------------------------------------------------------------------------------


def evaluate(result: LineageResult, true_links: pd.DataFrame) -> dict[str, object]:
    """Link precision, recall and F1 and goal-retention bias against the true links.

    Parameters
    ----------
    result : LineageResult
        From :func:`infer` on a package whose ``derived_from`` was blanked (wholly or
        partly), e.g. ``we.synth.generate(..., goal_text="realistic", blank_lineage=1)``.
    true_links : DataFrame
        ``goal_id``, ``derived_from`` (the true link) and ``rewording`` per goal, as in
        ``data.truth["goal_links"]``.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` over the inferred links against the true links
        that were not recorded; ``n_true``, ``n_inferred``, ``n_correct``;
        ``retention_bias`` per arm (mean goal retention with the inferred links minus
        with the true links, in percentage points); ``recall_by_rewording``.
    """
    from .outcome import outcomes

    g = result.data.goals
    ids = g["goal_id"].astype("string")
    inferred = (g["derived_from_source"] == "inferred").fillna(False).to_numpy(dtype=bool)
    recorded = (g["derived_from_source"] == "recorded").fillna(False).to_numpy(dtype=bool)
    tl = true_links.set_index(true_links["goal_id"].astype("string"))
    true_from = tl["derived_from"].astype(object).reindex(ids).to_numpy(dtype=object)
    true_from = np.where(pd.isna(true_from), None, true_from)
    has_true = pd.notna(true_from) & ~recorded
    pred = g["derived_from"].astype(object).to_numpy(dtype=object)
    pred = np.where(pd.isna(pred), None, pred)
    correct = inferred & has_true & (pred == true_from)
    n_pred, n_true, n_ok = int(inferred.sum()), int(has_true.sum()), int(correct.sum())
    precision = n_ok / n_pred if n_pred else float("nan")
    recall = n_ok / n_true if n_true else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if n_ok else 0.0
    kind = tl["rewording"].astype("string").reindex(ids).to_numpy(dtype=object)
    by_kind = (
        pd.DataFrame({"kind": kind[has_true], "ok": correct[has_true]})
        .groupby("kind")["ok"]
        .mean()
        .round(4)
        .to_dict()
    )
    true_g = g.copy()
    true_g["derived_from"] = pd.array(
        np.where(pd.notna(true_from), true_from, None), dtype="string"
    ).astype(g["derived_from"].dtype)
    with_true = dataclasses.replace(result.data, goals=true_g)
    r_inf = outcomes(result.data).groupby("arm", observed=True)["goal_retention"].mean()
    r_true = outcomes(with_true).groupby("arm", observed=True)["goal_retention"].mean()
    bias = ((r_inf - r_true) * 100).round(3)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "n_true": n_true,
        "n_inferred": n_pred,
        "n_correct": n_ok,
        "retention_bias": {str(k): float(v) for k, v in bias.items()},
        "recall_by_rewording": by_kind,
    }
