"""Training everything the matcher learns: embedding model, fusion weights, abstention.

``train(data_dirs, out_dir, ...)`` reads folders in the shared ``kb.jsonl`` +
``queries.jsonl`` format (plus optional operator history), and writes a MODEL_DIR: a
sentence-transformers folder (the base model, fine-tuned with MultipleNegativesRankingLoss
and BM25-mined hard negatives) and ``govreply_matcher.json`` (fusion + abstention fitted on
entries held out from the embedding fine-tuning, so the dense signal is not over-trusted).

The base decides two things by what it is, measured, not by its name:

* its vocabulary is extended by Chinese characters only when it lacks them: when more than
  MAX_UNKNOWN_RATE of the Chinese characters in the training texts would be its unknown
  token (all-MiniLM-L6-v2's WordPiece: ~100 %; multilingual-e5-small's Unigram: ~0 %);
* a base that already reads the characters keeps its word embeddings frozen and is tuned
  with a smaller learning rate (KNOWN_BASE_LR), so a fine-tune on a few thousand pairs
  cannot drag it far from what it knew.

Texts are embedded with the base's default prompt (e5's ``"query: "``) in training exactly
as at search time, and the saved folder keeps the base's prompts. ``epochs=0`` keeps the
base as it is and fits fusion and abstention on every message.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from knowledge_base.documents import KBDoc
from knowledge_base.evaluation import LabelledQuery, load_kb, load_queries
from knowledge_base.scoring import FusionSample, MatcherParams, fit_params, profile_of

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge_base.retrieval import Matcher

__all__ = [
    "Dataset",
    "TrainReport",
    "collect_samples",
    "fit_default_params",
    "load_dataset",
    "train",
]

logger = logging.getLogger(__name__)

SMALL_SET_ENTRIES = 100  # answered entries below which a set is "small" (see train())
# Share of the Chinese characters in the training texts that may be the base's unknown token
# before characters are added to its vocabulary.
MAX_UNKNOWN_RATE = 0.01
NEW_VOCAB_LR = 5e-5  # new embedding rows must learn from nothing
# A base that reads Chinese: one epoch at 3e-5 (word embeddings frozen) took e5's dense
# Acc@1 on an unseen city from 0.944 to 0.900 (issue 18).
KNOWN_BASE_LR = 1e-5


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
    docs = load_kb(folder / "kb.jsonl")
    return Dataset(docs, load_queries(folder / "queries.jsonl"), folder.name)


def collect_samples(
    matcher: Matcher,
    queries: Sequence[LabelledQuery],
    progress: bool = False,
    desc: str = "",
    domain: str = "",
) -> list[FusionSample]:
    """Candidate features of each message against the matcher's current index."""
    samples = []
    for query in tqdm(queries, desc=desc or "features", disable=not progress, unit="q"):
        entries, features, qlen = matcher.candidates(query.text)
        gold = entries.index(query.gold) if query.gold in entries else -1
        group = query.gold or query.text
        samples.append(FusionSample(features, gold, qlen, group=group, domain=domain))
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


def _split_entries(ids: Iterable[str], share: float, seed: int) -> set[str]:
    """A deterministic ``share`` of entry ids (sorted, then shuffled with ``seed``)."""
    ordered = sorted(set(ids))
    random.Random(seed).shuffle(ordered)  # noqa: S311 - reproducible sampling
    return set(ordered[: int(round(len(ordered) * share))])


@dataclass
class TrainReport:
    """What a training run did (written to MODEL_DIR/train_report.json)."""

    datasets: list[str]
    pairs: int
    hard_negatives: int
    added_tokens: int
    epochs: int
    fusion_holdout_entries: int
    fusion_samples: int
    seconds: float
    unknown_rate: float = 0.0  # share of Chinese characters the base could not read
    learning_rate: float = 0.0
    frozen_embeddings: bool = False


def _char_frequencies() -> dict[str, float]:
    """Frequency of each CJK character in jieba's dictionary (offline, bundled), summed over
    the words it occurs in."""
    import jieba

    counts: dict[str, float] = {}
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    with dictionary.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ")
            if len(parts) < 2:
                continue
            freq = float(parts[1])
            for ch in parts[0]:
                if _is_cjk(ch):
                    counts[ch] = counts.get(ch, 0.0) + freq
    return counts


