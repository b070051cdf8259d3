"""`Grader`: load models once, grade many answers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from grader.answer_input import prepare_answer
from grader.calibration import Calibration, load_calibration
from grader.embedders import Embedder, load_embedder, resolve_embedder_spec
from grader.errors import GraderError, UnknownQuestion
from grader.matching import Match, match_questions
from grader.results import Grade
from grader.rubric import QuestionText, Rubric, RubricPoint, RubricSet
from grader.rubric_vectors import RubricVectors, vectors_for
from grader.scoring import off_topic_match, score_points
from grader.segment import Segment, detect_language, segments, sentences

PACKAGE_DIR = Path(__file__).parent
_ID_LIKE = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""A `--q` value of this shape is a mistyped id (suggest one), not a question to match."""
OFF_TOPIC_CAP = 2.0
"""Highest score an off-topic answer can get: it may share vocabulary, not substance."""


def default_rubrics_dir() -> Path:
    """`rubrics/` of a source checkout, else the copy shipped inside the package."""
    checkout = PACKAGE_DIR.parent / "rubrics"
    return checkout if checkout.is_dir() else PACKAGE_DIR / "data" / "rubrics"


@dataclass(frozen=True)
class Prepared:
    """An answer segmented and embedded, with its rubric: everything scoring needs."""

    rubric: Rubric
    vectors: RubricVectors
    text: str
    warnings: list[str]
    segments: list[Segment]
    segment_vectors: np.ndarray
    in_catalogue: bool


@dataclass(frozen=True)
class GradeRequest:
    """One answer to grade: against a rubric (`question`) or an ad-hoc `reference` answer."""

    answer: str
    question: str | None = None
    """Rubric id, alias or question text."""
    question_text: str | None = None
    reference: str | None = None
    """A reference answer to grade against when the question has no rubric."""


def reference_rubric(question_text: str, reference: str) -> Rubric:
    """An ad-hoc rubric: one equally weighted point per sentence of the reference answer."""
    claims = sentences(reference)
    if not claims:
        raise GraderError("the reference answer is empty")
    digest = hashlib.sha256(f"{question_text}\n{reference}".encode()).hexdigest()[:10]
    return Rubric(
        id=f"adhoc-{digest}",
        question=QuestionText(en=question_text or "(ad-hoc question)"),
        points=[RubricPoint(id=f"ref-{i + 1}", text=claim) for i, claim in enumerate(claims)],
        reference_answer=reference,
        draft=True,
    )


def _raise_error(result: Grade | GraderError) -> Grade:
    if isinstance(result, GraderError):
        raise result
    return result


