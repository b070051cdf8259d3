"""`grade batch`: JSONL in, JSONL out, resumable, one bad line never stops the rest.

Each graded line is written and flushed as soon as its chunk is done, so an interrupt loses at
most the chunk in flight; re-running with the same output skips ids already written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.answer_input import decode_bytes, starts_with_bom
from grader.api import Grader, GradeRequest
from grader.errors import GraderError, InputError
from grader.output_files import write_atomically


@dataclass
class BatchSummary:
    graded: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    number: int
    id: str
    request: GradeRequest | None
    error: str | None


def _parse_line(number: int, raw: str) -> _Line:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _Line(number, f"line-{number}", None, f"invalid JSON: {exc.msg}")
    if not isinstance(obj, dict):
        return _Line(number, f"line-{number}", None, "a line must be a JSON object")
    raw_id = obj.get("id")
    line_id = f"line-{number}" if raw_id is None or raw_id == "" else str(raw_id)
    answer = obj.get("answer")
    if not isinstance(answer, str):
        return _Line(number, line_id, None, "missing or non-string 'answer'")
    if "reference" in obj:
        reference = obj.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            return _Line(number, line_id, None, "'reference' must be a non-empty string")
        question_text = str(obj.get("question_text") or obj.get("question") or "")
        request = GradeRequest(answer=answer, question_text=question_text, reference=reference)
        return _Line(number, line_id, request, None)
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        return _Line(number, line_id, None, "missing 'question' (a rubric id or question text)")
    return _Line(number, line_id, GradeRequest(answer=answer, question=question), None)


def done_ids(out_path: Path) -> set[str]:
    """Ids already graded in the output, which is tidied first: a torn last line (an interrupt)
    and error records (retried by this run) are removed. A file that is not `grade batch`
    output is refused, not overwritten."""
    if not out_path.exists():
        return set()
    if not out_path.is_file():
        raise InputError(f"{out_path}: not a file; choose another --out")
    original = out_path.read_bytes()
    lines = original.split(b"\n")
    kept: list[bytes] = []
    ids: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            if number == len(lines):  # no newline after it: cut off mid-write
                continue
            record = None
        if not isinstance(record, dict) or "id" not in record:
            raise InputError(f"{out_path}: line {number} is not a grade record, so this is not `grade batch` output; choose another --out")
        if record.get("error") is None:
            ids.add(str(record["id"]))
            kept.append(raw)
    tidy = b"".join(raw + b"\n" for raw in kept)
    if tidy != original:
        write_atomically(out_path, tidy)
    return ids


def _decode_input(data: bytes, name: str) -> str:
    """UTF-8, or a BOM-marked or legacy encoding (cp1251, GBK, UTF-16...) as for single answers.
    A UTF-8 file with a few corrupt lines stays UTF-8: those lines get replacement characters
    (and likely fail as invalid JSON) instead of the whole file being re-guessed."""
    if not starts_with_bom(data) and b"\x00" not in data:  # NULs: UTF-16/32 without a BOM, whose lines pass as UTF-8
        lines = [line for line in data.split(b"\n") if line.strip()]
        bad = sum(1 for line in lines if not _is_utf8(line))
        if bad <= max(1, len(lines) // 10) and len(lines) > bad:
            return data.decode("utf-8", errors="replace")
    return decode_bytes(data, name)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_lines(in_path: Path) -> Iterator[_Line]:
    try:
        data = in_path.read_bytes()
    except OSError as exc:
        raise InputError(f"{in_path}: cannot read ({exc.strerror})") from exc
    first_line: dict[str, int] = {}
    for number, raw in enumerate(_decode_input(data, str(in_path)).split("\n"), start=1):
        if not raw.strip():
            continue
        line = _parse_line(number, raw)
        if line.id in first_line:
            # Ids are how a pipeline joins scores back and how a re-run knows what is done.
            line = _Line(number, line.id, None, f"duplicate id {line.id!r} (first on line {first_line[line.id]})")
        else:
            first_line[line.id] = number
        yield line


def _record(line: _Line, result: Any) -> dict[str, Any]:
    if isinstance(result, GraderError) or result is None:
        message = str(result) if result is not None else (line.error or "unknown error")
        return {"id": line.id, "line": line.number, "question": None, "score": None, "error": message}
    return {"id": line.id, "line": line.number, **result.model_dump(mode="json")}


def run_batch(
    grader: Grader,
    in_path: Path,
    out_path: Path,
    progress: bool = True,
    chunk_size: int = 64,
) -> BatchSummary:
    """Grade every line of `in_path` into `out_path`, resuming where a previous run stopped."""
    from tqdm import tqdm

    if not in_path.is_file():
        raise InputError(f"{in_path}: no such file")
    skip = done_ids(out_path)
    lines = list(_read_lines(in_path))
    if not lines:  # an empty export is a pipeline fault; "graded 0" with exit 0 hid it
        raise InputError(f"{in_path}: no lines to grade")
    todo = [line for line in lines if line.id not in skip]
    summary = BatchSummary(skipped=len(lines) - len(todo))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("a", encoding="utf-8") as out, tqdm(
        total=len(todo), unit="answer", disable=not progress, desc="grading"
    ) as bar:
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start : start + chunk_size]
            valid = [line for line in chunk if line.request is not None]
            results = iter(grader.grade_many([line.request for line in valid if line.request]))
            for line in chunk:
                result = next(results) if line.request is not None else None
                record = _record(line, result)
                if "error" in record:
                    summary.failed += 1
                    summary.errors.append(f"{line.id}: {record['error']}")
                else:
                    summary.graded += 1
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            bar.update(len(chunk))
    return summary
