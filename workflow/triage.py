"""Routing of incoming citizen messages: which kind of message is this (issue 6 §1).

This module owns the `Label` set, the `Router` that classifies a message, and loading the
admin-curated routing data: labelled example messages (`routing_examples.jsonl`) and weighted
keyword rules (`routing_keywords.json`). The built-in files live in `workflow/data/`; an admin's
data directory holding files of the same names is merged on top.

The classifier is a character n-gram TF-IDF logistic regression trained on the examples at
load time, plus the keyword rules. Missing a complaint, an impersonating account or a sensitive
incident is much worse than a false alarm (RULES §5, §6), so those labels get a bonus and win
close calls. When nothing is convincing the message falls back to consultation, to be read by
an operator, with the evidence "fallback".

A plain question is a message in question form (the keyword file's `question_forms`: 几点, 在哪,
怎么, 什么时候, 哪个, 吗, ？ ...) in which no rule of another label fires: no grievance (还没到账,
没人管, 凭什么), no suggestion, insult, incident or ad cue. Its close calls go the other way: the
priority bonus is withheld and consultation gets `question_weight`, so the model's word
associations alone (关门, 晚上, 垃圾 with complaints and insults) do not turn 停车场晚上几点关门？
into a complaint. Rules marked `"in_question": false` are cues only outside a question (丢了 in
社保卡丢了怎么补, 优惠 in 坐公交有优惠吗).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from knowledge_base.text import to_simplified
from workflow.errors import ImportFailed

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
EXAMPLES_FILE = "routing_examples.jsonl"
KEYWORDS_FILE = "routing_keywords.json"


class Label(StrEnum):
    """What a citizen message is; decides which desk flow handles it."""

    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    IMPERSONATION_REPORT = "impersonation_report"
    SUGGESTION = "suggestion"
    PETITION = "petition"
    PRAISE = "praise"
    SPAM_AD = "spam_ad"
    ABUSE = "abuse"
    SENSITIVE_INCIDENT = "sensitive_incident"


# Labels whose misses cost most: they open cases and alert the head.
PRIORITY_LABELS = frozenset(
    {Label.COMPLAINT, Label.IMPERSONATION_REPORT, Label.SENSITIVE_INCIDENT}
)
FALLBACK_EVIDENCE = "fallback"


@dataclass(frozen=True, slots=True)
class Routing:
    """The router's answer: a label, a confidence in [0, 1] and why."""

    label: Label
    confidence: float
    evidence: list[str]


@dataclass(frozen=True, slots=True)
class RoutingExample:
    text: str
    label: Label


@dataclass(frozen=True, slots=True)
class KeywordRule:
    label: Label
    pattern: re.Pattern[str]
    weight: float
    in_question: bool = True  # False: not a cue in a message that asks something


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Tuning knobs; the defaults were chosen on the built-in examples, not on evaluation sets."""

    priority_bonus: float = 0.12
    fallback_below: float = 0.22
    keyword_cap: float = 1.6
    neighbours: int = 2
    question_weight: float = 0.5


_LONG_DIGITS = re.compile(r"\d{6,}")
_SPACES = re.compile(r"\s+")


# A citizen checking a rumour (网传… 是真的吗): the reply refutes or confirms it in the
# account's name, so it must rest on authoritative facts (RULES §2, Art. 23).
_RUMOUR = re.compile(
    r"网传|网上(?:传|说|都在说)|朋友圈(?:传|说|里说)|群里(?:传|说|都在说)|谣言|辟谣|"
    r"听说.{0,30}(?:是真的|真的吗|是不是真的|属实)|是不是真的|真的假的|是否属实|是真是假"
)


def rumour_cue(text: str) -> str | None:
    """The words that make a message a rumour check, or None."""
    found = _RUMOUR.search(normalize_message(text))
    return found.group() if found else None


def normalize_message(text: str) -> str:
    """Traditional -> Simplified, full-width -> half-width, lower case, long numbers -> '#'."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower()
    text = _LONG_DIGITS.sub("#", text)
    return _SPACES.sub(" ", text).strip()


