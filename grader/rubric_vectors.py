"""Embeddings of rubric texts, computed once per (embedder, embedded texts) and kept on disk.

A rubric's points never change between answers, so re-encoding them per answer would waste
most of the grading time. The cache key hashes the texts as they are embedded, after sentence
splitting, so neither an edited rubric nor a release that splits reference answers
differently can reuse stale vectors.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from grader.embedders import Embedder
from grader.models import grader_home
from grader.output_files import write_atomically
from grader.rubric import Rubric
from grader.segment import sentences


@dataclass(frozen=True)
class RubricVectors:
    rubric: Rubric
    point_vectors: list[np.ndarray]
    """Per point: one row per phrasing (English text first)."""
    question_vectors: np.ndarray
    """One row per question text (all languages)."""
    reference_vector: np.ndarray
    """The reference answer as one unit vector (normalised mean of its sentences); zeros
    when the rubric has none. Compared with the answer's own mean vector: a whole-answer
    signal that per-point matching misses (measured in `grade calibrate`)."""
    asked_vectors: np.ndarray
    """One row per `asked_as` text: matched against, never scored with."""

    @functools.cached_property
    def match_vectors(self) -> np.ndarray:
        """Every way the question is asked, direct (`question_vectors`) or indirect: what
        question matching compares with."""
        return np.concatenate([self.question_vectors, self.asked_vectors])

    @functools.cached_property
    def baselines(self) -> np.ndarray:
        """Per point: its similarity to the bare question, i.e. what an answer that only
        restates the topic already scores. Credit is earned above this, which removes most
        of the topic-level similarity every on-topic sentence has."""
        if len(self.question_vectors) == 0:
            return np.zeros(len(self.point_vectors), dtype=np.float32)
        return np.array([float((pv @ self.question_vectors.T).max()) for pv in self.claim_vectors])

    @functools.cached_property
    def claim_vectors(self) -> list[np.ndarray]:
        """Per point: its rows without the core phrasings (which `all_phrasings` puts last).
        A core phrasing is a few words on the point's topic, so any sentence on that topic,
        a wrong one included, comes close to it: it may earn a point credit, but neither the
        question baseline nor the test of whether a sentence states a misconception better
        than a correct point uses it."""
        return [pv[: len(pv) - len(point.core)] for pv, point in zip(self.point_vectors, self.rubric.points)]


def _texts(rubric: Rubric) -> tuple[list[list[str]], list[str], list[str], list[str]]:
    point_texts = [p.all_phrasings() for p in rubric.points]
    question_texts = rubric.question.all()
    return point_texts, question_texts, sentences(rubric.reference_answer), rubric.asked_as.all()


def vector_key(rubric: Rubric) -> str:
    """`<id>-<hash of the embedded texts>`: the key of a rubric's vectors, shipped or cached.
    The rubric digest alone would not do: it does not change when a new release splits the
    reference answer into different sentences, and the old vectors would be reused."""
    canonical = json.dumps(_texts(rubric), ensure_ascii=False)
    return f"{rubric.id}-{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:16]}"


def mean_direction(rows: np.ndarray) -> np.ndarray:
    """Unit vector along the mean of `rows` (zeros for no rows): one vector for a text from
    its sentences' vectors, used alike for answers and reference answers."""
    if len(rows) == 0:
        return np.zeros(rows.shape[1] if rows.ndim == 2 else 0, dtype=np.float32)
    mean = rows.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


SHIPPED_DIR = Path(__file__).parent / "data" / "vectors"
"""Precomputed vectors of the shipped rubrics for the default embedder, so that a first run
does not spend minutes embedding 47 rubrics. Keyed by `vector_key`: an edited rubric misses
and is recomputed into the user cache."""


def safe_name(embedder: Embedder) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder.name)


def _cache_file(embedder: Embedder, rubric: Rubric) -> Path:
    return grader_home() / "embeddings" / safe_name(embedder) / f"{vector_key(rubric)}.npz"


def _shipped(embedder: Embedder) -> dict[str, np.ndarray]:
    return load_shipped(SHIPPED_DIR / f"{safe_name(embedder)}.npz")


