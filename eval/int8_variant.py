"""Does int8 dynamic quantisation of the embedder pay? Encode time and held-out QWK.

Quantises every Linear layer of the default embedder to int8 (torch dynamic quantisation,
no extra dependency), re-embeds the rubrics with it, and refits the calibration grid with
whole questions held out, so the quantised model is judged with its own knobs. Compare with
the fp32 figures that `grade calibrate` prints.

Usage: python eval/int8_variant.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import torch

from grader import Grader
from grader.evaluation import load_samples
from grader.fitting import fit, prepare_all
from grader.rubric_vectors import vectors_for

samples = load_samples(Path(__file__).resolve().parent / "samples")
for variant in ("fp32", "int8"):
    grader = Grader(judge="none")
    if variant == "int8":
        grader.embedder.model = torch.ao.quantization.quantize_dynamic(grader.embedder.model, {torch.nn.Linear}, dtype=torch.qint8)
        grader.__dict__["rubric_vectors"] = vectors_for(list(grader.rubrics), grader.embedder, use_cache=False)
    _ = grader.rubric_vectors
    started = time.perf_counter()
    prepare_all(grader, samples)
    encode = time.perf_counter() - started
    result = fit(grader, samples) if variant == "int8" else None
    held = f"held-out QWK {result.held_out['qwk']:.3f}, MAE {result.held_out['mae']:.2f}" if result else "held-out: see `grade calibrate`"
    print(f"{variant}: encode {len(samples)} answers {encode:.1f} s; {held}", flush=True)
