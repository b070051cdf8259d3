"""Plain-text rendering of grades and rubrics for the terminal."""

from __future__ import annotations

import math
import textwrap
import unicodedata

from grader.results import Grade
from grader.rubric import Rubric


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, limit: int) -> str:
    out, used = "", 0
    for char in " ".join(text.split()):
        w = _width(char)
        if used + w > limit - 1:
            return out + "…"
        out += char
        used += w
    return out


def off_topic_detail(grade: Grade) -> str:
    """Why an answer is flagged off-topic, for people: the rubric it fits or the question it answers."""
    if grade.off_topic_match:
        return f"fits {grade.off_topic_match} better"
    if grade.off_topic_subject:
        return f"answers another question: {grade.off_topic_subject}"
    return ""


def judge_unscored_detail(grade: Grade) -> str:
    """What `judge-unscored` leaves out: the written verdicts, or some yes/no checks."""
    if "judge-unscored" not in grade.flags:
        return ""
    if any(p.judge_yes is None for p in grade.points):
        return "the judge gave no yes/no for some points: they keep their embedding credit"
    return "the judge's written verdicts were unusable (unparsable, or one verdict for every point); its P(yes) checks still apply"


def render_grade(grade: Grade) -> str:
    """A table per point (credit, similarity, matched sentence) and the score."""
    lines = [f"Question: {grade.question or '(reference answer)'} — {grade.question_text}"]
    lines.append(f"{'':2}{'point':<44} {'weight':>6} {'credit':>6} {'sim':>5}  evidence")
    for point in grade.points:
        mark = "−" if point.weight < 0 else ("✓" if (point.credit or 0) >= 0.5 else "·")
        credit = "n/a" if point.credit is None else f"{point.credit:.2f}"
        label = _clip(point.text, 44)
        pad = " " * max(0, 44 - _width(label))
        evidence = _clip(point.evidence or "", 60) if (point.credit or 0) >= 0.2 else ""
        lines.append(f"{mark} {label}{pad} {point.weight:>6.1f} {credit:>6} {point.similarity:>5.2f}  {evidence}")
        if point.verdict or point.judge_yes is not None:
            # The check's P(yes) is what scores; the written verdict (--explain) is shown as
            # the judge wrote it, with the answer sentence it quotes.
            parts = [f"P(yes) {point.judge_yes:.2f}"] if point.judge_yes is not None else []
            if point.verdict:
                quote = f' "{_clip(point.judge_quote, 60)}"' if point.judge_quote else ""
                parts.append(f"verdict {point.verdict}{quote}")
            lines.append(f"{'':4}judge: {' · '.join(parts)}")
    score = "not scored" if grade.score is None else f"{grade.score:.1f} / 10"
    lines.append("")
    lines.append(f"Score: {score}   (language {grade.language}; embedder {grade.embedder}; judge {grade.judge})")
    if grade.signals:
        s = grade.signals
        lines.append(
            f"Signals: coverage {s.get('raw', 0):.2f}, misconception {s.get('misconception', 0):.2f}, "
            f"sentences {round(math.expm1(s.get('log_sentences', 0)))}, "
            f"closer to the reference answer than to the question by {s.get('reference_lead', 0):+.2f}"
        )
    if grade.flags:
        why = "; ".join(filter(None, [off_topic_detail(grade), judge_unscored_detail(grade)]))
        lines.append(f"Flags: {', '.join(grade.flags)}{f' ({why})' if why else ''}")
    return "\n".join(lines)


def render_rubric(rubric: Rubric) -> str:
    lines = [f"{rubric.id}: {rubric.question.en}"]
    if rubric.aliases:
        lines.append(f"aliases: {', '.join(rubric.aliases)}")
    lines.extend(f"asked as: {_clip(text, 110)}" for text in rubric.asked_as.en)
    if rubric.sources:
        lines.append(f"sources: {', '.join(rubric.sources)}")
    lines.append(f"digest: {rubric.digest}{'  (DRAFT)' if rubric.draft else ''}")
    lines.append("")
    for point in rubric.points:
        lines.append(f"[{point.weight:+.0f}] {point.id}: {point.text}")
        for ev in point.evidence:
            lines.append(f"      {ev.source}: 「{_clip(ev.quote, 90)}」")
    if rubric.reference_answer:
        lines.append("")
        lines.append("Reference answer:")
        lines.extend(textwrap.wrap(rubric.reference_answer, 96))
    for note in rubric.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
