"""Agreement metrics against known values, and an agreement floor on the hand-graded samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from grader import Grader
from grader.calibration import load_calibration
from grader.evaluation import agreement, build_report, load_samples, parity, qwk_interval
from grader.fitting import held_out_predictions, precompute, prepare_all, request_for, signal_matrix
from grader.scoring import SIGNALS

from conftest import ROOT


def test_metrics_against_known_values() -> None:
    perfect = agreement([0, 5, 10], [0, 5, 10])
    assert perfect["qwk"] == pytest.approx(1.0) and perfect["mae"] == 0 and perfect["exact"] == 1
    # Hand computation: human (0,1,1) vs predicted (0,0,1). Observed quadratic disagreement:
    # one cell (1,0) with weight 1, share 1/3. Expected from the marginals, human (1/3, 2/3) x
    # predicted (2/3, 1/3): cells (0,1) 1/9 and (1,0) 4/9, so 5/9. kappa = 1 - (1/3)/(5/9) = 0.4.
    m = agreement([0, 1, 1], [0, 0, 1])
    assert m["qwk"] == pytest.approx(0.4)
    assert m["mae"] == pytest.approx(1 / 3) and m["within1"] == 1.0
    assert agreement([1, 2, 3, 4], [4, 3, 2, 1])["spearman"] == pytest.approx(-1.0)


def test_qwk_interval_resamples_whole_questions() -> None:
    rng = np.random.default_rng(1)
    human = rng.integers(0, 11, 120).astype(float)
    predicted = np.clip(human + rng.normal(0, 2, 120), 0, 10)
    point = agreement(human, predicted)["qwk"]
    spread = qwk_interval(human, predicted, [f"q{i % 12}" for i in range(120)])
    assert spread["low"] < point < spread["high"]
    # One question: every resample draws that whole question, so there is nothing to vary.
    # (Resampling answers would give a wide interval here.)
    single = qwk_interval(human, predicted, ["q"] * 120)
    assert single["low"] == pytest.approx(point) and single["high"] == pytest.approx(point)
    # Paired difference against itself is exactly zero; against a worse predictor, positive.
    same = qwk_interval(human, predicted, [f"q{i % 12}" for i in range(120)], baseline=predicted)
    assert same["diff"] == same["diff_low"] == same["diff_high"] == 0
    worse = qwk_interval(human, predicted, [f"q{i % 12}" for i in range(120)], baseline=np.full(120, 5.0) + rng.normal(0, 1, 120))
    assert worse["diff_low"] > 0


def test_parity_spread() -> None:
    from grader.evaluation import Sample

    group = [Sample(id=str(i), answer="a", grade=5, group="g", lang=l) for i, l in enumerate("ab")]
    assert parity(group, [4.0, 6.5]) == {"groups": 1.0, "mean_spread": 2.5, "worst_spread": 2.5}


def test_loader_reads_ads_and_second_grades(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "s1", "question": "batchnorm", "answer": "a", "grade": 7}) + "\n", encoding="utf-8")
    (tmp_path / "regrade.jsonl").write_text(json.dumps({"id": "s1", "grade2": 6}) + "\n", encoding="utf-8")
    ads = json.dumps({"score": "8", "answer": "b", "q_id": "001", "question": "q", "reference1": "r", "reference2": "", "reference3": ""})
    (tmp_path / "ads.jsonl").write_text(ads + "\n", encoding="utf-8")
    samples = {s.id: s for s in load_samples(tmp_path)}
    assert samples["s1"].second_grade == 6 and samples["s1"].grade == 7
    ads_sample = next(s for s in samples.values() if s.kind == "ads")
    assert ads_sample.reference == "r" and ads_sample.grade == 8 and ads_sample.question is None


def test_agreement_floor_on_held_out_questions(grader: Grader) -> None:
    """Regression guard for the deterministic embedding-only path: with the shipped knobs, an
    signal map fitted without each question must still agree with the hand grades."""
    samples = load_samples(ROOT / "eval" / "samples")
    calibration, _ = load_calibration(grader.embedder.name, "none")
    prepared = prepare_all(grader, samples)
    cache = [None if not hasattr(p, "segments") else precompute(grader, p) for p in prepared]
    rows, off = signal_matrix(grader, prepared, calibration.params, cache)
    grades = np.array([s.grade for s in samples])
    predictions = held_out_predictions(rows, off, grades, [s.question_key for s in samples])
    mask = ~np.isnan(predictions)
    m = agreement(grades[mask], predictions[mask])
    assert mask.sum() == len(samples)
    # 0.873 before short answers were matched clause by clause, 0.889 after (2026-11-23); the
    # floor sits below the 90% interval's low end over questions (0.866).
    assert m["qwk"] >= 0.86, m
    assert m["mae"] <= 1.5, m
    report = build_report(samples, list(predictions))
    assert report["by_kind"]["injection"]["mean_error"] <= 0.5  # injections never pay


def test_fitted_judge_blend_matches_the_grading_path() -> None:
    """`grade calibrate` scores judge blends with a vectorised copy of apply_checks,
    raw_from_points and judge_penalty; both must give the same raw score, unscored checks
    included."""
    from grader.calibration import Calibration
    from grader.fitting import _blended_raw
    from grader.results import PointResult
    from grader.scoring import ScoringParams, apply_checks, judge_penalty, raw_from_points

    points = [
        PointResult(id=i, text=i, weight=w, credit=c, similarity=0.8, evidence=None)
        for i, w, c in (("a", 3.0, 0.9), ("b", 1.0, 0.2), ("c", 2.0, 0.5), ("m", -1.0, 0.1))
    ]
    checks = {"a": 0.95, "b": None, "c": 0.62, "m": 0.88}
    blend = {"judge_weight": 0.35, "check_low": 0.5, "check_high": 0.85,
             "misconception_penalty": 0.5, "misconception_low": 0.6, "misconception_high": 1.0}  # fmt: skip
    calibration = Calibration("test", ScoringParams(), **blend)
    blended = apply_checks(points, checks, calibration)
    penalty, stated = judge_penalty(blended, calibration)
    assert stated == "m" and penalty == pytest.approx(0.5 * 0.7)
    expected = raw_from_points(blended)[0] * (1 - penalty)
    row = (
        np.array([p.credit for p in points]),
        np.array([p.weight for p in points]),
        np.array([np.nan if checks[p.id] is None else checks[p.id] for p in points]),
        np.array([p.weight > 0 for p in points]),
    )
    assert _blended_raw(row, blend) == pytest.approx(expected, abs=1e-3)
    assert _blended_raw(row, {**blend, "judge_weight": 0.0, "misconception_penalty": 0.0}) == pytest.approx(raw_from_points(points)[0])


def test_fitting_sees_the_signals_that_grading_uses(grader: Grader) -> None:
    """`grade calibrate` fits on `signal_matrix`; a Grade must carry the same signals, and its
    score must be the shipped map applied to them, or the fit describes another grader."""
    samples = [s for s in load_samples(ROOT / "eval" / "samples") if s.question == "batchnorm"][:6]
    calibration = grader.calibration
    assert calibration.signal_weights, "the shipped calibration combines answer-level signals"
    prepared = prepare_all(grader, samples)
    cache = [precompute(grader, p) for p in prepared]
    rows, off = signal_matrix(grader, prepared, calibration.params, cache)
    grades = list(grader.grade_many([request_for(s) for s in samples]))
    for row, grade, is_off in zip(rows, grades, off):
        assert [grade.signals[name] for name in SIGNALS] == pytest.approx(list(row), abs=1e-3)
        expected = calibration.to_score(calibration.combine(dict(zip(SIGNALS, row))))
        assert grade.score == pytest.approx(min(expected, calibration.off_topic_cap) if is_off else expected, abs=0.051)


def test_reference_lead_tells_substance_from_a_restated_question(grader: Grader) -> None:
    """The lead rewards saying what the reference says over restating the question. (It does
    not catch off-topic answers, which are far from the question too: coverage and the
    off-topic check do that.)"""
    for answer in (grader.rubrics["batchnorm"].reference_answer,
                   "BN 用 mini-batch 的均值和方差做归一化，再学习 γ 和 β，训练更稳定，可以用更大的学习率。"):  # fmt: skip
        own = grader.grade(answer, "batchnorm").signals["reference_lead"]
        restated = grader.grade("Batch normalization is a technique used in deep learning.", "batchnorm").signals["reference_lead"]
        assert own > restated + 0.1, (own, restated)
