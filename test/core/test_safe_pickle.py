"""Pickles are code: data set loading refuses anything but plain data unless told the file is trusted."""

from __future__ import annotations

import glob
import os
import pickle
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from action_recognition.data.format import DatasetError, load_dataset

REAL_DEV = sorted(glob.glob("/work/shared/real_dev/*.pkl"))


class _Payload:
    """What a hostile data set looks like: unpickling it calls os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _ExecPayload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _dataset(extra: object | None = None) -> dict:
    rng = np.random.default_rng(0)
    sample = {
        "frame_dir": "s0",
        "label": np.int64(1),  # numpy scalars, as extraction scripts often leave them
        "img_shape": (480, 640),
        "original_shape": (480, 640),
        "total_frames": 10,
        "keypoint": rng.uniform(0, 400, (1, 10, 17, 2)).astype(np.float32),
        "keypoint_score": rng.uniform(0, 1, (1, 10, 17)).astype(np.float16),
    }
    data = {"split": OrderedDict(train=["s0"]), "annotations": [sample], "classes": ["a", "b"]}
    if extra is not None:
        data["annotations"][0]["comment"] = extra
    return data


@pytest.mark.parametrize("payload", [_Payload, _ExecPayload])
def test_malicious_pickle_does_not_run_and_is_named(tmp_path: Path, payload: type) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_dataset(payload(marker)), protocol=2))
    refused = r"evil\.pkl: refused to load: the file asks for .*--unsafe-pickle"
    with pytest.raises(DatasetError, match=refused):
        load_dataset(path)
    assert not marker.exists(), "loading the data set ran the file's code"


def test_unsafe_opt_out_is_plain_pickle(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "trusted.pkl"
    path.write_bytes(pickle.dumps(_dataset(_Payload(marker))))
    load_dataset(path, unsafe_pickle=True)
    assert marker.exists()  # the opt-out really is the full (dangerous) pickle


def test_data_info_cli_refuses_with_one_line(tmp_path: Path) -> None:
    """The issue's reproduction: `data info` on a malicious pickle ran its code before the error."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_dataset(_Payload(marker))))
    res = subprocess.run(
        [sys.executable, "-m", "action_recognition.cli.main", "data", "info", str(path), "--no-png"],
        capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 1
    assert not marker.exists()
    assert "Traceback" not in res.stderr
    assert "refused to load" in res.stderr and "posix.system" in res.stderr, res.stderr


@pytest.mark.parametrize("protocol", [2, 4, pickle.HIGHEST_PROTOCOL])
def test_pyskl_format_pickles_still_load(tmp_path: Path, protocol: int) -> None:
    """mmcv (PYSKL) writes protocol 2, where an array's bytes go through _codecs.encode."""
    path = tmp_path / f"p{protocol}.pkl"
    data = _dataset()
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    back = load_dataset(path)
    np.testing.assert_array_equal(back["annotations"][0]["keypoint"], data["annotations"][0]["keypoint"])
    assert back["annotations"][0]["keypoint_score"].dtype == np.float16
    assert back["annotations"][0]["label"] == 1


@pytest.mark.skipif(not REAL_DEV, reason="no /work/shared/real_dev data on this machine")
@pytest.mark.parametrize("path", REAL_DEV, ids=[Path(p).name for p in REAL_DEV])
def test_real_pyskl_files_load_safely(path: str) -> None:
    assert load_dataset(path)["annotations"]


def test_extraction_cache_is_read_as_plain_data(tmp_path: Path) -> None:
    """`data extract` resumes from per-video pickles in <out>.parts/, which may come from elsewhere."""
    import cv2

    from action_recognition.data.extract import ExtractConfig, _part_path, extract_dataset, find_videos

    root = tmp_path / "videos" / "wave"
    root.mkdir(parents=True)
    writer = cv2.VideoWriter(str(root / "a.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (32, 32))
    writer.write(np.zeros((32, 32, 3), np.uint8))
    writer.release()
    out, cfg, marker = tmp_path / "data.pkl", ExtractConfig(), tmp_path / "pwned"
    parts = out.with_name(out.name + ".parts")
    parts.mkdir()
    [item] = find_videos(tmp_path / "videos")
    _part_path(parts, item, cfg).write_bytes(pickle.dumps({"keypoint": _Payload(marker)}))
    with pytest.raises(DatasetError, match=r"refused to load: the file asks for posix\.system"):
        extract_dataset(tmp_path / "videos", out, cfg, progress=False)  # nothing to extract: reads the cache
    assert not marker.exists()
