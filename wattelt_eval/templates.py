"""Blank data templates and the bilingual data dictionary, generated from :mod:`wattelt_eval.schema`.

``wattelt-eval template --out DIR`` (or :func:`write_templates`) writes::

    DIR/csv/<table>.csv          one blank CSV per table (header only)
    DIR/csv/study.toml           the study settings with their defaults, commented nl/en
    DIR/pilot_template.xlsx      one sheet per table, an explanation sheet ('uitleg'),
                                 a sheet with the allowed values ('lijsten'), a 'study' sheet;
                                 drop-down lists on every enum (and yes/no) column
    DIR/data_dictionary.md       every table, column, allowed value and setting, Dutch and English

Everything comes from the schema (tables, columns, enums, labels, aliases,
``STUDY_FIELDS``) and the built-in instruments, so the committed
``data_templates/`` folder cannot drift from the validation rules without a
test noticing (``tests/test_templates.py``).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from .instruments import BUILTIN, load_instrument
from .schema import BOOL_FALSE, BOOL_TRUE, COLUMN_ALIASES, STUDY_FIELDS, TABLES, Column, Table

#: Name of the workbook written by :func:`write_templates`.
WORKBOOK_NAME = "pilot_template.xlsx"
#: Sheet names of the workbook that hold no table (the reader skips them).
EXPLANATION_SHEET = "uitleg"
LISTS_SHEET = "lijsten"
STUDY_SHEET = "study"
#: Rows 2..MAX_ROW of a table sheet get drop-down lists and cell formats.
MAX_ROW = 20000
#: Fixed document time so the workbook's properties do not change from run to run.
_FIXED_TIME = _dt.datetime(2025, 1, 1)

_TYPE_LABELS = {
    "str": ("tekst", "text"),
    "enum": ("code uit lijst", "code from list"),
    "date": ("datum", "date"),
    "int": ("geheel getal", "whole number"),
    "float": ("getal", "number"),
    "bool": ("ja/nee", "yes/no"),
}
_BOOL_LIST = ("ja", "nee")


# ======================================================================================
# CSV and study.toml
# ======================================================================================


def csv_template(table: str) -> str:
    """Blank CSV for ``table``: the header line only (UTF-8, ``,`` separated)."""
    return ",".join(TABLES[table].column_names) + "\n"


def _toml_default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return repr(value)


def study_toml_template() -> str:
    """``study.toml`` with every setting, its default and a Dutch and English comment.

    Settings without a default (``price_year``, ``problem_threshold``) are
    written commented out.
    """
    lines = [
        "# Studie-instellingen / study settings (wattelt_eval).",
        "# Regels met # zijn uitleg; haal # weg om een instelling te gebruiken.",
        "# Lines starting with # are comments; remove # to use a setting.",
    ]
    section = None
    for f in STUDY_FIELDS:
        sec, key = f.key.split(".", 1)
        if sec != section:
            lines += ["", f"[{sec}]"]
            section = sec
        lines.append(f"# {f.description_nl}")
        lines.append(f"# {f.description_en}")
        if f.default is None:
            example = {
                "study.price_year": "2025",
                "study.problem_threshold": "5",
                "study.number_locale": '"nl"',
                "study.extract_date": "2025-12-31",
                "study.period_start": "2025-01-01",
                "study.period_end": "2025-12-31",
            }.get(f.key, "")
            lines.append(f"# {key} = {example}")
        else:
            value = f.default
            if f.key == "study.name":
                value = "Mijn pilot"
            lines.append(f"{key} = {_toml_default(value)}")
    lines += ["", *MAPPING_EXAMPLE_TOML.splitlines()]
    return "\n".join(lines) + "\n"


# ======================================================================================
# Data dictionary (Markdown, Dutch and English)
# ======================================================================================


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _allowed(col: Column) -> str:
    if col.type == "enum":
        if len(col.enum) > 8:
            return f"{col.enum[0]} … {col.enum[-1]} (zie/see §{col.name})"
        return ", ".join(f"`{c}`" for c in col.enum)
    if col.type == "bool":
        return "ja/nee, true/false, 1/0"
    if col.type == "date":
        return "2025-03-14, 14-03-2025"
    parts = []
    if col.min is not None:
        parts.append(f"≥ {_num(col.min)}")
    if col.max is not None:
        parts.append(f"≤ {_num(col.max)}")
    if col.pattern:
        parts.append(f"`{col.pattern}`")
    if col.references:
        parts.append(f"→ {col.references}")
    if col.unique:
        parts.append("uniek/unique")
    return ", ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _enum_columns() -> list[tuple[Table, Column]]:
    """Enum columns, each distinct list once (first table that uses it)."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for t in TABLES.values():
        for c in t.columns:
            if c.type == "enum" and c.enum not in seen:
                seen.add(c.enum)
                out.append((t, c))
    return out


