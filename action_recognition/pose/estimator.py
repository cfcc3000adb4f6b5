"""YOLO pose + multi-object tracking on single BGR images, independent of ROS.

    est = PoseEstimator(PoseConfig(imgsz=320))
    frame = est.process(image_bgr, stamp=t)   # tracks persist across calls; stamp in seconds (optional)
    est.reset()                               # before an unrelated video

Detection (Ultralytics predict) and tracking (`tracking.PersonTracker`: an Ultralytics tracker, plus
duplicate suppression and re-linking of lost people when the tracker YAML asks for them) are separate
steps, so every frame, also one with nobody in it, advances the tracker.
Untracked detections (the tracker has not confirmed them yet) are dropped unless
`PoseConfig.keep_untracked` is set, in which case they carry `track_id = -1`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from action_recognition.pose import export as pose_export
from action_recognition.pose import ultralytics_env
from action_recognition.pose.backend_choice import choose_backend
from action_recognition.pose.tracker_config import TrackerConfigError
from action_recognition.pose.tracking import PersonTracker

UNTRACKED_ID = -1
_DEVICE_RE = re.compile(r"^(cpu|mps|cuda|cuda:\d+|\d+(,\d+)*)$")


class PoseSetupError(RuntimeError):
    """The estimator cannot start: missing weights, layout mismatch, unknown device, not a pose model."""


@dataclass
class PoseConfig:
    model: str | Path | None = None  # .pt, .onnx or *_openvino_model dir; None = installed yolo11n-pose
    layout: str = "coco"  # skeleton layout; its joint count must match the model's keypoints
    device: str = "cpu"  # cpu, cuda, cuda:0, 0, mps
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    max_det: int = 20
    # config/trackers/<name> first (bytetrack_robust.yaml keeps ids through missed frames), then
    # Ultralytics' bytetrack.yaml / botsort.yaml, or a path (action_recognition.pose.tracker_config)
    tracker: str = "bytetrack_robust.yaml"
    half: bool = False
    # pytorch | onnx | openvino | tensorrt: uses (or makes) the local export of a .pt; auto = the
    # fastest installed for the device (OpenVINO on x86 CPUs, TensorRT or PyTorch on CUDA)
    backend: str = "pytorch"
    threads: int = 0  # torch CPU threads; 0 keeps the current setting
    keep_untracked: bool = False  # report unconfirmed detections with track_id -1


@dataclass
class PersonPose:
    track_id: int
    keypoints: np.ndarray  # (V, 3) float32: x_px, y_px, score
    bbox: np.ndarray  # (4,) float32: x1, y1, x2, y2 px
    bbox_score: float


@dataclass
class PoseFrame:
    persons: list[PersonPose]
    width: int
    height: int
    inference_ms: float = 0.0
    untracked: int = 0  # detections dropped because the tracker has not confirmed them
    extra: dict = field(default_factory=dict)


def layout_num_joints(layout: str) -> int:
    from action_recognition.skeleton import get_layout

    try:
        return int(get_layout(layout).num_joints)
    except (KeyError, ValueError) as exc:
        raise PoseSetupError(f"unknown skeleton layout {layout!r}: {exc}") from exc


def resolve_model(cfg: PoseConfig) -> Path:
    """The model file/folder `cfg` points at, exporting a .pt locally when a backend asks for it."""
    from action_recognition.paths import default_pose_weights

    path = Path(cfg.model).expanduser() if cfg.model else default_pose_weights()
    if not path.exists():
        raise PoseSetupError(
            f"pose model not found: {path}. Pass the weights with the node parameter `model` "
            "(-p model:=/path/to/yolo11n-pose.pt; launch argument pose_model:=...), or run ./install.sh, "
            "which places yolo11n-pose.pt in data/models (colcon installs it from there to "
            "share/action_recognition/data/models)"
        )
    backend = resolve_backend(cfg)
    if backend != "pytorch" and path.suffix == ".pt":
        try:
            path = pose_export.export(path, backend, cfg.imgsz, cfg.device)
        except Exception as exc:  # missing onnx/openvino packages, failed conversion
            raise PoseSetupError(f"cannot export {path} to {backend}: {exc}") from exc
    return path


def resolve_backend(cfg: PoseConfig) -> str:
    """The backend `cfg.backend` names; "auto" = the fastest installed for the device (backend_choice)."""
    if cfg.backend == "auto":
        return choose_backend(cfg.device)
    if cfg.backend not in pose_export.BACKENDS:
        choices = ", ".join(("auto", *pose_export.BACKENDS))
        raise PoseSetupError(f"unknown backend {cfg.backend!r} (one of {choices})")
    return cfg.backend


def _check_device(device: str) -> None:
    if not _DEVICE_RE.match(str(device)):
        raise PoseSetupError(f"unknown device {device!r} (cpu, cuda, cuda:N, N or mps)")
    from ultralytics.utils.torch_utils import select_device

    try:
        select_device(str(device), verbose=False)
    except Exception as exc:  # Ultralytics raises ValueError for an unavailable CUDA/MPS device
        raise PoseSetupError(f"device {device!r} is not available: {exc}") from exc


class PoseEstimator:
    def __init__(self, config: PoseConfig | None = None) -> None:
        self.config = cfg = config or PoseConfig()
        expected = layout_num_joints(cfg.layout)
        path = resolve_model(cfg)
        ultralytics_env.prepare()
        try:
            self._tracker = PersonTracker(cfg.tracker, str(cfg.device))
        except TrackerConfigError as exc:
            raise PoseSetupError(str(exc)) from exc
        import torch
        from ultralytics import YOLO

        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        _check_device(cfg.device)
        try:
            self._model = YOLO(str(path), task="pose")
        except Exception as exc:
            raise PoseSetupError(f"cannot load pose model {path}: {exc}") from exc
        if self._model.task != "pose":
            raise PoseSetupError(f"{path} is a {self._model.task!r} model, not a pose model")
        self.model_path = path
        self.backend = resolve_backend(cfg)
        # One warm-up call builds the predictor (exported models report their keypoint shape only then).
        self._predict(np.zeros((cfg.imgsz, cfg.imgsz, 3), np.uint8))
        self.num_keypoints = int(self._model.predictor.model.kpt_shape[0])
        if self.num_keypoints != expected:
            raise PoseSetupError(
                f"layout {cfg.layout!r} has {expected} joints but {path.name} predicts "
                f"{self.num_keypoints} keypoints; pick the layout that matches the model"
            )
        self.reset()

    def _predict(self, image: np.ndarray) -> list:
        c = self.config
        precision = {"quantize": 16} if c.half else {}  # `half=` is deprecated in Ultralytics 8.4
        return self._model.predict(
            image,
            imgsz=c.imgsz,
            conf=c.conf,
            iou=c.iou,
            max_det=c.max_det,
            device=c.device,
            verbose=False,
            **precision,
        )

    def reset(self) -> None:
        """Forget all tracks (ids restart at 1)."""
        self._tracker.reset()

    def process(self, image: np.ndarray, stamp: float | None = None) -> PoseFrame:
        """Detect, estimate and track the people in one BGR uint8 image taken at `stamp` seconds (any
        monotonic clock; None: frames are taken as 1/30 s apart). Stamps let the tracker tell a short
        gap from a long one when frames are dropped."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
            raise ValueError(f"expected a non-empty (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
        t0 = time.perf_counter()
        result = self._predict(image)[0]
        h, w = image.shape[:2]
        det = result.boxes.data.cpu().numpy().astype(np.float32)  # (N, 6): x1 y1 x2 y2 score class
        data = result.keypoints.data.cpu().numpy().astype(np.float32)  # (N, V, 2 or 3); a pose model has them
        if data.shape[2] == 2:  # models without keypoint visibility: treat all joints as seen
            data = np.concatenate([data, np.ones((*data.shape[:2], 1), np.float32)], axis=2)
        ids = dict(self._tracker.update(det, data, image, stamp))  # detection index -> person id
        ms = (time.perf_counter() - t0) * 1e3
        frame = PoseFrame(persons=[], width=w, height=h, inference_ms=ms)
        xyxy, scores = det[:, :4], det[:, 4]
        for i in range(len(det)):
            if self._tracker.last_duplicates[i]:  # a part of a person reported under their own box
                continue
            tid = ids.get(i, UNTRACKED_ID)
            if tid == UNTRACKED_ID and not self.config.keep_untracked:
                frame.untracked += 1
                continue
            person = PersonPose(tid, np.ascontiguousarray(data[i]), xyxy[i].copy(), float(scores[i]))
            frame.persons.append(person)
        return frame
