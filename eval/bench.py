"""Speed benchmark: the grader against the embedding model's own floor, in one run.

Prints ratios against a baseline measured in the same run (never absolute pass/fail):
  floor   raw SentenceTransformer.encode of the answer texts, same model, same batch size;
  batch   `grade batch` embedding-only on the same answers (in-process, model already loaded),
          its ratio to the floor, and peak RSS of a `grade batch` subprocess;
  warm    single-answer latency through the Python API (median of repeated calls);
  cold    process times of `grade FILE --q ID`, `grade --help`, `grade rubrics list`.

  judge   (--judge) warm single answer with the local judge: yes/no checks only (the scoring
          path) and with written verdicts (--explain), prompt and generation tokens/s.

Usage: python eval/bench.py [--n 240] [--repeat 5] [--judge N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _answers(n: int) -> list[dict[str, str]]:
    from grader.evaluation import load_samples

    samples = [s for s in load_samples(ROOT / "eval" / "samples") if s.question]
    rows = [{"id": f"{s.id}-{i}", "question": s.question or "", "answer": s.answer} for i, s in enumerate(samples)]
    while len(rows) < n:  # top up by repetition (ids stay unique)
        rows += [{**r, "id": f"{r['id']}-r{len(rows)}"} for r in rows[: n - len(rows)]]
    return rows[:n]


def _timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of a subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--judge", type=int, default=0, metavar="N", help="also time N answers with the local judge")
    args = parser.parse_args()
    rows = _answers(args.n)
    texts = [r["answer"] for r in rows]
    langs = {}
    from grader.segment import detect_language

    for t in texts:
        langs[detect_language(t)] = langs.get(detect_language(t), 0) + 1
    print(f"{len(rows)} answers, languages {langs}, {os.cpu_count()} cores")

    from grader import Grader, GradeRequest
    from grader.batch import run_batch

    grader = Grader(judge="none")
    model = grader.embedder
    model.encode(["warm up"])
    start = time.perf_counter()
    model.model.encode(texts, prompt_name=model.prompt_name, batch_size=model.batch_size, normalize_embeddings=True)  # type: ignore[attr-defined]
    floor = time.perf_counter() - start

    _ = grader.rubric_vectors  # cached rubric vectors load outside the timed region, as in a warm pipeline
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        start = time.perf_counter()
        run_batch(grader, src, out, progress=False)
        batch = time.perf_counter() - start
        out.unlink()
        process_batch, peak_mb = _timed([sys.executable, "-m", "grader", "batch", str(src), "--out", str(out), "--judge", "none"])

    single = []
    for text, row in list(zip(texts, rows))[: args.repeat * 4]:
        start = time.perf_counter()
        grader.grade(text, question=row["question"])
        single.append(time.perf_counter() - start)

    example = ROOT / "examples" / "batchnorm_en.txt"
    cold, _ = _timed([sys.executable, "-m", "grader", str(example), "--q", "batchnorm", "--judge", "none"])
    helps = [_timed([sys.executable, "-m", "grader", "--help"])[0] for _ in range(args.repeat)]
    lists = [_timed([sys.executable, "-m", "grader", "rubrics", "list"])[0] for _ in range(args.repeat)]

    print(f"floor  SentenceTransformer.encode of {len(texts)} answers      {floor:7.2f} s  ({len(texts) / floor:.1f} answers/s)")
    print(f"batch  grade batch in-process (embedding-only)          {batch:7.2f} s  ratio to floor {batch / floor:.2f}x  ({len(texts) / batch:.1f} answers/s)")
    print(f"batch  `grade batch` process incl. model load           {process_batch:7.2f} s  peak RSS {peak_mb} MB")
    print(f"warm   single answer via API, median of {len(single):>2}            {statistics.median(single):7.3f} s  (max {max(single):.3f} s)")
    print(f"cold   `grade examples/batchnorm_en.txt --q batchnorm`  {cold:7.2f} s")
    print(f"cli    `grade --help` median of {args.repeat}                      {statistics.median(helps):7.3f} s")
    print(f"cli    `grade rubrics list` median of {args.repeat}                {statistics.median(lists):7.3f} s")
    if args.judge:
        _bench_judge(grader, rows[: args.judge])


def _bench_judge(plain, rows: list[dict[str, str]]) -> None:
    """Warm single answers with the local judge, cache off (every check really runs)."""
    from grader import Grader

    judged = Grader(judge="local", embedder=plain.embedder, use_judge_cache=False)
    judged.grade(rows[0]["answer"], question=rows[0]["question"])  # load the model, warm up
    judge = judged.judge
    for explain in (False, True):
        judged.explain = explain
        sample = rows if not explain else rows[:2]  # written verdicts take ~40 s an answer
        judge.stats.update(prompt_tokens=0, completion_tokens=0, seconds=0.0)
        times = []
        for row in sample:
            start = time.perf_counter()
            judged.grade(row["answer"], question=row["question"])
            times.append(time.perf_counter() - start)
        stats = judge.stats
        what = "checks + written verdicts" if explain else "yes/no checks (scoring path)"
        print(f"judge  {what:30s} median of {len(times):>2} {statistics.median(times):7.2f} s/answer; "
              f"{stats['prompt_tokens']} prompt + {stats['completion_tokens']} generated tokens in {stats['seconds']:.1f} s "
              f"({(stats['prompt_tokens'] + stats['completion_tokens']) / max(stats['seconds'], 1e-9):.0f} tok/s)")


if __name__ == "__main__":
    main()
