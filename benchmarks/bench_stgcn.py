"""ST-GCN++ forward latency: PyTorch (reference / fused) vs ONNX Runtime, 1 and 2 threads.

Run: .venv/bin/python benchmarks/bench_stgcn.py [--layout nturgb+d] [--repeats 15]
Variants are timed interleaved in one run, so their ratios are fair on a busy machine; the table
prints the median and the best of the repeats in milliseconds, plus the max |diff| to the reference.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from action_recognition.model import STGCNPP, OnnxRuntimeBackend, export_onnx, fuse_model


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _trained_like(model: STGCNPP) -> STGCNPP:
    """Random BN statistics and a larger classifier, so the parity column measures real logits."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                module.running_mean.uniform_(-0.2, 0.2, generator=gen)
                module.running_var.uniform_(0.5, 1.5, generator=gen)
                module.weight.uniform_(-0.5, 1.5, generator=gen)
                module.bias.uniform_(-0.2, 0.2, generator=gen)
        model.cls_head.fc_cls.weight.normal_(0, 0.5, generator=gen)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default="nturgb+d")
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=12, help="repeats for batch 1 (fewer for big batches)")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = _trained_like(STGCNPP(args.layout, args.classes))
    fused = fuse_model(model)
    v, c = model.num_joints, model.in_channels
    tmp = Path(tempfile.mkdtemp())
    onnx_fused = export_onnx(model, tmp / "fused.onnx")
    onnx_plain = export_onnx(model, tmp / "plain.onnx", fused=False)
    rng = np.random.default_rng(0)

    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        sessions = {name: OnnxRuntimeBackend(path, threads=threads)
                    for name, path in (("onnxruntime fused", onnx_fused), ("onnxruntime plain", onnx_plain))}
        for batch in args.batches:
            x = rng.standard_normal((batch, 1, args.frames, v, c)).astype(np.float32)
            xt = torch.from_numpy(x)
            with torch.inference_mode():
                reference = model(xt).numpy()
                variants = {
                    "torch reference": lambda xt=xt: model(xt).numpy(),
                    "torch fused": lambda xt=xt: fused(xt).numpy(),
                    **{name: (lambda s=s, x=x: s.predict(x)) for name, s in sessions.items()},
                }
                diffs = {name: float(np.abs(fn() - reference).max()) for name, fn in variants.items()}
                times: dict[str, list[float]] = {name: [] for name in variants}
                repeats = max(3, args.repeats // max(1, batch // 4))
                for _ in range(repeats):  # interleaved: every variant sees the same machine load
                    for name, fn in variants.items():
                        start = time.perf_counter()
                        fn()
                        times[name].append((time.perf_counter() - start) * 1e3)
            for name in variants:
                med, best = statistics.median(times[name]), min(times[name])
                rows.append((threads, batch, name, med, best, diffs[name]))

    print(f"# ST-GCN++ {args.layout} ({v} joints, {args.classes} classes), "
          f"1 person x {args.frames} frames per track")
    print(f"# {datetime.date.today()} | {_cpu_name()} | torch {torch.__version__} | "
          f"onnxruntime {ort.__version__}")
    print("| threads | tracks | backend | median ms | best ms | ms/track | max abs diff |")
    print("|---|---|---|---|---|---|---|")
    for threads, batch, name, med, best, diff in rows:
        print(f"| {threads} | {batch} | {name} | {med:.1f} | {best:.1f} | {med / batch:.1f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
