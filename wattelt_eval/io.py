"""Reading and writing pilot data packages (folder of CSVs, folder of parquet files, one xlsx).

Writing lives here; reading with validation is :func:`wattelt_eval.load` (see
:mod:`wattelt_eval.validation`).
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
import zipfile
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from . import progress
from .schema import TABLES, column_aliases

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from .data import PilotData

PackageFormat = Literal["csv", "parquet", "xlsx"]


def _for_text(df: pd.DataFrame) -> pd.DataFrame:
    """Table as strings for CSV/Excel: ISO dates, true/false, empty for missing."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").astype("object").where(s.notna(), None)
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("object").map({True: "true", False: "false"}).where(s.notna(), None)
    return out


def _text_not_formula(ws: Any) -> None:
    """Keep every text cell as text: openpyxl would store text starting with ``=`` as a formula."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


# --------------------------------------------------------------------------------------
# The one writer of every CSV and XLSX file the package writes (output safety)
# --------------------------------------------------------------------------------------

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"
#: a plain number (``-12``, ``+3.5``, ``-1,5``, ``1e3``): never neutralised, it is no formula
_PLAIN_NUMBER_RE = r"^[+\-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+\-]?\d+)?$"
#: what our writer wrote for a formula-like text: a quote, then the formula-like text
_ESCAPED_RE = r"^'[=+\-@\t\r]"
_PLAIN_NUMBER = re.compile(_PLAIN_NUMBER_RE)


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula (starts with ``= + - @``, TAB or CR).

    Plain numbers (``-12``, ``+3.5``) are not formula-like.
    """
    return (
        isinstance(value, str) and value[:1] in FORMULA_START and _PLAIN_NUMBER.match(value) is None
    )


def neutralise_text(value: Any) -> Any:
    """``'`` + ``value`` for formula-like text (OWASP's rule), anything else unchanged."""
    return "'" + value if formula_like(value) else value


