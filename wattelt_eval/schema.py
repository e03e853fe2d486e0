"""The pilot data package schema: the single source of truth.

Every table of a pilot data package (docs/data_model.md) is described here once,
as code. From this one definition come:

* validation (:mod:`wattelt_eval.validation`, which also builds pandera schemas
  with :func:`pandera_schema`),
* the blank CSV templates and the Excel workbook (:mod:`wattelt_eval.templates`),
* the bilingual data dictionary (``data_templates/data_dictionary.md``),
* the canonical dtypes of the tables inside :class:`wattelt_eval.PilotData`.

Canonical in-memory representation (what ``we.load`` returns and what
``we.synth.generate`` produces):

* the index of every table is named ``row`` and holds the row number as the user
  sees it in Excel or a text editor (the header is row 1, so the first data row
  is 2);
* ``str`` and ``enum`` columns are pandas ``string`` dtype (enum values are the
  canonical English codes, Dutch aliases already mapped);
* ``date`` columns are ``datetime64[ns]`` (naive, midnight);
* ``int`` columns are pandas nullable ``Int64``;
* ``float`` columns are ``float64``;
* ``bool`` columns are pandas nullable ``boolean``.

Optional columns that are absent from the input are added, filled with missing
values, so downstream code can rely on every column in :data:`TABLES` existing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

ColumnType = Literal["str", "enum", "date", "int", "float", "bool"]

#: Canonical pandas dtypes per column type.
PANDAS_DTYPES: dict[str, str] = {
    "str": "string",
    "enum": "string",
    "date": "datetime64[ns]",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        English snake_case column name.
    type : {"str", "enum", "date", "int", "float", "bool"}
        Logical type.
    required : bool
        Whether the column must be present *and* filled in every row.
    description_en, description_nl : str
        Data dictionary text.
    enum : tuple of str
        Allowed canonical codes (for ``type="enum"``).
    aliases : dict
        Accepted input spellings (lower case) mapped to canonical codes; Dutch words
        from the data dictionary live here.
    labels_nl, labels_en : dict
        Human labels per canonical code.
    unique : bool
        Values must be unique within the table.
    references : str, optional
        ``"table.column"`` that this column refers to (foreign key).
    min, max : float, optional
        Inclusive numeric bounds.
    pattern : str, optional
        Regular expression a ``str`` value must match fully.
    example : str
        Example value shown in the templates.
    free_text : bool
        Column holds free text (dropped by pseudonymisation by default, never
        published).
    identifier : bool
        Column holds an identifier (never published; pseudonymised where personal).
    """

    name: str
    type: ColumnType
    required: bool
    description_en: str
    description_nl: str
    enum: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    labels_nl: dict[str, str] = field(default_factory=dict)
    labels_en: dict[str, str] = field(default_factory=dict)
    unique: bool = False
    references: str | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    example: str = ""
    free_text: bool = False
    identifier: bool = False

    @property
    def dtype(self) -> str:
        """Canonical pandas dtype."""
        return PANDAS_DTYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One table of the pilot data package."""

    name: str
    required: bool
    description_en: str
    description_nl: str
    columns: tuple[Column, ...]
    #: Column combination that must be unique (besides ``unique`` columns).
    unique_together: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def empty_frame(self) -> pd.DataFrame:
        """An empty DataFrame with the canonical columns and dtypes."""
        df = pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in self.columns})
        df.index.name = "row"
        return df


# --------------------------------------------------------------------------------------
# Enumerations (canonical English codes, Dutch labels, accepted aliases)
# --------------------------------------------------------------------------------------

ARM = ("demand_driven", "supply_driven")
ARM_LABELS_NL = {"demand_driven": "vraaggestuurd", "supply_driven": "aanbodgestuurd"}
ARM_LABELS_EN = {"demand_driven": "demand-driven", "supply_driven": "supply-driven"}
ARM_ALIASES = {
    "vraaggestuurd": "demand_driven",
    "vraag": "demand_driven",
    "demand-driven": "demand_driven",
    "demand driven": "demand_driven",
    "aanbodgestuurd": "supply_driven",
    "aanbod": "supply_driven",
    "supply-driven": "supply_driven",
    "supply driven": "supply_driven",
}

PERIOD = ("before", "after")
PERIOD_LABELS_NL = {"before": "voor", "after": "na"}
PERIOD_LABELS_EN = {"before": "before", "after": "after"}
PERIOD_ALIASES = {"voor": "before", "voormeting": "before", "na": "after", "nameting": "after"}

END_REASON = (
    "goals_achieved",
    "no_support_needed",
    "referred",
    "moved",
    "deceased",
    "withdrawn",
    "ongoing",
    "other",
)
END_REASON_LABELS_NL = {
    "goals_achieved": "doelen bereikt",
    "no_support_needed": "geen ondersteuning nodig",
    "referred": "doorverwezen",
    "moved": "verhuisd",
    "deceased": "overleden",
    "withdrawn": "gestopt op eigen verzoek",
    "ongoing": "loopt nog",
    "other": "anders",
}
END_REASON_LABELS_EN = {k: k.replace("_", " ") for k in END_REASON}
END_REASON_ALIASES = {
    "doelen_bereikt": "goals_achieved",
    "doelen bereikt": "goals_achieved",
    "geen_ondersteuning_nodig": "no_support_needed",
    "geen ondersteuning nodig": "no_support_needed",
    "doorverwezen": "referred",
    "verhuisd": "moved",
    "overleden": "deceased",
    "gestopt": "withdrawn",
    "loopt_nog": "ongoing",
    "loopt nog": "ongoing",
    "lopend": "ongoing",
    "anders": "other",
    "overig": "other",
}

SEX = ("female", "male", "other", "unknown")
SEX_LABELS_NL = {"female": "vrouw", "male": "man", "other": "anders", "unknown": "onbekend"}
SEX_LABELS_EN = {k: k for k in SEX}
SEX_ALIASES = {
    "vrouw": "female",
    "v": "female",
    "f": "female",
    "man": "male",
    "m": "male",
    "anders": "other",
    "onbekend": "unknown",
    "x": "other",
}

HOUSEHOLD = ("single", "couple", "single_parent", "couple_with_children", "other")
HOUSEHOLD_LABELS_NL = {
    "single": "alleenstaand",
    "couple": "paar zonder kinderen",
    "single_parent": "eenoudergezin",
    "couple_with_children": "paar met kinderen",
    "other": "anders",
}
HOUSEHOLD_LABELS_EN = {k: k.replace("_", " ") for k in HOUSEHOLD}
HOUSEHOLD_ALIASES = {
    "alleenstaand": "single",
    "paar": "couple",
    "paar_zonder_kinderen": "couple",
    "paar zonder kinderen": "couple",
    "eenoudergezin": "single_parent",
    "paar_met_kinderen": "couple_with_children",
    "paar met kinderen": "couple_with_children",
    "anders": "other",
    "overig": "other",
}

ROLE = ("service_desk", "generalist", "specialist", "consultant", "other")
ROLE_LABELS_NL = {
    "service_desk": "loket / servicebureau",
    "generalist": "generalist (wijkteam)",
    "specialist": "specialist (tweede lijn)",
    "consultant": "Wmo-consulent",
    "other": "anders",
}
ROLE_LABELS_EN = {
    "service_desk": "service desk",
    "generalist": "generalist (neighbourhood team)",
    "specialist": "specialist (second line)",
    "consultant": "Wmo consultant",
    "other": "other",
}
ROLE_ALIASES = {
    "loket": "service_desk",
    "wmo_loket": "service_desk",
    "wmo-loket": "service_desk",
    "servicebureau": "service_desk",
    "wijkteam": "generalist",
    "sociaal_werker": "generalist",
    "tweedelijn": "specialist",
    "tweede_lijn": "specialist",
    "consulent": "consultant",
    "wmo_consulent": "consultant",
    "wmo-consulent": "consultant",
    "anders": "other",
    "overig": "other",
}

CONTACT_TYPE = ("intake", "assessment", "handover", "follow_up", "evaluation", "other")
CONTACT_TYPE_LABELS_NL = {
    "intake": "intake / aanmelding",
    "assessment": "onderzoek / keukentafelgesprek",
    "handover": "overdracht",
    "follow_up": "vervolgcontact",
    "evaluation": "evaluatie",
    "other": "anders",
}
CONTACT_TYPE_LABELS_EN = {k: k.replace("_", " ") for k in CONTACT_TYPE}
CONTACT_TYPE_ALIASES = {
    "aanmelding": "intake",
    "onderzoek": "assessment",
    "keukentafelgesprek": "assessment",
    "gesprek": "assessment",
    "overdracht": "handover",
    "vervolg": "follow_up",
    "vervolgcontact": "follow_up",
    "vervolggesprek": "follow_up",
    "evaluatie": "evaluation",
    "anders": "other",
    "overig": "other",
}

STAGE = ("intake", "plan", "specialist_plan", "review", "final")
#: Order of goal stages (intake < plan < specialist_plan < review < final).
STAGE_ORDER = {s: i for i, s in enumerate(STAGE)}
STAGE_LABELS_NL = {
    "intake": "intake",
    "plan": "plan",
    "specialist_plan": "plan specialist",
    "review": "tussenevaluatie",
    "final": "eindplan",
}
STAGE_LABELS_EN = {
    "intake": "intake",
    "plan": "plan",
    "specialist_plan": "specialist plan",
    "review": "review",
    "final": "final plan",
}
STAGE_ALIASES = {
    "ondersteuningsplan": "plan",
    "plan_van_aanpak": "plan",
    "specialistisch_plan": "specialist_plan",
    "plan_specialist": "specialist_plan",
    "tweedelijnsplan": "specialist_plan",
    "evaluatie": "review",
    "tussenevaluatie": "review",
    "eind": "final",
    "eindplan": "final",
    "afsluiting": "final",
}

AUTHOR = ("resident", "jointly", "professional", "informal_carer")
AUTHOR_LABELS_NL = {
    "resident": "inwoner",
    "jointly": "samen",
    "professional": "professional",
    "informal_carer": "mantelzorger",
}
AUTHOR_LABELS_EN = {k: k.replace("_", " ") for k in AUTHOR}
AUTHOR_ALIASES = {
    "inwoner": "resident",
    "bewoner": "resident",
    "cliënt": "resident",
    "client": "resident",
    "samen": "jointly",
    "gezamenlijk": "jointly",
    "joint": "jointly",
    "hulpverlener": "professional",
    "mantelzorger": "informal_carer",
}

#: Where a goal's derived_from comes from: recorded in the plan system, or inferred from
#: the goal texts by :func:`wattelt_eval.lineage.infer` (docs/outcomes.md 2.5).
LINK_SOURCE = ("recorded", "inferred")
LINK_SOURCE_LABELS_NL = {"recorded": "vastgelegd", "inferred": "afgeleid"}
LINK_SOURCE_LABELS_EN = {"recorded": "recorded", "inferred": "inferred"}
LINK_SOURCE_ALIASES = {"vastgelegd": "recorded", "afgeleid": "inferred"}

STATUS = ("active", "achieved", "partly_achieved", "not_achieved", "dropped")
STATUS_LABELS_NL = {
    "active": "actief",
    "achieved": "behaald",
    "partly_achieved": "deels behaald",
    "not_achieved": "niet behaald",
    "dropped": "vervallen",
}
STATUS_LABELS_EN = {k: k.replace("_", " ") for k in STATUS}
STATUS_ALIASES = {
    "actief": "active",
    "lopend": "active",
    "behaald": "achieved",
    "bereikt": "achieved",
    "deels_behaald": "partly_achieved",
    "deels behaald": "partly_achieved",
    "deels_bereikt": "partly_achieved",
    "niet_behaald": "not_achieved",
    "niet behaald": "not_achieved",
    "niet_bereikt": "not_achieved",
    "vervallen": "dropped",
    "geschrapt": "dropped",
    "gestopt": "dropped",
}

RATER = ("resident", "professional", "informal_carer")
RATER_LABELS_NL = {
    "resident": "inwoner",
    "professional": "professional",
    "informal_carer": "mantelzorger",
}
RATER_LABELS_EN = {k: k.replace("_", " ") for k in RATER}
RATER_ALIASES = {
    "inwoner": "resident",
    "bewoner": "resident",
    "hulpverlener": "professional",
    "mantelzorger": "informal_carer",
}

#: iWmo product categories (code list WMO020/WMO022).
IWMO_CATEGORIES: dict[str, str] = {
    "00": "Algemene / voorliggende voorziening",
    "01": "Hulp bij het huishouden",
    "02": "Begeleiding",
    "03": "Persoonlijke verzorging",
    "04": "Kortdurend verblijf",
    "05": "Woondiensten",
    "06": "Overige ondersteuning individu/huishouden",
    "07": "Dagbesteding",
    "08": "Vervoerdiensten",
    "09": "Overige groepsgerichte ondersteuning",
    "10": "Overige maatwerkarrangementen",
    "11": "Rolstoelen",
    "12": "Vervoervoorzieningen",
    "13": "Woonvoorzieningen",
    "14": "Overige hulpmiddelen",
    "15": "Beschermd wonen",
    "16": "Opvang",
    "17": "Spoedopvang",
    "18": "Overige beschermd wonen en opvang",
}
IWMO_CATEGORIES_EN: dict[str, str] = {
    "00": "General / community provision",
    "01": "Household help",
    "02": "Support (begeleiding)",
    "03": "Personal care",
    "04": "Short stay",
    "05": "Housing services",
    "06": "Other individual/household support",
    "07": "Day activities",
    "08": "Transport services",
    "09": "Other group support",
    "10": "Other tailored arrangements",
    "11": "Wheelchairs",
    "12": "Transport aids",
    "13": "Housing adaptations",
    "14": "Other aids",
    "15": "Sheltered housing",
    "16": "Shelter",
    "17": "Emergency shelter",
    "18": "Other sheltered housing and shelter",
}

#: CBS grouping of iWmo categories. ``general`` holds category 00 (not an
#: individual provision).
CBS_GROUPS: dict[str, tuple[str, ...]] = {
    "household_help": ("01",),
    "support_at_home": ("02", "03", "04", "06", "07", "09", "10"),
    "aids_and_services": ("05", "08", "11", "12", "13", "14"),
    "residential_and_shelter": ("15", "16", "17", "18"),
    "general": ("00",),
}
CBS_GROUP_LABELS_NL = {
    "household_help": "Hulp bij het huishouden",
    "support_at_home": "Ondersteuning thuis",
    "aids_and_services": "Hulpmiddelen en diensten",
    "residential_and_shelter": "Verblijf en opvang",
    "general": "Algemene voorzieningen",
}
CBS_GROUP_LABELS_EN = {
    "household_help": "Household help",
    "support_at_home": "Support at home",
    "aids_and_services": "Aids and services",
    "residential_and_shelter": "Residential care and shelter",
    "general": "General provisions",
}
#: category code -> CBS group
CATEGORY_TO_CBS_GROUP: dict[str, str] = {c: g for g, cs in CBS_GROUPS.items() for c in cs}

#: iWmo / iJw release 3.2 codes of code list WJ756 "Eenheid" (Zorginstituut Nederland,
#: informatiemodel.istandaarden.nl/informatiemodel/iwmo/3.2/codelijsten/wj756) -> unit:
#: 01 minuut, 04 uur, 14 etmaal, 16 dagdeel (4 uur), 82 stuks (output), 83 euro's,
#: 84 stuks (inspanning). 01 and 04 also without the leading zero, as Excel shows a number.
IWMO_UNIT_CODES: dict[str, str] = {
    "01": "minute",
    "1": "minute",
    "04": "hour",
    "4": "hour",
    "14": "day",
    "16": "day_part",
    "82": "piece",
    "83": "euro",
    "84": "piece",
}
#: iWmo release 3.2 codes of code list WMO757 "Frequentie"
#: (informatiemodel.istandaarden.nl/informatiemodel/iwmo/3.2/codelijsten/wmo757) -> frequency:
#: 1 per dag, 2 per week, 4 per maand, 6 totaal binnen geldigheidsduur toewijzing.
IWMO_FREQUENCY_CODES: dict[str, str] = {
    "1": "per_day",
    "2": "per_week",
    "4": "per_month",
    "6": "total",
}

UNIT = ("minute", "hour", "day_part", "day", "week", "month", "piece", "euro")
UNIT_LABELS_NL = {
    "minute": "minuut",
    "hour": "uur",
    "day_part": "dagdeel",
    "day": "etmaal / dag",
    "week": "week",
    "month": "maand",
    "piece": "stuk",
    "euro": "euro",
}
UNIT_LABELS_EN = {k: k.replace("_", " ") for k in UNIT}
UNIT_ALIASES = {
    "minuut": "minute",
    "minuten": "minute",
    "min": "minute",
    "uur": "hour",
    "uren": "hour",
    "dagdeel": "day_part",
    "dagdelen": "day_part",
    "dag": "day",
    "dagen": "day",
    "etmaal": "day",
    "weken": "week",
    "maand": "month",
    "maanden": "month",
    "stuk": "piece",
    "stuks": "piece",
    "€": "euro",
    **IWMO_UNIT_CODES,
}

FREQUENCY = ("total", "per_week", "per_month", "per_day")
FREQUENCY_LABELS_NL = {
    "total": "totaal",
    "per_week": "per week",
    "per_month": "per maand",
    "per_day": "per dag",
}
FREQUENCY_LABELS_EN = {
    "total": "total",
    "per_week": "per week",
    "per_month": "per month",
    "per_day": "per day",
}
FREQUENCY_ALIASES = {
    "totaal": "total",
    "totaal_binnen_geldigheidsduur": "total",
    "per week": "per_week",
    "week": "per_week",
    "per maand": "per_month",
    "per_maand": "per_month",
    "maand": "per_month",
    "per_dag": "per_day",
    "dag": "per_day",
    **IWMO_FREQUENCY_CODES,
}

#: Common Dutch / English spellings of booleans (lower case).
BOOL_TRUE = ("true", "ja", "j", "yes", "y", "1", "waar", "wahr")
BOOL_FALSE = ("false", "nee", "n", "no", "0", "onwaar")

_ID_EN = "Identifier, unique within the table. Use a pseudonym, never a BSN."
_ID_NL = "Kenmerk, uniek binnen de tabel. Gebruik een pseudoniem, nooit een BSN."
_TRAJ_REF_EN = "trajectory_id of the trajectory this row belongs to."
_TRAJ_REF_NL = "trajectory_id van het traject waar deze rij bij hoort."


def _enum(
    name: str,
    codes: tuple[str, ...],
    labels_nl: dict[str, str],
    labels_en: dict[str, str],
    aliases: dict[str, str],
    required: bool,
    description_en: str,
    description_nl: str,
    example: str = "",
) -> Column:
    return Column(
        name=name,
        type="enum",
        required=required,
        description_en=description_en,
        description_nl=description_nl,
        enum=codes,
        aliases=aliases,
        labels_nl=labels_nl,
        labels_en=labels_en,
        example=example or codes[0],
    )


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

TRAJECTORIES = Table(
    name="trajectories",
    required=True,
    description_en="One row per support trajectory: a resident's episode of support, across organisations.",
    description_nl="Eén rij per ondersteuningstraject: een periode van ondersteuning van één inwoner, over organisaties heen.",
    columns=(
        Column(
            "trajectory_id",
            "str",
            True,
            _ID_EN,
            _ID_NL,
            unique=True,
            example="T0001",
            identifier=True,
        ),
        Column(
            "resident_id",
            "str",
            True,
            "Pseudonymous resident identifier; one resident may have several trajectories.",
            "Pseudoniem kenmerk van de inwoner; een inwoner kan meerdere trajecten hebben.",
            example="R0001",
            identifier=True,
        ),
        _enum(
            "arm",
            ARM,
            ARM_LABELS_NL,
            ARM_LABELS_EN,
            ARM_ALIASES,
            True,
            "Way of working: demand_driven (vraaggestuurd, e.g. Wat telt) or supply_driven (aanbodgestuurd).",
            "Werkwijze: demand_driven (vraaggestuurd, bv. Wat telt) of supply_driven (aanbodgestuurd).",
        ),
        _enum(
            "period",
            PERIOD,
            PERIOD_LABELS_NL,
            PERIOD_LABELS_EN,
            PERIOD_ALIASES,
            False,
            "Before or after the switch (for before/after designs). Optional.",
            "Voor of na de omslag (bij voor/na-onderzoek). Optioneel.",
        ),
        Column(
            "municipality",
            "str",
            True,
            "CBS municipality code, GM followed by four digits.",
            "CBS-gemeentecode: GM gevolgd door vier cijfers.",
            pattern=r"GM\d{4}",
            example="GM0772",
        ),
        Column(
            "team",
            "str",
            False,
            "Team (neighbourhood team or provider); the cluster for the statistics. Optional.",
            "Team (wijkteam of aanbieder); het cluster in de statistiek. Optioneel.",
            example="team_a",
        ),
        Column(
            "start_date",
            "date",
            True,
            "Start of the trajectory (first contact or registration).",
            "Startdatum van het traject (eerste contact of aanmelding).",
            example="2025-03-14",
        ),
        Column(
            "end_date",
            "date",
            False,
            "End of the trajectory; empty while it is still running.",
            "Einddatum van het traject; leeg als het nog loopt.",
            example="2025-11-30",
        ),
        _enum(
            "end_reason",
            END_REASON,
            END_REASON_LABELS_NL,
            END_REASON_LABELS_EN,
            END_REASON_ALIASES,
            False,
            "Why the trajectory ended.",
            "Reden van beëindiging.",
        ),
        Column(
            "birth_year",
            "int",
            True,
            "Year of birth of the resident (no full birth dates).",
            "Geboortejaar van de inwoner (geen volledige geboortedatum).",
            min=1900,
            max=2030,
            example="1948",
        ),
        _enum(
            "sex",
            SEX,
            SEX_LABELS_NL,
            SEX_LABELS_EN,
            SEX_ALIASES,
            True,
            "Sex of the resident.",
            "Geslacht van de inwoner.",
        ),
        _enum(
            "household",
            HOUSEHOLD,
            HOUSEHOLD_LABELS_NL,
            HOUSEHOLD_LABELS_EN,
            HOUSEHOLD_ALIASES,
            True,
            "Household type at the start.",
            "Huishoudtype bij de start.",
        ),
    ),
)

CONTACTS = Table(
    name="contacts",
    required=True,
    description_en="One row per conversation or contact with the resident.",
    description_nl="Eén rij per gesprek of contact met de inwoner.",
    columns=(
        Column(
            "contact_id", "str", True, _ID_EN, _ID_NL, unique=True, example="C0001", identifier=True
        ),
        Column(
            "trajectory_id",
            "str",
            True,
            _TRAJ_REF_EN,
            _TRAJ_REF_NL,
            references="trajectories.trajectory_id",
            example="T0001",
            identifier=True,
        ),
        Column(
            "date",
            "date",
            True,
            "Date of the contact.",
            "Datum van het contact.",
            example="2025-03-14",
        ),
        Column(
            "organisation",
            "str",
            True,
            "Organisation the professional works for.",
            "Organisatie van de professional.",
            example="wijkteam_noord",
        ),
        Column(
            "professional_id",
            "str",
            False,
            "Pseudonymous professional identifier. Optional.",
            "Pseudoniem kenmerk van de professional. Optioneel.",
            example="P01",
            identifier=True,
        ),
        _enum(
            "role",
            ROLE,
            ROLE_LABELS_NL,
            ROLE_LABELS_EN,
            ROLE_ALIASES,
            True,
            "Role of the professional.",
            "Rol van de professional.",
            example="generalist",
        ),
        _enum(
            "contact_type",
            CONTACT_TYPE,
            CONTACT_TYPE_LABELS_NL,
            CONTACT_TYPE_LABELS_EN,
            CONTACT_TYPE_ALIASES,
            True,
            "Kind of contact.",
            "Soort contact.",
        ),
        Column(
            "story_told",
            "bool",
            False,
            "Did the resident have to tell their story (again) in this contact? Empty = unknown (then inferred).",
            "Moest de inwoner in dit contact (opnieuw) het verhaal doen? Leeg = onbekend (wordt dan afgeleid).",
            example="ja",
        ),
        Column(
            "plan_available",
            "bool",
            False,
            "Did the professional have the shared plan before the contact?",
            "Had de professional het gedeelde plan vóór het contact?",
            example="nee",
        ),
    ),
)

GOALS = Table(
    name="goals",
    required=True,
    description_en="One row per goal in one version of the plan. A goal carried to a later stage gets a new row whose derived_from points to the earlier goal.",
    description_nl="Eén rij per doel in één versie van het plan. Een doel dat naar een latere fase meegaat krijgt een nieuwe rij met derived_from naar het eerdere doel.",
    columns=(
        Column(
            "goal_id", "str", True, _ID_EN, _ID_NL, unique=True, example="G0001", identifier=True
        ),
        Column(
            "trajectory_id",
            "str",
            True,
            _TRAJ_REF_EN,
            _TRAJ_REF_NL,
            references="trajectories.trajectory_id",
            example="T0001",
            identifier=True,
        ),
        _enum(
            "stage",
            STAGE,
            STAGE_LABELS_NL,
            STAGE_LABELS_EN,
            STAGE_ALIASES,
            True,
            "Plan version: intake < plan < specialist_plan < review < final.",
            "Versie van het plan: intake < plan < specialist_plan < review < final.",
        ),
        Column(
            "date",
            "date",
            False,
            "Date of this plan version.",
            "Datum van deze versie van het plan.",
            example="2025-03-14",
        ),
        _enum(
            "author",
            AUTHOR,
            AUTHOR_LABELS_NL,
            AUTHOR_LABELS_EN,
            AUTHOR_ALIASES,
            True,
            "Who formulated the goal.",
            "Wie formuleerde het doel.",
        ),
        Column(
            "domain",
            "str",
            False,
            "Domain code of the study's instrument. Optional.",
            "Code van het leefgebied in het instrument van de studie. Optioneel.",
            example="finances",
        ),
        Column(
            "text",
            "str",
            False,
            "Goal text (free text; never published, dropped by pseudonymise unless kept).",
            "Tekst van het doel (vrije tekst; wordt nooit gepubliceerd, pseudonymise verwijdert hem tenzij bewaard).",
            free_text=True,
            example="Weer zelf boodschappen doen",
        ),
        Column(
            "derived_from",
            "str",
            False,
            "goal_id of the earlier goal this goal continues or rewords; empty = a new goal.",
            "goal_id van het eerdere doel dat dit doel voortzet of herformuleert; leeg = nieuw doel.",
            references="goals.goal_id",
            example="",
            identifier=True,
        ),
        _enum(
            "status",
            STATUS,
            STATUS_LABELS_NL,
            STATUS_LABELS_EN,
            STATUS_ALIASES,
            True,
            "Status of the goal in this plan version.",
            "Status van het doel in deze versie van het plan.",
        ),
        Column(
            "attainment",
            "int",
            False,
            "Goal Attainment Scaling score, -2 to +2. Optional.",
            "Goal Attainment Scaling-score, -2 tot +2. Optioneel.",
            min=-2,
            max=2,
            example="0",
        ),
        _enum(
            "derived_from_source",
            LINK_SOURCE,
            LINK_SOURCE_LABELS_NL,
            LINK_SOURCE_LABELS_EN,
            LINK_SOURCE_ALIASES,
            False,
            "Where derived_from comes from: recorded, or inferred from the goal texts (wattelt-eval lineage). Optional; empty = recorded when derived_from is filled.",
            "Herkomst van derived_from: vastgelegd (recorded) of afgeleid uit de doelteksten (inferred, wattelt-eval lineage). Optioneel; leeg = vastgelegd als derived_from gevuld is.",
        ),
    ),
)

#: Highest measurement number: a board scored monthly for 80 years stays below it, and a
#: year or a date typed into the column does not (the outcome tables store it as int16).
MEASUREMENT_MAX = 999

DOMAIN_SCORES = Table(
    name="domain_scores",
    required=False,
    description_en="One row per domain score, per rater, per measurement (e.g. the Wat telt board).",
    description_nl="Eén rij per score op een leefgebied, per beoordelaar, per meting (bv. het Wat telt-bord).",
    unique_together=("trajectory_id", "measurement", "domain", "rater"),
    columns=(
        Column(
            "trajectory_id",
            "str",
            True,
            _TRAJ_REF_EN,
            _TRAJ_REF_NL,
            references="trajectories.trajectory_id",
            example="T0001",
            identifier=True,
        ),
        Column(
            "measurement",
            "int",
            True,
            "Measurement number: 0 = intake, then 1, 2, ...",
            "Nummer van de meting: 0 = intake, dan 1, 2, ...",
            min=0,
            max=MEASUREMENT_MAX,
            example="0",
        ),
        Column(
            "date",
            "date",
            False,
            "Date of the measurement.",
            "Datum van de meting.",
            example="2025-03-14",
        ),
        Column(
            "instrument",
            "str",
            False,
            "Instrument code (defaults to the study's instrument).",
            "Code van het instrument (standaard dat van de studie).",
            example="wat_telt",
        ),
        Column(
            "domain",
            "str",
            True,
            "Domain code of the instrument.",
            "Code van het leefgebied in het instrument.",
            example="finances",
        ),
        _enum(
            "rater",
            RATER,
            RATER_LABELS_NL,
            RATER_LABELS_EN,
            RATER_ALIASES,
            True,
            "Who gave the score.",
            "Wie gaf de score.",
        ),
        Column(
            "score",
            "float",
            True,
            "Score on the instrument's scale.",
            "Score op de schaal van het instrument.",
            example="6",
        ),
    ),
)

PROVISIONS = Table(
    name="provisions",
    required=False,
    description_en="One row per allocated individual provision or cost item. Give either amount, or volume and unit_price.",
    description_nl="Eén rij per toegekende maatwerkvoorziening of kostenpost. Vul amount in, of volume en unit_price.",
    columns=(
        Column(
            "provision_id",
            "str",
            True,
            _ID_EN,
            _ID_NL,
            unique=True,
            example="V0001",
            identifier=True,
        ),
        Column(
            "trajectory_id",
            "str",
            True,
            _TRAJ_REF_EN,
            _TRAJ_REF_NL,
            references="trajectories.trajectory_id",
            example="T0001",
            identifier=True,
        ),
        Column(
            "category",
            "enum",
            True,
            "iWmo product category 01-18 (code list WMO020); 00 = general/community provision.",
            "iWmo-productcategorie 01-18 (codelijst WMO020); 00 = algemene/voorliggende voorziening.",
            enum=tuple(IWMO_CATEGORIES),
            labels_nl=IWMO_CATEGORIES,
            labels_en=IWMO_CATEGORIES_EN,
            aliases={str(int(k)): k for k in IWMO_CATEGORIES},
            example="02",
        ),
        Column(
            "product_code",
            "str",
            False,
            "iWmo product code. Optional.",
            "iWmo-productcode. Optioneel.",
            example="02A02",
        ),
        Column(
            "start_date",
            "date",
            True,
            "First day of the provision.",
            "Eerste dag van de voorziening.",
            example="2025-04-01",
        ),
        Column(
            "end_date",
            "date",
            False,
            "Last day (inclusive); empty = open-ended.",
            "Laatste dag (inclusief); leeg = open einde.",
            example="2025-12-31",
        ),
        Column(
            "volume",
            "float",
            False,
            "Volume in the unit, per the frequency.",
            "Omvang in de eenheid, per de frequentie.",
            min=0,
            example="3",
        ),
        _enum(
            "unit",
            UNIT,
            UNIT_LABELS_NL,
            UNIT_LABELS_EN,
            UNIT_ALIASES,
            False,
            "Unit of the volume.",
            "Eenheid van de omvang.",
            example="hour",
        ),
        _enum(
            "frequency",
            FREQUENCY,
            FREQUENCY_LABELS_NL,
            FREQUENCY_LABELS_EN,
            FREQUENCY_ALIASES,
            False,
            "total (volume for the whole period), per_week or per_month, as in an iWmo allocation. Default total.",
            "total (omvang voor de hele periode), per_week of per_month, zoals in een iWmo-toewijzing. Standaard total.",
            example="per_week",
        ),
        Column(
            "unit_price",
            "float",
            False,
            "Price in euros per unit.",
            "Prijs in euro per eenheid.",
            min=0,
            example="65.50",
        ),
        Column(
            "amount",
            "float",
            False,
            "Total amount in euros for the whole provision (instead of volume x price).",
            "Totaalbedrag in euro voor de hele voorziening (in plaats van volume x prijs).",
            min=0,
            example="",
        ),
    ),
)

STAFF_TIME = Table(
    name="staff_time",
    required=False,
    description_en="Registered professional time per trajectory (optional table).",
    description_nl="Geregistreerde tijd van professionals per traject (optionele tabel).",
    columns=(
        Column(
            "trajectory_id",
            "str",
            True,
            _TRAJ_REF_EN,
            _TRAJ_REF_NL,
            references="trajectories.trajectory_id",
            example="T0001",
            identifier=True,
        ),
        Column(
            "date", "date", True, "Date of the work.", "Datum van het werk.", example="2025-03-14"
        ),
        _enum(
            "role",
            ROLE,
            ROLE_LABELS_NL,
            ROLE_LABELS_EN,
            ROLE_ALIASES,
            True,
            "Role of the professional.",
            "Rol van de professional.",
            example="generalist",
        ),
        Column("minutes", "float", True, "Minutes spent.", "Bestede minuten.", min=0, example="60"),
    ),
)

#: All tables, in the order of the data model.
TABLES: dict[str, Table] = {
    t.name: t for t in (TRAJECTORIES, CONTACTS, GOALS, DOMAIN_SCORES, PROVISIONS, STAFF_TIME)
}

#: id column of each table that has one.
ID_COLUMNS: dict[str, str] = {
    "trajectories": "trajectory_id",
    "contacts": "contact_id",
    "goals": "goal_id",
    "provisions": "provision_id",
}

_TRAJ_NL = ("traject_id", "trajectnummer", "traject")

#: Accepted column names besides the English one, per table and column (Dutch names of a
#: Wmo-system export). Matched after normalising (lower case, ``_`` for spaces and hyphens);
#: each name belongs to one column of its table. study.toml ``[mapping.columns]`` adds a
#: municipality's own names (``docs/data_model.md``, "Your own column names and codes").
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "trajectories": {
        "trajectory_id": _TRAJ_NL,
        "resident_id": ("inwoner_id", "inwonernummer", "client_id", "cliënt_id", "clientnummer"),
        "arm": ("werkwijze",),
        "period": ("periode",),
        "municipality": ("gemeente", "gemeentecode"),
        "start_date": ("startdatum", "begindatum", "datum_start"),
        "end_date": ("einddatum", "datum_einde"),
        "end_reason": ("reden_einde", "einde_reden", "reden_beëindiging"),
        "birth_year": ("geboortejaar",),
        "sex": ("geslacht",),
        "household": ("huishouden", "leefvorm", "samenstelling_huishouden"),
    },
    "contacts": {
        "contact_id": ("contactnummer",),
        "trajectory_id": _TRAJ_NL,
        "date": ("datum", "contactdatum"),
        "organisation": ("organisatie",),
        "professional_id": ("medewerker_id", "medewerkernummer"),
        "role": ("rol", "functie"),
        "contact_type": ("soort_contact", "contactsoort", "type_contact"),
        "story_told": ("verhaal_verteld",),
        "plan_available": ("plan_beschikbaar", "plan_aanwezig"),
    },
    "goals": {
        "goal_id": ("doel_id", "doelnummer"),
        "trajectory_id": _TRAJ_NL,
        "stage": ("fase",),
        "date": ("datum",),
        "author": ("auteur", "opgesteld_door"),
        "domain": ("domein", "leefgebied"),
        "text": ("tekst", "omschrijving", "doelomschrijving"),
        "derived_from": ("afgeleid_van",),
        "attainment": ("doelbereik", "gas_score"),
    },
    "domain_scores": {
        "trajectory_id": _TRAJ_NL,
        "measurement": ("meting", "meetmoment"),
        "date": ("datum",),
        "domain": ("domein", "leefgebied"),
        "rater": ("beoordelaar", "invuller"),
    },
    "provisions": {
        "provision_id": ("voorziening_id", "toewijzingnummer"),
        "trajectory_id": _TRAJ_NL,
        "category": ("categorie", "productcategorie"),
        "product_code": ("productcode",),
        "start_date": ("startdatum", "begindatum", "ingangsdatum"),
        "end_date": ("einddatum",),
        "volume": ("omvang",),
        "unit": ("eenheid",),
        "frequency": ("frequentie",),
        "unit_price": ("prijs", "tarief", "eenheidsprijs"),
        "amount": ("bedrag",),
    },
    "staff_time": {
        "trajectory_id": _TRAJ_NL,
        "date": ("datum",),
        "role": ("rol", "functie"),
        "minutes": ("minuten",),
    },
}


def column_aliases(table: str) -> dict[str, str]:
    """Accepted alias (normalised) -> English column name, for one table."""
    return {a: col for col, names in COLUMN_ALIASES.get(table, {}).items() for a in names}


# --------------------------------------------------------------------------------------
# study.toml
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyField:
    """One setting of ``study.toml`` (dotted key): the single definition of its type,
    default and description. :class:`wattelt_eval.data.StudySettings` takes its defaults
    and parsing from these, the templates and the data dictionary their text."""

    key: str
    type: str
    default: object
    description_en: str
    description_nl: str

    @property
    def section(self) -> str:
        """The TOML table the setting is in (``study``, ``plausibility``, ``rates`` or ``disclosure``)."""
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The setting's name inside its table (``cost_window_days``)."""
        return self.key.split(".", 1)[1]


