"""Realistic Dutch goal texts, reworded across plan stages, with the true links kept.

An optional post-processing step of :func:`wattelt_eval.synth.generate`
(``goal_text="realistic"``, ``blank_lineage=...``): it rewrites the ``text`` column of the
generated ``goals`` table and makes the lineages harder to trace, the way plan systems
record them (docs/synth.md, *Goal texts and lineage*):

* each lineage gets a *concept* of its domain (two to four per domain, so similar goals
  in one domain occur), written as a resident's first-person sentence or in professional
  phrasing by who authored it;
* a continuation row copies the earlier text or rewords it: another phrasing of the same
  concept (synonyms, word order), first person -> professional phrasing, an added means or
  frequency, a typo;
* about one link in five skips a stage (a middle row of a lineage is left out);
* goals merge (a professional goal folded into another goal of the same trajectory) and
  split (a goal continued as two goals);
* ``derived_from`` is blanked wholly or for a share of the links.

The true links go to ``data.truth["goal_links"]``. Everything is drawn from its own child
seed, so the other tables (and, without these options, the goals) stay byte-identical.
Vectorised per lineage depth; only the typo rows (a few percent) are edited one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema

# ---------------------------------------------------------------------------------------
# the concept bank: per Wat telt domain, concepts as (resident forms, professional forms)
# ---------------------------------------------------------------------------------------

Concept = tuple[tuple[str, ...], tuple[str, ...]]

BANK: dict[str, tuple[Concept, ...]] = {
    "housing": (
        (
            ("Ik wil een rustige woning waar ik kan blijven", "Een eigen plek om te wonen"),
            ("Passende huisvesting is geregeld", "Cliënt heeft stabiele woonruimte"),
        ),
        (
            (
                "Ik wil dat mijn huis aangepast wordt zodat ik de trap op kan",
                "Veilig in huis kunnen lopen",
            ),
            ("Woningaanpassing is gerealiseerd", "Traplift of aanpassing woning aangevraagd"),
        ),
        (
            (
                "Ik wil niet uit mijn huis gezet worden",
                "Mijn huur op tijd betalen zodat ik mag blijven",
            ),
            (
                "Huisuitzetting is voorkomen",
                "Dreigende uitzetting afgewend via afspraken met verhuurder",
            ),
        ),
        (
            ("Ik wil een woning dichter bij mijn familie", "Verhuizen naar een kleinere woning"),
            (
                "Urgentieverklaring voor een passende woning is aangevraagd",
                "Verhuizing naar een gelijkvloerse woning is geregeld",
            ),
        ),
    ),
    "finances": (
        (
            ("Ik wil van mijn schulden af", "Geen geldzorgen meer hebben"),
            (
                "Schuldenproblematiek is in beeld en er loopt een regeling",
                "Betalingsachterstanden zijn opgelost",
            ),
        ),
        (
            ("Ik wil zelf mijn post en rekeningen bijhouden", "Overzicht over mijn geld"),
            (
                "Cliënt houdt de financiële administratie zelfstandig bij",
                "Administratie is op orde",
            ),
        ),
        (
            (
                "Ik wil rondkomen van mijn inkomen",
                "Genoeg geld voor boodschappen aan het eind van de maand",
            ),
            (
                "Inkomen is op orde en toeslagen zijn aangevraagd",
                "Budgetplan is opgesteld en wordt gevolgd",
            ),
        ),
        (
            ("Ik wil dat iemand mijn geldzaken overneemt", "Hulp van een bewindvoerder"),
            ("Beschermingsbewind is aangevraagd", "Inkomensbeheer via bewindvoering is gestart"),
        ),
    ),
    "work_daytime": (
        (
            ("Ik wil weer aan het werk", "Een baan vinden die bij mij past"),
            ("Toeleiding naar betaald werk", "Cliënt is gestart met re-integratie naar werk"),
        ),
        (
            (
                "Ik wil overdag iets te doen hebben",
                "Een paar ochtenden per week ergens naartoe gaan",
            ),
            ("Passende dagbesteding is gevonden", "Cliënt neemt deel aan dagbesteding"),
        ),
        (
            ("Ik wil vrijwilligerswerk doen", "Iets betekenen voor anderen in de buurt"),
            ("Vrijwilligerswerk als zinvolle daginvulling", "Cliënt is actief als vrijwilliger"),
        ),
        (
            ("Ik wil een opleiding afmaken", "Mijn diploma halen"),
            ("Cliënt volgt een opleiding of cursus", "Scholingstraject is gestart"),
        ),
    ),
    "physical_health": (
        (
            ("Ik wil minder pijn hebben", "Beter kunnen slapen zonder pijn"),
            ("Pijnklachten zijn verminderd", "Pijnbestrijding in overleg met de huisarts"),
        ),
        (
            ("Ik wil fitter worden en meer bewegen", "Weer een stukje kunnen wandelen"),
            ("Conditie is verbeterd door te bewegen", "Cliënt beweegt dagelijks onder begeleiding"),
        ),
        (
            ("Ik wil mijn medicijnen goed innemen", "Niet meer vergeten mijn pillen te nemen"),
            ("Medicatiegebruik is stabiel", "Therapietrouw verbeterd met een medicijnrol"),
        ),
        (
            ("Ik wil afvallen", "Gezonder gewicht krijgen"),
            (
                "Gewicht is afgenomen met begeleiding van een diëtist",
                "Leefstijlprogramma is gestart",
            ),
        ),
    ),
    "mental_health": (
        (
            ("Ik wil me minder somber voelen", "Weer zin hebben in de dag"),
            ("Depressieve klachten zijn verminderd", "Cliënt is aangemeld bij de GGZ"),
        ),
        (
            ("Ik wil minder stress en piekeren", "Rust in mijn hoofd"),
            ("Spanningsklachten zijn afgenomen", "Cliënt leert omgaan met stress"),
        ),
        (
            ("Ik wil niet meer zo bang zijn om naar buiten te gaan", "Zonder angst de straat op"),
            ("Angstklachten zijn behandeld", "Cliënt gaat zelfstandig naar buiten"),
        ),
        (
            ("Ik wil beter slapen", "'s Nachts doorslapen"),
            ("Slaapproblemen zijn verminderd", "Slaapritme is hersteld"),
        ),
    ),
    "self_care": (
        (
            ("Ik wil mezelf weer kunnen wassen en aankleden", "Zelf douchen zonder hulp"),
            ("Persoonlijke verzorging is gewaarborgd", "ADL-ondersteuning bij wassen en kleden"),
        ),
        (
            ("Ik wil gezond eten en op tijd maaltijden hebben", "Elke dag een warme maaltijd"),
            ("Voeding is op orde", "Maaltijdvoorziening is geregeld"),
        ),
        (
            ("Ik wil zelf naar het toilet kunnen", "Zonder hulp naar de wc"),
            ("Toiletgang is zelfstandig", "Hulpmiddel voor toiletgang is geplaatst"),
        ),
        (
            ("Ik wil er weer verzorgd uitzien", "Naar de kapper en nette kleren"),
            ("Aandacht voor uiterlijke verzorging", "Cliënt ziet er verzorgd uit"),
        ),
    ),
    "household": (
        (
            ("Ik wil een schoon huis", "Hulp bij het schoonmaken van mijn huis"),
            ("Huishoudelijke ondersteuning is ingezet", "Woning wordt schoon en leefbaar gehouden"),
        ),
        (
            ("Ik wil weer zelf boodschappen doen", "Zelf naar de supermarkt kunnen"),
            ("Cliënt doet zelfstandig boodschappen", "Boodschappen zijn geregeld"),
        ),
        (
            ("Ik wil de was zelf kunnen doen", "Mijn kleren weer schoon hebben"),
            ("Wasverzorging is geregeld", "Cliënt verzorgt de was met ondersteuning"),
        ),
        (
            ("Ik wil zelf weer koken", "Zelf eten klaarmaken"),
            ("Cliënt bereidt zelfstandig maaltijden", "Kookvaardigheden zijn vergroot"),
        ),
    ),
    "mobility": (
        (
            ("Ik wil zelf naar de winkel kunnen", "Weer op pad zonder anderen te vragen"),
            ("Mobiliteit buitenshuis is vergroot", "Vervoersvoorziening is aangevraagd"),
        ),
        (
            (
                "Ik wil een scootmobiel om op bezoek te gaan",
                "Met een scootmobiel naar mijn kinderen",
            ),
            ("Scootmobiel is verstrekt", "Hulpmiddel voor verplaatsing is geregeld"),
        ),
        (
            ("Ik wil weer zelf fietsen", "Op de fiets naar de markt"),
            ("Cliënt fietst zelfstandig op een driewieler", "Aangepaste fiets is verstrekt"),
        ),
        (
            ("Ik wil met de bus kunnen reizen", "Zelf met het openbaar vervoer"),
            (
                "Cliënt reist zelfstandig met het openbaar vervoer",
                "Reistraining openbaar vervoer is afgerond",
            ),
        ),
    ),
    "social_contacts": (
        (
            ("Ik wil minder alleen zijn", "Vaker mensen zien"),
            ("Eenzaamheid is verminderd", "Sociaal netwerk is uitgebreid"),
        ),
        (
            ("Ik wil nieuwe vrienden maken in de wijk", "Contact met de buren"),
            (
                "Cliënt neemt deel aan activiteiten in het buurthuis",
                "Contacten in de wijk zijn opgebouwd",
            ),
        ),
        (
            ("Ik wil iemand om mee te praten", "Een maatje om koffie mee te drinken"),
            (
                "Maatjescontact is tot stand gekomen",
                "Koppeling aan een maatje via vrijwilligerspunt",
            ),
        ),
        (
            ("Ik wil weer naar de soos", "Meedoen met de koffieochtend"),
            ("Cliënt bezoekt de ontmoetingsgroep", "Deelname aan de inloop is gerealiseerd"),
        ),
    ),
    "family_relations": (
        (
            ("Ik wil weer contact met mijn kinderen", "Mijn dochter vaker zien"),
            ("Contact met de kinderen is hersteld", "Relatie met familie is verbeterd"),
        ),
        (
            ("Ik wil minder ruzie thuis", "Rust in ons gezin"),
            ("Spanningen in het gezin zijn verminderd", "Gezinsbegeleiding is ingezet"),
        ),
        (
            ("Ik wil dat mijn mantelzorger het volhoudt", "Mijn man wat ontlasten"),
            ("Mantelzorger is ontlast", "Respijtzorg voor de mantelzorger is geregeld"),
        ),
        (
            ("Ik wil een goede ouder zijn voor mijn kinderen", "Mijn kinderen goed opvoeden"),
            ("Opvoedondersteuning is ingezet", "Ouder is ondersteund in de opvoeding"),
        ),
    ),
    "safety": (
        (
            ("Ik wil me veilig voelen in huis", "Niet meer bang zijn thuis"),
            ("Veiligheid in de thuissituatie is gewaarborgd", "Huiselijk geweld is gestopt"),
        ),
        (
            ("Ik wil niet meer vallen", "Veilig kunnen lopen in huis"),
            ("Valrisico is verminderd", "Valpreventie is ingezet"),
        ),
        (
            ("Ik wil niet meer opgelicht worden", "Geen vreemden meer aan de deur"),
            ("Financieel misbruik is gestopt", "Cliënt is weerbaar tegen oplichting"),
        ),
        (
            ("Ik wil dat de buren mij met rust laten", "Geen overlast meer van de buren"),
            ("Burenoverlast is opgelost via buurtbemiddeling", "Buurtbemiddeling is ingezet"),
        ),
    ),
    "meaning": (
        (
            ("Ik wil weer weten waar ik het voor doe", "Iets hebben om naar uit te kijken"),
            (
                "Cliënt ervaart zingeving",
                "Zingevingsvragen zijn besproken met een geestelijk verzorger",
            ),
        ),
        (
            ("Ik wil weer naar de kerk kunnen", "Mijn geloof weer beleven met anderen"),
            (
                "Deelname aan de kerkgemeenschap is mogelijk gemaakt",
                "Vervoer naar de kerkdienst is geregeld",
            ),
        ),
        (
            ("Ik wil mijn verdriet om mijn vrouw een plek geven", "Leren leven met het verlies"),
            ("Rouwverwerking is ondersteund", "Cliënt heeft rouwbegeleiding"),
        ),
        (
            ("Ik wil mijn verhaal kwijt kunnen", "Iemand die naar mijn levensverhaal luistert"),
            ("Levensverhaal is opgetekend", "Gesprekken over levensvragen zijn gevoerd"),
        ),
    ),
    "leisure": (
        (
            ("Ik wil weer een hobby oppakken", "Weer gaan schilderen"),
            ("Cliënt heeft een passende vrijetijdsbesteding", "Hobby is weer opgepakt"),
        ),
        (
            ("Ik wil weer gaan zwemmen", "Sporten bij een club"),
            ("Cliënt sport wekelijks", "Deelname aan beweegactiviteit is gerealiseerd"),
        ),
        (
            ("Ik wil weer in de tuin werken", "Mijn tuin bijhouden"),
            ("Cliënt onderhoudt de tuin", "Tuinieren als dagactiviteit is opgepakt"),
        ),
        (
            ("Ik wil weer muziek maken", "Zingen in een koor"),
            ("Cliënt zingt wekelijks in een koor", "Muziekactiviteit is gevonden"),
        ),
    ),
    "substance_use": (
        (
            ("Ik wil minder drinken", "Stoppen met alcohol"),
            ("Alcoholgebruik is verminderd", "Cliënt is in behandeling voor alcoholproblematiek"),
        ),
        (
            ("Ik wil stoppen met blowen", "Van de drugs af"),
            ("Middelengebruik is gestopt", "Verslavingszorg is ingezet"),
        ),
        (
            ("Ik wil stoppen met roken", "Geen sigaretten meer"),
            ("Cliënt is gestopt met roken", "Stoppen-met-rokenprogramma is gestart"),
        ),
        (
            ("Ik wil minder gokken", "Van het gokken af"),
            ("Gokgedrag is gestopt", "Hulp bij gokverslaving is ingezet"),
        ),
    ),
}

#: Means and frequencies added to a reworded goal ("added means or frequency").
QUALIFIERS = (
    "met hulp van een vrijwilliger",
    "met steun van de wijkcoach",
    "met ondersteuning van familie",
    "via het buurthuis",
    "met een maatje",
    "twee keer per week",
    "elke dag",
    "één keer per maand",
    "binnen drie maanden",
    "voor het eind van het jaar",
)

#: Rewording kinds of a true link, in ``data.truth["goal_links"]["rewording"]``.
REWORDINGS = ("new", "copy", "reworded", "register", "merge", "split")


@dataclass(frozen=True)
class GoalTextOptions:
    """Probabilities of the rewording steps (defaults: docs/synth.md *Goal texts and lineage*)."""

    p_copy: float = 0.35  # a continuation copies the earlier text
    p_register: float = 0.5  # a rewording by a professional moves to professional phrasing
    p_qualifier: float = 0.3  # a rewording adds a means or a frequency
    p_typo: float = 0.08  # a row gets a typo
    p_skip: float = 0.4  # a middle row of a lineage is left out (a link skips a stage)
    p_merge: float = 0.06  # a professional goal is folded into another goal of its trajectory
    p_split: float = 0.05  # a goal continues as two goals


def _concepts_flat(domain_codes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per domain: first concept index and number of concepts; and the flat list of forms.

    Form ``f`` of concept ``c`` (``f`` 0, 1 resident; 2, 3 professional) is at ``4 * c + f``.
    Instruments other than Wat telt get the Wat telt domains in order (by position).
    """
    keys = list(BANK)
    first, count, forms = [], [], []
    concept_index = 0
    per_key: dict[str, int] = {}
    for key in keys:
        per_key[key] = concept_index
        for res_forms, pro_forms in BANK[key]:
            forms.extend([*res_forms, *pro_forms])
            concept_index += 1
    for i, code in enumerate(domain_codes):
        key = code if code in BANK else keys[i % len(keys)]
        first.append(per_key[key])
        count.append(len(BANK[key]))
    return np.asarray(first), np.asarray(count), forms


