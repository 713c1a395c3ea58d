"""The persisted state of one matcher index: entries, rows, the three indexes, a manifest.

Layout of ``index_dir``::

    manifest.json   format, model path + fingerprint, dimension, counters
    docs.jsonl      one KBDoc per line with its rows [[row_id, text_hash], ...]
    words.*         BM25 over jieba words (term frequencies, row ids, vocabulary)
    chars.*         BM25 over character uni+bigrams
    dense.faiss, vectors.npy, vector_rows.npy   dense index and its vectors

A row is one normalised question or variant. A row whose text hash is unchanged keeps its
id and vector across updates, which is what makes updates incremental. When the manifest
names another model fingerprint, the stored entries are re-embedded on open.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from knowledge_base.documents import KBDoc, row_texts, text_hash
from knowledge_base.index import DenseIndex
from knowledge_base.lexical import BM25Index
from knowledge_base.text import char_ngrams, words

__all__ = ["FORMAT", "IndexState", "doc_from_json", "doc_to_json"]

FORMAT = 1
Encoder = Callable[..., np.ndarray]
_NEVER = datetime.date.max.toordinal()


def doc_to_json(doc: KBDoc) -> dict[str, object]:
    """A KBDoc as a JSON-ready dict."""
    return {
        "id": doc.id,
        "question": doc.question,
        "answer": doc.answer,
        "variants": list(doc.variants),
        "category": doc.category,
        "sensitivity": doc.sensitivity,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
    }


def doc_from_json(data: dict[str, object]) -> KBDoc:
    """Inverse of :func:`doc_to_json`."""
    until = data.get("valid_until")
    return KBDoc(
        id=str(data["id"]),
        question=str(data["question"]),
        answer=str(data["answer"]),
        variants=tuple(data.get("variants") or ()),  # type: ignore[arg-type]
        category=str(data.get("category") or ""),
        sensitivity=str(data.get("sensitivity") or "ordinary"),
        valid_until=datetime.date.fromisoformat(str(until)) if until else None,
    )


class IndexState:
    """Entries and aligned row indexes; see the module docstring."""

    def __init__(self, folder: Path | None, dim: int, model_path: str, model_fp: str) -> None:
        self.folder = folder
        self.dim = dim
        self.model_path = model_path
        self.model_fp = model_fp
        self.docs: dict[str, KBDoc] = {}
        self.entry_rows: dict[str, list[tuple[int, str]]] = {}
        self.words = BM25Index(words)
        self.chars = BM25Index(char_ngrams)
        self.dense = DenseIndex(dim)
        self.next_row_id = 0
        self.embedded_total = 0  # texts ever embedded into this index (tests and logs)
        self.needs_reembed = False
        self._row_meta: dict[int, tuple[str, int]] = {}
        self._refresh()

    # -- opening and saving --------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path | None, dim: int, model_path: str, model_fp: str) -> IndexState:
        """Load ``folder`` if it holds an index; flag a re-embed if the model differs."""
        state = cls(folder, dim, model_path, model_fp)
        if folder is None:
            return state
        folder.mkdir(parents=True, exist_ok=True)
        manifest_file = folder / "manifest.json"
        if not manifest_file.exists():
            return state
        manifest = json.loads(manifest_file.read_text("utf-8"))
        with (folder / "docs.jsonl").open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        state.embedded_total = int(manifest.get("embedded_total", 0))
        same_model = (
            manifest.get("format") == FORMAT
            and manifest.get("model_fingerprint") == model_fp
            and manifest.get("dim") == dim
        )
        if not same_model:
            state.docs = {r["doc"]["id"]: doc_from_json(r["doc"]) for r in records}
            state.needs_reembed = True
            return state
        for record in records:
            doc = doc_from_json(record["doc"])
            state.docs[doc.id] = doc
            state.entry_rows[doc.id] = [(int(r), str(h)) for r, h in record["rows"]]
        state.next_row_id = int(manifest["next_row_id"])
        state.words = BM25Index.load(folder, "words", words)
        state.chars = BM25Index.load(folder, "chars", char_ngrams)
        state.dense = DenseIndex.load(folder, dim)
        for doc in state.docs.values():
            texts = row_texts(doc)
            for (row_id, _), text in zip(state.entry_rows[doc.id], texts, strict=False):
                state._row_meta[row_id] = (doc.id, len(text))
        state._refresh()
        return state

    def manifest(self) -> dict[str, object]:
        """What ``manifest.json`` records."""
        return {
            "format": FORMAT,
            "model_path": self.model_path,
            "model_fingerprint": self.model_fp,
            "dim": self.dim,
            "next_row_id": self.next_row_id,
            "embedded_total": self.embedded_total,
            "entries": len(self.docs),
            "rows": len(self.row_ids),
            "dense_index": self.dense.kind,
        }

    def save(self) -> None:
        """Persist everything (no-op for an in-memory index). The manifest is written last."""
        if self.folder is None:
            return
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        manifest = folder / "manifest.json"
        manifest.unlink(missing_ok=True)  # a crash mid-save leaves no valid manifest
        with (folder / "docs.jsonl").open("w", encoding="utf-8") as handle:
            for doc_id, doc in self.docs.items():
                record = {"doc": doc_to_json(doc), "rows": self.entry_rows.get(doc_id, [])}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.words.save(folder, "words")
        self.chars.save(folder, "chars")
        self.dense.save(folder)
        manifest.write_text(json.dumps(self.manifest(), indent=2), "utf-8")

    # -- updates -------------------------------------------------------------------------
    def upsert(self, docs: list[KBDoc], encode: Encoder, progress: bool = False) -> None:
        """Add or replace entries; embed only rows whose normalised text is new."""
        latest = {doc.id: doc for doc in docs}
        drop: list[int] = []
        add: list[tuple[int, str, str]] = []
        for doc in latest.values():
            old = dict((h, r) for r, h in self.entry_rows.get(doc.id, []))
            rows: list[tuple[int, str]] = []
            for text in row_texts(doc):
                digest = text_hash(text)
                if digest in old:
                    rows.append((old.pop(digest), digest))
                    continue
                row_id = self.next_row_id
                self.next_row_id += 1
                rows.append((row_id, digest))
                add.append((row_id, text, doc.id))
            drop.extend(old.values())
            self.docs[doc.id] = doc
            self.entry_rows[doc.id] = rows
        self._apply(drop, add, encode, progress)

    def remove(self, entry_ids: list[str]) -> None:
        """Drop entries and their rows."""
        drop: list[int] = []
        for entry_id in entry_ids:
            if entry_id in self.docs:
                del self.docs[entry_id]
                drop.extend(r for r, _ in self.entry_rows.pop(entry_id, []))
        self._apply(drop, [], None, False)

    def reembed(self, encode: Encoder) -> None:
        """Rebuild every index from the stored entries with the current model."""
        docs = list(self.docs.values())
        embedded = self.embedded_total
        self.__init__(self.folder, self.dim, self.model_path, self.model_fp)  # type: ignore[misc]
        self.upsert(docs, encode)
        self.embedded_total += embedded

    def _apply(
        self,
        drop: list[int],
        add: list[tuple[int, str, str]],
        encode: Encoder | None,
        progress: bool,
    ) -> None:
        if drop:
            self.words.remove(drop)
            self.chars.remove(drop)
            self.dense.remove(drop)
            for row_id in drop:
                self._row_meta.pop(row_id, None)
        if add and encode is not None:
            ids = [a[0] for a in add]
            texts = [a[1] for a in add]
            vectors = encode(texts, progress=progress)
            self.embedded_total += len(texts)
            self.words.add(ids, texts)
            self.chars.add(ids, texts)
            self.dense.add(ids, vectors)
            for row_id, text, entry_id in add:
                self._row_meta[row_id] = (entry_id, len(text))
        self._refresh()

    def _refresh(self) -> None:
        self.row_ids = self.words.row_ids
        if not (
            np.array_equal(self.row_ids, self.chars.row_ids)
            and np.array_equal(self.row_ids, self.dense.row_ids)
        ):
            msg = "lexical and dense indexes are out of step; rebuild the index"
            raise RuntimeError(msg)
        self._pos = {int(r): i for i, r in enumerate(self.row_ids)}
        self.row_entry = [self._row_meta[int(r)][0] for r in self.row_ids]
        self.row_len = np.asarray([self._row_meta[int(r)][1] for r in self.row_ids], np.float32)
        self.row_expiry = np.asarray(
            [self._expiry(e) for e in self.row_entry], dtype=np.int64
        ).reshape(-1)

    def _expiry(self, entry_id: str) -> int:
        until = self.docs[entry_id].valid_until
        return until.toordinal() if until else _NEVER

    # -- lookups -------------------------------------------------------------------------
    def live_rows(self, today: datetime.date) -> np.ndarray:
        """Boolean mask of rows whose entry is not expired on ``today``."""
        return self.row_expiry >= today.toordinal()

    def position_of(self, row_id: int) -> int:
        """Position of a row in the aligned arrays."""
        return self._pos[row_id]

    def entry_positions(self, entry_id: str) -> list[int]:
        """Positions of all rows of an entry."""
        return [self._pos[r] for r, _ in self.entry_rows.get(entry_id, [])]
