"""Test doubles of the `launch.actions` the package's launch files use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class DeclareLaunchArgument:
    def __init__(self, name: str, *, default_value: Any = None, description: str | None = None,
                 choices: list[str] | None = None) -> None:
        self.name, self.default_value = name, default_value
        self.description, self.choices = description, choices


class OpaqueFunction:
    def __init__(self, *, function: Callable[..., Any], args: Iterable[Any] | None = None,
                 kwargs: dict[str, Any] | None = None) -> None:
        self.function, self.args, self.kwargs = function, list(args or []), dict(kwargs or {})

    def execute(self, context: Any) -> list[Any] | None:
        return self.function(context, *self.args, **self.kwargs)


class SetEnvironmentVariable:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value


class Shutdown:
    def __init__(self, *, reason: str = "reason not given") -> None:
        self.reason = reason