#: The commented ``[mapping]`` example of the study.toml template and the data dictionary.
MAPPING_EXAMPLE_TOML = """\
# Eigen kolomnamen en codes (optioneel) / your own column names and codes (optional).
# Uw naam = onze naam; voor alle tabellen of per tabel. Your name = our name; all tables or one.
# [mapping.columns]
# Clientnummer = "resident_id"
# [mapping.columns.provisions]
# "Code eenheid" = "unit"
# [mapping.values.provisions.unit]
# UUR = "hour"
# [mapping.values.role]
# WMC = "consultant"
"""


def _mapping_section() -> list[str]:
    """Data dictionary section on study.toml ``[mapping]`` and the iWmo codes."""
    return [
        "",
        "## Eigen kolomnamen en codes / own column names and codes (`[mapping]`)",
        "",
        "Heet een kolom in uw export anders, of gebruikt uw systeem eigen codes? Zet dan in "
        "`study.toml` een sectie `[mapping]`: uw naam = onze naam. De iWmo-codes (release 3.2) "
        "voor eenheid (WJ756: `01` minuut, `04` uur, `14` etmaal, `16` dagdeel, `82`/`84` stuks, "
        "`83` euro) en frequentie (WMO757: `1` per dag, `2` per week, `4` per maand, `6` totaal) "
        "worden altijd geaccepteerd.",
        "",
        "Does your export name a column differently, or does your system use its own codes? Add a "
        "`[mapping]` section to `study.toml`: your name = our name. The iWmo codes (release 3.2) for "
        "unit (WJ756) and frequency (WMO757) above are always accepted.",
        "",
        "```toml",
        *(line.removeprefix("# ") for line in MAPPING_EXAMPLE_TOML.splitlines()[2:]),
        "```",
    ]


