"""Reading answers: encodings, binary files, empty and huge input."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.answer_input import MAX_ANSWER_CHARS, decode_bytes, prepare_answer, read_answer
from grader.errors import InputError

from conftest import ROOT

TEXT_ZH = "批归一化把每一层的激活值归一化为均值为零、方差为一的分布，使训练更稳定、收敛更快。"
TEXT_JA = "バッチ正規化は各層の活性化を平均0、分散1に正規化し、学習を安定させて収束を速めます。"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(TEXT_ZH, "gbk"), (TEXT_JA, "shift_jis"), (TEXT_ZH, "utf-16"), (TEXT_JA, "utf-8-sig"), ("Батч-нормализация ускоряет обучение сети.", "cp1251"),
     # Each of these was misread once: short GBK as Korean, EUC-JP as Chinese, KOI8-R as
     # upper-case cp1251, Latin-1 German as GBK, UTF-16 without a BOM as binary.
     ("批归一化（Batch Normalization）用当前小批量的均值和方差", "gbk"), (TEXT_JA, "euc_jp"),
     ("Точность (precision) и полнота (recall) ускоряет обучение.", "koi8_r"),
     ("Die Batch-Normalisierung normalisiert die Aktivierungen über den Mini-Batch; größere Lernraten.", "latin-1"),
     ("Batch normalization normalizes activations.", "utf-16-le")],
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


def test_shipped_chinese_example_saved_as_gbk_is_read(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "batchnorm_zh.txt").read_text(encoding="utf-8")
    path = tmp_path / "answer.txt"
    path.write_bytes(text.encode("gbk"))
    assert read_answer(str(path)) == text


def test_random_bytes_are_refused() -> None:
    noise = bytes((i * 97 + 31) % 255 + 1 for i in range(4000))  # no NUL, not text in any encoding
    with pytest.raises(InputError, match="encoding"):
        decode_bytes(noise, "noise.bin")


def test_a_truncated_utf16_file_is_an_input_error_not_a_crash() -> None:
    """A BOM promises UTF-16; a file cut at an odd byte broke that promise with a bare
    UnicodeDecodeError ("internal error" from the CLI)."""
    data = "Batch".encode("utf-16")[:-1]
    with pytest.raises(InputError, match="utf16.txt: starts with a UTF-16 byte-order mark"):
        decode_bytes(data, "utf16.txt")
    assert decode_bytes("Batch".encode("utf-16"), "x") == "Batch"
