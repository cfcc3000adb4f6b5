"""An ensemble against its first member alone: CPU time per track, float32 and INT8, side by side.

The action node's loader (`load_action_model`, one thread, ONNX Runtime) loads the model folder's
`ensemble.yaml` and its `model.pth`; the four sessions are alternated call by call in one process (so
load affects all alike), as in bench_int8.py. Prints a table with the ensemble / single ratio.

    taskset -c 1 .venv/bin/python benchmarks/bench_ensemble.py [--model stgcnpp_coco_real_x3] [--json f.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

from action_recognition.model.ensemble import is_ensemble_file, read_ensemble
from action_recognition.recognition import load_action_model
from action_recognition.recognition.model_source import resolve_model_path

_spec = importlib.util.spec_from_file_location("bench_int8", Path(__file__).with_name("bench_int8.py"))
bench_int8 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_int8)  # its alternating timer: one definition of the measurement


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="stgcnpp_coco_real_x3",
                        help="an ensemble .yaml or a shipped ensemble's name (default: stgcnpp_coco_real_x3)")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    path = resolve_model_path(args.model)
    if not is_ensemble_file(path):
        parser.error(f"{path} is not an ensemble file")
    single = read_ensemble(path).members[0]
    models = {f"{kind} {p}": load_action_model(src, threads=1, precision=p)
              for kind, src in (("single", single), ("ensemble", path)) for p in ("fp32", "int8")}
    spec = models["single fp32"].spec
    batches = (1, 4, 8)
    ms = bench_int8.speed({k: m.backend for k, m in models.items()}, spec, batches, args.reps)
    members = len(models["ensemble fp32"].backend.members)
    print(f"{path} ({members} members) against {single.name}: CPU ms per track, one thread, "
          f"median of {args.reps}")
    print("| precision | tracks per call | single | ensemble | ratio |")
    print("|---|---|---|---|---|")
    for p in ("fp32", "int8"):
        for b in batches:
            one, ens = ms[f"single {p}"][str(b)], ms[f"ensemble {p}"][str(b)]
            print(f"| {p} | {b} | {one:.2f} | {ens:.2f} | {ens / one:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": str(path), "members": members, "ms_per_track": ms},
                                              indent=2))


if __name__ == "__main__":
    main()
