"""Training throughput of ST-GCN++: samples/s of one SGD step (forward, backward, update) at batch 16.

    .venv/bin/python benchmarks/bench_training.py                     # CPU, 1 and 2 threads
    .venv/bin/python benchmarks/bench_training.py --threads 1 --steps 5 --device cuda

Cases: the default model's shape (coco 17 joints, 1 person, 48 frames) and PYSKL's NTU recipe
(25 joints, 2 persons, 100 frames). The features pipeline is left out: it costs well under 1 ms
per sample, far below a step. On CUDA the step runs under AMP, as the trainer does. Prints a
Markdown table; the load average is printed too because a shared CPU changes the numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from action_recognition.model import STGCNPP

CASES = {
    "default model (coco, M=1, T=48)": ("coco", 1, 48, 10),
    "PYSKL NTU recipe (25 joints, M=2, T=100)": ("nturgb+d", 2, 100, 60),
}


def time_steps(layout: str, persons: int, frames: int, classes: int, batch: int, steps: int, warmup: int,
               device: torch.device) -> list[float]:
    torch.manual_seed(0)
    model = STGCNPP(layout, classes).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    x = torch.randn(batch, persons, frames, model.num_joints, 3, device=device)
    y = torch.randint(0, classes, (batch,), device=device)
    times = []
    for i in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            loss = torch.nn.functional.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, or auto (cuda when present)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="CPU intra-op threads")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cases", nargs="+", type=int, choices=range(len(CASES)),
                        default=list(range(len(CASES))), help="case numbers (0: default model, 1: NTU)")
    args = parser.parse_args()
    name = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = torch.device("cpu" if name == "auto" else name)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"torch {torch.__version__}, {where}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, batch {args.batch}")
    print("\n| case | device | threads | s/step (median) | samples/s |\n|---|---|---|---|---|")
    threads = args.threads if device.type == "cpu" else [torch.get_num_threads()]
    for idx, (label, case) in enumerate(CASES.items()):
        if idx not in args.cases:
            continue
        for n in threads:
            torch.set_num_threads(n)
            times = time_steps(*case, args.batch, args.steps, args.warmup, device)
            med = statistics.median(times)
            dev = device.type + (" (AMP)" if device.type == "cuda" else "")
            print(f"| {label} | {dev} | {n} | {med:.3f} | {args.batch / med:.1f} |", flush=True)


if __name__ == "__main__":
    main()
