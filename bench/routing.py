"""Latency of routing (`Router.classify`) and de-identification (`redact`) per message.

Usage: python bench/routing.py [--data FILE.jsonl] [--repeat N]
Messages come from the JSONL file's "text" fields (default: the built-in routing examples).
Prints p50/p99 milliseconds per message; the goal is routing p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from workflow.redaction import redact
from workflow.triage import DATA_DIR, EXAMPLES_FILE, Router


def percentiles(fn: Callable[[str], object], texts: list[str], repeat: int) -> dict[str, float]:
    timings = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "max_ms": round(timings[-1], 3),
        "n": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR / EXAMPLES_FILE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = args.data.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    start = time.perf_counter()
    router = Router.load()
    load_s = time.perf_counter() - start
    for text in texts[:20]:  # warm caches (opencc dictionaries, regexes)
        router.classify(text)
        redact(text)
    report = {
        "machine": (
            f"{platform.machine()} {platform.processor() or ''} py{platform.python_version()}"
        ),
        "messages": len(texts),
        "router_load_s": round(load_s, 2),
        "routing": percentiles(router.classify, texts, args.repeat),
        "redaction": percentiles(redact, texts, args.repeat),
    }
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
