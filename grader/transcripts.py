"""Interview transcripts -> question/answer exchanges.

Formats (detected, or forced with `fmt`): plain text with speaker labels (`Interviewer:`,
`Q:`/`A:`, full-width `：`, `**Name**:` Markdown), JSON / JSONL chat exports
(`{"speaker", "text"}`, `{"role", "content"}`, `{"sender", "message"}`; lists under `messages`,
`segments`, `utterances`...), and WebVTT / SRT subtitles with speaker tags (`<v Name>` or
`Name:` inside the cue). Meeting-tool exports put timestamps around the speaker
(`[00:01:23] Jane:`, `面试官A(00:00:03)：`, or a `Jane Doe  1:07` line above the text); the
timestamps are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from grader.errors import InputError
from grader.segment import detect_language, sentences

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
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEADING_CLOCK = re.compile(rf"^\s*[\[(（]?{_CLOCK}[\])）]?\s*(?:[-–—|]\s*)?")
# "面试官A(00:00:03)：" / "Jane [00:12]:": a clock between the name and its colon.
_CLOCK_BEFORE_COLON = re.compile(rf"\s*[\[(（]{_CLOCK}[\])）]\s*(?=[:：])")
# A line holding only a speaker and a clock ("Sam Patel  0:07", "00:00:01 Speaker 1",
# "张伟 00:06"): the speaker's text follows on the next lines (Otter, Teams, Feishu exports).
_HEADER = re.compile(rf"^\s*(?:[\[(（]?{_CLOCK}[\])）]?\s+(?P<after>.+?)|(?P<before>.+?)\s+[\[(（]?{_CLOCK}[\])）]?)\s*$")
# "Question 3:", "问题三：", "質問2：", "Вопрос 4." before a question: not part of what is asked.
_QUESTION_NUMBER = re.compile(
    r"^\s*(?:question|q|问题|題目|質問|問|вопрос)\s*(?:#|№)?\s*[0-9一二三四五六七八九十]+\s*[:：.)）、]\s*", re.IGNORECASE
)
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|>)\s+")
_QUESTION_END = re.compile(r"[?？]|(?:か|吗|呢)[。.]?\s*$")
_LABEL = re.compile(r"^\s*(?:\*\*|__)?\s*([^:：*_\n]{1,40}?)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.*)$")
_TIMESTAMP = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>(.*?)(?:</v>)?$")
_TAG = re.compile(r"<[^>]+>")
_SMALL_TALK = re.compile(
    r"(hear me|see my screen|can you hear|coming through|hello|^hi\b|good (morning|afternoon|evening)|\bthank(s|\s+you)\b(?!\s+to\b)|"
    r"let'?s (start|begin|move on|continue)|nice to meet|introduce yourself|tell (me|us) about yourself|ready\??$|any questions for (me|us)|that'?s all|bye|"
    r"how('?s| is| are) (your (day|week|weekend|morning)|you( doing)?\b|it going)|welcome|on mute|ready to (begin|start|go)|shall we (begin|start)|can you see (it|me)\b|"
    r"自我介绍|听得到|听得见|能听到|听得清|看得到|看到我的屏幕|你好|您好|谢谢|感谢|我们开始|准备好了|下一个问题|再见|"
    r"自己紹介|聞こえ|音声(は|が)?(大丈夫|聞こえ)|画面(は|が)?(見え|共有)|こんにちは|よろしく|ありがとう|始めましょう|次の質問|お疲れ|"
    r"слышно|слышите|(вам|тебе|мне) (меня )?видно|экран видно|видно экран|здравствуй|привет|добрый (день|вечер)|спасибо|начн[её]м|следующий вопрос|до свидания|как (дела|ваши дела)|\bо себе|представьтесь)",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(questions? for (me|us)|do you have (any )?questions|what questions do you have|^any questions\??$|anything you'?d like to ask|"
    r"what would you like to (know|ask)|(would|do) you (like|want) to (know|ask) (anything|something|about us)|"
    r"that'?s (all|it) (from me|from my side|for (today|now))|"
    r"你(还)?有(没有)?什么(问题|想问|要问|想了解)|想问我们|今天就到这里|"
    r"何か質問(は|が)?(あります|ございます)|質問はありますか|聞(いておき|き)たいこと|から何かありますか|本日は以上|"
    r"(есть|будут) (ли )?(у вас )?(какие-нибудь |какие-то )?вопросы|какие у вас (есть )?вопросы|вопросы к нам|на этом вс[её]|"
    r"что (вы )?(хотите|хотели бы|хочешь|хотел бы) (спросить|узнать)|(у меня )?вопросы закончились)",
    re.IGNORECASE,
)
"""The interviewer handing over at the end ("Any questions for us?"): what follows is not an
answer to the last question."""
# "Why does ReLU help there?": a why-question pointing back at the answer just given, which may
# name another catalogue topic but is a follow-up on this one.
_BACK_REFERENCE = re.compile(
    r"^(and |so |а |и |那么?)?(why|how come|почему|зачем|为什么|为啥|なぜ|どうして).*"
    r"(\b(there|then|that|this|it|those|these)\b|тогда|это|там|так|那|这|それ|その|そこ)",
    re.IGNORECASE,
)
# Asking the candidate to add to the answer, matched on a turn's last clause.
_CONTINUES = re.compile(
    r"^(and |what about|how about|(can|could) you give|а (если|что|как)|那|如果|比如|もし|例えば|具体的)", re.IGNORECASE
)
_MORE = re.compile(
    r"^(anything (else|to add)|can you add|could you add|what else|(你)?(再)?补充|还有(别的|其他)|展开(说|讲)|"
    r"他に(何か)?(あります|ない)|補足|что(-то| ещ[её])? (можете )?добав|дополни)",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(why|how so|and |what about|can you (elaborate|explain more|give (me )?(an?|some)( concrete| specific)? example)|could you|for example|"
    r"go on|more detail|what if|(sorry|could you|can you).{0,40}(repeat|again|cut out|froze)|"
    r"为什么|那|能具体|具体|比如|举个例子|还有呢|如果|再说一遍|重复一下|"
    r"なぜ|具体的|例えば|他には|もし|それでは|もう一度|"
    r"почему|а (если|что|как|почему)|подробнее|например|что ещ[её]|повторите|ещё раз)",
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


_JSON_LISTS = ("messages", "turns", "segments", "utterances", "conversation", "dialogue", "transcript", "entries")
_JSON_SPEAKER = ("speaker", "role", "name", "from", "sender", "author", "user", "participant", "speaker_name")
_JSON_TEXT = ("text", "content", "message", "body", "utterance", "transcript")


def _first(item: dict, keys: tuple[str, ...]) -> object:
    return next((item[k] for k in keys if item.get(k) not in (None, "")), "")


def _turns_from_json(text: str) -> list[Turn]:
    try:
        data = json.loads(text)
        items = next((data[k] for k in _JSON_LISTS if isinstance(data.get(k), list)), []) if isinstance(data, dict) else data
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON or JSONL (line {exc.lineno}: {exc.msg})") from exc
    turns: list[Turn] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        speaker, content = _first(item, _JSON_SPEAKER), _first(item, _JSON_TEXT)
        if str(speaker).strip().lower() == "system":
            continue  # a chat model's instructions, not something said in the interview
        if isinstance(content, str) and content.strip():
            turns.append(Turn(str(speaker).strip(), content.strip()))
    return _merge_consecutive(turns)


def merge_runs(turns: list[Turn], same: Callable[[Turn, Turn], bool], joiner: str) -> list[Turn]:
    """One turn per run of turns that `same` joins, under the run's first speaker."""
    merged: list[Turn] = []
    for turn in turns:
        if merged and same(merged[-1], turn):
            merged[-1] = Turn(merged[-1].speaker, f"{merged[-1].text}{joiner}{turn.text}")
        else:
            merged.append(turn)
    return merged


