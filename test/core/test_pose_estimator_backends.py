"""Exported backends (made locally from the .pt, cached beside it) find the same people as PyTorch."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from action_recognition.paths import default_pose_weights
from action_recognition.pose.estimator import PoseConfig, PoseEstimator, PoseSetupError
from action_recognition.pose.export import export_path

pytestmark = pytest.mark.usefixtures("installed_pose_assets")


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A private copy of the weights, so exports land in a temp folder, not the shared data dir."""
    path = tmp_path_factory.mktemp("weights") / "yolo11n-pose.pt"
    shutil.copy(default_pose_weights(), path)
    return path


@pytest.fixture(scope="module")
def zidane() -> np.ndarray:
    from ultralytics.utils import ASSETS

    return cv2.imread(str(ASSETS / "zidane.jpg"))


@pytest.fixture(scope="module")
def reference(weights, zidane):
    return PoseEstimator(PoseConfig(model=weights, imgsz=320)).process(zidane).persons


# The exported runtimes run in a child process: OpenVINO loaded into the shared pytest process made a
# later rclpy test segfault (after the training tests), so no test leaves it loaded here.
_CHILD = """
import json, sys, cv2
from ultralytics.utils import ASSETS
from action_recognition.pose.estimator import PoseConfig, PoseEstimator
weights, backend, model = sys.argv[1:4]
img = cv2.imread(str(ASSETS / "zidane.jpg"))
est = PoseEstimator(PoseConfig(model=model or weights, imgsz=320, backend=backend))
persons = est.process(img).persons
print(json.dumps({"model_path": str(est.model_path),
                  "persons": [[p.bbox.tolist(), p.keypoints.tolist()] for p in persons]}))
"""


def run_child(weights, backend: str, model: str = "") -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(weights), backend, model],
                          capture_output=True, text=True, timeout=600, cwd=weights.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_exported_backend_matches_pytorch(backend: str, weights, reference) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.fail(f"{backend} is in requirements/base.txt but not installed")
    target = export_path(weights, backend, 320)
    assert not target.exists()
    out = run_child(weights, backend)
    assert out["model_path"] == str(target) and target.exists()  # exported once, cached beside the .pt
    assert len(out["persons"]) == len(reference) == 2
    for bbox, kpts in out["persons"]:
        bbox, kpts = np.array(bbox, np.float32), np.array(kpts, np.float32)
        ref = min(reference, key=lambda r: float(np.abs(r.bbox - bbox).sum()))
        # Exports are square (320x320) while PyTorch letterboxes to 320x192: expect a few pixels
        # of difference in this 1280x720 image, far less than a person's size.
        np.testing.assert_allclose(bbox, ref.bbox, atol=16.0)
        sure = (kpts[:, 2] > 0.5) & (ref.keypoints[:, 2] > 0.5)
        assert sure.sum() >= 5
        np.testing.assert_allclose(kpts[sure, :2], ref.keypoints[sure, :2], atol=16.0)
    # Loading the exported file directly works too, without re-exporting.
    mtime = target.stat().st_mtime
    again = run_child(weights, "pytorch", model=str(target))
    assert len(again["persons"]) == 2 and target.stat().st_mtime == mtime


def test_unknown_backend_is_fatal(weights) -> None:
    with pytest.raises(PoseSetupError, match="backend"):
        PoseEstimator(PoseConfig(model=weights, backend="tensorrt-please"))
