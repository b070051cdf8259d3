"""`Grader`: load models once, grade many answers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from grader.answer_input import prepare_answer
from grader.calibration import Calibration, load_calibration
from grader.embedders import Embedder, load_embedder, resolve_embedder_spec
from grader.errors import GraderError, InputError, JudgeError, UnknownQuestion
from grader.matching import Match, match_questions
from grader.results import Grade
from grader.rubric import QuestionText, Rubric, RubricPoint, RubricSet
from grader.background import BackgroundTopics, background_topics
from grader.rubric_vectors import RubricVectors, vectors_for
from grader import judge_cache, models
from grader.judges import Judge, get_judge, llama_cpp_installed, local_model_present
from grader.prompt import prompt_version, render, schema_version, verdict_schema
from grader.checks import check_points
from grader.scoring import apply_checks, apply_verdicts, judge_penalty, off_topic_reasons, raw_from_points, score_points, signals
from grader.verdicts import JudgeVerdicts, parse_verdicts
from grader.injection import strip_injections
from grader.segment import Segment, detect_language, in_supported_script, segments, sentences

PACKAGE_DIR = Path(__file__).parent
_ID_LIKE = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""A `--q` value of this shape is a mistyped id (suggest one), not a question to match."""


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
    flags: list[str]
    """Flags found while preparing (`truncated`, `instruction-in-answer`)."""


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
        judge_model: Path | None = None,
        openai_options: dict[str, Any] | None = None,
        use_judge_cache: bool = True,
        explain: bool = False,
    ) -> None:
        self.rubrics_dir = Path(rubrics_dir) if rubrics_dir else default_rubrics_dir()
        self._embedder_arg = embedder
        if judge not in ("auto", "none", "local", "openai"):
            raise GraderError(f"unknown judge {judge!r}: use none, local, openai or auto")
        self.judge_spec = judge
        self.judge_model = judge_model
        self.openai_options = openai_options or {}
        self.use_judge_cache = use_judge_cache
        self.explain = explain
        """With a judge, also ask it for written per-point verdicts with quotes (slow: one
        long generation per answer). They explain; the yes/no checks score."""
        # Evidence variants, measured by `python eval/evidence_variants.py` (held-out QWK on
        # eval/, encode time for 310 answers): encoded windows + question-prefixed sentences
        # 0.840 in 269 s; sentence vectors with mean windows 0.831 in 75 s. The 3.6x speed-up
        # costs 0.009 QWK (under the 0.01 the speed issue allows), so the fast path is default.
        self.context_segments = False
        """Also embed each sentence prefixed by the question (helps terse answers)."""
        self.encode_windows = False
        """Encode 2-sentence windows as text (True) or take the normalised mean of their
        sentences' vectors (False, no extra encoding)."""
        self.calibration_file = calibration_file
        self.progress = progress
        self.warnings: list[str] = []

    # -- lazily loaded state -------------------------------------------------------------
    @cached_property
    def rubrics(self) -> RubricSet:
        if not self.rubrics_dir.is_dir():
            raise GraderError(f"rubric directory not found: {self.rubrics_dir}")
        try:
            rubrics = RubricSet.from_directory(self.rubrics_dir)
        except Exception as exc:  # invalid YAML or schema: point at the checker
            raise GraderError(
                f"cannot load rubrics from {self.rubrics_dir}: run `grade rubrics check` ({exc.__class__.__name__})"
            ) from exc
        if not len(rubrics):
            raise GraderError(f"no rubrics (*.yaml) in {self.rubrics_dir}")
        return rubrics

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

    @cached_property
    def judge(self) -> Judge | None:
        """The LLM judge, or None for embedding-only grading.

        `auto` takes the local model only when it and llama-cpp-python are installed AND a
        calibration shows it helps (`Calibration.judge_helps`: a fitted weight or penalty whose
        held-out gain is clear of zero); a judge that has not been shown to improve agreement
        only costs seconds per answer.
        """
        spec = self.judge_spec
        if spec == "auto":
            spec = "none"
            if local_model_present():
                # Whether the judge helps comes first: if it does not, a missing
                # llama-cpp-python is beside the point.
                label = self.judge_model.stem if self.judge_model else models.QWEN_JUDGE.name
                calibration, _ = load_calibration(self.embedder_name, f"local:{label}", self.calibration_file)
                if not calibration.judge_helps:
                    self.warnings.append(
                        "local judge present but not calibrated to help (no held-out gain clear of zero): "
                        "grading embedding-only (--judge local forces it)"
                    )
                elif not llama_cpp_installed():
                    self.warnings.append("local judge model present but llama-cpp-python is not installed: grading embedding-only (pip install -e '.[judge]')")
                else:
                    spec = "local"
        return get_judge(spec, self.judge_model, **self.openai_options)

    @property
    def judge_name(self) -> str:
        return self.judge.name if self.judge is not None else "none"

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

    @cached_property
    def background(self) -> BackgroundTopics:
        """Common questions outside the catalogue, for the off-topic check (background.py)."""
        return background_topics(self.embedder)

    # -- questions --------------------------------------------------------------------------
    def match(self, questions: list[str]) -> list[Match]:
        """Match question texts (any language) to rubric ids; None where nothing fits."""
        return match_questions(questions, self.rubrics, self.embedder, self.rubric_vectors, background=self.background)

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

    def _prepare(self, request: GradeRequest) -> tuple[Rubric, str, list[str], bool, list[str]]:
        """(rubric, answer text, warnings, whether the rubric is in the catalogue, flags)."""
        for name in ("answer", "question", "question_text", "reference"):
            value = getattr(request, name)
            if value is not None and not isinstance(value, str):
                raise InputError(f"{name} must be a string, not {type(value).__name__}")
        if request.answer is None:
            raise InputError("no answer given")
        text, warnings = prepare_answer(request.answer)
        flags = ["truncated"] if warnings else []
        text, injected = strip_injections(text)
        if injected:
            flags.append("instruction-in-answer")
        if not in_supported_script(text):
            flags.append("unsupported-language")
            warnings = [*warnings, "the answer is not in English, Chinese, Japanese or Russian; its score is not calibrated"]
        if request.reference is not None:
            rubric = reference_rubric(request.question_text or "", request.reference)
            return rubric, text, warnings, False, flags
        if not request.question:
            raise GraderError("no question given")
        return self.resolve(request.question), text, warnings, True, flags

    def evidence(self, requests: list[GradeRequest]) -> list[Prepared | GraderError]:
        """Segment and embed a chunk of answers (each distinct segment encoded once)."""
        resolved: list[tuple[Rubric, str, list[str], bool, list[str]] | GraderError] = []
        for request in requests:
            try:
                resolved.append(self._prepare(request))
            except GraderError as error:
                resolved.append(error)
        answer_segments: list[list[Segment]] = []
        unique: dict[str, int] = {}
        for item in resolved:
            if isinstance(item, GraderError):
                segs = []
            else:
                context = item[0].question.en if self.context_segments and item[3] else None
                segs = segments(item[1], context=context)
            answer_segments.append(segs)
            for seg in segs:
                if self.encode_windows or seg.first == seg.last:
                    unique.setdefault(seg.embed_text, len(unique))
        vectors = self.embedder.encode(list(unique)) if unique else np.zeros((0, 1), np.float32)
        adhoc = [item[0] for item in resolved if not isinstance(item, GraderError) and not item[3]]
        adhoc_vectors = vectors_for(adhoc, self.embedder) if adhoc else {}
        out: list[Prepared | GraderError] = []
        for item, segs in zip(resolved, answer_segments):
            if isinstance(item, GraderError):
                out.append(item)
                continue
            rubric, text, warnings, in_catalogue, flags = item
            seg_vectors = self._segment_vectors(segs, unique, vectors)
            rv = self.rubric_vectors[rubric.id] if in_catalogue else adhoc_vectors[rubric.id]
            out.append(Prepared(rubric, rv, text, warnings, segs, seg_vectors, in_catalogue, flags))
        return out

    def _segment_vectors(self, segs: list[Segment], unique: dict[str, int], vectors: np.ndarray) -> np.ndarray:
        """Rows for `segs` from the encoded texts; windows not encoded are sentence means."""
        if not segs:
            return vectors[:0]
        if self.encode_windows:
            return vectors[[unique[s.embed_text] for s in segs]]
        plain = {s.first: vectors[unique[s.embed_text]] for s in segs if s.is_plain_sentence}
        rows = []
        for seg in segs:
            if seg.first == seg.last:
                rows.append(vectors[unique[seg.embed_text]])
            else:
                mean = np.mean([plain[i] for i in range(seg.first, seg.last + 1)], axis=0)
                rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        return np.asarray(rows, dtype=np.float32)

    def _grade_chunk(self, requests: list[GradeRequest]) -> list[Grade | GraderError]:
        return [self.grade_evidence(item) for item in self.evidence(requests)]

    def grade_evidence(self, item: Prepared | GraderError) -> Grade | GraderError:
        """Grade embedded evidence with this grader's judge (if any) and calibration."""
        if isinstance(item, GraderError):
            return item
        checks, verdicts, unscored = None, None, False
        try:
            if self.judge is not None:
                checks = check_points(self.judge, item.rubric, item.text, self.use_judge_cache)
                if self.explain:
                    verdicts, unscored = self.judge_verdicts(item)
        except JudgeError as error:
            return error
        return self.grade_prepared(item, self.calibration, verdicts, unscored, checks)

    def judge_verdicts(self, item: Prepared) -> tuple[JudgeVerdicts | None, bool]:
        """(verdicts, unscored): the judge's reply validated; one re-ask on an unusable reply,
        then the answer is marked `judge-unscored` rather than counted as missing."""
        judge = self.judge
        assert judge is not None
        prompt = render(item.rubric, item.text)
        schema = verdict_schema(item.rubric, item.text)
        version = f"{prompt_version()}:{schema_version(schema)}"
        key = judge_cache.cache_key(judge.name, version, item.rubric.judge_digest, item.text)
        cached = judge_cache.load(key) if self.use_judge_cache else None
        if cached is not None:
            parsed = parse_verdicts(cached, item.rubric, item.text)
            if parsed is not None:
                return parsed, False
        for _ in range(2):
            raw = judge.complete(prompt, schema)
            parsed = parse_verdicts(raw, item.rubric, item.text)
            if parsed is not None:
                if self.use_judge_cache:
                    judge_cache.store(key, raw)
                return parsed, False
        return None, True

    def grade_prepared(
        self,
        prepared: Prepared,
        calibration: Calibration,
        verdicts: JudgeVerdicts | None = None,
        judge_unscored: bool = False,
        checks: dict[str, float | None] | None = None,
    ) -> Grade:
        """Score embedded evidence (and the judge's checks and verdicts) under a calibration."""
        rubric, text, warnings, in_catalogue = (
            prepared.rubric, prepared.text, prepared.warnings, prepared.in_catalogue
        )
        seg_vectors = prepared.segment_vectors
        evidence = score_points(prepared.segments, seg_vectors, prepared.vectors, calibration.params)
        points = apply_verdicts(apply_checks(evidence.points, checks, calibration), verdicts)
        raw, _ = raw_from_points(points)
        flags = list(prepared.flags)
        penalty, _ = judge_penalty(points, calibration)
        if penalty > 0:  # the point's judge_yes shows which misconception
            raw *= 1 - penalty
            flags.append("judge-misconception")
        if judge_unscored or (checks is not None and None in checks.values()):
            flags.append("judge-unscored")
        if verdicts is not None and verdicts.instructions_to_grader and "instruction-in-answer" not in flags:
            flags.append("instruction-in-answer")
        answer_signals = signals(evidence, raw)
        score = calibration.to_score(calibration.combine(answer_signals))
        better, subject = None, None
        if in_catalogue:
            better, subject = off_topic_reasons(
                rubric.id, evidence, seg_vectors, self.rubric_vectors, self.background, calibration.params
            )
            if better is not None or subject is not None:
                flags.append("off-topic")
                score = min(score, calibration.off_topic_cap)
        return Grade(
            question=rubric.id if in_catalogue else None,
            question_text=rubric.question.en,
            score=score,
            raw_score=round(raw, 4),
            signals={k: round(v, 4) for k, v in answer_signals.items()},
            points=points,
            flags=flags,
            language=detect_language(text),
            embedder=self.embedder.name,
            judge=self.judge_name,
            rubric_digest=rubric.digest,
            calibration=calibration.version,
            prompt_version=prompt_version() if checks is not None or verdicts is not None or judge_unscored else None,
            off_topic_match=better,
            off_topic_subject=subject,
            warnings=warnings + self.warnings,
        )
