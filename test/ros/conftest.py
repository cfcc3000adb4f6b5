"""ROS test harness: test-side rclpy contexts never install signal handlers.

rclpy.init() installs process-wide SIGINT/SIGTERM handlers and rclpy.shutdown() of a context restores
the previous ones. In one pytest process that has already loaded torch, ONNX Runtime and Ultralytics,
that install/restore cycle per test client ended in a SIGSEGV of the whole test run (reproduced with
test/core + test/ros/test_action_node.py). Test clients need no signal handling: pytest owns Ctrl-C.
Nodes under test run in their own processes and keep rclpy's handlers.
"""

from __future__ import annotations

import functools

import rclpy
from rclpy.signals import SignalHandlerOptions

_init = rclpy.init


@functools.wraps(_init)
def _init_without_signal_handlers(*args, **kwargs):
    kwargs.setdefault("signal_handler_options", SignalHandlerOptions.NO)
    return _init(*args, **kwargs)


rclpy.init = _init_without_signal_handlers
