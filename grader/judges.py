"""LLM judges: one `Judge` protocol, a llama.cpp backend and an OpenAI-compatible backend.

A judge only turns a prompt into raw text; validating that text is `verdicts.py`'s job, so
every backend is held to the same rules.
"""

from __future__ import annotations

import importlib.util
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

    def first_token(self, prompt: Prompt) -> dict[str, float]:
        """The likeliest first reply tokens with their log-probabilities (for yes/no checks);
        a backend without log-probabilities returns its reply text with log-prob 0."""
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
        self._formatter: Any = None

    def _chat_text(self, prompt: Prompt) -> str:
        """The prompt in the model's own chat template, ready for the assistant's reply."""
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = self.llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise JudgeError(f"{self.name}: the model has no chat template for yes/no checks")
            vocab = self.llm._model  # token texts for the template's bos/eos variables
            eos, bos = self.llm.token_eos(), self.llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=vocab.token_get_text(eos) if eos != -1 else "",
                bos_token=vocab.token_get_text(bos) if bos != -1 else "",
            )
        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        return str(self._formatter(messages=messages).prompt)

    def first_token(self, prompt: Prompt, top: int = 20) -> dict[str, float]:
        """Log-probabilities of the first reply token, from one forward pass.

        The tokens this prompt shares with the previous one (instructions and answer; only
        the claim differs between checks of one answer) stay in the KV cache and are not
        evaluated again.
        """
        import numpy as np
        from llama_cpp import llama_get_logits

        start = time.perf_counter()
        tokens = self.llm.tokenize(self._chat_text(prompt).encode("utf-8"), add_bos=False, special=True)
        if len(tokens) >= self.llm.n_ctx():
            return {}  # too long for the context: the caller leaves the point unscored
        shared = 0
        previous = self.llm.input_ids[: self.llm.n_tokens]
        for a, b in zip(previous, tokens):
            if a != b:
                break
            shared += 1
        self.llm.n_tokens = min(shared, len(tokens) - 1)  # evaluate at least one token for logits
        self.stats["prompt_tokens"] += len(tokens) - self.llm.n_tokens
        self.llm.eval(tokens[self.llm.n_tokens :])
        logits = np.ctypeslib.as_array(llama_get_logits(self.llm.ctx), shape=(self.llm.n_vocab(),)).astype(np.float64)
        logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        best = np.argpartition(-logprobs, top)[:top]
        self.stats["seconds"] += time.perf_counter() - start
        return {
            self.llm.detokenize([int(i)]).decode("utf-8", errors="replace"): float(logprobs[i]) for i in best
        }

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
        self._logprobs = True  # until the server rejects log-probability requests

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        kind = self.FORMATS[self._format]
        if kind == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "verdicts", "schema": schema}}
        if kind == "json_object":
            return {"type": "json_object", "schema": schema}
        return None

    def complete(self, prompt: Prompt, schema: dict[str, Any]) -> str:
        def request() -> dict[str, Any]:
            response_format = self._response_format(schema)
            extra = {"response_format": response_format} if response_format is not None else {}
            return {"max_tokens": max_reply_tokens(schema) if schema else 1024, **extra}

        def fall_back(exc: Exception) -> bool:
            # llama.cpp's server answers an unsupported json_schema format with HTTP 500,
            # other servers with 400: both mean "try the next format".
            if "BadRequest" in type(exc).__name__ or self.FORMATS[self._format] == "json_schema":
                return self._next_format()
            return False

        reply = self._send(prompt, request, fall_back)
        return reply.choices[0].message.content or ""

    def first_token(self, prompt: Prompt) -> dict[str, float]:
        """Top log-probabilities of a one-token reply; the reply text alone (log-prob 0)
        from a server that does not return log-probabilities."""

        def request() -> dict[str, Any]:
            return {"max_tokens": 1, **({"logprobs": True, "top_logprobs": 10} if self._logprobs else {})}

        def fall_back(exc: Exception) -> bool:
            if "BadRequest" in type(exc).__name__ and self._logprobs:
                self._logprobs = False  # a server without log-probability support
                return True
            return False

        choice = self._send(prompt, request, fall_back).choices[0]
        content = getattr(choice.logprobs, "content", None) if self._logprobs else None
        if content:
            return {alt.token: float(alt.logprob) for alt in content[0].top_logprobs or []} or {
                content[0].token: float(content[0].logprob)
            }
        return {(choice.message.content or "").strip(): 0.0}

    def _send(self, prompt: Prompt, request: Any, fall_back: Any) -> Any:
        """One chat completion with bounded retries for transient faults. `request()` gives
        the varying arguments; `fall_back(exc)` may downgrade them after a rejection."""
        import openai

        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        attempt = 0
        while True:
            try:
                return self.client.chat.completions.create(
                    model=self.model, messages=messages, temperature=0, seed=SEED, **request()  # type: ignore[arg-type]
                )
            except (openai.BadRequestError, openai.InternalServerError) as exc:
                if fall_back(exc):
                    continue
                if isinstance(exc, openai.BadRequestError):
                    raise JudgeError(f"{self.name}: the server rejected the request") from None
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


def llama_cpp_installed() -> bool:
    """Whether the `judge` extra is installed (found without importing it: that is slow)."""
    return importlib.util.find_spec("llama_cpp") is not None


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


