"""Faults in the input never stop the action node for good, and /diagnostics says what is dropped.

The node runs in its own process (random-weight model: behaviour, not accuracy). Issue 13:
- item 1: one frame stamped a day ahead made every later frame "stale" for good, /diagnostics OK;
  a bag loop restart or sim-time reset lost the windows after it;
- item 2: the layout was checked on the first message only (latched off, or never checked again);
- item 8: 3e38 coordinates published NaN; 0x0 images were silently 1920x1080; more people than
  max_tracks vanished without a log or counter.

Windows are 8 frames with min window and stride 8, so every 8 accepted frames of a track give
exactly one label, whatever moment the inference thread wakes up.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from random_model import save_random_model
from ros_client import Client, frames_to_msg, start_node, stop

from action_recognition.recognition import PersonFrame

LABELS = ["sit", "stand", "walk"]
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 1_700_000_000 * SEC
OK, WARN, ERROR = DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR
EIGHT = (f"window_s:={8 / 30}", f"min_window_s:={8 / 30}", f"stride_s:={8 / 30}")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return save_random_model(tmp_path_factory.mktemp("model"), LABELS, seed=0)


def person(tid: int, frame: int) -> PersonFrame:
    rng = np.random.default_rng(tid * 7919 + frame)
    xy = (200 + 40 * tid + rng.normal(0, 4, (17, 2))).astype(np.float32)
    return PersonFrame(tid, xy, rng.uniform(0.4, 1.0, 17).astype(np.float32))


class Run:
    """The node plus a client that also records this node's /diagnostics."""

    def __init__(self, model_path: Path, tmp_path: Path, *params: str) -> None:
        self.ns = f"/faults_{os.getpid()}_{time.monotonic_ns() % 100000}"
        # Fixed reliable input with a deep queue: these tests are about stamps and layouts, so no frame may
        # be lost to QoS negotiation ("auto") or a short queue while the machine is busy.
        qos = ("qos_reliability:=reliable", "qos_depth:=100")
        params = (f"model:={model_path}", "diagnostics_period:=0.2", *qos, *params)
        self.proc = start_node(self.ns, *params, cwd=tmp_path)
        self.client = Client(self.ns)
        self.diag: list = []  # this node's DiagnosticStatus messages, in order
        self.diag_stamps: list[int] = []  # the header stamp (ns) of the report each one came in
        self.client.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 100)
        c = self.client
        assert c.spin_until(lambda: bool(c.label_maps), 90), "node did not come up"
        assert c.spin_until(
            lambda: c.pub.get_subscription_count() > 0 and c.actions_sub.get_publisher_count() > 0, 10
        )
        self.sent = 0

    def _on_diag(self, msg: DiagnosticArray) -> None:
        mine = [s for s in msg.status if s.hardware_id == f"{self.ns}/action_node"]
        self.diag += mine
        self.diag_stamps += [msg.header.stamp.sec * SEC + msg.header.stamp.nanosec] * len(mine)

    def send(self, stamp: int, people: list[PersonFrame], bbox: list[float] | None = None, **kw) -> None:
        msg = frames_to_msg(stamp, people, **kw)
        for sk in msg.skeletons if bbox is not None else []:
            sk.bbox = bbox
        self.client.pub.publish(msg)
        self.sent += 1
        self.client.executor.spin_once(timeout_sec=0.002)

    def labels(self, tid: int = 1) -> list:
        return self.client.actions_for(tid)

    def wait_labels(self, n: int, tid: int = 1, timeout: float = 30) -> None:
        got = self.client.spin_until(lambda: len(self.labels(tid)) >= n, timeout)
        assert got, (n, len(self.labels(tid)), self._kv(self.diag[-1]) if self.diag else "no diagnostics")

    def burst(self, stamps: list[int], tid: int = 1, **kw) -> None:
        """Eight frames of one person; waits for the one label they make."""
        before = len(self.labels(tid))
        for f, stamp in enumerate(stamps):
            self.send(stamp, [person(tid, f)], **kw)
        self.wait_labels(before + 1, tid)

    def values(self, timeout: float = 10) -> dict[str, str]:
        """Diagnostics published after this call, once the node has counted every message sent.

        Only a report published after the labels were received also counts the windows behind them.
        """
        # By publication time, not arrival: a report made just before the last round ran can arrive
        # after this call began (a busy machine delays it), with that round's window not yet counted.
        start = time.time_ns()

        def counted() -> bool:
            fresh = [d for d, t in zip(self.diag, self.diag_stamps, strict=True) if t >= start]
            return bool(fresh) and self._kv(fresh[-1]).get("received_total") == str(self.sent)

        assert self.client.spin_until(counted, timeout), self.diag[-1:] or "no diagnostics"
        return self._kv(self.diag[-1])

    @staticmethod
    def _kv(status) -> dict[str, str]:
        return {kv.key: kv.value for kv in status.values}

    def close(self) -> str:
        self.client.close()
        return stop(self.proc)


@pytest.fixture
def run(model_path, tmp_path):
    runs: list[Run] = []

    def make(*params: str) -> Run:
        runs.append(Run(model_path, tmp_path, *params))
        return runs[-1]

    yield make
    for r in runs:
        if r.proc.poll() is None:
            r.close()


