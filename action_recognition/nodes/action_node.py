"""Action node: SkeletonArray of tracked people in, what each person is doing out.

Topics (remap with -r): `skeletons` (SkeletonArray) in; `actions` (ActionArray, one per inference
round, and an empty one for a frame with nobody), `label_map` (LabelMap, once, transient-local) and
`/diagnostics` out. Windows, batching and timing live in `action_recognition.recognition`; this node
only converts messages and reports.

The subscription callback appends each frame and decides its round (which tracks are due, their
windows cut); a worker thread runs the rounds' forward passes in order. A worker that falls behind
runs the waiting rounds later, each as it was decided (the same labels as a node that kept up), up to
`qos_depth` messages behind; beyond that its late rounds are merged into one round on the newest
windows (counted, `merged_windows_total`), so latency and memory stay bounded.

A lifecycle node (nodes/lifecycle.py): configure loads the model, activate subscribes, deactivate
unsubscribes; autostart (default) does both at start. score_threshold, smoothing, stride_s, period,
min_window_s, max_batch and diagnostics_period change at run time (`ros2 param set`); the others are
read-only. `window_s` and `min_window_s` read their effective values once configured.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from action_recognition.model.backends import backend_name
from action_recognition.msg import Action, ActionArray, LabelMap, SkeletonArray
from action_recognition.nodes.keypoints import keypoint_rows
from action_recognition.nodes.lifecycle import ManagedNode
from action_recognition.nodes.params import ACTION_NODE_PARAMS
from action_recognition.nodes.qos import InputSubscription, label_map_qos
from action_recognition.nodes.run import run_node
from action_recognition.recognition import (
    ActionRecognizer,
    ActionResult,
    ModelSourceError,
    PersonFrame,
    RecognizerConfig,
    load_action_model,
)
from action_recognition.recognition.recognizer import PendingBatch

# The node parameters that are RecognizerConfig fields, by the same names.
RECOGNIZER_PARAMS: tuple[str, ...] = (
    "window_s",
    "min_window_s",
    "stride_s",
    "persons_per_sample",
    "smoothing",
    "score_threshold",
    "track_timeout",
    "max_tracks",
    "max_batch",
)


def recognizer_config(params: dict) -> RecognizerConfig:
    """The recognizer settings among the node's parameter values; with a period, every new frame counts."""
    config = RecognizerConfig(**{name: params[name] for name in RECOGNIZER_PARAMS})
    if params["period"] > 0:
        config.stride_s = 0.0
    return config


@dataclass
class _Stats:
    received: int = 0
    empty: int = 0
    stale: int = 0  # held frames found to be strays (out of order, or stamped far off)
    duplicate: int = 0
    held: int = 0  # frames that broke the run of stamps, held until the next frame decided
    clock_jumps: int = 0  # stamps went back (bag loop, sim-time reset, clock set back)
    forward_gaps: int = 0  # stamps went forward by more than track_timeout at once
    wrong_joints: int = 0
    non_finite: int = 0
    wrong_layout: int = 0
    image_size_fallback: int = 0  # frames normalised by the skeletons' extent (no believable image size)
    evicted_tracks: int = 0  # tracks dropped beyond max_tracks
    merged_windows: int = 0  # due windows not labelled: the worker was more than qos_depth messages behind
    backlog_max: int = 0  # most messages the worker's next round was behind the input
    published: int = 0
    latency_ms: list[float] = field(default_factory=list)
    infer_ms: list[float] = field(default_factory=list)
    infer_cpu_ms: float = 0.0  # CPU time of all forward passes (see ActionNode._forward_clock)

    def dropped(self) -> int:
        """Messages not used (so far), for the diagnostics level."""
        return self.stale + self.duplicate + self.wrong_layout

    def skipped(self) -> int:
        """Skeletons skipped or frames degraded (counted warnings), for the diagnostics level."""
        return self.wrong_joints + self.evicted_tracks + self.image_size_fallback + self.non_finite


# Diagnostics: a period where input arrived but every message was dropped is an ERROR, one where some
# were dropped a WARN, so a node that silently stopped using its input shows on /diagnostics.


