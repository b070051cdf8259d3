"""Matching a question, asked in any language and in any words, to a rubric.

One matcher serves `--q` with free text, batch `question` texts and transcripts: exact ids
and aliases first, then the nearest rubric question by embedding, accepted only above a
threshold so that questions outside the catalogue come back as None. A question nearer one of
the common interview questions the catalogue does not ask (background.py) than to any rubric
is outside it too, however high its rubric similarity: "過学習を防ぐ方法は？" (overfitting) reached
learning-rate at 0.72 through the shared 学習, and "layer norm rather than batch norm?"
reached batchnorm at 0.77.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.background import BackgroundTopics
from grader.embedders import Embedder
from grader.rubric import RubricSet
from grader.rubric_vectors import RubricVectors

MATCH_THRESHOLD = 0.72
"""Cosine below which a question is taken to be outside the catalogue (EmbeddingGemma STS)."""
QUALIFIER_MARGIN = 0.07
"""How much nearer a rubric with a `qualifier` the question does not name may be than a
sibling that is taken instead: "交叉熵损失为什么适合分类？" was 0.041 nearer multiclass-cross-entropy
than cross-entropy, "その活性化関数は、なぜ必要なんですか？" 0.062 nearer activation-saturation than
activation-function."""
SCENARIO_LEAD = 0.05
"""A question this much nearer a rubric's indirect phrasings (`asked_as`) than its direct ones
is a scenario, which needs no qualifier (see `_qualified`): "the unit outputs stick at 0 or 1"
was 0.814 to neuron-saturation's scenarios, 0.571 to its question."""


@dataclass(frozen=True)
class Match:
    question: str | None
    """Matched rubric id, or None when nothing is close enough."""
    similarity: float
    alternatives: list[tuple[str, float]]
    """The next-best rubric ids with their similarities (unmatched: the nearest ones, first
    the one whose similarity is reported)."""
    nearer_topic: str | None = None
    """The common out-of-catalogue question (in English) the text is, when it is nearer that one
    than any rubric and above the threshold: unmatched however near a rubric is."""
    outside_similarity: float = 0.0
    """Cosine to the nearest of those common questions (0 without them or for an exact match):
    with `similarity`, how technical an unmatched question is."""


def match_questions(
    texts: list[str],
    rubrics: RubricSet,
    embedder: Embedder,
    vectors: dict[str, RubricVectors],
    threshold: float = MATCH_THRESHOLD,
    alternatives: int = 3,
    background: BackgroundTopics | None = None,
) -> list[Match]:
    """Match each text: exact id/alias wins outright, otherwise the nearest rubric by embedding,
    above threshold and not beaten by a `background` question."""
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
        direct = np.stack([(query @ vectors[r].question_vectors.T).max(axis=1) for r in ids], axis=1)
        topics = background if background is not None and len(background.vectors) else None
        outside = query @ topics.vectors.T if topics is not None else None
        for row, i in enumerate(to_embed):
            order = list(np.argsort(-per_rubric[row]))
            best = float(per_rubric[row, order[0]])
            matched = best >= threshold
            if matched:
                ranked = [(ids[j], float(per_rubric[row, j]), bool(per_rubric[row, j] - direct[row, j] >= SCENARIO_LEAD)) for j in order]
                chosen = _qualified(texts[i], ranked, rubrics)
                order.insert(0, order.pop(chosen))
            nearer_topic, nearest_outside = None, 0.0
            if topics is not None and outside is not None:
                nearest_outside = float(outside[row].max())
                if nearest_outside >= threshold and nearest_outside > best:
                    matched, nearer_topic = False, topics.labels[int(outside[row].argmax())]
            # Unmatched, the nearest rubric leads the alternatives: its similarity is the one reported.
            first = 1 if matched else 0
            alts = [(ids[j], round(float(per_rubric[row, j]), 4)) for j in order[first : first + alternatives]]
            similarity = float(per_rubric[row, order[0]]) if matched else best
            results[i] = Match(ids[order[0]] if matched else None, round(similarity, 4), alts, nearer_topic, round(nearest_outside, 4))
    return [r for r in results if r is not None]


def _qualified(text: str, ranked: list[tuple[str, float, bool]], rubrics: RubricSet) -> int:
    """Index in `ranked` (rubric id, similarity, matched by an indirect `asked_as` phrasing;
    best first) of the first rubric whose `qualifier` the text names, among those within
    `QUALIFIER_MARGIN` of the best, even under the threshold (the best is over it: "А зачем
    вообще функция активации?" was 0.747 to activation-saturation, 0.714 to
    activation-function); 0 if none. A rubric matched by a
    scenario needs no qualifier: scenarios describe the concept without naming it ("the unit
    outputs stick at 0 or 1" is neuron saturation)."""
    best = ranked[0][1]
    for index, (rubric_id, similarity, by_scenario) in enumerate(ranked):
        if similarity < best - QUALIFIER_MARGIN:
            break
        if by_scenario or rubrics.qualifies(rubric_id, text):
            return index
    return 0