class Grader:
    """Grades free-text answers against rubrics.

    Models load lazily, once per `Grader`, and are reused across calls::

        from grader import Grader
        g = Grader()
        grade = g.grade("BN normalises activations over the mini-batch ...", question="batchnorm")
        print(grade.score, [p.credit for p in grade.points])
    """

    def __init__(
        self,
        rubrics_dir: Path | str | None = None,
        embedder: str | Embedder | None = None,
        judge: str = "auto",
        calibration_file: Path | None = None,
        progress: bool = False,
    ) -> None:
        self.rubrics_dir = Path(rubrics_dir) if rubrics_dir else default_rubrics_dir()
        self._embedder_arg = embedder
        self.judge_spec = judge
        self.calibration_file = calibration_file
        self.progress = progress
        self.warnings: list[str] = []

    # -- lazily loaded state -------------------------------------------------------------
    @cached_property
    def rubrics(self) -> RubricSet:
        if not self.rubrics_dir.is_dir():
            raise GraderError(f"rubric directory not found: {self.rubrics_dir}")
        try:
            return RubricSet.from_directory(self.rubrics_dir)
        except Exception as exc:  # invalid YAML or schema: point at the checker
            raise GraderError(
                f"cannot load rubrics from {self.rubrics_dir}: run `grade rubrics check` ({exc.__class__.__name__})"
            ) from exc

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder_arg is not None and not isinstance(self._embedder_arg, str):
            return self._embedder_arg
        return load_embedder(self._embedder_arg, progress=self.progress)

    @property
    def embedder_name(self) -> str:
        if "embedder" in self.__dict__:
            return self.embedder.name
        if self._embedder_arg is not None and not isinstance(self._embedder_arg, str):
            return self._embedder_arg.name
        return resolve_embedder_spec(self._embedder_arg)

    @property
    def judge_name(self) -> str:
        # The LLM judge plugs in here; until one is configured, grading is embedding-only.
        return "none"

    @cached_property
    def calibration(self) -> Calibration:
        calibration, warning = load_calibration(self.embedder.name, self.judge_name, self.calibration_file)
        if warning:
            self.warnings.append(warning)
        return calibration

    @cached_property
    def rubric_vectors(self) -> dict[str, RubricVectors]:
        """Vectors of every rubric (needed for off-topic checks and question matching)."""
        return vectors_for(list(self.rubrics), self.embedder)

    # -- questions --------------------------------------------------------------------------
    def match(self, questions: list[str]) -> list[Match]:
        """Match question texts (any language) to rubric ids; None where nothing fits."""
        return match_questions(questions, self.rubrics, self.embedder, self.rubric_vectors)

    def resolve(self, question: str) -> Rubric:
        """A rubric by id, alias or question text; `UnknownQuestion` with a hint otherwise."""
        exact = self.rubrics.lookup(question)
        if exact is not None:
            return exact
        if not _ID_LIKE.fullmatch(question.strip()):
            matched = self.match([question])[0]
            if matched.question is not None:
                return self.rubrics[matched.question]
        raise UnknownQuestion(question, suggestion=self.rubrics.suggest(question))

    # -- grading ------------------------------------------------------------------------------
    def grade(self, answer: str, question: str) -> Grade:
        """Grade one answer to the question named by id, alias or text.

        Raises `GraderError` (e.g. `InputError` for an empty answer, `UnknownQuestion`).
        """
        return _raise_error(next(iter(self.grade_many([GradeRequest(answer=answer, question=question)]))))

    def grade_reference(self, answer: str, question_text: str, reference: str) -> Grade:
        """Grade one answer against a reference answer, for questions with no rubric."""
        request = GradeRequest(answer=answer, question_text=question_text, reference=reference)
        return _raise_error(next(iter(self.grade_many([request]))))

    def grade_many(self, requests: Iterable[GradeRequest], chunk_size: int = 64) -> Iterator[Grade | GraderError]:
        """Grades in input order; an invalid request yields its `GraderError` instead.

        Answers are encoded in chunks, with each distinct segment text encoded once.
        """
        pending: list[GradeRequest] = []
        for request in requests:
            pending.append(request)
            if len(pending) >= chunk_size:
                yield from self._grade_chunk(pending)
                pending = []
        if pending:
            yield from self._grade_chunk(pending)

    def _prepare(self, request: GradeRequest) -> tuple[Rubric, str, list[str], bool]:
        """(rubric, answer text, warnings, whether the rubric is part of the catalogue)."""
        text, warnings = prepare_answer(request.answer)
        if request.reference is not None:
            return reference_rubric(request.question_text or "", request.reference), text, warnings, False
        if not request.question:
            raise GraderError("no question given")
        return self.resolve(request.question), text, warnings, True

    def evidence(self, requests: list[GradeRequest]) -> list[Prepared | GraderError]:
        """Segment and embed a chunk of answers (each distinct segment encoded once)."""
        resolved: list[tuple[Rubric, str, list[str], bool] | GraderError] = []
        for request in requests:
            try:
                resolved.append(self._prepare(request))
            except GraderError as error:
                resolved.append(error)
        answer_segments: list[list[Segment]] = []
        unique: dict[str, int] = {}
        for item in resolved:
            segs = [] if isinstance(item, GraderError) else segments(item[1])
            answer_segments.append(segs)
            for seg in segs:
                unique.setdefault(seg.text, len(unique))
        vectors = self.embedder.encode(list(unique)) if unique else np.zeros((0, 1), np.float32)
        adhoc = [item[0] for item in resolved if not isinstance(item, GraderError) and not item[3]]
        adhoc_vectors = vectors_for(adhoc, self.embedder) if adhoc else {}
        out: list[Prepared | GraderError] = []
        for item, segs in zip(resolved, answer_segments):
            if isinstance(item, GraderError):
                out.append(item)
                continue
            rubric, text, warnings, in_catalogue = item
            seg_vectors = vectors[[unique[s.text] for s in segs]] if segs else vectors[:0]
            rv = self.rubric_vectors[rubric.id] if in_catalogue else adhoc_vectors[rubric.id]
            out.append(Prepared(rubric, rv, text, warnings, segs, seg_vectors, in_catalogue))
        return out

    def _grade_chunk(self, requests: list[GradeRequest]) -> list[Grade | GraderError]:
        return [
            item if isinstance(item, GraderError) else self.grade_prepared(item, self.calibration)
            for item in self.evidence(requests)
        ]

    def grade_prepared(self, prepared: Prepared, calibration: Calibration) -> Grade:
        """Score embedded evidence under a calibration (fitting calls this with candidates)."""
        rubric, text, warnings, in_catalogue = (
            prepared.rubric, prepared.text, prepared.warnings, prepared.in_catalogue
        )
        seg_vectors = prepared.segment_vectors
        evidence = score_points(prepared.segments, seg_vectors, prepared.vectors, calibration.params)
        flags: list[str] = []
        if warnings:
            flags.append("truncated")
        score = calibration.to_score(evidence.raw_score)
        better = None
        if in_catalogue:
            better = off_topic_match(
                rubric.id, evidence.coverage, seg_vectors, self.rubric_vectors, calibration.params
            )
            if better is not None:
                flags.append("off-topic")
                score = min(score, OFF_TOPIC_CAP)
        return Grade(
            question=rubric.id if in_catalogue else None,
            question_text=rubric.question.en,
            score=score,
            raw_score=round(evidence.raw_score, 4),
            points=evidence.points,
            flags=flags,
            language=detect_language(text),
            embedder=self.embedder.name,
            judge=self.judge_name,
            rubric_digest=rubric.digest,
            calibration=calibration.version,
            off_topic_match=better,
            warnings=warnings + self.warnings,
        )
