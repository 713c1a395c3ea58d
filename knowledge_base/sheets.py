"""Tables as CSV and XLSX that are safe to open in a spreadsheet. Every CSV and XLSX that
GovReply writes (the Q&A export, the audit export, the assessment report) goes through here.

A cell that starts with = + - @, a tab or a carriage return is taken as a formula by Excel, WPS
and LibreOffice (CSV injection, OWASP): an entry whose question is =HYPERLINK("http://…","点击")
or a citizen's words that reached an entry through the gap report would run on the officer's
machine that opens the export. Such a text is written with a leading single quote, as OWASP
advises, and in XLSX every text is a text cell, never a formula. `unquote` undoes it when a Q&A
file is imported, so an exported file imports to the same entries.

This module sits in `knowledge_base` (the lowest layer) so that the Q&A export here and the
tables of `bot.tables` share one rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# Leading quotes are counted in: a text that itself starts with ' before a formula character
# gets one more, so unquote(quote(text)) == text for every text.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def quote(value: object) -> object:
    """A cell value safe in a spreadsheet: a text a spreadsheet would take as a formula gets
    a leading single quote; numbers, dates and other texts are unchanged."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def unquote(text: str) -> str:
    """The text `quote` was given: one leading quote dropped where a formula character (after
    any further quotes) follows it. Any other text is unchanged."""
    return text[1:] if _QUOTED.match(text) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV in UTF-8 with a BOM (so Excel reads Chinese); None is an empty cell."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([quote(h) for h in header])
    for row in rows:
        writer.writerow([quote("" if v is None else v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One worksheet; None is an empty cell, every text a text cell (never a formula)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for values in (header, *rows):
        sheet.append([quote("" if v is None else v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl makes any text starting with "=" a formula; never let it.
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
