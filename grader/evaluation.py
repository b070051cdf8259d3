"""Agreement between the grader and human grades: samples, metrics, report, plot.

Metrics come from scipy and scikit-learn; nothing here re-implements a statistic.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import InputError

DEFAULT_SAMPLES = Path(__file__).resolve().parent.parent / "eval" / "samples"
SCALE = list(range(11))


@dataclass(frozen=True)
class Sample:
    """One hand-graded answer."""

    id: str
    answer: str
    grade: float
    question: str | None = None
    """Rubric id; None for reference-graded samples."""
    lang: str = "?"
    kind: str = "?"
    question_text: str = ""
    reference: str | None = None
    second_grade: float | None = None
    """A blind second grading of the same answer, where one exists."""
    group: str | None = None
    """Parity group: the same answer translated into several languages."""

    @property
    def question_key(self) -> str:
        """What cross-validation holds out together."""
        return self.question or f"ref:{self.question_text}"


def _sample_from(obj: dict[str, Any], origin: str) -> Sample:
    if "reference1" in obj:  # the ADS benchmark's shape: reference-graded, Chinese
        references = [obj.get(f"reference{i}") or "" for i in (1, 2, 3)]
        return Sample(
            id=f"ads-{obj.get('q_id')}-{origin}",
            answer=obj["answer"],
            grade=float(obj["score"]),
            lang="zh",
            kind="ads",
            question_text=obj.get("question", ""),
            reference=next(r for r in references if r.strip()),
        )
    return Sample(
        id=str(obj["id"]),
        answer=obj["answer"],
        grade=float(obj["grade"]),
        question=obj.get("question"),
        lang=obj.get("lang", "?"),
        kind=obj.get("kind", "?"),
        question_text=obj.get("question_text", ""),
        reference=obj.get("reference"),
        second_grade=float(obj["grade2"]) if obj.get("grade2") is not None else None,
        group=obj.get("group"),
    )


def load_samples(path: Path) -> list[Sample]:
    """Samples from a JSONL file, or from every *.jsonl below a directory."""
    files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise InputError(f"{path}: no sample files found")
    samples: list[Sample] = []
    second: dict[str, float] = {}
    for file in files:
        if file.name.startswith("regrade"):  # a blind second pass: {"id", "grade2"} per line
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    obj = json.loads(line)
                    second[str(obj["id"])] = float(obj["grade2"])
            continue
        if "bench" in file.name:
            continue  # benchmark inputs are not samples
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                samples.append(_sample_from(json.loads(line), f"{file.stem}{number}"))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{file}:{number}: not a valid sample ({exc})") from exc
    if not samples:
        raise InputError(f"{path}: no samples in it")
    if second:
        samples = [dataclasses.replace(s, second_grade=second.get(s.id, s.second_grade)) for s in samples]
    return samples


def json_safe(value: Any) -> Any:
    """`value` with NaN/inf (a metric undefined for one group, e.g. QWK of a single grade)
    as None: JSON has no NaN, and strict parsers reject the `NaN` Python would write."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def agreement(human: Sequence[float], predicted: Sequence[float]) -> dict[str, float]:
    """QWK (on integer grades), Spearman, Pearson, MAE, exact and within-1 agreement."""
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import mean_absolute_error

    h = np.asarray(human, dtype=float)
    p = np.asarray(predicted, dtype=float)
    hi, pi = np.rint(h).astype(int), np.clip(np.rint(p), 0, 10).astype(int)
    result = {"n": float(len(h)), "mae": float(mean_absolute_error(h, p)) if len(h) else float("nan")}
    if len(h) < 2 or len(set(hi)) < 2 and len(set(pi)) < 2:
        result.update(qwk=float("nan"), spearman=float("nan"), pearson=float("nan"))
    else:
        result["qwk"] = _qwk(h, p)
        constant = np.ptp(h) == 0 or np.ptp(p) == 0
        result["spearman"] = float("nan") if constant else float(spearmanr(h, p).statistic)
        result["pearson"] = float("nan") if constant else float(pearsonr(h, p).statistic)
    result["exact"] = float(np.mean(hi == pi)) if len(h) else float("nan")
    result["within1"] = float(np.mean(np.abs(hi - pi) <= 1)) if len(h) else float("nan")
    return result


