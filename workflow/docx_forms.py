"""Rendering the case documents (.docx) from JSON templates with `{field}` placeholders.

A placeholder with no value renders as `____`, so a document is never refused for a missing
detail: the operator fills the blank by hand. `render_form` is a titled two-column form (the
filing record, the report of suspected illegal content); the platform letter, a letter, is
laid out by its own module.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH

MISSING = "____"


class Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


def fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)


def new_document() -> Any:
    return docx.Document()


def to_bytes(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def heading(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True


def render_form(template: Mapping[str, Any], values: Fill) -> bytes:
    """Title, subtitle, a table of (label, value) rows and a footer."""
    document = new_document()
    heading(document, fill(template["title"], values))
    document.add_paragraph(fill(template["subtitle"], values))
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in template["fields"]:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = fill(value, values)
    document.add_paragraph(fill(template["footer"], values))
    return to_bytes(document)


def document_text(data: bytes) -> str:
    """All paragraph and table text of a rendered .docx, for previews and tests."""
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)
