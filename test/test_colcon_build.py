"""A ROS 2 user's build: `colcon build` (no --symlink-install) of this repository in a fresh workspace,
then use of the result from the sourced workspace: messages, CLI, the share folder's config, weights and
model, `ros2 launch ... --show-args`, and `colcon test`.

One build (about 45 s) is shared by the tests of this module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from action_recognition.paths import DEFAULT_ACTION_MODEL

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
    # The pose weights and demo video are not in git: the user's ./install.sh fetched them into data/.
    for asset in ("models/yolo11n-pose.pt", "videos/demo.mp4"):
        src = ROOT / "data" / asset
        assert src.is_file(), f"run ./install.sh first ({src} missing)"
        (dest / "data" / asset).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / "data" / asset)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{PREFIX / 'bin'}{os.pathsep}{env['PATH']}",
        AMENT_PREFIX_PATH=str(PREFIX),
        CMAKE_PREFIX_PATH=str(PREFIX),
    )
    env.pop("ACTION_RECOGNITION_CONFIG_DIR", None)
    env.pop("ACTION_RECOGNITION_DATA_DIR", None)
    env.pop("ACTION_RECOGNITION_MODELS_DIR", None)
    return env


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("colcon_ws")
    _copy_checkout(ws / "src" / "action_recognition")
    build = subprocess.run(
        [str(PREFIX / "bin" / "colcon"), "build", "--event-handlers", "console_direct-"],
        cwd=ws,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return ws


def _sourced(ws: Path, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`command` in a shell that sourced the workspace, started outside the checkout (cwd = ws)."""
    return subprocess.run(
        ["sh", "-c", f". install/local_setup.sh && {command}"],
        cwd=ws, env=_env(), capture_output=True, text=True, timeout=timeout,
    )


def test_colcon_build_installs_messages_nodes_and_cli(workspace: Path) -> None:
    install = workspace / "install" / "action_recognition"
    for node in ("pose_node", "video_source_node", "action_node", "demo_recorder", "annotator"):
        executable = install / "lib" / "action_recognition" / node
        assert os.access(executable, os.X_OK), f"ros2 run would not find {node}"
        assert executable.read_text().startswith("#!"), node
    share = install / "share" / "action_recognition"
    assert (share / "msg" / "SkeletonArray.msg").is_file()
    assert (share / "config" / "pose.yaml").is_file() and (share / "config" / "action.yaml").is_file()
    assert (share / "launch" / "pipeline.launch.py").is_file()
    # Every shipped action model comes with the package, all its files (an ensemble's members too); the
    # fetched pose weights are installed too.
    for folder in sorted((ROOT / "models").iterdir()):
        installed = share / "models" / folder.name
        files = {p.name for p in folder.iterdir()}
        assert installed.is_dir() and {p.name for p in installed.iterdir()} >= files, folder.name
        assert (installed / "model.pth").is_file(), folder.name
    assert (share / "data" / "models" / "yolo11n-pose.pt").is_file()

    # Sourcing the workspace puts its copy first: messages import from it and the CLI runs.
    run = _sourced(
        workspace,
        "python -c 'import action_recognition, action_recognition.msg as m; "
        "print(action_recognition.__file__); print(m.__file__); print(m.ActionArray().actions)' && "
        "action-recognition --version",
    )
    assert run.returncode == 0, run.stderr
    package_file, msg_file, empty_actions, version = run.stdout.strip().splitlines()
    assert package_file.startswith(str(install)) and msg_file.startswith(str(install))
    assert empty_actions == "[]"
    assert version.startswith("action-recognition ")


def test_installed_package_finds_its_share_folder(workspace: Path) -> None:
    """Config, pose weights and the action model come from install/.../share, not the venv or a checkout."""
    share = workspace / "install" / "action_recognition" / "share" / "action_recognition"
    run = _sourced(
        workspace,
        "python -c 'from action_recognition import paths; "
        "print(paths.config_dir()); print(paths.default_pose_weights()); "
        "print(paths.default_action_model())'",
    )
    assert run.returncode == 0, run.stderr
    config, weights, model = (Path(line).resolve() for line in run.stdout.strip().splitlines())
    assert config == (share / "config").resolve()
    assert weights == (share / "data" / "models" / "yolo11n-pose.pt").resolve() and weights.is_file()
    folder = share / "models" / DEFAULT_ACTION_MODEL
    assert model.parent == folder.resolve() and model.is_file()


def test_ros2_launch_show_args_from_the_workspace(workspace: Path) -> None:
    if not (PREFIX / "bin" / "ros2").is_file():
        pytest.skip("the ros2 CLI is not installed (install.sh installs it only where "
                    "../shared/ros2_python_wheels exists)")
    share = workspace / "install" / "action_recognition" / "share" / "action_recognition"
    run = _sourced(workspace, "ros2 launch action_recognition pipeline.launch.py --show-args")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "'image':" in run.stdout and "'qos':" in run.stdout
    assert f"(default: '{share / 'config' / 'pose.yaml'}')" in run.stdout, run.stdout


def test_colcon_test_runs_the_core_tests(workspace: Path) -> None:
    # A narrow selection (PYTEST_ADDOPTS) keeps this quick; without it colcon test runs test/core, test/ros.
    env = dict(_env(), PYTEST_ADDOPTS="-k image_encoding")
    test = subprocess.run(
        [str(PREFIX / "bin" / "colcon"), "test", "--ctest-args", "-R", "pytest_core",
         "--event-handlers", "console_direct-"],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=600,
    )
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    result = subprocess.run(
        [str(PREFIX / "bin" / "colcon"), "test-result", "--all"],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr  # non-zero on any failure
    summary = result.stdout.strip().splitlines()[-1]
    count = int(summary.split("Summary: ")[1].split(" tests")[0])
    assert count >= 20 and "0 errors, 0 failures" in summary, result.stdout
