"""Which process exits leave Fast DDS shared-memory files in /dev/shm, and how many bytes.

Each case starts a real process (node, player, launcher, test client, ros2 daemon) with the
project's Fast DDS profile in a domain of its own, stops it the way named, and counts the files
that appeared in /dev/shm meanwhile and remain with no live owner (their `_el` lock held by
nobody): segments with their lock files, and `fastdds_port*` files separately. Files of other
processes on the machine that are alive are not counted; one of theirs that dies unclean during a
case would be (run on a quiet machine for exact figures).

    .venv/bin/python benchmarks/shm_leaks.py                 # every case
    .venv/bin/python benchmarks/shm_leaks.py action_sigint   # some
Figures: docs/reliability.md ("Shared memory").
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from action_recognition import dds_shm, paths

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
NODE = [PY, "-m"]
CLI = [PY, "-m", "action_recognition.cli.main"]
CLIENT = (
    "import sys, rclpy\n"
    "sys.path.insert(0, {test!r})\n"
    "from ros_client import ContextNode\n"
    "c = ContextNode('shm_leak_client')\n"
    "c.spin_until(lambda: False, 1.0)\n"
    "if sys.argv[1] == 'close':\n"
    "    c.close()\n"
)


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 120) -> str:
    out = ""
    end = time.monotonic() + timeout
    while text not in out and time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        out += line
    return out


def _signal_when(cmd: list[str], ready: str, *sigs: int) -> Callable[[], str]:
    """Start `cmd`, wait for `ready` in its output, send `sigs` back to back, wait for the end."""
    def run() -> str:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = _wait_for(proc, ready)
        time.sleep(1.0)  # let discovery and the first sends open the shared-memory segments
        for sig in sigs:
            proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=60)
        return f"exit {proc.returncode}; " + (out + rest).strip().splitlines()[-1][-100:]

    return run


def _to_end(cmd: list[str]) -> Callable[[], str]:
    def run() -> str:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        lines = (proc.stdout + proc.stderr).strip().splitlines() or [""]
        return f"exit {proc.returncode}; {lines[-1][-100:]}"

    return run


def _bag(folder: Path) -> Path:
    bag = folder / "bag"
    if not bag.exists():
        data = paths.data_dir() / "synth" / "coco_synth_default.pkl"
        subprocess.run([*CLI, "bag", "make", "--dataset", str(data), "--out", str(bag), "--limit", "2"],
                       check=True, capture_output=True)
    return bag


def cases(tmp: Path) -> dict[str, Callable[[], str]]:
    action = [*NODE, "action_recognition.nodes.action_node"]
    pose = [*NODE, "action_recognition.nodes.pose_node", "--ros-args", "-p", "imgsz:=320"]
    video = [*NODE, "action_recognition.nodes.video_source_node", "--ros-args", "-p", "loop:=true"]
    client = [PY, "-c", CLIENT.format(test=str(ROOT / "test" / "ros"))]
    return {
        "action_sigint": _signal_when(action, "subscribed to", signal.SIGINT),
        "action_sigterm": _signal_when(action, "subscribed to", signal.SIGTERM),
        "action_sigkill": _signal_when(action, "subscribed to", signal.SIGKILL),
        "action_sigint_then_sigterm": _signal_when(action, "subscribed to", signal.SIGINT, signal.SIGTERM),
        "pose_sigterm": _signal_when(pose, "subscribed to", signal.SIGTERM),
        "video_source_sigterm": _signal_when(video, "publishing", signal.SIGTERM),
        "video_source_sigkill": _signal_when(video, "publishing", signal.SIGKILL),
        "bag_play_to_end": lambda: _to_end([*CLI, "bag", "play", str(_bag(tmp))])(),
        "bag_play_sigint": lambda: _signal_when(
            [*CLI, "bag", "play", str(_bag(tmp)), "--loop"], "", signal.SIGINT)(),
        "launch_action_sigint": _signal_when([*CLI, "launch", "action"], "subscribed to", signal.SIGINT),
        "launch_action_sigkill_launcher": _signal_when(
            [*CLI, "launch", "action"], "subscribed to", signal.SIGKILL),
        "annotator_sigterm": _signal_when([*NODE, "action_recognition.nodes.annotator_node"], "drawing",
                                          signal.SIGTERM),
        "echo_sigint": _signal_when([*CLI, "echo"], "listening on", signal.SIGINT),
        "bag_eval_to_end": lambda: _to_end([*CLI, "bag", "eval", str(_bag(tmp))])(),
        "doctor": _to_end([*CLI, "doctor"]),
        "test_client_close": _to_end([*client, "close"]),
        "test_client_no_close": _to_end([*client, "leave"]),
        "ros2_daemon_start_stop": lambda: (
            _to_end([str(Path(PY).parent / "ros2"), "daemon", "start"])()
            + " | " + _to_end([str(Path(PY).parent / "ros2"), "daemon", "stop"])()
        ),
    }


def _port_files() -> set[str]:
    return {n for n in os.listdir(dds_shm.SHM_DIR) if n.startswith(("fastdds_port", "sem.fastdds_port"))}


def measure(name: str, run: Callable[[], str]) -> str:
    before = dds_shm.segment_names()
    ports_before = _port_files()
    note = run()
    time.sleep(3.0)  # a killed launcher's nodes stop after it; give them time to end
    new = dds_shm.segment_names() - before
    dead = sorted(n for n in new if not dds_shm.is_in_use(n))
    size = sum((dds_shm.SHM_DIR / n).stat().st_size for n in dead if (dds_shm.SHM_DIR / n).exists())
    ports = sorted(_port_files() - ports_before)
    return (f"| {name} | {len(dead)} ({2 * len(dead)} files) | {size / 1e6:.1f} | {len(ports)} | "
            f"{note.replace('|', '/')} |")


def main(argv: list[str]) -> int:
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ["ROS_DOMAIN_ID"] = os.environ.get("ROS_DOMAIN_ID", str(random.randint(150, 230)))
    os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(paths.config_dir() / "fastdds_shm.xml"))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="shm_leaks_") as tmp:
        all_cases = cases(Path(tmp))
        chosen = argv or list(all_cases)
        print(f"domain {os.environ['ROS_DOMAIN_ID']}, profile {os.environ['FASTDDS_DEFAULT_PROFILES_FILE']}")
        print("| exit | segments left by dead owners | MB | new port files | process output |")
        print("| --- | --- | --- | --- | --- |")
        for name in chosen:
            print(measure(name, all_cases[name]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