def _common_chars(limit: int) -> list[str]:
    """The ``limit`` most frequent CJK characters of jieba's dictionary."""
    counts = _char_frequencies()
    return sorted(counts, key=counts.__getitem__, reverse=True)[:limit]


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def unknown_rate(tokenizer: Any, texts: Iterable[str]) -> float:
    """Share of the Chinese characters in ``texts`` (counted with repeats) that ``tokenizer``
    turns into its unknown token; when the texts have none, of the characters of jieba's
    dictionary weighted by their frequency (it also holds a few mis-decoded ones, which
    weigh nothing that way). Each distinct character is tokenised once, on its own."""
    from collections import Counter

    counts: Counter[str] | dict[str, float] = Counter(
        ch for text in texts for ch in text if _is_cjk(ch)
    )
    if not counts:
        counts = _char_frequencies()
    unk = tokenizer.unk_token_id
    chars = list(counts)
    ids = tokenizer(chars, add_special_tokens=False)["input_ids"]
    unknown = sum(counts[ch] for ch, pieces in zip(chars, ids, strict=True) if unk in pieces)
    return unknown / sum(counts.values())


def _tokenizer_kind(tokenizer: Any) -> str:
    """The ``tokenizers`` model type behind a fast tokenizer ("WordPiece", "Unigram", ...)."""
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return ""
    return str(json.loads(backend.to_str())["model"]["type"])


def freeze_word_embeddings(model: SentenceTransformer) -> None:
    """Keep the input embedding matrix as the base has it (no gradient, no optimiser state)."""
    bert: Any = model[0].auto_model
    bert.get_input_embeddings().weight.requires_grad_(False)


def extend_vocabulary(model: SentenceTransformer, texts: Iterable[str]) -> int:
    """Add missing Chinese characters to a BERT WordPiece vocabulary; returns how many.

    New embedding rows start as the mean of the rows of the character's pinyin word pieces,
    so homophones start close together, which is how typos in citizen messages look.
    """
    from pypinyin import lazy_pinyin
    from transformers import BertTokenizerFast  # type: ignore[attr-defined]

    tokenizer = model.tokenizer
    vocab = tokenizer.get_vocab()
    wanted: dict[str, None] = dict.fromkeys(_common_chars(6000))
    for text in texts:
        for ch in text:
            if _is_cjk(ch):
                wanted[ch] = None
    missing = [ch for ch in wanted if ch not in vocab]
    if not missing:
        return 0
    ordered = sorted(vocab, key=vocab.__getitem__)
    extended = {token: i for i, token in enumerate([*ordered, *missing])}
    new_tokenizer = BertTokenizerFast(
        vocab=extended, do_lower_case=True, tokenize_chinese_chars=True
    )
    transformer = model[0]
    bert: Any = transformer.auto_model
    old = bert.get_input_embeddings().weight.detach().clone()
    bert.resize_token_embeddings(len(ordered) + len(missing), mean_resizing=False)
    weight = bert.get_input_embeddings().weight
    import torch

    with torch.no_grad():
        for i, ch in enumerate(missing):
            pieces = tokenizer(lazy_pinyin(ch)[0], add_special_tokens=False)["input_ids"]
            rows = old[pieces] if pieces else old[vocab["[UNK]"]][None, :]
            weight[len(ordered) + i] = rows.mean(dim=0)
    transformer.processor = new_tokenizer
    return len(missing)


@dataclass(frozen=True)
class Triplet:
    """(message, positive question, hard negative question) with their entry keys."""

    anchor: str
    positive: str
    negative: str
    positive_key: str
    negative_key: str


def _mine_triplets(
    docs: Sequence[KBDoc],
    pairs: Sequence[tuple[str, str]],
    negatives: dict[str, list[str]],
    seed: int,
) -> list[Triplet]:
    """Attach to each (message, entry) pair the best-scoring wrong entry by char BM25."""
    from knowledge_base.lexical import BM25Index
    from knowledge_base.text import char_ngrams, normalize

    by_id = {d.id: d for d in docs}
    index = BM25Index(char_ngrams)
    index.add(range(len(docs)), [normalize(d.question) for d in docs])
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling
    out = []
    for message, entry_id in pairs:
        doc = by_id[entry_id]
        forced = [n for n in negatives.get(message, []) if n in by_id and n != entry_id]
        if forced:
            neg_id = forced[0]
        else:
            scores = index.query(normalize(message)).scores
            top = np.argsort(-scores)[:6]
            options = [docs[int(t)].id for t in top if docs[int(t)].id != entry_id]
            neg_id = options[rng.randrange(min(3, len(options)))] if options else entry_id
        positive = rng.choice([doc.question, *doc.variants])
        out.append(Triplet(message, positive, by_id[neg_id].question, entry_id, neg_id))
    return out


