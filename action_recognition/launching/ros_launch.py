"""Turn a pipeline description into a ROS 2 `launch` description (used by launch/*.launch.py).

Arguments are declared with their defaults and choices; the nodes are built at launch time by an
OpaqueFunction, because which nodes/parameters/remappings follow from the argument values is decided
in `description.plan` (shared with `action-recognition launch`), not in launch substitutions.
"""

from __future__ import annotations

from typing import Any

from action_recognition.launching.description import (
    DONE_IF_CLEAN,
    END,
    PACKAGE,
    NodeLaunch,
    get_pipeline,
    plan,
)


def generate(name: str) -> Any:
    """The LaunchDescription of pipeline `name`."""
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    from launch import LaunchDescription

    pipeline = get_pipeline(name)
    entities: list[Any] = [
        DeclareLaunchArgument(
            a.name, default_value=a.default, description=a.description, **({"choices": list(a.choices)}
                                                                          if a.choices else {})
        )
        for a in pipeline.arguments()
    ]
    entities.append(OpaqueFunction(function=_launch_setup, args=[name]))
    return LaunchDescription(entities)


def _launch_setup(context: Any, name: str) -> list[Any]:
    from launch.actions import SetEnvironmentVariable
    from launch.substitutions import LaunchConfiguration

    names = [a.name for a in get_pipeline(name).arguments()]
    values = {n: LaunchConfiguration(n).perform(context) for n in names}
    p = plan(name, values)
    actions: list[Any] = [SetEnvironmentVariable(k, v) for k, v in p.env.items()]
    actions += [_node(n) for n in p.nodes]
    return actions


def _node(n: NodeLaunch) -> Any:
    from launch.actions import Shutdown
    from launch_ros.actions import Node

    if n.on_exit == END:
        on_exit: Any = [Shutdown(reason=f"{n.name} finished")]
    elif n.on_exit == DONE_IF_CLEAN:
        on_exit = _shutdown_unless_clean(n.name)
    else:
        on_exit = [Shutdown(reason=f"{n.name} exited")]
    return Node(
        package=PACKAGE,
        executable=n.executable,
        name=n.name,
        namespace=n.namespace or None,
        # A dict, not the YAML file: the arguments are already merged into it (checked against the
        # node's table by `plan`); launch_ros writes it under the '/**' key, so it applies in any namespace.
        # The pose and action nodes are lifecycle nodes that configure and activate themselves
        # (`autostart`), so a plain Node action starts them as before.
        parameters=[dict(n.parameters)],
        remappings=list(n.remappings),
        output="screen",
        on_exit=on_exit,
    )


def _shutdown_unless_clean(name: str) -> Any:
    def handler(event: Any, context: Any) -> list[Any] | None:
        from launch.actions import Shutdown

        if event.returncode == 0:
            return None
        return [Shutdown(reason=f"{name} exited with {event.returncode}")]

    return handler
