"""Held-out-question QWK and encode time of each way of building answer evidence.

Variants: `encode` encodes 2-sentence windows as text, `mean` averages their sentence
vectors; `+ctx` also encodes each sentence prefixed by the question. Each variant gets a
small grid around the shipped calibration, so none is judged with another's knobs.

Usage: python eval/evidence_variants.py [encode+ctx mean+ctx mean encode]
"""
import sys, time, dataclasses, itertools
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np
from grader import Grader
from grader.evaluation import load_samples, agreement
from grader.fitting import prepare_all, precompute, signal_matrix, held_out_predictions
from grader.errors import GraderError
samples = load_samples(Path(__file__).resolve().parent / "samples")
grades = np.array([s.grade for s in samples]); groups = [s.question_key for s in samples]
variants = sys.argv[1:] or ["encode+ctx", "mean+ctx", "mean", "encode"]
for v in variants:
    g = Grader(judge="none")
    g.encode_windows = v.startswith("encode"); g.context_segments = v.endswith("+ctx")
    _ = g.rubric_vectors; base = g.calibration.params
    t = time.perf_counter(); prepared = prepare_all(g, samples); enc = time.perf_counter() - t
    cache = [None if isinstance(p, GraderError) else precompute(g, p) for p in prepared]
    best = None
    for c, sc, bw in itertools.product((base.center - .03, base.center, base.center + .03), (.05, .07), (0.0, .25)):
        params = dataclasses.replace(base, center=c, scale=sc, baseline_weight=bw)
        raws, off = signal_matrix(g, prepared, params, cache)
        pred = held_out_predictions(raws, off, grades, groups); m = ~np.isnan(pred)
        a = agreement(grades[m], pred[m])
        if best is None or a["qwk"] > best[0]["qwk"]: best = (a, (c, sc, bw))
    print(f"{v:12s} encode {enc:6.1f}s  held-out qwk {best[0]['qwk']:.3f} spearman {best[0]['spearman']:.3f} mae {best[0]['mae']:.2f} at {best[1]}", flush=True)
