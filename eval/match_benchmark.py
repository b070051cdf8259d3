"""Question matching accuracy on eval/match_paraphrases.jsonl (paraphrases in en/zh/ja/ru plus
out-of-catalogue questions), and the threshold that best separates the two.

`--set hard` uses eval/match_hard.jsonl instead: 56 scenario-style questions that avoid the
catalogue's words ("the early layers barely learn: what's going on?") and 64 out-of-catalogue
questions on neighbouring topics (layer norm, focal loss, warmup), 30 per language, written
apart from the matcher; nothing in the matcher was changed after seeing it.

Usage: python eval/match_benchmark.py [--threshold T] [--set paraphrases|hard]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from grader import Grader
from grader.matching import MATCH_THRESHOLD

SETS = {name: Path(__file__).resolve().parent / f"match_{name}.jsonl" for name in ("paraphrases", "hard")}


def accuracy_at(rows: list[dict], best: list[tuple[str, float]], threshold: float) -> float:
    hits = [(r["expected"] == (q if s >= threshold else None)) for r, (q, s) in zip(rows, best)]
    return float(np.mean(hits))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=MATCH_THRESHOLD)
    parser.add_argument("--set", choices=list(SETS), default="paraphrases")
    args = parser.parse_args()
    rows = [json.loads(line) for line in SETS[args.set].read_text(encoding="utf-8").splitlines() if line.strip()]
    grader = Grader(judge="none")
    # threshold 0 returns the nearest rubric for every text, with its similarity
    from grader.matching import match_questions

    raw = match_questions(
        [r["text"] for r in rows], grader.rubrics, grader.embedder, grader.rubric_vectors, threshold=0.0, background=grader.background
    )
    # A question nearer a common out-of-catalogue question stays unmatched at every threshold.
    best = [(m.question or "", m.similarity if m.nearer_topic is None else -1.0) for m in raw]
    grid = np.arange(0.50, 0.90, 0.01)
    scores = [accuracy_at(rows, best, t) for t in grid]
    best_t = float(grid[int(np.argmax(scores))])
    t = args.threshold
    print(f"{len(rows)} questions ({sum(r['expected'] is None for r in rows)} out of catalogue)")
    print(f"accuracy at threshold {t:.2f}: {accuracy_at(rows, best, t):.3f}; best threshold on this set {best_t:.2f}: {max(scores):.3f}")
    by_lang: dict[str, list[bool]] = defaultdict(list)
    in_cat_top1 = []
    for r, (q, s) in zip(rows, best):
        predicted = q if s >= t else None
        by_lang[r["lang"]].append(predicted == r["expected"])
        if r["expected"] is not None:
            in_cat_top1.append(q == r["expected"])
        if predicted != r["expected"]:
            print(f"  miss [{r['lang']}] {r['text'][:60]!r}: expected {r['expected']}, got {predicted} ({q} {s:.3f})")
    print("per language: " + ", ".join(f"{k} {np.mean(v):.3f} (n={len(v)})" for k, v in sorted(by_lang.items())))
    print(f"in-catalogue top-1 (ignoring threshold): {np.mean(in_cat_top1):.3f}")
    print(f"unmatched as nearer a common out-of-catalogue question: {sum(m.nearer_topic is not None for m in raw)}")
    nulls = [s for r, (q, s) in zip(rows, best) if r["expected"] is None]
    hits = [s for r, (q, s) in zip(rows, best) if r["expected"] is not None and q == r["expected"]]
    print(f"similarity of correct matches: min {min(hits):.3f} median {np.median(hits):.3f}; out-of-catalogue: max {max(nulls):.3f} median {np.median(nulls):.3f}")


if __name__ == "__main__":
    main()
