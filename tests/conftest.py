"""Shared fixtures. Tests use the real default embedding model (fetched once into the cache
by `grade models fetch`, or on first use); nothing stands in for a model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader import Grader

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def grader() -> Grader:
    """One embedding-only grader for the whole session: the model loads once."""
    return Grader(judge="none")


@pytest.fixture(scope="session")
def batchnorm_answers() -> dict[str, dict[str, str]]:
    return yaml.safe_load((DATA / "batchnorm_answers.yaml").read_text(encoding="utf-8"))
