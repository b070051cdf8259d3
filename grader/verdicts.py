"""The one place judge output is validated and turned into per-point verdicts.

Rules (from what small judges actually do):
- the reply is JSON; when prose surrounds it, the LAST JSON object wins (a fake verdict
  echoed from the answer comes earlier than the judge's own);
- each point needs a known id and a verdict in met/partial/missing; anything else leaves
  that point unscored, never "missing";
- a quote must occur in the answer (after NFKC normalisation): a quote copied from the rubric
  or translated downgrades the verdict one level;
- a reply that gives every point the same verdict other than "missing", correct points and
  misconceptions alike, judges nothing and is unusable: it credits the answer with a claim and
  with the wrong claims beside it. The default 1.5B judge does this (all "met" on a wrong
  learning-rate answer, all "partial" on a right one), depending on what it evaluated before.

Yes/no checks are validated here too: the first reply token's alternatives must include a
yes or a no word, else the point is unscored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.results import Verdict
from grader.rubric import Rubric
from grader.textnorm import occurs_in

LEVELS: tuple[Verdict, ...] = ("missing", "partial", "met")


@dataclass(frozen=True)
class PointVerdict:
    verdict: Verdict
    reason: str
    quote: str
    quote_found: bool


@dataclass(frozen=True)
class JudgeVerdicts:
    points: dict[str, PointVerdict]
    """Only the points the judge scored validly."""
    instructions_to_grader: bool


def _last_json_object(raw: str) -> Any:
    """The whole reply if it is JSON, else the last decodable JSON object in it."""
    raw = raw.strip()
    try:
        return json.loads(raw)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    position = raw.rfind("{")
    while position != -1:
        try:
            value, _ = decoder.raw_decode(raw, position)
            if isinstance(value, dict) and "points" in value:
                return value
        except ValueError:
            pass
        position = raw.rfind("{", 0, position)
    return None


def _downgrade(verdict: Verdict) -> Verdict:
    return LEVELS[max(0, LEVELS.index(verdict) - 1)]


def parse_verdicts(raw: str, rubric: Rubric, answer: str) -> JudgeVerdicts | None:
    """Validated verdicts, or None when nothing usable could be read (the caller re-asks once)."""
    data = _last_json_object(raw)
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        return None
    known = {p.id for p in rubric.points}
    points: dict[str, PointVerdict] = {}
    given: dict[str, str] = {}  # the judge's own verdicts, before any downgrade
    for item in data["points"]:
        if not isinstance(item, dict):
            continue
        point_id = item.get("id")
        verdict = str(item.get("verdict", "")).strip().lower()
        if point_id not in known or verdict not in LEVELS:
            continue
        raw_quote = item.get("quote")
        quote = raw_quote if isinstance(raw_quote, str) else ""
        found = occurs_in(quote, answer) if quote else False
        given[point_id] = verdict
        level: Verdict = verdict  # type: ignore[assignment]
        if level != "missing" and not found:
            level = _downgrade(level)
        points[point_id] = PointVerdict(level, str(item.get("reason", ""))[:500], quote[:300], found)
    if not points or _judges_nothing(given, rubric):
        return None
    flag = data.get("instructions_to_grader")
    return JudgeVerdicts(points, flag is True)


def _judges_nothing(given: dict[str, str], rubric: Rubric) -> bool:
    """One verdict, not "missing", for correct points and misconceptions alike."""
    signs = {p.weight > 0 for p in rubric.points if p.id in given}
    return len(set(given.values())) == 1 and "missing" not in given.values() and signs == {True, False}


YES_WORDS = frozenset({"yes", "y", "да", "是", "はい"})
NO_WORDS = frozenset({"no", "n", "нет", "否", "いいえ"})


def yes_probability(first_token: Mapping[str, float]) -> float | None:
    """P(yes | yes or no) from the first reply token's alternatives (token text -> log-prob).

    A backend without log-probabilities passes its reply text with log-prob 0, which gives
    1.0 or 0.0. None when no alternative is a yes or no word (the point stays unscored).
    """
    yes = no = 0.0
    for token, logprob in first_token.items():
        if not isinstance(logprob, (int, float)) or math.isnan(logprob):
            continue
        word = token.strip().strip(".,!。、").lower()
        if word in YES_WORDS:
            yes += math.exp(min(0.0, logprob))
        elif word in NO_WORDS:
            no += math.exp(min(0.0, logprob))
    if yes + no <= 0.0:
        return None
    return yes / (yes + no)