def _merge_consecutive(turns: list[Turn]) -> list[Turn]:
    """One turn per run of a speaker's lines (subtitle cues, diarised segments)."""
    return merge_runs(turns, lambda a, b: a.speaker == b.speaker, " ")


def _split_label(line: str) -> tuple[str, str] | None:
    """(speaker, text) of a `Speaker: text` line (also `- **Speaker:** text`), timestamps
    dropped; None for plain text."""
    line = _CLOCK_BEFORE_COLON.sub("", _LEADING_CLOCK.sub("", _LIST_MARK.sub("", line, count=1), count=1), count=1)
    labelled = _LABEL.match(line)
    if labelled and _looks_like_label(labelled.group(1)):
        return labelled.group(1).strip(), labelled.group(2).strip()
    return None


def _header_speaker(line: str) -> str | None:
    """The speaker of a `Name  0:07` / `00:00:01 Name` line that stands above its text."""
    header = _HEADER.match(line)
    if not header:
        return None
    name = (header.group("after") or header.group("before") or "").strip()
    return name if _looks_like_label(name) and not re.search(r"[:：]", name) else None


def _speakers(labelled: list[tuple[str, str]]) -> set[str]:
    """Which of the (label, text) lines seen name speakers. A role word always does; a name
    must label at least two lines or ask a question (a panel member who asks once), so that
    "Например: ..." inside an answer stays text. (If that leaves fewer than two speakers,
    every label counts: a two-line transcript.)"""
    counts: dict[str, int] = {}
    for label, _ in labelled:
        counts[label] = counts.get(label, 0) + 1
    asking = {label for label, text in labelled if asks(text)}
    chosen = {label for label, n in counts.items() if n >= 2 or label in asking or _role_of(label) is not None}
    return chosen if len(chosen) >= 2 else set(counts)


