"""`grade rubrics check`: every problem in a rubric directory as `file:line: message`.

Schema errors are mapped back to the YAML line they come from, so an author can jump to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from grader.corpus import Corpus
from grader.rubric import LANGS, Rubric
from grader.textnorm import normalize_for_match


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _node_line(node: yaml.Node | None, loc: Iterable[Any]) -> int:
    """Follow a pydantic error location through the composed YAML tree to a line number."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key < len(node.value):
                child = node.value[key]
        if child is None:
            return line
        node = child
        line = node.start_mark.line + 1
    return line


def _parse(path: Path, display: str) -> tuple[Rubric | None, yaml.Node | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [Problem(display, 1, f"cannot read: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, None, [Problem(display, line, f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    try:
        return Rubric.model_validate(data), root, []
    except ValidationError as exc:
        problems = [
            Problem(
                display,
                _node_line(root, err["loc"]),
                f"{'.'.join(str(p) for p in err['loc']) or 'rubric'}: {err['msg']}",
            )
            for err in exc.errors()
        ]
        return None, root, problems


def _check_one(
    rubric: Rubric, root: yaml.Node | None, display: str, corpus: Corpus | None
) -> list[Problem]:
    problems: list[Problem] = []

    def add(loc: tuple[Any, ...], message: str) -> None:
        problems.append(Problem(display, _node_line(root, loc), message))

    if Path(display).stem != rubric.id:
        add(("id",), f"id {rubric.id!r} does not match the file name")
    if not rubric.positive_points:
        add(("points",), "no point has a positive weight")
    seen_points: set[str] = set()
    for i, point in enumerate(rubric.points):
        if point.id in seen_points:
            add(("points", i, "id"), f"duplicate point id {point.id!r}")
        seen_points.add(point.id)
        if point.weight > 0 and not point.evidence and not rubric.draft:
            add(("points", i), f"point {point.id!r} has no source evidence")
        if point.core and point.weight < 0:
            add(("points", i, "core"), f"misconception {point.id!r} has a core phrasing: only correct points take one")
        elif point.core and len(point.core) < len(LANGS):
            # A core phrasing in some languages only would favour answers in those languages.
            missing = ", ".join(lang for lang in LANGS if lang not in point.core)
            add(("points", i, "core"), f"point {point.id!r} has a core phrasing but none in {missing}")
        for j, ev in enumerate(point.evidence):
            if corpus is None:
                continue
            if ev.source not in corpus.sources:
                add(("points", i, "evidence", j, "source"), f"unknown corpus source {ev.source!r}")
            elif not corpus.contains(ev.source, ev.quote):
                add(
                    ("points", i, "evidence", j, "quote"),
                    f"quote of point {point.id!r} does not occur in {ev.source}: "
                    f"{ev.quote[:60]!r}",
                )
    return problems


def check_rubrics(
    directory: Path,
    corpus: Corpus | None,
    catalogue: dict[str, int] | None = None,
    catalogue_file: str = "catalogue",
) -> list[Problem]:
    """All problems in `directory`; `catalogue` maps each required id to its line there."""
    problems: list[Problem] = []
    owners: dict[str, tuple[str, str]] = {}  # normalised name -> (rubric id, file)
    found_ids: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        display = str(path)
        rubric, root, parse_problems = _parse(path, display)
        problems += parse_problems
        if rubric is None:
            continue
        problems += _check_one(rubric, root, display, corpus)
        if rubric.id in found_ids:
            problems.append(Problem(display, _node_line(root, ("id",)), f"duplicate id {rubric.id!r}"))
        found_ids.add(rubric.id)
        names = [("id", rubric.id)] + [(i, a) for i, a in enumerate(rubric.aliases)]
        for where, name in names:
            key = normalize_for_match(name)
            owner = owners.get(key)
            if owner and owner[0] != rubric.id:
                loc = ("id",) if where == "id" else ("aliases", where)
                problems.append(
                    Problem(
                        display,
                        _node_line(root, loc),
                        f"alias {name!r} is already used by {owner[0]} ({owner[1]})",
                    )
                )
            elif owner is None:
                owners[key] = (rubric.id, display)
    for question_id, line in (catalogue or {}).items():
        if question_id not in found_ids:
            problems.append(Problem(catalogue_file, line, f"no rubric for catalogue id {question_id!r}"))
    return sorted(problems)


def load_catalogue(path: Path) -> dict[str, int]:
    """Catalogue ids with the line each is declared on (`- id: x` entries of a YAML list)."""
    root = yaml.compose(path.read_text(encoding="utf-8"))
    ids: dict[str, int] = {}
    if isinstance(root, yaml.SequenceNode):
        for item in root.value:
            if isinstance(item, yaml.MappingNode):
                for key_node, value_node in item.value:
                    if key_node.value == "id":
                        ids[value_node.value] = key_node.start_mark.line + 1
    return ids
