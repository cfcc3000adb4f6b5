"""The suite itself: a run cleans up after itself (its per-run cache folder of ONNX exports, ~50 MB, is
removed), and tests that need installed files fail, not skip, without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_probe(probe_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """pytest on probe_dir/test_probe.py with the suite's conftest loaded as a plugin (env's PYTHONPATH
    holds test/)."""
    return subprocess.run([str(Path(sys.executable).parent / "pytest"), "-q", "-p", "no:cacheprovider",
                           "-p", "conftest", "test_probe.py"], capture_output=True, text=True, timeout=300,
                          cwd=probe_dir, env=env)


def test_a_test_run_removes_its_cache_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACTION_RECOGNITION_CACHE_DIR"}
    env["TMPDIR"] = str(tmp_path)  # where tempfile.mkdtemp puts the run's folder
    probe = ("import os, pathlib\n"
             "def test_writes_to_the_cache():\n"
             "    folder = pathlib.Path(os.environ['ACTION_RECOGNITION_CACHE_DIR'])\n"
             "    assert folder.parent == pathlib.Path(os.environ['TMPDIR'])\n"
             "    (folder / 'export.onnx').write_bytes(b'x' * 1000)\n")
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    (probe_dir / "test_probe.py").write_text(probe)
    env["PYTHONPATH"] = str(ROOT / "test")  # `-p conftest` loads the suite's conftest as a plugin
    run = _run_probe(probe_dir, env)
    assert run.returncode == 0, run.stdout + run.stderr
    # Before: every run left its ar_test_cache_* folder in /tmp (433 of them, 2.7 GB, on 2026-12-01).
    assert not list(tmp_path.glob("ar_test_cache_*")), sorted(tmp_path.iterdir())


def test_a_test_needing_the_installed_pose_assets_fails_without_them(tmp_path: Path) -> None:
    """Not skipped: a skip would let an install that lost the pose weights or demo video pass the suite."""
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    (probe_dir / "test_probe.py").write_text("import pytest\n"
                                            "pytestmark = pytest.mark.usefixtures('installed_pose_assets')\n"
                                            "def test_needs_them():\n"
                                            "    pass\n")
    empty = tmp_path / "data"
    empty.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "test"), ACTION_RECOGNITION_DATA_DIR=str(empty))
    run = _run_probe(probe_dir, env)
    assert run.returncode == 1 and "1 error" in run.stdout, run.stdout + run.stderr
    assert "yolo11n-pose.pt" in run.stdout and "run ./install.sh" in run.stdout
    # With the installed assets the same probe passes: the failure above is the missing files.
    env.pop("ACTION_RECOGNITION_DATA_DIR")
    run = _run_probe(probe_dir, env)
    assert run.returncode == 0, run.stdout + run.stderr
