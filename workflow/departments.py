"""The department directory (issue 6 §4): who receives a citizen's suggestion.

An admin-edited JSON file (`workflow/data/departments.json` by default) lists departments with
the categories and keywords they answer for and a Telegram chat id or an e-mail address.
`DepartmentDirectory.pick` chooses one for a message; no match means the operators' group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.text import to_simplified
from workflow.errors import ImportFailed

DEFAULT_PATH = Path(__file__).parent / "data" / "departments.json"


@dataclass(frozen=True)
class Department:
    name: str
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    chat_id: int | None = None
    email: str | None = None


@dataclass(frozen=True)
class DepartmentDirectory:
    departments: tuple[Department, ...] = ()

    @classmethod
    def load(cls, path: Path | None = None) -> DepartmentDirectory:
        """Read the directory file.

        Raises:
            ImportFailed: the file is not valid JSON or an entry lacks a name or a destination.
        """
        path = path or DEFAULT_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ImportFailed(str(path), 0, "departments", str(exc)) from exc
        out = []
        for number, raw in enumerate(data.get("departments", []), start=1):
            name = str(raw.get("name", "")).strip()
            if not name:
                raise ImportFailed(str(path), number, "name", "is empty")
            chat_id = raw.get("chat_id")
            out.append(
                Department(
                    name=name,
                    categories=tuple(str(c) for c in raw.get("categories", [])),
                    keywords=tuple(to_simplified(str(k)) for k in raw.get("keywords", [])),
                    chat_id=int(chat_id) if chat_id not in (None, "") else None,
                    email=str(raw["email"]) if raw.get("email") else None,
                )
            )
        return cls(tuple(out))

    def pick(self, text: str, category: str = "", department: str = "") -> Department | None:
        """The department for a message: by the matched entry's category or department first,
        then by keywords in the message; None when nothing fits (use the operators' group)."""
        usable = [d for d in self.departments if d.chat_id is not None or d.email]
        for d in usable:
            if department and department == d.name:
                return d
            if category and category in d.categories:
                return d
        simplified = to_simplified(text)
        scored = [(sum(k in simplified for k in d.keywords), -i, d) for i, d in enumerate(usable)]
        best = max(scored, default=None, key=lambda s: (s[0], s[1]))
        return best[2] if best and best[0] > 0 else None