STUDY_FIELDS: tuple[StudyField, ...] = (
    StudyField("study.name", "str", "", "Name of the study.", "Naam van de studie."),
    StudyField(
        "study.instrument",
        "str",
        "wat_telt",
        "Instrument code (huizen5, zrm, positieve_gezondheid, wat_telt) or a path to an instrument TOML file, relative to the package folder.",
        "Code van het instrument (huizen5, zrm, positieve_gezondheid, wat_telt) of een pad naar een eigen instrumentbestand (TOML), relatief aan de map.",
    ),
    StudyField(
        "study.cost_window_days",
        "int",
        365,
        "Cost window in days from start_date.",
        "Kostenvenster in dagen vanaf start_date.",
    ),
    StudyField(
        "study.price_year",
        "int",
        None,
        "Price level year of all amounts.",
        "Prijspeiljaar van alle bedragen.",
    ),
    StudyField(
        "study.problem_threshold",
        "float",
        None,
        "Override of the instrument's problem threshold (score at or below = problem).",
        "Afwijkende probleemgrens (score op of onder de grens = probleem).",
    ),
    StudyField(
        "study.language",
        "str",
        "nl",
        "Report language: nl or en.",
        "Taal van het rapport: nl of en.",
    ),
    StudyField(
        "study.extra_covariates",
        "list[str]",
        [],
        "Extra case-mix columns present in trajectories.csv.",
        "Extra case-mix-kolommen in trajectories.csv.",
    ),
    StudyField(
        "study.seed",
        "int",
        20250101,
        "Seed for bootstrap and other random steps.",
        "Seed voor bootstrap en andere toevalsstappen.",
    ),
    StudyField(
        "study.number_locale",
        "str",
        None,
        "How numbers typed as text are written: nl (1.250,50) or en (1,250.50). Only needed when a column holds nothing but ambiguous values such as 1.250; empty = decided per column, else an error on the cell.",
        "Hoe getallen als tekst geschreven zijn: nl (1.250,50) of en (1,250.50). Alleen nodig als een kolom alleen dubbelzinnige waarden als 1.250 bevat; leeg = per kolom bepaald, anders een fout op de cel.",
    ),
    StudyField(
        "study.extract_date",
        "date",
        None,
        "Date the data were extracted (YYYY-MM-DD): the reference for follow-up; records dated after it are excluded. Empty = inferred from the record dates (not from one outlier) and reported.",
        "Peildatum van de gegevensuitdraai (JJJJ-MM-DD): het ijkpunt voor de follow-up; records met een latere datum worden uitgesloten. Leeg = afgeleid uit de datums (niet uit één uitschieter) en gemeld.",
    ),
    StudyField(
        "study.period_start",
        "date",
        None,
        "First day of the study period (YYYY-MM-DD); earlier record dates get a warning.",
        "Eerste dag van de onderzoeksperiode (JJJJ-MM-DD); eerdere datums geven een waarschuwing.",
    ),
    StudyField(
        "study.period_end",
        "date",
        None,
        "Last day of the study period (YYYY-MM-DD); later record dates get a warning.",
        "Laatste dag van de onderzoeksperiode (JJJJ-MM-DD); latere datums geven een waarschuwing.",
    ),
    StudyField(
        "plausibility.min_age",
        "int",
        0,
        "Youngest plausible age at the start (start year - birth year); younger gives a warning (a birth year after the start is an error).",
        "Jongste aannemelijke leeftijd bij de start (startjaar - geboortejaar); jonger geeft een waarschuwing (een geboortejaar na de start is een fout).",
    ),
    StudyField(
        "plausibility.max_age",
        "int",
        110,
        "Oldest plausible age at the start; older gives a warning.",
        "Hoogste aannemelijke leeftijd bij de start; ouder geeft een waarschuwing.",
    ),
    StudyField(
        "plausibility.max_hours_per_week",
        "float",
        168.0,
        "Most hours per week a provision can plausibly deliver (volume in minutes, hours, day parts or days, per week, per month or in total); more gives a warning.",
        "Hoogste aannemelijke aantal uren per week van een voorziening (omvang in minuten, uren, dagdelen of dagen, per week, per maand of totaal); meer geeft een waarschuwing.",
    ),
    StudyField(
        "rates.service_desk",
        "float",
        75.0,
        "Hourly rate (euros) of a service desk employee, for staff_time.",
        "Uurtarief (euro) loketmedewerker, voor staff_time.",
    ),
    StudyField(
        "rates.generalist",
        "float",
        80.0,
        "Hourly rate (euros) of a generalist.",
        "Uurtarief (euro) generalist.",
    ),
    StudyField(
        "rates.specialist",
        "float",
        95.0,
        "Hourly rate (euros) of a specialist.",
        "Uurtarief (euro) specialist.",
    ),
    StudyField(
        "rates.consultant",
        "float",
        85.0,
        "Hourly rate (euros) of a Wmo consultant.",
        "Uurtarief (euro) Wmo-consulent.",
    ),
    StudyField(
        "rates.other",
        "float",
        75.0,
        "Hourly rate (euros) of another role.",
        "Uurtarief (euro) andere rol.",
    ),
    StudyField(
        "disclosure.rule",
        "str",
        "min10",
        "Small-cell rule: min10 or cbs.",
        "Regel voor kleine aantallen: min10 of cbs.",
    ),
    StudyField(
        "disclosure.threshold",
        "int",
        10,
        "Smallest count that may be shown (min10 rule).",
        "Kleinste aantal dat getoond mag worden (regel min10).",
    ),
)


def coerce_table(name: str, df: pd.DataFrame, keep_extra: bool = True) -> pd.DataFrame:
    """Return ``df`` in the canonical form of table ``name``.

    Adds absent schema columns (all missing), casts every schema column to its
    canonical dtype, puts schema columns first (extras after, if ``keep_extra``)
    and names the index ``row``. Values must already be parseable (this is not
    validation: see :mod:`wattelt_eval.validation`).
    """
    table = TABLES[name]
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        if col.name in df.columns:
            s = df[col.name]
        else:
            s = pd.Series(pd.NA, index=df.index, dtype="object")
        if col.type == "date":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif col.type in ("str", "enum"):
            s = s.astype("string")
        elif col.type == "int":
            s = s.astype("Float64").astype("Int64") if s.dtype == object else s.astype("Int64")
        elif col.type == "float":
            # via Float64 so that object columns holding pd.NA (absent columns) cast cleanly
            s = s.astype("Float64").astype("float64") if s.dtype == object else s.astype("float64")
        elif col.type == "bool":
            s = s.astype("boolean")
        out[col.name] = s
    if keep_extra:
        for c in df.columns:
            if c not in out.columns:
                out[c] = df[c]
    out.index.name = "row"
    return out
