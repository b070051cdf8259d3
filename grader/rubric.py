"""Rubrics: the checkable points a good answer to one question makes.

A rubric is a YAML file validated by the pydantic models below (`extra="forbid"`, so a typo
in a field name is an error, not a silently ignored key). `rubrics/schema.json` is generated
from them for editors.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from grader.errors import UnknownQuestion
from grader.textnorm import normalize_for_match

Lang = Literal["en", "zh", "ja", "ru"]
LANGS: tuple[Lang, ...] = ("en", "zh", "ja", "ru")
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Evidence(BaseModel):
    """A verbatim span of a corpus article that a point rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    """Corpus source id (`ja12`, `zh12`, `ru`, `zh50`)."""
    quote: str = Field(min_length=1)
    """Copied verbatim from the source, in its original language."""


class RubricPoint(BaseModel):
    """One claim a strong answer makes (or, with negative weight, a misconception)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=SLUG_PATTERN)
    """Stable slug, unique within the rubric; joins verdicts to labels."""
    text: str = Field(min_length=1)
    """The claim in English, phrased as a candidate would state it."""
    weight: float = 1.0
    """Relative importance; negative for a misconception that costs points when stated."""
    phrasings: dict[Lang, list[str]] = Field(default_factory=dict)
    """Optional extra phrasings of the same claim, per language, to help matching."""
    core: dict[Lang, str] = Field(default_factory=dict)
    """The bare claim without its explanation, per language, as a terse answer states it
    ("The learning rate is a hyperparameter."). Scored like a phrasing, but it does not
    compete with misconceptions or set the point's question baseline: being short, it sits
    close to any sentence on the topic (see `RubricVectors.claim_vectors`)."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Source spans the point comes from."""

    @field_validator("weight")
    @classmethod
    def _nonzero(cls, weight: float) -> float:
        if weight == 0:
            raise ValueError("weight must be non-zero (drop the point instead)")
        return weight

    @property
    def is_misconception(self) -> bool:
        return self.weight < 0

    def all_phrasings(self) -> list[str]:
        """The English text first, then every extra phrasing, then the core phrasings last."""
        claim = [self.text] + [p for lang in LANGS for p in self.phrasings.get(lang, [])]
        return claim + [self.core[lang] for lang in LANGS if lang in self.core]


class QuestionText(BaseModel):
    """The question as asked, in English and in its source language(s)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1)
    zh: list[str] = Field(default_factory=list)
    ja: list[str] = Field(default_factory=list)
    ru: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [self.en, *self.zh, *self.ja, *self.ru]


class AskedAs(BaseModel):
    """Indirect ways interviewers ask the question: scenarios and symptoms that do not name
    the concept ("the first layers barely change during training: why?"), and the question with
    its abbreviations spelled out where the catalogue uses them ("GD", "SGD"). Used only to match
    questions to rubrics (matching.py), never to score answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)
    ja: list[str] = Field(default_factory=list)
    ru: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.en, *self.zh, *self.ja, *self.ru]


