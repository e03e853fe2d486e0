"""Pseudonymisation of a pilot data package (``wattelt-eval pseudonymise IN OUT``).

The municipality runs this *before* data leave its systems; the researcher only
ever receives the output. What it does (see ``docs/privacy.md``):

* identifiers are replaced by a keyed hash (HMAC-SHA256) — consistently across all
  tables, so references stay intact, and stably across runs and files for the
  same key, so data waves delivered months apart link up:

  - ``resident_id`` and ``professional_id`` (personal identifiers);
  - the record ids ``trajectory_id``, ``contact_id``, ``goal_id``,
    ``provision_id`` and the references to them (``trajectory_id`` in every
    table, ``derived_from`` in goals): they often are case or file numbers of the
    municipal system, which anyone with access to that system can look up;
  - ``organisation`` only on request (``hash_organisation=True``): organisation
    names are not personal data and readable names make the report readable;
* free-text columns (goal ``text``) are dropped, unless ``keep_text=True``;
* an exact ``birth_date`` (or ``geboortedatum``) column in trajectories is reduced
  to ``birth_year``;
* columns the schema does not know and ``study.toml`` does not declare as extra
  case-mix columns are dropped (data minimisation) and listed in the record;
* the result is scanned for BSNs (stop) and contact details (warning);
* a processing record (what was changed, when, by which version; a fingerprint of
  the key so two waves can be checked to use the same key — never the key) is
  written next to the output.

The key comes from the ``WATTELT_KEY`` environment variable or a key file; without
a key it refuses. Make one with :func:`generate_key`.

Pseudonyms look like ``R-kfbqtmdcnhsrgjplkbmd``: a letter for the kind of id, a
hyphen and 20 letters holding 80 bits of the HMAC. They contain no digits, so they
can never look like a BSN, a phone number or a postcode.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .bsn import scan_bsn, scan_contact_details
from .errors import DataError, UsageError
from .i18n import pair, text
from .io import study_rows, write_csv, write_xlsx
from .schema import TABLES, coerce_table

if TYPE_CHECKING:
    from .data import PilotData

#: Environment variable holding the pseudonymisation key.
KEY_ENV = "WATTELT_KEY"
#: Shortest accepted key, in bytes.
MIN_KEY_BYTES = 16
#: Name of the processing record written in the output folder.
RECORD_NAME = "pseudonymisation_record.json"
#: Columns with an exact birth date, reduced to ``birth_year``.
BIRTH_DATE_COLUMNS = ("birth_date", "geboortedatum")
_FINGERPRINT_MESSAGE = b"wattelt-eval key fingerprint v1"

#: Prefix letter per kind of identifier.
PREFIXES: dict[str, str] = {
    "resident": "R",
    "professional": "P",
    "organisation": "O",
    "trajectory": "T",
    "contact": "C",
    "goal": "G",
    "provision": "V",
}
#: 16 consonants: each encodes 4 bits of the HMAC (no digits, no vowels).
_ALPHABET = np.array(list("bcdfghjklmnpqrst"))
_N_CHARS = 20  # 80 bits

OutputFormat = Literal["csv", "parquet", "xlsx"]


class PrivacyError(DataError):
    """Pseudonymisation refused because of the data (BSN left in the output, bad birth dates).

    Exit code 1. A wrong request (no key, an output that exists) raises
    :class:`PrivacyUsageError` (exit code 2).
    """


class PrivacyUsageError(PrivacyError, UsageError):
    """Pseudonymisation refused because of the request (no key, output exists, same paths)."""

    exit_code = 2


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


def generate_key() -> str:
    """A new random key (43 URL-safe characters, 256 bits).

    Store it where the municipality keeps secrets (a password manager or a key file
    readable only by the person who pseudonymises), never next to the data. The
    same key must be used for every data wave that has to link up.
    """
    return secrets.token_urlsafe(32)


def resolve_key(
    key: str | bytes | None = None, key_file: str | Path | None = None
) -> tuple[bytes, str]:
    """The key as bytes, and where it came from.

    Order: ``key`` argument, ``key_file``, the ``WATTELT_KEY`` environment variable.
    A key file is read as bytes with trailing line breaks/spaces removed.

    Raises
    ------
    PrivacyError
        No key, or a key shorter than :data:`MIN_KEY_BYTES` bytes.
    """
    if key is not None:
        raw, source = (key.encode("utf-8") if isinstance(key, str) else bytes(key)), "argument"
    elif key_file is not None:
        p = Path(key_file)
        if not p.is_file():
            raise PrivacyUsageError(*pair("privacy.key.file_missing", name=repr(p.name)))
        raw, source = p.read_bytes().rstrip(b"\r\n \t"), "key file"
    elif os.environ.get(KEY_ENV):
        raw, source = os.environ[KEY_ENV].encode("utf-8"), f"environment variable {KEY_ENV}"
    else:
        raise PrivacyUsageError(*pair("privacy.key.none", env=KEY_ENV))
    if len(raw) < MIN_KEY_BYTES:
        raise PrivacyUsageError(*pair("privacy.key.too_short", n=MIN_KEY_BYTES))
    return raw, source


def key_fingerprint(key: bytes) -> str:
    """A short fingerprint of the key (HMAC of a fixed text; reveals nothing of the key).

    Two processing records with the same fingerprint were made with the same key,
    so their pseudonyms link up.
    """
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def pseudonyms(values: pd.Series, kind: str, key: bytes) -> pd.Series:
    """Keyed pseudonyms for a Series of identifiers (missing stays missing).

    The HMAC-SHA256 message is ``kind + "\\x1f" + value`` (so a resident and a
    professional with the same code get different pseudonyms). Values are
    normalised first: surrounding spaces removed, and a whole number written as
    ``123.0`` (how spreadsheets sometimes store ids) read as ``123``.

    One HMAC per *distinct* value; the encoding is vectorised.
    """
    if kind not in PREFIXES:
        raise ValueError(f"kind must be one of {sorted(PREFIXES)}, not {kind!r}")
    norm = _normalise_ids(values)
    uniq = pd.unique(norm.dropna())
    if len(uniq) == 0:
        return pd.Series(pd.NA, index=values.index, dtype="string")
    prefix = kind.encode("utf-8") + b"\x1f"
    digests = b"".join(
        hmac.new(key, prefix + str(u).encode("utf-8"), hashlib.sha256).digest()[: _N_CHARS // 2]
        for u in uniq
    )
    b = np.frombuffer(digests, dtype=np.uint8).reshape(len(uniq), _N_CHARS // 2)
    nibbles = np.stack([b >> 4, b & 15], axis=2).reshape(len(uniq), _N_CHARS)
    chars = _ALPHABET[nibbles]
    codes = PREFIXES[kind] + "-" + pd.Series(chars.view(f"<U{_N_CHARS}").ravel())
    if codes.duplicated().any():  # 80 bits: practically impossible, but never silent
        raise PrivacyError(*pair("privacy.pseudonym_collision"))
    mapping = pd.Series(codes.to_numpy(), index=pd.Index(uniq, dtype="string"))
    return norm.map(mapping).astype("string")


def _normalise_ids(values: pd.Series) -> pd.Series:
    s = values
    if pd.api.types.is_float_dtype(s):
        x = s.astype("float64")
        whole = x.notna() & (x == np.floor(x.fillna(0)))
        txt = s.astype("string")
        txt[whole] = x[whole].astype("int64").astype("string")
        s = txt
    s = s.astype("string").str.strip()
    s = s.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return s.mask(s == "")


# --------------------------------------------------------------------------------------
# Core: tables in, tables out
# --------------------------------------------------------------------------------------


def id_columns(hash_organisation: bool = False) -> dict[str, dict[str, str]]:
    """Per table, the columns that are pseudonymised and the kind of id they hold.

    Derived from the schema: every ``identifier`` column, with references mapped to
    the kind of the column they point to (``derived_from`` -> ``goal``).
    """
    out: dict[str, dict[str, str]] = {}
    for tname, table in TABLES.items():
        cols: dict[str, str] = {}
        for c in table.columns:
            if not c.identifier:
                continue
            target = c.references.split(".")[1] if c.references else c.name
            cols[c.name] = target.removesuffix("_id")
        if hash_organisation and "organisation" in table.column_names:
            cols["organisation"] = "organisation"
        out[tname] = cols
    return out


@dataclass
class ProcessingRecord:
    """What :func:`pseudonymise_package` / :func:`pseudonymise_tables` did (never the key)."""

    created: str
    tool: str
    version: str
    key_source: str
    key_fingerprint: str
    method: str = "HMAC-SHA256, 80 bits, per kind of identifier"
    options: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    distinct_ids: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    not_copied: list[str] = field(default_factory=list)
    input_format: str = ""
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def summary(self, lang: Literal["nl", "en"] = "nl") -> str:
        """Short human-readable account."""

        def t(key: str, **values: Any) -> str:
            return text(f"privacy.summary.{key}", lang, **values)

        lines = [
            t(
                "head",
                created=self.created,
                tool=self.tool,
                version=self.version,
                fingerprint=self.key_fingerprint,
            )
        ]
        for name, info in self.tables.items():
            parts = [t("rows", n=info["rows"])]
            if info["hashed"]:
                parts.append(t("hashed", columns=", ".join(info["hashed"])))
            if info["dropped"]:
                parts.append(t("dropped", columns=", ".join(info["dropped"])))
            if info.get("birth_date_to_year"):
                parts.append(t("birth_year"))
            lines.append(f"  {name}: " + "; ".join(parts))
        for w in self.warnings:
            lines.append(t("warning", message=w["message_nl" if lang == "nl" else "message_en"]))
        if self.not_copied:
            lines.append(t("not_copied", files=", ".join(self.not_copied)))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(self.summary("nl")) + "</pre>"


def _column_lookup(df: pd.DataFrame, table: str | None = None) -> dict[str, str]:
    """Normalised column name -> actual column name; a Dutch name of ``table``'s column
    (:data:`wattelt_eval.schema.COLUMN_ALIASES`, e.g. ``traject_id``) counts as that
    column, so its ids are pseudonymised like the English one's (unless both are there)."""
    from .io import normalise_name
    from .schema import column_aliases

    look = {normalise_name(c): c for c in df.columns}
    for alias, column in column_aliases(table or "").items():
        if alias in look and column not in look:
            look[column] = look.pop(alias)
    return look


