"""Interview transcripts -> question/answer exchanges.

Formats (detected, or forced with `fmt`): plain text with speaker labels (`Interviewer:`,
`Q:`/`A:`, full-width `：`, `**Name**:` Markdown), JSON / JSONL chat exports
(`{"speaker", "text"}` or `{"role", "content"}`), and WebVTT / SRT subtitles with speaker tags
(`<v Name>` or `Name:` inside the cue).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from grader.errors import InputError

Role = Literal["interviewer", "candidate"]
Format = Literal["text", "json", "vtt", "srt"]

_INTERVIEWER = {
    "interviewer", "q", "question", "hr", "host", "recruiter", "examiner", "interviewer (me)",
    "面试官", "面试者", "考官", "问", "提问", "主持人", "面接官", "質問", "質問者", "インタビュアー",
    "интервьюер", "собеседующий", "вопрос", "в", "hiring manager",
}  # fmt: skip
_CANDIDATE = {
    "candidate", "a", "answer", "applicant", "interviewee", "me",
    "候选人", "应聘者", "求职者", "答", "回答", "候補者", "応募者", "受験者", "回答者",
    "кандидат", "соискатель", "ответ", "о",
}  # fmt: skip
_LABEL = re.compile(r"^\s*(?:\*\*|__)?\s*([^:：*_\n]{1,40}?)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.*)$")
_TIMESTAMP = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>(.*?)(?:</v>)?$")
_TAG = re.compile(r"<[^>]+>")
_SMALL_TALK = re.compile(
    r"(hear me|see my screen|can you hear|hello|^hi\b|good (morning|afternoon|evening)|thank|thanks|"
    r"let'?s (start|begin|move on|continue)|nice to meet|ready\??$|any questions for (me|us)|that'?s all|bye|"
    r"听得到|听得见|能听到|你好|您好|谢谢|感谢|我们开始|准备好了|下一个问题|再见|"
    r"聞こえ|こんにちは|よろしく|ありがとう|始めましょう|次の質問|お疲れ|"
    r"слышно|слышите|здравствуй|привет|добрый (день|вечер)|спасибо|начн[её]м|следующий вопрос|до свидания)",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(why|how so|and |what about|can you (elaborate|explain more|give an example)|could you|for example|"
    r"go on|more detail|what if|为什么|那|能具体|具体|比如|举个例子|还有呢|如果|"
    r"なぜ|具体的|例えば|他には|もし|それでは|"
    r"почему|а (если|что|как|почему)|подробнее|например|что ещ[её])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str


@dataclass
class Exchange:
    question_text: str
    answer_parts: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return "\n".join(self.answer_parts).strip()


def detect_format(text: str, filename: str = "") -> Format:
    lower = filename.lower()
    stripped = text.lstrip("\ufeff \n\t")
    if lower.endswith(".vtt") or stripped.startswith("WEBVTT"):
        return "vtt"
    if lower.endswith(".srt") or re.match(r"\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[.,]\d{3}\s*-->", stripped):
        return "srt"
    if lower.endswith((".json", ".jsonl")) or stripped.startswith(("[", "{")):
        return "json"
    return "text"


def _turns_from_json(text: str) -> list[Turn]:
    try:
        data = json.loads(text)
        items = data.get("messages", data.get("turns", [])) if isinstance(data, dict) else data
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON or JSONL (line {exc.lineno}: {exc.msg})") from exc
    turns = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        speaker = item.get("speaker", item.get("role", item.get("name", item.get("from", ""))))
        content = item.get("text", item.get("content", item.get("message", "")))
        if isinstance(content, str) and content.strip():
            turns.append(Turn(str(speaker).strip(), content.strip()))
    return turns


def _turns_from_subtitles(text: str) -> list[Turn]:
    turns: list[Turn] = []
    speaker = ""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        cue = [line for line in lines if not _TIMESTAMP.match(line) and not line.strip().isdigit()
               and not line.startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))]  # fmt: skip
        if not any(_TIMESTAMP.match(line) for line in lines):
            continue
        for line in cue:
            voice = _VOICE.match(line.strip())
            if voice:
                speaker, content = voice.group(1).strip(), voice.group(2)
            else:
                labelled = _LABEL.match(_TAG.sub("", line))
                if labelled and _looks_like_label(labelled.group(1)):
                    speaker, content = labelled.group(1).strip(), labelled.group(2)
                else:
                    content = line
            content = _TAG.sub("", content).strip()
            if not content:
                continue
            if turns and turns[-1].speaker == speaker:
                turns[-1] = Turn(speaker, f"{turns[-1].text} {content}")
            else:
                turns.append(Turn(speaker, content))
    return turns


def _looks_like_label(label: str) -> bool:
    label = label.strip().lower()
    if label in _INTERVIEWER or label in _CANDIDATE:
        return True
    # Names: at most three words, no sentence punctuation, no digits-only.
    return 0 < len(label.split()) <= 3 and not re.search(r"[.,;!?。，！？]|https?", label) and not label.isdigit()


def _turns_from_text(text: str) -> list[Turn]:
    turns: list[Turn] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        labelled = _LABEL.match(line)
        if labelled and _looks_like_label(labelled.group(1)):
            turns.append(Turn(labelled.group(1).strip(), labelled.group(2).strip()))
        elif turns:
            turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].text}\n{line}".strip())
    return [t for t in turns if t.text]


def parse_turns(text: str, fmt: Format | None = None, filename: str = "") -> list[Turn]:
    fmt = fmt or detect_format(text, filename)
    parser = {"json": _turns_from_json, "vtt": _turns_from_subtitles, "srt": _turns_from_subtitles}.get(fmt, _turns_from_text)
    turns = parser(text)
    if not turns:
        raise InputError(f"no speaker turns found (format {fmt}); expected lines like 'Interviewer: ...'")
    return turns


def assign_roles(turns: list[Turn]) -> dict[str, Role]:
    """Known labels decide; otherwise the speaker who asks more questions is the interviewer."""
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    roles: dict[str, Role] = {}
    for speaker in speakers:
        key = speaker.lower()
        if key in _INTERVIEWER or key in ("assistant", "system", "bot"):
            roles[speaker] = "interviewer"
        elif key in _CANDIDATE or key == "user":
            roles[speaker] = "candidate"
    unknown = [s for s in speakers if s not in roles]
    if unknown:
        def question_share(speaker: str) -> float:
            said = [t.text for t in turns if t.speaker == speaker]
            return sum(("?" in t or "？" in t) for t in said) / len(said)

        if "interviewer" not in roles.values():
            asker = max(unknown, key=lambda s: (question_share(s), -speakers.index(s)))
            roles[asker] = "interviewer"
        for speaker in unknown:
            roles.setdefault(speaker, "candidate")
    return roles


def is_small_talk(text: str) -> bool:
    """Greetings, audio checks, thanks: short and matching a small-talk pattern."""
    return len(text) < 90 and bool(_SMALL_TALK.search(text))


def is_follow_up(text: str) -> bool:
    short = len(text.split()) <= 6 if re.search(r"[A-Za-zА-Яа-я]", text) else len(text) <= 12
    return short or bool(_FOLLOW_UP.search(text.strip()))


def is_clarifying_question(text: str) -> bool:
    """A candidate's short question back to the interviewer, not part of the answer."""
    return len(text) < 100 and text.rstrip().endswith(("?", "？"))
