"""Narrow yes/no checks: for each rubric point, the judge's probability that the answer
states it, read from the first reply token's log-probabilities.

Why this and not only the verdict JSON: a 1.5B model writing per-point verdicts says "met"
to most points and takes ~40 s an answer on 2 cores (see ../shared/models.md and #7), while a
one-token yes/no per point costs one forward pass over the claim (the instructions and the
answer are evaluated once per answer) and its probability ranks answers usefully. Its weight
in the score is fitted on eval/ by `grade calibrate` and may be zero.
"""

from __future__ import annotations

import json

from grader import judge_cache
from grader.judges import Judge
from grader.prompt import prompt_version, render_check
from grader.rubric import Rubric
from grader.verdicts import yes_probability

_KIND = "checks"


def check_points(judge: Judge, rubric: Rubric, answer: str, use_cache: bool = True) -> dict[str, float | None]:
    """Per point id: P(the answer states the point), or None where the reply had no yes/no."""
    key = judge_cache.cache_key(judge.name, f"{_KIND}:{prompt_version()}", rubric.judge_digest, answer)
    cached = judge_cache.load(key) if use_cache else None
    if cached is not None:
        try:
            stored = json.loads(cached)
            if set(stored) == {p.id for p in rubric.points}:
                return {k: (None if v is None else float(v)) for k, v in stored.items()}
        except (ValueError, TypeError, AttributeError):
            pass  # a damaged entry is recomputed
    result = {point.id: yes_probability(judge.first_token(render_check(rubric, answer, point.text))) for point in rubric.points}
    if use_cache:
        judge_cache.store(key, json.dumps(result))
    return result
