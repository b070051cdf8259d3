"""How much does a missing punctuation cost? eval/'s answers as speech-to-text gives them.

Speech-to-text often returns one unpunctuated run (en/ru lower-cased, zh/ja with spaces at
pauses). This strips the punctuation from every rubric-graded answer in eval/ and grades
both versions with the shipped calibration: a grader that reads speech fairly should give
both nearly the same score, and the same agreement with the human grades.

Usage: python eval/asr_variant.py
"""
import dataclasses
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np

from grader import Grader
from grader.evaluation import Sample, agreement, load_samples
from grader.fitting import request_for

_PUNCTUATION = re.compile(r"[.,;:!?\"'()\[\]—–\-*•]+")
_CJK_PUNCTUATION = re.compile(r"[。，、！？；：（）「」『』“”・…,.;:!?()\-*•]+")


def as_speech(sample: Sample) -> Sample:
    if sample.lang in ("zh", "ja"):
        text = _CJK_PUNCTUATION.sub(" ", sample.answer)
    else:
        text = _PUNCTUATION.sub(" ", sample.answer).lower()
    return dataclasses.replace(sample, answer=re.sub(r"\s+", " ", text).strip())


def scores(grader: Grader, samples: list[Sample]) -> np.ndarray:
    return np.array([getattr(g, "score", np.nan) for g in grader.grade_many(map(request_for, samples))])


samples = [s for s in load_samples(Path(__file__).resolve().parent / "samples") if s.question]
grader = Grader(judge="none")
written = scores(grader, samples)
spoken = scores(grader, [as_speech(s) for s in samples])
human = np.array([s.grade for s in samples])
langs = np.array([s.lang for s in samples])
print(f"{'':8s} {'n':>4s} {'QWK written':>12s} {'QWK spoken':>11s} {'spoken - written':>17s}")
for lang in ("all", "en", "zh", "ja", "ru"):
    m = langs == lang if lang != "all" else np.ones(len(samples), bool)
    a, b = agreement(human[m], written[m]), agreement(human[m], spoken[m])
    print(f"{lang:8s} {m.sum():4d} {a['qwk']:12.3f} {b['qwk']:11.3f} {np.mean(spoken[m] - written[m]):+17.2f}")
