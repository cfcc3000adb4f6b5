"""Test double of `launch.substitutions.LaunchConfiguration`."""

from __future__ import annotations

from typing import Any


class LaunchConfiguration:
    def __init__(self, variable_name: str, *, default: Any = None) -> None:
        self.variable_name, self.default = variable_name, default

    def perform(self, context: Any) -> str:
        if self.variable_name in context.launch_configurations:
            return context.launch_configurations[self.variable_name]
        if self.default is None:  # the real one raises SubstitutionFailure here
            raise KeyError(f"launch configuration '{self.variable_name}' does not exist")
        return self.default
