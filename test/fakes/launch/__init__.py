"""Test double of ROS 2 `launch`: records a LaunchDescription and evaluates it (see README.md)."""

from __future__ import annotations

from typing import Any


class LaunchDescription:
    def __init__(self, initial_entities: list[Any] | None = None) -> None:
        self.entities = list(initial_entities or [])

    def add_action(self, action: Any) -> None:
        self.entities.append(action)


class LaunchContext:
    """What substitutions read: the launch arguments' values."""

    def __init__(self, launch_configurations: dict[str, str] | None = None) -> None:
        self.launch_configurations = dict(launch_configurations or {})
