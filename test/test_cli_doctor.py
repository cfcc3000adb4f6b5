"""`action-recognition doctor` reports what loads, and names what is missing with exit status 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCTOR = [str(Path(sys.prefix) / "bin" / "action-recognition"), "doctor"]


def test_doctor_passes_on_the_installed_environment(tmp_path: Path) -> None:
    run = subprocess.run(DOCTOR, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("rclpy", "messages", "torch", "ultralytics", "pose weights", "demo video"):
        assert any(line.strip().startswith(f"[  ok] {name}") for line in run.stdout.splitlines()), name
    assert "kpt_shape [17, 3]" in run.stdout  # the weights were really loaded


def test_doctor_names_missing_assets_and_fails(tmp_path: Path) -> None:
    env = dict(os.environ, ACTION_RECOGNITION_DATA_DIR=str(tmp_path / "empty"))
    run = subprocess.run(DOCTOR, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert run.returncode == 1
    failing = [line for line in run.stdout.splitlines() if "[FAIL]" in line]
    assert len(failing) == 2
    assert "pose weights" in failing[0] and "install.sh" in failing[0]
    assert "demo video" in failing[1]
    assert "doctor: failing: pose weights, demo video." in run.stdout