def stamp_ns(stamp: Time) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def ns_to_stamp(ns: int) -> Time:
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def skeletons_to_frames(msg: SkeletonArray, with_z: bool) -> list[PersonFrame]:
    """Skeletons -> (coords (V, 2|3), scores (V,)) per track; the recognizer checks joint counts."""
    frames = []
    for sk in msg.skeletons:
        rows = keypoint_rows(sk)  # (V, 4) x, y, z, score
        coords = rows[:, :3] if with_z else rows[:, :2]
        frames.append(PersonFrame(int(sk.track_id), coords, rows[:, 3]))
    return frames


def result_to_msg(r: ActionResult, bbox: list[float] | None = None) -> Action:
    """`bbox`: x1, y1, x2, y2 of the track's newest skeleton (zeros when unknown)."""
    return Action(
        track_id=r.track_id,
        class_id=r.class_id,
        label=r.label,
        score=r.score,
        probabilities=r.probabilities.tolist(),
        window_start=ns_to_stamp(r.window_start_ns),
        window_end=ns_to_stamp(r.window_end_ns),
        num_frames=r.num_frames,
        bbox=bbox if bbox is not None else [0.0] * 4,
    )


class ActionNode(ManagedNode):
    setup_errors = (ModelSourceError,)

    def __init__(self) -> None:
        super().__init__("action_node", ACTION_NODE_PARAMS)
        self._lock = threading.Condition()
        self._stats = _Stats()
        self._worker: threading.Thread | None = None
        self._running = False
        self.recognizer: ActionRecognizer | None = None

    def _configure(self) -> None:
        p = self.p
        model = load_action_model(
            p["model"] or None,
            p["labels"] or None,
            p["layout"] or None,
            p["device"],
            p["threads"] or None,
            p["backend"],
            p["precision"],
            p["inference_workers"],
        )  # ModelSourceError: configure fails with its message
        self.spec = model.spec
        self.layout = self.spec.skeleton()
        period = self._period = float(p["period"])
        self.recognizer = ActionRecognizer(model.backend, self.spec, model.labels, recognizer_config(p))
        self.with_z = self.spec.normalization == "3d"
        self._stats = _Stats()
        # A forward pass with one thread and one session runs on the worker's own thread: its thread
        # time is exactly the pass's CPU. Otherwise other threads share the work: the whole process's
        # CPU during the pass (an upper bound; it also counts the message callbacks meanwhile).
        single = p["threads"] == 1 and p["inference_workers"] == 1
        self._forward_clock = time.thread_time if single else time.process_time
        self._frame_id = ""
        self._image_size = (0, 0)  # (width, height) of the newest message
        self._diag_last = (0, 0, 0)  # received, dropped, skipped at the last diagnostics
        self._received_at: OrderedDict[int, float] = OrderedDict()  # frame stamp -> monotonic receipt
        self._boxes: OrderedDict[int, list[float]] = OrderedDict()  # track id -> newest skeleton's bbox
        self._new_frames = False  # period mode: frames arrived since the last round
        # Stride mode: rounds decided on arrival, waiting for the worker: (message number, batch).
        self._pending: deque[tuple[int, PendingBatch]] = deque()
        self._running = True

        self.actions_pub = self.create_publisher(ActionArray, "actions", 10)
        self.labels_pub = self.create_publisher(LabelMap, "label_map", label_map_qos())
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        label_map = LabelMap(model_name=model.name, layout=self.layout.name, labels=model.labels)
        label_map.header.stamp = self.get_clock().now().to_msg()
        self.labels_pub.publish(label_map)
        self._worker = threading.Thread(target=self._work, name="action_inference", daemon=True)
        self._worker.start()
        c = self.recognizer.config
        # `ros2 param get` shows what is in effect, not the 0 that means "the model's".
        self.report_effective(
            {"window_s": round(c.window / c.fps, 3), "min_window_s": round(c.min_frames / c.fps, 3)}
        )
        self.get_logger().info(
            f"model {model.path} ({len(model.labels)} classes, layout {self.layout.name}, clip_len "
            f"{self.spec.clip_len}, backend {backend_name(model.backend)}); tracks resampled to "
            f"{c.fps:g} fps; "
            f"window {c.window / c.fps:.2f} s ({c.window} frames), first label after "
            f"{c.min_frames / c.fps:.2f} s, "
            + (f"period {period} s" if period > 0 else f"stride {c.stride / c.fps:.3f} s ({c.stride} frames)")
        )

    def _open_input(self) -> None:
        p = self.p
        self.sub = InputSubscription(
            self, SkeletonArray, "skeletons", self._on_skeletons, p["qos_reliability"], p["qos_depth"]
        )
        self.get_logger().info(f"subscribed to {self.sub.describe()}")

    def _apply(self, changes: dict) -> None:
        if self.recognizer is None:
            return  # not configured: the values apply at configure
        with self._lock:
            params = {**self.p, **changes}
            # window_s is read-only, so the window stays; ValueError (min_window_s > window) refuses it
            self.recognizer.reconfigure(recognizer_config(params))
            self._period = float(params["period"])
            self._lock.notify()  # a new period applies to the next wait

    def _release(self) -> None:
        self._destroy_publishers("actions_pub", "labels_pub", "diag_pub")
        self.recognizer = None

    def summary_line(self) -> str:
        s = self._stats
        windows = self.recognizer.windows_classified if self.recognizer is not None else 0
        return (f"stopped: {s.received} skeleton arrays received, {windows} windows classified, "
                f"{s.published} action arrays published, {s.stale + s.duplicate} frames dropped "
                f"(stale/duplicate), {s.wrong_layout} wrong layout, {s.merged_windows} windows merged "
                "(inference fell behind)")

    def _check_layout(self, msg: SkeletonArray) -> bool:
        # Every message (a string compare): a message of another layout is skipped and counted, the
        # next right one is used. An empty layout means "not said" and is taken as the model's.
        if not msg.layout or msg.layout == self.layout.name:
            return True
        self._stats.wrong_layout += 1
        self.get_logger().error(
            f"skipped skeletons with layout '{msg.layout}': the model expects '{self.layout.name}' "
            f"({self._stats.wrong_layout} skipped so far). Use a pose model with the '{self.layout.name}' "
            f"layout, or an action model trained on '{msg.layout}'.",
            throttle_duration_sec=5.0,
        )
        return False

    def _on_skeletons(self, msg: SkeletonArray) -> None:
        received = time.monotonic()
        self._stats.received += 1
        if not self._check_layout(msg):
            return
        stamp = stamp_ns(msg.header.stamp)
        frames = skeletons_to_frames(msg, self.with_z)
        s = self._stats
        with self._lock:
            self._frame_id = msg.header.frame_id
            self._image_size = (msg.image_width, msg.image_height)
            stats = self.recognizer.add_frame(stamp, frames, self._image_size)
            if stats.accepted:
                self._received_at[stamp] = received
                while len(self._received_at) > 256 + self.p["qos_depth"]:  # deferred rounds still find theirs
                    self._received_at.popitem(last=False)
                for sk in msg.skeletons:  # Action.bbox: where the person is now
                    box = [float(c) for c in sk.bbox]
                    finite = all(abs(c) <= 1e6 for c in box)  # NaN compares False: never published
                    self._boxes[int(sk.track_id)] = box if finite else [0.0] * 4
                    self._boxes.move_to_end(int(sk.track_id))
                while len(self._boxes) > 4 * self.recognizer.config.max_tracks:
                    self._boxes.popitem(last=False)
                if self._period > 0:
                    self._new_frames = True
                else:  # this frame's round, decided now (as if the worker were free), run in order
                    spread = self.p["spread_rounds"]
                    self._pending.extend((s.received, b) for b in self.recognizer.prepare(spread=spread))
                self._lock.notify()
        self._report(stamp, stats)
        if not msg.skeletons and not stats.dropped:
            self._stats.empty += 1
            self._publish([], stamp)  # nobody there: say so, so downstream sees data flowing

    def _report(self, stamp: int, stats) -> None:
        s, log = self._stats, self.get_logger()
        s.stale += stats.dropped_held
        s.duplicate += stats.duplicate_frame
        s.held += stats.held_frame
        if stats.duplicate_frame:
            log.warning(f"dropped a frame stamped {stamp} ns: the same stamp as the last one",
                        throttle_duration_sec=5.0)
        if stats.dropped_held:
            log.warning("dropped a frame whose stamp broke the run of stamps (out of order, or stamped "
                        f"far off) and was not confirmed by the next one, stamped {stamp} ns",
                        throttle_duration_sec=5.0)
        if stats.clock_jump_ns is not None and stats.clock_jump_ns < 0:
            s.clock_jumps += 1
            log.warning(f"message stamps jumped by {stats.clock_jump_ns / 1e9:+.3f} s (bag loop restart, "
                        f"sim-time reset or clock change): {len(stats.restarted_tracks)} track window(s) "
                        "restart; input goes on")  # each one: rare, and worth a line
        elif stats.clock_jump_ns is not None:  # a pause in the input, or the clock set forward
            s.forward_gaps += 1
            log.info(f"message stamps moved forward by {stats.clock_jump_ns / 1e9:.3f} s with nothing in "
                     "between (a pause, or the clock set forward): tracks restart", throttle_duration_sec=5.0)
        if stats.image_size_invalid:
            s.image_size_fallback += 1
            log.warning(f"image size {self._image_size} does not fit the skeletons (0, over "
                        "16384 px, or joints far outside it): normalising by the skeletons' own extent",
                        throttle_duration_sec=5.0)
        if stats.evicted_tracks:
            s.evicted_tracks += len(stats.evicted_tracks)
            log.warning(f"more people than max_tracks ({self.recognizer.config.max_tracks}): dropped the "
                        f"least recently seen track(s) {stats.evicted_tracks} ({s.evicted_tracks} so far)",
                        throttle_duration_sec=5.0)
        if stats.wrong_joint_count:
            s.wrong_joints += stats.wrong_joint_count
            self.get_logger().error(
                f"{stats.wrong_joint_count} skeleton(s) without {self.layout.num_joints} joints "
                f"(layout {self.layout.name}) skipped",
                throttle_duration_sec=5.0,
            )
        if stats.non_finite_joints:
            s.non_finite += stats.non_finite_joints
            self.get_logger().warning(
                "NaN/inf keypoints treated as missing joints", throttle_duration_sec=5.0
            )

    def _work(self) -> None:
        """Inference: the rounds the frames decided, in order (stride mode), or every `period` seconds."""
        while True:
            with self._lock:
                batches = self._next_batches()
                if batches is None:
                    return
                recognizer = self.recognizer  # cleanup may drop it while a forward pass runs
            for batch in batches:
                start, start_cpu = time.perf_counter(), self._forward_clock()
                logits = recognizer.backend.predict(batch.clips)  # outside the lock: frames keep coming
                self._stats.infer_ms.append((time.perf_counter() - start) * 1e3)
                self._stats.infer_cpu_ms += (self._forward_clock() - start_cpu) * 1e3
                with self._lock:
                    if not self._running:
                        return
                    results = recognizer.finish(batch, logits)
                self._publish(results, max(r.window_end_ns for r in results))

    def _next_batches(self) -> list[PendingBatch] | None:
        """(Under the lock) wait for work; the batches to run next, or None once stopped."""
        if not self._pending:
            if self._period > 0:
                self._lock.wait(timeout=self._period)
                if not self._running:
                    return None
                self._new_frames = False
                return self.recognizer.prepare()
            # Tracks a spread round left waiting ride with the next frame's round; without a next
            # frame within one frame of the model's rate they go on their own (`spread_timer`).
            waiting = self.recognizer.waiting > 0 and self.p["spread_timer"]
            timeout = 1.0 / self.recognizer.config.fps if waiting else None
            self._lock.wait_for(lambda: self._pending or not self._running or self._period > 0, timeout)
            if not self._running:
                return None
            if not self._pending:  # the timer; or switched to period mode: the next call waits for it
                return [] if self._period > 0 else self.recognizer.prepare(spread=self.p["spread_rounds"])
        if not self._running:
            return None
        behind = self._stats.received - self._pending[0][0]
        self._stats.backlog_max = max(self._stats.backlog_max, behind)
        if behind <= self.p["qos_depth"]:
            return [self._pending.popleft()[1]]
        # Too far behind to catch up: label each track of the late rounds once, on its newest window.
        batches, merged = self.recognizer.merge([b for _, b in self._pending])
        self._pending.clear()
        self._stats.merged_windows += merged
        self.get_logger().warning(
            f"inference fell {behind} messages behind its input (more than qos_depth "
            f"{self.p['qos_depth']}): {merged} late windows merged into the newest ones "
            f"({self._stats.merged_windows} so far)",
            throttle_duration_sec=5.0,
        )
        return batches

    def stop(self) -> None:
        # Bounded: a forward pass still running finishes in a daemon thread and is never published.
        with self._lock:
            self._running = False
            self._lock.notify()
        if self._worker is not None:
            self._worker.join(timeout=1.0)
            self._worker = None

    def _publish(self, results: list[ActionResult], newest_ns: int) -> None:
        with self._lock:
            boxes = [self._boxes.get(r.track_id) for r in results]
        out = ActionArray(actions=[result_to_msg(r, b) for r, b in zip(results, boxes, strict=True)])
        out.header.stamp = ns_to_stamp(newest_ns)
        out.header.frame_id = self._frame_id
        with self._lock:  # stop() clears _running under this lock: nothing is published after it
            if not self._running:
                return
            self.actions_pub.publish(out)
            self._stats.published += 1
            received = self._received_at.get(newest_ns)
        if received is not None:
            self._stats.latency_ms.append((time.monotonic() - received) * 1e3)

    def _diagnostic_status(self) -> DiagnosticStatus:
        s = self._stats
        latency, infer = s.latency_ms, s.infer_ms
        s.latency_ms, s.infer_ms = [], []
        name, hardware_id = self.diagnostic_name("action recognition")
        status = DiagnosticStatus(name=name, hardware_id=hardware_id)
        now = (s.received, s.dropped(), s.skipped())
        received, dropped, skipped = (a - b for a, b in zip(now, self._diag_last, strict=True))
        self._diag_last = now
        if self.sub is None:
            status.level, status.message = DiagnosticStatus.WARN, "inactive: no input (lifecycle or enable)"
        elif received and dropped >= received:
            status.level = DiagnosticStatus.ERROR
            status.message = f"dropping all input: {dropped} of {received} messages since the last report"
        elif dropped or skipped:
            status.level = DiagnosticStatus.WARN
            status.message = (f"dropping input: {dropped} of {received} messages, {skipped} skeletons "
                              "skipped or degraded since the last report (see the *_total values)")
        elif s.received == 0:
            status.level, status.message = DiagnosticStatus.WARN, f"no skeletons yet on {self.sub.topic_name}"
        else:
            status.level, status.message = DiagnosticStatus.OK, "running"
        # Read together (the forward passes' first: the process total then holds all of them), so
        # differences between two reports cover the same span: the forward passes' share of the
        # node's CPU (action-recognition bench uses them).
        infer_cpu_ms = s.infer_cpu_ms
        process_cpu_ms = time.process_time() * 1e3
        values = {
            "tracks": len(self.recognizer.tracks),
            "received_total": s.received,
            "published_total": s.published,
            "windows_classified_total": self.recognizer.windows_classified,
            "dropped_stale_total": s.stale,
            "dropped_duplicate_total": s.duplicate,
            "held_frames_total": s.held,
            "clock_jumps_total": s.clock_jumps,
            "forward_gaps_total": s.forward_gaps,
            "skipped_wrong_layout_total": s.wrong_layout,
            "skipped_wrong_joint_count_total": s.wrong_joints,
            "non_finite_joints_total": s.non_finite,
            "image_size_fallback_total": s.image_size_fallback,
            "evicted_tracks_total": s.evicted_tracks,
            "merged_windows_total": s.merged_windows,
            "backlog_max_messages": s.backlog_max,
            "non_finite_results_total": self.recognizer.non_finite_results,
            "model_fps": f"{self.recognizer.config.fps:g}",
            "inference_ms_mean": f"{np.mean(infer):.1f}" if infer else "nan",
            "latency_ms_p95": f"{np.percentile(latency, 95):.1f}" if latency else "nan",
            "cpu_ms_total": f"{process_cpu_ms:.1f}",
            "inference_cpu_ms_total": f"{infer_cpu_ms:.1f}",
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        return status


def main(args: list[str] | None = None) -> int:
    # bad model/labels/parameter: fatal, clear
    return run_node(ActionNode, "action_node", fatal=(ModelSourceError,), args=args)


if __name__ == "__main__":
    sys.exit(main())
