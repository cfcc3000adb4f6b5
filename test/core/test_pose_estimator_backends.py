"""Exported backends (made locally from the .pt, cached beside it) find the same people as PyTorch."""

from __future__ import annotations

import importlib.util
import shutil

import cv2
import numpy as np
import pytest

from action_recognition.paths import default_pose_weights
from action_recognition.pose.estimator import PoseConfig, PoseEstimator, PoseSetupError
from action_recognition.pose.export import export_path

pytestmark = pytest.mark.skipif(not default_pose_weights().is_file(), reason="pose weights not installed")


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


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_exported_backend_matches_pytorch(backend: str, weights, zidane, reference) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.fail(f"{backend} is in requirements/base.txt but not installed")
    target = export_path(weights, backend, 320)
    assert not target.exists()
    est = PoseEstimator(PoseConfig(model=weights, imgsz=320, backend=backend))
    assert est.model_path == target and target.exists()  # exported once, cached beside the .pt
    persons = est.process(zidane).persons
    assert len(persons) == len(reference) == 2
    for p in persons:
        ref = min(reference, key=lambda r: float(np.abs(r.bbox - p.bbox).sum()))
        # Exports are square (320x320) while PyTorch letterboxes to 320x192: expect a few pixels
        # of difference in this 1280x720 image, far less than a person's size.
        np.testing.assert_allclose(p.bbox, ref.bbox, atol=16.0)
        sure = (p.keypoints[:, 2] > 0.5) & (ref.keypoints[:, 2] > 0.5)
        assert sure.sum() >= 5
        np.testing.assert_allclose(p.keypoints[sure, :2], ref.keypoints[sure, :2], atol=16.0)
    # Loading the exported file directly works too, without re-exporting.
    mtime = target.stat().st_mtime
    again = PoseEstimator(PoseConfig(model=target, imgsz=320))
    assert len(again.process(zidane).persons) == 2 and target.stat().st_mtime == mtime


def test_unknown_backend_is_fatal(weights) -> None:
    with pytest.raises(PoseSetupError, match="backend"):
        PoseEstimator(PoseConfig(model=weights, backend="tensorrt-please"))
