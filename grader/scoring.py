"""Per-point embedding evidence -> raw coverage -> flags.

For each point, the best cosine between any of its phrasings and any answer segment
(sentences and 2-sentence windows) becomes credit through a sigmoid; a segment that a
stronger point already took gives less. Raw coverage is the
weighted share of positive points earned, less what stated misconceptions cost. An answer
that fits another rubric clearly better than the one asked is flagged off-topic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from grader.background import BackgroundTopics, closer_topic
from grader.negation import denies
from grader.results import PointResult
from grader.rubric_vectors import RubricVectors, mean_direction
from grader.segment import Segment
from grader.verdicts import JudgeVerdicts

if TYPE_CHECKING:
    from grader.calibration import Calibration


@dataclass(frozen=True)
class ScoringParams:
    """Knobs fitted by calibration; defaults are the hand-set starting point."""

    center: float = 0.78
    """Cosine at which a point with an average baseline earns half its credit."""
    baseline_weight: float = 0.5
    """How far a point's own baseline (its similarity to the bare question, which any
    on-topic sentence gets for free) moves its threshold: 0 = one absolute threshold for all
    points; 1 = fully relative. Fully relative over-penalises terse answers whose subject is
    implied by the question ("Too high and it diverges")."""
    scale: float = 0.03
    """Sigmoid width: smaller means a sharper step between missing and met."""
    BASELINE_ANCHOR = 0.7  # typical point-to-question cosine; keeps `center` interpretable
    misconception_center: float = 0.0
    """A misconception must match at least this far above its baseline..."""
    misconception_margin: float = 0.04
    """...and fit its segment better than every positive point does by this margin: a
    misconception shares its topic (and so its baseline) with the correct points."""
    off_topic_margin: float = 0.18
    """Coverage gap to another rubric above which an answer is off-topic."""
    off_topic_max_coverage: float = 0.45
    """An answer covering the asked rubric this well is never off-topic."""
    background_margin: float = 0.12
    """How much closer an answer must be to a common question outside the catalogue
    (background.py) than to the question asked to be off-topic. Set by hand on eval/ (0.08-0.14
    tried): below 0.10 a terse-correct answer was flagged."""
    background_max_coverage: float = 0.3
    """...and the asked rubric's coverage must be under this: an answer sharing some words
    with the asked rubric can still be about another question. At 0.2, eval/ off-topic answers
    about dropout (asked: batchnorm), Adam (backprop) and transfer learning (representation
    learning), at coverage 0.21-0.29, scored 2.0-2.2 against human 0-1. At 0.3 no other
    eval/ answer is flagged save one keyword-stuffed zh answer (human 2, 1.0 -> 0.5); at 0.35
    a second one (human 2, 3.3). A partial on-topic answer, such as one about Adam to "what
    does an optimizer do?" (coverage 0.23), is not flagged: it is no closer to a background
    question than to its own by the margin..."""
    background_min_similarity: float = 0.65
    """...and the answer must be this close to that question: a content-free "Training a
    network means minimizing a loss." is 0.61 from its nearest one, off-topic eval answers
    0.68-0.77."""
    shared_evidence_credit: float = 0.5
    """How much of a segment another point already took is left for a later point, as
    `1 - (1 - this) * c` for the first point's credit c there (`_assign_evidence`). One
    sentence fits several neighbouring points ("bias is the gap to the truth, variance the
    sensitivity to the data" matched five bias-variance points at 0.5-0.8), so padded and
    partial answers collected credit a grader gives once. Set by hand, not fitted: 0, 0.3
    and 0.5 all raised held-out QWK on eval/ (0.891 -> 0.893-0.895 at fixed knobs) and on 94
    fresh answers (eval/heldout: 0.862 -> 0.877-0.884); refitted at 0.5, 0.892 -> 0.902 and
    0.861 -> 0.883. 1.0 turns it off."""


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _threshold(base: float | np.ndarray, params: ScoringParams) -> float | np.ndarray:
    """Cosine at which a point with this baseline earns half its credit (scalar or per point)."""
    return params.center + params.baseline_weight * (base - ScoringParams.BASELINE_ANCHOR)


def similarity_table(segment_vectors: np.ndarray, vectors: RubricVectors) -> list[np.ndarray]:
    """Per point: the cosine of each segment (rows) to each of its phrasings (columns, in
    `all_phrasings` order, so its `claim_vectors` are the leading columns)."""
    if len(segment_vectors) == 0:
        return [np.zeros((0, len(pv)), dtype=np.float32) for pv in vectors.point_vectors]
    return [segment_vectors @ pv.T for pv in vectors.point_vectors]


def best_similarities(segment_vectors: np.ndarray, vectors: RubricVectors) -> np.ndarray:
    """Per point: its best cosine over all segments (0 for an answer with no segments).

    Every phrasing counts, cores included, as in the asked rubric's `Evidence.coverage`: the
    off-topic check compares the two coverages, so they are measured alike."""
    if len(segment_vectors) == 0:
        return np.zeros(len(vectors.point_vectors))
    return np.array([float(cosines.max()) for cosines in similarity_table(segment_vectors, vectors)])


def _credit(similarity: np.ndarray, baseline: float | np.ndarray, params: ScoringParams) -> np.ndarray:
    """A correct point's credit for cosines to it (per segment, or one per point with its baseline)."""
    return 1.0 / (1.0 + np.exp(-(similarity - _threshold(baseline, params)) / params.scale))


def coverage(best: np.ndarray, vectors: RubricVectors, params: ScoringParams) -> float:
    """Weighted share of positive points earned (no misconception penalty)."""
    weights = np.array([p.weight for p in vectors.rubric.points])
    positive = weights > 0
    if not positive.any():
        return 0.0
    credit = _credit(best, vectors.baselines, params)
    return float((weights[positive] * credit[positive]).sum() / weights[positive].sum())


SIGNALS = ("raw", "misconception", "log_sentences", "reference_lead")
"""Answer-level signals a calibration combines linearly before its monotone map to 0-10.
Point coverage alone regresses to the middle (excellent and terse-correct answers under,
wrong ones over); the other three each moved held-out QWK on eval/ (see `grade calibrate`):
- `misconception`: the strongest misconception credit (weighted points under-count it);
- `log_sentences`: taking the best segment per point rewards length, since more sentences
  mean more chances to match, and the fit weighed it negatively (-0.28). Since short
  answers are also matched clause by clause (segment.py) that reward is gone and the fit
  gives length a positive weight (+0.61 since long sentences are also cut): longer answers
  tend to say more;
- `reference_lead`: how much closer the answer's mean vector is to the reference answer's
  than to the bare question's. The plain cosine to the (English) reference scored higher
  (held-out QWK 0.860 vs 0.845) but is cross-lingual for other answers: it graded ru answers
  0.45 under and en 0.5 over, and the parity spread grew from 1.0 to 1.5. Subtracting the
  question similarity cancels most of that offset (bias within +/-0.3 per language)."""


@dataclass(frozen=True)
class Evidence:
    points: list[PointResult]
    raw_score: float
    """0-1: weighted positive credit minus misconception penalties."""
    coverage: float
    """0-1: weighted positive credit only."""
    misconception: float = 0.0
    """0-1: credit of the misconception the answer states most clearly."""
    sentences: int = 0
    """Distinct plain sentences (repeats counted once)."""
    reference_lead: float = 0.0
    answer_vector: np.ndarray | None = None
    """Unit mean of the answer's plain sentences (None without any): what the answer is about."""
    question_similarity: float = 0.0
    """Cosine of `answer_vector` to the asked question (best over its phrasings)."""


def signals(evidence: Evidence, raw: float) -> dict[str, float]:
    """The `SIGNALS` of one answer, with `raw` after any judge adjustment."""
    return {
        "raw": raw,
        "misconception": evidence.misconception,
        "log_sentences": math.log1p(evidence.sentences),
        "reference_lead": evidence.reference_lead,
    }


def score_points(
    segments: list[Segment],
    segment_vectors: np.ndarray,
    vectors: RubricVectors,
    params: ScoringParams,
    table: list[np.ndarray] | None = None,
) -> Evidence:
    """Credit each point from its segment (its best-matching one, unless a stronger point
    took that: `_assign_evidence`) and combine into raw coverage.

    `table` (from `similarity_table`) may be passed in when scoring one answer repeatedly.
    """
    if table is None:
        table = similarity_table(segment_vectors, vectors)
    denied = np.array([denies(seg.text) for seg in segments], dtype=bool)
    if denied.any():  # "It is not true that <point>" earns nothing (negation.py)
        table = [np.where(denied[:, None], -1.0, cosines) for cosines in table]
    sims = [cosines.max(axis=1) for cosines in table]
    positives = [i for i, p in enumerate(vectors.rubric.points) if p.weight > 0]
    # Which correct point a segment fits best is judged without core phrasings (RubricVectors.claim_vectors).
    claim_sims = [table[i][:, : len(vectors.claim_vectors[i])].max(axis=1) for i in positives]
    best_positive_per_segment = (
        np.max(np.stack(claim_sims), axis=0)
        if positives and len(segments)
        else np.zeros(len(segments))
    )
    clause_rows = np.array([seg.clause for seg in segments], dtype=bool)
    if clause_rows.any():
        # Only a whole sentence or window states a misconception: a clause cut from a sentence
        # can be a bare condition ("学习率太大的话，" matched "a higher learning rate is always
        # better" at 0.80 in a correct answer). Correct points keep their clauses.
        sims = [row if p.weight > 0 else np.where(clause_rows, -1.0, row) for p, row in zip(vectors.rubric.points, sims)]
    # Positive points: credit per segment; each point's segment is chosen by `_assign_evidence`.
    segment_credit = {i: _credit(sims[i], float(vectors.baselines[i]), params) for i in positives}
    twins = segment_vectors @ segment_vectors.T >= REPEAT_SIMILARITY if len(segments) else None
    assigned = _assign_evidence(segment_credit, params.shared_evidence_credit, twins)
    results: list[PointResult] = []
    for i, (point, per_segment, base) in enumerate(zip(vectors.rubric.points, sims, vectors.baselines)):
        best_index = assigned[i][0] if i in assigned else int(per_segment.argmax()) if len(per_segment) else None
        if best_index is None or denied[best_index]:  # no segment, or every one denied
            best_index, best = None, 0.0
        else:
            best = float(per_segment[best_index])
        if point.weight > 0:
            credit = assigned[i][1] if best_index is not None else _sigmoid((best - float(_threshold(base, params))) / params.scale)
        else:
            # A misconception shares its topic with the correct points, so plain similarity
            # would punish correct answers; it counts only where it fits a segment better
            # than any correct point does.
            lead = best - float(best_positive_per_segment[best_index]) if best_index is not None else 0.0
            credit = _sigmoid((best - base - params.misconception_center) / params.scale) * _sigmoid(
                (lead - params.misconception_margin) / 0.015
            )
        results.append(
            PointResult(
                id=point.id,
                text=point.text,
                weight=point.weight,
                credit=round(credit, 4),
                similarity=round(best, 4),
                evidence=segments[best_index].text if best_index is not None else None,
            )
        )
    raw, _ = raw_from_points(results)
    # Coverage keeps each point's best credit, unassigned: the off-topic check compares it
    # with other rubrics' coverage (`best_similarities`), so the two are measured alike.
    cover = coverage(np.array([float(row.max()) if len(row) else 0.0 for row in sims]), vectors, params)
    sentence_rows = [k for k, seg in enumerate(segments) if seg.is_plain_sentence]
    lead, answer, question = 0.0, None, 0.0
    if sentence_rows:
        answer = mean_direction(segment_vectors[sentence_rows])
        question = float((vectors.question_vectors @ answer).max()) if len(vectors.question_vectors) else 0.0
        lead = float(answer @ vectors.reference_vector) - question
    misconception = max((p.credit or 0.0 for p in results if p.weight < 0), default=0.0)
    distinct = _distinct_count(segment_vectors[sentence_rows]) if sentence_rows else 0
    return Evidence(results, raw, cover, misconception, distinct, lead, answer, question)


def _assign_evidence(segment_credit: dict[int, np.ndarray], shared: float, twins: np.ndarray | None = None) -> dict[int, tuple[int, float]]:
    """Per positive point: (segment, credit). Points take segments strongest first; a segment
    another point already took gives a later point only part of its credit, the less the
    more clearly it stated the first: `1 - (1 - shared) * c` for a first credit c. A vague
    sentence near several points keeps most of its credit on each (that is the evidence a
    terse partial answer has), a clear statement of one point is not also full evidence for
    its neighbours, and a point moves to its next-best segment when that serves it better.
    `twins[j, k]`: segments j and k say the same thing (a pasted repeat, or a window that is
    its sentence twice), so taking one takes both."""
    n = len(next(iter(segment_credit.values()), ()))
    if not n:
        return {}
    twins = np.eye(n, dtype=bool) if twins is None else twins
    taken = np.zeros(n)  # per segment: the best credit a point took it with
    out: dict[int, tuple[int, float]] = {}
    for i in sorted(segment_credit, key=lambda k: -float(segment_credit[k].max())):
        credits = segment_credit[i] * (1.0 - (1.0 - shared) * taken)
        j = int(credits.argmax())
        out[i] = (j, float(credits[j]))
        taken = np.where(twins[j], np.maximum(taken, segment_credit[i][j]), taken)
    return out


REPEAT_SIMILARITY = 0.95
"""Sentences this similar count once towards `log_sentences`, and are one segment to
`_assign_evidence`: pasting one sentence 20 times otherwise raised its grade from 3.6 to 5.0
(and, once points took distinct segments, from 2.1 to 3.7). No two sentences of an eval
answer come closer than 0.90, so honest answers are untouched."""


def _distinct_count(vectors: np.ndarray) -> int:
    kept: list[np.ndarray] = []
    for row in vectors:
        if all(float(row @ other) < REPEAT_SIMILARITY for other in kept):
            kept.append(row)
    return len(kept)


def raw_from_points(points: list[PointResult]) -> tuple[float, float]:
    """(raw score, coverage): weighted positive credit less misconception penalties, and
    without them; unscored points are left out of both sums."""
    scored = [p for p in points if p.credit is not None]
    total = sum(p.weight for p in scored if p.weight > 0)
    if not total:
        return 0.0, 0.0
    earned = sum(p.weight * (p.credit or 0.0) for p in scored if p.weight > 0)
    penalty = sum(-p.weight * (p.credit or 0.0) for p in scored if p.weight < 0)
    return max(0.0, min(1.0, (earned - penalty) / total)), earned / total


def check_credit(probability: float, low: float, high: float) -> float:
    """A yes/no check's probability stretched to 0-1 credit between `low` and `high`."""
    return min(1.0, max(0.0, (probability - low) / max(high - low, 1e-6)))


def blend(credit: float, probability: float | None, weight: float, low: float, high: float) -> float:
    """Embedding credit moved toward the judge's check by `weight` (None: judge unscored)."""
    if probability is None or not weight:
        return credit
    return (1 - weight) * credit + weight * check_credit(probability, low, high)


def apply_checks(points: list[PointResult], checks: dict[str, float | None] | None, calibration: "Calibration") -> list[PointResult]:
    """Attach the judge's yes/no probabilities and blend them into each point's credit with
    the calibration's fitted weights (possibly 0: shown, never moving the score)."""
    if checks is None:
        return points
    out = []
    for point in points:
        probability = checks.get(point.id)
        credit = point.credit
        if credit is not None and point.weight > 0:
            credit = round(blend(credit, probability, calibration.judge_weight, calibration.check_low, calibration.check_high), 4)
        out.append(point.model_copy(update={"credit": credit, "judge_yes": None if probability is None else round(probability, 4)}))
    return out


def judge_penalty(points: list[PointResult], calibration: "Calibration") -> tuple[float, str | None]:
    """(share of the raw score to take away, id of the misconception): from the judge's
    surest misconception check. Misconception points weigh little against a rubric's
    positive points, so a confidently wrong answer that uses the right vocabulary keeps most of
    its embedding credit; the judge's yes/no on the misconception is the better signal."""
    if not calibration.misconception_penalty:
        return 0.0, None
    stated = [(p.judge_yes, p.id) for p in points if p.weight < 0 and p.judge_yes is not None]
    if not stated:
        return 0.0, None
    probability, point_id = max(stated)
    share = calibration.misconception_penalty * check_credit(probability, calibration.misconception_low, calibration.misconception_high)
    return (share, point_id) if share > 0 else (0.0, None)


def apply_verdicts(points: list[PointResult], verdicts: JudgeVerdicts | None) -> list[PointResult]:
    """Attach the judge's written verdicts as explanation. They do not move the score: naively
    blended, a 1.5B model's verdicts lowered agreement (QWK 0.78 -> 0.62, models.md); the
    fitted yes/no checks carry the judge's weight instead."""
    if verdicts is None:
        return points
    out = []
    for point in points:
        verdict = verdicts.points.get(point.id)
        if verdict is None:
            out.append(point)
            continue
        credit = point.credit
        out.append(
            point.model_copy(
                # A quote the answer does not contain (copied from the rubric, translated) is
                # not evidence: the verdict was downgraded for it and it is not shown.
                update={"credit": credit, "verdict": verdict.verdict, "judge_quote": verdict.quote if verdict.quote_found else None,
                        "judge_reason": verdict.reason or None}
            )  # fmt: skip
        )
    return out


def off_topic_match(
    asked: str,
    asked_coverage: float,
    segment_vectors: np.ndarray,
    all_vectors: dict[str, RubricVectors],
    params: ScoringParams,
    best_by_rubric: dict[str, np.ndarray] | None = None,
) -> str | None:
    """The rubric this answer fits clearly better than the asked one, if any.

    `best_by_rubric` (per rubric, `best_similarities`) may be precomputed by callers that
    score the same answer under many settings.
    """
    if asked_coverage >= params.off_topic_max_coverage or len(all_vectors) < 2:
        return None
    best_id, best_cover = asked, asked_coverage
    for rubric_id, vectors in all_vectors.items():
        if rubric_id == asked:
            continue
        best = best_by_rubric[rubric_id] if best_by_rubric else best_similarities(segment_vectors, vectors)
        cover = coverage(best, vectors, params)
        if cover > best_cover:
            best_id, best_cover = rubric_id, cover
    if best_id != asked and best_cover - asked_coverage >= params.off_topic_margin:
        return best_id
    return None


def off_topic_reasons(
    asked: str,
    evidence: Evidence,
    segment_vectors: np.ndarray,
    all_vectors: dict[str, RubricVectors],
    topics: BackgroundTopics,
    params: ScoringParams,
    best_by_rubric: dict[str, np.ndarray] | None = None,
) -> tuple[str | None, str | None]:
    """(rubric, topic): the rubric an answer fits clearly better than the asked one, else the
    common question outside the catalogue it is clearly about; (None, None) when on topic."""
    better = off_topic_match(asked, evidence.coverage, segment_vectors, all_vectors, params, best_by_rubric)
    if better is not None:
        return better, None
    if evidence.answer_vector is None or evidence.coverage >= params.background_max_coverage:
        return None, None
    return None, closer_topic(
        evidence.answer_vector, evidence.question_similarity, topics, params.background_margin, params.background_min_similarity
    )  # fmt: skip
