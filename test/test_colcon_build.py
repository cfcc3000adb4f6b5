"""A ROS 2 user's build: `colcon build` of this repository in a fresh workspace, then use of the result."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = Path(sys.prefix)


def _copy_checkout(dest: Path) -> None:
    # Only what git would ship: tracked files plus untracked ones that are not ignored.
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_colcon_build_installs_messages_nodes_and_cli(tmp_path: Path) -> None:
    package_src = tmp_path / "src" / "action_recognition"
    _copy_checkout(package_src)
    env = dict(os.environ)
    env.update(
        PATH=f"{PREFIX / 'bin'}{os.pathsep}{env['PATH']}",
        AMENT_PREFIX_PATH=str(PREFIX),
        CMAKE_PREFIX_PATH=str(PREFIX),
    )
    build = subprocess.run(
        [str(PREFIX / "bin" / "colcon"), "build", "--event-handlers", "console_direct-"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    install = tmp_path / "install" / "action_recognition"
    for node in ("pose_node", "video_source_node", "action_node", "demo_recorder"):
        executable = install / "lib" / "action_recognition" / node
        assert os.access(executable, os.X_OK), f"ros2 run would not find {node}"
        assert executable.read_text().startswith("#!"), node
    assert (install / "share" / "action_recognition" / "msg" / "SkeletonArray.msg").is_file()
    assert (install / "share" / "action_recognition" / "config").is_dir()
    # The default action model ships with the package: the pipeline finds it when installed.
    shared_models = install / "share" / "action_recognition" / "models"
    assert (shared_models / "stgcnpp_coco_synth" / "model.pth").is_file()

    # Sourcing the workspace puts its copy first: messages import from it and the CLI runs.
    probe = (
        ". install/local_setup.sh && "
        "python -c 'import action_recognition, action_recognition.msg as m; "
        "print(action_recognition.__file__); print(m.__file__); print(m.ActionArray().actions)' && "
        "action-recognition --version"
    )
    run = subprocess.run(
        ["sh", "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    package_file, msg_file, empty_actions, version = run.stdout.strip().splitlines()
    assert package_file.startswith(str(install)) and msg_file.startswith(str(install))
    assert empty_actions == "[]"
    assert version.startswith("action-recognition ")
