"""Agreement on the ADS benchmark (real Chinese student answers, human grades 0-10).

Compares, with whole questions held out (leave-one-question-out isotonic maps):
  - naive: cosine between the whole answer and the reference answer embeddings;
  - grader: the reference-answer path (one point per reference sentence) with fitted knobs.
Usage: python eval/ads_benchmark.py [path/to/train.jsonl] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from grader import Grader
from grader.evaluation import agreement, load_samples
from grader.fitting import fit, held_out_predictions

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "ads" / "train.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    samples = load_samples(args.path)
    if args.limit:
        samples = samples[: args.limit]
    grader = Grader(judge="none")
    started = time.perf_counter()
    grades = np.array([s.grade for s in samples])
    groups = [s.question_key for s in samples]

    answers = grader.embedder.encode([s.answer for s in samples])
    references = grader.embedder.encode([s.reference or "" for s in samples])
    naive_raw = np.sum(answers * references, axis=1)
    naive = held_out_predictions(naive_raw, np.zeros(len(samples), bool), grades, groups)

    result = fit(grader, samples)
    pred = np.array([np.nan if p is None else p for p in result.held_out_predictions])
    rows = {
        "naive cosine(answer, reference)": agreement(grades, naive),
        "grader reference path": agreement(grades[~np.isnan(pred)], pred[~np.isnan(pred)]),
    }
    print(f"{len(samples)} ADS answers, {len(set(groups))} questions held out one at a time; {time.perf_counter() - started:.0f} s")
    print(f"{'':34}{'qwk':>8}{'spearman':>10}{'pearson':>9}{'mae':>7}{'exact':>7}{'within1':>9}")
    for name, m in rows.items():
        print(f"{name:34}{m['qwk']:>8.3f}{m['spearman']:>10.3f}{m['pearson']:>9.3f}{m['mae']:>7.2f}{m['exact']:>7.2f}{m['within1']:>9.2f}")
    print(f"chosen knobs: {result.params}")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in rows.items()}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
