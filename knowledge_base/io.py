"""Import and export of the Q&A base as JSON Lines (the shared kb.jsonl format), CSV and XLSX.

Parsing is all or nothing: the first problem raises `ImportFailed` naming the file, line and
field, before anything is written. Text fields lose control characters on the way in (NUL, BEL,
ESC, bidi overrides that can make a reply read differently from what was signed); an answer
keeps its line breaks and tabs.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge_base import sheets
from knowledge_base.errors import ImportFailed
from knowledge_base.models import Sensitivity

# The content of an entry (everything but its id); one list for files, store and console.
CONTENT_FIELDS = (
    "question",
    "variants",
    "answer",
    "category",
    "department",
    "sensitivity",
    "valid_from",
    "valid_until",
)
COLUMNS = ("id", *CONTENT_FIELDS)

# An answer is sent as the reply, with its stamp, in one Telegram message (4096 characters):
# the same limit as an operator's own wording (workflow.review.REPLY_TEXT_LIMIT; a test keeps
# the two equal, since this layer may not import workflow).
ANSWER_LIMIT = 4000

# Invisible characters that change how text reads: explicit bidi embeddings, overrides and
# isolates (U+202E turns "txt.exe" around), direction marks, a byte-order mark inside text.
_INVISIBLE = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_LINE_BREAK = re.compile(r"\r\n?")


@dataclass
class EntryRecord:
    """One validated row of an import file."""

    id: str
    question: str
    answer: str
    variants: list[str] = field(default_factory=list)
    category: str = ""
    department: str = ""
    sensitivity: Sensitivity = Sensitivity.ORDINARY
    valid_from: date | None = None
    valid_until: date | None = None
    line: int = 0


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    problem: str
    code: str = ""  # ImportFailed.code: a front end words it in its language
    # dataclasses.field: the name `field` is this class's attribute here.
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, error: ImportFailed) -> Problem:
        return cls(error.line, error.field, error.problem, error.code, error.params)


def without_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without control and invisible direction characters. A multi-line field (the
    answer) keeps line breaks (CR LF and CR become LF) and tabs; elsewhere they become a
    space."""
    text = _LINE_BREAK.sub("\n", text)
    kept = "\n\t" if multiline else ""
    out = []
    for ch in text:
        if ch in kept:
            out.append(ch)
        elif ch in "\n\t":
            out.append(" ")
        elif ch not in _INVISIBLE and unicodedata.category(ch) != "Cc":
            out.append(ch)
    return "".join(out)


def _text(
    raw: dict[str, Any],
    key: str,
    path: str,
    line: int,
    *,
    required: bool,
    multiline: bool = False,
) -> str:
    value = raw.get(key)
    if value is not None and not isinstance(value, str | int | float):
        raise ImportFailed(path, line, key, f"must be text, got {type(value).__name__}")
    text = "" if value is None else without_controls(str(value), multiline=multiline).strip()
    if not text and required:
        raise ImportFailed(path, line, key, "is missing or empty", code="missing")
    return text


def _date(raw: dict[str, Any], key: str, path: str, line: int) -> date | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):  # a date cell in a spreadsheet: its day is what counts
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ImportFailed(path, line, key, f"is not a date (YYYY-MM-DD): {value!r}") from None


def validate_row(raw: dict[str, Any], path: str, line: int) -> EntryRecord:
    """Check one row; raises ImportFailed naming the line and field."""
    entry_id = _text(raw, "id", path, line, required=True)
    variants_raw = raw.get("variants") or []
    if isinstance(variants_raw, str):
        variants_raw = [v for v in (s.strip() for s in variants_raw.split("|")) if v]
    if not isinstance(variants_raw, list) or not all(isinstance(v, str) for v in variants_raw):
        raise ImportFailed(path, line, "variants", "must be a list of strings (or 'a|b' text)")
    variants = [without_controls(v).strip() for v in variants_raw]
    sens = _text(raw, "sensitivity", path, line, required=False) or "ordinary"
    try:
        sensitivity = Sensitivity(sens)
    except ValueError:
        allowed = ", ".join(s.value for s in Sensitivity)
        raise ImportFailed(
            path, line, "sensitivity", f"is {sens!r}; use one of {allowed}"
        ) from None
    rec = EntryRecord(
        id=entry_id,
        question=_text(raw, "question", path, line, required=True),
        answer=_text(raw, "answer", path, line, required=True, multiline=True),
        variants=[v for v in variants if v],
        category=_text(raw, "category", path, line, required=False),
        department=_text(raw, "department", path, line, required=False),
        sensitivity=sensitivity,
        valid_from=_date(raw, "valid_from", path, line),
        valid_until=_date(raw, "valid_until", path, line),
        line=line,
    )
    if rec.valid_from and rec.valid_until and rec.valid_until < rec.valid_from:
        raise ImportFailed(path, line, "valid_until", "is before valid_from")
    if len(rec.answer) > ANSWER_LIMIT:
        # Refused now, not by Telegram after the reply was signed.
        problem = (
            f"is {len(rec.answer)} characters; sent with its stamp in one Telegram message, "
            f"an answer holds at most {ANSWER_LIMIT}: shorten it or split the entry"
        )
        params = {"length": len(rec.answer), "limit": ANSWER_LIMIT}
        raise ImportFailed(path, line, "answer", problem, code="answer_too_long", params=params)
    return rec


