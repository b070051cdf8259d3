"""The typed results the grader returns: per-point evidence and the `Grade`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Verdict = Literal["met", "partial", "missing"]


class PointResult(BaseModel):
    """How one rubric point fared in one answer."""

    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    weight: float
    """Negative for a misconception: its credit then costs points."""
    credit: float | None
    """0-1 share of the point earned (or, for a misconception, how surely it was stated);
    None when the point could not be scored."""
    similarity: float
    """Best cosine between the point and any answer segment."""
    evidence: str | None
    """The answer segment that matched the point best."""
    verdict: Verdict | None = None
    """The LLM judge's verdict, when a judge ran."""
    judge_quote: str | None = None
    judge_reason: str | None = None
    judge_yes: float | None = None
    """The judge's probability that the answer states this point (yes/no check)."""


class Grade(BaseModel):
    """The grade of one answer to one question, with everything needed to audit it."""

    model_config = ConfigDict(extra="forbid")
    question: str | None
    """Rubric id; None when the answer was graded against an ad-hoc reference."""
    question_text: str
    score: float | None
    """0-10 after calibration; None when the answer could not be scored."""
    raw_score: float | None
    """0-1 weighted point coverage before calibration."""
    signals: dict[str, float] = {}
    """Answer-level signals the calibration combined into the score (`raw`, `misconception`,
    `log_sentences`, `reference_lead`)."""
    points: list[PointResult]
    flags: list[str]
    """e.g. `off-topic`, `instruction-in-answer`, `judge-unscored`, `truncated`."""
    language: str
    """Detected language of the answer (en, zh, ja, ru)."""
    embedder: str
    judge: str
    rubric_digest: str
    prompt_version: str | None = None
    calibration: str
    """Version of the calibration that mapped raw coverage to the 0-10 scale."""
    off_topic_match: str | None = None
    """The rubric the answer fits better, when flagged off-topic."""
    off_topic_subject: str | None = None
    """When flagged off-topic with no rubric fitting better: the common interview question
    outside the catalogue the answer is about (e.g. "What is dropout ...?")."""
    warnings: list[str] = []