def at30(i: int, start: int = T0) -> int:
    return start + i * SEC // 30


def test_a_future_stamped_frame_costs_one_frame_and_shows_in_diagnostics(run) -> None:
    r = run(*EIGHT)
    r.burst([at30(i) for i in range(8)])
    r.send(at30(8) + DAY, [person(1, 8)])  # one frame stamped a day ahead
    for n in range(3):  # later valid input keeps being used
        r.burst([at30(i) for i in range(8 + 8 * n, 16 + 8 * n)])
    labels = r.labels()
    assert len(labels) == 4 and all(a.num_frames == 8 for a in labels)
    end = labels[-1].window_end
    assert end.sec * SEC + end.nanosec == at30(31)
    values = r.values()
    assert values["dropped_stale_total"] == "1" and values["clock_jumps_total"] == "0"
    assert values["windows_classified_total"] == "4"
    assert any(s.level == WARN and "dropping input" in s.message for s in r.diag)  # WARN while it dropped
    out = r.close()
    assert "broke the run of stamps" in out


def test_bag_loop_restart_and_sim_time_reset_lose_no_window(run) -> None:
    r = run(*EIGHT)
    for n in range(3):
        r.burst([at30(i) for i in range(8 * n, 8 * n + 8)])
    # `bag play --loop --rate 2`: the next pass starts half a pass behind where the last one ended.
    restart = T0 + SEC // 2
    for n in range(3):
        r.burst([at30(i, restart) for i in range(8 * n, 8 * n + 8)])
    # A simulator restarts: /clock (and the stamps) go back to zero.
    for n in range(3):
        r.burst([at30(i, 0) for i in range(8 * n, 8 * n + 8)])
    labels = r.labels()
    assert len(labels) == 9
    # Each pass starts a new window: the first label of a pass holds only that pass's frames.
    starts = [a.window_start.sec * SEC + a.window_start.nanosec for a in labels]
    assert starts[3] >= restart and starts[6] < SEC
    values = r.values()
    assert values["clock_jumps_total"] == "2" and values["dropped_stale_total"] == "0"
    out = r.close()
    assert out.count("message stamps jumped by") == 2 and "jumped by -0.267 s" in out


def test_layout_is_checked_on_every_message_and_never_latches(run) -> None:
    r = run(*EIGHT)
    bad = PersonFrame(1, np.zeros((25, 2), np.float32), np.ones(25, np.float32))
    r.send(at30(0), [bad], layout="nturgb+d")  # a stray message first used to switch inference off
    r.burst([at30(i) for i in range(1, 9)])
    # After valid input, another layout of the same joint count used to be classified silently.
    for i in range(9, 17):
        r.send(at30(i), [person(1, i)])
        r.send(at30(i) + 1_000_000, [person(5, i)], layout="halpe17")
    r.wait_labels(2)
    r.client.spin_until(lambda: False, 1.0)
    assert r.labels(5) == []
    values = r.values()
    assert values["skipped_wrong_layout_total"] == "9" and values["windows_classified_total"] == "2"
    assert any(s.level == WARN for s in r.diag)
    out = r.close()
    assert "skipped skeletons with layout 'nturgb+d'" in out


def test_diagnostics_error_while_every_message_is_dropped(run) -> None:
    r = run(*EIGHT)
    for i in range(20):  # one second of nothing but the wrong layout
        r.send(at30(i), [person(1, i)], layout="nturgb+d")
        r.client.spin_until(lambda: False, 0.05)
    assert r.client.spin_until(lambda: any(s.level == ERROR for s in r.diag), 10)
    error = next(s for s in r.diag if s.level == ERROR)
    assert "dropping all input" in error.message
    r.burst([at30(i) for i in range(20, 28)])
    r.diag.clear()
    assert r.client.spin_until(lambda: any(s.level == OK for s in r.diag), 10)  # OK once input is used again


def test_huge_coordinates_zero_image_size_and_too_many_people(run) -> None:
    r = run(*EIGHT, "max_tracks:=2")
    for i in range(8):
        people = [person(1, i), person(2, i)]
        people[0].coords[[0, 3, 7]] = 3e38  # finite, but overflows inside the model
        r.send(at30(i), people, bbox=[float("nan"), 0.0, 3e38, float("inf")], width=0, height=0)
    r.wait_labels(1, tid=1)
    r.wait_labels(1, tid=2)
    for a in r.labels(1) + r.labels(2):
        assert math.isfinite(a.score) and all(math.isfinite(p) for p in a.probabilities)
        assert list(a.bbox) == [0.0] * 4  # a NaN/huge box from the input is "unknown", never NaN
    for i in range(8, 12):  # four people, two tracks kept: the two least recently seen are dropped
        r.send(at30(i), [person(t, i) for t in (1, 2, 3, 4)])
    values = r.values()
    assert values["non_finite_joints_total"] == "24"
    assert values["image_size_fallback_total"] == "8"
    assert int(values["evicted_tracks_total"]) >= 2 and values["non_finite_results_total"] == "0"
    assert values["tracks"] == "2"
    out = r.close()
    assert "does not fit the skeletons" in out and "more people than max_tracks (2)" in out