def _turns_from_subtitles(text: str) -> list[Turn]:
    cues: list[list[str]] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        timing = next((k for k, line in enumerate(lines) if _TIMESTAMP.match(line)), None)
        if timing is not None:  # lines before the timing line are the cue's id (SRT number, Teams GUID)
            cues.append(lines[timing + 1 :])
    known = _speakers([found for cue in cues for line in cue if (found := _split_label(_TAG.sub("", line)))])
    turns: list[Turn] = []
    speaker = ""
    for cue in cues:
        for line in cue:
            voice = _VOICE.match(line)
            if voice:
                speaker, content = voice.group(1).strip(), voice.group(2)
            else:
                found = _split_label(_TAG.sub("", line))
                if found and found[0] in known:
                    speaker, content = found
                else:
                    content = line
            content = _TAG.sub("", content).strip()
            if content:
                turns.append(Turn(speaker, content))
    return _merge_consecutive(turns)


def _looks_like_label(label: str) -> bool:
    label = label.strip().lower()
    if label in _INTERVIEWER or label in _CANDIDATE:
        return True
    # Names: at most three words starting with a letter, no sentence punctuation ("2024年5月14日
    # 下午" is a date, "00" the hour of a clock).
    return (
        0 < len(label.split()) <= 3
        and label[0].isalpha()
        and not re.search(r"[.,;!?。，！？]|https?", label)
    )


def _turns_from_text(text: str) -> list[Turn]:
    lines = [raw.strip() for raw in text.splitlines()]
    parsed: list[tuple[str | None, str, str]] = []  # (speaker label or None, its text, the line)
    for line in lines:
        if not line:
            continue
        header = _header_speaker(line)  # before labels: "Sam Patel  0:07" is no "Sam Patel  0:"
        found = None if header else _split_label(line)
        parsed.append((found[0], found[1], line) if found else (header, "", line))
    known = _speakers([(label, content) for label, content, _ in parsed if label is not None])
    turns: list[Turn] = []
    for label, content, line in parsed:
        if label is not None and label in known:
            turns.append(Turn(label, content))
        elif turns:
            turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].text}\n{line}".strip())
    return [t for t in turns if t.text]


def parse_turns(text: str, fmt: Format | None = None, filename: str = "") -> list[Turn]:
    detected = fmt or detect_format(text, filename)
    parser = {"json": _turns_from_json, "vtt": _turns_from_subtitles, "srt": _turns_from_subtitles}.get(detected, _turns_from_text)
    try:
        turns = parser(text)
    except InputError:
        # Only the first character made it look like JSON ("[00:00:02] Jane: ...",
        # "[Recording started]"): read it as text.
        if fmt or filename.lower().endswith((".json", ".jsonl")):
            raise
        detected, turns = "text", _turns_from_text(text)
    if not turns:
        raise InputError(f"no speaker turns found (format {detected}); expected {_EXPECTED[detected]}")
    return turns


_EXPECTED: dict[str, str] = {
    "text": "lines like 'Interviewer: ...'",
    "json": 'a list of {"speaker": ..., "text": ...} objects (or "role"/"content")',
    "vtt": "cues with a speaker ('<v Name>' or 'Name: ...')",
    "srt": "cues with a speaker ('Name: ...')",
}