def _label(value: object, path: Path, line: int) -> Label:
    try:
        return Label(str(value))
    except ValueError:
        problem = f"has unknown label {value!r} (expected one of {', '.join(Label)})"
        raise ImportFailed(str(path), line, "label", problem) from None


def read_examples(path: Path) -> list[RoutingExample]:
    """Read labelled example messages, one JSON object {text, label} per line.

    Raises:
        ImportFailed: a line is not JSON, or its text is empty, or its label is unknown.
    """
    examples = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImportFailed(str(path), number, "(line)", f"is not JSON ({exc.msg})") from exc
        text = str(row.get("text", "")).strip()
        if not text:
            raise ImportFailed(str(path), number, "text", "is empty")
        examples.append(RoutingExample(text, _label(row.get("label"), path, number)))
    return examples


def read_keywords(path: Path) -> list[KeywordRule]:
    """Read keyword rules: {"labels": {label: [{pattern, weight}, ...]}}.

    Raises:
        ImportFailed: the file is not JSON, a label is unknown or a pattern is not a regex.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ImportFailed(str(path), exc.lineno, "(file)", f"is not JSON ({exc.msg})") from exc
    rules = []
    for key, entries in data.get("labels", {}).items():
        label = _label(key, path, 0)
        for entry in entries:
            try:
                pattern = re.compile(entry["pattern"])
            except (KeyError, re.error) as exc:
                problem = f"is missing or not a valid regex ({exc}) under {key!r}"
                raise ImportFailed(str(path), 0, "pattern", problem) from exc
            in_question = bool(entry.get("in_question", True))
            weight = float(entry.get("weight", 0.5))
            rules.append(KeywordRule(label, pattern, weight, in_question))
    return rules


def read_question_forms(path: Path) -> list[re.Pattern[str]]:
    """Read the patterns that make a message a question: {"question_forms": [{pattern}, ...]}.

    Raises:
        ImportFailed: the file is not JSON or a pattern is not a regex.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ImportFailed(str(path), exc.lineno, "(file)", f"is not JSON ({exc.msg})") from exc
    forms = []
    for entry in data.get("question_forms", []):
        try:
            forms.append(re.compile(entry["pattern"]))
        except (KeyError, TypeError, re.error) as exc:
            problem = f"is missing or not a valid regex ({exc}) under 'question_forms'"
            raise ImportFailed(str(path), 0, "pattern", problem) from exc
    return forms


