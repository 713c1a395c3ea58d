"""One writer for tables people open in Excel or paste into a document: CSV (UTF-8 with a
BOM, so Excel reads Chinese), XLSX and Markdown. Used by the CLI and the console. CSV and XLSX
come from `knowledge_base.sheets`, which keeps cells from being taken as formulas."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge_base.sheets import csv_bytes, xlsx_bytes

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
        return csv_bytes(header, rows)
    if fmt == "xlsx":
        return xlsx_bytes(header, rows)
    msg = f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}"
    raise ValueError(msg)
