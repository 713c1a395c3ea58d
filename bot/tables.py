"""One writer for tables people open in Excel or paste into a document: CSV (UTF-8 with a
BOM, so Excel reads Chinese), XLSX and Markdown. Used by the CLI and the console."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FORMATS = ("xlsx", "csv", "md")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "md": "text/markdown",
}


def table_bytes(fmt: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """The table in `fmt` (one of FORMATS).

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        return ("\n".join(lines) + "\n").encode()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(list(header))
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    msg = f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}"
    raise ValueError(msg)
