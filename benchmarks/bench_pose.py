"""Image -> tracked skeletons on this machine: latency and sustained frames/s per backend and size.

    .venv/bin/python benchmarks/bench_pose.py                                   # full table
    .venv/bin/python benchmarks/bench_pose.py --backends pytorch --imgsz 320 --threads 1

Runs PoseEstimator.process (letterbox, inference, NMS, tracking, numpy output) on consecutive frames
of the demo video resized to 640x360 (a typical camera frame). ONNX and OpenVINO models are exported
locally from the .pt on first use and cached beside it (action_recognition.pose.export).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import cv2


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def frames(n: int, width: int) -> list:
    from action_recognition.paths import demo_video
    from action_recognition.pose.video_source import VideoSource

    out = []
    with VideoSource(demo_video()) as src:
        for f in src:
            if len(out) >= n:
                break
            h = round(f.image.shape[0] * width / f.image.shape[1])
            out.append(cv2.resize(f.image, (width, h), interpolation=cv2.INTER_AREA))
    return out


def bench(backend: str, imgsz: int, threads: int, images: list, warmup: int) -> dict:
    import torch

    from action_recognition.pose.estimator import PoseConfig, PoseEstimator

    est = PoseEstimator(PoseConfig(imgsz=imgsz, backend=backend, threads=threads))
    torch.set_num_threads(threads)  # PyTorch inference, and NMS for every backend
    for img in images[:warmup]:
        est.process(img)
    est.reset()
    lat = []
    persons = 0
    t0 = time.perf_counter()
    for img in images:
        t = time.perf_counter()
        persons += len(est.process(img).persons)
        lat.append((time.perf_counter() - t) * 1e3)
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "median_ms": statistics.median(lat),
        "best_ms": lat[0],  # closest to an idle machine when other jobs share the CPU
        "p95_ms": lat[int(0.95 * (len(lat) - 1))],
        "fps": len(images) / wall,
        "persons_per_frame": persons / len(images),
    }


def run_case(args: argparse.Namespace) -> None:
    """One row, in its own process: pinned to `threads` cores, so every runtime (PyTorch, ONNX Runtime,
    OpenVINO, which size their own pools from the CPUs they may use) gets the same budget."""
    backend, imgsz, threads = args.case.split(",")
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: int(threads)]))
    images = frames(args.frames, args.width)
    r = bench(backend, int(imgsz), int(threads), images, args.warmup)
    print(json.dumps(r))


def main() -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--backends", default="pytorch,onnx,openvino")
    parser.add_argument("--imgsz", default="320,640")
    parser.add_argument("--threads", default="1,2", help="CPU cores per run (the process is pinned to them)")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: backend,imgsz,threads
    args = parser.parse_args()
    if args.case:
        run_case(args)
        return 0
    h = round(994 * args.width / 1768)  # the demo video is 1768x994
    print(f"# {_cpu_name()}, {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f} at start), "
          f"{time.strftime('%Y-%m-%d')}, yolo11n-pose, {args.frames} demo frames {args.width}x{h}, tracking")
    print("| backend | imgsz | cores | median latency | best | p95 | sustained fps | people/frame |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        for imgsz in map(int, args.imgsz.split(",")):
            for threads in map(int, args.threads.split(",")):
                case = f"--case={backend},{imgsz},{threads}"
                proc = subprocess.run([sys.executable, __file__, case, f"--frames={args.frames}",
                                       f"--warmup={args.warmup}", f"--width={args.width}"],
                                      capture_output=True, text=True)
                row = f"| {backend} | {imgsz} | {threads} |"
                if proc.returncode != 0:  # e.g. openvino not installed: report and go on
                    err = (proc.stderr.strip().splitlines() or ["?"])[-1]
                    print(f"{row} failed: {err} | | | | |", flush=True)
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"{row} {r['median_ms']:.1f} ms | {r['best_ms']:.1f} ms | {r['p95_ms']:.1f} ms | "
                      f"{r['fps']:.1f} | {r['persons_per_frame']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
