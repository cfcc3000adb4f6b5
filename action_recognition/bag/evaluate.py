"""`bag eval`: start the pipeline, replay a bag into it, record /actions, score and time them.

Order of events: read the bag's ground truth and topics -> start the nodes (own process group) ->
wait for their label map and for both directions of the topics to match -> replay the input topic
(stamps shifted to now) -> drain: wait until the first node has counted every sent message or
nothing new arrives -> a last diagnostics round -> stop the nodes -> report. SIGINT/SIGTERM during any
of it stops the replay and reports what was measured so far.

Message counts: `sent` = input messages the replay published; `received_by_pipeline` = the first
node's own `received_total` (from its /diagnostics); `dropped` = sent - received (QoS queues that
overflowed, e.g. replaying faster than the nodes run) plus frames the pose node skipped while busy.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition import paths
from action_recognition.bag.io import IMAGE_TYPES, SKELETON_TYPE, BagError, BagSummary, read_summary
from action_recognition.bag.metrics import WindowResult, accuracy_report, latency_summary
from action_recognition.bag.pipeline import EVAL_QOS_DEPTH, Pipeline, input_topic, pipeline_commands
from action_recognition.bag.player import Player, PlayOptions
from action_recognition.bag.report import write_report

LATENCY_DEFINITION = (
    "wall-clock receipt of an /actions message minus the wall-clock time the replay published the source "
    "message whose (shifted) header stamp the ActionArray carries"
)
EXIT_OK, EXIT_REGRESSION, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class EvalOptions:
    launch: str = "auto"  # action | pipeline | none | auto (action for skeleton bags, pipeline for images)
    rate: float = 1.0
    action_model: str | None = None
    launch_args: Sequence[str] = ()
    namespace: str | None = None  # with launch none: where the running nodes are
    input_topic: str | None = None  # bag topic to replay; None = the only skeleton/image topic
    startup_timeout_s: float = 120.0
    drain_s: float = 2.0  # quiet time on /actions that ends the drain
    max_drain_s: float = 30.0
    min_accuracy: float | None = None
    max_latency_ms: float | None = None
    use_launcher: bool | None = None  # None = when action_recognition/cli/launch.py exists
    log: Callable[[str], None] | None = None  # progress lines (the CLI prints them)


@dataclass
class _Record:
    """What the recorder thread collects; read by the main thread after the replay."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    labels: list[str] | None = None
    arrays: list[tuple[int, Any]] = field(default_factory=list)  # (receipt wall ns, ActionArray)
    last_action_mono: float = 0.0
    diag: dict[str, dict[str, str]] = field(default_factory=dict)  # node name -> latest key/values
    diag_mono: float = 0.0
    sent: dict[int, tuple[int, int]] = field(default_factory=dict)  # published stamp -> (bag stamp, wall ns)


def _choose_input(summary: BagSummary, wanted: str | None) -> tuple[str, str]:
    if wanted:
        if wanted not in summary.topics:
            raise BagError(f"{summary.path}: no topic {wanted}; it has {sorted(summary.topics)}")
        return wanted, summary.topics[wanted]
    for types in ((SKELETON_TYPE,), IMAGE_TYPES):
        topics = summary.topics_of(*types)
        if len(topics) > 1:
            raise BagError(
                f"{summary.path}: several candidate input topics {topics}; pick one with --input-topic"
            )
        if topics:
            return topics[0], summary.topics[topics[0]]
    raise BagError(f"{summary.path}: no SkeletonArray or Image topic to replay (topics: {summary.topics})")