def _root_and_depth(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root position and depth (0 = root) per row, by pointer jumping over ``parent``."""
    idx = np.arange(len(parent))
    root = np.where(parent >= 0, parent, idx)
    depth = (parent >= 0).astype(np.int64)
    hop = root.copy()
    for _ in range(len(schema.STAGE) + 1):
        nxt = np.where(parent[hop] >= 0, parent[hop], hop)
        moved = nxt != hop
        if not moved.any():
            break
        depth += moved
        hop = nxt
    return hop if len(parent) else root, depth


def _typo(s: str, u: float, v: float) -> str:
    """One typo in the longest word: a letter dropped, doubled or swapped with the next."""
    words = s.split(" ")
    k = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[k]
    if len(w) < 4:
        return s
    j = 1 + int(u * (len(w) - 2))
    kind = int(v * 3)
    if kind == 0:
        w = w[:j] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    words[k] = w
    return " ".join(words)


def _lower_first(s: pd.Series) -> pd.Series:
    return s.str[:1].str.lower() + s.str[1:]


def realistic_goals(
    goals: pd.DataFrame,
    domain_codes: tuple[str, ...],
    rng: np.random.Generator,
    blank_lineage: float = 0.0,
    realistic: bool = True,
    options: GoalTextOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rewrite a generated ``goals`` table: realistic texts, harder lineages, blanked links.

    Parameters
    ----------
    goals : DataFrame
        The generated goals (canonical form, rows in trajectory and stage order).
    domain_codes : tuple of str
        The instrument's domain codes.
    rng : numpy.random.Generator
        Its own stream (child seed of the simulation).
    blank_lineage : float
        Share of the true links whose ``derived_from`` is left empty (1 = all).
    realistic : bool
        Rewrite the texts and the lineages (else only blank ``derived_from``).
    options : GoalTextOptions, optional

    Returns
    -------
    goals : DataFrame
        Same columns; rows removed (skipped stages, merged goals) and added (split goals).
    links : DataFrame
        One row per goal: ``goal_id``, ``trajectory_id``, ``stage``, ``derived_from`` (the
        true link), ``rewording`` (:data:`REWORDINGS`), ``qualifier``, ``typo`` and
        ``skip`` (the link skips a stage).
    """
    o = options or GoalTextOptions()
    g = goals.reset_index(drop=True).copy()
    n = len(g)
    ids = pd.Index(g["goal_id"].astype(str))
    parent = ids.get_indexer(g["derived_from"].astype(object).where(g["derived_from"].notna(), ""))
    kind = np.where(parent >= 0, REWORDINGS.index("copy"), 0)
    qual = np.zeros(n, bool)
    typo = np.zeros(n, bool)
    if realistic and n:
        g, parent, kind, qual, typo = _rewrite(g, parent, domain_codes, rng, o)
    # a link skips a stage when the trajectory has a plan version between its two goals
    stage = g["stage"].map(schema.STAGE_ORDER).to_numpy(np.int64)
    pos = g.assign(_s=stage).groupby("trajectory_id", observed=True)["_s"].rank(method="dense")
    pos = pos.to_numpy(np.int64)
    skip = (parent >= 0) & (pos - pos[np.maximum(parent, 0)] > 1)
    ids = g["goal_id"].astype("string")
    true_from = (
        ids.iloc[np.maximum(parent, 0)].reset_index(drop=True).where(pd.Series(parent >= 0), pd.NA)
    )
    g["derived_from"] = true_from.astype(g["derived_from"].dtype).to_numpy()
    links = pd.DataFrame(
        {
            "goal_id": ids.to_numpy(),
            "trajectory_id": g["trajectory_id"].astype("string").to_numpy(),
            "stage": g["stage"].astype("string").to_numpy(),
            "derived_from": true_from.astype("string").to_numpy(),
            "rewording": pd.array(np.asarray(REWORDINGS)[kind], dtype="string"),
            "qualifier": qual,
            "typo": typo,
            "skip": skip,
        }
    )
    if blank_lineage > 0:
        has = np.flatnonzero(parent >= 0)
        blank = has[rng.random(len(has)) < blank_lineage]
        dfrom = g["derived_from"].copy()
        dfrom.iloc[blank] = pd.NA
        g["derived_from"] = dfrom
    return g, links


def _rewrite(
    g: pd.DataFrame,
    parent: np.ndarray,
    domain_codes: tuple[str, ...],
    rng: np.random.Generator,
    o: GoalTextOptions,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(g)
    c_first, c_count, forms = _concepts_flat(domain_codes)
    forms_arr = np.asarray(forms, dtype=object)
    dom = pd.Index(domain_codes).get_indexer(g["domain"].astype(object))
    dom = np.where(dom >= 0, dom, 0)
    root, depth = _root_and_depth(parent)
    is_root = parent < 0
    traj = pd.factorize(g["trajectory_id"])[0]
    pro = (g["author"] == "professional").to_numpy(dtype=bool)

    # ---- a concept per lineage: lineages of one trajectory and domain get different ones
    rank = pd.Series(np.where(is_root, 1, 0)).groupby([traj, dom]).cumsum().to_numpy() - 1
    offset = np.floor(rng.random(n) * 4).astype(np.int64)
    offset = pd.Series(offset).groupby([traj, dom]).transform("first").to_numpy()
    concept_root = c_first[dom] + (offset + rank) % c_count[dom]
    concept = concept_root[root]
    # ---- the form per row, depth by depth
    u_form, u_op, u_reg, u_q, u_qk, u_pos = (rng.random(n) for _ in range(6))
    form = np.where(pro, 2, 0) + (u_form < 0.5)
    kind = np.zeros(n, np.int64)
    qual = np.zeros(n, bool)
    q_idx = np.floor(u_qk * len(QUALIFIERS)).astype(np.int64)
    q_of = np.full(n, -1, np.int64)  # qualifier shown on the row (-1: none)
    for d in range(1, int(depth.max()) + 1 if n else 1):
        at = np.flatnonzero(depth == d)
        p = parent[at]
        copy = u_op[at] < o.p_copy
        was_pro = form[p] >= 2
        # first person -> professional phrasing: mostly when a professional rewords it
        p_reg = np.where(pro[at], 0.5 + o.p_register / 2, o.p_register / 2)
        to_pro = ~copy & ~was_pro & (u_reg[at] < p_reg)
        other = np.where(was_pro, 2, 0) + (1 - form[p] % 2)  # the other phrasing
        new_form = np.where(to_pro, 2 + (u_form[at] < 0.5), other)
        form[at] = np.where(copy, form[p], new_form)
        add_q = ~copy & (u_q[at] < o.p_qualifier)
        q_of[at] = np.where(add_q, q_idx[at], q_of[p])
        qual[at] = add_q
        kind[at] = np.where(
            copy,
            REWORDINGS.index("copy"),
            np.where(to_pro, REWORDINGS.index("register"), REWORDINGS.index("reworded")),
        )
    base = pd.Series(forms_arr[4 * concept + form], dtype=object)
    q_text = pd.Series(np.asarray(QUALIFIERS, dtype=object)[np.maximum(q_of, 0)])
    prefix = u_pos < 0.4  # word order: the qualifier in front
    text = base.where(q_of < 0, base + ", " + q_text)
    front = (q_of >= 0) & prefix
    text = text.where(
        ~front, q_text.str[:1].str.upper() + q_text.str[1:] + ": " + _lower_first(base)
    )
    g["text"] = pd.array(text.to_numpy(dtype=object), dtype=g["text"].dtype)
    typo = np.zeros(n, bool)
    g, parent, kind, qual, typo = _merge_split(
        g, parent, kind, qual, typo, concept, c_first, c_count, dom, forms_arr, form, rng, o
    )
    g, parent, kind, qual, typo = _skip(g, parent, kind, qual, typo, rng, o)
    # a copy is an unchanged text (a moved qualifier or a skipped version rewords it)
    text = g["text"].astype(object).to_numpy().copy()
    linked = parent >= 0
    same = linked & (text == text[np.maximum(parent, 0)])
    i_copy, i_rew, i_reg = (REWORDINGS.index(k) for k in ("copy", "reworded", "register"))
    kind = np.where(linked & (kind == i_copy) & ~same, i_rew, kind)
    kind = np.where(same & np.isin(kind, [i_rew, i_reg]), i_copy, kind)
    # ---- typos: on a share of the rows, not inherited (retyped in each version)
    m = len(g)
    u_t, u_a, u_b = rng.random(m), rng.random(m), rng.random(m)
    typo = u_t < o.p_typo
    t_at = np.flatnonzero(typo)
    text[t_at] = [_typo(text[i], u_a[i], u_b[i]) for i in t_at]
    g["text"] = pd.array(text, dtype=g["text"].dtype)
    return g, parent, kind, qual, typo


def _keep_rows(
    g: pd.DataFrame, parent: np.ndarray, keep: np.ndarray, *arrays: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, list[np.ndarray]]:
    """Rows ``keep``; a link to a dropped row moves to that row's nearest kept ancestor."""
    n = len(parent)
    up = parent.copy()
    for _ in range(len(schema.STAGE) + 1):  # jump over dropped ancestors
        bad = (up >= 0) & ~keep[np.maximum(up, 0)]
        if not bad.any():
            break
        up = np.where(bad, parent[np.maximum(up, 0)], up)
    new_pos = np.cumsum(keep) - 1
    new_parent = np.where(up >= 0, new_pos[np.maximum(up, 0)], -1)[keep]
    del n
    return g.loc[keep].reset_index(drop=True), new_parent, [a[keep] for a in arrays]


def _end_stage(parent: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Per row: the last stage of its lineage (over the rows with the same root)."""
    root, _ = _root_and_depth(parent)
    end = np.zeros(len(parent), np.int64)
    np.maximum.at(end, root, stage)
    return end[root]


def _merge_split(
    g: pd.DataFrame,
    parent: np.ndarray,
    kind: np.ndarray,
    qual: np.ndarray,
    typo: np.ndarray,
    concept: np.ndarray,
    c_first: np.ndarray,
    c_count: np.ndarray,
    dom: np.ndarray,
    forms_arr: np.ndarray,
    form: np.ndarray,
    rng: np.random.Generator,
    o: GoalTextOptions,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merged goals (a professional lineage folded into another) and split goals."""
    n = len(g)
    idx = np.arange(n)
    stage = g["stage"].map(schema.STAGE_ORDER).to_numpy(np.int64)
    traj = pd.factorize(g["trajectory_id"])[0]
    root, _ = _root_and_depth(parent)
    child = np.full(n, -1)
    child[parent[parent >= 0]] = idx[parent >= 0]
    end = _end_stage(parent, stage)
    pro_root = (g["author"] == "professional").to_numpy(dtype=bool)[root]
    text = g["text"].astype(object).to_numpy().copy()
    u_merge, u_split = rng.random(n), rng.random(n)

    # ---- merge: b's continuation is folded into a's continuation (same stages)
    has_child = child >= 0
    rows = pd.DataFrame(
        {"row": idx, "traj": traj, "stage": stage, "cstage": stage[child], "end": end}
    )[has_child]
    b = rows[pro_root[rows["row"]] & (u_merge[rows["row"]] < o.p_merge)]
    pairs = b.merge(rows, on=["traj", "stage", "cstage"], suffixes=("_b", "_a"))
    pairs = pairs[(pairs["row_a"] != pairs["row_b"]) & (pairs["end_a"] >= pairs["end_b"])]
    pairs = pairs[~pairs["row_a"].isin(b["row"])]
    pairs = pairs.drop_duplicates("row_b").drop_duplicates("row_a")
    ra, rb = pairs["row_a"].to_numpy(), pairs["row_b"].to_numpy()
    ca, cb = child[ra], child[rb]
    text[ca] = [f"{x} en {y[:1].lower()}{y[1:]}" for x, y in zip(text[ca], text[cb], strict=True)]
    kind[ca] = REWORDINGS.index("merge")
    gone = np.zeros(n, bool)
    _, depth = _root_and_depth(parent)
    folded = np.zeros(n, bool)
    folded[root[rb]] = True
    cut_depth = np.full(n, 99)
    cut_depth[root[rb]] = depth[cb]
    gone = folded[root] & (depth >= cut_depth[root])

    # ---- split: a continuation of a root goal reaching the last stage becomes two goals
    last = np.zeros(traj.max() + 1 if n else 0, np.int64)
    np.maximum.at(last, traj, stage)
    s = np.flatnonzero(
        (depth == 1) & (end == last[traj]) & ~gone & (u_split < o.p_split) & (kind != 4)
    )
    s = s[~gone[parent[s]] & ~np.isin(parent[s], ra)]
    s = s[~pd.Series(parent[s]).duplicated().to_numpy()]
    p = parent[s]
    c2 = c_first[dom[s]] + (concept[s] - c_first[dom[s]] + 1) % c_count[dom[s]]
    other_text = forms_arr[4 * c2 + form[s]]
    other_parent = forms_arr[4 * c2 + form[p]]
    text[p] = [f"{x} en {y[:1].lower()}{y[1:]}" for x, y in zip(text[p], other_parent, strict=True)]
    kind[s] = REWORDINGS.index("split")
    g["text"] = pd.array(text, dtype=g["text"].dtype)
    new = g.iloc[s].copy()
    new["goal_id"] = (new["goal_id"].astype("string") + "-S").astype(g["goal_id"].dtype)
    new["text"] = pd.array(other_text, dtype=g["text"].dtype)
    # the split-off goal ends here: active unless at the last stage (then as its sibling)
    at_last = stage[s] == last[traj[s]]
    new["status"] = new["status"].where(at_last, "active")
    new["attainment"] = new["attainment"].where(at_last, pd.NA)
    # rows: all kept rows, each split-off row right after its sibling
    order_key = np.concatenate([idx, s + 0.5])
    g2 = pd.concat([g, new], ignore_index=True)
    parent2 = np.concatenate([parent, p])
    kind2 = np.concatenate([kind, np.full(len(s), REWORDINGS.index("split"))])
    qual2 = np.concatenate([qual, np.zeros(len(s), bool)])
    typo2 = np.concatenate([typo, np.zeros(len(s), bool)])
    keep2 = np.concatenate([~gone, np.ones(len(s), bool)])
    order = np.argsort(order_key, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    g2 = g2.iloc[order].reset_index(drop=True)
    parent2 = np.where(parent2 >= 0, inv[np.maximum(parent2, 0)], -1)[order]
    kind2, qual2, typo2, keep2 = kind2[order], qual2[order], typo2[order], keep2[order]
    g3, parent3, (kind3, qual3, typo3) = _keep_rows(g2, parent2, keep2, kind2, qual2, typo2)
    return g3, parent3, kind3, qual3, typo3


def _skip(
    g: pd.DataFrame,
    parent: np.ndarray,
    kind: np.ndarray,
    qual: np.ndarray,
    typo: np.ndarray,
    rng: np.random.Generator,
    o: GoalTextOptions,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Leave out middle rows of lineages: their continuation links to the goal before."""
    n = len(parent)
    n_child = np.bincount(parent[parent >= 0], minlength=n)
    middle = (parent >= 0) & (n_child == 1) & (kind != REWORDINGS.index("split"))
    drop = middle & (rng.random(n) < o.p_skip)
    # the continuation of a dropped row: its text now differs from the goal it links to
    kids = (parent >= 0) & drop[np.maximum(parent, 0)]
    reworded_mid = kind[np.maximum(parent, 0)]
    kind = np.where(kids & (kind == REWORDINGS.index("copy")), reworded_mid, kind)
    g2, parent2, (kind2, qual2, typo2) = _keep_rows(g, parent, ~drop, kind, qual, typo)
    # a chain of copies stays a copy; anything else compared with the new parent's text
    text = g2["text"].astype(object).to_numpy()
    same = (parent2 >= 0) & (text == text[np.maximum(parent2, 0)])
    kind2 = np.where(same, REWORDINGS.index("copy"), kind2)
    return g2, parent2, kind2, qual2, typo2
