"""Reading and writing rosbag2 bags with `rosbags`, with errors that say what is wrong with the bag.

rosbags raises a zoo of exceptions on damaged files (its ReaderError, sqlite3 errors, struct/EOF
errors from a cut MCAP file, YAML errors from a bad metadata.yaml); they all become BagError here so
the CLI can report "corrupt or truncated" once instead of a traceback.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.rosbag2.errors import ReaderError, WriterError

from action_recognition.bag.ground_truth import GROUND_TRUTH_TYPE, Segment, segment_from_message
from action_recognition.bag.typestore import typestore

STORAGES = {"sqlite3": StoragePlugin.SQLITE3, "mcap": StoragePlugin.MCAP}
SKELETON_TYPE = "action_recognition/msg/SkeletonArray"
IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")

# What a damaged bag raises inside rosbags and its storage back ends.
_READ_ERRORS: tuple[type[BaseException], ...] = (
    ReaderError,
    sqlite3.Error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    AssertionError,
)


class BagError(RuntimeError):
    """The bag cannot be read (missing, corrupt, truncated) or written."""


@dataclass
class BagSummary:
    path: Path
    storage: str
    topics: dict[str, str]  # topic -> message type
    counts: dict[str, int]  # topic -> messages (from the metadata / index)
    start_ns: int
    end_ns: int
    ground_truth: list[Segment] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)

    def topics_of(self, *types: str) -> list[str]:
        return [t for t, ty in self.topics.items() if ty in types]

    @property
    def duration_s(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e9


@contextmanager
def open_bag(path: str | Path) -> Iterator[Reader]:
    path = Path(path)
    if not path.exists():
        raise BagError(f"{path}: no such bag")
    try:
        reader = Reader(path)
        reader.open()
    except _READ_ERRORS as exc:
        raise BagError(f"{path}: corrupt or truncated bag ({type(exc).__name__}: {exc})") from None
    try:
        yield reader
    finally:
        with suppress(*_READ_ERRORS):
            reader.close()


def iter_messages(
    reader: Reader, topics: Sequence[str] | None = None
) -> Iterator[tuple[str, str, int, bytes]]:
    """(topic, message type, bag timestamp ns, CDR bytes) in time order; BagError where the data breaks."""
    conns = [c for c in reader.connections if topics is None or c.topic in topics]
    if not conns:
        return
    try:
        for conn, timestamp, data in reader.messages(connections=conns):
            yield conn.topic, conn.msgtype, timestamp, bytes(data)
    except _READ_ERRORS as exc:
        raise BagError(f"{reader.path}: corrupt or truncated bag ({type(exc).__name__}: {exc})") from None


def read_summary(path: str | Path) -> BagSummary:
    """Topics, counts, time range and the ground-truth segments of a bag (reads the GT topic only)."""
    store = typestore()
    with open_bag(path) as reader:
        topics = {c.topic: c.msgtype for c in reader.connections}
        counts: dict[str, int] = {}
        for c in reader.connections:
            counts[c.topic] = counts.get(c.topic, 0) + c.msgcount
        bag = Path(path)
        storage = "mcap" if any(bag.glob("*.mcap")) or bag.suffix == ".mcap" else "sqlite3"
        summary = BagSummary(Path(path), storage, topics, counts, reader.start_time, reader.end_time)
        gt_topics = [t for t, ty in topics.items() if ty == GROUND_TRUTH_TYPE]
        for _, msgtype, _, data in iter_messages(reader, gt_topics):
            try:
                msg = store.deserialize_cdr(data, msgtype)
            except Exception as exc:  # any decoding failure = damaged data
                raise BagError(f"{path}: undecodable {msgtype} message ({exc})") from None
            summary.ground_truth.append(segment_from_message(msg))
            if msg.classes and not summary.classes:
                summary.classes = list(msg.classes)
    return summary


class BagWriter:
    """Thin wrapper over rosbags' Writer: connections by (topic, type), messages as rosbags objects."""

    def __init__(self, path: str | Path, storage: str = "sqlite3") -> None:
        if storage not in STORAGES:
            raise BagError(f"storage {storage!r}: choose one of {sorted(STORAGES)}")
        self.store = typestore()
        self._writer = Writer(Path(path), version=Writer.VERSION_LATEST, storage_plugin=STORAGES[storage])
        self._conns: dict[str, Any] = {}
        self.count = 0

    def __enter__(self) -> BagWriter:
        try:
            self._writer.open()
        except WriterError as exc:
            raise BagError(str(exc)) from None
        return self

    def __exit__(self, *exc: object) -> None:
        # Closed on errors too: what was written stays a readable (shorter) bag with its metadata.
        self._writer.close()

    def add_topic(self, topic: str, msgtype: str) -> None:
        self._conns[topic] = self._writer.add_connection(topic, msgtype, typestore=self.store)

    def write(self, topic: str, timestamp_ns: int, msg: Any) -> None:
        conn = self._conns[topic]
        self._writer.write(conn, timestamp_ns, self.store.serialize_cdr(msg, conn.msgtype))
        self.count += 1
