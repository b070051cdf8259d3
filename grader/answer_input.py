"""Reading answers from files and stdin: encodings, binary files, empty and huge inputs."""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

from grader.errors import InputError

_CASE_FLIP = re.compile(r"[a-zа-яё][A-ZА-ЯЁ]")

MAX_ANSWER_CHARS = 20_000
"""Answers longer than this are graded on their first MAX_ANSWER_CHARS characters: no real
interview answer is longer, and encoding cost grows with length."""
MAX_READ_BYTES = 64 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 or a BOM-marked encoding when present; otherwise the detected legacy encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not a text answer")
    from charset_normalizer import from_bytes

    candidates = [str(match) for match in from_bytes(data)]
    if not candidates:
        raise InputError(f"{name}: cannot detect the text encoding (is it a binary file?)")
    # Short Cyrillic texts decode "validly" as both cp1251 and koi8-r; the wrong one has
    # capitals in the middle of words ("аЮРВ"). Prefer the candidate with fewest such flips,
    # keeping the detector's order among equals.
    return min(candidates, key=lambda text: len(_CASE_FLIP.findall(text)))


def read_answer(source: str) -> str:
    """The text of FILE, or of stdin for `-`, with a clear error for anything unreadable."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_READ_BYTES)
        name = "stdin"
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{source}: no such file")
        if path.is_dir():
            raise InputError(f"{source}: is a directory, not an answer file")
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_READ_BYTES)
        except OSError as exc:
            raise InputError(f"{source}: cannot read ({exc.strerror})") from exc
        name = source
    text = decode_bytes(data, name)
    if "\x00" in text:
        raise InputError(f"{name}: looks like a binary file, not a text answer")
    return text


def prepare_answer(text: str) -> tuple[str, list[str]]:
    """Validate an answer's text: reject empty ones, bound huge ones (with a warning)."""
    stripped = text.strip()
    if not stripped:
        raise InputError("the answer is empty")
    warnings: list[str] = []
    if len(stripped) > MAX_ANSWER_CHARS:
        warnings.append(
            f"answer is {len(stripped):,} characters; graded on its first {MAX_ANSWER_CHARS:,}"
        )
        stripped = stripped[:MAX_ANSWER_CHARS]
    return stripped, warnings
