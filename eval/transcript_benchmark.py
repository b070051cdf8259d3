"""How transcripts are cut into exchanges and matched to rubrics, against hand labels.

eval/transcripts/set1..set3: 36 interview transcripts (en/zh/ja/ru; plain labels, Zoom and
Tencent lines, WebVTT, SRT, JSONL), written by helpers from the catalogue's topics, each with
`expected.jsonl`: per file, the rubric id of every graded exchange in order (null: a question
outside the catalogue; small talk, closings and same-topic follow-ups are not exchanges).
Set 1 and set 2 were used to fix the rules they exposed; set 3 was held out until measured
once, then used too, so none of them is held out now.

Only exchanges are counted (no answer is scored): an exchange graded against the wrong rubric,
or an answer appended to another exchange, is what makes a transcript's grades wrong.

Usage: python eval/transcript_benchmark.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from grader import Grader
from grader.transcript_grading import split_exchanges

SETS = sorted((Path(__file__).resolve().parent / "transcripts").glob("set*"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="Print each file whose exchanges differ.")
    args = parser.parse_args()
    grader = Grader(judge="none")
    for folder in SETS:
        expected = {row["file"]: row["exchanges"] for row in map(json.loads, (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines())}
        found = {name: [m.match.question for m in split_exchanges(grader, (folder / name).read_text(encoding="utf-8"), filename=name)] for name in expected}
        right = sum(q is not None and q in expected[name] for name, qs in found.items() for q in qs)
        wrong = sum(q is not None and q not in expected[name] for name, qs in found.items() for q in qs)
        unmatched = sum(q is None for qs in found.values() for q in qs)
        exact = sum(found[name] == labels for name, labels in expected.items())
        total = sum(len(labels) for labels in expected.values())
        outside = sum(label is None for labels in expected.values() for label in labels)
        print(
            f"{folder.name}: {sum(len(qs) for qs in found.values())} exchanges found ({total} labelled, {outside} outside the catalogue); "
            f"graded against a labelled rubric {right}, against another {wrong}; unmatched {unmatched}; files exactly right {exact}/{len(expected)}"
        )
        if args.verbose:
            for name, labels in expected.items():
                if found[name] != labels:
                    print(f"  {name}\n    labelled {labels}\n    found    {found[name]}")


if __name__ == "__main__":
    main()
