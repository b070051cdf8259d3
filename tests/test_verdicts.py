"""Raw judge replies -> verdicts or unscored: the one validation point, on a table of replies."""

from __future__ import annotations

import json
import math

import pytest

from grader.rubric import QuestionText, Rubric, RubricPoint
from grader.verdicts import parse_verdicts, yes_probability

RUBRIC = Rubric(
    id="toy",
    question=QuestionText(en="Why does batch normalization matter?"),
    points=[
        RubricPoint(id="normalizes", text="BN normalizes activations over the mini-batch.", weight=2),
        RubricPoint(id="faster", text="BN allows faster training.", weight=1),
        RubricPoint(id="weights-myth", text="BN normalizes the weights.", weight=-1),
    ],
)
ANSWER = "批归一化把每层的激活在小批量上归一化。这样可以用更大的学习率，训练更快。"


def reply(*points: dict, flag: bool = False) -> str:
    return json.dumps({"points": list(points), "instructions_to_grader": flag}, ensure_ascii=False)


def p(point_id: str, verdict: str, quote: str = "", reason: str = "r") -> dict:
    return {"id": point_id, "reason": reason, "verdict": verdict, "quote": quote}


CASES = [
    ("valid", reply(p("normalizes", "met", "把每层的激活在小批量上归一化"), p("faster", "met", "训练更快"), p("weights-myth", "missing")),
     {"normalizes": "met", "faster": "met", "weights-myth": "missing"}),
    ("quote copied from the rubric is downgraded", reply(p("normalizes", "met", "BN normalizes activations over the mini-batch.")),
     {"normalizes": "partial"}),
    ("translated quote is downgraded", reply(p("faster", "partial", "training is faster")), {"faster": "missing"}),
    ("met without a quote is downgraded", reply(p("faster", "met", "")), {"faster": "partial"}),
    ("full-width/half-width quote still matches", reply(p("faster", "met", "训练更快")), {"faster": "met"}),
    ("extra prose around the JSON", "Sure! Here is my grading:\n" + reply(p("faster", "met", "训练更快")) + "\nHope this helps.",
     {"faster": "met"}),
    ("a fake verdict echoed before the real one: the last one binds",
     reply(p("normalizes", "met", "把每层的激活在小批量上归一化"), p("faster", "met", "训练更快")) + " and finally " + reply(p("normalizes", "missing"), p("faster", "missing")),
     {"normalizes": "missing", "faster": "missing"}),
    ("unknown ids and bad levels are dropped, the rest kept", reply(p("nope", "met", "训练更快"), p("faster", "excellent", "训练更快"), p("normalizes", "MET", "把每层的激活在小批量上归一化")),
     {"normalizes": "met"}),
]


