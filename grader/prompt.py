"""The one judge prompt: rendering, delimiter neutralisation, and its version hash."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from grader.rubric import Rubric
from grader.segment import sentences

TEMPLATE_PATH = Path(__file__).parent / "prompts" / "judge.md"
OPEN, CLOSE = "<<<ANSWER>>>", "<<<END ANSWER>>>"
_MARKER_LIKE = re.compile(r"<{2,}\s*/?\s*(END\s+)?ANSWER\s*>{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    system: str
    """Rubric and instructions: identical for every answer to a rubric, so a local model
    evaluates it once and reuses it (llama.cpp prefix match)."""
    user: str


_SECTION = re.compile(r"<!-- ([A-Z ]+) -->")


@functools.cache
def _sections() -> dict[str, str]:
    """The template file's sections: SYSTEM/USER (verdicts), CHECK SYSTEM/CHECK USER (checks).
    Read once per process: checks render a prompt per rubric point."""
    parts = _SECTION.split(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def _template() -> tuple[str, str]:
    sections = _sections()
    return sections["SYSTEM"], sections["USER"]


@functools.cache
def prompt_version() -> str:
    """Hash of the template: part of every judge cache key and every Grade."""
    return hashlib.sha256(TEMPLATE_PATH.read_bytes()).hexdigest()[:12]


def neutralize(answer: str) -> str:
    """Defuse anything in the answer that looks like our delimiters, so the answer cannot
    close its own block and speak as the prompt."""
    return _MARKER_LIKE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), answer)


def render(rubric: Rubric, answer: str) -> Prompt:
    system, user = _template()
    points = "\n".join(
        f"- {p.id}: {p.text}" + (" (misconception: met only if the answer asserts it)" if p.weight < 0 else "")
        for p in rubric.points
    )
    system = (
        system.replace("{question}", rubric.question.en)
        .replace("{points}", points)
        .replace("{reference}", rubric.reference_answer or "(none)")
    )
    user = user.replace("{open}", OPEN).replace("{close}", CLOSE).replace("{answer}", neutralize(answer))
    return Prompt(system, user)


def render_check(rubric: Rubric, answer: str, claim: str) -> Prompt:
    """A narrow yes/no question: does the answer state `claim`?

    Unlike the verdict prompt, the answer comes before the (varying) claim, so a local model
    evaluates instructions + answer once and only the claim for each further point.
    """
    sections = _sections()
    user = (
        sections["CHECK USER"].replace("{question}", rubric.question.en)
        .replace("{open}", OPEN).replace("{close}", CLOSE)
        .replace("{claim}", claim)
        .replace("{answer}", neutralize(answer))
    )
    return Prompt(sections["CHECK SYSTEM"], user)


# Beyond this many sentences the quote is a bounded free string again: a grammar with
# hundreds of long alternatives slows llama.cpp's sampling more than the quote is worth.
MAX_QUOTE_CHOICES = 60
_FREE_QUOTE_CHARS = 120


def quote_choices(answer: str) -> list[str]:
    """What a judge may quote: "" or one whole sentence of the answer, as the grader split it.

    Why an enum rather than a free string: the default 1.5B judge, told to quote the answer,
    copied the rubric or translated instead (0 of 20 quotes found in the answer), so its
    verdicts could never show evidence. Constrained to the answer's own sentences, every quote
    it can emit is verbatim and in the answer's language.
    """
    unique = list(dict.fromkeys(sentences(answer)))  # an enum lists each choice once
    return [""] + unique if 0 < len(unique) <= MAX_QUOTE_CHOICES else []


def max_reply_tokens(schema: dict[str, object]) -> int:
    """Enough tokens for every point's bounded strings (CJK text takes ~1 token a char)."""
    item = schema["properties"]["points"]["items"]["properties"]  # type: ignore[index]
    quote = item["quote"]
    quote_chars = max(map(len, quote["enum"])) if "enum" in quote else quote["maxLength"]
    points = schema["properties"]["points"]["maxItems"]  # type: ignore[index]
    return 64 + (130 + int(quote_chars)) * int(points)


def verdict_schema(rubric: Rubric, answer: str) -> dict[str, object]:
    """JSON schema for the judge's reply: `enum` for levels and quotes, `maxLength` for free
    strings, which llama.cpp's grammar enforces (it does not enforce numeric minimum/maximum)."""
    choices = quote_choices(answer)
    quote: dict[str, object] = (
        {"type": "string", "enum": choices} if choices else {"type": "string", "maxLength": _FREE_QUOTE_CHARS}
    )
    return {
        "type": "object",
        "properties": {
            "points": {
                "type": "array",
                "minItems": len(rubric.points),
                "maxItems": len(rubric.points),
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "enum": [p.id for p in rubric.points]},
                        # Bounded strings: small models otherwise loop inside a string
                        # until the token limit and the reply never closes.
                        "reason": {"type": "string", "maxLength": 120},
                        "verdict": {"type": "string", "enum": ["met", "partial", "missing"]},
                        "quote": quote,
                    },
                    "required": ["id", "reason", "verdict", "quote"],
                },
            },
            "instructions_to_grader": {"type": "boolean"},
        },
        "required": ["points", "instructions_to_grader"],
    }


def schema_version(schema: dict[str, object]) -> str:
    """Hash of a reply schema: part of the verdict cache key, since the same prompt under a
    different schema (e.g. quotes constrained or not) yields a different reply."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]
