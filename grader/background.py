"""Common interview topics outside the catalogue, to notice an answer about one of them.

The rubric-to-rubric off-topic check (`scoring.off_topic_match`) needs another rubric that
fits the answer better, so an answer about dropout given to the batchnorm question went
unflagged: no rubric covers dropout. Against a list of common questions the catalogue does
not ask (`data/background_topics.yaml`, in all four languages so no language is favoured),
such an answer is plainly closer to "What is dropout?" than to the question asked.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from grader.embedders import Embedder
from grader.models import grader_home
from grader.rubric_vectors import (
    SHIPPED_DIR,
    load_saved_arrays,
    load_shipped,
    safe_name,
    save_arrays_atomically,
    write_shipped_arrays,
)

TOPICS_FILE = Path(__file__).parent / "data" / "background_topics.yaml"


@dataclass(frozen=True)
class BackgroundTopics:
    labels: list[str]
    """Per row of `vectors`: the topic's English question (what a flag names)."""
    vectors: np.ndarray
    """One unit vector per question text, every language of every topic."""
    digest: str


@functools.lru_cache(maxsize=1)
def _texts(path: Path = TOPICS_FILE) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = tuple(entry["en"] for entry in entries for _ in entry)
    texts = tuple(text for entry in entries for text in entry.values())
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:12]
    return labels, texts, digest


def _shipped_file(embedder: Embedder) -> Path:
    return SHIPPED_DIR / f"{safe_name(embedder)}.background.npz"


def _cache_file(embedder: Embedder, digest: str) -> Path:
    return grader_home() / "embeddings" / safe_name(embedder) / f"background-{digest}.npz"


def background_topics(embedder: Embedder, use_cache: bool = True) -> BackgroundTopics:
    """The topics' vectors: shipped, cached, or encoded once (about 10 s on 2 cores) and cached."""
    labels, texts, digest = _texts()
    vectors = None
    if use_cache:
        vectors = load_shipped(_shipped_file(embedder)).get(digest)
        if vectors is None:
            vectors = load_saved_arrays(_cache_file(embedder, digest)).get(digest)
    if vectors is None:
        vectors = embedder.encode(list(texts))
        if use_cache:
            save_arrays_atomically(_cache_file(embedder, digest), {digest: vectors})
    return BackgroundTopics(list(labels), vectors, digest)


def write_shipped(topics: BackgroundTopics, embedder: Embedder) -> Path:
    """Store the vectors in the package's shipped cache, beside the rubric vectors."""
    return write_shipped_arrays(_shipped_file(embedder), {topics.digest: topics.vectors})


def closer_topic(
    answer_vector: np.ndarray, asked_similarity: float, topics: BackgroundTopics, margin: float, floor: float
) -> str | None:
    """The background topic this answer is about (cosine at least `floor`) and closer to than
    to the asked question by `margin`, if any."""
    if not answer_vector.any() or len(topics.vectors) == 0:
        return None
    similarities = topics.vectors @ answer_vector
    best = int(similarities.argmax())
    if float(similarities[best]) >= floor and float(similarities[best]) - asked_similarity >= margin:
        return topics.labels[best]
    return None
