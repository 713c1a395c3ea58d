"""Trying the links of a 读网巡检 report over HTTP (workflow/inspection.py gathers them).

HEAD first, GET for servers that refuse HEAD; a few at a time, each with a timeout, never
inside a database transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp

from workflow.inspection import BrokenLink, Inspection

HEAD_REFUSED = {403, 405, 501}  # servers that answer HEAD so but serve GET fine


async def check_links(
    inspection: Inspection, timeout: float = 10.0, concurrency: int = 4  # noqa: ASYNC109
) -> Inspection:
    """Try every link of the report; returns it with the broken ones filled in."""
    limit = asyncio.Semaphore(concurrency)

    async def problem(http: aiohttp.ClientSession, url: str) -> str | None:
        async with limit:
            try:
                async with http.head(url, allow_redirects=True) as resp:
                    status = resp.status
                if status in HEAD_REFUSED:
                    async with http.get(url, allow_redirects=True) as resp:
                        status = resp.status
            except TimeoutError:
                return "timeout"
            except (aiohttp.ClientError, ValueError):
                return "unreachable"
            return f"HTTP {status}" if status >= 400 else None

    urls = list(inspection.links)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        problems = await asyncio.gather(*(problem(http, u) for u in urls))
    broken = [
        BrokenLink(url, inspection.links[url], p)
        for url, p in zip(urls, problems, strict=True)
        if p is not None
    ]
    return replace(inspection, links_checked=len(urls), broken=broken)
