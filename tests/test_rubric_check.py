"""`grade rubrics check` on the shipped rubrics and on deliberately broken copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grader.corpus import Corpus
from grader.rubric_check import check_rubrics, load_catalogue

from conftest import ROOT

CORPUS = Corpus(ROOT / "corpus")
CATALOGUE = ROOT / "corpus" / "catalogue.yaml"


def _copy(tmp_path: Path, ids: list[str]) -> Path:
    target = tmp_path / "rubrics"
    target.mkdir()
    for rubric_id in ids:
        shutil.copy(ROOT / "rubrics" / f"{rubric_id}.yaml", target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_rubrics_pass_every_check() -> None:
    problems = check_rubrics(ROOT / "rubrics", CORPUS, load_catalogue(CATALOGUE), str(CATALOGUE))
    assert [str(p) for p in problems] == []


def test_catalogue_has_47_ids() -> None:
    assert len(load_catalogue(CATALOGUE)) == 47


def test_clean_copy_passes(tmp_path: Path) -> None:
    assert check_rubrics(_copy(tmp_path, ["batchnorm", "learning-rate"]), CORPUS) == []


def _problems(directory: Path, **kwargs) -> list[str]:
    return [str(p) for p in check_rubrics(directory, CORPUS, **kwargs)]


def test_quote_not_in_corpus_is_reported_with_its_line(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])
    path = directory / "batchnorm.yaml"
    _edit(path, lambda d: d["points"][0]["evidence"][0].update(quote="这句话不在任何文章里"))
    problems = _problems(directory)
    assert len(problems) == 1
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "这句话不在任何文章里" in text)
    assert problems[0].startswith(f"{path}:{line}: ") and "does not occur" in problems[0]


def test_quote_matches_after_nfkc_and_whitespace_folding(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])
    path = directory / "batchnorm.yaml"
    original = yaml.safe_load(path.read_text(encoding="utf-8"))["points"][0]["evidence"][0]["quote"]
    # full-width comma and doubled spaces: the same text after normalisation
    _edit(path, lambda d: d["points"][0]["evidence"][0].update(quote=original.replace(",", "，").replace(" ", "  ")))
    assert _problems(directory) == []


def test_schema_violation_names_field_and_line(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["learning-rate"])
    path = directory / "learning-rate.yaml"
    _edit(path, lambda d: d["points"][1].update(wieght=2))
    problems = _problems(directory)
    assert len(problems) == 1 and "points.1.wieght" in problems[0] and "Extra inputs" in problems[0]
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "wieght" in text)
    assert problems[0].startswith(f"{path}:{line}:")


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    directory = tmp_path / "rubrics"
    directory.mkdir()
    (directory / "broken.yaml").write_text("id: broken\npoints: [\n", encoding="utf-8")
    problems = _problems(directory)
    assert len(problems) == 1 and "invalid YAML" in problems[0] and problems[0].startswith(f"{directory / 'broken.yaml'}:")


def test_duplicate_id_and_alias(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm", "learning-rate"])
    shutil.copy(directory / "batchnorm.yaml", directory / "batchnorm-copy.yaml")
    _edit(directory / "learning-rate.yaml", lambda d: d["aliases"].append("BN"))
    problems = _problems(directory)
    assert any("duplicate id 'batchnorm'" in p for p in problems)
    assert any("does not match the file name" in p for p in problems)
    assert any("alias 'BN' is already used by batchnorm" in p for p in problems)


def test_no_positive_weight(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])
    _edit(directory / "batchnorm.yaml", lambda d: d.update(points=[p for p in d["points"] if p["weight"] < 0]))
    assert any("no point has a positive weight" in p for p in _problems(directory))


def test_catalogue_id_without_rubric(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])
    problems = _problems(directory, catalogue=load_catalogue(CATALOGUE), catalogue_file=str(CATALOGUE))
    assert len(problems) == 46
    assert f"{CATALOGUE}:5: no rubric for catalogue id 'bias-variance'" in problems


def test_point_without_evidence(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])
    _edit(directory / "batchnorm.yaml", lambda d: d["points"][0].update(evidence=[]))
    assert any("has no source evidence" in p for p in _problems(directory))


def test_core_phrasing_in_some_languages_only_or_on_a_misconception(tmp_path: Path) -> None:
    directory = _copy(tmp_path, ["batchnorm"])

    def change(data: dict) -> None:
        data["points"][0]["core"] = {"en": "Batchnorm normalizes over the mini-batch.", "zh": "BN 用 mini-batch 的统计量归一化。"}
        wrong = next(p for p in data["points"] if p["weight"] < 0)
        wrong["core"] = {lang: "Batchnorm uses the test batch's statistics." for lang in ("en", "zh", "ja", "ru")}

    _edit(directory / "batchnorm.yaml", change)
    problems = _problems(directory)
    assert any("has a core phrasing but none in ja, ru" in p for p in problems)
    assert any("has a core phrasing: only correct points take one" in p for p in problems)


@pytest.mark.parametrize("rubric_id", ["batchnorm", "backprop", "training-process", "dl-vs-ml"])
def test_merged_questions_cite_every_source(rubric_id: str) -> None:
    data = yaml.safe_load((ROOT / "rubrics" / f"{rubric_id}.yaml").read_text(encoding="utf-8"))
    cited = {ev["source"] for p in data["points"] for ev in p.get("evidence", [])}
    named = {s.split()[0] for s in data["sources"]}
    assert named <= cited, (named, cited)


def test_json_schema_for_editors_is_up_to_date(tmp_path: Path) -> None:
    from grader.rubric import write_json_schema

    write_json_schema(tmp_path / "schema.json")
    assert (tmp_path / "schema.json").read_text(encoding="utf-8") == (ROOT / "rubrics" / "schema.json").read_text(encoding="utf-8")