@functools.lru_cache(maxsize=4)
def load_shipped(path: Path) -> dict[str, np.ndarray]:
    """A shipped vector file's arrays as float32 ({} when the package has none)."""
    if not path.is_file():
        return {}
    with np.load(path) as data:
        return {key: data[key].astype(np.float32) for key in data.files}


def write_shipped(vectors: dict[str, RubricVectors], embedder: Embedder) -> Path:
    """Store vectors (as float16, plenty for cosines) in the package's shipped cache."""
    arrays: dict[str, np.ndarray] = {}
    for rv in vectors.values():
        key = vector_key(rv.rubric)
        arrays[f"{key}:points"] = np.concatenate(rv.point_vectors)
        arrays[f"{key}:questions"] = rv.question_vectors
        arrays[f"{key}:reference"] = rv.reference_vector
        arrays[f"{key}:asked"] = rv.asked_vectors
    return write_shipped_arrays(SHIPPED_DIR / f"{safe_name(embedder)}.npz", arrays)


def write_shipped_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write a shipped vector file, as float16 (plenty for cosines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    compact = {key: value.astype(np.float16) for key, value in arrays.items()}
    np.savez_compressed(path, **cast(dict[str, Any], compact))  # cast: see save_arrays_atomically
    load_shipped.cache_clear()
    return path


def _split_points(rubric: Rubric, flat: np.ndarray) -> list[np.ndarray]:
    counts = [len(p.all_phrasings()) for p in rubric.points]
    return list(np.split(flat, np.cumsum(counts)[:-1]))


def save_arrays_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **cast(dict[str, Any], arrays))  # cast: numpy types savez's keywords like allow_pickle
    write_atomically(path, buffer.getvalue())


def load_saved_arrays(path: Path) -> dict[str, np.ndarray]:
    """What `save_arrays_atomically` wrote; {} when missing or unreadable (then recompute)."""
    try:
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError):
        return {}


def vectors_for(rubrics: list[Rubric], embedder: Embedder, use_cache: bool = True) -> dict[str, RubricVectors]:
    """Vectors for each rubric: from the disk cache, or encoded in one batch and saved."""
    result: dict[str, RubricVectors] = {}
    missing: list[Rubric] = []
    shipped = _shipped(embedder) if use_cache else {}
    for rubric in rubrics:
        key = vector_key(rubric)
        if f"{key}:asked" in shipped:
            result[rubric.id] = RubricVectors(
                rubric, _split_points(rubric, shipped[f"{key}:points"]), shipped[f"{key}:questions"],
                shipped[f"{key}:reference"], shipped[f"{key}:asked"],
            )  # fmt: skip
            continue
        saved = load_saved_arrays(_cache_file(embedder, rubric)) if use_cache else {}
        if {"points", "questions", "reference", "asked"} <= saved.keys():
            result[rubric.id] = RubricVectors(
                rubric, _split_points(rubric, saved["points"]), saved["questions"], saved["reference"], saved["asked"]
            )
            continue
        missing.append(rubric)  # not cached, or an unreadable or older cache entry: encode it below
    if missing:
        all_texts: list[str] = []
        layout: list[tuple[int, int, int, int]] = []
        for rubric in missing:
            point_texts, question_texts, reference_texts, asked_texts = _texts(rubric)
            for texts in point_texts:
                all_texts.extend(texts)
            all_texts.extend(question_texts + reference_texts + asked_texts)
            layout.append((sum(len(t) for t in point_texts), len(question_texts), len(reference_texts), len(asked_texts)))
        encoded = embedder.encode(all_texts)
        offset = 0
        for rubric, sizes in zip(missing, layout):
            flat, questions, reference_rows, asked = np.split(encoded[offset : offset + sum(sizes)], np.cumsum(sizes)[:-1])
            offset += sum(sizes)
            reference = mean_direction(reference_rows)
            result[rubric.id] = RubricVectors(rubric, _split_points(rubric, flat), questions, reference, asked)
            if use_cache:
                save_arrays_atomically(
                    _cache_file(embedder, rubric),
                    {"points": flat, "questions": questions, "reference": reference, "asked": asked},
                )
    return result
