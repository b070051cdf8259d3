"""Matching a question, asked in any language and in any words, to a rubric.

One matcher serves `--q` with free text, batch `question` texts and transcripts: exact ids
and aliases first, then the nearest rubric question by embedding, accepted only above a
threshold so that questions outside the catalogue come back as None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.embedders import Embedder
from grader.rubric import RubricSet
from grader.rubric_vectors import RubricVectors

MATCH_THRESHOLD = 0.72
"""Cosine below which a question is taken to be outside the catalogue (EmbeddingGemma STS)."""


@dataclass(frozen=True)
class Match:
    question: str | None
    """Matched rubric id, or None when nothing is close enough."""
    similarity: float
    alternatives: list[tuple[str, float]]
    """The next-best rubric ids with their similarities (unmatched: the nearest ones, first
    the one whose similarity is reported)."""


def match_questions(
    texts: list[str],
    rubrics: RubricSet,
    embedder: Embedder,
    vectors: dict[str, RubricVectors],
    threshold: float = MATCH_THRESHOLD,
    alternatives: int = 3,
) -> list[Match]:
    """Match each text: exact id/alias wins outright, otherwise embedding nearest above threshold."""
    results: list[Match | None] = [None] * len(texts)
    to_embed: list[int] = []
    for i, text in enumerate(texts):
        exact = rubrics.lookup(text)
        if exact is not None:
            results[i] = Match(exact.id, 1.0, [])
        else:
            to_embed.append(i)
    if to_embed:
        ids = list(vectors)
        query = embedder.encode([texts[i] for i in to_embed])
        # Each rubric's score is its best question phrasing (any language), direct or indirect.
        per_rubric = np.stack([(query @ vectors[r].match_vectors.T).max(axis=1) for r in ids], axis=1)
        for row, i in enumerate(to_embed):
            order = np.argsort(-per_rubric[row])
            best = float(per_rubric[row, order[0]])
            matched = best >= threshold
            # Unmatched, the nearest rubric leads the alternatives: its similarity is the one reported.
            first = 1 if matched else 0
            alts = [(ids[j], round(float(per_rubric[row, j]), 4)) for j in order[first : first + alternatives]]
            results[i] = Match(ids[order[0]] if matched else None, round(best, 4), alts)
    return [r for r in results if r is not None]
