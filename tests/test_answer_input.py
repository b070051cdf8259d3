"""Reading answers: encodings, binary files, empty and huge input."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.answer_input import MAX_ANSWER_CHARS, decode_bytes, prepare_answer, read_answer
from grader.errors import InputError

TEXT_ZH = "批归一化把每一层的激活值归一化为均值为零、方差为一的分布，使训练更稳定、收敛更快。"
TEXT_JA = "バッチ正規化は各層の活性化を平均0、分散1に正規化し、学習を安定させて収束を速めます。"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(TEXT_ZH, "gbk"), (TEXT_JA, "shift_jis"), (TEXT_ZH, "utf-16"), (TEXT_JA, "utf-8-sig"), ("Батч-нормализация ускоряет обучение сети.", "cp1251")],
)
def test_legacy_encodings_are_read(tmp_path: Path, text: str, encoding: str) -> None:
    path = tmp_path / "answer.txt"
    path.write_bytes(text.encode(encoding))
    assert read_answer(str(path)).strip() == text


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_answer(str(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_answer(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="directory"):
        read_answer(str(tmp_path))


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\u3000\u3000"])
def test_empty_answer_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        prepare_answer(text)


def test_huge_answer_is_bounded_with_a_warning() -> None:
    text, warnings = prepare_answer("Batch norm normalizes activations. " * 200_000)
    assert len(text) == MAX_ANSWER_CHARS
    assert warnings and "graded on its first" in warnings[0]


def test_utf8_passes_through() -> None:
    assert decode_bytes("naïve — ok".encode(), "x") == "naïve — ok"
