"""pip metadata for the ROS-free core (training, data tools, model) outside a ROS workspace.

ROS 2 users build the package with colcon (package.xml declares ament_cmake; CMakeLists.txt builds the
messages and installs this Python package beside them). ./install.sh does the same into a venv.
"""

from pathlib import Path

from setuptools import setup


def tree_data_files(folder: str) -> list[tuple[str, list[str]]]:
    """data_files entries copying `folder` with its sub-folders to share/action_recognition/."""
    groups: dict[str, list[str]] = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            groups.setdefault(f"share/action_recognition/{path.parent.as_posix()}", []).append(
                path.as_posix()
            )
    return list(groups.items())


setup(
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/action_recognition"]),
        ("share/action_recognition", ["package.xml"]),
        *tree_data_files("config"),
        *tree_data_files("launch"),
        *tree_data_files("models"),
    ],
)