def restore_text(value: Any) -> Any:
    """Undo :func:`neutralise_text`: ``'=1+2`` -> ``=1+2``; anything else unchanged.

    Only a quote followed by formula-like text is taken off, i.e. exactly what the writer
    adds, so ``'t Hoofd`` and ``'-12`` (not written by us) stay as they are.
    """
    if isinstance(value, str) and value[:1] == "'" and formula_like(value[1:]):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are safe in a spreadsheet.

    Vectorised per column; numbers, dates and booleans are left as they are.
    """
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        arr = s.to_numpy(dtype=object, na_value=None)
        if isinstance(s.dtype, pd.StringDtype):
            is_str = s.notna().to_numpy(dtype=bool)
        else:
            is_str = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=len(arr))
        if not is_str.any():
            continue
        t = pd.Series(arr[is_str], dtype="string")
        hit = (t.str.match(_FORMULA_RE) & ~t.str.match(_PLAIN_NUMBER_RE)).to_numpy(dtype=bool)
        if hit.any():
            idx = np.flatnonzero(is_str)[hit]
            arr = arr.copy()
            arr[idx] = ["'" + v for v in arr[idx]]
            s = pd.Series(arr, index=s.index, dtype=object)
        out[c] = s
    out.columns = [neutralise_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(
    df: pd.DataFrame,
    path: str | Path | Any,
    *,
    sep: str = ",",
    index: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write a table as CSV through the output-safety rule (:func:`neutralise_frame`).

    ``path`` may be a path or a text buffer. The package's own readers undo the quote
    (:func:`restore_text`), so a round trip gives back the original text.
    """
    safe = neutralise_frame(df if not index else df.reset_index())
    if isinstance(path, (str, Path)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        safe.to_csv(path, sep=sep, index=False, lineterminator="\n", encoding=encoding)
    else:
        safe.to_csv(path, sep=sep, index=False, lineterminator="\n")


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables as one workbook (one sheet each) through the output-safety rule.

    Formula-like text gets the quote (:func:`neutralise_text`) and every text cell is
    stored as text, never as a formula.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            neutralise_frame(df).to_excel(xw, sheet_name=name, index=False)
        for ws in xw.book.worksheets:
            _text_not_formula(ws)
    _fix_zip_times(path)
    return path


#: The document and file times written into every workbook, so the same tables give a
#: byte-identical file.
FIXED_XLSX_TIME = "2025-01-01T00:00:00Z"
_CORE_TIME_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fix_zip_times(path: Path) -> None:
    """Rewrite a workbook with fixed times (document properties and zip entries)."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, i.compress_type, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, compress, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIME_RE.sub(rb"\g<1>" + FIXED_XLSX_TIME.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compress
            z.writestr(info, data)


def study_rows(study: dict[str, Any]) -> pd.DataFrame:
    """Study settings as the key/value rows of a workbook's ``study`` sheet."""
    rows = [
        {"key": f"{section}.{k}", "value": ", ".join(map(str, v)) if isinstance(v, list) else v}
        for section, values in study.items()
        if isinstance(values, dict)
        for k, v in values.items()
    ]
    return pd.DataFrame(rows, columns=["key", "value"])


def write_package(data: PilotData, path: str | Path, format: PackageFormat = "csv") -> Path:
    """Write ``data`` as a pilot data package.

    Parameters
    ----------
    data : PilotData
    path : path
        Folder (``csv``, ``parquet``) or ``.xlsx`` file (``xlsx``).
    format : {"csv", "parquet", "xlsx"}

    Returns
    -------
    Path
        The folder or workbook written. CSV is UTF-8 with ``,`` separator, ISO
        dates and ``true``/``false``; empty optional tables are still written
        (header only) so the package is complete.
    """
    if format not in ("csv", "parquet", "xlsx"):
        raise ValueError(f"format must be 'csv', 'parquet' or 'xlsx', not {format!r}")
    path = Path(path)
    study_toml = data.study.to_toml()
    if format == "xlsx":
        if path.suffix.lower() != ".xlsx":
            path.mkdir(parents=True, exist_ok=True)
            path = path / "pilot.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        sheets = {name: _for_text(getattr(data, name)) for name in TABLES}
        sheets["study"] = study_rows(data.study.to_dict())
        write_xlsx(sheets, path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    (path / "study.toml").write_text(study_toml, encoding="utf-8")
    for name in TABLES:
        df = getattr(data, name)
        if format == "csv":
            write_csv(_for_text(df), path / f"{name}.csv")
        else:
            df.reset_index(drop=True).to_parquet(path / f"{name}.parquet", index=False)
    return path


# ======================================================================================
# Reading (raw): files -> frames of cell values with user-visible row numbers.
# Parsing, type checks and every problem message live in :mod:`wattelt_eval.validation`.
# ======================================================================================

#: Accepted file/sheet names per table besides the English table name (lower case).
TABLE_ALIASES: dict[str, str] = {
    "trajecten": "trajectories",
    "traject": "trajectories",
    "contacten": "contacts",
    "gesprekken": "contacts",
    "doelen": "goals",
    "scores": "domain_scores",
    "domeinscores": "domain_scores",
    "leefgebieden": "domain_scores",
    "voorzieningen": "provisions",
    "maatwerkvoorzieningen": "provisions",
    "tijdsbesteding": "staff_time",
    "tijdregistratie": "staff_time",
    "uren": "staff_time",
}
#: Sheets of the template workbook that hold no data (ignored without a warning).
NON_DATA_SHEETS = frozenset(
    {"uitleg", "explanation", "toelichting", "lijsten", "lists", "readme", "lees_mij"}
)
#: Sheet holding the study settings in a workbook.
STUDY_SHEETS = frozenset({"study", "studie"})
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class RawTable:
    """One table as read, before parsing.

    Attributes
    ----------
    name : str
        Table name (schema).
    source : str
        What the user calls it: the file name (``contacts.csv``) or
        ``workbook.xlsx [sheet]``.
    frame : DataFrame
        Cell values. Columns are normalised header names (lower case, ``_`` for spaces);
        CSV cells are stripped strings or ``<NA>``; Excel cells are the native values
        (str, int, float, datetime, bool) or ``None``; parquet columns keep their dtype.
        The index is the row number the user sees (header = row 1). Blank rows are
        removed and listed in :attr:`blank_rows`.
    header : dict
        Normalised column name -> header text as written.
    decimal : {",", ".", "auto"}
        Decimal separator of the file (``","`` for ``;``-separated CSV).
    encoding, separator : str
        For CSV files, what was detected.
    blank_rows : list of int
        Completely blank rows between data rows (they are not data; listed in the
        exclusion log so nothing disappears unnoticed).
    duplicate_columns : list of str
        Normalised header names that occur more than once (only the first is kept).
    """

    name: str
    source: str
    frame: pd.DataFrame
    header: dict[str, str] = field(default_factory=dict)
    decimal: str = "."
    encoding: str = ""
    separator: str = ""
    blank_rows: list[int] = field(default_factory=list)
    duplicate_columns: list[str] = field(default_factory=list)
    #: cells changed while reading, each reported as a warning: ``(rule, column, rows,
    #: values as written)`` with rule ``placeholder`` (``NULL``, ``n.v.t.``, ... read as
    #: missing) or ``invisible_character`` (BOM, zero-width, NUL, non-breaking space
    #: taken out of an id or code)
    cleaned: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    #: rows above the header that are not data (a title line): their line numbers
    title_rows: list[int] = field(default_factory=list)
    #: rows that add up the others ("Totaal" in the first column): row numbers
    totals_rows: list[int] = field(default_factory=list)
    #: merged cell ranges of a worksheet (``A2:A5``) with their first row and column name
    merged: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class ReadIssue:
    """A problem found while reading (before any cell is parsed)."""

    rule: str
    file: str
    row: int | None = None
    column: str = ""
    value: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RawPackage:
    """A pilot data package as read from disk (see :func:`read_package`)."""

    path: Path
    kind: str  # "csv", "parquet", "xlsx", "mixed" or "missing"
    tables: dict[str, RawTable] = field(default_factory=dict)
    study: dict[str, Any] | None = None
    study_source: str = "study.toml"
    base_dir: Path = field(default_factory=Path)
    issues: list[ReadIssue] = field(default_factory=list)


def normalise_name(name: object) -> str:
    """Normalise a header or file name: strip, BOM off, lower case, ``_`` for spaces/hyphens."""
    s = "" if name is None else str(name)
    s = s.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", s)


def table_for_name(stem: str) -> str | None:
    """Table name for a file stem or sheet name (English name or Dutch alias), else None."""
    key = normalise_name(stem)
    if key in TABLES:
        return key
    return TABLE_ALIASES.get(key)


class MixedEncodingError(ValueError):
    """A file that is UTF-8 in one place and not in another (e.g. one cp1252 line).

    ``lines`` are the line numbers (1 = the first line) holding bytes invalid in UTF-8.
    """

    def __init__(self, lines: list[int]) -> None:
        self.lines = lines
        super().__init__(f"invalid UTF-8 in line {lines[0]}" if lines else "invalid UTF-8")


#: a valid multi-byte UTF-8 sequence (a non-ASCII character written in UTF-8)
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file in ONE encoding, decided per file (never mixed).

    UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 (latin-1 for bytes
    cp1252 does not define). A file that holds valid UTF-8 characters *and* bytes that
    are invalid in UTF-8 (e.g. one line pasted from a cp1252 export) is neither:
    :class:`MixedEncodingError` names the lines, rather than reading the whole file
    as cp1252 and garbling every ``ë`` written in UTF-8.

    Returns
    -------
    (text, encoding)
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError:
            raise MixedEncodingError(_invalid_utf8_lines(data)) from None
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        raise MixedEncodingError(_invalid_utf8_lines(data))
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # bytes undefined in cp1252: latin-1 never fails
        return data.decode("latin-1"), "latin-1"


def _invalid_utf8_lines(data: bytes) -> list[int]:
    """Line numbers (1-based) holding bytes that are invalid in UTF-8."""
    text = data.decode("utf-8", errors="surrogateescape")
    bad = [m.start() for m in re.finditer("[\udc80-\udcff]", text)]
    newlines = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    lines = np.searchsorted(newlines, np.array(bad, dtype=np.int64)) + 1
    return sorted({int(x) for x in lines})


def sniff_separator(text: str) -> str:
    """The field separator of a CSV text: the most frequent of ``; , TAB |`` in the header line."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]  # not text.split: that copies the whole file
    first = re.sub(r'"[^"]*"', "", first)  # ignore quoted parts
    counts = {sep: first.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


#: Texts that mean "no value" in municipal exports (compared case-insensitively, trimmed).
PLACEHOLDERS = frozenset(
    {
        "null",
        "(null)",
        "none",
        "n.v.t.",
        "n.v.t",
        "nvt",
        "n/a",
        "na",
        "-",
        "--",
        "#n/a",
        "#n/b",
        "#na",
        "leeg",
        "(leeg)",
        "onbekend",
        "unknown",
        "?",
    }
)
#: Spaces trimmed from every cell while reading (a non-breaking space is reported, see below).
_ASCII_SPACE = " \t\r\n\x0b\x0c"
#: Invisible characters taken out of ids and codes: BOM, zero-width space/joiners, word
#: joiner, NUL; a non-breaking space becomes a normal space (then trimmed).
_INVISIBLE_RE = "[\\x{feff}\\x{200b}\\x{200c}\\x{200d}\\x{2060}\\x{0000}]"
_NBSP = "\u00a0"
#: First-column words of a totals row (compared case-insensitively, ``:`` allowed).
TOTALS_WORDS = frozenset(
    {"totaal", "totalen", "eindtotaal", "subtotaal", "total", "totals", "grand total", "som", "sum"}
)


def _accepted_words(name: str, column: str) -> set[str]:
    """Words a code column accepts (codes, labels, aliases), normalised: no placeholder there."""
    table = TABLES.get(name)
    if table is None or column not in table.column_names:
        return set()
    col = table.column(column)
    words = [*col.enum, *col.aliases, *col.labels_nl.values(), *col.labels_en.values()]
    return {normalise_name(w) for w in words}


def _visible(value: str) -> str:
    """A value with its invisible characters written out (``T01<U+200B>``), for messages."""
    return "".join(
        f"<U+{ord(ch):04X}>" if ch in "\ufeff\u200b\u200c\u200d\u2060\x00\u00a0" else ch
        for ch in value
    )


def _string_cells(s: pd.Series) -> tuple[Any, np.ndarray | None]:
    """The text cells of a column as one pyarrow string array (other cells null).

    Returns ``(array, is_str)``: ``is_str`` is None when every present cell is text (the
    fast case: CSV, parquet string columns), else the mask of the text cells (a workbook
    column mixing text, numbers and dates). ``array`` is None without any text.
    """
    import pyarrow as pa

    if isinstance(s.dtype, pd.StringDtype):
        a = pa.array(s.array) if hasattr(s.array, "__arrow_array__") else None
        if a is None:
            a = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string())
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        return a.cast(pa.string()), None
    vals = s.to_numpy(dtype=object)
    try:
        return pa.array(vals, type=pa.string(), from_pandas=True), None
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        is_str = np.fromiter((isinstance(v, str) for v in vals), dtype=bool, count=len(vals))
        if not is_str.any():
            return None, is_str
        return pa.array(np.where(is_str, vals, None), type=pa.string()), is_str


def _mask(a: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


@functools.lru_cache(maxsize=64)
def _placeholder_spellings(words: frozenset[str]) -> Any:
    """Every spelling of ``words`` in upper and lower case per letter, as a pyarrow array."""
    import itertools

    import pyarrow as pa

    out: set[str] = set()
    for w in words:
        out.update("".join(p) for p in itertools.product(*[{ch.lower(), ch.upper()} for ch in w]))
    return pa.array(sorted(out), pa.string())


def _clean_cells(raw: RawTable) -> None:
    """Placeholders to missing (every column) and invisible characters out of ids and codes.

    Vectorised per column (pyarrow); each change is recorded in ``raw.cleaned`` so the
    validation reports it as a warning. Free-text columns keep their characters.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = TABLES.get(raw.name)
    frame = raw.frame
    rows = frame.index.to_numpy()
    none = pa.scalar(None, pa.string())
    for c in list(frame.columns):
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            _clean_categorical(raw, frame, c, rows)
            continue
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        arr, is_str = _string_cells(s)
        if arr is None:
            continue
        changed = False
        free = table is not None and c in table.column_names and table.column(c).free_text
        if not free:
            # the invisible characters are non-ASCII, or NUL: a cheap pre-filter first
            cand = ~_mask(pc.string_is_ascii(arr)) & arr.is_valid().to_numpy(zero_copy_only=False)
            cand |= _mask(pc.match_substring(arr, "\x00"))
            inv = np.zeros(len(arr), dtype=bool)
            if cand.any():
                idx = np.flatnonzero(cand)
                sub = arr.take(pa.array(idx))
                inv[idx] = _mask(
                    pc.or_(
                        pc.match_substring_regex(sub, _INVISIBLE_RE),
                        pc.match_substring(sub, _NBSP),
                    )
                )
            if inv.any():
                shown = np.asarray(arr.filter(pa.array(inv)).to_numpy(zero_copy_only=False))
                raw.cleaned.append(
                    (
                        "invisible_character",
                        c,
                        rows[inv],
                        np.array([_visible(v) for v in shown], dtype=object),
                    )
                )
                arr = pc.replace_substring_regex(arr, _INVISIBLE_RE, "")
                arr = pc.utf8_trim_whitespace(pc.replace_substring(arr, _NBSP, " "))
                arr = pc.if_else(pc.equal(arr, ""), none, arr)
                changed = True
        # every upper/lower-case spelling of the placeholders: one hash lookup per cell
        words = _placeholder_spellings(frozenset(PLACEHOLDERS - _accepted_words(raw.name, c)))
        ph = _mask(pc.is_in(arr, value_set=words))
        if ph.any():
            shown = np.asarray(arr.filter(pa.array(ph)).to_numpy(zero_copy_only=False))
            raw.cleaned.append(("placeholder", c, rows[ph], shown))
            arr = pc.if_else(pa.array(ph), none, arr)
            changed = True
        if changed:
            new = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
            if isinstance(s.dtype, pd.StringDtype):
                frame[c] = pd.Series(pd.array(arr, dtype=s.dtype), index=frame.index)
            else:
                out = s.to_numpy(dtype=object).copy()
                sel = is_str if is_str is not None else s.notna().to_numpy(dtype=bool)
                out[sel] = new[sel]
                frame[c] = pd.Series(out, index=frame.index, dtype=object)
    raw.frame = frame


def _categories(s: pd.Series) -> tuple[Any, np.ndarray]:
    """A categorical column's categories as a pyarrow string array, and its codes."""
    import pyarrow as pa

    cats = pa.array(np.asarray(s.cat.categories, dtype=object), type=pa.string())
    return cats, s.cat.codes.to_numpy()


def _per_cell(mask_u: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A mask over the categories broadcast to the cells (missing cells: False)."""
    if not len(mask_u):
        return np.zeros(len(codes), dtype=bool)
    return (codes >= 0) & mask_u[np.maximum(codes, 0)]


def recode_categorical(s: pd.Series, new_categories: Any) -> pd.Series:
    """``s`` with its categories replaced one for one by ``new_categories`` (same order).

    A new category may be missing (those cells become missing) or equal another (their
    cells merge). The categories stay distinct strings; no cell is expanded to text.
    """
    codes = s.cat.codes.to_numpy()
    new = pd.Series(pd.array(new_categories, dtype="string"))
    ucodes, uniq = pd.factorize(new)
    out = np.where(codes >= 0, ucodes[np.maximum(codes, 0)] if len(ucodes) else -1, -1)
    cats = pd.Index(np.asarray(uniq, dtype=object), dtype=s.cat.categories.dtype)
    return pd.Series(
        pd.Categorical.from_codes(out.astype(codes.dtype), categories=cats),
        index=s.index,
        name=s.name,
    )


def drop_hash_table(index: pd.Index) -> None:
    """Drop the hash table pandas caches on a categorical's categories.

    Building a ``Categorical`` checks that its categories are unique, and pandas keeps
    the hash table of that check (one Python string object plus a hash slot per
    category) for the life of the column: for 12M goal ids about 1 GiB, more than the
    column itself. It is rebuilt on demand if a lookup needs it; no value changes.
    """
    cache = getattr(index, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def smallest_int(s: pd.Series) -> pd.Series:
    """``s`` (whole numbers) in the smallest nullable integer dtype that holds every value."""
    s = s.astype("Int64") if not isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s
    values = s.dropna()
    if len(values) == 0:
        return s.astype("Int8")
    lo, hi = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return s.astype(f"Int{info.bits}")
    return s.astype("Int64")


def float32_if_exact(s: pd.Series) -> pd.Series:
    """``s`` (float64) as float32 when every value survives the round trip exactly."""
    a = s.to_numpy()
    b = a.astype(np.float32)
    same = (b.astype(np.float64) == a) | np.isnan(a)
    return s.astype("float32") if bool(same.all()) else s


def release_memory() -> None:
    """Return freed memory to the OS: Arrow's pool and the glibc heap (Linux)."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def _clean_categorical(raw: RawTable, frame: pd.DataFrame, c: str, rows: np.ndarray) -> None:
    """:func:`_clean_cells` for a dictionary-encoded (categorical) column.

    The same rules on the distinct values only; the changed cells are listed cell by cell
    as for a text column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = TABLES.get(raw.name)
    s = frame[c]
    arr, codes = _categories(s)
    if not len(arr):
        return
    changed = False
    free = table is not None and c in table.column_names and table.column(c).free_text
    none = pa.scalar(None, pa.string())
    if not free:
        inv_u = _mask(
            pc.or_(pc.match_substring_regex(arr, _INVISIBLE_RE), pc.match_substring(arr, _NBSP))
        )
        if inv_u.any():
            inv = _per_cell(inv_u, codes)
            shown_u = np.array(
                [_visible(v) if v is not None else "" for v in arr.to_pylist()], dtype=object
            )
            raw.cleaned.append(("invisible_character", c, rows[inv], shown_u[codes[inv]]))
            arr = pc.replace_substring_regex(arr, _INVISIBLE_RE, "")
            arr = pc.utf8_trim_whitespace(pc.replace_substring(arr, _NBSP, " "))
            arr = pc.if_else(pc.equal(arr, ""), none, arr)
            changed = True
    words = _placeholder_spellings(frozenset(PLACEHOLDERS - _accepted_words(raw.name, c)))
    ph_u = _mask(pc.is_in(arr, value_set=words))
    if ph_u.any():
        ph = _per_cell(ph_u, codes)
        shown_u = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
        raw.cleaned.append(("placeholder", c, rows[ph], shown_u[codes[ph]]))
        arr = pc.if_else(pa.array(ph_u), none, arr)
        changed = True
    if changed:
        frame[c] = recode_categorical(s, arr)


def _drop_totals_rows(raw: RawTable) -> None:
    """A row whose first column says "Totaal" (or "Total", "Som", ...) adds up the others.

    It is not data: it is taken out and recorded in ``raw.totals_rows`` (one warning per
    row, and the exclusion log), instead of one error per column of sums.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = raw.frame
    if frame.empty or frame.shape[1] == 0:
        return
    first = frame.iloc[:, 0]
    codes = None
    if isinstance(first.dtype, pd.CategoricalDtype):
        arr, codes = _categories(first)
    elif first.dtype == object or isinstance(first.dtype, pd.StringDtype):
        arr, _ = _string_cells(first)
    else:
        return
    if arr is None:
        return
    key = pc.utf8_lower(pc.utf8_trim(pc.utf8_trim_whitespace(arr), characters=": "))
    hit = _mask(pc.is_in(key, value_set=pa.array(sorted(TOTALS_WORDS), pa.string())))
    if codes is not None:
        hit = _per_cell(hit, codes)
    if hit.any():
        raw.totals_rows = [int(r) for r in frame.index[hit]]
        raw.frame = frame.iloc[np.flatnonzero(~hit)]


def _finish_frame(
    name: str, source: str, header_cells: list[object], body: pd.DataFrame, first_row: int = 2
) -> RawTable:
    """Name columns, number rows (header = ``first_row - 1``), drop blank rows/columns."""
    header: dict[str, str] = {}
    keep: list[int] = []
    names: list[str] = []
    duplicates: list[str] = []
    for i, h in enumerate(header_cells):
        key = normalise_name(h)
        if not key:
            col = body.iloc[:, i] if i < body.shape[1] else pd.Series([], dtype=object)
            if col.isna().all():
                continue  # an empty column without a header is not data
            key = f"unnamed_{i + 1}"
        if key in header:
            duplicates.append(key)
            continue
        header[key] = "" if h is None else str(h).replace("\ufeff", "").strip()
        keep.append(i)
        names.append(key)
    frame = body.iloc[:, keep] if keep else pd.DataFrame(index=body.index)
    frame.columns = names
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    blank = frame.isna().all(axis=1).to_numpy() if frame.shape[1] else np.ones(len(frame), bool)
    blank_rows: list[int] = []
    if blank.any():
        nonblank = np.flatnonzero(~blank)
        last = nonblank[-1] if len(nonblank) else -1
        inner = np.flatnonzero(blank[: last + 1])  # blank rows after the last data row: not data
        blank_rows = [int(frame.index[i]) for i in inner]
        frame = frame.iloc[np.flatnonzero(~blank)]
    raw = RawTable(
        name=name,
        source=source,
        frame=frame,
        header=header,
        blank_rows=blank_rows,
        duplicate_columns=duplicates,
    )
    _drop_totals_rows(raw)
    _clean_cells(raw)
    return raw


def _header_index(rows: list[list[object]], name: str | None) -> int:
    """Index of the header among the first rows: the first row naming two or more columns.

    Rows above it (a title such as "Overzicht trajecten 2025") are not the header. 0 when
    no row names two columns of the table (then the first row is the header, as before).
    """
    table = TABLES.get(name or "")
    if table is None:
        return 0
    names = set(table.column_names) | set(column_aliases(table.name))
    for i, cells in enumerate(rows[:6]):
        known = sum(normalise_name(c) in names for c in cells if c is not None)
        if known >= min(2, len(names)):
            return i
    return 0


def _title_lines(text: str, name: str | None) -> int:
    """Number of title lines above the header of a CSV text (see :func:`_header_index`)."""
    lines = text[:65536].split("\n")[:6]
    cells = [
        [c.strip().strip('"') for c in ln.split(sniff_separator(ln))] if ln.strip() else []
        for ln in lines
    ]
    return _header_index(cells, name)


def read_csv_table(path: str | Path, name: str | None = None) -> RawTable:
    """Read one CSV file (any of the accepted dialects) into a :class:`RawTable`.

    Encoding (UTF-8 with/without BOM, UTF-16, cp1252) and separator (``;``, ``,``,
    tab, ``|``) are detected. Every cell is kept as a stripped string; empty cells
    become ``<NA>``. A ``;``-separated file is taken to use the decimal comma.

    Raises
    ------
    pandas.errors.ParserError
        When a line has more fields than the header.
    """
    path = Path(path)
    data = path.read_bytes()
    text, encoding = decode_bytes(data)
    table_name = name or table_for_name(path.stem)
    n_title = _title_lines(text, table_name)
    title_rows: list[int] = []
    if n_title:
        head = text.split("\n", n_title)
        title_rows = [i + 1 for i, ln in enumerate(head[:n_title]) if ln.strip()]
        text = head[n_title] if len(head) > n_title else ""
    sep = sniff_separator(text)
    import pyarrow as pa
    import pyarrow.compute as pc

    width = _csv_width(text, sep)
    columns = None
    own_bytes = encoding in ("utf-8", "utf-8-sig") and not n_title
    if width is not None:
        if own_bytes:  # arrow reads the file's own bytes
            del text  # (the decoded text is only needed again on the general route)
            buf: Any = memoryview(data)[3:] if encoding == "utf-8-sig" else data
        else:
            buf = text.encode("utf-8")
        columns = _csv_columns_arrow(buf, sep, width)
        del buf
        if columns is None and own_bytes:
            text, _ = decode_bytes(data)
    del data
    if columns is None:  # the general route (also the one that reports ragged lines)
        df = pd.read_csv(
            StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
        columns = [
            pa.array(df[c].array)
            if hasattr(df[c].array, "__arrow_array__")
            else pa.array(df[c].to_numpy(dtype=object), type=pa.string())
            for c in df.columns
        ]
        del df, text
    if not columns or len(columns[0]) == 0:
        header_cells: list[object] = []
        body = pd.DataFrame()
    else:
        header_cells = [restore_text(a[0].as_py()) for a in columns]
        empty = pa.scalar(None, type=pa.string())
        cols = {}
        for i, a in enumerate(columns):  # strip, empty -> missing; in arrow, without a Python loop
            a = a.slice(1)
            if isinstance(a, pa.ChunkedArray):
                a = a.combine_chunks()
            a = pc.utf8_trim(a.cast(pa.string()), characters=_ASCII_SPACE)
            a = pc.if_else(pc.equal(a, ""), empty, a)
            cols[i] = pd.array(_restore_arrow(a), dtype="string")
        body = pd.DataFrame(cols)
    raw = _finish_frame(
        table_name or path.stem, path.name, header_cells, body, first_row=2 + n_title
    )
    raw.title_rows = title_rows
    raw.decimal = "," if sep == ";" else "."
    raw.encoding = encoding
    raw.separator = sep
    return raw


def _restore_arrow(a: Any) -> Any:
    """:func:`restore_text` over a pyarrow string array (vectorised)."""
    import pyarrow.compute as pc

    quoted = pc.fill_null(pc.match_substring_regex(a, _ESCAPED_RE), False)
    if not pc.any(quoted).as_py():
        return a
    rest = pc.utf8_slice_codeunits(a, 1)
    number = pc.fill_null(pc.match_substring_regex(rest, _PLAIN_NUMBER_RE), False)
    return pc.if_else(pc.and_(quoted, pc.invert(number)), rest, a)


def _csv_width(text: str, sep: str) -> int | None:
    """Number of fields in the header row of a CSV text, or None when it is empty or unreadable.

    Only the first MiB is parsed (whole lines); when the header row does not fit, the
    whole text.
    """
    if not text or text.isspace():  # (not text.strip(): that copies the whole file)
        return None
    head = text
    if len(text) > 1 << 20:
        cut = text.rfind("\n", 0, 1 << 20)
        head = text[: cut + 1] if cut > 0 else text
    for t in (head, text) if head is not text else (text,):
        try:
            first = pd.read_csv(
                StringIO(t),
                sep=sep,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                nrows=1,
            )
            return int(first.shape[1])
        except Exception:  # noqa: BLE001 - the whole text next; the general route reports it
            continue
    return None


def _csv_columns_arrow(buf: Any, sep: str, width: int) -> list[Any] | None:
    """The cells of a UTF-8 CSV as one pyarrow string array per column (header row first).

    pyarrow's multithreaded reader, with every column read as text and nothing read as
    missing: the same cells as ``pandas.read_csv(..., header=None, dtype=str,
    na_filter=False)`` with the C engine, about twice as fast on large files.
    Returns None (the caller then takes the pandas route, which also reports the
    exact line of a ragged row) when pyarrow refuses the file, e.g. a line with a
    different number of fields than the header's ``width``, or invalid UTF-8.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    try:
        tb = pacsv.read_csv(
            pa.py_buffer(buf),
            read_options=pacsv.ReadOptions(column_names=names, encoding="utf8"),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return [tb.column(n) for n in names]


def read_parquet_table(
    path: str | Path, name: str | None = None, compact: bool = False
) -> RawTable:
    """Read one parquet file; columns keep their stored dtypes.

    With ``compact`` the file is read one column at a time, every text column with
    repeating values dictionary-encoded (a pandas categorical: each distinct text stored
    once), whole numbers in the smallest integer dtype and decimals as float32 where
    every value survives exactly, so a table of tens of millions of rows is never held
    as text; the values are the same.
    """
    path = Path(path)
    if compact:
        header, body = _read_parquet_compact(path)
    else:
        df = pd.read_parquet(path)
        header = list(df.columns)
        body = df.reset_index(drop=True)
        del df
        body.columns = range(body.shape[1])
    raw = _finish_frame(name or table_for_name(path.stem) or path.stem, path.name, header, body)
    raw.decimal = "."
    return raw


def _read_parquet_compact(path: Path) -> tuple[list[object], pd.DataFrame]:
    """Header and body of a parquet file, column by column, text dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = list(pq.read_schema(path))
    names = [f.name for f in fields]
    if len(set(names)) < len(names):  # a repeated column name: read as a whole
        df = pd.read_parquet(path)
        body = df.reset_index(drop=True)
        body.columns = range(body.shape[1])
        return list(df.columns), body
    cols: dict[int, pd.Series] = {}
    for i, f in enumerate(fields):
        text = pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        t = pq.read_table(path, columns=[f.name], read_dictionary=[f.name] if text else None)
        if text and _mostly_distinct(t.column(0)):  # ids: plain text is smaller than a dictionary
            a = t.column(0).cast(pa.large_string())
            del t
            s = pd.Series(pd.array(a, dtype="string"), name=f.name)
            del a
            cols[i] = s
            release_memory()
            continue
        s = t.to_pandas(self_destruct=True)[f.name]
        del t
        if isinstance(s.dtype, pd.CategoricalDtype):
            drop_hash_table(s.cat.categories)
        elif pa.types.is_integer(f.type):  # the same numbers in fewer bytes
            s = smallest_int(s)
        elif pa.types.is_float64(f.type):
            s = float32_if_exact(s)
        cols[i] = s.reset_index(drop=True)
        release_memory()
    body = pd.DataFrame(cols, copy=False)
    return names, body


def _mostly_distinct(col: Any) -> bool:
    """True when a dictionary-encoded column has more distinct values than half its cells.

    Judged on the first row group (its own dictionary): only a storage choice, the values
    are the same either way.
    """
    chunks = [c for c in col.chunks if len(c)]
    if not chunks:
        return False
    return 2 * len(chunks[0].dictionary) > len(chunks[0])


def _sheet_rows(ws: Any, name: str | None = None) -> tuple[list[object], pd.DataFrame, int]:
    """Header, body and the number of title rows above the header of a worksheet."""
    rows = list(ws.iter_rows(values_only=True))
    n_title = _header_index([list(r) for r in rows[:6]], name) if rows else 0
    rows = rows[n_title:]
    if not rows:
        return [], pd.DataFrame(), n_title
    header = [restore_text(h) for h in rows[0]]
    width = len(header)
    data = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
    body = pd.DataFrame(data, columns=range(width), dtype=object)
    for c in body.columns:
        s = body[c]
        is_str = s.map(lambda v: isinstance(v, str))
        if is_str.any():
            stripped = s[is_str].map(lambda v: restore_text(v.strip(_ASCII_SPACE)))
            s = s.copy()
            s[is_str] = stripped.where(stripped != "", None)
            body[c] = s
    body = body.where(body.notna(), None)
    return header, body, n_title


def read_xlsx(
    path: str | Path,
) -> tuple[dict[str, RawTable], dict[str, Any] | None, list[ReadIssue]]:
    """Read a workbook: one sheet per table (English or Dutch name) plus a ``study`` sheet.

    Returns
    -------
    tables, study, issues
        ``study`` is the nested settings dict from the ``study`` sheet (columns
        ``key``, ``value``; keys like ``study.instrument``), or None without one.
    """
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    tables: dict[str, RawTable] = {}
    issues: list[ReadIssue] = []
    study: dict[str, Any] | None = None
    try:
        for ws in wb.worksheets:
            key = normalise_name(ws.title)
            source = f"{path.name} [{ws.title}]"
            if key in NON_DATA_SHEETS:
                continue
            if key in STUDY_SHEETS:
                header, body, _ = _sheet_rows(ws)
                study = _study_from_rows(header, body)
                continue
            name = table_for_name(key)
            if name is None:
                issues.append(ReadIssue("unknown_sheet", source, None, "", ws.title))
                continue
            if name in tables:
                issues.append(
                    ReadIssue(
                        "duplicate_table",
                        source,
                        None,
                        "",
                        ws.title,
                        {"other": tables[name].source},
                    )
                )
                continue
            header, body, n_title = _sheet_rows(ws, name)
            raw = _finish_frame(name, source, header, body, first_row=2 + n_title)
            raw.title_rows = list(range(1, n_title + 1))
            raw.merged = _merged_ranges(path, ws, header, n_title)
            raw.decimal = "auto"
            tables[name] = raw
    finally:
        wb.close()
    return tables, study, issues


def _merged_ranges(
    path: Path, ws: Any, header: list[object], n_title: int
) -> list[tuple[str, int, str]]:
    """Merged cell ranges of a worksheet below its title rows: ``(range, first row, column)``.

    openpyxl's read-only sheets do not expose ``merged_cells``; the ranges are read from
    the sheet's XML (``<mergeCell ref="A2:A5"/>``).
    """
    import zipfile

    from openpyxl.utils.cell import range_boundaries

    sheet_path = getattr(ws, "_worksheet_path", None)
    if not sheet_path:
        return []
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_path.lstrip("/"))
    out = []
    for ref in re.findall(rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
        ref_s = ref.decode()
        min_col, min_row, _, max_row = range_boundaries(ref_s)
        if max_row <= n_title:  # a title merged over the columns: reported as the title
            continue
        h = header[min_col - 1] if min_col - 1 < len(header) else None
        out.append((ref_s, int(min_row), normalise_name(h) or f"unnamed_{min_col}"))
    return out


def _study_from_rows(header: list[object], body: pd.DataFrame) -> dict[str, Any]:
    """Study settings from a key/value sheet (``study.instrument`` | ``wat_telt``)."""
    out: dict[str, Any] = {}
    if body.empty or body.shape[1] < 2:
        return out
    for key, value in zip(body.iloc[:, 0], body.iloc[:, 1], strict=False):
        if key is None or value is None or (isinstance(value, str) and value == ""):
            continue
        k = str(key).strip()
        section, _, sub = k.rpartition(".")
        section = section or "study"
        if section == "study" and sub == "extra_covariates" and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.setdefault(section, {})[sub] = value
    return out


def read_study_toml(path: str | Path) -> dict[str, Any]:
    """Parse ``study.toml`` (raises ``tomllib.TOMLDecodeError`` on bad syntax)."""
    text, _ = decode_bytes(Path(path).read_bytes())
    return tomllib.loads(text)


#: A parquet file of a child table with at least this many rows is read compactly
#: (:func:`read_parquet_table` with ``compact``): national-scale packages fit in memory.
COMPACT_MIN_ROWS = 1_000_000
#: Tables never read compactly: one row per trajectory, their text is the outcome table's.
NOT_COMPACT = frozenset({"trajectories"})


def _compact_file(p: Path, name: str, compact: bool | None) -> bool:
    """Whether to read parquet file ``p`` of table ``name`` compactly."""
    if name in NOT_COMPACT or compact is False:
        return False
    if compact:
        return True
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(p).num_rows >= COMPACT_MIN_ROWS
    except Exception:  # noqa: BLE001 - the reader itself reports an unreadable file
        return False


def read_package(path: str | Path, compact: bool | None = None) -> RawPackage:
    """Read a pilot data package without judging it.

    ``path`` is a folder of CSV files, a folder of parquet files (the two may be
    mixed per table), one ``.xlsx`` workbook, or a folder holding exactly one
    workbook and no table files. Table files are found by name, case-insensitively,
    English (``goals.csv``) or Dutch (``doelen.csv``). Problems met while reading
    (missing path, unreadable file, two files for one table, unknown files) are
    returned as :class:`ReadIssue` items in ``.issues``; nothing raises on bad data.

    ``compact``: read the parquet files of the child tables with their text
    dictionary-encoded (:func:`read_parquet_table`); ``None`` (default) does so for
    files of at least :data:`COMPACT_MIN_ROWS` rows. The checks and the outcomes are
    the same either way.
    """
    path = Path(path)
    if not path.exists():
        return RawPackage(
            path=path,
            kind="missing",
            base_dir=path.parent,
            issues=[ReadIssue("missing_path", str(path))],
        )
    if path.is_file():
        if path.suffix.lower() in XLSX_SUFFIXES:
            return _read_workbook_package(path)
        return RawPackage(
            path=path,
            kind="missing",
            base_dir=path.parent,
            issues=[ReadIssue("not_a_package", path.name)],
        )
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    by_table: dict[str, list[Path]] = {}
    issues: list[ReadIssue] = []
    workbooks: list[Path] = []
    for p in files:
        suffix = p.suffix.lower()
        if suffix in XLSX_SUFFIXES:
            workbooks.append(p)
            continue
        if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
            continue
        name = table_for_name(p.stem)
        if name is None:
            issues.append(ReadIssue("unknown_file", p.name, None, "", p.name))
            continue
        by_table.setdefault(name, []).append(p)
    if not by_table and len(workbooks) == 1:
        pkg = _read_workbook_package(workbooks[0])
        pkg.issues = issues + pkg.issues
        return pkg
    for wbk in workbooks:
        issues.append(ReadIssue("unknown_file", wbk.name, None, "", wbk.name))
    pkg = RawPackage(path=path, kind="csv", base_dir=path)
    kinds: set[str] = set()
    for name, candidates in by_table.items():
        if len(candidates) > 1:
            issues.append(
                ReadIssue(
                    "duplicate_table",
                    candidates[1].name,
                    None,
                    "",
                    candidates[1].name,
                    {"other": candidates[0].name},
                )
            )
        p = candidates[0]
        progress.step(p.name)
        try:
            if p.suffix.lower() in PARQUET_SUFFIXES:
                pkg.tables[name] = read_parquet_table(p, name, _compact_file(p, name, compact))
                kinds.add("parquet")
            else:
                pkg.tables[name] = read_csv_table(p, name)
                kinds.add("csv")
        except MixedEncodingError as exc:
            for ln in exc.lines:
                issues.append(ReadIssue("mixed_encoding", p.name, ln))
        except MemoryError:  # not a fault of the file: validate / load say what to do
            raise
        except Exception as exc:  # noqa: BLE001 - any reader failure is reported, not raised
            line = re.search(r"line (\d+)", str(exc))
            issues.append(
                ReadIssue(
                    "unreadable_file",
                    p.name,
                    int(line.group(1)) if line else None,
                    "",
                    "",
                    {"error": f"{type(exc).__name__}: {exc}"},
                )
            )
    pkg.kind = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "csv")
    study_path = next((p for p in files if p.name.lower() == "study.toml"), None)
    if study_path is not None:
        try:
            pkg.study = read_study_toml(study_path)
        except Exception as exc:  # noqa: BLE001
            issues.append(
                ReadIssue("study_unreadable", study_path.name, None, "", "", {"error": str(exc)})
            )
            pkg.study = {}
    pkg.issues = issues
    return pkg


def _read_workbook_package(path: Path) -> RawPackage:
    pkg = RawPackage(
        path=path, kind="xlsx", base_dir=path.parent, study_source=f"{path.name} [study]"
    )
    try:
        tables, study, issues = read_xlsx(path)
    except Exception as exc:  # noqa: BLE001
        pkg.issues.append(
            ReadIssue(
                "unreadable_file",
                path.name,
                None,
                "",
                "",
                {"error": f"{type(exc).__name__}: {exc}"},
            )
        )
        return pkg
    pkg.tables = tables
    pkg.issues.extend(issues)
    if study is None:
        toml_path = path.parent / "study.toml"
        if toml_path.exists():
            pkg.study_source = "study.toml"
            try:
                study = read_study_toml(toml_path)
            except Exception as exc:  # noqa: BLE001
                pkg.issues.append(
                    ReadIssue("study_unreadable", "study.toml", None, "", "", {"error": str(exc)})
                )
                study = {}
    pkg.study = study
    return pkg
