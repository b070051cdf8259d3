"""The LLM judge: scripted judges for the combination logic, real GGUF models for the
plumbing and for sane verdicts, and a real llama.cpp server for the OpenAI-compatible path."""

from __future__ import annotations

import json
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
from grader.judges import LlamaCppJudge, OpenAIJudge
from grader.prompt import Prompt, render, verdict_schema

from conftest import ROOT


class ScriptedJudge:
    """Implements the Judge protocol with replies given in advance; counts calls."""

    def __init__(self, name: str, replies: list[str]) -> None:
        self.name = name
        self.replies = replies
        self.calls = 0

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        self.calls += 1
        return self.replies[min(self.calls - 1, len(self.replies) - 1)]


def _judged_grader(judge: ScriptedJudge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Any) -> Grader:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))  # a fresh judge cache
    grader = Grader(judge="none", embedder=embedder)
    grader.__dict__["judge"] = judge  # the judge slot, filled with the scripted judge
    return grader


def test_unparseable_judge_is_unscored_not_missing(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    answer = batchnorm_answers["en"]["correct"]
    plain = grader.grade(answer, question="batchnorm")
    judge = ScriptedJudge("scripted:garbage", ["not json at all", '{"points": [ truncated'])
    judged = _judged_grader(judge, tmp_path, monkeypatch, grader.embedder).grade(answer, question="batchnorm")
    assert judge.calls == 2  # one re-ask, then give up
    assert "judge-unscored" in judged.flags
    assert judged.score == plain.score  # unscored never counts as missing
    assert all(p.verdict is None for p in judged.points)


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
    raw = judge.complete(render(rubric, batchnorm_answers["en"]["correct"]), verdict_schema(rubric))
    data = json.loads(raw)  # the grammar guarantees valid JSON of the schema's shape
    assert [p["id"] for p in data["points"]] and set(p["verdict"] for p in data["points"]) <= {"met", "partial", "missing"}
    assert len(data["points"]) == len(rubric.points)
    assert judge.stats["prompt_tokens"] > 0 and judge.stats["completion_tokens"] > 0


def test_grade_with_local_judge_end_to_end(smollm_path: Path, grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batchnorm_answers) -> None:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))
    monkeypatch.setenv("GRADER_JUDGE_MODEL_PATH", str(smollm_path))
    g = Grader(judge="local", embedder=grader.embedder)
    grade = g.grade(batchnorm_answers["zh"]["correct"], question="batchnorm")
    assert isinstance(grade, Grade) and grade.judge == "local:SmolLM2-135M-Instruct.Q4_1"
    assert grade.prompt_version
    assert "judge-unscored" in grade.flags or any(p.verdict for p in grade.points)


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
        parsed = parse_verdicts(judge.complete(render(rubric, answer), verdict_schema(rubric)), rubric, answer)
        assert parsed is not None, name
        verdicts[name] = parsed
    positives = [p.id for p in rubric.points if p.weight > 0]
    met_right = sum(verdicts["right"].points[i].verdict != "missing" for i in positives if i in verdicts["right"].points)
    met_wrong = sum(verdicts["wrong"].points[i].verdict == "met" for i in positives if i in verdicts["wrong"].points)
    assert met_wrong == 0
    assert met_right >= 2 and met_right > met_wrong


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
    raw = judge.complete(render(rubric, batchnorm_answers["ja"]["correct"]), verdict_schema(rubric))
    assert isinstance(json.loads(raw)["points"], list)
    assert OpenAIJudge.FORMATS[judge._format] == "json_object"  # the server refused json_schema; fell back


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
