"""The problem list: collecting problems, rendering messages, :class:`ValidationError`.

Checks add problems as column vectors to a :class:`Problems` collector (one frame per
check, both languages); :func:`render` turns them into the public layout
(:data:`PROBLEM_COLUMNS`) with messages in one language; :func:`format_problems` is the
readable text of the ``validate`` command.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..bsn import MASK, redact, redact_array
from ..errors import DataError
from ..i18n import Lang, catalogue, pair, text, texts
from .registry import REASONS

__all__ = [
    "PROBLEM_COLUMNS",
    "MASK",
    "MAX_VALUE_CHARS",
    "Problems",
    "render",
    "format_problems",
    "ValidationError",
    "did_you_mean",
]

#: Columns of the problem list returned by :func:`~wattelt_eval.validation.validate`.
PROBLEM_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "expected", "message"]
#: Longest value shown in a message.
MAX_VALUE_CHARS = 60

#: Columns of the internal problem frame (both languages).
_INTERNAL = [
    "file",
    "row",
    "column",
    "value",
    "rule",
    "severity",
    "expected_nl",
    "expected_en",
    "detail_nl",
    "detail_en",
]

_NONE = ("", "")


def did_you_mean(suggestion: str | None) -> tuple[str, str]:
    """``("Bedoelde u 'x'?", "Did you mean 'x'?")``, or empty texts without a suggestion."""
    return pair("common.did_you_mean", suggestion=suggestion) if suggestion else _NONE


def fill(key: str, **vectors: Any) -> tuple[np.ndarray, np.ndarray]:
    """The catalogue text ``key`` per row, (nl, en) arrays, from equally long vectors."""
    nl_t, en_t = (catalogue()[key][lang] for lang in ("nl", "en"))
    cols = {k: np.asarray(v, dtype=object) for k, v in vectors.items()}
    n = len(next(iter(cols.values()))) if cols else 0
    rows = [{k: v[i] for k, v in cols.items()} for i in range(n)]
    return (
        np.array([nl_t.format(**r) for r in rows], dtype=object),
        np.array([en_t.format(**r) for r in rows], dtype=object),
    )


class Problems:
    """Collects problems as column vectors (one DataFrame per check)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        rule: str,
        file: str,
        rows: Any = None,
        column: str = "",
        values: Any = "",
        expected: tuple[Any, Any] = _NONE,
        detail: tuple[Any, Any] = _NONE,
    ) -> None:
        """Add problems of one rule; ``rows``/``values``/expected/detail may be vectors."""
        if rows is None:
            rows_arr = pd.array([pd.NA], dtype="Int64")
        else:
            rows_arr = pd.array(np.atleast_1d(np.asarray(rows)), dtype="Int64")
        n = len(rows_arr)
        if n == 0:
            return
        self.parts.append(
            pd.DataFrame(
                {
                    "file": file,
                    "row": rows_arr,
                    "column": column,
                    "value": _show(values, n),
                    "rule": rule,
                    "severity": REASONS[rule].severity,
                    "expected_nl": _vec(expected[0], n),
                    "expected_en": _vec(expected[1], n),
                    "detail_nl": _vec(detail[0], n),
                    "detail_en": _vec(detail[1], n),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All problems so far, internal layout (both languages)."""
        if not self.parts:
            return pd.DataFrame(
                {c: pd.Series([], dtype="Int64" if c == "row" else object) for c in _INTERNAL}
            )
        df = pd.concat(self.parts, ignore_index=True)
        # no BSN in any text a problem repeats: file and sheet names, headers, values, advice
        for c in (
            "file",
            "column",
            "value",
            "expected_nl",
            "expected_en",
            "detail_nl",
            "detail_en",
        ):
            codes, uniq = pd.factorize(df[c].astype(object).fillna(""))
            if len(uniq):
                df[c] = redact_array(np.asarray(uniq, dtype=object))[codes]
        return df


def _vec(x: Any, n: int) -> Any:
    if isinstance(x, (pd.Series, np.ndarray, list)):
        arr = np.asarray(x, dtype=object)
        return arr if len(arr) == n else np.resize(arr, n)
    return [x] * n


def _show(values: Any, n: int) -> Any:
    """Values as the user wrote them, as short strings ('' for missing)."""
    if isinstance(values, (pd.Series, np.ndarray, list)):
        s = pd.Series(np.asarray(values, dtype=object)).astype("string").fillna("")
        long = s.str.len() > MAX_VALUE_CHARS
        if long.any():
            s[long] = s[long].str.slice(0, MAX_VALUE_CHARS - 1) + "…"
        return s.astype(object).to_numpy()
    v = "" if values is None else str(values)
    if len(v) > MAX_VALUE_CHARS:
        v = v[: MAX_VALUE_CHARS - 1] + "…"
    return [v] * n


def drop_shadowed_by_bsn(df: pd.DataFrame) -> pd.DataFrame:
    """A BSN cell gets only its ``bsn`` problem: other problems there would repeat the value."""
    is_bsn = df["rule"] == "bsn"
    if not is_bsn.any():
        return df
    key = (
        df["file"].astype(str) + "\x00" + df["row"].astype(str) + "\x00" + df["column"].astype(str)
    )
    bsn_keys = set(key[is_bsn])
    return df[is_bsn | ~key.isin(bsn_keys)].reset_index(drop=True)


#: reference column -> the id column it points at
_REFERENCES = {"trajectory_id": "trajectory_id", "derived_from": "goal_id"}


def group_references(df: pd.DataFrame) -> pd.DataFrame:
    """Root causes first: references that do not exist, grouped, and folded into their cause.

    * When the referenced table has a duplicate id and the references that do not exist
      name at most as many distinct ids as there are duplicates, the duplicate is the
      likely cause (one row typed with the id of another): the references become a count
      in the ``duplicate_id`` problem's advice, not one line each.
    * Other references that do not exist are one problem per file, column and value, at
      the first row, with the number of rows and the first row numbers.
    """
    is_ref = (df["rule"] == "unknown_reference").to_numpy(dtype=bool)
    if not is_ref.any():
        return df
    df = df.copy()
    drop = np.zeros(len(df), dtype=bool)
    for ref_col, id_col in _REFERENCES.items():
        refs = is_ref & (df["column"] == ref_col).to_numpy(dtype=bool)
        dups = ((df["rule"] == "duplicate_id") & (df["column"] == id_col)).to_numpy(dtype=bool)
        if not (refs.any() and dups.any()):
            continue
        values = pd.unique(df.loc[refs, "value"])
        if len(values) > int(dups.sum()):
            continue
        per_file = df.loc[refs].groupby("file", sort=False).size()
        files = ", ".join(f"{f} ({n})" for f, n in per_file.items())
        shown = ", ".join(f"'{v}'" for v in values[:5])
        first = int(np.flatnonzero(dups)[0])
        for lang in ("nl", "en"):
            extra = text(
                "validation.detail.references_broken",
                lang,
                n=int(refs.sum()),
                values=shown,
                files=files,
                column=ref_col,
            )
            old = df.at[first, f"detail_{lang}"]
            df.at[first, f"detail_{lang}"] = f"{old}. {extra}" if old else extra
        drop |= refs
    df = df[~drop].reset_index(drop=True)
    is_ref = (df["rule"] == "unknown_reference").to_numpy(dtype=bool)
    if not is_ref.any():
        return df
    refs = df[is_ref]
    key = refs["file"].astype(str) + "\x00" + refs["column"].astype(str) + "\x00" + refs["value"]
    n = key.map(key.value_counts())
    first = ~key.duplicated(keep="first")
    keep = refs[first.to_numpy()].copy()
    many = (n[first] > 1).to_numpy()
    if many.any():
        rows = (
            refs["row"]
            .astype(str)
            .groupby(key.to_numpy(), sort=False)
            .agg(lambda r: ", ".join(list(r)[:10]) + (", …" if len(r) > 10 else ""))
        )
        for lang in ("nl", "en"):
            col = np.array(keep[f"detail_{lang}"].astype(object).to_numpy(), dtype=object)
            kk = key[first].to_numpy()
            nn = n[first].to_numpy()
            for i in np.flatnonzero(many):
                extra = text("validation.detail.rows_count", lang, n=int(nn[i]), rows=rows[kk[i]])
                col[i] = f"{col[i]}. {extra}" if col[i] else extra
            keep[f"detail_{lang}"] = col
    return pd.concat([df[~is_ref], keep]).sort_index(kind="stable").reset_index(drop=True)


def sort_problems(df: pd.DataFrame, sources: dict[str, str]) -> pd.DataFrame:
    """Root causes first: problems about the package, then per table (schema order) and row."""
    if df.empty:
        return df
    order = {src: i for i, src in enumerate(sources.values())}
    file_rank = df["file"].map(order).fillna(-1)
    tmp = df.assign(_f=file_rank, _r=df["row"].fillna(0).astype("int64"))
    tmp = tmp.sort_values(["_f", "file", "_r"], kind="stable")
    return tmp.drop(columns=["_f", "_r"]).reset_index(drop=True)


def render(internal: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Problem list in the public layout with messages in ``lang``."""
    if internal.empty:
        out = pd.DataFrame({c: pd.Series([], dtype="string") for c in PROBLEM_COLUMNS})
        out["row"] = out["row"].astype("Int64")
        return out
    exp = internal[f"expected_{lang}"].astype(object).fillna("")
    det = internal[f"detail_{lang}"].astype(object).fillna("")
    templates = texts("validation.rule", lang)
    rl, cl, el = (text(f"common.{k}", lang) for k in ("row", "column", "expected"))
    messages = []
    for f, r, c, v, rule, e, d in zip(
        internal["file"],
        internal["row"],
        internal["column"],
        internal["value"],
        internal["rule"],
        exp,
        det,
        strict=True,
    ):
        loc = f
        if r is not pd.NA and r == r:
            loc += f", {rl} {r}"
        if c:
            loc += f", {cl} {c}"
        msg = f"{loc}: {templates[rule].format(value=v)}"
        if e:
            msg += f" — {el}: {e}"
        if d:
            msg += f". {d}"
        messages.append(msg)
    out = pd.DataFrame(
        {
            "file": internal["file"].astype("string"),
            "row": internal["row"].astype("Int64"),
            "column": internal["column"].astype("string"),
            "value": internal["value"].astype("string"),
            "rule": internal["rule"].astype("string"),
            "severity": internal["severity"].astype("string"),
            "expected": exp.astype("string"),
            "message": pd.array(messages, dtype="string"),
        }
    )
    return out.reset_index(drop=True)


def _count(kind: str, n: int, lang: Lang) -> str:
    return text(f"validation.report.{kind}_{'one' if n == 1 else 'many'}", lang, n=n)


class ValidationError(DataError):
    """Raised by :func:`~wattelt_eval.validation.load` when the data package has errors.

    A :class:`~wattelt_eval.errors.DataError` (exit code 1 on the command line).

    Attributes
    ----------
    problems : DataFrame
        Every problem found (errors and warnings), columns :data:`PROBLEM_COLUMNS`.
    source : str
        The package checked.
    """

    def __init__(self, problems: pd.DataFrame, source: str = "", lang: Lang = "nl") -> None:
        self.problems = problems
        self.source = source = redact(source)
        errors = problems[problems["severity"] == "error"]
        n = len(errors)
        lines = [f"  - {m}" for m in errors["message"].head(10)]
        if n > 10:
            lines.append(f"  ... (+{n - 10})")
        msgs = {}
        for lg in ("nl", "en"):
            where = source or text("validation.error.the_data", lg)
            head = text(
                f"validation.error.head_{'one' if n == 1 else 'many'}", lg, n=n, source=where
            )
            msgs[lg] = "\n".join([head, *lines])
        super().__init__(msgs["nl"], msgs["en"])
        # the message is the one of ``lang`` only (the listed problems are in that language)
        self.args = (msgs[lang],)


def format_problems(problems: pd.DataFrame, source: str, lang: Lang = "nl", limit: int = 50) -> str:
    """Problems as readable text (the ``validate`` command's output).

    Parameters
    ----------
    problems : DataFrame
        As returned by :func:`~wattelt_eval.validation.validate`.
    source : str
        The package checked (named in the first line).
    lang : {"nl", "en"}
    limit : int
        At most this many lines per file, column and rule (0 = all).
    """
    source = redact(source)
    n_err = int((problems["severity"] == "error").sum())
    n_warn = int((problems["severity"] == "warning").sum())
    head = text(
        "validation.report.head",
        lang,
        source=source,
        errors=_count("errors", n_err, lang),
        warnings=_count("warnings", n_warn, lang),
    )
    lines = [head]
    if problems.empty:
        lines.append(text("validation.report.clean", lang))
        return "\n".join(lines)
    lines.append("")
    sev = texts("validation.report.severity", lang)
    shown = problems.assign(
        _k=problems.groupby(["file", "column", "rule"], dropna=False, sort=False).cumcount()
    )
    for f, r, c, k, s, m in zip(
        shown["file"],
        shown["rule"],
        shown["column"],
        shown["_k"],
        shown["severity"],
        shown["message"],
        strict=True,
    ):
        if limit and k == limit:
            total = int(
                (
                    (problems["file"] == f) & (problems["column"] == c) & (problems["rule"] == r)
                ).sum()
            )
            more = text("validation.report.more", lang, n=total - limit, file=f, column=c, rule=r)
            lines.append("  " + more)
        if limit and k >= limit:
            continue
        lines.append(f"{sev[s]:<7} {m}")
    return "\n".join(lines)
