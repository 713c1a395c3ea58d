"""Domain errors. Handlers map each to a Chinese text (handlers/texts.py); the CLI prints them.

GovReplyError
├── NotAuthorised          the user is not an operator, or their role can't do this
│   └── NotNeeded          their signature fills none of the steps still open
├── NotFound               no such draft / entry / case / token
├── AlreadyDecided         the draft was decided (or changed) before this action landed
├── InvalidTransition      the action is not allowed in the current state
├── SeparationOfDuties     the same person may not give this signature
├── ComplianceBlocked      a failing compliance check needs the top signer's override
└── TokenInvalid           a deep-link token is unknown, used or expired
(ImportFailed and EntryNotFound live in knowledge_base/errors.py)
"""

from __future__ import annotations

from knowledge_base.errors import EntryNotFound, GovReplyError, ImportFailed

__all__ = [
    "AlreadyDecided",
    "ComplianceBlocked",
    "EntryNotFound",
    "GovReplyError",
    "ImportFailed",
    "InvalidTransition",
    "NotAuthorised",
    "NotFound",
    "NotNeeded",
    "SeparationOfDuties",
    "TokenInvalid",
]


class NotAuthorised(GovReplyError):
    def __init__(self, user_id: int, needed: str = "") -> None:
        self.user_id = user_id
        self.needed = needed
        super().__init__(f"user {user_id} is not authorised{f' ({needed})' if needed else ''}")


class NotNeeded(NotAuthorised):
    """A signer whose rank fills none of the steps still open (a deputy head pressing a major
    draft that has its reviewer's signature and waits for the head)."""

    def __init__(self, user_id: int, still_needed: list[str]) -> None:
        self.still_needed = still_needed
        super().__init__(user_id, still_needed[0] if still_needed else "")


class NotFound(GovReplyError):
    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key!r} not found")


class AlreadyDecided(GovReplyError):
    def __init__(self, draft_id: int, state: str) -> None:
        self.draft_id = draft_id
        self.state = state
        super().__init__(f"draft {draft_id} is already {state}")


class InvalidTransition(GovReplyError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class SeparationOfDuties(GovReplyError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class ComplianceBlocked(GovReplyError):
    def __init__(self, draft_id: int, codes: list[str]) -> None:
        self.draft_id = draft_id
        self.codes = codes
        super().__init__(
            f"draft {draft_id} fails compliance checks {', '.join(codes)}; "
            "the top-tier signer must override with a reason"
        )


class TokenInvalid(GovReplyError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"deep-link token {reason}")
