"""Transcript parsing (no model) and end-to-end grading of transcripts in every format."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import Grader
from grader.errors import InputError
from grader.report_html import render_candidate
from grader.transcript_grading import grade_transcript, split_exchanges
from grader.transcripts import assign_roles, detect_format, parse_turns

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "transcripts"


def test_plain_text_labels_in_many_styles() -> None:
    text = (
        "**Interviewer**: What is SGD?\n"
        "Candidate：It updates weights\nusing one example at a time.\n"
        "Q: And momentum?\n"
        "A: It accumulates past gradients.\n"
    )
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["Interviewer", "Candidate", "Q", "A"]
    assert turns[1].text == "It updates weights\nusing one example at a time."
    roles = assign_roles(turns)
    assert roles == {"Interviewer": "interviewer", "Candidate": "candidate", "Q": "interviewer", "A": "candidate"}


def test_names_are_assigned_roles_by_who_asks() -> None:
    turns = parse_turns("Alice: What is backprop?\nBob: The chain rule applied backwards.\nAlice: Why does it matter?\nBob: It is efficient.")
    assert assign_roles(turns) == {"Alice": "interviewer", "Bob": "candidate"}


def test_json_jsonl_vtt_srt() -> None:
    jsonl = '{"speaker": "面试官", "text": "什么是SGD？"}\n{"speaker": "候选人", "text": "随机梯度下降。"}\n'
    assert detect_format(jsonl) == "json" and len(parse_turns(jsonl)) == 2
    chat = json.dumps({"messages": [{"role": "assistant", "content": "Q?"}, {"role": "user", "content": "A."}]})
    assert [t.text for t in parse_turns(chat)] == ["Q?", "A."]
    srt = "1\n00:00:01,000 --> 00:00:02,000\n面接官: 過学習とは？\n\n2\n00:00:02,500 --> 00:00:04,000\n候補者: 訓練データに適合しすぎることです。\n"
    assert detect_format(srt) == "srt"
    assert [t.speaker for t in parse_turns(srt)] == ["面接官", "候補者"]
    vtt = (EXAMPLES / "interview_ru.vtt").read_text(encoding="utf-8")
    turns = parse_turns(vtt)
    assert detect_format(vtt) == "vtt" and turns[0].speaker == "Анна"
    assert any("производная почти ноль" in t.text for t in turns)  # consecutive cues merged


def test_no_turns_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="no speaker turns"):
        parse_turns("just some prose without any labels")


def test_exchanges_keep_follow_ups_and_drop_small_talk(grader: Grader) -> None:
    text = (EXAMPLES / "interview_en.txt").read_text(encoding="utf-8")
    exchanges = split_exchanges(grader, text)
    assert [e.match.question for e in exchanges] == ["batchnorm", "learning-rate", None]
    first, second, third = (e.exchange for e in exchanges)
    assert first.follow_ups == ["And what happens at inference time?"]
    assert "running mean" in first.answer  # the follow-up's answer stays in the exchange
    assert "Do you mean" not in second.answer  # a clarifying question is not graded
    assert "recommendation system" in third.answer


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("interview_en.txt", ["batchnorm", "learning-rate", None]),
        ("interview_zh.json", ["cnn-params-image-size", "vanishing-gradient"]),
        ("interview_ru.vtt", ["neuron-saturation", "dl-vs-ml"]),
        ("interview_ja.srt", ["backprop", "imbalanced-data"]),
    ],
)
def test_transcripts_in_every_format_and_language_are_graded(grader: Grader, name: str, expected: list) -> None:
    results = grade_transcript(grader, (EXAMPLES / name).read_text(encoding="utf-8"), filename=name)
    assert [r.question for r in results] == expected
    for result in results:
        record = result.record()
        assert set(record) >= {"n", "question", "question_text", "answer", "score", "points", "flags"}
        if result.question is None:
            assert record["score"] is None and "out-of-catalogue" in record["flags"]
        else:
            assert record["score"] is not None and record["points"]
    assert [r.n for r in results] == list(range(1, len(results) + 1))


def test_html_report_renders_in_headless_chromium(grader: Grader, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium for this test")
    results = grade_transcript(grader, (EXAMPLES / "interview_en.txt").read_text(encoding="utf-8"))
    page = tmp_path / "report.html"
    page.write_text(render_candidate("interview_en", results), encoding="utf-8")
    assert "http://" not in page.read_text(encoding="utf-8") and "https://" not in page.read_text(encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-500:]
    rendered = dom.stdout
    assert "Interview report: interview_en" in rendered
    assert rendered.count("<section") == 3 and "not in the catalogue" in rendered
    assert '<mark class="met">' in rendered  # matched evidence is highlighted
    shot = subprocess.run([browser, *flags, f"--screenshot={tmp_path / 'shot.png'}", "--window-size=1000,1400", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and (tmp_path / "shot.png").stat().st_size > 10_000