@pytest.mark.parametrize(("name", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reply_to_verdicts(name: str, raw: str, expected: dict[str, str]) -> None:
    parsed = parse_verdicts(raw, RUBRIC, ANSWER)
    assert parsed is not None
    assert {k: v.verdict for k, v in parsed.points.items()} == expected


@pytest.mark.parametrize(
    "raw",
    [
        '{"points": [{"id": "normalizes", "reason": "cut off', 
        "I think the answer is good, 8/10.",
        "",
        reply(),
        json.dumps({"points": "met"}),
        reply(p("nope", "met")),
        reply(p("normalizes", "met", "把每层的激活在小批量上归一化"), p("faster", "met", "训练更快"), p("weights-myth", "met")),
        reply(p("normalizes", "partial"), p("weights-myth", "partial")),
    ],
    ids=["truncated", "prose only", "empty", "no points", "points not a list", "only unknown ids",
         "every point met, the misconception too", "every point partial, the misconception too"],
)
def test_unusable_replies_are_unscored(raw: str) -> None:
    assert parse_verdicts(raw, RUBRIC, ANSWER) is None


def test_one_verdict_for_everything_is_a_judgement_only_when_it_is_missing_or_no_misconception_is_asked() -> None:
    # Nothing stated: all "missing" is a real verdict. All "met" over correct points only is
    # a good answer, not a degenerate reply.
    nothing = parse_verdicts(reply(p("normalizes", "missing"), p("faster", "missing"), p("weights-myth", "missing")), RUBRIC, ANSWER)
    assert nothing is not None and {v.verdict for v in nothing.points.values()} == {"missing"}
    good = parse_verdicts(reply(p("normalizes", "met", "把每层的激活在小批量上归一化"), p("faster", "met", "训练更快")), RUBRIC, ANSWER)
    assert good is not None and {v.verdict for v in good.points.values()} == {"met"}


def test_instruction_flag_is_read() -> None:
    parsed = parse_verdicts(reply(p("faster", "missing"), flag=True), RUBRIC, ANSWER)
    assert parsed is not None and parsed.instructions_to_grader


@pytest.mark.parametrize(
    ("alternatives", "expected"),
    [
        ({"yes": math.log(0.9), "no": math.log(0.1), "The": math.log(0.0001)}, 0.9),  # log-probs of a local model
        ({" Yes": math.log(0.3), "yes": math.log(0.3), "No": math.log(0.2)}, 0.75),  # spellings add up
        ({"Да": math.log(0.2), "нет": math.log(0.6)}, 0.25),  # a reply in the answer's language
        ({"はい": math.log(0.5), "いいえ": math.log(0.5)}, 0.5),
        ({"No.": 0.0}, 0.0),  # a server without log-probs: the reply text alone
        ({"yes": 0.0}, 1.0),
        ({"maybe": 0.0}, None),  # neither yes nor no: unscored
        ({}, None),
        ({"yes": float("nan"), "no": math.log(0.5)}, 0.0),  # a NaN is ignored, not trusted
    ],
)
def test_yes_probability(alternatives: dict[str, float], expected: float | None) -> None:
    result = yes_probability(alternatives)
    assert result == (None if expected is None else pytest.approx(expected))


def test_a_quote_not_in_the_answer_is_not_shown_as_evidence() -> None:
    from grader.results import PointResult
    from grader.scoring import apply_verdicts

    verdicts = parse_verdicts(reply(p("normalizes", "met", "把每层的激活在小批量上归一化"), p("weights-myth", "met", "BN normalizes the weights."), p("faster", "missing")), RUBRIC, ANSWER)
    points = [PointResult(id=pt.id, text=pt.text, weight=pt.weight, credit=0.5, similarity=0.8, evidence=None) for pt in RUBRIC.points]
    shown = {pt.id: pt for pt in apply_verdicts(points, verdicts)}
    assert shown["normalizes"].judge_quote == "把每层的激活在小批量上归一化"
    assert shown["weights-myth"].judge_quote is None and shown["weights-myth"].verdict == "partial"


def test_quotes_are_constrained_to_the_answers_own_sentences() -> None:
    from grader.prompt import MAX_QUOTE_CHOICES, max_reply_tokens, schema_version, verdict_schema
    from grader.textnorm import occurs_in

    answer = "- Batch norm normalizes activations.\n- It allows a higher learning rate, e.g. 0.1. Training is faster."
    schema = verdict_schema(RUBRIC, answer)
    quote = schema["properties"]["points"]["items"]["properties"]["quote"]  # type: ignore[index]
    assert quote["enum"] == ["", "Batch norm normalizes activations.", "It allows a higher learning rate, e.g. 0.1.", "Training is faster."]
    assert all(occurs_in(choice, answer) for choice in quote["enum"][1:])  # so a grammar-bound quote is always found
    zh = verdict_schema(RUBRIC, ANSWER)["properties"]["points"]["items"]["properties"]["quote"]  # type: ignore[index]
    assert zh["enum"][1:] == ["批归一化把每层的激活在小批量上归一化。", "这样可以用更大的学习率，训练更快。"]
    assert schema_version(schema) != schema_version(verdict_schema(RUBRIC, ANSWER))  # the cache key follows the schema
    # A very long answer gets a bounded free quote: hundreds of alternatives would slow the grammar.
    long_answer = " ".join(f"Sentence number {i} is here." for i in range(MAX_QUOTE_CHOICES + 1))
    free = verdict_schema(RUBRIC, long_answer)["properties"]["points"]["items"]["properties"]["quote"]  # type: ignore[index]
    assert "enum" not in free and free["maxLength"] > 0
    assert max_reply_tokens(schema) > 3 * len("It allows a higher learning rate, e.g. 0.1.")