def fine_tune(
    model: SentenceTransformer,
    triplets: list[Triplet],
    epochs: int,
    batch_size: int = 64,
    lr: float = 5e-5,
    progress: bool = True,
    seed: int = 13,
) -> None:
    """MultipleNegativesRankingLoss with one hard negative per pair (in-batch + hard).

    Columns that belong to the anchor's own entry (duplicates in the batch) are masked, so
    another paraphrase of the same entry is never treated as a negative.
    """
    import torch

    from knowledge_base.text import normalize

    torch.manual_seed(seed)
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * ((len(triplets) + batch_size - 1) // batch_size)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1)))
    )
    bar = tqdm(total=steps, desc="fine-tune", disable=not progress, unit="batch")

    # The prompt encode() puts before every text (e5: "query: "), so training sees the texts
    # exactly as search does.
    prompt = model.prompts.get(model.default_prompt_name or "") or None

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.preprocess([normalize(t) for t in texts], prompt=prompt)
        out = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    for _ in range(epochs):
        order = list(range(len(triplets)))
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [triplets[i] for i in order[start : start + batch_size]]
            a = embed([t.anchor for t in batch])
            c = embed([t.positive for t in batch] + [t.negative for t in batch])
            scores = a @ c.T * 20.0
            keys = [t.positive_key for t in batch] + [t.negative_key for t in batch]
            mask = torch.tensor(
                [[keys[j] == t.positive_key and j != i for j in range(len(keys))]
                 for i, t in enumerate(batch)]
            )
            scores = scores.masked_fill(mask, -1e4)
            loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()


