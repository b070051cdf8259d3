"""How transcripts are cut into exchanges and matched to rubrics, and how the exchanges'
scores agree with hand grades.

eval/transcripts/set1..set3: 36 interview transcripts (en/zh/ja/ru; plain labels, Zoom and
Tencent lines, WebVTT, SRT, JSONL), written by helpers from the catalogue's topics, each with
`expected.jsonl`: per file, the rubric id of every graded exchange in order (null: a question
outside the catalogue; small talk, closings and same-topic follow-ups are not exchanges).
Set 1 and set 2 were used to fix the rules they exposed; set 3 was held out until measured
once, then used too, so none of them is held out now.

eval/transcripts/set4..set6: 24 more (plain labels), every main question from the catalogue,
most with follow-ups answered elliptically, candidates of every quality; each exchange in
`expected.jsonl` is {"rubric", "grade" (0-10, for everything the candidate said in it), "why"},
graded by the helpers that wrote them against the rubric's points, without the tool. They were
measured once (exchange-score QWK 0.831) and then used to fix the follow-up rules.

eval/transcripts/set7: 16 more in the same form, written after those rules by helpers that had
not seen them, with formats the others lack (first names as labels, [hh:mm:ss] stamps, a
candidate turn split over two lines) and one question outside the catalogue per language. They
were measured once held out (QWK 0.871; 29 unmatched exchanges, 0 of 16 files exactly right),
then used to fix the follow-up rules (pronouns, introductions, questions that name nothing new,
what-if questions), so they are not held out now either.

An exchange graded against the wrong rubric, or an answer appended to another exchange or
split off from its own, is what makes a transcript's grades wrong; the sets with grades also
show what that costs: each labelled exchange is compared with the first found exchange on its
rubric (in order), scored embedding-only.

Usage: python eval/transcript_benchmark.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

from grader import Grader
from grader.transcript_grading import ExchangeResult, grade_transcript, split_exchanges

SETS = sorted((Path(__file__).resolve().parent / "transcripts").glob("set*"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="Print each file whose exchanges differ.")
    args = parser.parse_args()
    grader = Grader(judge="none")
    pairs: list[tuple[int, float]] = []  # (hand grade, score) per graded exchange found
    for folder in SETS:
        folder_pairs: list[tuple[int, float]] = []
        rows = [json.loads(line) for line in (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
        expected = {row["file"]: [e["rubric"] if isinstance(e, dict) else e for e in row["exchanges"]] for row in rows}
        graded = {row["file"]: [e["grade"] for e in row["exchanges"]] for row in rows if row["exchanges"] and isinstance(row["exchanges"][0], dict)}
        found = {}
        for name in expected:
            text = (folder / name).read_text(encoding="utf-8")
            if name in graded:  # scoring is the slow part: only where there are grades to compare
                results = grade_transcript(grader, text, filename=name)
                folder_pairs += _pair_scores(expected[name], graded[name], results)
                found[name] = [r.question for r in results]
            else:
                found[name] = [m.match.question for m in split_exchanges(grader, text, filename=name)]
        right = sum(q is not None and q in expected[name] for name, qs in found.items() for q in qs)
        wrong = sum(q is not None and q not in expected[name] for name, qs in found.items() for q in qs)
        unmatched = sum(q is None for qs in found.values() for q in qs)
        exact = sum(found[name] == labels for name, labels in expected.items())
        total = sum(len(labels) for labels in expected.values())
        outside = sum(label is None for labels in expected.values() for label in labels)
        print(
            f"{folder.name}: {sum(len(qs) for qs in found.values())} exchanges found ({total} labelled, {outside} outside the catalogue); "
            f"graded against a labelled rubric {right}, against another {wrong}; unmatched {unmatched}; files exactly right {exact}/{len(expected)}"
            + (f"; graded QWK {_qwk(folder_pairs):.3f}" if folder_pairs else "")
        )
        pairs += folder_pairs
        if args.verbose:
            for name, labels in expected.items():
                if found[name] != labels:
                    print(f"  {name}\n    labelled {labels}\n    found    {found[name]}")
    if pairs:
        human = np.array([h for h, _ in pairs])
        score = np.array([s for _, s in pairs])
        good = human >= 7
        print(
            f"graded exchanges found on their rubric: {len(pairs)}; QWK {_qwk(pairs):.3f}, Spearman {spearmanr(human, score).statistic:.3f}, "
            f"MAE {np.abs(score - human).mean():.2f}, mean score - grade {np.mean(score - human):+.2f} ({np.mean((score - human)[good]):+.2f} where the grade is 7-10)"
        )


def _qwk(pairs: list[tuple[int, float]]) -> float:
    """Quadratic-weighted kappa of hand grades against scores rounded to the 0-10 scale."""
    human = [h for h, _ in pairs]
    predicted = [int(np.clip(np.rint(s), 0, 10)) for _, s in pairs]
    return float(cohen_kappa_score(human, predicted, weights="quadratic", labels=list(range(11))))


def _pair_scores(labels: list[str], grades: list[int], results: list[ExchangeResult]) -> list[tuple[int, float]]:
    """(hand grade, score) for each labelled exchange, from the first unused found exchange on
    its rubric; exchanges not found, or found without a score, are left out."""
    used: set[int] = set()
    pairs = []
    for rubric, grade in zip(labels, grades):
        k = next((i for i, r in enumerate(results) if i not in used and r.question == rubric), None)
        if k is None:
            continue
        used.add(k)
        if results[k].grade is not None and results[k].grade.score is not None:
            pairs.append((grade, results[k].grade.score))
    return pairs


if __name__ == "__main__":
    main()
