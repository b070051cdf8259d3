"""LLM judges: one `Judge` protocol, a llama.cpp backend and an OpenAI-compatible backend.

A judge only turns a prompt into raw text; validating that text is `verdicts.py`'s job, so
every backend is held to the same rules.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from grader import models
from grader.errors import JudgeError
from grader.prompt import Prompt, max_reply_tokens

BASE_URL_ENVS = ("GRADER_OPENAI_BASE_URL", "OPENAI_BASE_URL")
MODEL_ENV = "GRADER_JUDGE_MODEL"
KEY_ENV = "OPENAI_API_KEY"
JUDGE_MODEL_PATH_ENV = "GRADER_JUDGE_MODEL_PATH"
SEED = 1234


@runtime_checkable
class Judge(Protocol):
    name: str
    """Identifies backend and model: part of cache keys, calibration keys and every Grade."""

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        """The model's raw reply (expected to be JSON following `schema`)."""
        ...


class LlamaCppJudge:
    """A GGUF model in process via llama-cpp-python; temperature 0, fixed seed.

    The rubric sits in the system message, so consecutive answers to one rubric share a
    prompt prefix that llama.cpp keeps in its KV cache instead of re-evaluating it.
    """

    def __init__(self, model_path: Path, n_ctx: int = 4096, label: str | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise JudgeError("the local judge needs llama-cpp-python: pip install -e '.[judge]'") from exc
        if not model_path.is_file():
            raise JudgeError(f"judge model not found: {model_path} (run `grade models fetch`)")
        try:
            self.llm = Llama(
                model_path=str(model_path), n_ctx=n_ctx, n_threads=os.cpu_count() or 1,
                seed=SEED, verbose=False,
            )  # fmt: skip
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError for bad files
            raise JudgeError(f"cannot load judge model {model_path}: {exc}") from exc
        self.name = f"local:{label or model_path.stem}"
        self.stats = {"prompt_tokens": 0, "completion_tokens": 0, "seconds": 0.0}

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        start = time.perf_counter()
        reply = self.llm.create_chat_completion(
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            response_format={"type": "json_object", "schema": schema},
            temperature=0.0, seed=SEED, max_tokens=max_reply_tokens(schema),
        )  # fmt: skip
        usage = reply.get("usage", {})  # type: ignore[union-attr]
        self.stats["prompt_tokens"] += usage.get("prompt_tokens", 0)
        self.stats["completion_tokens"] += usage.get("completion_tokens", 0)
        self.stats["seconds"] += time.perf_counter() - start
        return reply["choices"][0]["message"]["content"] or ""  # type: ignore[index]


class OpenAIJudge:
    """Any OpenAI-compatible chat endpoint. Structured output is tried as `json_schema`,
    then `json_object` with a schema (llama.cpp's server rejects the first), then plain."""

    FORMATS = ("json_schema", "json_object", "plain")

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
    ) -> None:
        base_url = base_url or next((os.environ[e] for e in BASE_URL_ENVS if os.environ.get(e)), None)
        model = model or os.environ.get(MODEL_ENV)
        api_key = api_key or os.environ.get(KEY_ENV)
        if not base_url:
            raise JudgeError(f"no judge endpoint: set {BASE_URL_ENVS[0]} (or {BASE_URL_ENVS[1]})")
        if not model:
            raise JudgeError(f"no judge model name: set {MODEL_ENV}")
        if not api_key:
            raise JudgeError(f"no API key: set {KEY_ENV} (any value works for a local server)")
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        self.model = model
        self.retries = retries
        self.name = f"openai:{model}"
        self._format = 0  # index into FORMATS: the first the server accepted

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        kind = self.FORMATS[self._format]
        if kind == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "verdicts", "schema": schema}}
        if kind == "json_object":
            return {"type": "json_object", "schema": schema}
        return None

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        import openai

        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        attempt = 0
        while True:
            extra: dict[str, Any] = {}
            response_format = self._response_format(schema)
            if response_format is not None:
                extra["response_format"] = response_format
            try:
                reply = self.client.chat.completions.create(
                    model=self.model, messages=messages, temperature=0, seed=SEED, max_tokens=max_reply_tokens(schema) if schema else 1024, **extra  # type: ignore[arg-type]
                )
                return reply.choices[0].message.content or ""
            except openai.BadRequestError:
                if not self._next_format():
                    raise JudgeError(f"{self.name}: the server rejected the request") from None
            except openai.InternalServerError as exc:
                # llama.cpp's server answers an unsupported response_format with HTTP 500.
                if response_format is not None and self.FORMATS[self._format] == "json_schema" and self._next_format():
                    continue
                attempt = self._backoff(attempt, exc)
            except (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError) as exc:
                attempt = self._backoff(attempt, exc)
            except openai.AuthenticationError:
                raise JudgeError(f"{self.name}: authentication failed: check {KEY_ENV}") from None
            except openai.APIStatusError as exc:
                raise JudgeError(f"{self.name}: HTTP {exc.status_code} from the judge server") from None

    def _next_format(self) -> bool:
        if self._format + 1 >= len(self.FORMATS):
            return False
        self._format += 1
        return True

    def _backoff(self, attempt: int, exc: Exception) -> int:
        if attempt >= self.retries:
            what = "timed out" if "Timeout" in type(exc).__name__ else (
                "unreachable" if "Connection" in type(exc).__name__ else f"failing ({type(exc).__name__})"
            )
            raise JudgeError(f"{self.name}: judge server {what} after {attempt + 1} attempts") from None
        time.sleep(min(8.0, 0.5 * 2**attempt) * (0.5 + random.random()))
        return attempt + 1


def default_local_model() -> tuple[Path, str]:
    """`$GRADER_JUDGE_MODEL_PATH`, else the shipped Qwen2.5 1.5B (fetched if missing)."""
    env = os.environ.get(JUDGE_MODEL_PATH_ENV)
    if env:
        return Path(env), Path(env).stem
    return models.ensure(models.QWEN_JUDGE), models.QWEN_JUDGE.name


def local_model_present() -> bool:
    return bool(os.environ.get(JUDGE_MODEL_PATH_ENV)) or models.is_present(models.QWEN_JUDGE)


def get_judge(spec: str, model_path: Path | None = None, **openai_options: Any) -> Judge | None:
    """`none` -> None; `local` -> llama.cpp (model_path or the default); `openai` -> endpoint."""
    if spec == "none":
        return None
    if spec == "local":
        if model_path is not None:
            return LlamaCppJudge(model_path)
        path, label = default_local_model()
        return LlamaCppJudge(path, label=label)
    if spec == "openai":
        return OpenAIJudge(**openai_options)
    raise JudgeError(f"unknown judge {spec!r}: use none, local, openai or auto")


