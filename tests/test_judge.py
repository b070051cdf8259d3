"""The LLM judge: scripted judges for the combination logic, real GGUF models for the
plumbing and for sane verdicts, and a real llama.cpp server for the OpenAI-compatible path."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from grader import Grade, Grader, JudgeError, models
from grader.calibration import DEFAULT_CALIBRATION_FILE, combination_key
from grader.judges import LlamaCppJudge, OpenAIJudge
from grader.checks import check_points
from grader.textnorm import occurs_in
from grader.prompt import Prompt, render, render_check, verdict_schema
from grader.report import render_grade
from grader.verdicts import yes_probability

from conftest import ROOT


class ScriptedJudge:
    """Implements the Judge protocol with replies given in advance; counts calls.

    `first_tokens` maps a substring of the claim to the first-token log-probabilities the
    judge returns for its yes/no check; other claims get an even yes/no.
    """

    def __init__(self, name: str, replies: list[str], first_tokens: dict[str, dict[str, float]] | None = None) -> None:
        self.name = name
        self.replies = replies
        self.first_tokens = first_tokens or {}
        self.calls = 0
        self.checks = 0

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        self.calls += 1
        return self.replies[min(self.calls - 1, len(self.replies) - 1)]

    def first_token(self, prompt: Prompt) -> dict[str, float]:
        self.checks += 1
        claim = prompt.user.rsplit("Claim:", 1)[1]
        return next((v for k, v in self.first_tokens.items() if k in claim), {"yes": math.log(0.5), "no": math.log(0.5)})


def _judged_grader(judge: ScriptedJudge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Any, calibration: Path | None = None) -> Grader:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))  # a fresh judge cache
    grader = Grader(judge="none", embedder=embedder, explain=True, calibration_file=calibration)
    grader.__dict__["judge"] = judge  # the judge slot, filled with the scripted judge
    return grader


def _calibration_with_judge(tmp_path: Path, judge_name: str, embedder: str, **blend: float) -> Path:
    """The shipped embedding-only calibration plus a judge entry with the given blend."""
    data = json.loads(DEFAULT_CALIBRATION_FILE.read_text(encoding="utf-8"))
    entry = dict(data["combinations"][combination_key(embedder, "none")])
    data["combinations"][combination_key(embedder, judge_name)] = {**entry, **blend}
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_judge_fitted_to_no_weight_scores_with_the_embedding_only_calibration(grader: Grader, tmp_path: Path) -> None:
    """Its entry's map is an embedding-only fit from the day it was fitted, staler than the
    embedding-only entry; a judge fitted to some weight keeps its own entry."""
    from grader.calibration import load_calibration

    zero = _calibration_with_judge(tmp_path, "scripted:zero", grader.embedder.name, judge_weight=0.0, misconception_penalty=0.0, signal_intercept=-50.0)
    calibration, warning = load_calibration(grader.embedder.name, "scripted:zero", zero)
    assert calibration.version.endswith("|none") and warning is not None and "no weight" in warning
    assert calibration.signal_intercept == grader.calibration.signal_intercept != -50.0
    some = _calibration_with_judge(tmp_path, "scripted:some", grader.embedder.name, judge_weight=0.35, misconception_penalty=0.0, signal_intercept=-50.0)
    calibration, warning = load_calibration(grader.embedder.name, "scripted:some", some)
    assert calibration.version.endswith("|scripted:some") and warning is None
    assert calibration.signal_intercept == -50.0 and calibration.judge_weight == 0.35


def test_checks_move_the_score_only_by_their_fitted_weight(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    answer = batchnorm_answers["en"]["correct"]
    plain = grader.grade(answer, question="batchnorm")
    misconception = next(p for p in grader.rubrics["batchnorm"].points if p.weight < 0)
    says_wrong = {misconception.text[:40]: {"yes": math.log(0.99), "no": math.log(0.01)}}
    unweighted = _judged_grader(ScriptedJudge("scripted:w0", ["{}"], says_wrong), tmp_path, monkeypatch, grader.embedder)
    unweighted.explain = False
    shown = unweighted.grade(answer, question="batchnorm")
    assert shown.score == plain.score  # no calibration for this judge: shown, not scored
    assert next(p for p in shown.points if p.id == misconception.id).judge_yes == pytest.approx(0.99)
    calibration = _calibration_with_judge(tmp_path, "scripted:w1", grader.embedder.name, misconception_penalty=0.5, misconception_low=0.5, misconception_high=0.9)
    judge = ScriptedJudge("scripted:w1", ["{}"], says_wrong)
    weighted = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder, calibration)
    weighted.explain = False
    penalised = weighted.grade(answer, question="batchnorm")
    assert penalised.score is not None and plain.score is not None and penalised.score < plain.score
    assert "judge-misconception" in penalised.flags and "judge-misconception" not in shown.flags
    calls = judge.checks
    assert weighted.grade(answer, question="batchnorm") == penalised
    assert judge.checks == calls  # the checks came from the cache


def test_check_without_yes_or_no_is_unscored(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    answer = batchnorm_answers["en"]["correct"]
    plain = grader.grade(answer, question="batchnorm")
    calibration = _calibration_with_judge(tmp_path, "scripted:odd", grader.embedder.name, judge_weight=0.8, misconception_penalty=1.0)
    first_point = grader.rubrics["batchnorm"].points[0].text[:40]
    judge = ScriptedJudge("scripted:odd", ["{}"], {first_point: {"maybe": 0.0}, "": {"yes": 0.0}})
    judged = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder, calibration)
    judged.explain = False
    grade = judged.grade(answer, question="batchnorm")
    assert "judge-unscored" in grade.flags
    first = grade.points[0]
    assert first.judge_yes is None and first.credit == plain.points[0].credit  # kept, never "missing"
    assert "no yes/no for some points" in render_grade(grade)


def test_unparseable_judge_is_unscored_not_missing(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    answer = batchnorm_answers["en"]["correct"]
    plain = grader.grade(answer, question="batchnorm")
    judge = ScriptedJudge("scripted:garbage", ["not json at all", '{"points": [ truncated'])
    judged = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder).grade(answer, question="batchnorm")
    assert judge.calls == 2  # one re-ask, then give up
    assert "judge-unscored" in judged.flags
    assert judged.score == plain.score  # unscored never counts as missing
    assert all(p.verdict is None for p in judged.points)
    assert "written verdicts were unusable" in render_grade(judged)


def test_a_reply_that_judges_nothing_leaves_the_checks_scored(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    """What the 1.5B judge does on some prompts: every point "met", misconceptions too."""
    answer = batchnorm_answers["en"]["correct"]
    rubric = grader.rubrics["batchnorm"]
    quote = answer.split(",")[0].strip()
    everything = json.dumps({"points": [{"id": p.id, "reason": p.text, "verdict": "met", "quote": quote} for p in rubric.points],
                             "instructions_to_grader": False})
    judge = ScriptedJudge("scripted:everything", [everything])
    judged = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder).grade(answer, question="batchnorm")
    assert judge.calls == 2 and "judge-unscored" in judged.flags
    assert all(p.verdict is None and p.judge_yes is not None for p in judged.points)
    assert "written verdicts were unusable" in render_grade(judged)


def test_verdicts_are_attached_and_cached(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    answer = batchnorm_answers["en"]["correct"]
    rubric = grader.rubrics["batchnorm"]
    quote = answer.split(",")[0].strip()
    reply = json.dumps({"points": [{"id": p.id, "reason": "r", "verdict": "met" if p.weight > 0 else "missing", "quote": quote if p.weight > 0 else ""}
                                   for p in rubric.points], "instructions_to_grader": False})
    judge = ScriptedJudge("scripted:ok", [reply])
    judged_grader = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder)
    first = judged_grader.grade(answer, question="batchnorm")
    second = judged_grader.grade(answer, question="batchnorm")
    assert judge.calls == 1  # the second grade came from the cache
    assert first == second
    assert first.judge == "scripted:ok" and first.prompt_version
    assert {p.verdict for p in first.points if p.weight > 0} == {"met"}
    judged_grader.use_judge_cache = False
    judged_grader.grade(answer, question="batchnorm")
    assert judge.calls == 2  # --no-cache asks again


def test_judge_flag_for_instructions(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reply = json.dumps({"points": [{"id": "normalizes-with-batch-statistics", "reason": "r", "verdict": "missing", "quote": ""}], "instructions_to_grader": True})
    grade = _judged_grader(ScriptedJudge("scripted:flag", [reply]), tmp_path, monkeypatch, grader.embedder).grade(
        "Batch norm helps training converge.", question="batchnorm")
    assert "instruction-in-answer" in grade.flags


@pytest.fixture(scope="session")
def smollm_path() -> Path:
    return models.fetch(models.SMOLLM_JUDGE, progress=False)


def test_local_judge_plumbing_with_a_real_small_model(smollm_path: Path, grader: Grader, batchnorm_answers) -> None:
    judge = LlamaCppJudge(smollm_path)
    rubric = grader.rubrics["batchnorm"]
    raw = judge.complete(render(rubric, batchnorm_answers["en"]["correct"]), verdict_schema(rubric, batchnorm_answers["en"]["correct"]))
    data = json.loads(raw)  # the grammar guarantees valid JSON of the schema's shape
    assert [p["id"] for p in data["points"]] and set(p["verdict"] for p in data["points"]) <= {"met", "partial", "missing"}
    assert len(data["points"]) == len(rubric.points)
    # Quotes are bound to the answer's sentences, so even a 135M model quotes verbatim.
    assert all(p["quote"] == "" or occurs_in(p["quote"], batchnorm_answers["en"]["correct"]) for p in data["points"])
    assert judge.stats["prompt_tokens"] > 0 and judge.stats["completion_tokens"] > 0


def test_local_yes_no_check_reuses_the_answer_prefix(smollm_path: Path, grader: Grader, batchnorm_answers) -> None:
    judge = LlamaCppJudge(smollm_path)
    rubric = grader.rubrics["batchnorm"]
    answer = batchnorm_answers["ru"]["correct"]
    first = judge.first_token(render_check(rubric, answer, rubric.points[0].text))
    full = judge.stats["prompt_tokens"]
    second = judge.first_token(render_check(rubric, answer, rubric.points[1].text))
    assert judge.stats["prompt_tokens"] - full < full / 2  # only the claim was evaluated again
    for alternatives in (first, second):
        assert 0.0 < sum(math.exp(v) for v in alternatives.values()) <= 1.0 + 1e-6
        assert yes_probability(alternatives) is not None  # the chat template makes yes/no likely


def test_grade_with_local_judge_end_to_end(smollm_path: Path, grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))
    monkeypatch.setenv("GRADER_JUDGE_MODEL_PATH", str(smollm_path))
    g = Grader(judge="local", embedder=grader.embedder, explain=True)
    grade = g.grade(batchnorm_answers["zh"]["correct"], question="batchnorm")
    assert isinstance(grade, Grade) and grade.judge == "local:SmolLM2-135M-Instruct.Q4_1"
    assert grade.prompt_version
    assert "judge-unscored" in grade.flags or any(p.verdict for p in grade.points)
    assert all(p.judge_yes is not None for p in grade.points) or "judge-unscored" in grade.flags


def test_qwen_judge_tells_right_from_wrong(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))
    judge = LlamaCppJudge(models.fetch(models.QWEN_JUDGE, progress=False))
    rubric = grader.rubrics["learning-rate"]
    from grader.verdicts import parse_verdicts

    right = ("If the learning rate is too high, the updates overshoot the minimum, so the loss oscillates or even diverges. "
             "If it is too low, training converges very slowly and can get stuck on plateaus.")
    wrong = "The learning rate is the percentage of the dataset used for training; the rest is used for testing."
    verdicts = {}
    for name, answer in (("right", right), ("wrong", wrong)):
        verdicts[name] = parse_verdicts(judge.complete(render(rubric, answer), verdict_schema(rubric, answer)), rubric, answer)
    # What a user may be shown never credits the wrong answer. The 1.5B model's written verdicts
    # are often a non-judgement (every point "met" on the wrong answer, misconceptions included;
    # every point "partial" on the right one; which one it does depends on what llama.cpp
    # evaluated before), and parse_verdicts refuses those: the answer is then judge-unscored.
    positives = [p.id for p in rubric.points if p.weight > 0]
    if verdicts["wrong"] is not None:
        assert not any(verdicts["wrong"].points[i].verdict == "met" for i in positives if i in verdicts["wrong"].points)
    if verdicts["right"] is not None:
        met_right = sum(verdicts["right"].points[i].verdict != "missing" for i in positives if i in verdicts["right"].points)
        assert met_right >= 2
        # Quotes are optional, but the grammar only lets the model quote the answer itself.
        assert all(v.quote_found for v in verdicts["right"].points.values() if v.quote)
    # The yes/no checks, which are what the judge scores with, on the same pair: the right
    # answer states the positive points more surely (here: mean P(yes) 0.70 against 0.46).
    yes = {name: check_points(judge, rubric, answer, use_cache=False) for name, answer in (("right", right), ("wrong", wrong))}
    mean = {name: sum(v[i] or 0.0 for i in positives) / len(positives) for name, v in yes.items()}
    assert mean["right"] > mean["wrong"] + 0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(smollm_path: Path):
    """A real `python -m llama_cpp.server` on 127.0.0.1, serving SmolLM2 as model `judge`."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm_path), "--model_alias", "judge",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("llama_cpp.server did not start within 120 s")
    time.sleep(1)
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_openai_path_against_real_llama_server(llama_server: str, grader: Grader, batchnorm_answers) -> None:
    judge = OpenAIJudge(base_url=llama_server, model="judge", api_key="local")
    rubric = grader.rubrics["batchnorm"]
    raw = judge.complete(render(rubric, batchnorm_answers["ja"]["correct"]), verdict_schema(rubric, batchnorm_answers["ja"]["correct"]))
    assert isinstance(json.loads(raw)["points"], list)
    assert OpenAIJudge.FORMATS[judge._format] == "json_object"  # the server refused json_schema; fell back
    alternatives = judge.first_token(render_check(rubric, batchnorm_answers["ja"]["correct"], rubric.points[0].text))
    assert alternatives and yes_probability(alternatives) is not None


