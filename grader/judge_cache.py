"""Judge replies cached on disk: re-grading the same answer with the same model, prompt and
rubric costs nothing. Keyed by all four (the rubric by what the judge sees of it,
`Rubric.judge_digest`), so any change to one misses the cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.models import grader_home
from grader.output_files import write_atomically


def cache_key(judge_name: str, prompt_version: str, rubric_digest: str, answer: str) -> str:
    material = "\x1f".join([judge_name, prompt_version, rubric_digest, answer])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _path(key: str) -> Path:
    return grader_home() / "judge-cache" / key[:2] / f"{key}.json"


def load(key: str) -> str | None:
    try:
        return str(json.loads(_path(key).read_text(encoding="utf-8"))["raw"])
    except (OSError, ValueError, KeyError):
        return None


def store(key: str, raw: str) -> None:
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps({"raw": raw}, ensure_ascii=False).encode("utf-8"))
