"""The action recognition core with N tracks at 30 Hz: spread rounds against all-at-once, side by side.

    .venv/bin/python benchmarks/bench_action_node.py [--model M] [--tracks 1 5 10 20] [--seconds 6]

No DDS: the core alone (windows -> features -> one batched forward per round -> results), one thread,
pinned to one core. For each track count the same frames run through `prepare(spread=True)` (what
the node does) and `prepare()` (every due track at once, the node before spreading), alternating
frame by frame so both see the same load. Per frame: wall and CPU ms; the p95 of the per-frame
time is the latency a frame's round adds. Also: message conversion cost per SkeletonArray.
The node itself (DDS, processes, RSS): `action-recognition bench`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from action_recognition.bench.action import person
from action_recognition.bench.machine import machine_info
from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig, load_action_model

HZ = 30.0
STRIDE = 5


def round_ms(rec: ActionRecognizer, spread: bool) -> tuple[float, float, int]:
    """(wall ms, CPU ms, tracks) of one round."""
    start, cpu = time.perf_counter(), time.thread_time()
    n = 0
    for batch in rec.prepare(spread=spread):
        n += len(rec.finish(batch, rec.backend.predict(batch.clips)))
    return (time.perf_counter() - start) * 1e3, (time.thread_time() - cpu) * 1e3, n


def bench_core(model, n_tracks: int, seconds: float) -> dict[str, dict[str, float]]:
    config = RecognizerConfig(stride_s=STRIDE / model.spec.fps)
    recs = {name: ActionRecognizer(model.backend, model.spec, model.labels, config)
            for name in ("spread", "all")}
    warm = recs["spread"].config.window
    out: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": [], "tracks": []} for k in recs}
    for f in range(warm + int(seconds * HZ)):
        people = [PersonFrame(t, *person(t, f)) for t in range(n_tracks)]
        for name, rec in (reversed(recs.items()) if f % 2 else recs.items()):
            rec.add_frame(int(f * 1e9 / HZ), people, (1280, 720))
            wall, cpu, n = round_ms(rec, spread=name == "spread")
            if f >= warm:
                out[name]["wall"].append(wall)
                out[name]["cpu"].append(cpu)
                out[name]["tracks"].append(n)
    return {
        name: {
            "frame_ms_p50": float(np.percentile(v["wall"], 50)),
            "frame_ms_p95": float(np.percentile(v["wall"], 95)),
            "frame_cpu_ms_mean": float(np.mean(v["cpu"])),
            "frame_cpu_ms_p95": float(np.percentile(v["cpu"], 95)),
            "tracks_per_round_max": float(np.max(v["tracks"])),
            "max_hz": 1e3 / float(np.mean(v["cpu"])),
        }
        for name, v in out.items()
    }


def bench_conversion(n_tracks: int, reps: int = 200) -> dict[str, float]:
    """ms per SkeletonArray of n people: rclpy deserialisation and our numpy conversion."""
    from action_recognition.msg import Keypoint, Skeleton, SkeletonArray
    from rclpy.serialization import deserialize_message, serialize_message

    from action_recognition.nodes.action_node import skeletons_to_frames

    msg = SkeletonArray(layout="coco", image_width=1280, image_height=720)
    for t in range(n_tracks):
        xy, scores = person(t, 0)
        sk = Skeleton(track_id=t, layout="coco")
        sk.keypoints = [Keypoint(x=float(x), y=float(y), score=float(s))
                        for (x, y), s in zip(xy, scores, strict=True)]
        msg.skeletons.append(sk)
    raw = serialize_message(msg)
    out = {}
    for name, fn in (("deserialize_ms", lambda: deserialize_message(raw, SkeletonArray)),
                     ("to_numpy_ms", lambda: skeletons_to_frames(msg, False))):
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        out[name] = (time.perf_counter() - start) / reps * 1e3
    return out


def main() -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--model", help="action model (default: the shipped default model)")
    parser.add_argument("--tracks", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    model = load_action_model(args.model, threads=1)
    m = machine_info()
    print(f"# {m['cpu']}, {m['cpus']} CPUs, load {m['load_1m_at_start']} at start, {m['date']}; "
          f"model {model.path.parent.name} ({type(model.backend).__name__}), stride {STRIDE}, {HZ:g} Hz, "
          "1 thread, pinned to one core\n")
    print("| tracks | rounds | tracks/round max | frame ms p50 | frame ms p95 | CPU ms/frame mean "
          "| CPU ms/frame p95 | core max Hz | SkeletonArray deserialize ms | to numpy ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.tracks:
        conv = bench_conversion(n)
        for name, r in bench_core(model, n, args.seconds).items():
            print(f"| {n} | {name} | {r['tracks_per_round_max']:.0f} | {r['frame_ms_p50']:.1f} "
                  f"| {r['frame_ms_p95']:.1f} | {r['frame_cpu_ms_mean']:.1f} | {r['frame_cpu_ms_p95']:.1f} "
                  f"| {r['max_hz']:.0f} | {conv['deserialize_ms']:.2f} | {conv['to_numpy_ms']:.2f} |",
                  flush=True)
    print(f"\nload at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
