"""`grade transcript` over many files: progress, resume, one failing file never stops the rest."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.answer_input import read_answer
from grader.api import Grader
from grader.errors import GraderError
from grader.report_html import render_candidate
from grader.transcript_grading import ExchangeResult, grade_transcript
from grader.transcripts import Format


@dataclass
class TranscriptSummary:
    graded_files: int = 0
    skipped_files: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def _done_files(out_path: Path | None) -> dict[str, list[dict[str, Any]]]:
    """Exchange records already in `--out`, by file: those files are skipped on a re-run, and
    their records still go into the CSV summary."""
    if out_path is None or not out_path.exists():
        return {}
    done: dict[str, list[dict[str, Any]]] = {}
    for line in out_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            done.setdefault(str(record["file"]), []).append(record)
        except (ValueError, KeyError, TypeError):
            continue
    return done


def _html_targets(html_path: Path, files: list[Path]) -> dict[Path, Path]:
    """One report per file: `--html` itself for one file, else `<stem>-<file stem>.html`, with
    the folder name added where two files share a name (a/t.txt, b/t.txt)."""
    if len(files) == 1:
        return {files[0]: html_path}
    suffix = html_path.suffix or ".html"
    stems = Counter(f.stem for f in files)
    targets: dict[Path, Path] = {}
    for number, source in enumerate(files, start=1):
        name = source.stem if stems[source.stem] == 1 else f"{source.parent.name}-{source.stem}"
        target = html_path.with_name(f"{html_path.stem}-{name}{suffix}")
        if target in targets.values():  # same folder name too: fall back to the position
            target = html_path.with_name(f"{html_path.stem}-{name}-{number}{suffix}")
        targets[source] = target
    return targets


def _csv_row(source: str, record: dict[str, Any]) -> dict[str, object]:
    return {"file": source, "n": record["n"], "question": record["question"] or "",
            "score": "" if record["score"] is None else record["score"],
            "flags": " ".join(record["flags"]), "question_text": record["question_text"]}  # fmt: skip


def _summary_line(source: Path, results: list[ExchangeResult]) -> str:
    scored = [r.grade.score for r in results if r.grade and r.grade.score is not None]
    parts = [f"{r.question or '—'} {r.grade.score if r.grade else '-'}" for r in results]
    mean = f"{sum(scored) / len(scored):.1f}" if scored else "-"
    return f"{source}: {len(results)} exchanges, {len(scored)} graded, mean {mean}  [{'; '.join(parts)}]"


def run_transcripts(
    grader: Grader,
    files: list[Path],
    out_path: Path | None,
    html_path: Path | None,
    csv_path: Path | None,
    fmt: Format | None,
) -> TranscriptSummary:
    from tqdm import tqdm

    summary = TranscriptSummary()
    done = _done_files(out_path)
    html_targets = _html_targets(html_path, files) if html_path else {}
    out = out_path.open("a", encoding="utf-8") if out_path else None
    csv_rows: list[dict[str, object]] = []
    try:
        for source in tqdm(files, unit="file", desc="transcripts", disable=len(files) < 2):
            if str(source) in done:
                summary.skipped_files += 1
                summary.lines.append(f"{source}: already in {out_path}, skipped")
                csv_rows.extend(_csv_row(str(source), record) for record in done[str(source)])
                continue
            try:
                results = grade_transcript(grader, read_answer(str(source)), fmt, source.name)
            except GraderError as error:
                summary.failed += 1
                summary.lines.append(f"{source}: error: {error}")
                continue
            summary.graded_files += 1
            summary.lines.append(_summary_line(source, results))
            if out:
                for result in results:
                    out.write(json.dumps({"file": str(source), **result.record()}, ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())
            if html_targets:
                target = html_targets[source]
                target.write_text(render_candidate(source.stem, results), encoding="utf-8")
                summary.lines.append(f"  report: {target}")
            csv_rows.extend(_csv_row(str(source), result.record()) for result in results)
    finally:
        if out:
            out.close()
    if csv_path:
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["file", "n", "question", "score", "flags", "question_text"])
            writer.writeheader()
            writer.writerows(csv_rows)
    return summary