class Router:
    """Classifies a message into a `Label` from admin-curated examples and keyword rules."""

    def __init__(
        self,
        examples: Sequence[RoutingExample],
        rules: Iterable[KeywordRule],
        config: RouterConfig | None = None,
        question_forms: Iterable[re.Pattern[str]] = (),
    ) -> None:
        if len({e.label for e in examples}) < 2:
            msg = "routing needs labelled examples of at least two labels; add some and reload"
            raise ValueError(msg)
        self.config = config or RouterConfig()
        self.rules = list(rules)
        self.question_forms = list(question_forms)
        self.examples = list(examples)
        self._vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1
        )
        matrix = self._vectorizer.fit_transform([normalize_message(e.text) for e in examples])
        self._matrix = matrix
        self._example_labels = np.array([e.label.value for e in examples])
        self._model = LogisticRegression(
            C=8.0, class_weight="balanced", solver="newton-cg", max_iter=500
        )
        # A few hundred rows: BLAS threads only add overhead (5 s instead of 0.05 s on 2 cores).
        with threadpool_limits(limits=1):
            self._model.fit(matrix, self._example_labels)
        self._classes = [Label(c) for c in self._model.classes_]
        self._coef_t = np.ascontiguousarray(self._model.coef_.T)
        self._intercept = self._model.intercept_.copy()

    @classmethod
    def load(cls, data_dir: Path | None = None, *, include_builtin: bool = True) -> Router:
        """Build a router from the built-in data plus an admin data dir merged on top.

        Args:
            data_dir: a directory that may hold routing_examples.jsonl and/or
                routing_keywords.json; its examples and rules are added to the built-in ones.
            include_builtin: False to use only `data_dir` (it must then hold both files).

        Raises:
            ImportFailed: a data file is malformed.
        """
        dirs = ([DATA_DIR] if include_builtin else []) + ([data_dir] if data_dir else [])
        examples: list[RoutingExample] = []
        rules: list[KeywordRule] = []
        forms: list[re.Pattern[str]] = []
        for directory in dirs:
            if (directory / EXAMPLES_FILE).is_file():
                examples += read_examples(directory / EXAMPLES_FILE)
            if (directory / KEYWORDS_FILE).is_file():
                rules += read_keywords(directory / KEYWORDS_FILE)
                forms += read_question_forms(directory / KEYWORDS_FILE)
        logger.info(
            "router loaded %d examples, %d keyword rules and %d question forms",
            len(examples),
            len(rules),
            len(forms),
        )
        return cls(examples, rules, question_forms=forms)

    def question_cue(self, text: str) -> str | None:
        """The words that make a (normalised) message a question, or None."""
        for form in self.question_forms:
            match = form.search(text)
            if match:
                return match.group() or "?"
        return None

    def _keyword_scores(
        self, text: str, question: bool = False
    ) -> tuple[dict[Label, float], dict[Label, list[str]]]:
        scores: dict[Label, float] = {}
        hits: dict[Label, list[str]] = {}
        for rule in self.rules:
            if question and not rule.in_question:
                continue
            match = rule.pattern.search(text)
            if match:
                scores[rule.label] = scores.get(rule.label, 0.0) + rule.weight
                hits.setdefault(rule.label, []).append(f"keyword:{match.group()}")
        cap = self.config.keyword_cap
        return {k: min(v, cap) for k, v in scores.items()}, hits

    def _neighbours(self, vector: object, label: Label) -> list[str]:
        sims = (self._matrix @ vector.T).toarray().ravel()  # type: ignore[attr-defined]
        sims = np.where(self._example_labels == label.value, sims, -1.0)
        top = np.argsort(-sims)[: self.config.neighbours]
        return [f"example:{self.examples[i].text} ({sims[i]:.2f})" for i in top if sims[i] > 0.05]

    def scores(self, text: str) -> dict[Label, float]:
        """Combined score per label (model probability + capped keyword weight + bonus)."""
        return self._score(normalize_message(text))[0]

    def _score(self, norm: str) -> tuple[dict[Label, float], dict[Label, list[str]], object]:
        vector = self._vectorizer.transform([norm])
        # Softmax by hand: predict_proba's validation and BLAS threads cost more than the maths.
        logits = np.asarray(vector @ self._coef_t).ravel() + self._intercept
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        question = self.question_cue(norm)
        keyword, hits = self._keyword_scores(norm, question=question is not None)
        # A plain question: asked, with no cue of any other label (no grievance, no insult...).
        plain = question is not None and not any(k is not Label.CONSULTATION for k in hits)
        if plain:
            hits.setdefault(Label.CONSULTATION, []).insert(0, f"question:{question}")
        combined = {}
        for label, prob in zip(self._classes, probs, strict=True):
            score = float(prob) + keyword.get(label, 0.0) * 0.5
            if plain:
                score += self.config.question_weight if label is Label.CONSULTATION else 0.0
            elif label in PRIORITY_LABELS and (prob > 0.15 or label in keyword):
                score += self.config.priority_bonus
            combined[label] = score
        return combined, hits, vector

    def classify(self, text: str) -> Routing:
        """Label one message, with a confidence and the evidence behind it."""
        norm = normalize_message(text)
        if not norm:
            return Routing(Label.CONSULTATION, 0.0, [FALLBACK_EVIDENCE])
        combined, hits, vector = self._score(norm)
        ranked = sorted(combined.items(), key=lambda kv: kv[1], reverse=True)
        label, top = ranked[0]
        total = sum(max(v, 0.0) for v in combined.values()) or 1.0
        confidence = round(min(1.0, top / total), 3)
        if top < self.config.fallback_below and label not in hits:
            # Nothing convincing: an operator reads it as a consultation (issue 6 §1).
            return Routing(Label.CONSULTATION, confidence, [FALLBACK_EVIDENCE])
        evidence = hits.get(label, []) + self._neighbours(vector, label)
        return Routing(label, confidence, evidence)
