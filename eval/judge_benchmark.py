"""Does the LLM judge help? Agreement on hand-graded samples with and without it.

Grades a stratified subset of eval/samples with the judge (replies are cached, so re-runs are
free), then, for each judge weight, blends verdicts into the embedding credit and measures
held-out-question agreement (leave-one-question-out isotonic map). Also reports seconds per
answer and prompt/generation tokens per second of a local judge.

Usage: python eval/judge_benchmark.py [--n 40] [--judge local|openai] [--judge-model X.gguf]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from grader import Grader
from grader.evaluation import agreement, load_samples
from grader.fitting import held_out_predictions, request_for
from grader.scoring import apply_verdicts, raw_from_points, score_points

WEIGHTS = (0.0, 0.15, 0.3, 0.5, 1.0)


def stratified(samples: list, n: int) -> list:
    """Round-robin over kinds so every kind of answer is in the subset."""
    by_kind: dict[str, list] = defaultdict(list)
    for s in samples:
        if s.question and not s.group:
            by_kind[s.kind].append(s)
    picked: list = []
    while len(picked) < n and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(picked) < n:
                picked.append(by_kind[kind].pop(0))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--judge", default="local")
    parser.add_argument("--judge-model", type=Path)
    args = parser.parse_args()
    samples = stratified(load_samples(Path(__file__).resolve().parent / "samples"), args.n)
    grader = Grader(judge=args.judge, judge_model=args.judge_model)
    calibration = grader.calibration
    prepared, verdicts, seconds = [], [], []
    unscored = 0
    for sample in samples:
        item = grader.evidence([request_for(sample)])[0]
        start = time.perf_counter()
        result, failed = grader.judge_verdicts(item)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - start)
        unscored += failed
        prepared.append(item)
        verdicts.append(result)
    grades = np.array([s.grade for s in samples])
    groups = [s.question_key for s in samples]
    print(f"{len(samples)} samples, judge {grader.judge_name}; {unscored} unscored")
    print(f"seconds per answer: median {np.median(seconds):.1f}, max {max(seconds):.1f} (cached replies count as ~0)")
    stats = getattr(grader.judge, "stats", None)
    if stats and stats["seconds"]:
        print(f"tokens: {stats['prompt_tokens']} prompt, {stats['completion_tokens']} generated in {stats['seconds']:.0f} s "
              f"({(stats['prompt_tokens'] + stats['completion_tokens']) / stats['seconds']:.1f} tok/s overall)")
    met = [v for vs in verdicts if vs for v in vs.points.values()]
    if met:
        share = {level: sum(v.verdict == level for v in met) / len(met) for level in ("met", "partial", "missing")}
        found = sum(v.quote_found for v in met if v.quote) / max(1, sum(1 for v in met if v.quote))
        print(f"verdicts: {share}; quotes found in the answer: {found:.0%}")
    for weight in WEIGHTS:
        raws = []
        for item, result in zip(prepared, verdicts):
            evidence = score_points(item.segments, item.segment_vectors, item.vectors, calibration.params)
            raws.append(raw_from_points(apply_verdicts(evidence.points, result, weight))[0])
        predictions = held_out_predictions(np.array(raws), np.zeros(len(raws), bool), grades, groups)
        mask = ~np.isnan(predictions)
        m = agreement(grades[mask], predictions[mask])
        print(f"judge weight {weight:.2f}: QWK {m['qwk']:.3f}  Spearman {m['spearman']:.3f}  MAE {m['mae']:.2f}")


if __name__ == "__main__":
    main()
