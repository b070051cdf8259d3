"""Grading whole interviews: turns -> exchanges (question + answer) -> grades."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.api import Grader, GradeRequest
from grader.errors import GraderError, InputError
from grader.matching import Match
from grader.results import Grade
from grader.scoring import score_points
from grader.segment import detect_language, sentences
from grader.transcripts import (
    Exchange,
    Format,
    Role,
    Turn,
    asking_sentence,
    asks,
    asks_to_talk,
    asks_what_if,
    assign_roles,
    is_clarifying_question,
    is_closing,
    is_introduction,
    is_new_question,
    is_short,
    is_small_talk,
    merge_runs,
    names_nothing_new,
    parse_turns,
    points_back,
    refers_back,
    without_question_number,
)


@dataclass
class MatchedExchange:
    exchange: Exchange
    match: Match


@dataclass
class ExchangeResult:
    n: int
    question: str | None
    question_text: str
    answer: str
    match_similarity: float
    grade: Grade | None
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """The `--out` JSON line: n, question, question_text, answer, score, points, flags."""
        flags = list(self.grade.flags) if self.grade else []
        if self.question is None:
            flags.append("out-of-catalogue")
        elif not self.answer:
            flags.append("no-answer")
        return {
            "n": self.n,
            "question": self.question,
            "question_text": self.question_text,
            "answer": self.answer,
            "score": self.grade.score if self.grade else None,
            "points": [p.model_dump(mode="json") for p in self.grade.points] if self.grade else [],
            "flags": flags,
            "match_similarity": self.match_similarity,
            **({"error": self.error} if self.error else {}),
        }


def split_exchanges(grader: Grader, text: str, fmt: Format | None = None, filename: str = "") -> list[MatchedExchange]:
    """Group turns into exchanges; each new catalogue question (or a clearly new question)
    starts one, follow-ups on the same topic stay in it, small talk is dropped."""
    turns = parse_turns(text, fmt, filename)
    roles = assign_roles(turns)
    for role, missing in (("candidate", "answers"), ("interviewer", "questions")):
        if role not in roles.values():
            raise InputError(f"only one side of the interview found: no {role} {missing} (check the speaker labels)")
    turns = _join_interviewer_runs(turns, roles)
    asked = [t.text for t in turns if roles[t.speaker] == "interviewer"]
    matches = _match_questions(grader, asked)
    result: list[MatchedExchange] = []
    current: MatchedExchange | None = None
    # A candidate's question before any answer is held back: if the interviewer then replies
    # without moving on, it was a clarifying question; if the interviewer moves on, it was the
    # answer, ending unsure ("I'm not sure. Maybe when the dataset is small?").
    held: str | None = None
    for index, turn in enumerate(turns):
        if roles[turn.speaker] == "interviewer":
            match = matches[turn.text]
            if match.question is None and is_closing(turn.text):
                _keep_held(current, held)
                current, held = None, None  # what the candidate says next is not an answer
                continue
            if match.question is None and _is_chatter(turn.text, match, opening=current is None):
                continue
            reply = _answer_after(turns, index, roles)
            if current is None:
                starts_new = True
            elif match.question is not None:
                starts_new = match.question != current.match.question and not (
                    current.exchange.answer_parts
                    and (points_back(turn.text) or asks_what_if(turn.text) or _answer_stays_on(grader, current, match.question, reply))
                )
            elif not current.exchange.answer_parts:
                starts_new = False  # the interviewer rephrasing or clarifying the question
            elif current.match.question is None:
                # Still outside the catalogue: nothing here is graded, so only a named outside
                # question opens another exchange ("What problems did you hit in training?"
                # after a GAN project is the same one).
                starts_new = match.nearer_topic not in (None, current.match.nearer_topic) and not refers_back(turn.text)
            else:
                # A question leaning on the answer with a pronoun is a follow-up, even nearer a
                # known question outside the catalogue. Otherwise a short question is taken for
                # a follow-up ("Why?"), unless it is such a known question ("How do you prevent
                # overfitting?"); so is one that names nothing new, one still nearest the current
                # rubric, or one whose reply is about it.
                nearest = match.alternatives[0][0] if match.alternatives else None
                starts_new = not refers_back(turn.text) and (
                    match.nearer_topic is not None
                    or (
                        is_new_question(turn.text)
                        and not names_nothing_new(turn.text)
                        and nearest != current.match.question
                        and not (nearest and _answer_stays_on(grader, current, nearest, reply))
                    )
                )
            if starts_new:
                _keep_held(current, held)
                current = MatchedExchange(Exchange(turn.text), match)
                result.append(current)
            else:
                assert current is not None
                current.exchange.follow_ups.append(turn.text)
            held = None
        elif current is not None:
            if is_small_talk(turn.text):
                continue
            if is_clarifying_question(turn.text) and not current.exchange.answer_parts and held is None:
                held = turn.text
                continue
            _keep_held(current, held)  # the candidate went on without a reply: it was part of the answer
            held = None
            current.exchange.answer_parts.append(turn.text)
    _keep_held(current, held)
    return result


FOLLOW_UP_LEAD = 0.04
"""How much better the candidate's reply must cover the current exchange's rubric than the
rubric the interviewer's turn is nearest for that turn to stay a follow-up. On
eval/transcripts set1-3 the replies to real new questions that covered the old rubric better
did so by 0.010-0.033, mostly wrong answers ("Это когда градиенты становятся слишком большими"
to a vanishing-gradient question after learning-rate): kept as follow-ups they would not be
graded at all. Follow-ups in eval/transcripts/set4-6 that this keeps led by 0.06-0.48."""


def _answer_after(turns: list[Turn], index: int, roles: dict[str, Role]) -> str:
    """What the candidate says between this interviewer turn and the next one."""
    parts = []
    for turn in turns[index + 1 :]:
        if roles[turn.speaker] == "interviewer":
            break
        parts.append(turn.text)
    return "\n".join(parts)


def _answer_stays_on(grader: Grader, current: MatchedExchange, other: str, answer: str) -> bool:
    """A turn nearest another rubric is still a follow-up when the candidate's reply covers the
    current exchange's rubric clearly better than that one (`FOLLOW_UP_LEAD`): "And the bias,
    what's it for?" after "How would you describe a single neuron?" matched bias-variance, and
    the reply ("It shifts the threshold…") is about neurons. Split off, such replies were
    missing from the exchange they belong to: on the graded transcripts (eval/transcripts/set4-6),
    exchanges whose hand grade was 7-10 scored 1.70 under it, and 0.67 with this check and the
    nearest-rubric rule beside it."""
    if not answer.strip() or current.match.question is None:
        return False
    prepared = grader.evidence([GradeRequest(answer=answer, question=current.match.question), GradeRequest(answer=answer, question=other)])
    params = grader.calibration.params
    covered = [
        score_points(item.segments, item.segment_vectors, item.vectors, params).coverage
        for item in prepared
        if not isinstance(item, GraderError)
    ]
    return len(covered) == 2 and covered[0] >= covered[1] + FOLLOW_UP_LEAD


def _keep_held(current: MatchedExchange | None, held: str | None) -> None:
    """A held '?' turn nobody replied to was part of the answer: keep it, in its place."""
    if current is not None and held is not None:
        current.exchange.answer_parts.append(held)


OPENING_FLOOR = 0.63
"""Before the first exchange, an unmatched question this far from every rubric and every
common outside question is small talk ("Where are you calling from today?", "你现在方便吧？",
"今日は大阪からですか？", "Ссылка нормально открылась?": 0.47-0.61 on eval/transcripts)
unless it asks the candidate to talk ("Tell me about a project you're proud of."); technical
openers there were 0.69-0.75 ("Walk me through what happens during training", "過学習とは？")."""


def _is_chatter(text: str, match: Match, opening: bool) -> bool:
    """Greetings, audio and screen checks ("Okay, the recording is on. Can you see my
    screen?"), and before the first question a request to introduce oneself ("Tell me about
    yourself", "自我介绍一下") or anything that asks nothing or only small talk
    (`OPENING_FLOOR`). Thanks before a real question ("Thanks. How do you
    prevent overfitting?") is not chatter: dropped, that turn's answer was appended to the
    previous exchange's answer."""
    question = asking_sentence(text)
    if is_small_talk(question):
        return True
    if is_small_talk(text) and not (question != text and asks(question)):
        return True
    if opening and is_introduction(text):
        return True
    if not opening or asks_to_talk(text):
        return False
    if any(is_small_talk(first) for first in sentences(text)[:1]) and match.nearer_topic is None:
        return True  # a greeting, then "We'll go through a few deep learning topics, is that alright?"
    return not asks(text) or max(match.similarity, match.outside_similarity) < OPENING_FLOOR


def _join_interviewer_runs(turns: list[Turn], roles: dict[str, Role]) -> list[Turn]:
    """Interviewer turns with no answer between them are one question: a panel member adding
    to it, or one question split over two lines or subtitle cues."""
    return merge_runs(turns, lambda a, b: roles[a.speaker] == roles[b.speaker] == "interviewer", "\n")


def _question_variants(text: str) -> list[str]:
    """What an interviewer turn is matched by: the whole turn, and the turn from its first
    asking sentence on, with and without the sentence before it (a scenario often precedes
    "What's going on there?"). Feedback on the last answer, "Next:" and small talk come
    before the question and pull the whole turn's vector away from it."""
    text = without_question_number(text)
    sents = [without_question_number(s) for s in sentences(text)]
    asking = next((i for i, s in enumerate(sents) if asks(s) or asks_to_talk(s)), None)
    variants = [text]
    if asking is not None and len(sents) > 1:
        joiner = "" if detect_language(text) in ("zh", "ja") else " "
        variants += [joiner.join(sents[max(asking - 1, 0) :]), joiner.join(sents[asking:])]
    if asking is not None:
        variants += _after_lead_in(sents[asking])
    return list(dict.fromkeys(variants))


_LEAD_IN_END = re.compile(r"[,，、:：]\s*|\s+[—–]\s+")


def _after_lead_in(sentence: str) -> list[str]:
    """The asking sentence after its first and after its last clause break, when enough is left
    to be a question: a lead-in ("では最後に、…", "最后一个，什么是 epoch？", "Since you mentioned LSTMs,
    how are…") pulls a short question's vector away from the rubric's (0.68 -> 0.72-0.74)."""
    cuts = [m.end() for m in _LEAD_IN_END.finditer(sentence)]
    tails = [sentence[cut:].strip() for cut in cuts[:1] + cuts[-1:]]
    return [tail for tail in tails if not is_short(tail, words=3, cjk_chars=5)]  # enough left to be a question


def _match_questions(grader: Grader, asked: list[str]) -> dict[str, Match]:
    """Each interviewer turn's best match over its `_question_variants`."""
    variants = {text: _question_variants(text) for text in asked}
    flat = [v for vs in variants.values() for v in vs]
    found = dict(zip(flat, grader.match(flat))) if flat else {}
    return {text: max((found[v] for v in vs), key=lambda m: m.similarity) for text, vs in variants.items()}


def grade_transcript(grader: Grader, text: str, fmt: Format | None = None, filename: str = "") -> list[ExchangeResult]:
    exchanges = split_exchanges(grader, text, fmt, filename)
    to_grade = [(i, m) for i, m in enumerate(exchanges) if m.match.question is not None and m.exchange.answer]
    grades = list(grader.grade_many([GradeRequest(answer=m.exchange.answer, question=m.match.question) for _, m in to_grade]))
    by_index = dict(zip((i for i, _ in to_grade), grades))
    results = []
    for i, matched in enumerate(exchanges):
        outcome = by_index.get(i)
        results.append(
            ExchangeResult(
                n=i + 1,
                question=matched.match.question,
                question_text=matched.exchange.question_text,
                answer=matched.exchange.answer,
                match_similarity=matched.match.similarity,
                grade=outcome if isinstance(outcome, Grade) else None,
                error=str(outcome) if isinstance(outcome, GraderError) else None,
            )
        )
    return results
