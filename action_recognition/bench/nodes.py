"""Node processes for benchmarks: started like the launchers start them, pinned to CPUs, RSS read."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from action_recognition import paths


def dds_env() -> dict[str, str]:
    """The environment for the bench's node processes and its own client (set before rclpy loads).

    Loopback only, a domain of its own, and the shared-memory Fast DDS profile the launchers use
    (large images fall back to fragmented UDP without it).
    """
    env = {"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST", "ROS_DOMAIN_ID": str(150 + os.getpid() % 80)}
    profile = paths.config_dir() / "fastdds_shm.xml"
    if profile.is_file():
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(profile)
    return {k: os.environ.get(k, v) for k, v in env.items()}


def split_cpus(node_cpus: Sequence[int] | None = None) -> tuple[set[int], set[int]]:
    """(CPUs for the node under test, CPUs for the bench's own client): by default the first core for
    the node and the others for the client; `node_cpus` names the node's (the client gets the rest, or
    shares the node's when none is left)."""
    cpus = sorted(os.sched_getaffinity(0))
    node = set(node_cpus) if node_cpus else {cpus[0]}
    if not node <= set(cpus):
        raise ValueError(f"node CPUs {sorted(node)} are not all among this process's CPUs {cpus}")
    return node, (set(cpus) - node) or node


def start_node(module: str, namespace: str, params: dict[str, object], cpus: set[int] | None = None,
               log: Path | None = None) -> subprocess.Popen:
    """`python -m <module> --ros-args -r __ns:=<namespace> -p k:=v ...`, optionally pinned to `cpus`."""
    cmd = [sys.executable, "-m", module, "--ros-args", "-r", f"__ns:={namespace}"]
    for key, value in params.items():
        if value == "" or value is None:  # the node's default ('-p k:=' does not parse)
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        cmd += ["-p", f"{key}:={text}"]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **dds_env()},
                            preexec_fn=preexec)


def stop_node(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of a process now (rss) and its peak (hwm), MiB, from /proc; {} when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    kib = {ln.split(":")[0]: int(ln.split()[1]) for ln in lines if ln.startswith(("VmRSS:", "VmHWM:"))}
    return {"rss_mb": round(kib["VmRSS"] / 1024, 1), "peak_rss_mb": round(kib["VmHWM"] / 1024, 1)}


def cpu_ms(pid: int) -> float:
    """CPU time all threads of a process have run so far, ms (from /proc/<pid>/task/*/schedstat, ns).

    Unlike wall time, this hardly depends on what else runs on the machine.
    """
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):  # a thread that just ended
            total += int(stat.read_text().split()[0])
    return total / 1e6


def loads_torch(pid: int) -> bool:
    """Whether a running process has torch's libraries mapped."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "libtorch" in maps


@contextlib.contextmanager
def pinned(cpus: set[int]) -> Iterator[None]:
    """This process's thread on `cpus` while inside (the bench stays off the core it measures)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class BenchClient:
    """The bench's own rclpy node, in a context of its own, this thread pinned to `cpus` until close()."""

    def __init__(self, name: str, cpus: set[int]) -> None:
        import rclpy
        from rclpy.signals import SignalHandlerOptions

        self._before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cpus)
        self._ctx = rclpy.Context()
        rclpy.init(context=self._ctx, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(name, context=self._ctx)
        self._executor = rclpy.executors.SingleThreadedExecutor(context=self._ctx)
        self._executor.add_node(self.node)

    def spin(self, seconds: float) -> None:
        self._executor.spin_once(timeout_sec=seconds)

    def close(self) -> None:
        import rclpy

        self._executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self._ctx)
        os.sched_setaffinity(0, self._before)


def wait_for(cond: Callable[[], bool], timeout: float, spin: Callable[[float], object]) -> bool:
    """Spin `spin(seconds)` until `cond()` or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not cond():
        spin(0.05)
    return bool(cond())


def percentile(values: Sequence[float], q: float) -> float | None:
    import numpy as np

    return round(float(np.percentile(values, q)), 2) if len(values) else None
