"""The one way every node process starts, spins and ends."""

from __future__ import annotations

import sys
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


def run_node(
    make_node: Callable[[], Node],
    logger_name: str,
    fatal: tuple[type[Exception], ...] = (),
    spin: Callable[[Node], None] = rclpy.spin,
    args: list[str] | None = None,
) -> int:
    """Init rclpy, build the node, spin it, and always clean up; returns the process exit status.

    Startup errors of the kinds in `fatal` (and ValueError, raised for bad parameters) are logged as
    one fatal line and give exit status 1: a clear message instead of a traceback or a crash loop.
    Ctrl-C and an external shutdown are a clean stop (0). A node's `stop()` runs before it is destroyed,
    so worker threads end first.
    """
    rclpy.init(args=sys.argv if args is None else args)
    node = None
    code = 0
    try:
        node = make_node()
        spin(node)
    except (*fatal, ValueError) as exc:
        rclpy.logging.get_logger(logger_name).fatal(str(exc))
        code = 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            stop = getattr(node, "stop", None)
            if stop is not None:
                stop()
            node.destroy_node()
        rclpy.try_shutdown()
    return code
