"""Services: everything a running GovReply needs, built once by `open_services(settings)`.

`govreply run`, the sandbox and the test fixtures all build it the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sentence_transformers import SentenceTransformer

from bot import security
from bot.db import Database, upgrade
from bot.link_check import check_links
from bot.settings import Settings, SpamAction
from handlers.texts import TEXTS, t
from knowledge_base import store
from knowledge_base.embedding import default_model_path, load_model
from knowledge_base.retrieval import Matcher
from workflow import inspection
from workflow.account_filing import AccountProfile
from workflow.calendar import WorkCalendar
from workflow.compliance import ComplianceLists
from workflow.departments import DepartmentDirectory
from workflow.desk import Desk, DeskConfig
from workflow.duty import RotaFile
from workflow.inspection import Inspection
from workflow.models import Tier
from workflow.routing_actions import PREAPPROVABLE, RoutingConfig
from workflow.sla import SlaPolicy
from workflow.triage import Router

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    matcher: Matcher
    router: Router
    desk: Desk
    rota: RotaFile  # 值班表 (RULES §7), re-read when edited; `/duty on` adds to it
    calendar: WorkCalendar  # the official working days (调休 included)

    async def inspect(self) -> Inspection:
        """This moment's 读网巡检 report, its links tried (RULES §7)."""
        report = await self.db.run(inspection.gather, None, 7, account_profile(self.settings))
        report = replace(report, security=security.check(self.settings))
        return await check_links(report, self.settings.link_check_timeout)


def account_profile(settings: Settings) -> AccountProfile:
    """The account as its filing (分级备案, RULES §8) describes it, from the settings."""
    return AccountProfile(
        unit=settings.unit_name,
        account=settings.official_account,
        supervising_office=settings.supervising_office,
        channel_id=settings.channel_id,
        discussion_chat_ids=tuple(settings.discussion_chat_ids),
    )


def model_path(settings: Settings) -> Path:
    return Path(settings.model) if settings.model else default_model_path()


def build_matcher(settings: Settings, model: SentenceTransformer | None = None) -> Matcher:
    """The matcher with its index persisted under data_dir (rebuilt if the model changed)."""
    path = model_path(settings)
    index_dir = settings.data_dir / "index"
    index_dir.mkdir(parents=True, exist_ok=True)
    model = model if model is not None else load_model(path)
    return Matcher(model, path, index_dir, settings.target_precision)


def sync_index(db: Database, matcher: Matcher, today: date | None = None) -> int:
    """Make the index hold exactly the live entries (only changed texts are embedded)."""
    with db.session() as session:
        docs = store.live_docs(session, today)
    matcher.rebuild(docs)
    return len(docs)


def routing_config(settings: Settings) -> RoutingConfig:
    """What the label actions need: wording, pre-approved templates, departments, limits."""
    keys = (
        "case_ack_complaint",
        "case_ack_impersonation_report",
        "case_ack_sensitive_incident",
        "case_ack_error_report",
        "suggestion_thanks",
        "petition_redirect",
        "spam_edit_closed",
        "illegal_done_comment",
        "illegal_done_report",
        "illegal_done_private",
    )
    unknown = set(settings.preapproved_templates) - PREAPPROVABLE
    if unknown:
        msg = (
            f"GOVREPLY_PREAPPROVED_TEMPLATES has {sorted(unknown)}; allowed: "
            f"{sorted(PREAPPROVABLE)}"
        )
        raise ValueError(msg)
    return RoutingConfig(
        operators_chat_id=settings.operators_chat_id,
        templates={key: TEXTS[key] for key in keys},
        preapproved=frozenset(settings.preapproved_templates),
        departments=DepartmentDirectory.load(settings.departments_file),
        spam_delete=settings.spam_action is SpamAction.DELETE,
        abuse_restrict_after=settings.abuse_restrict_after,
        abuse_restrict_hours=settings.abuse_restrict_hours,
    )


@asynccontextmanager
async def open_services(
    settings: Settings, *, model: SentenceTransformer | None = None, migrate: bool = True
) -> AsyncIterator[Services]:
    """Open the database (migrated), the matcher (index synced) and the desk."""
    if migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        # The index takes the live entries when the runtime starts (`keep_index_current`).
        matcher = await asyncio.to_thread(build_matcher, settings, model)
        router = await asyncio.to_thread(Router.load, settings.triage_data_dir)
        lists = await asyncio.to_thread(ComplianceLists.load)
        rota = await asyncio.to_thread(RotaFile, settings.duty_rota_file)
        calendar = await asyncio.to_thread(WorkCalendar.load, settings.calendar_overrides)
        desk = Desk(
            db,
            matcher,
            router,
            lists,
            DeskConfig(
                max_open_cards=settings.max_open_cards,
                deep_link_ttl_hours=settings.deep_link_ttl_hours,
                no_answer_text=t("no_answer_draft"),
                off_topic_blocks=settings.off_topic_blocks,
                moderate_min_confidence=settings.moderate_min_confidence,
                routing=routing_config(settings),
                sla=SlaPolicy(
                    calendar,
                    {tier: settings.sla_hours(tier.value) for tier in Tier},
                    settings.sla_warn_fraction,
                    rota,
                ),
            ),
        )
        yield Services(
            settings=settings,
            db=db,
            matcher=matcher,
            router=router,
            desk=desk,
            rota=rota,
            calendar=calendar,
        )
    finally:
        db.dispose()
