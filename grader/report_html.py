"""A self-contained HTML page per candidate: summary, score bars, highlighted evidence.

No scripts, fonts or images are loaded from anywhere: the page works offline and can be
attached to a hiring ticket as a single file.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from grader.report import off_topic_detail
from grader.segment import sentences
from grader.transcript_grading import ExchangeResult

_STYLE = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2rem auto;max-width:60rem;color:#1d2330;line-height:1.5}
h1{font-size:1.5rem;margin-bottom:.2rem} .meta{color:#5b6475;font-size:.9rem}
.summary{display:flex;gap:2rem;margin:1rem 0 2rem;padding:1rem;background:#f3f5f9;border-radius:8px}
.summary div b{display:block;font-size:1.6rem}
section{border:1px solid #dde2ea;border-radius:8px;padding:1rem 1.2rem;margin-bottom:1.2rem}
section h2{font-size:1.05rem;margin:0 0 .4rem} .qid{color:#5b6475;font-weight:normal}
.bar{background:#e6e9f0;border-radius:4px;height:14px;width:100%;margin:.3rem 0 .6rem}
.bar span{display:block;height:100%;border-radius:4px;background:#3b7be0}
.score{font-weight:bold} .flag{display:inline-block;background:#fde8e8;color:#9b1c1c;border-radius:4px;padding:0 .4rem;margin-right:.3rem;font-size:.85rem}
.answer{white-space:pre-wrap;background:#fafbfc;border-left:3px solid #c9d3e3;padding:.5rem .8rem}
mark.met{background:#d5f5dd} mark.wrong{background:#fbd3d3}
table{border-collapse:collapse;font-size:.88rem;width:100%;margin-top:.6rem} td{border-top:1px solid #eef0f4;padding:.2rem .4rem;vertical-align:top}
td.num{text-align:right;white-space:nowrap} .ooc{color:#5b6475}
"""


def _highlight(answer: str, result: ExchangeResult) -> str:
    """The answer, escaped, with sentences that earned (or cost) points marked."""
    escaped = html.escape(answer)
    if result.grade is None:
        return escaped
    marks: list[tuple[str, str]] = []
    for point in result.grade.points:
        if point.evidence and (point.credit or 0) >= 0.5:
            css = "wrong" if point.weight < 0 else "met"
            marks += [(sentence, css) for sentence in sentences(point.evidence)]
    done: set[str] = set()
    for sentence, css in marks:
        piece = html.escape(sentence)
        if piece in done or piece not in escaped:
            continue
        done.add(piece)
        escaped = escaped.replace(piece, f'<mark class="{css}">{piece}</mark>', 1)
    return escaped


def _section(result: ExchangeResult) -> str:
    record = result.record()
    why = off_topic_detail(result.grade) if result.grade else ""
    flags = "".join(
        f'<span class="flag">{html.escape(f"{f}: {why}" if f == "off-topic" and why else f)}</span>' for f in record["flags"]
    )
    title = html.escape(result.question_text)
    if result.question is None:
        return (
            f'<section class="ooc"><h2>{result.n}. {title} <span class="qid">(not in the catalogue: not scored)</span></h2>'
            f"{flags}<div class=answer>{html.escape(result.answer) or '—'}</div></section>"
        )
    score = record["score"]
    width = 0 if score is None else score * 10
    shown = "not scored" if score is None else f"{score:.1f} / 10"
    rows = ""
    if result.grade:
        for p in result.grade.points:
            credit = "–" if p.credit is None else f"{p.credit:.2f}"
            rows += (
                f"<tr><td>{'−' if p.weight < 0 else ('✓' if (p.credit or 0) >= 0.5 else '·')}</td>"
                f"<td>{html.escape(p.text)}</td><td class=num>{p.weight:+.0f}</td><td class=num>{credit}</td></tr>"
            )
    return (
        f'<section><h2>{result.n}. {title} <span class="qid">[{html.escape(result.question)}]</span></h2>'
        f'<div><span class="score">{shown}</span> {flags}</div>'
        f'<div class="bar" role="img" aria-label="score {shown}"><span style="width:{width:.0f}%"></span></div>'
        f'<div class="answer">{_highlight(result.answer, result)}</div>'
        f"<table><tr><td></td><td><b>rubric point</b></td><td class=num><b>weight</b></td><td class=num><b>credit</b></td></tr>{rows}</table>"
        "</section>"
    )


def render_candidate(candidate: str, results: Sequence[ExchangeResult]) -> str:
    scored = [r.grade.score for r in results if r.grade and r.grade.score is not None]
    mean = f"{sum(scored) / len(scored):.1f}" if scored else "–"
    flagged = sum(1 for r in results if r.grade and r.grade.flags)
    out_of_catalogue = sum(1 for r in results if r.question is None)
    embedder = next((r.grade.embedder for r in results if r.grade), "")
    judge = next((r.grade.judge for r in results if r.grade), "")
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Interview report: {html.escape(candidate)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Interview report: {html.escape(candidate)}</h1>"
        f'<div class="meta">embedder {html.escape(embedder)} · judge {html.escape(judge)}</div>'
        '<div class="summary">'
        f"<div><b id=overall>{mean}</b>mean score / 10</div>"
        f"<div><b>{len(scored)}</b>questions graded</div>"
        f"<div><b>{out_of_catalogue}</b>not in catalogue</div>"
        f"<div><b>{flagged}</b>answers flagged</div></div>"
        + "".join(_section(r) for r in results)
        + "</body></html>"
    )
