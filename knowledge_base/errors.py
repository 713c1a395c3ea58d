"""Errors of the Q&A base layer. `GovReplyError` lives here because this is the lowest layer;
workflow/errors.py extends the tree.

    GovReplyError
    ├── ImportFailed     a Q&A file has an error (path, line, field); nothing imported
    └── EntryNotFound    no Q&A entry with that id
"""

from __future__ import annotations

from collections.abc import Mapping


class GovReplyError(Exception):
    """Base of every domain error; `str()` is a sentence a person can act on."""


class ImportFailed(GovReplyError):
    """`problem` is English for the CLI and logs; `code` and `params`, where given, let a
    front end say it in Chinese (bot/console/texts.py IMPORT_PROBLEM)."""

    def __init__(
        self,
        path: str,
        line: int,
        field: str,
        problem: str,
        *,
        code: str = "",
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        self.code = code
        self.params: dict[str, object] = dict(params or {})
        super().__init__(f"{path} line {line}: field '{field}' {problem}; nothing was imported")


class EntryNotFound(GovReplyError):
    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(f"Q&A entry {entry_id!r} not found")