def _qwk(human: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    hi, pi = np.rint(human).astype(int), np.clip(np.rint(predicted), 0, 10).astype(int)
    return float(cohen_kappa_score(hi, pi, weights="quadratic", labels=SCALE))


def qwk_interval(
    human: Sequence[float],
    predicted: Sequence[float],
    groups: Sequence[str],
    baseline: Sequence[float] | None = None,
    level: float = 0.9,
    resamples: int = 1000,
) -> dict[str, float]:
    """A bootstrap interval for QWK that resamples whole questions, not answers: answers to
    one question share a rubric and err together, so resampling answers would overstate how
    sure 310 samples over 47 questions make us. With `baseline` (e.g. the same samples without
    the judge), also the interval of the paired difference QWK(predicted) - QWK(baseline):
    whether a gain is more than the luck of which questions were graded."""
    h, p = np.asarray(human, dtype=float), np.asarray(predicted, dtype=float)
    b = None if baseline is None else np.asarray(baseline, dtype=float)
    labels = np.asarray(groups)
    members = [np.flatnonzero(labels == g) for g in sorted(set(groups))]
    rng = np.random.default_rng(0)  # fixed: the report is reproducible
    qwks, diffs = [], []
    for _ in range(resamples):
        idx = np.concatenate([members[k] for k in rng.integers(0, len(members), len(members))])
        qwks.append(_qwk(h[idx], p[idx]))
        if b is not None:
            diffs.append(qwks[-1] - _qwk(h[idx], b[idx]))
    tail = (1 - level) / 2 * 100
    out = {"level": level, "low": float(np.percentile(qwks, tail)), "high": float(np.percentile(qwks, 100 - tail))}
    if b is not None:
        out.update(diff=_qwk(h, p) - _qwk(h, b), diff_low=float(np.percentile(diffs, tail)), diff_high=float(np.percentile(diffs, 100 - tail)))
    return out


def confusion(human: Sequence[float], predicted: Sequence[float]) -> list[list[int]]:
    from sklearn.metrics import confusion_matrix

    hi = np.rint(human).astype(int)
    pi = np.clip(np.rint(predicted), 0, 10).astype(int)
    return [[int(v) for v in row] for row in confusion_matrix(hi, pi, labels=SCALE)]


def parity(samples: Sequence[Sample], predicted: Sequence[float]) -> dict[str, float] | None:
    """Spread (max - min) of predicted scores within each translation group."""
    groups: dict[str, list[float]] = defaultdict(list)
    for sample, score in zip(samples, predicted):
        if sample.group:
            groups[sample.group].append(score)
    spreads = [max(v) - min(v) for v in groups.values() if len(v) > 1]
    if not spreads:
        return None
    return {"groups": float(len(spreads)), "mean_spread": float(np.mean(spreads)), "worst_spread": float(max(spreads))}


def build_report(samples: Sequence[Sample], predicted: Sequence[float | None]) -> dict[str, Any]:
    """Everything `grade eval` prints: overall, per language, per kind, baselines, ceiling."""
    scored = [(s, p) for s, p in zip(samples, predicted) if p is not None]
    unscored = len(samples) - len(scored)
    human = [s.grade for s, _ in scored]
    pred = [float(p) for _, p in scored if p is not None]
    report: dict[str, Any] = {"overall": agreement(human, pred), "unscored": unscored}
    if len(human) >= 2:
        report["qwk_interval"] = qwk_interval(human, pred, [s.question_key for s, _ in scored])
    for field in ("lang", "kind"):
        buckets: dict[str, list[int]] = defaultdict(list)
        for i, (s, _) in enumerate(scored):
            buckets[getattr(s, field)].append(i)
        report[f"by_{field}"] = {
            key: {
                **agreement([human[i] for i in idx], [pred[i] for i in idx]),
                "mean_error": float(np.mean([pred[i] - human[i] for i in idx])),
            }
            for key, idx in sorted(buckets.items())
        }
    mean_grade = float(np.mean(human)) if human else 0.0
    report["constant_baseline"] = agreement(human, [mean_grade] * len(human))
    pairs = [(s.grade, s.second_grade) for s, _ in scored if s.second_grade is not None]
    report["human_ceiling"] = agreement([a for a, _ in pairs], [b for _, b in pairs]) if pairs else None
    report["parity"] = parity([s for s, _ in scored], pred)
    report["confusion"] = confusion(human, pred)
    return report


def format_report(report: dict[str, Any]) -> str:
    """The table `grade eval` prints."""
    cols = ("n", "qwk", "spearman", "pearson", "mae", "exact", "within1")

    def row(name: str, m: dict[str, float], extra: str = "") -> str:
        cells = [f"{int(m['n']):>5}"] + [f"{m[c]:>9.3f}" for c in cols[1:]]
        return f"{name:<22}" + "".join(cells) + extra

    head = f"{'':<22}{'n':>5}" + "".join(f"{c:>9}" for c in cols[1:])
    lines = [head, row("overall", report["overall"])]
    if report.get("qwk_interval"):
        ci = report["qwk_interval"]
        lines.append(f"{'':<22}QWK {ci['level']:.0%} interval, resampling questions: {ci['low']:.3f}-{ci['high']:.3f}")
    lines.append(row("constant baseline", report["constant_baseline"]))
    if report["human_ceiling"]:
        lines.append(row("human vs human", report["human_ceiling"]))
    for field in ("lang", "kind"):
        lines.append(f"-- by {field} (last column: mean predicted - human)")
        for key, m in report[f"by_{field}"].items():
            lines.append(row(f"  {key}", m, f"{m['mean_error']:>+8.2f}"))
    if report["parity"]:
        p = report["parity"]
        lines.append(
            f"parity: {int(p['groups'])} translation groups, mean spread {p['mean_spread']:.2f}, "
            f"worst {p['worst_spread']:.2f}"
        )
    if report["unscored"]:
        lines.append(f"unscored: {report['unscored']}")
    lines.append("confusion (rows human 0-10, columns predicted 0-10):")
    lines.extend("  " + " ".join(f"{v:>3}" for v in r) for r in report["confusion"])
    return "\n".join(lines)


def plot(samples: Sequence[Sample], predicted: Sequence[float | None], path: Path) -> Path:
    """Scatter of predicted vs human grades, coloured by language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 6))
    rng = np.random.default_rng(0)
    for lang in sorted({s.lang for s in samples}):
        pts = [(s.grade, p) for s, p in zip(samples, predicted) if s.lang == lang and p is not None]
        if pts:
            h, p = np.array(pts).T
            ax.scatter(h + rng.uniform(-0.15, 0.15, len(h)), p, s=14, alpha=0.7, label=lang)
    ax.plot([0, 10], [0, 10], color="grey", linewidth=1)
    ax.set_xlabel("human grade")
    ax.set_ylabel("predicted score")
    ax.set_xlim(-0.5, 10.5)
    ax.set_ylim(-0.5, 10.5)
    ax.legend()
    ax.set_title("grader vs human")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
