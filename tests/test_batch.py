"""`grade batch`: bad lines, reference answers, interrupt and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import Grader
from grader.batch import done_ids, run_batch
from grader.errors import InputError


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_batch_grades_good_lines_and_records_bad_ones(grader: Grader, tmp_path: Path, batchnorm_answers) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [
        json.dumps({"id": "a", "question": "batchnorm", "answer": batchnorm_answers["en"]["correct"]}),
        "{not json",
        json.dumps({"id": "c", "question": "no-such-rubric", "answer": "text"}),
        json.dumps({"id": "d", "question": "batchnorm", "answer": "   "}),
        json.dumps({"id": "e", "question": "Что будет, если learning rate слишком большой?", "answer": "Лосс будет расходиться."}),
        json.dumps({"id": "f", "question_text": "Why linked lists?", "reference": "Insertion only changes pointers.", "answer": "Because inserting just relinks pointers."}),
    ])
    summary = run_batch(grader, src, out, progress=False)
    rows = _read(out)
    assert [r["id"] for r in rows] == ["a", "line-2", "c", "d", "e", "f"]
    assert rows[0]["question"] == "batchnorm" and rows[0]["score"] > 5
    assert "invalid JSON" in rows[1]["error"]
    assert "unknown question" in rows[2]["error"]
    assert "empty" in rows[3]["error"]
    assert rows[4]["question"] == "learning-rate" and rows[4]["score"] is not None
    assert rows[5]["question"] is None and rows[5]["score"] is not None
    assert (summary.graded, summary.failed) == (3, 3)


def test_resume_skips_done_ids_and_repairs_a_torn_line(grader: Grader, tmp_path: Path, batchnorm_answers) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    answers = [batchnorm_answers[lang]["correct"] for lang in ("en", "zh", "ja", "ru")]
    _write(src, [json.dumps({"id": f"q{i}", "question": "batchnorm", "answer": a}) for i, a in enumerate(answers)])
    run_batch(grader, src, out, progress=False, chunk_size=2)
    complete = out.read_text(encoding="utf-8").splitlines(keepends=True)
    # Simulate an interrupt: the first answer survived, the second was cut mid-write.
    out.write_text(complete[0] + complete[1][:40], encoding="utf-8")
    assert done_ids(out) == {"q0"}
    summary = run_batch(grader, src, out, progress=False)
    rows = _read(out)
    assert [r["id"] for r in rows] == ["q0", "q1", "q2", "q3"]
    assert summary.skipped == 1 and summary.graded == 3
    assert rows[1] == json.loads(complete[1])  # deterministic: the re-graded line is identical


def test_resume_retries_failed_lines_and_refuses_a_foreign_output(grader: Grader, tmp_path: Path, batchnorm_answers) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [
        json.dumps({"id": "ok", "question": "batchnorm", "answer": batchnorm_answers["en"]["correct"]}),
        json.dumps({"id": "bad", "question": "batchnorm", "answer": 42}),
    ])
    first = run_batch(grader, src, out, progress=False)
    assert (first.graded, first.failed) == (1, 1)
    # The user fixes the bad line; the rerun grades it and keeps the good one as it was.
    _write(src, [
        json.dumps({"id": "ok", "question": "batchnorm", "answer": batchnorm_answers["en"]["correct"]}),
        json.dumps({"id": "bad", "question": "batchnorm", "answer": batchnorm_answers["zh"]["correct"]}),
    ])
    second = run_batch(grader, src, out, progress=False)
    rows = _read(out)
    assert (second.skipped, second.graded, second.failed) == (1, 1, 0)
    assert [r["id"] for r in rows] == ["ok", "bad"] and all(r.get("error") is None for r in rows)
    notes = tmp_path / "notes.txt"
    notes.write_text("My important notes\nline 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not `grade batch` output"):
        run_batch(grader, src, notes, progress=False)
    assert notes.read_text(encoding="utf-8") == "My important notes\nline 2\n"
