"""Search-index syncs that run in the background after an import, with honest progress.

An applied import starts one job: it reads the live entries, drops retired ones from the
matcher, then upserts the rest in small batches (only changed texts are embedded), counting
entries as each batch lands. The result page polls `GET /kb/import/index/{job}` for
`{"done", "total", "finished", "error"}`. Jobs live in memory on the console app and are
forgotten after the newest `MAX_JOBS`; a restart loses them (the index itself is saved).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web

from bot.console.context import services_of
from bot.db import Database
from knowledge_base import store
from knowledge_base.retrieval import Matcher

logger = logging.getLogger(__name__)

BATCH = 16
MAX_JOBS = 20


@dataclass
class IndexJob:
    id: str
    total: int = 0
    done: int = 0
    finished: bool = False
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "job": self.id,
            "done": self.done,
            "total": self.total,
            "finished": self.finished,
            "error": self.error,
        }


JOBS: web.AppKey[OrderedDict[str, IndexJob]] = web.AppKey("index_jobs", OrderedDict)
TASKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("index_tasks", set)


def sync_in_batches(db: Database, matcher: Matcher, job: IndexJob) -> None:
    """Make the matcher hold exactly the live entries, counting progress in `job` (a thread)."""
    with db.session() as session:
        docs = store.live_docs(session)
    job.total = len(docs)
    wanted = {d.id for d in docs}
    matcher.remove([i for i in matcher.state.docs if i not in wanted])
    for start in range(0, len(docs), BATCH):
        batch = docs[start : start + BATCH]
        matcher.upsert(batch)
        job.done += len(batch)


def start(request: web.Request) -> IndexJob:
    """Start syncing the index in a background thread; returns the job to poll."""
    services = services_of(request)
    job = IndexJob(secrets.token_urlsafe(9))
    jobs = request.app[JOBS]
    jobs[job.id] = job
    while len(jobs) > MAX_JOBS:
        jobs.popitem(last=False)

    async def run() -> None:
        try:
            await asyncio.to_thread(sync_in_batches, services.db, services.matcher, job)
        except Exception as exc:  # reported on the page; the next sync repairs the index
            logger.exception("index sync %s failed", job.id)
            job.error = type(exc).__name__
        finally:
            job.finished = True

    task = asyncio.get_running_loop().create_task(run())
    tasks = request.app[TASKS]
    tasks.add(task)  # keep a reference until it ends (the loop holds only weak ones)
    task.add_done_callback(tasks.discard)
    return job


async def job_status(request: web.Request) -> web.StreamResponse:
    job = request.app[JOBS].get(request.match_info["job"])
    if job is None:
        raise web.HTTPNotFound(text="没有这个索引任务。", content_type="text/plain")
    return web.json_response(job.as_json())


async def _wait_for_tasks(app: web.Application) -> None:
    """On shutdown, let running syncs finish (a thread can't be cancelled half-way)."""
    if app[TASKS]:
        await asyncio.gather(*app[TASKS], return_exceptions=True)


def setup_routes(app: web.Application) -> None:
    app[JOBS] = OrderedDict()
    app[TASKS] = set()
    app.on_cleanup.append(_wait_for_tasks)
    app.router.add_get("/kb/import/index/{job}", job_status, name="kb_index_job")