class Rubric(BaseModel):
    """Everything needed to grade answers to one question."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=SLUG_PATTERN)
    """The catalogue id; what `--q` takes."""
    question: QuestionText
    aliases: list[str] = Field(default_factory=list)
    """Short names (`bn`) and other ways the question is asked."""
    asked_as: AskedAs = Field(default_factory=AskedAs)
    qualifier: list[str] = Field(default_factory=list)
    """For a question that is a sibling's plus one concept: terms (case-insensitive
    substrings, any one) a question must contain to be matched here by embedding when the
    sibling is nearly as close. activation-saturation's question begins with
    activation-function's, and "And what's the point of that activation function?" was
    nearer it (0.833 against 0.830)."""
    sources: list[str] = Field(default_factory=list)
    """Where the question appears, e.g. `ja12 #1`."""
    points: list[RubricPoint] = Field(min_length=1)
    reference_answer: str = ""
    """A model answer in English, written from the points."""
    notes: list[str] = Field(default_factory=list)
    """Source slips and authoring decisions, for reviewers."""
    draft: bool = False
    """True for machine-drafted rubrics nobody has reviewed yet."""

    @property
    def positive_points(self) -> list[RubricPoint]:
        return [p for p in self.points if p.weight > 0]

    @property
    def digest(self) -> str:
        """Content hash: any change to the rubric changes it (cache key, audit trail)."""
        # An empty `asked_as`, `qualifier` or `core` is left out, so rubrics written before them keep their digests.
        empty = {name for name, present in (("asked_as", self.asked_as.all()), ("qualifier", self.qualifier)) if not present}
        data = self.model_dump(mode="json", exclude=empty or None)
        for point in data["points"]:
            if not point["core"]:
                del point["core"]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @property
    def judge_digest(self) -> str:
        """Hash of what the judge's prompts show (question, reference, point ids, texts and
        signs): keys cached judge replies, so editing notes, aliases, phrasings or `asked_as`
        does not throw away hours of local-judge work (adding `asked_as` to every rubric did)."""
        shown = {
            "question": self.question.en,
            "reference": self.reference_answer,
            "points": [(p.id, p.text, p.weight < 0) for p in self.points],
        }
        canonical = json.dumps(shown, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on 47 files


def load_rubric(path: Path) -> Rubric:
    return Rubric.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))


def write_json_schema(path: Path) -> None:
    path.write_text(
        json.dumps(Rubric.model_json_schema(), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


_ASKS_WHAT = (
    re.compile(r"^(?:so,? |ok(?:ay)?,? |and )?(?:what is|what are|what's|explain|define|tell me about|what do you know about|what about|how about)(?: an?| the)? (.+)$"),
    re.compile(r"^(?:and|so) (.+)$"),
    re.compile(r"^(.+?),? (?:[—–-]+ )?what (?:is|are) (?:it|they|that)$"),
    re.compile(r"^(?:那么?|请)?(?:什么是|什么叫|说说|讲讲|解释一下|介绍一下|谈谈)(.+)$"),
    re.compile(r"^(?:那么?)?(.+?)(?:是什么|是啥|是什么意思|呢)(?:呢|吗)?$"),
    re.compile(r"^(.+?)(?:とは何ですか|とはなんですか|とは何か|とは|について説明してください|について教えてください|は)$"),
    re.compile(r"^(?:а )?(?:что такое|объясните|расскажите (?:про|о)|что вы знаете (?:о|об|про)) (.+)$"),
    re.compile(r"^а (.+)$"),
)


def _subjects(folded: str) -> list[str]:
    """What a bare "what is X?" question asks about ("Vanishing gradients — what are they?",
    "では早速ですが、活性化関数とは何ですか？", "モーメンタムは？", "А batch norm?"): X, in any of the four
    languages. The text after a sentence's last comma is tried too, for a lead-in before it."""
    bare = folded.rstrip("?？.。!！ ")
    found = [bare]
    tail = re.split(r"[、，,:：]\s*", bare)[-1]
    for text in dict.fromkeys([bare, tail]):
        for pattern in _ASKS_WHAT:
            match = pattern.match(text)
            if match:
                found.append(match.group(1).strip())
    return found


class RubricSet:
    """All rubrics of a directory, addressable by id or alias."""

    def __init__(self, rubrics: list[Rubric], directory: Path | None = None) -> None:
        self.directory = directory
        self.rubrics = {r.id: r for r in rubrics}
        self._names: dict[str, str] = {}
        for rubric in rubrics:
            for name in [rubric.id, *rubric.aliases]:
                self._names.setdefault(normalize_for_match(name), rubric.id)

    @classmethod
    def from_directory(cls, directory: Path) -> RubricSet:
        paths = sorted(directory.glob("*.yaml"))
        return cls([load_rubric(p) for p in paths], directory)

    def __iter__(self) -> Iterator[Rubric]:
        return iter(self.rubrics.values())

    def __len__(self) -> int:
        return len(self.rubrics)

    def __getitem__(self, rubric_id: str) -> Rubric:
        return self.rubrics[rubric_id]

    def qualifies(self, rubric_id: str, question: str) -> bool:
        """Whether `question` names the concept that sets the rubric apart from a sibling
        (`Rubric.qualifier`); always true for rubrics without one."""
        rubric = self.rubrics.get(rubric_id)
        terms = rubric.qualifier if rubric else []
        folded = question.casefold()
        return not terms or any(term.casefold() in folded for term in terms)

    def lookup(self, name: str) -> Rubric | None:
        """Exact id or alias (case, width and whitespace insensitive), also as the whole subject
        of a bare "what is" question ("What is SGD?", "什么是学习率？", "勾配クリッピングとは何ですか？",
        "Что такое нейрон?"), else None. Such short questions are mostly their template to an
        embedding: "What is SGD?" was nearest gd-vs-sgd, "什么是学习率？" representation-learning."""
        folded = normalize_for_match(name)
        for candidate in (folded, *_subjects(folded)):
            rubric_id = self._names.get(candidate)
            if rubric_id:
                return self.rubrics[rubric_id]
        return None

    def suggest(self, name: str) -> str | None:
        """The id or alias spelled most like `name`, for a "did you mean" hint."""
        close = difflib.get_close_matches(normalize_for_match(name), list(self._names), n=1)
        return self._names[close[0]] if close else None

    def require(self, name: str) -> Rubric:
        """Exact id or alias, or `UnknownQuestion` carrying the nearest spelling."""
        rubric = self.lookup(name)
        if rubric is None:
            hint = self.suggest(name)
            raise UnknownQuestion(name, suggestion=hint)
        return rubric