class _ScriptedServer(BaseHTTPRequestHandler):
    script: list[tuple[int, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, content = self.script.pop(0) if self.script else (500, "")
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                           "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode() if status == 200 else b'{"error": {"message": "scripted"}}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def scripted_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_rate_limit_and_5xx_are_retried(scripted_server) -> None:
    server, url = scripted_server
    _ScriptedServer.script = [(429, ""), (503, ""), (200, '{"points": []}')]
    judge = OpenAIJudge(base_url=url, model="m", api_key="k", retries=3)
    judge._format = 1  # json_object: skip the json_schema probe for this protocol test
    assert judge.complete(Prompt("s", "u"), {}) == '{"points": []}'


def test_persistent_failure_is_one_line_judge_error(scripted_server) -> None:
    _, url = scripted_server
    _ScriptedServer.script = [(503, "")] * 10
    judge = OpenAIJudge(base_url=url, model="m", api_key="k", retries=1)
    judge._format = 1
    with pytest.raises(JudgeError, match="after 2 attempts"):
        judge.complete(Prompt("s", "u"), {})


def test_server_down_and_missing_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    judge = OpenAIJudge(base_url=f"http://127.0.0.1:{_free_port()}/v1", model="m", api_key="k", retries=0)
    with pytest.raises(JudgeError, match="unreachable"):
        judge.complete(Prompt("s", "u"), {})
    for env in ("OPENAI_API_KEY", "GRADER_OPENAI_BASE_URL", "OPENAI_BASE_URL", "GRADER_JUDGE_MODEL"):
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(JudgeError, match="GRADER_OPENAI_BASE_URL"):
        OpenAIJudge()
    with pytest.raises(JudgeError, match="OPENAI_API_KEY"):
        OpenAIJudge(base_url="http://127.0.0.1:9/v1", model="m")


def test_cli_openai_judge_failure_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"OPENAI_API_KEY": "k", "GRADER_JUDGE_MODEL": "m", "GRADER_OPENAI_BASE_URL": f"http://127.0.0.1:{_free_port()}/v1"}
    import os

    result = subprocess.run([sys.executable, "-m", "grader", "examples/batchnorm_en.txt", "--q", "batchnorm", "--judge", "openai"],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=600)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "unreachable" in errors[0]


def test_auto_grades_embedding_only_when_llama_cpp_is_missing(grader: Grader, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A user who fetched the judge model but installed without the `judge` extra (the
    README's first command) must get a grade, not an error asking for llama-cpp-python,
    even where a calibration says the judge helps."""
    import grader.api as api
    from grader.calibration import DEFAULT_CALIBRATION_FILE, combination_key

    def calibration_with(penalty: float, gain_low: float = 0.01) -> Path:
        data = json.loads(DEFAULT_CALIBRATION_FILE.read_text(encoding="utf-8"))
        entry = data["combinations"][combination_key(grader.embedder.name, f"local:{models.QWEN_JUDGE.name}")]
        entry.update(misconception_penalty=penalty, judge_weight=0.0, held_out={**entry["held_out"], "judge_gain_low": gain_low})
        path = tmp_path / f"calibration-{penalty}-{gain_low}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    monkeypatch.setattr(api, "local_model_present", lambda: True)
    monkeypatch.setattr(api, "llama_cpp_installed", lambda: False)
    auto = Grader(judge="auto", embedder=grader.embedder, calibration_file=calibration_with(0.25))
    assert auto.judge is None
    assert any("llama-cpp-python is not installed" in w for w in auto.warnings)
    assert auto.grade("BN normalises activations over the mini-batch.", question="batchnorm").score is not None
    # A judge fitted to weight 0 is not used whether or not llama-cpp-python is there; the
    # notice gives that reason.
    unhelpful = Grader(judge="auto", embedder=grader.embedder, calibration_file=calibration_with(0.0))
    assert unhelpful.judge is None and any("not calibrated to help" in w for w in unhelpful.warnings)
    # Nor is one given weight for a held-out gain that may be noise (interval reaching below 0).
    monkeypatch.setattr(api, "llama_cpp_installed", lambda: True)
    monkeypatch.setattr(api, "get_judge", lambda spec, *args, **kwargs: spec)  # which judge auto picked
    noisy = Grader(judge="auto", embedder=grader.embedder, calibration_file=calibration_with(0.25, gain_low=-0.006))
    assert noisy.judge == "none" and any("not calibrated to help" in w for w in noisy.warnings)
    clear = Grader(judge="auto", embedder=grader.embedder, calibration_file=calibration_with(0.25, gain_low=0.01))
    assert clear.judge == "local"


def test_cached_checks_outlive_edits_the_judge_never_sees(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    """Judge replies are keyed by what the prompts show: notes, aliases, phrasings and
    `asked_as` can be edited without re-asking; a changed point text is asked again."""
    from grader.rubric import AskedAs

    monkeypatch.setenv("GRADER_HOME", str(tmp_path))
    answer = batchnorm_answers["en"]["correct"]
    rubric = grader.rubrics["batchnorm"]
    judge = ScriptedJudge("scripted:cache", ["{}"])
    check_points(judge, rubric, answer)
    asked = judge.checks
    assert asked == len(rubric.points)
    edited = rubric.model_copy(update={"notes": ["a reviewer's note"], "aliases": ["bn"], "asked_as": AskedAs()})
    assert edited.digest != rubric.digest and edited.judge_digest == rubric.judge_digest
    check_points(judge, edited, answer)
    assert judge.checks == asked  # from the cache
    points = [p.model_copy(update={"text": p.text + " (reworded)"}) if i == 0 else p for i, p in enumerate(rubric.points)]
    reworded = rubric.model_copy(update={"points": points})
    check_points(judge, reworded, answer)
    assert judge.checks == 2 * asked  # the judge sees a different claim: asked again
