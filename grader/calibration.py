"""Applying a fitted calibration: scoring knobs and the monotone map from raw coverage to 0-10.

Calibrations are fitted by `grade calibrate` (see `grader/fitting.py`) and shipped in
`grader/data/calibration.json`, one entry per embedder/judge combination, because what a
cosine of 0.7 means depends on the model that produced it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from grader.scoring import SIGNALS, ScoringParams

DEFAULT_CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.json"
DEFAULT_OFF_TOPIC_CAP = 2.0
"""Highest score of an off-topic answer (it may share vocabulary, not substance) when a
calibration does not fit its own cap."""
UNCALIBRATED = "uncalibrated"


def combination_key(embedder: str, judge: str) -> str:
    return f"{embedder}|{judge}"


@dataclass(frozen=True)
class Calibration:
    version: str
    params: ScoringParams
    raw_points: tuple[float, ...] = (0.0, 1.0)
    score_points: tuple[float, ...] = (0.0, 10.0)
    judge_weight: float = 0.0
    """Share of a positive point's credit taken from the judge's yes/no check (0 = ignored)."""
    misconception_penalty: float = 0.0
    """Share of the raw score taken away when the judge is sure the answer states a
    misconception (fitted separately: a small judge is better at spotting a stated error than
    at confirming a correct claim)."""
    misconception_low: float = 0.7
    misconception_high: float = 0.8
    """The misconception check's P(yes) is stretched to 0-1 between these."""
    signal_weights: tuple[tuple[str, float], ...] = ()
    """Linear weights of the answer-level `SIGNALS`; empty = the raw score alone."""
    signal_intercept: float = 0.0
    off_topic_cap: float = DEFAULT_OFF_TOPIC_CAP
    """Highest score of an answer flagged off-topic (fitted: humans give them 0-1)."""
    held_out: dict[str, float] | None = None
    """Agreement on questions held out while fitting (what `grade calibrate` measured)."""
    check_low: float = 0.5
    check_high: float = 0.9
    """P(yes) at or below `check_low` counts as 0, at or above `check_high` as 1: small
    judges say yes often, so their probabilities need stretching."""

    @property
    def judge_helps(self) -> bool:
        """The judge carries weight AND its held-out gain is distinguishable from none (the
        lower end of its 90% interval is above 0). The fit takes the best of 60 blends, so it
        gives some weight to noise: on the 394 eval/ answers the 1.5B judge got weight 0.2 for a
        gain of +0.005 (-0.006 to +0.019), not worth 15 s per answer by default."""
        gain_low = (self.held_out or {}).get("judge_gain_low")
        return (self.judge_weight > 0 or self.misconception_penalty > 0) and gain_low is not None and gain_low > 0

    def combine(self, signals: dict[str, float]) -> float:
        """One number per answer from its signals, the input of `to_score`."""
        if not self.signal_weights:
            return signals["raw"]
        return self.signal_intercept + sum(w * signals[name] for name, w in self.signal_weights)

    def to_score(self, combined: float) -> float:
        """Monotone piecewise-linear map from the combined signals to the 0-10 scale."""
        value = float(np.interp(combined, self.raw_points, self.score_points))
        return round(min(10.0, max(0.0, value)), 1)


def _gives_judge_weight(entry: dict[str, Any]) -> bool:
    return any(float(entry.get(name, 0.0)) > 0 for name in ("judge_weight", "misconception_penalty"))


def load_calibration(embedder: str, judge: str, path: Path | None = None) -> tuple[Calibration, str | None]:
    """The calibration for a combination, or the uncalibrated default with a warning."""
    path = path or DEFAULT_CALIBRATION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Calibration(UNCALIBRATED, ScoringParams()), f"no calibration file at {path}"
    combinations = data.get("combinations", {})
    entry = combinations.get(combination_key(embedder, judge))
    warning = None
    if judge != "none" and combination_key(embedder, "none") in combinations:
        if entry is None:
            # The embedding-only map still applies; the judge's verdicts are shown but carry no
            # weight until a calibration has shown they help.
            warning = "no calibration for this judge yet: its checks are shown but do not change the score"
        elif not _gives_judge_weight(entry):
            # Fitted to no weight, the judge entry's map is an embedding-only fit from the day
            # it was fitted; the embedding-only entry is refitted whenever scoring changes. The
            # default judge's entry of 310 answers (refitted since) agreed with the 394 eval/
            # answers at QWK 0.895 against 0.912 and over-scored injections by 0.46.
            warning = "this judge was calibrated to carry no weight: its checks are shown but do not change the score"
        if warning:
            entry = {**combinations[combination_key(embedder, "none")], "judge_weight": 0.0, "misconception_penalty": 0.0}
            judge = "none"
    if entry is None:
        return Calibration(UNCALIBRATED, ScoringParams()), (
            f"no calibration for embedder {embedder!r} with judge {judge!r}; "
            "scores use the uncalibrated linear scale (run `grade calibrate`)"
        )
    unknown = set(entry.get("signal_weights", {})) - set(SIGNALS)
    if unknown:
        return Calibration(UNCALIBRATED, ScoringParams()), (
            f"calibration for {combination_key(embedder, judge)} uses signals this version does not compute "
            f"({', '.join(sorted(unknown))}); scores use the uncalibrated linear scale (run `grade calibrate`)"
        )
    known = {f.name for f in fields(ScoringParams)}
    params = ScoringParams(**{k: v for k, v in entry.get("params", {}).items() if k in known})
    return (
        Calibration(
            version=f"{data.get('version', '?')}:{combination_key(embedder, judge)}",
            params=params,
            raw_points=tuple(entry.get("raw_points", (0.0, 1.0))),
            score_points=tuple(entry.get("score_points", (0.0, 10.0))),
            judge_weight=float(entry.get("judge_weight", 0.0)),
            misconception_penalty=float(entry.get("misconception_penalty", 0.0)),
            misconception_low=float(entry.get("misconception_low", 0.7)),
            misconception_high=float(entry.get("misconception_high", 0.8)),
            signal_weights=tuple((k, float(v)) for k, v in entry.get("signal_weights", {}).items()),
            signal_intercept=float(entry.get("signal_intercept", 0.0)),
            off_topic_cap=float(entry.get("off_topic_cap", DEFAULT_OFF_TOPIC_CAP)),
            held_out=entry.get("held_out"),
            check_low=float(entry.get("check_low", 0.5)),
            check_high=float(entry.get("check_high", 0.9)),
        ),
        warning,
    )
