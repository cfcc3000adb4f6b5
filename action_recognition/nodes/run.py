"""The one way every node process starts, spins and ends.

Stopping: SIGINT and SIGTERM (Ctrl-C, `ros2 launch`, `action-recognition launch`) are handled here,
not by rclpy. rclpy's own handler shuts the context down at once, so a worker thread that is still
inferring then fails on publish ("context is invalid") and the node cannot log its summary. Here a
signal during startup (imports done, model loading) ends the process quietly at once (os._exit,
after unlinking its shared-memory segments: an exception raised at an arbitrary point could be
swallowed or leave a half-built node); a signal
while spinning ends the spin loop, then the node stops its workers (bounded wait), logs its summary,
and only then is rclpy shut down. A second signal exits immediately.

Exit: a node process ends with os._exit once it has cleaned up. The interpreter's own teardown with
torch and Ultralytics loaded took 3.5-6.5 s after a pose node's clean stop (benchmarks/
bench_node_shutdown.py), far past the 2 s a launcher waits; nothing is left for it to do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from action_recognition import dds_shm

_SPIN_TICK = 0.1  # seconds; how soon the spin loop notices a stop signal


class _Signals:
    def __init__(self) -> None:
        self.received = 0
        self.spinning = False
        self._previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum: int, frame: object) -> None:
        self.received += 1
        if self.received > 1:  # impatient: no second graceful stop
            # The participant is not destroyed: unlink its shared-memory segments (/dev/shm) as Fast
            # DDS would. Also hit when a killed launcher's SIGTERM and its reaper's come together.
            dds_shm.remove_own_segments()
            os._exit(128 + signum)
        if not self.spinning:
            # Still starting (lazy imports, model loading, node construction): nothing to stop or
            # summarise, so end at once, as startup.py does during the imports. Raising here instead
            # lands at an arbitrary bytecode: inside an import lock's weakref callback it printed
            # "Exception ignored ... Traceback" and the node started anyway; between a subscription
            # and its event handler it left a half-built node whose teardown raised ValueError.
            dds_shm.remove_own_segments()
            _flush_quietly()
            os._exit(0)

    def restore(self) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)


def run_node(
    make_node: Callable[[], Node],
    logger_name: str,
    fatal: tuple[type[Exception], ...] = (),
    until: Callable[[Node], bool] | None = None,
    linger: float = 0.0,
    args: list[str] | None = None,
    exit_process: bool = True,
) -> int:
    """Init rclpy, build the node, spin it, and always clean up; returns the process exit status.

    Startup errors of the kinds in `fatal` (and ValueError, raised for bad parameters) are logged as
    one fatal line and give exit status 1: a clear message instead of a traceback or a crash loop.
    A lifecycle node with `autostart` is configured and activated here; a failed configure is exit 1.
    The loop ends on a stop signal, or when `until(node)` is true (then it spins `linger` seconds
    more, so reliable subscribers fetch the last messages). A node's `stop()` runs before it is
    destroyed, so worker threads end first; its `summary_line()` is logged last. With `exit_process`
    (a node's main), the process then ends at once with the status; otherwise it is returned.
    """
    signals = _Signals()
    node = None
    code = 0
    logger = rclpy.logging.get_logger(logger_name)
    try:
        rclpy.init(args=sys.argv if args is None else args, signal_handler_options=SignalHandlerOptions.NO)
        # Segments of killed or crashed processes stay in RAM (/dev/shm) until removed: a restart
        # removes those whose owner is dead (a few ms; docs/reliability.md, "Shared memory").
        dds_shm.clean_quietly(logger.info)
        node = make_node()
        if getattr(node, "autostart", False) and not _autostart(node):
            code = 1
        else:
            signals.spinning = True
            if not signals.received:
                _spin(node, signals, until, linger)
    except (*fatal, ValueError) as exc:
        logger.fatal(str(exc))
        code = 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        signals.spinning = True  # from here on a first signal must not interrupt the cleanup
        if node is not None:
            try:
                _finish(node)
            except Exception:  # a defect in a node's stop: show it, still end the process
                logger.error(f"stopping failed:\n{traceback.format_exc()}")
                code = code or 1
        rclpy.try_shutdown()
        signals.restore()
    if exit_process:
        left = dds_shm.remove_own_segments()  # none once the participant is destroyed
        if left:
            print(f"[{logger_name}] warning: the DDS participant outlived the node; removed its "
                  f"shared-memory segments {', '.join(left)}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _flush_quietly() -> None:
    """Flush what the node printed; the signal may have interrupted a write to the same buffer."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(RuntimeError, OSError, ValueError):  # reentrant, closed pipe/file
            stream.flush()


def _autostart(node: Node) -> bool:
    """configure + activate; False (the error already logged by the node) when configure failed."""
    if node.trigger_configure() != TransitionCallbackReturn.SUCCESS:
        return False
    return node.trigger_activate() == TransitionCallbackReturn.SUCCESS


def _spin(node: Node, signals: _Signals, until: Callable[[Node], bool] | None, linger: float) -> None:
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while not signals.received and rclpy.ok():
            executor.spin_once(timeout_sec=_SPIN_TICK)
            if until is not None and until(node):
                deadline = time.monotonic() + linger
                while not signals.received and time.monotonic() < deadline:
                    executor.spin_once(timeout_sec=0.05)
                return
    finally:
        executor.remove_node(node)
        executor.shutdown(timeout_sec=0.5)


def _finish(node: Node) -> None:
    stop = getattr(node, "stop", None)
    if stop is not None:
        stop()
    summary_line = getattr(node, "summary_line", None)
    text = summary_line() if summary_line is not None and getattr(node, "was_active", True) else ""
    if text:
        node.get_logger().info(text)
    node.destroy_node()