_PAIRED_LETTERS = ({"q", "a"}, {"в", "о"})
"""Single-letter labels are roles only in pairs: "Q:"/"A:" is an interview, while diarisation
names speakers "A" and "B"."""


def _role_of(speaker: str, letters: set[str] | None = None) -> Role | None:
    """The role a label names: "Interviewer 2", "面试官A", "Q1" and "Interviewer (Priya)" are
    interviewers; "A1" and "Candidate" candidates. None for a name."""
    key = speaker.strip().lower()
    base = re.sub(r"(?:[\s_#-]*\d+|\s*[(（][^)）]*[)）]|[\s_#-]+[a-z]|(?<=[^a-zа-я\s])[a-z])$", "", key) or key
    for label in (key, base):
        if len(label) == 1 and label.isalpha() and letters is not None and not any(label in pair and pair <= letters for pair in _PAIRED_LETTERS):
            continue
        if label in _INTERVIEWER or label in ("assistant", "system", "bot"):
            return "interviewer"
        if label in _CANDIDATE or label == "user":
            return "candidate"
    return None


def asks(text: str) -> bool:
    """Ends like a question: "?", "？", or ja/zh question particles ("…ですか。", "…吗")."""
    return bool(_QUESTION_END.search(text))


def assign_roles(turns: list[Turn]) -> dict[str, Role]:
    """Known labels decide. Among the rest, an interview has one candidate and perhaps a panel:
    the candidate is the speaker who asks least (then: who says most); everyone else asks."""
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    letters = {re.sub(r"\d+$", "", s.strip().lower()) for s in speakers}
    roles: dict[str, Role] = {}
    for speaker in speakers:
        role = _role_of(speaker, letters)
        if role is not None:
            roles[speaker] = role
    unknown = [s for s in speakers if s not in roles]
    if not unknown:
        return roles

    def question_share(speaker: str) -> float:
        said = [t.text for t in turns if t.speaker == speaker]
        return sum(asks(t) for t in said) / len(said)

    def words(speaker: str) -> int:
        return sum(len(t.text.split()) + len(t.text) // 4 for t in turns if t.speaker == speaker)

    if "candidate" in roles.values():
        roles.update({s: "interviewer" for s in unknown})
    elif "interviewer" in roles.values() and len(unknown) == 1:
        roles[unknown[0]] = "candidate"
    else:
        # No labelled candidate: "HR:" beside "Tech Lead:" and "Ольга:" still has one
        # candidate among the names (all of them used to become candidates, and nobody asked).
        candidate = min(unknown, key=lambda s: (question_share(s), -words(s)))
        roles.update({s: "candidate" if s == candidate else "interviewer" for s in unknown})
    return roles


def is_small_talk(text: str) -> bool:
    """Greetings, audio checks, thanks: short, matching a small-talk pattern, and with little
    left besides ("Thanks. BN normalizes activations per mini-batch." is an answer)."""
    if len(text) >= 90 or not _SMALL_TALK.search(text):
        return False
    rest = _SMALL_TALK.sub("", text)
    return len(re.findall(r"[A-Za-zА-Яа-яЁё]+", rest)) + len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", rest)) // 3 <= 5


_INTRODUCTION = re.compile(
    r"(about yourself|introduce yourself|what you('re| are) (currently )?(doing|working on)|"
    r"自我介绍|介绍一下(你)?自己|自己紹介|経歴を|о себе|представьтесь|чем (вы |ты )?(сейчас )?занимаете?(сь|шься))",
    re.IGNORECASE,
)


def is_introduction(text: str) -> bool:
    """Asks the candidate about themselves ("Расскажите коротко о себе и о текущей работе.",
    "簡単に経歴を教えてください。"): not graded. A project is a question outside the catalogue."""
    return bool(_INTRODUCTION.search(asking_sentence(text)))


def is_new_question(text: str) -> bool:
    """An interviewer turn that asks something ("...?", "Tell me about...", also after a comment:
    "Makes sense. Explain momentum.") rather than comments ("So basically the flat tails.") or
    asks to repeat: only those open a new exchange."""
    return (asks(text) or asks_to_talk(text)) and not is_follow_up(text)


def asks_to_talk(text: str) -> bool:
    """Asks the candidate to talk about something, in any sentence or after a lead-in clause
    ("Let's start with your background: tell me about a project…", "好，先介绍一下你的项目吧。")."""
    parts = [p.strip() for s in sentences(text) for p in re.split(r"[,，:：;；]", s)]
    return any(_REQUEST.search(p) or _REQUEST_END.search(p) for p in parts)


_REQUEST = re.compile(
    r"^(tell me|describe|explain|walk me|talk (me )?(about|through)|give me|let'?s talk|"
    r"(你|您)?(先|再)?(请(你|您)?(先|再)?(说|讲|解释|介绍|谈|描述|简单|概括|比较|分析)|说说|讲讲|介绍|谈谈|解释)|説明して|教えて|話して|расскажи(те)?|объясни(те)?|опиши(те)?|поясни(те)?)",
    re.IGNORECASE,
)


_REQUEST_END = re.compile(r"(説明して|教えて|話して|紹介して|挙げて)(ください|下さい|もらえ|いただけ)")
"""Japanese puts the request last: "では最後に、…の関係を説明してください。"."""


def is_short(text: str, words: int, cjk_chars: int) -> bool:
    """Length by the dominant script: "dropout 的原理是什么？" is two "words" but a full question."""
    return len(text) <= cjk_chars if detect_language(text) in ("zh", "ja") else len(text.split()) <= words


def is_follow_up(text: str) -> bool:
    """Opening like a follow-up ("Why?", "Can you give an example?"), ending by asking the
    candidate to add to their answer ("这只是一方面……你再补充一下？", "Anything to add?"), or
    short, unless it asks what a named thing is ("动量法是什么？", "Explain momentum."): a short
    turn that is not a follow-up was appended to the last exchange, with its answer."""
    question = asking_sentence(text).strip()
    last_clause = re.split(r"[,，;；:：—]", question)[-1]
    # A reaction often comes first ("Okay. And if it's too low?"): the asking sentence may
    # continue the topic too, though not by "why" ("Хорошо. Почему трансформеры вытеснили RNN?").
    if _FOLLOW_UP.search(text.strip()) or _CONTINUES.search(question) or _MORE.search(last_clause.strip()):
        return True
    return is_short(text, 6, 12) and not any(_NAMES_A_SUBJECT.search(s.strip()) for s in sentences(text))


_NAMES_A_SUBJECT = re.compile(
    r"^(what (is|are)|what's|explain|define)\s+(?!(it|that|this|those|these|them|there|then|the|why|how|more|further)\b)\w"
    r"|^(что такое|объясните|расскажите (про|о))\s+(?!(это|этот|эта|то|там|почему|как|подробнее)\b)\w"
    r"|^(什么是|讲讲|说说|解释一下|介绍一下)(?!(这|那|它|为什么|一下))|^(?!(这|那|它))[^，。？]{1,15}(是什么|是啥)"
    r"|^(?!(それ|これ|あれ|その|この|なぜ))[^、。？]{1,20}(とは|について(説明|教えて)|を説明して)",
    re.IGNORECASE,
)
"""A question about what a named thing is: a new subject, not a follow-up, however short."""


_MOVES_ON = re.compile(
    r"(last|next|final) (question|one)|moving on|let'?s (move|switch)|"
    r"и последнее|последний вопрос|следующий вопрос|перейд[её]м|下一个|最后一(个|题|道)|换个|次に|最後に|最後の質問|次の質問|話は変わ|"
    r"salary|notice period|薪|年収|給与|зарплат|"
    r"(your|that|this|the) project|your (cv|resume|experience)|你的项目|这个项目|那个项目|简历|你的经验|"
    r"その(プロジェクト|研究)|履歴書|ご経験|(ваш|этом|том) проект|резюме|ваш опыт",
    re.IGNORECASE,
)
"""Marks a new question however short ("И последнее: чем трансформер лучше RNN?"), or one
about the candidate or the job rather than the topic ("你的期望薪资是多少？", "I see you built a
GAN. What did you do in that project?")."""
_ANAPHOR = re.compile(
    r"\b(it|that|this|they|them|those|these)\b|它|这个|那个|这样|这种|それ|その|これ|この|そう|"
    r"(?<!\w)(это|этот|эта|этого|этом|он|она|оно|они|его|её|ее|их|ему|ней|н[её]м)(?!\w)",
    re.IGNORECASE,
)


def refers_back(text: str) -> bool:
    """A short question that points at what was just said with a pronoun and names no subject
    of its own ("What if it's overfitting?", "How would you avoid it?", "那它跟过拟合有关系吗？",
    "それで精度は上がりますか？"). Such a turn continues the exchange even
    when it is nearer a question outside the catalogue. An opener alone is not enough: "那怎么防止
    过拟合？" and "Почему трансформеры вытеснили RNN?" move on."""
    question = asking_sentence(text).strip()
    if _MOVES_ON.search(text):  # "I see you built a GAN. What did you do in that project?"
        return False
    return is_short(question, 12, 24) and bool(_ANAPHOR.search(question)) and not _NAMES_A_SUBJECT.search(question)


_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")
_LATIN_TERM = re.compile(r"[A-Za-z]{2,}")


def names_nothing_new(text: str) -> bool:
    """A short question that names no subject of its own ("実際にはどうやって値を決めていますか？",
    "中间层放多少个神经元是怎么定的？", "А в каких случаях что выбирать?"): it asks on about the
    topic at hand. Not when it asks what something is, asks to talk about something ("说说
    dropout。"), says it moves on, or names a term: an acronym in English ("What about RNNs?"),
    any Latin-script word in other languages, where technical terms mostly stay English
    ("Почему трансформеры вытеснили RNN?")."""
    question = asking_sentence(text).strip()
    if not is_short(question, 10, 20) or _NAMES_A_SUBJECT.search(question) or _MOVES_ON.search(text) or asks_to_talk(question):
        return False
    term = _ACRONYM if detect_language(question) == "en" else _LATIN_TERM
    return not term.search(question)


_WHAT_IF = re.compile(
    r"^((and|so|but),? )?what if|^(and|so|but),? if\b|^(а|и|ну а|но),? (что,? )?(если|вдруг)|"
    r"^(那|那么|但是?)(如果|要是|假如)|^(如果|要是|假如)[^。？?]{0,20}呢[？?]?$|^(じゃあ|では|それで)、?もし",
    re.IGNORECASE,
)
"""Conditions with a connector or a trailing 呢: a bare "If the classes are imbalanced, what
would you do?" or "如果数据类别很不平衡，你会怎么处理？" is as often a question of its own."""


def asks_what_if(text: str) -> bool:
    """The asking sentence changes one condition of what was just discussed ("А если learning
    rate слишком большой?", "如果这一层用的是 sigmoid 呢？", "And if the batch is tiny?"):
    a follow-up even when it is nearer another rubric, unless the turn says it moves on. A long
    one sets up a scenario of its own ("假如反向传播的时候，有一个隐藏神经元总是带来很大的误差，你觉得
    可能是什么原因？" is neuron-large-error's question)."""
    question = asking_sentence(text).strip()
    return bool(_WHAT_IF.search(question)) and is_short(question, 12, 24) and not _MOVES_ON.search(text)


def points_back(text: str) -> bool:
    """A short why-question about what was just said ("Why does ReLU help there?",
    "Почему тогда ReLU помогает?"): it stays in its exchange even when it names another topic."""
    text = text.strip()
    return is_short(text, 10, 30) and bool(_BACK_REFERENCE.search(text))


def without_question_number(text: str) -> str:
    """The question without a leading "Question 3:" / "问题三：" / "Вопрос 4:"."""
    return "\n".join(_QUESTION_NUMBER.sub("", line) for line in text.split("\n"))


def asking_sentence(text: str) -> str:
    """The last sentence that asks something ("Okay, the recording is on. Can you see my
    screen?" -> "Can you see my screen?"), or the whole text if none does."""
    return next((s for s in reversed(sentences(text)) if asks(s)), text)


def is_closing(text: str) -> bool:
    """The interviewer's closing hand-over ("That's all from me. Any questions for us?")."""
    return bool(_CLOSING.search(asking_sentence(text)))


def is_clarifying_question(text: str) -> bool:
    """A candidate's short question back to the interviewer, not part of the answer (if the
    interviewer then answers it: see `transcript_grading.split_exchanges`)."""
    return len(text) < 100 and text.rstrip().endswith(("?", "？"))