class _Recorder:
    """A node in its own context and executor thread: /actions, the label map, diagnostics."""

    def __init__(self, ns: str, record: _Record) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from rclpy.signals import SignalHandlerOptions

        from action_recognition.msg import ActionArray, LabelMap
        from action_recognition.nodes.qos import label_map_qos

        self.record = record
        self.ns = "/" + ns.strip("/")
        # The launcher gives its nodes a Fast DDS profile with a large shared-memory segment; the replay
        # uses the same, or images go over UDP loopback, where best-effort readers lose most of them.
        profile = paths.config_dir() / "fastdds_shm.xml"
        if profile.is_file():
            os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(profile))
        self.ctx = rclpy.Context()
        rclpy.init(args=[], context=self.ctx, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(f"bag_eval_{os.getpid()}", context=self.ctx)
        deep = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        self.actions_sub = self.node.create_subscription(ActionArray, f"{ns}/actions", self._on_actions, deep)
        self.node.create_subscription(LabelMap, f"{ns}/label_map", self._on_labels, label_map_qos())
        for topic in ("/diagnostics", f"{ns}/diagnostics"):
            self.node.create_subscription(DiagnosticArray, topic, self._on_diag, deep)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        from rclpy.executors import ExternalShutdownException

        try:
            while self.ctx.ok():
                self.executor.spin_once(timeout_sec=0.05)
        except (ExternalShutdownException, RuntimeError):
            pass  # shut down from the main thread

    def _on_actions(self, msg: Any) -> None:
        now = time.time_ns()
        with self.record.lock:
            self.record.arrays.append((now, msg))
            self.record.last_action_mono = time.monotonic()

    def _on_labels(self, msg: Any) -> None:
        with self.record.lock:
            self.record.labels = list(msg.labels)

    def _on_diag(self, msg: Any) -> None:
        # Only our own nodes: their hardware_id is their fully qualified name, /NS/node. Another
        # pipeline in the domain publishes the same status names on the same /diagnostics topic;
        # reading those gave "received 0 dropped 592". Stored under "node: what", as before.
        own = [s for s in msg.status if _own_node(s.hardware_id, self.ns)]
        if not own:
            return
        with self.record.lock:
            for status in own:
                name = status.name.removeprefix(f"{self.ns}/")
                self.record.diag[name] = {kv.key: kv.value for kv in status.values}
            self.record.diag_mono = time.monotonic()

    def close(self) -> None:
        import rclpy

        rclpy.try_shutdown(context=self.ctx)
        self._thread.join(timeout=5)
        self.node.destroy_node()


def _own_node(hardware_id: str, ns: str) -> bool:
    """True for a node directly in namespace `ns` (hardware_id = fully qualified node name)."""
    parent, _, node = hardware_id.rpartition("/")
    return bool(node) and parent == ns


def _node_count(diag: dict[str, dict[str, str]], node: str, key: str) -> int | None:
    values = [int(v[key]) for name, v in diag.items() if name.startswith(f"{node}:") and key in v]
    return sum(values) if values else None


class _Interrupt:
    """SIGINT/SIGTERM -> a flag (and stop the replay), so the report is still written."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.player: Player | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.event.set()
        if self.player is not None:
            self.player.stop()

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


def evaluate(
    bag: str | Path, out_dir: str | Path, options: EvalOptions | None = None
) -> tuple[dict[str, Any], int]:
    """Run the evaluation; returns (report, exit status). BagError for a bag that cannot be used."""
    opts = options or EvalOptions()
    summary = read_summary(bag)
    topic, msgtype = _choose_input(summary, opts.input_topic)
    launch = opts.launch
    if launch == "auto":
        launch = "action" if msgtype == SKELETON_TYPE else "pipeline"
    if launch == "action" and msgtype != SKELETON_TYPE:
        raise BagError(f"--launch action needs a SkeletonArray topic; {topic} is {msgtype}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ns = opts.namespace or f"/bag_eval_{os.getpid()}_{random.SystemRandom().randint(0, 99999)}"
    record = _Record()
    errors: list[str] = []
    pipeline: Pipeline | None = None
    recorder: _Recorder | None = None
    player: Player | None = None
    replay_end = replay_start = time.monotonic()
    with _Interrupt() as interrupt:
        try:
            recorder = _Recorder(ns, record)
            if launch != "none":
                cmds = pipeline_commands(
                    launch, ns, opts.action_model, opts.launch_args, opts.use_launcher, config_dir=out
                )
                pipeline = Pipeline(cmds, out / "pipeline.log")
                if opts.log:
                    opts.log(f"started {launch} in {ns} (log {out / 'pipeline.log'})")
                target = input_topic(launch, ns)
            else:
                target = topic
            ready = _wait_ready(recorder, record, pipeline, opts.startup_timeout_s, interrupt)
            if ready is not None:
                errors.append(ready)
            else:

                def on_publish(_t: str, original: int | None, stamp: int | None, wall: int) -> None:
                    if stamp is not None and original is not None:
                        record.sent[stamp] = (original, wall)  # one writer; read after the replay

                player = Player(
                    recorder.node,
                    bag,
                    PlayOptions(
                        rate=opts.rate,
                        topics=[topic],
                        remap={topic: target},
                        wait_for_subscribers=1,
                        wait_timeout_s=opts.startup_timeout_s,
                        qos_depth=EVAL_QOS_DEPTH,  # reliable, deep: a busy node falls behind, loses nothing
                    ),
                    on_publish=on_publish,
                )
                interrupt.player = player
                replay_start = time.monotonic()
                if opts.log:
                    opts.log(f"replaying {topic} -> {target} at {opts.rate}x")
                if not interrupt.event.is_set():
                    player.run()
                replay_end = time.monotonic()
                if player.stats.error:
                    errors.append(f"replay stopped: {player.stats.error}")
                _drain(
                    record,
                    player.stats.total_sent,
                    "action_node" if launch == "action" else "pose_node",
                    opts,
                    interrupt,
                )
        finally:
            if pipeline is not None:
                codes = pipeline.stop()
                if any(c not in (0, -2, None) for c in codes) and not interrupt.event.is_set():
                    errors.append(f"pipeline exit codes {codes}; see pipeline.log")
            if recorder is not None:
                recorder.close()
    report = _report(
        summary,
        topic,
        launch,
        opts,
        record,
        player,
        errors,
        interrupt.event.is_set(),
        replay_end - replay_start,
    )
    write_report(report, out)
    if interrupt.event.is_set():
        return report, EXIT_INTERRUPTED
    if errors:
        return report, EXIT_ERROR
    return report, EXIT_OK if all(g["ok"] for g in report["thresholds"].values()) else EXIT_REGRESSION


def _wait_ready(
    recorder: _Recorder, record: _Record, pipeline: Pipeline | None, timeout: float, interrupt: _Interrupt
) -> str | None:
    """None once the label map came and /actions is matched, else why not."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pipeline is not None and (why := pipeline.failed()):
            return f"the pipeline did not start: {why}\n{pipeline.log_tail()}"
        with record.lock:
            labels = record.labels
        if labels is not None and recorder.actions_sub.get_publisher_count() > 0:
            return None
        if interrupt.wait(0.1):
            return "interrupted before the pipeline was up"
    tail = pipeline.log_tail() if pipeline is not None else ""
    return f"no label map / /actions publisher within {timeout:.0f} s\n{tail}"


def _drain(record: _Record, sent: int, first_node: str, opts: EvalOptions, interrupt: _Interrupt) -> None:
    """Wait for in-flight work: the first node counted everything (or gave up) and /actions went quiet."""
    start = time.monotonic()
    wait = 1.0 if interrupt.event.is_set() else opts.max_drain_s  # interrupted: a short look only
    while time.monotonic() - start < wait:
        with record.lock:
            received = _node_count(record.diag, first_node, "received_total")
            quiet = time.monotonic() - max(record.last_action_mono, start) >= opts.drain_s
        if quiet and (received is None or received >= sent or time.monotonic() - start > 2 * opts.drain_s):
            break
        time.sleep(0.05)
    # One more diagnostics round after the drain so the counters include the last messages.
    mark = time.monotonic()
    while time.monotonic() - mark < 2.5:
        with record.lock:
            if record.diag_mono > mark:
                break
        time.sleep(0.05)


def _report(
    summary: BagSummary,
    topic: str,
    launch: str,
    opts: EvalOptions,
    record: _Record,
    player: Player | None,
    errors: list[str],
    interrupted: bool,
    replay_wall_s: float,
) -> dict[str, Any]:
    windows: list[WindowResult] = []
    latencies: list[float] = []
    unmatched_stamps = 0
    with record.lock:
        arrays, sent_map, diag, labels = (
            list(record.arrays),
            dict(record.sent),
            dict(record.diag),
            record.labels,
        )
    for receipt, arr in arrays:
        stamp = int(arr.header.stamp.sec) * 1_000_000_000 + int(arr.header.stamp.nanosec)
        source = sent_map.get(stamp)
        if source is None:
            unmatched_stamps += 1
        else:
            latencies.append((receipt - source[1]) / 1e6)
        for a in arr.actions:
            end = int(a.window_end.sec) * 1_000_000_000 + int(a.window_end.nanosec)
            bag_end = sent_map.get(end, (None,))[0]
            if bag_end is None:
                continue
            windows.append(WindowResult(int(a.track_id), str(a.label), float(a.score), bag_end))
    stats = player.stats if player is not None else None
    sent = stats.total_sent if stats else 0
    first = "action_node" if launch == "action" else "pose_node"
    received = _node_count(diag, first, "received_total")
    busy_drops = _node_count(diag, "pose_node", "dropped_total") if launch == "pipeline" else 0
    dropped = None if received is None else max(0, sent - received) + (busy_drops or 0)
    accuracy = None
    if summary.ground_truth:
        accuracy = accuracy_report(windows, summary.ground_truth, summary.classes or labels or [])
    lat = latency_summary(latencies)
    span = replay_wall_s if replay_wall_s > 0 else float("nan")
    report: dict[str, Any] = {
        "bag": str(summary.path),
        "storage": summary.storage,
        "input_topic": topic,
        "launch": launch,
        "rate": opts.rate,
        "interrupted": interrupted,
        "errors": errors,
        "model_labels": labels,
        "bag_classes": summary.classes,
        "ground_truth_segments": len(summary.ground_truth),
        "accuracy": accuracy,
        "latency_ms": lat,
        "latency_definition": LATENCY_DEFINITION,
        "messages": {
            "in_bag": summary.counts.get(topic, 0),
            "sent": sent,
            "received_by_pipeline": received,
            "dropped": dropped,
            "actions_received": len(arrays),
            "actions_without_source_stamp": unmatched_stamps,
            "windows_received": sum(len(a.actions) for _, a in arrays),
            # due windows the action node left unlabelled: it fell more than qos_depth messages behind
            "windows_merged": _node_count(diag, "action_node", "merged_windows_total"),
        },
        "processing_rate": {
            "input_hz": (received / span) if received is not None and span == span else None,
            "actions_hz": len(arrays) / span if span == span else None,
        },
        "replay": {
            "wall_s": replay_wall_s,
            "passes": stats.passes if stats else 0,
            "skipped_types": stats.skipped_types if stats else {},
            "timing_error_ms": latency_summary(np.abs(stats.timing_error_ms).tolist() if stats else []),
        },
        "diagnostics": diag,
    }
    report["thresholds"] = _gates(report, opts)
    return report


def _gates(report: dict[str, Any], opts: EvalOptions) -> dict[str, dict[str, Any]]:
    gates: dict[str, dict[str, Any]] = {}
    if opts.min_accuracy is not None:
        acc = report["accuracy"]["top1"] if report["accuracy"] else None
        gates["min_accuracy"] = {
            "value": acc,
            "limit": opts.min_accuracy,
            "ok": acc is not None and acc >= opts.min_accuracy,
        }
    if opts.max_latency_ms is not None:
        p95 = report["latency_ms"]["p95"]
        gates["max_latency_ms"] = {
            "value": p95,
            "limit": opts.max_latency_ms,
            "ok": p95 is not None and p95 <= opts.max_latency_ms,
        }
    return gates
