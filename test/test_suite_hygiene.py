"""A test run cleans up after itself: its per-run cache folder (ONNX exports, ~50 MB) is removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    run = subprocess.run([str(Path(sys.executable).parent / "pytest"), "-q", "-p", "no:cacheprovider",
                          "-p", "conftest", "test_probe.py"], capture_output=True, text=True, timeout=300,
                         cwd=probe_dir, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    # Before: every run left its ar_test_cache_* folder in /tmp (433 of them, 2.7 GB, on 2026-12-01).
    assert not list(tmp_path.glob("ar_test_cache_*")), sorted(tmp_path.iterdir())
