"""Convert ROS 2 messages to plain Python data (dicts, lists, numbers) and back.

Used to print messages (`action-recognition echo`), to write them to JSON, and to compare messages
received in another process. Works for any generated message type through its field introspection.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def message_to_dict(msg: Any) -> dict[str, Any]:
    """Plain dict of a message: nested messages become dicts, arrays become lists."""
    return {field: _to_plain(getattr(msg, field)) for field in msg.get_fields_and_field_types()}


def _to_plain(value: Any) -> Any:
    if hasattr(value, "get_fields_and_field_types"):
        return message_to_dict(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)) or type(value).__name__ == "array":  # array.array for float32[]
        return [_to_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def dict_to_message(msg_type: type, data: dict[str, Any]) -> Any:
    """Build a message of `msg_type` from a dict made by message_to_dict (unknown keys are an error)."""
    msg = msg_type()
    field_types = msg_type.get_fields_and_field_types()
    unknown = set(data) - set(field_types)
    if unknown:
        raise KeyError(f"{msg_type.__name__} has no field(s) {sorted(unknown)}")
    for field, value in data.items():
        current = getattr(msg, field)
        if hasattr(current, "get_fields_and_field_types"):
            setattr(msg, field, dict_to_message(type(current), value))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            element_type = _sequence_element_type(msg, field)
            setattr(msg, field, [dict_to_message(element_type, v) for v in value])
        else:
            setattr(msg, field, value)
    return msg


def _sequence_element_type(msg: Any, field: str) -> type:
    # SLOT_TYPES holds rosidl type descriptors; a sequence of messages names its element's module.
    index = list(msg.get_fields_and_field_types()).index(field)
    element = msg.SLOT_TYPES[index].value_type
    module = __import__(".".join(element.namespaces), fromlist=[element.name])
    return getattr(module, element.name)
