"""Test double of `launch_ros.actions.Node`: records its arguments."""

from __future__ import annotations

from typing import Any

# Keyword arguments launch_ros.actions.Node hands on to launch.actions.ExecuteProcess.
_EXECUTE_PROCESS_KWARGS = {"output", "on_exit", "emulate_tty", "respawn", "respawn_delay", "sigterm_timeout",
                           "sigkill_timeout", "additional_env", "cwd", "prefix", "log_cmd", "shell"}


class Node:
    def __init__(self, *, executable: str, package: str | None = None, name: str | None = None,
                 namespace: str | None = None, exec_name: str | None = None,
                 parameters: list[Any] | None = None, remappings: list[tuple[str, str]] | None = None,
                 ros_arguments: list[str] | None = None, arguments: list[str] | None = None,
                 **kwargs: Any) -> None:
        unknown = set(kwargs) - _EXECUTE_PROCESS_KWARGS
        if unknown:
            raise TypeError(f"Node() got unexpected keyword arguments {sorted(unknown)}")
        self.executable, self.package, self.name, self.namespace = executable, package, name, namespace
        self.exec_name, self.parameters, self.remappings = exec_name, parameters, remappings
        self.ros_arguments, self.arguments, self.kwargs = ros_arguments, arguments, kwargs