def data_dictionary() -> str:
    """The bilingual data dictionary as Markdown (generated; do not edit by hand)."""
    L: list[str] = [
        "# Datawoordenboek / Data dictionary",
        "",
        "<!-- Generated by `wattelt-eval template` from wattelt_eval/schema.py; do not edit by hand. -->",
        "",
        "Een *pilotdatapakket* is een map met `study.toml` en één CSV-bestand per tabel, of één "
        "Excel-werkmap (`.xlsx`) met één werkblad per tabel en een werkblad `study`. Kolomnamen zijn "
        "Engels; codes zijn Engels, de Nederlandse woorden in de lijsten hieronder worden ook "
        "geaccepteerd, net als de Nederlandse kolomnamen in de laatste kolom (bv. `geboortejaar`). "
        "Controleer het pakket met `wattelt-eval validate MAP`.",
        "",
        "A *pilot data package* is a folder holding `study.toml` and one CSV file per table, or one "
        "Excel workbook (`.xlsx`) with one sheet per table and a `study` sheet. Column names are "
        "English; codes are English, and the Dutch words in the lists below are accepted as well, "
        "as are the Dutch column names in the last column (e.g. `geboortejaar`). "
        "Check a package with `wattelt-eval validate FOLDER`.",
        "",
        "Ook geaccepteerd / also accepted: `;` als scheidingsteken met decimale komma, UTF-8 (met of "
        "zonder BOM), cp1252, datums als `14-03-2025`, Nederlandse bestands- en werkbladnamen "
        "(`trajecten`, `contacten`, `doelen`, `scores`, `voorzieningen`, `tijdsbesteding`).",
        "",
        "## Tabellen / tables",
        "",
        "| tabel / table | verplicht / required | één rij per … | one row per … |",
        "| --- | --- | --- | --- |",
    ]
    for t in TABLES.values():
        L.append(
            f"| `{t.name}` | {'ja / yes' if t.required else 'nee / no'} | "
            f"{_md_escape(t.description_nl)} | {_md_escape(t.description_en)} |"
        )
    for t in TABLES.values():
        L += [
            "",
            f"## `{t.name}`",
            "",
            f"{t.description_nl}",
            "",
            f"*{t.description_en}*",
            "",
        ]
        if t.unique_together:
            key = ", ".join(t.unique_together)
            L += [f"Uniek per / unique per: {key}.", ""]
        L += [
            "| kolom / column | type | verplicht / required | omschrijving | description | "
            "toegestaan / allowed | voorbeeld / example | ook als kolomnaam / also as name |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in t.columns:
            tnl, ten = _TYPE_LABELS[c.type]
            names = COLUMN_ALIASES.get(t.name, {}).get(c.name, ())
            L.append(
                f"| `{c.name}` | {tnl} / {ten} | {'ja / yes' if c.required else 'nee / no'} | "
                f"{_md_escape(c.description_nl)} | {_md_escape(c.description_en)} | "
                f"{_md_escape(_allowed(c))} | {('`' + c.example + '`') if c.example else ''} | "
                f"{', '.join('`' + _md_escape(a) + '`' for a in names)} |"
            )
    L += ["", "## Codelijsten / code lists", ""]
    for _, c in _enum_columns():
        users = [
            f"{tt.name}.{cc.name}"
            for tt in TABLES.values()
            for cc in tt.columns
            if cc.type == "enum" and cc.enum == c.enum
        ]
        L += [
            f"### §{c.name}",
            "",
            "Gebruikt in / used in: " + ", ".join(f"`{u}`" for u in users),
            "",
            "| code | Nederlands | English | ook geaccepteerd / also accepted |",
            "| --- | --- | --- | --- |",
        ]
        for code in c.enum:
            aliases = sorted(a for a, v in c.aliases.items() if v == code and a != code)
            L.append(
                f"| `{code}` | {_md_escape(c.labels_nl.get(code, code))} | "
                f"{_md_escape(c.labels_en.get(code, code))} | "
                f"{', '.join('`' + _md_escape(a) + '`' for a in aliases)} |"
            )
        L.append("")
    L += [
        "### §ja/nee (yes/no)",
        "",
        "| waarde / value | geaccepteerd / accepted |",
        "| --- | --- |",
        f"| ja / true | {', '.join('`' + v + '`' for v in BOOL_TRUE)} |",
        f"| nee / false | {', '.join('`' + v + '`' for v in BOOL_FALSE)} |",
        "",
        "## `study.toml`",
        "",
        "In een werkmap staan deze instellingen op het werkblad `study` (kolommen `key`, `value`). "
        "In a workbook these settings are on the `study` sheet (columns `key`, `value`).",
        "",
        "| instelling / setting | type | standaard / default | omschrijving | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in STUDY_FIELDS:
        default = "" if f.default is None else _toml_default(f.default)
        L.append(
            f"| `{f.key}` | {f.type} | {('`' + default + '`') if default else '—'} | "
            f"{_md_escape(f.description_nl)} | {_md_escape(f.description_en)} |"
        )
    L += _mapping_section()
    L += [
        "",
        "## Instrumenten / instruments",
        "",
        "Kies met `study.instrument` een ingebouwd instrument of een eigen TOML-bestand (zie "
        "`docs/data_model.md`). Choose a built-in instrument with `study.instrument`, or your own "
        "TOML file (see `docs/data_model.md`).",
        "",
    ]
    for code in BUILTIN:
        ins = load_instrument(code)
        L += [
            f"### `{code}` — {ins.name_nl} / {ins.name_en}",
            "",
            f"Schaal / scale {_num(ins.scale_min)}–{_num(ins.scale_max)}; probleem / problem: score ≤ "
            f"{_num(ins.problem_threshold)}"
            + ("; indicatief / indicative" if ins.indicative else "")
            + ".",
            "",
        ]
        if ins.note_nl or ins.note_en:
            L += [f"{ins.note_nl} *{ins.note_en}*".strip(), ""]
        L += ["| domain | Nederlands | English |", "| --- | --- | --- |"]
        L += [
            f"| `{d.code}` | {_md_escape(d.label_nl)} | {_md_escape(d.label_en)} |"
            for d in ins.domains
        ]
        L.append("")
    return "\n".join(L).rstrip() + "\n"


# ======================================================================================
# Excel workbook
# ======================================================================================


def _list_columns() -> list[tuple[str, tuple[str, ...]]]:
    """(list name, values) for the 'lijsten' sheet: every distinct enum list, then yes/no."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for _, c in _enum_columns():
        out.append((c.name, c.enum))
    out.append(("ja_nee", _BOOL_LIST))
    return out


def _explanation_rows() -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (
            "Invulsjabloon pilotdatapakket (wattelt_eval)",
            "Template for a pilot data package (wattelt_eval)",
        ),
        ("", ""),
        (
            "1. Vul per werkblad één rij per record in; laat de kopregel (rij 1) staan.",
            "1. Fill in one row per record on each sheet; keep the header (row 1).",
        ),
        (
            "2. Codes kiest u uit de keuzelijst; Nederlandse woorden uit het datawoordenboek mogen ook.",
            "2. Pick codes from the drop-down list; the Dutch words of the data dictionary are accepted too.",
        ),
        (
            "3. Datums als 2025-03-14 of 14-03-2025; bedragen in euro; ja/nee-kolommen: ja of nee.",
            "3. Dates like 2025-03-14 or 14-03-2025; amounts in euros; yes/no columns: ja or nee.",
        ),
        (
            "4. Vul het werkblad 'study' in (instrument, prijspeiljaar, ...).",
            "4. Fill in the 'study' sheet (instrument, price year, ...).",
        ),
        (
            "5. Controleer: wattelt-eval validate pilot.xlsx  (Engels: --lang en).",
            "5. Check: wattelt-eval validate pilot.xlsx  (English: --lang en).",
        ),
        (
            "6. Nooit een BSN, naam, adres of geboortedatum invullen: gebruik pseudoniemen.",
            "6. Never enter a BSN, name, address or birth date: use pseudonyms.",
        ),
        (
            "Werkbladen 'uitleg' en 'lijsten' worden bij het inlezen overgeslagen.",
            "The sheets 'uitleg' and 'lijsten' are skipped when the workbook is read.",
        ),
        ("", ""),
        (
            "tabel / table",
            "kolom / column",
            "type",
            "verplicht / required",
            "omschrijving",
            "description",
            "toegestaan / allowed",
            "voorbeeld / example",
        ),
    ]
    for t in TABLES.values():
        rows.append(
            (
                t.name,
                "",
                "",
                "ja / yes" if t.required else "nee / no",
                t.description_nl,
                t.description_en,
                "",
                "",
            )
        )
        for c in t.columns:
            tnl, ten = _TYPE_LABELS[c.type]
            allowed = ", ".join(c.enum) if c.type == "enum" else _allowed(c)
            rows.append(
                (
                    t.name,
                    c.name,
                    f"{tnl} / {ten}",
                    "ja / yes" if c.required else "nee / no",
                    c.description_nl,
                    c.description_en,
                    allowed,
                    c.example,
                )
            )
    return rows


def build_workbook() -> Any:
    """The blank Excel template as an :class:`openpyxl.Workbook` (not saved)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFE699")
    optional_fill = PatternFill("solid", fgColor="DDEBF7")

    ws = wb.active
    ws.title = EXPLANATION_SHEET
    for r in _explanation_rows():
        ws.append(list(r))
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[11]:
        cell.font = bold
    for letter, width in zip("ABCDEFGH", (22, 20, 22, 16, 60, 60, 40, 20), strict=True):
        ws.column_dimensions[letter].width = width

    lists = wb.create_sheet(LISTS_SHEET)
    list_ref: dict[str, str] = {}
    for j, (name, values) in enumerate(_list_columns(), start=1):
        letter = get_column_letter(j)
        lists.cell(row=1, column=j, value=name).font = bold
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=j, value=v).number_format = "@"
        list_ref[name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        lists.column_dimensions[letter].width = max(14, len(name) + 2)
    enum_list = {c.enum: c.name for _, c in _enum_columns()}

    for t in TABLES.values():
        ws = wb.create_sheet(t.name)
        ws.freeze_panes = "A2"
        for j, c in enumerate(t.columns, start=1):
            letter = get_column_letter(j)
            cell = ws.cell(row=1, column=j, value=c.name)
            cell.font = bold
            cell.fill = required_fill if c.required else optional_fill
            req = ("verplicht", "required") if c.required else ("optioneel", "optional")
            text = f"{c.description_nl} ({req[0]})\n\n{c.description_en} ({req[1]})"
            if c.example:
                text += f"\n\nbv. / e.g. {c.example}"
            names = COLUMN_ALIASES.get(t.name, {}).get(c.name, ())
            if names:
                text += f"\n\nook als kolomnaam / also as column name: {', '.join(names)}"
            cell.comment = Comment(text, "wattelt_eval", width=320, height=160)
            ws.column_dimensions[letter].width = max(14, len(c.name) + 4)
            rng = f"{letter}2:{letter}{MAX_ROW}"
            if c.type in ("enum", "bool"):
                ref = list_ref[enum_list[c.enum]] if c.type == "enum" else list_ref["ja_nee"]
                dv = DataValidation(
                    type="list",
                    formula1=f"={ref}",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorStyle="warning",  # Dutch aliases stay possible
                    errorTitle="Onbekende code / unknown code",
                    error="Kies uit de lijst (Nederlandse woorden uit het datawoordenboek mogen ook). "
                    "Pick from the list (Dutch words from the data dictionary are accepted too).",
                    promptTitle=c.name[:32],
                    prompt=(c.description_nl[:110] + " / " + c.description_en[:110])[:255],
                    showInputMessage=True,
                )
                dv.add(rng)
                ws.add_data_validation(dv)
            # column formats (no cells are created, so the sheet stays empty):
            # text keeps codes such as 02 and ids as typed; dates show as 2025-03-14
            if c.type in ("str", "enum"):
                ws.column_dimensions[letter].number_format = "@"
            elif c.type == "date":
                ws.column_dimensions[letter].number_format = "yyyy-mm-dd"

    ws = wb.create_sheet(STUDY_SHEET)
    ws.append(["key", "value", "omschrijving", "description"])
    for cell in ws[1]:
        cell.font = bold
    for f in STUDY_FIELDS:
        value: Any = f.default
        if isinstance(value, list):
            value = ", ".join(value) or None
        if value == "":
            value = None
        ws.append([f.key, value, f.description_nl, f.description_en])
    for letter, width in zip("ABCD", (26, 14, 70, 70), strict=True):
        ws.column_dimensions[letter].width = width

    wb.properties.creator = "wattelt_eval"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    return wb


# ======================================================================================
# Writing and CLI
# ======================================================================================


def write_templates(out_dir: str | Path) -> list[Path]:
    """Write the blank CSVs, ``study.toml``, the workbook and the data dictionary.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    csv_dir = out / "csv"
    csv_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in TABLES:
        p = csv_dir / f"{name}.csv"
        p.write_text(csv_template(name), encoding="utf-8", newline="\n")
        written.append(p)
    p = csv_dir / "study.toml"
    p.write_text(study_toml_template(), encoding="utf-8", newline="\n")
    written.append(p)
    p = out / WORKBOOK_NAME
    build_workbook().save(p)
    written.append(p)
    p = out / "data_dictionary.md"
    p.write_text(data_dictionary(), encoding="utf-8", newline="\n")
    written.append(p)
    return written