def _birth_years(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Year from an exact birth date (datetime, ISO or Dutch dd-mm-yyyy); bad-value mask."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.year.astype("Int64"), np.zeros(len(s), dtype=bool)
    txt = s.astype("string").str.strip()
    txt = txt.mask(txt == "")
    iso = txt.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
    nl = txt.str.extract(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
    year = pd.to_numeric(iso[0], errors="coerce").fillna(pd.to_numeric(nl[2], errors="coerce"))
    month = pd.to_numeric(iso[1], errors="coerce").fillna(pd.to_numeric(nl[1], errors="coerce"))
    day = pd.to_numeric(iso[2], errors="coerce").fillna(pd.to_numeric(nl[0], errors="coerce"))
    ok = year.notna() & month.between(1, 12) & day.between(1, 31)
    bad = (txt.notna() & ~ok).to_numpy(dtype=bool)
    return year.where(ok).astype("Int64"), bad


def pseudonymise_tables(
    tables: dict[str, pd.DataFrame],
    key: str | bytes | None = None,
    *,
    key_file: str | Path | None = None,
    keep_text: bool = False,
    hash_organisation: bool = False,
    keep_columns: list[str] | tuple[str, ...] = (),
    drop_unknown: bool = True,
) -> tuple[dict[str, pd.DataFrame], ProcessingRecord]:
    """Pseudonymise raw tables (any dtypes; columns matched by normalised name).

    Parameters
    ----------
    tables : dict of str to DataFrame
        Table name (schema name) -> table as read.
    key, key_file
        See :func:`resolve_key`; default the ``WATTELT_KEY`` environment variable.
    keep_text : bool
        Keep free-text columns (goal ``text``). Default: drop them.
    hash_organisation : bool
        Also pseudonymise ``organisation``.
    keep_columns : list of str
        Extra (non-schema) columns to keep, e.g. the declared extra case-mix
        columns. Others are dropped when ``drop_unknown``.
    drop_unknown : bool

    Returns
    -------
    tables, record

    Raises
    ------
    PrivacyError
        No key; birth dates that cannot be read; a BSN left in the output (e.g.
        inside kept free text or a kept extra column) — the message names table,
        row and column, never the number.
    """
    from ._version import __version__

    raw_key, source = resolve_key(key, key_file)
    ids = id_columns(hash_organisation)
    keep_extra = {str(c).strip().lower() for c in keep_columns}
    out: dict[str, pd.DataFrame] = {}
    record = ProcessingRecord(
        created=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        tool="wattelt-eval pseudonymise",
        version=__version__,
        key_source=source,
        key_fingerprint=key_fingerprint(raw_key),
        options={"keep_text": keep_text, "hash_organisation": hash_organisation},
    )
    seen: dict[str, set[str]] = {}
    for name, df in tables.items():
        if name not in TABLES:
            record.not_copied.append(name)
            continue
        res, info, found = _pseudonymise_table(
            name, df, ids[name], raw_key, keep_text, keep_extra if drop_unknown else None
        )
        for kind, values in found.items():
            seen.setdefault(kind, set()).update(values)
        record.warnings.extend(info.pop("warnings"))
        record.tables[name] = info
        out[name] = res
    record.distinct_ids = {k: len(v) for k, v in sorted(seen.items())}
    return out, record


def _pseudonymise_table(
    name: str,
    df: pd.DataFrame,
    ids: dict[str, str],
    key: bytes,
    keep_text: bool,
    keep_extra: set[str] | None,
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, list[str]]]:
    """One table: ids hashed, birth dates to years, columns dropped, then the guards.

    Returns the new table, its record entry (``rows, hashed, dropped, ...`` and its
    ``warnings``) and the pseudonyms made per kind of id. ``keep_extra`` None keeps
    unknown columns.
    """
    look = _column_lookup(df, name)
    res = df.copy()
    info: dict[str, Any] = {"rows": int(len(df))}
    hashed: list[str] = []
    dropped: list[str] = []
    found: dict[str, list[str]] = {}
    for col, kind in ids.items():
        if col in look:
            res[look[col]] = pseudonyms(df[look[col]], kind, key)
            hashed.append(col)
            found.setdefault(kind, []).extend(res[look[col]].dropna().tolist())
    if name == "trajectories":
        res = _birth_dates_to_years(df, res, look, dropped, info)
    schema = TABLES[name]
    for c in schema.columns:
        if c.free_text and c.name in look and not keep_text:
            res = res.drop(columns=[look[c.name]])
            dropped.append(c.name)
    if keep_extra is not None:
        known = set(schema.column_names) | {"birth_year"} | keep_extra
        unknown = [
            actual
            for norm, actual in look.items()
            if norm not in known and norm not in BIRTH_DATE_COLUMNS and actual in res.columns
        ]
        if unknown:
            res = res.drop(columns=unknown)
            dropped.extend(str(u) for u in unknown)
    warnings = _same_date_contacts(name, df, look, info)
    _refuse_bsn(name, res)
    warnings += _contact_details(name, res)
    info["hashed"] = hashed
    info["dropped"] = dropped
    info["warnings"] = warnings
    return res, info, found


def _birth_dates_to_years(
    df: pd.DataFrame,
    res: pd.DataFrame,
    look: dict[str, str],
    dropped: list[str],
    info: dict[str, Any],
) -> pd.DataFrame:
    """Exact birth dates reduced to ``birth_year`` (checked against a given birth_year)."""
    bcols = [look[c] for c in BIRTH_DATE_COLUMNS if c in look]
    if not bcols:
        return res
    years = pd.Series(pd.NA, index=df.index, dtype="Int64")
    for bc in bcols:
        y, bad = _birth_years(df[bc])
        if bad.any():
            rows = ", ".join(str(r) for r in df.index[bad][:20])
            raise PrivacyError(*pair("privacy.birth_date.unreadable", column=repr(bc), rows=rows))
        years = years.fillna(y)
    if "birth_year" in look:
        given = pd.to_numeric(df[look["birth_year"]], errors="coerce").astype("Float64")
        clash = (given.notna() & years.notna() & (given != years.astype("Float64"))).to_numpy(
            dtype=bool
        )
        if clash.any():
            rows = ", ".join(str(r) for r in df.index[clash][:20])
            raise PrivacyError(*pair("privacy.birth_date.disagree", rows=rows))
        res[look["birth_year"]] = given.astype("Int64").fillna(years)
    else:
        res["birth_year"] = years
    res = res.drop(columns=bcols)
    dropped.extend(bcols)
    info["birth_date_to_year"] = True
    return res


def _same_date_contacts(
    name: str, df: pd.DataFrame, look: dict[str, str], info: dict[str, Any]
) -> list[dict[str, Any]]:
    """Warn when contacts of one trajectory share a date (their order changes)."""
    if name != "contacts" or "trajectory_id" not in look or "date" not in look:
        return []
    ties = df.groupby([look["trajectory_id"], look["date"]], dropna=True).size()
    n_ties = int((ties > 1).sum())
    info["same_date_contact_groups"] = n_ties
    if not n_ties:
        return []
    nl, en = pair("privacy.warning.same_date_contacts", n=n_ties)
    return [
        {
            "table": name,
            "kind": "same_date_contacts",
            "count": n_ties,
            "message_nl": nl,
            "message_en": en,
        }
    ]


def _refuse_bsn(name: str, res: pd.DataFrame) -> None:
    """Stop when a BSN is left in the result; the message names row and column, never the number."""
    hits = scan_bsn(res)
    if not hits:
        return
    where = {
        lang: "; ".join(
            text("privacy.bsn_place", lang, row=res.index[p], column=c) for p, c in hits[:20]
        )
        for lang in ("nl", "en")
    }
    raise PrivacyError(
        *(text("privacy.bsn_left", lang, table=name, where=where[lang]) for lang in ("nl", "en"))
    )


def _contact_details(name: str, res: pd.DataFrame) -> list[dict[str, Any]]:
    """Warnings for values that look like e-mail addresses, phone numbers or postcodes."""
    contact = scan_contact_details(res)
    if not contact:
        return []
    cnt = (
        pd.DataFrame(contact, columns=["pos", "column", "kind"]).groupby(["column", "kind"]).size()
    )
    out = []
    for (col, kind), k in cnt.items():
        nl, en = (
            text(
                "privacy.warning.contact_details",
                lang,
                table=name,
                column=col,
                n=k,
                kind=text(f"privacy.contact_kind.{kind}", lang),
            )
            for lang in ("nl", "en")
        )
        out.append(
            {
                "table": name,
                "column": str(col),
                "kind": str(kind),
                "count": int(k),
                "message_nl": nl,
                "message_en": en,
            }
        )
    return out


def pseudonymise(
    data: PilotData | dict[str, pd.DataFrame],
    key: str | bytes | None = None,
    *,
    key_file: str | Path | None = None,
    keep_text: bool = False,
    hash_organisation: bool = False,
) -> PilotData | dict[str, pd.DataFrame]:
    """Pseudonymise a :class:`~wattelt_eval.PilotData` or a dict of raw tables.

    Parameters
    ----------
    data : PilotData or dict of str to DataFrame
        For files on disk use :func:`pseudonymise_package` (or the CLI).
    key : str or bytes, optional
        Default: ``key_file``, else the ``WATTELT_KEY`` environment variable.
    keep_text : bool
        Keep goal texts (default: cleared).
    hash_organisation : bool
        Also pseudonymise ``organisation``.

    Returns
    -------
    PilotData or dict
        Same kind as ``data``. A PilotData keeps every schema column (cleared free
        text is missing), gets ``source="pseudonymised"``, its exclusion log's
        ``record_id``/``trajectory_id`` pseudonymised too, and drops ``truth``
        (which may hold original ids). A dict gets the tables as
        :func:`pseudonymise_tables` makes them. The processing record is returned
        by :func:`pseudonymise_tables` / :func:`pseudonymise_package`.
    """
    if isinstance(data, dict):
        tables, _ = pseudonymise_tables(
            data, key, key_file=key_file, keep_text=keep_text, hash_organisation=hash_organisation
        )
        return tables
    from .data import PilotData

    if not isinstance(data, PilotData):
        raise ValueError(
            "data must be a PilotData or a dict of DataFrames; for a folder or workbook use "
            "pseudonymise_package(in_path, out_path)"
        )
    extras = sorted({c for cols in data.extra_columns.values() for c in cols})
    tables, _ = pseudonymise_tables(
        data.tables,
        key,
        key_file=key_file,
        keep_text=keep_text,
        hash_organisation=hash_organisation,
        keep_columns=extras,
    )
    raw_key, _ = resolve_key(key, key_file)
    new = data.copy()
    for name, df in tables.items():
        # back to the canonical form: cleared free text returns as an empty column
        setattr(new, name, coerce_table(name, df))
    exc = new.exclusions.copy()
    if len(exc):
        exc["trajectory_id"] = pseudonyms(exc["trajectory_id"], "trajectory", raw_key)
        kinds = {
            t: k for t, cols in id_columns().items() for c, k in cols.items() if c == _own_id(t)
        }
        rid = exc["record_id"].astype("string")
        newrid = pd.Series(pd.NA, index=exc.index, dtype="string")
        for t, kind in kinds.items():
            m = (exc["table"] == t).fillna(False).to_numpy(dtype=bool)
            if m.any():
                newrid[m] = pseudonyms(rid[m], kind, raw_key)
        exc["record_id"] = newrid.where(rid.notna())
        new.exclusions = exc
    new.truth = None
    new.source = "pseudonymised"
    return new


def _own_id(table: str) -> str | None:
    from .schema import ID_COLUMNS

    return ID_COLUMNS.get(table)


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def pseudonymise_package(
    in_path: str | Path,
    out_path: str | Path,
    key: str | bytes | None = None,
    *,
    key_file: str | Path | None = None,
    keep_text: bool = False,
    hash_organisation: bool = False,
    overwrite: bool = False,
) -> ProcessingRecord:
    """Pseudonymise a pilot data package on disk into a new package of the same format.

    Parameters
    ----------
    in_path : path
        Folder of CSV (or parquet) files with ``study.toml``, or an ``.xlsx`` workbook
        (the same inputs ``we.load`` accepts; Dutch file/sheet names included).
    out_path : path
        New folder (for folder input) or ``.xlsx`` file (for workbook input). Must
        not exist or be empty, unless ``overwrite``; never the input.
    key, key_file, keep_text, hash_organisation
        See :func:`pseudonymise_tables`.

    Returns
    -------
    ProcessingRecord
        Also written as ``pseudonymisation_record.json`` in the output folder (next
        to the workbook: ``<name>.pseudonymisation_record.json``).

    Notes
    -----
    CSV cells are read and written as text, with the input's separator (so a
    ``;``-separated file with decimal commas stays one), UTF-8; header texts as
    written. Excel cells keep their types. ``study.toml`` and other ``.toml`` files
    (own instruments) are copied unchanged; other files are not copied and are
    listed in the record. Blank rows are left out.
    """
    from .io import read_package

    in_path, out_path = Path(in_path), Path(out_path)
    resolve_key(key, key_file)  # refuse early, before reading anything
    if in_path.resolve() == out_path.resolve():
        raise PrivacyUsageError(*pair("privacy.path.same"))
    pkg = read_package(in_path)
    fatal = [i for i in pkg.issues if i.rule not in ("unknown_file", "unknown_sheet")]
    if pkg.kind == "missing" or fatal:
        detail = "; ".join(f"{i.rule}: {i.file}" for i in (fatal or pkg.issues))
        raise PrivacyError(
            *pair("privacy.unreadable_package", name=repr(in_path.name), detail=detail)
        )
    is_xlsx = pkg.kind == "xlsx"
    _check_output(out_path, is_xlsx, overwrite)
    study = pkg.study or {}
    extras = list((study.get("study") or {}).get("extra_covariates") or [])
    frames = {name: raw.frame for name, raw in pkg.tables.items()}
    tables, record = pseudonymise_tables(
        frames,
        key,
        key_file=key_file,
        keep_text=keep_text,
        hash_organisation=hash_organisation,
        keep_columns=extras,
    )
    record.input_format = pkg.kind
    record.not_copied.extend(
        i.file for i in pkg.issues if i.rule in ("unknown_file", "unknown_sheet")
    )

    if is_xlsx:
        _write_workbook(out_path, tables, pkg, study)
        record_path = out_path.with_name(out_path.stem + "." + RECORD_NAME)
    else:
        _write_folder(in_path, out_path, tables, pkg)
        record_path = out_path / RECORD_NAME
    record.output = out_path.name
    record_path.write_text(record.to_json(), encoding="utf-8")
    return record


def _check_output(out_path: Path, is_xlsx: bool, overwrite: bool) -> None:
    """The output has the input's kind (workbook or folder) and is new, empty or overwritable."""
    if is_xlsx and out_path.suffix.lower() != ".xlsx":
        raise PrivacyUsageError(*pair("privacy.path.want_xlsx"))
    if not is_xlsx and out_path.suffix.lower() == ".xlsx":
        raise PrivacyUsageError(*pair("privacy.path.want_folder"))
    if out_path.exists() and not overwrite:
        if out_path.is_file() or any(out_path.iterdir()):
            raise PrivacyUsageError(*pair("privacy.path.exists", name=repr(out_path.name)))


def _headed(pkg: Any, name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the header texts of the input file."""
    header = pkg.tables[name].header
    return df.rename(columns={c: header.get(c, c) or c for c in df.columns})


def _write_workbook(
    out_path: Path, tables: dict[str, pd.DataFrame], pkg: Any, study: dict[str, Any]
) -> None:
    """One sheet per table, and the study settings as a ``study`` sheet of key/value rows."""
    sheets = {name: _headed(pkg, name, df) for name, df in tables.items()}
    sheets["study"] = study_rows(study)
    write_xlsx(sheets, out_path)


def _write_folder(in_path: Path, out_path: Path, tables: dict[str, pd.DataFrame], pkg: Any) -> None:
    """Each table in its input format (CSV with the input's separator, or parquet); TOML copied."""
    out_path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        raw = pkg.tables[name]
        if raw.source.lower().endswith((".parquet", ".pq")):
            df.reset_index(drop=True).to_parquet(out_path / f"{name}.parquet", index=False)
        else:
            write_csv(_headed(pkg, name, df), out_path / f"{name}.csv", sep=raw.separator or ",")
    for p in sorted(in_path.iterdir()):
        if p.is_file() and p.suffix.lower() == ".toml":
            shutil.copyfile(p, out_path / p.name)