def train(
    data_dirs: Sequence[Path],
    out_dir: Path,
    extra_pairs: Iterable[tuple[str, str]] = (),
    hard_negatives: Iterable[tuple[str, str]] = (),
    epochs: int = 1,
    progress: bool = True,
    base_model: Path | None = None,
    fusion_share: float = 0.2,
    max_pairs: int | None = None,
    batch_size: int = 64,
    seed: int = 13,
    learning_rate: float | None = None,
) -> TrainReport:
    """Train a MODEL_DIR from labelled folders (and operator history).

    Args:
        data_dirs: folders with ``kb.jsonl`` + ``queries.jsonl``. Entry ids must be unique
            across folders (the shared sets prefix them with the set name).
        out_dir: the MODEL_DIR to write (a sentence-transformers folder + matcher params).
        extra_pairs: (citizen message, entry id) from approved drafts.
        hard_negatives: (citizen message, entry id) where an operator picked another match.
        epochs: fine-tuning epochs over all pairs. 0: the base is saved as it is (with its
            vocabulary extended if it lacks the characters) and fusion and abstention are
            fitted on every message, since the model saw none of them.
        base_model: model to start from (default: the default model).
        fusion_share: share of each set's answered entries held out from fine-tuning and
            used to fit fusion and abstention, so the dense signal is judged on unseen entries
            (half for a set with fewer than SMALL_SET_ENTRIES answered entries).
        max_pairs: cap on fine-tuning pairs (tests and quick runs).
        learning_rate: default NEW_VOCAB_LR when characters were added to the vocabulary,
            else KNOWN_BASE_LR.

    Raises:
        DatasetError: a data file is malformed.
        ValueError: no training pairs, or an extra pair names an unknown entry.
    """
    import json
    import time

    from knowledge_base.embedding import default_model_path, load_model
    from knowledge_base.retrieval import Matcher

    started = time.perf_counter()
    sets = [load_dataset(Path(d)) for d in data_dirs]
    all_docs = [d for s in sets for d in s.docs]
    known = {d.id: s.name for s in sets for d in s.docs}
    extra = list(extra_pairs)
    for _, entry_id in extra:
        if entry_id not in known:
            msg = f"extra pair names entry {entry_id!r}, which is in none of {len(sets)} data dirs"
            raise ValueError(msg)
    negatives: dict[str, list[str]] = {}
    for message, entry_id in hard_negatives:
        negatives.setdefault(message, []).append(entry_id)

    held_out: set[str] = set()
    share_of: dict[str, float] = {}
    for s in sets:
        answered = {q.gold for q in s.queries if q.gold is not None}
        # A small set gives the fine-tune little but needs every held-out message it can
        # get for its fusion and abstention, so half of it is held out.
        share_of[s.name] = fusion_share if len(answered) >= SMALL_SET_ENTRIES else 0.5
        if len(answered) >= 10:
            held_out |= _split_entries(answered, share_of[s.name], seed)
    pairs_by_set: dict[str, list[tuple[str, str]]] = {}
    for s in sets:
        pairs = [(q.text, q.gold) for q in s.queries if q.gold and q.gold not in held_out]
        pairs += [(v, d.id) for d in s.docs if d.id not in held_out for v in d.variants]
        pairs_by_set[s.name] = pairs
    for message, entry_id in extra:
        pairs_by_set.setdefault(known[entry_id], []).append((message, entry_id))
    n_pairs = sum(len(p) for p in pairs_by_set.values())
    if n_pairs == 0:
        msg = "no (message, entry) pairs to train on: queries.jsonl files have no gold ids"
        raise ValueError(msg)

    model = load_model(base_model or default_model_path())
    texts = [d.question for d in all_docs] + [q.text for s in sets for q in s.queries]
    unknown = unknown_rate(model.tokenizer, texts)
    added = 0
    if unknown > MAX_UNKNOWN_RATE:
        if _tokenizer_kind(model.tokenizer) == "WordPiece":
            added = extend_vocabulary(model, texts)
        else:
            logger.warning(
                "%.1f %% of the Chinese characters are unknown to the base model's %s "
                "tokenizer, which cannot be extended here; training without them",
                100 * unknown, _tokenizer_kind(model.tokenizer) or "slow",
            )
    frozen = added == 0 and unknown <= MAX_UNKNOWN_RATE
    if frozen:
        freeze_word_embeddings(model)
    lr = learning_rate if learning_rate is not None else (
        NEW_VOCAB_LR if added else KNOWN_BASE_LR
    )
    logger.info(
        "base %s: %.2f %% of Chinese characters unknown, %d added, learning rate %g%s",
        base_model or "default", 100 * unknown, added, lr,
        ", word embeddings frozen" if frozen else "",
    )

    triplets: list[Triplet] = []
    if epochs > 0:
        for s in sets:
            triplets += _mine_triplets(s.docs, pairs_by_set.get(s.name, []), negatives, seed)
    if max_pairs is not None and len(triplets) > max_pairs:
        # A seeded, reproducible sample (not for security).
        triplets = random.Random(seed).sample(triplets, max_pairs)  # noqa: S311
    tuned = epochs > 0 and bool(triplets)
    if tuned:
        max_length = model.max_seq_length
        model.max_seq_length = 64  # training speed; searching keeps the base's limit
        fine_tune(
            model, triplets, epochs, batch_size=batch_size, lr=lr, progress=progress,
            seed=seed,
        )
        model.max_seq_length = max_length
    else:
        # Nothing was trained on any message: every one of them can fit fusion and abstention.
        held_out = {q.gold for s in sets for q in s.queries if q.gold is not None}
        share_of = dict.fromkeys(share_of, 1.0)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))

    # Fusion and abstention: judged on held-out entries (plus their share of null probes)
    # with the full KB of each set as distractors.
    samples: list[FusionSample] = []
    for s in sets:
        nulls = [q for q in s.queries if q.gold is None]
        null_keep = _split_entries([q.text for q in nulls], share_of[s.name], seed + 1)
        chosen = [q for q in s.queries if q.gold in held_out or q.text in null_keep]
        if len(held_out) == 0 or len(s.docs) < 10:
            chosen = list(s.queries)  # tiny sets: use everything (params are regularised)
        if not chosen:
            continue
        matcher = Matcher(model, out_dir, params=_placeholder_params())
        matcher.rebuild(s.docs, progress=progress)
        samples += collect_samples(
            matcher, chosen, progress=progress, desc=f"features {s.name}", domain=s.name
        )
    profiles = {s.name: profile_of(s.docs) for s in sets}
    params = fit_params(samples, trained_on=",".join(s.name for s in sets), profiles=profiles)
    params.save(out_dir)
    report = TrainReport(
        datasets=[str(d) for d in data_dirs],
        pairs=len(triplets),
        hard_negatives=sum(len(v) for v in negatives.values()),
        added_tokens=added,
        epochs=epochs if tuned else 0,
        fusion_holdout_entries=len(held_out),
        fusion_samples=len(samples),
        seconds=round(time.perf_counter() - started, 1),
        unknown_rate=round(unknown, 4),
        learning_rate=lr if tuned else 0.0,
        frozen_embeddings=frozen,
    )
    from dataclasses import asdict

    (out_dir / "train_report.json").write_text(json.dumps(asdict(report), indent=2), "utf-8")
    logger.info("trained %s in %.0f s", out_dir, report.seconds)
    return report
