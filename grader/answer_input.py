"""Reading answers from files and stdin: encodings, binary files, empty and huge inputs."""

from __future__ import annotations

import codecs
import functools
import re
import sys
from pathlib import Path

from grader.errors import InputError

_INNER_CAPITAL = re.compile(r"(?<=[а-яёА-ЯЁ])[А-ЯЁ]")
_MIXED_SCRIPT_WORD = re.compile(r"[A-Za-z][а-яёА-ЯЁ]|[а-яёА-ЯЁ][A-Za-z]")  # "Эber": Latin-1 read as KOI8-R

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


# Tried when the bytes are not UTF-8; the most plausible decoding wins.
_LEGACY_ENCODINGS: tuple[str, ...] = ("gb18030", "cp932", "euc_jp", "cp1252", "cp1251", "koi8_r", "utf-16-le", "utf-16-be")
_SCORED_CHARS = 20_000
_CJK_PUNCTUATION = set("、。，．：；？！「」『』（）【】《》〈〉“”‘’…—・ー～·")


_LEVEL1 = {"gb2312": (0xB0A1, 0xD7FE), "shift_jis": (0x889F, 0x9872)}
"""Where each codec keeps its level-1 Han characters, the ~3,750 (GB2312) or ~3,000 (JIS X 0208)
most used in Chinese or Japanese. A wrong decoding of CJK bytes yields rare characters."""


@functools.lru_cache(maxsize=8192)
def _level1(ch: str, codec: str) -> bool:
    try:
        encoded = ch.encode(codec)
    except UnicodeEncodeError:
        return False
    low, high = _LEVEL1[codec]
    return len(encoded) == 2 and low <= int.from_bytes(encoded, "big") <= high


def _kana(text: str) -> int:
    return sum(1 for ch in text if 0x3041 <= ord(ch) <= 0x30FF)


def _plausibility(text: str) -> float:
    """Share of characters an answer in en/zh/ja/ru plausibly contains (the eval answers: 0.95
    and up). Wrong decodings give CJK bytes rare characters (kanji read as GBK, Chinese beside
    kana); Cyrillic bytes capitals inside words ("ФПЮОПУФШ": koi8-r read as cp1251) or runs
    of accented Latin (cp1251 read as cp1252: these count half); Latin-1 bytes Cyrillic letters
    inside Latin words ("Эber")."""
    if not text:
        return 0.0
    han_codec = "shift_jis" if _kana(text) * 20 >= len(text) else "gb2312"
    good = 0.0
    for ch in text:
        code = ord(ch)
        if (
            ch.isascii() and (ch.isprintable() or ch in "\t\n\r")
            or 0x410 <= code <= 0x451
            or 0x3041 <= code <= 0x30FF  # hiragana, full-width katakana
            or ch in _CJK_PUNCTUATION or 0xFF01 <= code <= 0xFF5E
            or 0x4E00 <= code <= 0x9FFF and _level1(ch, han_codec)
        ):
            good += 1
        elif 0xC0 <= code <= 0xFF and ch.isalpha():
            good += 0.5
    misfits = len(_INNER_CAPITAL.findall(text)) + len(_MIXED_SCRIPT_WORD.findall(text))
    return (good - 2 * misfits) / len(text)


def starts_with_bom(data: bytes) -> bool:
    return data.startswith(tuple(bom for bom, _ in _BOMS))


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 or a BOM-marked encoding when present; otherwise the legacy encoding whose
    decoding reads most like an answer (GBK, Shift-JIS, cp1251, UTF-16 without BOM...)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:  # e.g. a UTF-16 file cut at an odd byte
                raise InputError(f"{name}: starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()} text ({error.reason} at byte {error.start})") from None
    has_nul = b"\x00" in data
    if not has_nul:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    # NUL bytes occur in text only as UTF-16's high bytes; elsewhere they mean a binary file.
    encodings = [e for e in _LEGACY_ENCODINGS if e.startswith("utf-16")] if has_nul else _LEGACY_ENCODINGS
    # Ties (all characters plausible) go to the decoding that keeps more characters (a stray
    # "·x" is not a Han character), then to the Japanese codecs for text with kana and to GBK
    # for text without: both share EUC's byte layout, but Japanese is never kana-free. Last,
    # the earlier in _LEGACY_ENCODINGS.
    ranked = []
    for order, encoding in enumerate(encodings):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Judged on a prefix: the answer's start shows its encoding, and a whole 64 MB file would take minutes.
        prefix = text[:_SCORED_CHARS]
        prefer = (encoding in ("cp932", "euc_jp")) == (_kana(prefix) > 0)
        ranked.append((round(_plausibility(prefix), 9), len(text), prefer, -order, text))
    best_score, *_, best = max(ranked, default=(0.0, 0, False, 0, None))
    if best is None or best_score < 0.75:
        if has_nul:
            raise InputError(f"{name}: looks like a binary file, not text")
        raise InputError(f"{name}: cannot detect the text encoding (save it as UTF-8)")
    return best


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
        raise InputError(f"{name}: looks like a binary file, not text")
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
