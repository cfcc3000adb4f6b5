"""The action node serving the default model from a warm ONNX cache never loads torch (nor OpenCV).

torch is ~500 MB of resident memory; the node runs ONNX Runtime and needs it only to export a .pth
the first time (issue 15). Checked on the real node process: no torch library mapped in its memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ros_client import Client, start_node, stop

from action_recognition import paths
from action_recognition.model.ensemble import is_ensemble_file, read_ensemble
from action_recognition.recognition import load_action_model


def mapped_libraries(pid: int) -> set[str]:
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {line.split()[-1] for line in lines if len(line.split()) >= 6}


def test_node_with_warm_cache_does_not_load_torch(tmp_path: Path) -> None:
    load_action_model(None)  # warms the ONNX cache ($ACTION_RECOGNITION_CACHE_DIR, shared with the node)
    ns = f"/footprint_{os.getpid()}_{time.monotonic_ns() % 100000}"
    proc = start_node(ns, cwd=tmp_path)
    client = Client(ns)
    try:
        assert client.spin_until(lambda: bool(client.label_maps), 60), "node did not come up"
        libraries = mapped_libraries(proc.pid)
        assert any("onnxruntime" in lib for lib in libraries)  # the check sees the node's libraries
        assert not [lib for lib in libraries if "libtorch" in lib or "/torch/" in lib]
        assert not [lib for lib in libraries if "/cv2/" in lib or "opencv" in lib]  # image code: 37 MB
    finally:
        client.close()
        out = stop(proc)
    assert "Traceback" not in out, out


def test_onnx_load_path_without_torch_and_with_a_cold_cache(tmp_path: Path) -> None:
    # The same load path in a fresh interpreter: a warm cache loads torch-free; a cold one exports
    # (importing torch) and leaves the export for the next start.
    code = (
        "import sys; from action_recognition.recognition import load_action_model; "
        "m = load_action_model(None); b = getattr(m.backend, 'members', [m.backend]); "
        "print(len(b), *{type(x).__name__ for x in b}, 'torch' in sys.modules)"
    )
    env = {**os.environ, "ACTION_RECOGNITION_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout.split() for _ in range(2)]
    default = paths.default_action_model()
    n = str(len(read_ensemble(default).members) if is_ensemble_file(default) else 1)
    assert runs == [[n, "OnnxRuntimeBackend", "True"], [n, "OnnxRuntimeBackend", "False"]]
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == int(n)  # one export per member
