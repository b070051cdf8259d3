"""The `grade` command as users run it: real processes, real model, exact contract names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def grade(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "grader", *args],
        input=stdin.decode("utf-8") if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    return result


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_grade_file_json_contract() -> None:
    result = grade("examples/batchnorm_en.txt", "--q", "batchnorm", "--json", "--judge", "none")
    assert result.returncode == 0, result.stderr
    grade_obj = json.loads(result.stdout)
    for key in ("question", "score", "points", "flags", "embedder", "judge", "rubric_digest"):
        assert key in grade_obj
    assert grade_obj["question"] == "batchnorm" and 0 <= grade_obj["score"] <= 10
    for point in grade_obj["points"]:
        assert {"id", "text", "credit", "similarity", "evidence"} <= set(point)


def test_grade_stdin_table_output() -> None:
    answer = "学习率太高会导致损失震荡甚至发散，太低则收敛非常慢。".encode()
    result = grade("-", "--q", "learning-rate", stdin=answer)
    assert result.returncode == 0, result.stderr
    assert "Score:" in result.stdout and "learning-rate" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["missing.txt", "--q", "batchnorm"], ["missing.txt", "no such file"]),
        (["examples/batchnorm_en.txt", "--q", "batchnrom"], ["did you mean batchnorm"]),
    ],
)
def test_bad_input_is_one_line_error(args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(grade(*args), *fragments)


def test_empty_and_binary_answers(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n \n", encoding="utf-8")
    assert_one_line_error(grade(str(empty), "--q", "batchnorm"), "empty")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    assert_one_line_error(grade(str(binary), "--q", "batchnorm"), "binary")


def test_rubrics_list_json() -> None:
    result = grade("rubrics", "list", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert {"batchnorm", "learning-rate", "cnn-params-image-size"} <= {r["id"] for r in rows}
    assert all("question" in r for r in rows)


def test_rubrics_show_and_unknown() -> None:
    shown = grade("rubrics", "show", "bn")
    assert shown.returncode == 0 and "batchnorm" in shown.stdout and "ja12" in shown.stdout
    assert shown.stdout.count("asked as: ") == 2  # the English indirect phrasings, for reviewers
    assert_one_line_error(grade("rubrics", "show", "nope"), "unknown question")


def test_rubrics_check_reports_file_line(tmp_path: Path) -> None:
    broken = tmp_path / "rubrics"
    broken.mkdir()
    (broken / "x.yaml").write_text("id: x\nquestion: {en: Q}\npoints:\n  - {id: a, text: t, weight: 0}\n", encoding="utf-8")
    result = grade("rubrics", "check", "--rubrics", str(broken), "--no-catalogue")
    assert result.returncode != 0
    assert f"{broken / 'x.yaml'}:4: points.0.weight" in result.stdout


def test_info_json() -> None:
    result = grade("info", "--json", "--judge", "none")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["embedder"]["name"] == "embeddinggemma-300m" and info["embedder"]["dimension"] == 768
    assert {"version", "judge", "rubric_dir", "cache_dir"} <= set(info)


def test_match_stdin_json_lines() -> None:
    questions = "为什么要用批归一化？\n\nЧто будет, если learning rate слишком большой?\nWhat is your favourite pizza topping?\n"
    result = grade("match", "-", "--json", stdin=questions.encode())
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    # One output line per input line, blank ones included, so a pipeline can zip them.
    assert [r["question"] for r in rows] == ["batchnorm", None, "learning-rate", None]
    assert all({"question", "similarity", "alternatives"} <= set(r) for r in rows)
    pizza = rows[3]  # unmatched: the nearest rubric, whose similarity is reported, comes first
    assert pizza["alternatives"][0]["similarity"] == pizza["similarity"]


def test_match_of_an_empty_question_is_an_error() -> None:
    # It printed "(no match)  0.00" and exited 0, as if a question had been matched.
    assert_one_line_error(grade("match", "  "), "the question is empty")


def test_batch_with_a_bad_line_keeps_the_good_ones_and_exits_non_zero(tmp_path: Path) -> None:
    lines = [
        {"id": "ok", "question": "learning-rate", "answer": "Too high a learning rate makes the loss diverge; too low converges slowly."},
        "not json",
        {"id": "unknown", "question": "nosuch", "answer": "x"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = grade("batch", str(source), "--out", str(out), "--judge", "none")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "graded 1, failed 2" in result.stderr
    rows = {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["ok"]["score"] is not None and "error" in rows["line-2"] and "unknown question" in rows["unknown"]["error"]


def test_unwritable_outputs_fail_before_any_grading(tmp_path: Path) -> None:
    """A bad --out/--html/--plot is one line at once, not a crash after minutes of grading."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "question": "batchnorm", "answer": "BN normalises activations."}) + "\n", encoding="utf-8")
    assert_one_line_error(grade("batch", str(source), "--out", str(tmp_path), "--judge", "none"), "--out", "is a directory")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert_one_line_error(grade("batch", str(source), "--out", str(blocker / "out.jsonl"), "--judge", "none"), "--out", "cannot")
    transcript = tmp_path / "t.txt"
    transcript.write_text("Interviewer: What does batch norm do?\nCandidate: It normalises activations.\n", encoding="utf-8")
    csv_path = tmp_path / "r.csv"
    assert_one_line_error(grade("transcript", str(transcript), "--html", str(blocker / "r.html"), "--csv", str(csv_path)), "--html")
    assert not csv_path.exists()
    assert_one_line_error(grade("eval", "--plot", str(blocker / "p.png"), "--judge", "none"), "--plot", "cannot")


def test_eval_and_calibrate_refuse_unusable_samples(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert_one_line_error(grade("eval", "--samples", str(empty), "--judge", "none"), "no samples")
    one_question = tmp_path / "one.jsonl"
    sample = {"id": "x1", "question": "batchnorm", "lang": "en", "kind": "good", "answer": "BN normalises activations.", "grade": 5, "why": "ok"}
    one_question.write_text(json.dumps(sample) + "\n", encoding="utf-8")
    assert_one_line_error(grade("calibrate", "--samples", str(one_question), "--out", str(tmp_path / "c.json"), "--judge", "none"),
                          "at least 3 questions")  # fmt: skip
    empty_rubrics = tmp_path / "rubrics"
    empty_rubrics.mkdir()
    assert_one_line_error(grade("examples/batchnorm_en.txt", "--q", "batchnorm", "--rubrics", str(empty_rubrics)), "no rubrics")