def _unquoted(value: Any) -> Any:
    """A spreadsheet cell as written: the quote our own export put before a formula
    character dropped (knowledge_base.sheets), so an exported file imports unchanged."""
    return sheets.unquote(value) if isinstance(value, str) else value


def _decoded(data: bytes, path: str, fix: str) -> str:
    """A file's text; ImportFailed naming the first line that is not UTF-8 (a file saved as
    GBK, as Excel and Notepad on a Chinese system do by default)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = f"is not UTF-8 text: {fix}"
        raise ImportFailed(path, line, "(file)", problem, code="not_utf8") from None


def _rows_jsonl(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = _decoded(data, path, "save the file as UTF-8").splitlines()
    for lineno, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFailed(path, lineno, "(json)", f"is not valid JSON: {exc.msg}") from None
        if not isinstance(raw, dict):
            raise ImportFailed(path, lineno, "(json)", "must be a JSON object")
        yield lineno, raw


def _rows_csv(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _decoded(data, path, "save the CSV as 'CSV UTF-8' (Excel) or use XLSX")
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            # The physical line the row ended on (a quoted cell may span lines).
            yield reader.line_num, {k.strip(): _unquoted(v) for k, v in row.items() if k}
    except csv.Error as exc:  # a cell over csv.field_size_limit(), say
        limit = csv.field_size_limit()
        problem = f"cannot be read as CSV ({exc}); a cell holds at most {limit} characters"
        params = {"limit": limit}
        line = reader.line_num + 1  # the line it was reading (not counted yet)
        raise ImportFailed(
            path, line, "(file)", problem, code="csv_unreadable", params=params
        ) from None


def _rows_xlsx(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file  # noqa: BLE001
        raise ImportFailed(path, 1, "(file)", f"is not a readable XLSX workbook: {exc}") from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    for index, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        yield index, {h: _unquoted(v) for h, v in zip(header, values, strict=False) if h}


def parse(data: bytes, path: str, fmt: str | None = None) -> list[EntryRecord]:
    """Parse and validate a whole file; raise on the first problem, return all rows otherwise."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    readers = {"jsonl": _rows_jsonl, "json": _rows_jsonl, "csv": _rows_csv, "xlsx": _rows_xlsx}
    if fmt not in readers:
        raise ImportFailed(
            path, 0, "(file)", f"has unknown format {fmt!r}; use jsonl, csv or xlsx"
        )
    records: list[EntryRecord] = []
    seen: dict[str, int] = {}
    for lineno, raw in readers[fmt](data, path):
        rec = validate_row(raw, path, lineno)
        if rec.id in seen:
            raise ImportFailed(path, lineno, "id", f"{rec.id!r} repeats line {seen[rec.id]}")
        seen[rec.id] = lineno
        records.append(rec)
    if not records:
        raise ImportFailed(path, 0, "(file)", "holds no entries")
    return records


def validation_report(data: bytes, path: str, fmt: str | None = None) -> list[Problem]:
    """Every problem in a file (not only the first), for a dry-run preview."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    readers = {"jsonl": _rows_jsonl, "json": _rows_jsonl, "csv": _rows_csv, "xlsx": _rows_xlsx}
    if fmt not in readers:
        return [Problem(0, "(file)", f"unknown format {fmt!r}")]
    problems: list[Problem] = []
    seen: set[str] = set()
    try:
        for lineno, raw in readers[fmt](data, path):
            try:
                rec = validate_row(raw, path, lineno)
            except ImportFailed as exc:
                problems.append(Problem.of(exc))
                continue
            if rec.id in seen:
                problems.append(Problem(lineno, "id", f"{rec.id!r} repeats an earlier line"))
            seen.add(rec.id)
    except ImportFailed as exc:
        problems.append(Problem.of(exc))
    return problems


def export_rows(entries: Iterable[dict[str, Any]], fmt: str) -> bytes:
    """Serialise entries (dicts with COLUMNS) as jsonl, csv or xlsx bytes."""
    rows = list(entries)
    if fmt == "jsonl":
        return "".join(
            json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows
        ).encode()
    flat = [{**r, "variants": "|".join(r.get("variants") or [])} for r in rows]
    table = [["" if r.get(k) is None else str(r.get(k)) for k in COLUMNS] for r in flat]
    if fmt == "csv":
        return sheets.csv_bytes(COLUMNS, table)
    if fmt == "xlsx":
        return sheets.xlsx_bytes(COLUMNS, table)
    msg = f"unknown export format {fmt!r}; use jsonl, csv or xlsx"
    raise ValueError(msg)
