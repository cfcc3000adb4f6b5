"""Soak: a skeleton bag replayed in a loop against the action node for minutes; memory and losses.

    nice -n 10 .venv/bin/python benchmarks/soak_action_node.py [--minutes 10] [--rates 1 2] [--model M]

For each rate: a real action node process (shipped default model unless --model) in a fresh
namespace, and `bag play --loop` (the same Player, in this process) of a synthetic skeleton bag
(8 people, one after another, 3 s apart, as `bag make --dataset` writes them). The replay stops at
the end of a pass once the time is up. Reported per rate:

- RSS of the node: after the first pass (warm) and at the end; growth in MB and MB/hour.
- frames dropped: sent but never received by the node + received but dropped as stale/duplicate.
- windows lost: the windows the same recognizer gives offline for exactly the messages the node was
  sent (each pass's stamps as published, shifted by that pass's offset; passes in order, loop
  restarts included), fed one message at a time without DDS (`ActionRecognizer.feed`, the node's
  round policy), that did not come back on /actions (matched by track, window_end and label);
  also listed per pass and person. Windows that came back but are not in the reference are
  counted as "extra". The node's own totals (windows classified, windows merged because it fell
  more than qos_depth messages behind) are shown beside them.

The reference must use the published stamps: every track is resampled onto the model's frame grid
(fixed in stamp time), so a pass shifted by an arbitrary offset can give a person one grid frame more
or less than the bag's own stamps, and one window more or less (a first reference used the bag's
stamps and counted 6 of 1548 windows "lost" at rate 1 that were never due). The node runs with
`spread_timer:=false`: rounds that depend on the input alone, so the comparison is exact (with the
timer, a waiting track is labelled when no frame came within one model frame of wall-clock time).

Output: a Markdown table (machine and date in the header line). Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from action_recognition import paths
from action_recognition.bag.io import iter_messages, open_bag
from action_recognition.bag.make import make_skeleton_bag
from action_recognition.bag.typestore import typestore
from action_recognition.data.synth.generator import SynthConfig, generate_dataset

SUMMARY = re.compile(r"stopped: (\d+) skeleton arrays received, (\d+) windows classified, "
                     r"(\d+) action arrays published, (\d+) frames dropped")
MERGED = re.compile(r"(\d+) windows merged \(inference fell behind\)")
# Rounds that depend on the input alone (see the module doc); --param can override it.
EXACT_PARAMS = ["spread_timer:=false"]


def make_bag(folder: Path, people: int, seed: int) -> Path:
    data = generate_dataset(SynthConfig(), {"test": people}, seed=seed)
    out = folder / "soak_bag"
    make_skeleton_bag(data, data["annotations"], out, storage="sqlite3")
    return out


def read_messages(bag: Path) -> list:
    store = typestore()
    with open_bag(bag) as reader:
        return [store.deserialize_cdr(raw, t) for _, t, _, raw in iter_messages(reader, ["/skeletons"])]


def offline_windows(messages: list, offsets: list[int], model: str | None, params: list[str]) -> Counter:
    """(pass, track id, window_end, label) -> count, for the passes as published (stamp + offset)."""
    from action_recognition.nodes.action_node import recognizer_config, skeletons_to_frames
    from action_recognition.nodes.params import ACTION_NODE_PARAMS, defaults
    from action_recognition.recognition import ActionRecognizer, load_action_model

    p = defaults(ACTION_NODE_PARAMS)
    for item in params:  # --param values the node got, as the node would read them
        key, _, value = item.partition(":=")
        p[key] = type(p[key])(value.lower() == "true" if isinstance(p[key], bool) else value)
    loaded = load_action_model(model or None, None, None, "cpu", 1)
    rec = ActionRecognizer(loaded.backend, loaded.spec, loaded.labels, recognizer_config(p))
    windows: Counter = Counter()
    for index, offset in enumerate(offsets):
        for msg in messages:
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec + offset
            size = (msg.image_width, msg.image_height)
            for r in rec.feed(stamp, skeletons_to_frames(msg, False), size, spread=p["spread_rounds"]):
                windows[(index, r.track_id, r.window_end_ns, r.label)] += 1
    return windows


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def node_pid(proc: subprocess.Popen) -> int:
    """The node's pid: the venv python re-executes itself (same pid), so it is the child's."""
    return proc.pid


def soak(bag: Path, rate: float, minutes: float, model: str | None, per_pass: int,
         params: list[str]) -> dict[str, float]:
    import rclpy
    from rclpy.signals import SignalHandlerOptions

    from action_recognition.bag.player import Player, PlayOptions

    ns = f"/soak_{os.getpid()}_{random.SystemRandom().randint(0, 99999)}"
    cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args", "-r", f"__ns:={ns}",
           "-r", f"/diagnostics:={ns}/diagnostics"]
    if model:
        cmd += ["-p", f"model:={model}"]
    for p in params:
        cmd += ["-p", p]
    log_path = Path(tempfile.mkdtemp(prefix="soak_")) / "action_node.log"
    log = log_path.open("w")
    node = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    ctx = rclpy.Context()
    rclpy.init(args=[], context=ctx, signal_handler_options=SignalHandlerOptions.NO)
    client = rclpy.create_node("soak_player", context=ctx)
    from action_recognition.msg import ActionArray
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    pass_of_stamp: dict[int, int] = {}  # published header stamp -> pass index
    offsets: list[int] = []  # per pass: published stamp - bag stamp
    received: list[tuple[int, int, str]] = []  # (window_end, track id, label) of each window on /actions

    def on_actions(msg: ActionArray) -> None:
        for a in msg.actions:
            received.append((a.window_end.sec * 10**9 + a.window_end.nanosec, int(a.track_id), a.label))

    client.create_subscription(ActionArray, f"{ns}/actions", on_actions,
                               QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
    executor = rclpy.executors.SingleThreadedExecutor(context=ctx)
    executor.add_node(client)
    spinner = threading.Thread(target=lambda: _spin(executor, ctx), daemon=True)
    spinner.start()
    sent = 0
    rss: list[tuple[float, float]] = []
    deadline = [0.0]
    options = PlayOptions(rate=rate, loop=True, remap={"/skeletons": f"{ns}/skeletons"},
                          topics=["/skeletons"], wait_for_subscribers=1, wait_timeout_s=300.0)

    def on_publish(topic: str, original: int | None, stamp: int | None, sent_at: int) -> None:
        nonlocal sent
        if stamp is not None:
            pass_of_stamp[stamp] = sent // per_pass
            if sent % per_pass == 0:
                offsets.append(stamp - original)
        sent += 1
        if sent % per_pass == 0:  # end of a pass: sample memory, stop once the time is up
            rss.append((time.monotonic(), rss_mb(node_pid(node))))
            if time.monotonic() >= deadline[0]:
                player.stop()

    player = Player(client, bag, options, on_publish=on_publish)
    started = time.monotonic()
    deadline[0] = started + minutes * 60  # includes the node's start-up (waiting for its subscription)
    try:
        stats = player.run()
    finally:
        time.sleep(3.0)  # let the node finish its last windows
        os.killpg(node.pid, signal.SIGTERM)
        rclpy.try_shutdown(context=ctx)
        spinner.join(timeout=5)
        client.destroy_node()
        node.wait(timeout=30)
    log.close()
    text = log_path.read_text()
    m = SUMMARY.search(text)
    if m is None:
        raise RuntimeError(f"no summary line from the node:\n{text[-3000:]}")
    received_total, windows, _, stale = (int(x) for x in m.groups())
    merged = MERGED.search(text)
    passes = sent // per_pass
    # A window belongs to the pass whose message stamp it ends on (-1: no such message).
    got = Counter((pass_of_stamp.get(end, -1), track, end, label) for end, track, label in received)
    return {
        "rate": rate, "minutes": round((time.monotonic() - started) / 60, 1), "passes": passes, "sent": sent,
        "received": received_total, "dropped": (sent - received_total) + stale, "windows": windows,
        "merged": int(merged.group(1)) if merged else 0, "offsets": offsets[:passes],
        "rss_warm": rss[0][1] if rss else float("nan"), "rss_end": rss[-1][1] if rss else float("nan"),
        "hours": (rss[-1][0] - rss[0][0]) / 3600 if len(rss) > 1 else float("nan"),
        "unacked": len(stats.unacked_topics),
        "jumps": text.count("stamps jumped"),
        "got": got,
    }


def _spin(executor, ctx) -> None:
    try:
        while ctx.ok():
            executor.spin_once(timeout_sec=0.05)
    except Exception:  # shut down from the main thread
        pass


def per_person(windows: Counter) -> Counter:
    out: Counter = Counter()
    for (p, track, _end, _label), n in windows.items():
        out[(p, track)] += n
    return out


def losses(got: Counter, expected: Counter) -> list[str]:
    """'pass P track T: got/expected' for every (pass, track) with a reference window that did not come."""
    short = expected - got  # multiset difference: reference windows (track, end, label) missing
    have, want = per_person(got), per_person(expected)
    return [f"pass {p} track {t}: {have[(p, t)]}/{want[(p, t)]}" for p, t in sorted(per_person(short))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="per rate (default 10)")
    ap.add_argument("--rates", type=float, nargs="+", default=[1.0, 2.0])
    ap.add_argument("--model", help="action model (default: the shipped default model)")
    ap.add_argument("--people", type=int, default=8, help="samples in the bag")
    ap.add_argument("--param", action="append", default=[], metavar="NAME:=VALUE",
                    help="action node parameter (repeatable)")
    args = ap.parse_args()
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(101, 200)))
    profile = paths.config_dir() / "fastdds_shm.xml"
    if profile.is_file():
        os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(profile))
    params = [*EXACT_PARAMS, *args.param]
    with tempfile.TemporaryDirectory() as tmp:
        bag = make_bag(Path(tmp), args.people, seed=5)
        messages = read_messages(bag)
        per_pass = len(messages)
        rows = [soak(bag, rate, args.minutes, args.model, per_pass, params) for rate in args.rates]
    for r in rows:
        r["expected"] = offline_windows(messages, r["offsets"], args.model, params)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nsoak: {platform.node()}, {os.cpu_count()} CPUs, {when}; bag {per_pass} SkeletonArrays/pass "
          f"({args.people} people); model {args.model or paths.default_action_model()}; node parameters "
          f"{params}\n")
    head = ["rate", "minutes", "passes", "sent", "received", "frames dropped", "windows expected",
            "windows on /actions", "windows classified", "windows merged", "windows lost", "extra",
            "RSS warm MB", "RSS end MB", "growth MB", "MB/hour", "jump warnings"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    worst = 0
    for r in rows:
        expected, got = r["expected"], r["got"]
        lost, extra = sum((expected - got).values()), sum((got - expected).values())
        worst = max(worst, lost)
        growth = r["rss_end"] - r["rss_warm"]
        per_hour = growth / r["hours"] if r["hours"] and r["hours"] == r["hours"] else float("nan")
        cells = [f"{r['rate']:g}", r["minutes"], r["passes"], r["sent"], r["received"], r["dropped"],
                 sum(expected.values()), sum(got.values()), r["windows"], r["merged"], lost, extra,
                 f"{r['rss_warm']:.1f}", f"{r['rss_end']:.1f}", f"{growth:+.2f}", f"{per_hour:+.2f}",
                 r["jumps"]]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    for r in rows:
        where = losses(r["got"], r["expected"])
        print(f"\nrate {r['rate']:g}: (pass, track) missing reference windows: {', '.join(where) or 'none'}")
    return 0 if worst <= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
