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


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "utf-16-le", "cp1251"])
def test_input_in_legacy_encodings_and_with_a_bom(grader: Grader, tmp_path: Path, encoding: str) -> None:
    answer = "Батч-нормализация нормирует активации слоя по среднему и дисперсии мини-батча."
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [{"id": "ru", "question": "batchnorm", "answer": answer}, {"id": "ru2", "question": "batchnorm", "answer": answer + " Это ускоряет обучение."}]
    src.write_bytes("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode(encoding))
    summary = run_batch(grader, src, out, progress=False)
    assert (summary.graded, summary.failed) == (2, 0)
    rows = _read(out)
    assert rows[0]["id"] == "ru" and rows[0]["language"] == "ru" and rows[0]["points"][0]["evidence"] in answer


def test_duplicate_and_missing_ids(grader: Grader, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    answer = "BN normalises activations with the mini-batch mean and variance."
    _write(src, [
        json.dumps({"id": "a", "question": "batchnorm", "answer": answer}),
        json.dumps({"id": "a", "question": "batchnorm", "answer": answer}),
        json.dumps({"id": None, "question": "batchnorm", "answer": answer}),
    ])
    summary = run_batch(grader, src, out, progress=False)
    rows = _read(out)
    # A second "a" would make resume and joins ambiguous; a null id gets the line's name.
    assert [r["id"] for r in rows] == ["a", "a", "line-3"]
    assert rows[0]["score"] is not None and "duplicate id 'a' (first on line 1)" in rows[1]["error"]
    assert (summary.graded, summary.failed) == (2, 1)


def test_an_input_with_no_lines_is_an_error(grader: Grader, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(InputError, match="no lines to grade"):
        run_batch(grader, src, out, progress=False)
    assert not out.exists()
