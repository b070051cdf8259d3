"""Text normalisation for verbatim comparisons (source quotes, judge quotes).

One definition, used everywhere a quote is checked against the text it cites, so that
full-width punctuation, compatibility characters and line wrapping never decide whether a
zh/ja/ru quote "occurs" in its source.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_for_match(text: str) -> str:
    """NFKC-normalise, casefold and fold every run of whitespace to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def occurs_in(quote: str, text: str) -> bool:
    """True when `quote` occurs in `text` after normalisation (empty quotes never occur)."""
    needle = normalize_for_match(quote)
    return bool(needle) and needle in normalize_for_match(text)
