"""Cost of one hot-topic look (RULES §5): embed and group a day's messages.

Usage: python bench/hot_topics.py [--sizes 200 1000 2000] [--data FILE.jsonl]
Messages are the "text" fields of a JSONL file (default: the project's own routing
examples), repeated with a numbered suffix up to each size, each from its own sender. Runs
the same `hot_topics.find` the periodic job runs, with the bundled model, and prints the
seconds it took and how many topics it found. The periodic job does this every
`GOVREPLY_HOT_TOPIC_CHECK_MINUTES` (15) over at most `hot_topics.MAX_MESSAGES` (2,000).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from knowledge_base.embedding import default_model_path, load_model
from knowledge_base.similarity import for_model
from workflow import hot_topics
from workflow.models import ChatKind, CitizenMessage
from workflow.triage import DATA_DIR, EXAMPLES_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    parser.add_argument("--data", type=Path, default=DATA_DIR / EXAMPLES_FILE)
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in args.data.read_text("utf-8").splitlines()]
    similarity = for_model(load_model(default_model_path()))
    print(f"baseline cosine of unrelated texts: {similarity.baseline:.3f}")  # once, not timed

    print(f"machine: {platform.machine()} python {platform.python_version()}")
    for size in args.sizes:
        messages = [
            CitizenMessage(
                id=i,
                chat_id=i,
                chat_kind=ChatKind.PRIVATE,
                message_id=i,
                user_id=i,
                text=f"{texts[i % len(texts)]} {i // len(texts)}",
                text_redacted=f"{texts[i % len(texts)]} {i // len(texts)}",
            )
            for i in range(size)
        ]
        cached = similarity.remembering()
        start = time.perf_counter()
        topics = hot_topics.find(messages, cached, min_messages=5)
        first = time.perf_counter() - start
        # The next look, 15 minutes on: the same window plus 1 % new messages.
        later = messages[size // 100 :] + [
            CitizenMessage(
                id=size + i,
                chat_id=0,
                chat_kind=ChatKind.PRIVATE,
                message_id=0,
                user_id=-i,
                text=f"新的留言 {i}",
                text_redacted=f"新的留言 {i}",
            )
            for i in range(size // 100)
        ]
        start = time.perf_counter()
        hot_topics.find(later, cached, min_messages=5)
        again = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "messages": size,
                    "first_look_s": round(first, 1),
                    "next_look_s": round(again, 1),
                    "topics": len(topics),
                }
            )
        )


if __name__ == "__main__":
    main()
