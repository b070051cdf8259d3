"""Splitting an answer into the pieces that are matched against rubric points.

Sentences alone miss claims spread over two sentences; the whole answer blurs them all
together. Sentences plus windows of adjacent sentences worked best in our measurements.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A sentence ends at CJK/full-width terminators (no space follows them in zh/ja text), at
# ASCII terminators followed by white space, or at a line break. Decimal points ("0.01")
# and abbreviations without a following space stay inside the sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.;])\s+|\n+")
# A numbered bullet is "1." or "2)", not the start of a decimal ("0.1 is a common rate").
_BULLET = re.compile(r"^\s*(?:[-*•▪️·]+|\d+[.)、](?!\d)|[（(]?\d+[)）])\s*")
_CLAUSE_BREAK = re.compile(r"(?<=[,，、;；])")
# Clause boundaries for short answers: after a comma/semicolon/colon, before a spaced dash,
# and at a space between two CJK characters: written zh/ja puts none there, speech-to-text
# marks its pauses with one ("太大的话 就是会震荡 甚至发散").
_CLAUSE_END = re.compile(r"(?<=[,，、;；:：])|(?=\s+[—–]\s+)|(?<=[\u3040-\u30ff\u4e00-\u9fff])(?=\s+[\u3040-\u30ff\u4e00-\u9fff])")
CLAUSE_SPLIT_MAX_SENTENCES = 2
"""Answers of at most this many sentences are also matched clause by clause (see `clauses`)."""
_MIN_CLAUSE_CHARS = {"zh": 6, "ja": 6}
_MIN_CLAUSE_CHARS_DEFAULT = 15
# ...and, in en/ru, at least three words: the subject alone ("Батч-нормализация" before the
# copula dash of "X — это Y") matched the rubric's main point at 0.79 by naming the topic.
_MIN_CLAUSE_WORDS = 3
_SCRIPT_PATTERNS = {
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "en": re.compile(r"[A-Za-z]"),
}
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "т.е.", "т.д.", "т.п.", "напр.", "др.")
MAX_SEGMENT_CHARS = 320
# Written sentences in eval/ run to 44 words (en/ru) or 105 characters (zh/ja) at the 99th
# percentile, with medians of 15-19 words and 42-47 characters. A longer one is cut into
# pieces of about the median (see `_split_long`).
_LONG_SENTENCE, _LONG_SENTENCE_CJK = 35, 80
_PIECE, _PIECE_CJK = 20, 45
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\s*\S+")
MIN_SEGMENT_CHARS = 4


@dataclass(frozen=True)
class Segment:
    text: str
    first: int
    """Index of the first sentence covered."""
    last: int
    """Index of the last sentence covered (== first for a single sentence)."""
    context: str = ""
    """Text embedded before the segment (the question), not part of the evidence shown."""
    clause: bool = False
    """A clause of sentence `first`, not the whole sentence."""

    @property
    def is_plain_sentence(self) -> bool:
        """One sentence as written: not a window, not a clause, not prefixed by the question."""
        return self.first == self.last and not self.context and not self.clause

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


def _size(text: str, cjk: bool) -> int:
    """Length in words, or in characters for zh/ja, which put no spaces between words."""
    return len(_SPACE.sub("", text)) if cjk else len(text.split())


def _units(clause: str, most: float, cjk: bool) -> list[str]:
    """A clause, or if it is longer than `most`, its words (zh/ja: its space-separated
    phrases, as speech-to-text leaves them, cut into runs of characters where still longer)."""
    if _size(clause, cjk) <= most:
        return [clause]
    units: list[str] = []
    width = max(1, math.ceil(most))
    for word in _WORD.findall(clause):
        if cjk and _size(word, cjk) > most:
            units += [word[i : i + width] for i in range(0, len(word), width)]
        else:
            units.append(word)
    return units


def _split_long(sentence: str) -> list[str]:
    """Cut a sentence far longer than written sentences into pieces of about a typical
    sentence's length, at clause punctuation where there is some, else between words.

    Such a sentence is mostly speech-to-text output with no punctuation: read as one sentence,
    every rubric point was matched against one vector that blurred all its claims. With the
    punctuation stripped from eval/'s answers (eval/asr_variant.py), QWK against the human
    grades fell from 0.90 to 0.64 and scores by 1.3 on average; with the cut, to 0.85 and by
    0.53. Cutting only past the 99th percentile (45 words, 110 characters) recovered less (0.80)."""
    cjk = detect_language(sentence) in ("zh", "ja")
    total = _size(sentence, cjk)
    if total <= (_LONG_SENTENCE_CJK if cjk else _LONG_SENTENCE):
        pieces = [sentence]
    else:
        count = math.ceil(total / (_PIECE_CJK if cjk else _PIECE))
        most = total / count
        pieces = []
        current = ""
        for clause in _CLAUSE_BREAK.split(sentence):
            for unit in _units(clause, most, cjk):
                if current and _size(current + unit, cjk) > most:
                    pieces.append(current)
                    current = ""
                current += unit
        if current:
            if pieces and _size(current, cjk) < most / 2:
                pieces[-1] += current
            else:
                pieces.append(current)
    # A "word" with no spaces (a URL, an encoded blob) still ends up bounded.
    return [piece[i : i + MAX_SEGMENT_CHARS] for piece in pieces for i in range(0, len(piece), MAX_SEGMENT_CHARS)]


_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^[\s|:-]*-[\s|:-]*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_EMPHASIS = re.compile(r"\*\*|__|`+")


def _unmarkdown(text: str) -> str:
    """Markdown as the prose it stands for: a table row becomes one sentence of its cells
    (numbering cells dropped), rule lines, heading marks, bold and code ticks go. A table
    of the same claims scored 3.7 where the prose scored 6.8: pipes and rules were matched
    as if they were words."""
    lines = []
    for line in text.split("\n"):
        row = _TABLE_ROW.match(line)
        if row:
            if _TABLE_RULE.match(line):
                continue
            cells = [cell.strip() for cell in row.group(1).split("|")]
            line = ", ".join(cell for cell in cells if cell and not cell.rstrip(".").isdigit())
        lines.append(_EMPHASIS.sub("", _HEADING.sub("", line)))
    return "\n".join(lines)


def sentences(text: str) -> list[str]:
    """Sentences of an en/zh/ja/ru text, bullets and markdown stripped, fragments merged forward."""
    result: list[str] = []
    for raw in _SENTENCE_END.split(_unmarkdown(text)):
        if raw is None:
            continue
        sentence = _BULLET.sub("", raw).strip()
        if not sentence:
            continue
        for piece in _split_long(sentence):
            piece = piece.strip()
            if result and (
                len(piece) < MIN_SEGMENT_CHARS or result[-1].lower().endswith(_ABBREVIATIONS)
            ):
                joiner = "" if detect_language(piece) in ("zh", "ja") else " "
                result[-1] = f"{result[-1]}{joiner}{piece}".strip()
            elif piece:
                result.append(piece)
    return result


def clauses(sentence: str) -> list[str]:
    """The clauses of one sentence; a fragment too short to carry a claim ("So,", "即，",
    a bare subject such as "Батч-нормализация" before the copula dash of "X — это Y") joins
    the next clause (the last one joins the previous). One item if nothing splits."""
    lang = detect_language(sentence)
    minimum = _MIN_CLAUSE_CHARS.get(lang, _MIN_CLAUSE_CHARS_DEFAULT)

    def carries_claim(fragment: str) -> bool:
        fragment = fragment.strip()
        return len(fragment) >= minimum and (lang in ("zh", "ja") or len(fragment.split()) >= _MIN_CLAUSE_WORDS)

    cuts = [m.start() for m in _CLAUSE_END.finditer(sentence) if 0 < m.start() < len(sentence)]
    spans: list[tuple[int, int]] = []
    start = 0
    for end in cuts:
        if carries_claim(sentence[start:end]):
            spans.append((start, end))
            start = end
    if sentence[start:].strip():
        if spans and not carries_claim(sentence[start:]):
            spans[-1] = (spans[-1][0], len(sentence))
        else:
            spans.append((start, len(sentence)))
    return [sentence[a:b].strip().lstrip("—–").strip() for a, b in spans]


_ENDS_IN_PUNCTUATION = re.compile(r"[.!?。！？;；,，、:：…)）」』\"”]\s*$")


def _straddle(left: str, right: str) -> str | None:
    """The second half of `left` run into the first half of `right`, when `left` ends with no
    punctuation at all: then the two are mostly pieces of one unpunctuated run (speech-to-text)
    cut between words, and a claim cut in two lies whole in the straddle. Unpunctuated list
    lines are joined the same way, which costs no fairness: a straddle is only one more place
    a correct point may be found."""
    if _ENDS_IN_PUNCTUATION.search(left):
        return None
    a, b = left.split(), right.split()
    if len(a) >= 4 and len(b) >= 4:  # words, or the phrases between speech-to-text pauses
        return " ".join(a[len(a) // 2 :] + b[: len(b) // 2])
    if detect_language(left) in ("zh", "ja"):  # unbroken characters
        tail, head = left[len(left) // 2 :], right[: len(right) // 2]
        latin = tail[-1:].isascii() and tail[-1:].isalnum() and head[:1].isascii() and head[:1].isalnum()
        return f"{tail} {head}" if latin else tail + head
    return None


_WINDOW_WORDS, _WINDOW_STRIDE, _WINDOW_MIN_SENTENCE = 10, 5, 16


def _word_windows(sentence: str) -> list[str]:
    """Overlapping runs of words of a long en/ru sentence with no clause punctuation, as
    speech-to-text writes them: the clauses it never marked."""
    words = sentence.split()
    if detect_language(sentence) in ("zh", "ja") or len(words) < _WINDOW_MIN_SENTENCE:
        return []
    starts = range(0, len(words) - _WINDOW_WORDS + _WINDOW_STRIDE, _WINDOW_STRIDE)
    return [" ".join(words[k : k + _WINDOW_WORDS]) for k in starts]


def segments(text: str, window: int = 2, context: str | None = None) -> list[Segment]:
    """Each sentence, then each run of `window` adjacent sentences; with `context` (the
    question), also each sentence prefixed by it, because candidates leave the subject to the
    question ("Too high and it diverges").

    A short answer (at most `CLAUSE_SPLIT_MAX_SENTENCES` sentences) also gets each clause of
    each sentence: terse answers pack several claims into one sentence, whose single vector
    blurs them (terse-correct answers were graded 1.6 too low). On eval/, before refitting,
    held-out QWK rose by 0.022 (paired 90% interval +0.011 to +0.036, resampling questions).
    Longer answers spread claims over sentences; clause-splitting answers of up to 3 or 4
    sentences, or all, scored no better and cost more encoding (up to 2.4x the sentences).

    Speech-to-text marks neither clauses nor sentences, so two more kinds of clause segment
    (matched for correct points only, never counted as sentences) stand in for them: a short
    answer's long sentence with no clause punctuation is also matched in overlapping word
    windows (`_word_windows`), and two pieces of one unpunctuated run are also matched
    across their cut (`_straddle`). On eval/ with the punctuation stripped
    (eval/asr_variant.py), QWK rose from 0.850 to 0.859 (ru 0.799 to 0.813) and spoken
    answers' mean deficit fell from 0.53 to 0.44; written answers scored as before (held-out
    QWK 0.891 both). The cost is encoding: 1.8x the segments for those spoken answers, almost
    all of it straddles; 1.02x for written ones."""
    sents = sentences(text)
    out = [Segment(s, i, i) for i, s in enumerate(sents)]
    if context:
        out += [Segment(s, i, i, context=context) for i, s in enumerate(sents)]
    if len(sents) <= CLAUSE_SPLIT_MAX_SENTENCES:
        for i, sentence in enumerate(sents):
            parts = clauses(sentence)
            if len(parts) > 1:
                out += [Segment(part, i, i, clause=True) for part in parts]
            else:
                out += [Segment(part, i, i, clause=True) for part in _word_windows(sentence)]
    for i in range(len(sents) - 1):
        joined = _straddle(sents[i], sents[i + 1])
        if joined:  # first == last: encoded as text, not averaged like a window
            out.append(Segment(joined, i, i, clause=True))
    for size in range(2, window + 1):
        for i in range(len(sents) - size + 1):
            joiner = "" if detect_language(sents[i]) in ("zh", "ja") else " "
            out.append(Segment(joiner.join(sents[i : i + size]), i, i + size - 1))
    return out


def in_supported_script(text: str) -> bool:
    """False when most letters are in a script none of en/zh/ja/ru uses (Hangul, Arabic,
    Greek...): such answers are graded, but nothing calibrated them. Accented Latin counts as
    supported: it cannot be told from English by script, and technical terms are mostly Latin."""
    letters = [ch for ch in text if ch.isalpha()]
    known = sum(1 for ch in letters if ch < "\u0250" or "\u3400" <= ch <= "\u4dbf" or "\uff00" <= ch <= "\uffef"
                or any(p.match(ch) for p in _SCRIPT_PATTERNS.values()))  # fmt: skip
    return known * 2 >= len(letters)


def detect_language(text: str) -> str:
    """The dominant script's language: kana means ja, Han without kana zh, Cyrillic ru."""
    counts = {lang: len(p.findall(text)) for lang, p in _SCRIPT_PATTERNS.items()}
    if counts["ja"] >= 2 or (counts["ja"] and counts["ja"] * 10 >= counts["zh"]):
        return "ja"
    # Han characters carry ~2-3x the content of a Latin letter; weigh them up.
    weighted = {"zh": counts["zh"] * 3, "ru": counts["ru"], "en": counts["en"]}
    best = max(weighted, key=lambda lang: weighted[lang])
    return best if weighted[best] else "en"
