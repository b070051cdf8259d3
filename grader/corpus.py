"""The source articles rubrics are built from, with their metadata.

`corpus/sources.yaml` lists each article: language, title, origin, and the line range of each
catalogue question's section. Articles are kept verbatim (only page chrome is dropped), so a
rubric's evidence quote can be checked against them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from grader.textnorm import normalize_for_match


def default_corpus_dir() -> Path:
    """`corpus/` of a source checkout, else the copy shipped inside the package."""
    package = Path(__file__).parent
    checkout = package.parent / "corpus"
    return checkout if checkout.is_dir() else package / "data" / "corpus"


class LineRange(BaseModel):
    """A 1-based, inclusive range of lines in a corpus file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: int = Field(ge=1)
    end: int = Field(ge=1)


class Source(BaseModel):
    """One source article."""

    model_config = ConfigDict(extra="forbid")
    id: str
    """Short id that rubric evidence refers to (`ja12`, `zh12`, `ru`, `zh50`)."""
    file: str
    """File name inside the corpus directory."""
    language: str
    """ISO 639-1 code of the article's language."""
    title: str
    origin: str
    """Where the article came from (seed file, site or channel as far as the page says)."""
    sections: dict[str, list[LineRange]] = Field(default_factory=dict)
    """Catalogue question id -> the line ranges that discuss it (a question may span posts)."""


class CorpusIndex(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[Source]


class Corpus:
    """The corpus directory: source metadata plus lazily read article texts."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        raw = yaml.safe_load((directory / "sources.yaml").read_text(encoding="utf-8"))
        self.index = CorpusIndex.model_validate(raw)
        self.sources = {source.id: source for source in self.index.sources}

    def text(self, source_id: str) -> str:
        return self._texts[source_id]

    def normalized_text(self, source_id: str) -> str:
        return self._normalized[source_id]

    def section_text(self, source_id: str, question_id: str) -> str:
        """The lines of one question's section(s) in one source, joined."""
        lines = self.text(source_id).splitlines()
        ranges = self.sources[source_id].sections.get(question_id, [])
        return "\n".join("\n".join(lines[r.start - 1 : r.end]) for r in ranges)

    def contains(self, source_id: str, quote: str) -> bool:
        """Whether `quote` occurs verbatim (after NFKC and whitespace folding) in a source."""
        needle = normalize_for_match(quote)
        return bool(needle) and needle in self.normalized_text(source_id)

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {
            sid: (self.directory / s.file).read_text(encoding="utf-8")
            for sid, s in self.sources.items()
        }

    @cached_property
    def _normalized(self) -> dict[str, str]:
        return {sid: normalize_for_match(text) for sid, text in self._texts.items()}
