"""Scoring /actions against ground truth: matching by track and time, window/segment accuracy, CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from action_recognition.bag.ground_truth import AnnotationError, Segment, read_annotations
from action_recognition.bag.metrics import WindowResult, accuracy_report, latency_summary, match

S = 1_000_000_000
CLASSES = ["walking", "waving", "sitting"]


def seg(track: int, label: str, start_s: float, end_s: float, name: str = "") -> Segment:
    return Segment(track, CLASSES.index(label), label, round(start_s * S), round(end_s * S), name or label)


def win(track: int, label: str, end_s: float, score: float = 0.9) -> WindowResult:
    return WindowResult(track, label, score, round(end_s * S))


def test_windows_match_their_track_and_time_and_track_minus_one_matches_everyone() -> None:
    segments = [seg(10, "walking", 0, 2), seg(20, "waving", 0, 2), seg(-1, "sitting", 5, 6)]
    windows = [win(10, "walking", 1), win(20, "walking", 2.0), win(30, "sitting", 5.5), win(10, "x", 3)]
    assert match(windows, segments) == [0, 1, 2, None]  # end inclusive; t=3 is in no segment


def test_accuracy_confusion_per_class_and_segments() -> None:
    segments = [
        seg(10, "walking", 0, 4, "a"),
        seg(20, "waving", 10, 14, "b"),
        seg(30, "sitting", 20, 24, "c"),
    ]
    windows = [
        win(10, "walking", 1),
        win(10, "walking", 2),
        win(10, "waving", 3),  # a: 2/3, vote walking
        win(20, "unknown", 11, 0.5),
        win(20, "waving", 12),  # b: 1/2; the vote tie goes to waving (score)
        win(99, "walking", 12),  # a bystander: no ground truth, not counted
    ]
    r = accuracy_report(windows, segments, CLASSES)
    assert r["windows_matched"] == 5 and r["windows_unmatched"] == 1
    assert r["correct"] == 3 and r["top1"] == pytest.approx(3 / 5)
    assert r["per_class"]["walking"] == {"windows": 3, "correct": 2, "accuracy": pytest.approx(2 / 3)}
    assert r["per_class"]["sitting"]["accuracy"] is None  # no window at all
    m = r["confusion"]["matrix"]
    assert r["confusion"]["cols"] == [*CLASSES, "unknown"]
    assert m[0] == [2, 1, 0, 0] and m[1] == [0, 1, 0, 1] and m[2] == [0, 0, 0, 0]
    by_name = {row["segment"]: row for row in r["segments"]}
    assert by_name["a"]["predicted"] == "walking" and by_name["a"]["correct"]
    assert by_name["c"]["predicted"] is None and not by_name["c"]["correct"]  # missed segment is wrong
    assert r["segments_correct"] == 2 and r["segment_accuracy"] == pytest.approx(2 / 3)
    assert r["segments_without_windows"] == 1


def test_segment_vote_tie_goes_to_the_higher_summed_score() -> None:
    segments = [seg(1, "waving", 0, 10)]
    windows = [win(1, "walking", 1, 0.4), win(1, "waving", 2, 0.8)]
    r = accuracy_report(windows, segments, CLASSES)
    assert r["segments"][0]["predicted"] == "waving" and r["top1"] == pytest.approx(0.5)


def test_latency_summary() -> None:
    s = latency_summary([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert s["count"] == 5 and s["p50"] == 30.0 and s["max"] == 1000.0 and 40 < s["p95"] < 1000
    assert latency_summary([])["p95"] is None


def test_segment_csv_times_become_frame_stamps(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("start,end,label,track_id\n0,1.5,walking,\n2.0,3.0,waving,4\n")
    segs, classes = read_annotations(csv, None, fps=10.0, num_frames=40, start_ns=5 * S, name="v.mp4")
    assert classes == ["walking", "waving"]
    assert segs[0] == Segment(-1, 0, "walking", 5 * S, 5 * S + 15 * S // 10, "v.mp4#0")
    assert segs[1].track_id == 4 and segs[1].start_ns == 7 * S and segs[1].class_id == 1


def test_per_frame_csv_becomes_runs_and_fixed_classes_keep_their_ids(tmp_path: Path) -> None:
    csv = tmp_path / "f.csv"
    rows = [(f, "sitting") for f in range(0, 4)] + [(f, "walking") for f in range(4, 6)] + [(8, "walking")]
    csv.write_text("frame,label\n" + "".join(f"{f},{lab}\n" for f, lab in rows))
    segs, classes = read_annotations(csv, CLASSES, fps=2.0, num_frames=10, start_ns=0, name="v")
    assert classes == CLASSES
    assert [(s.label, s.class_id, s.start_ns, s.end_ns) for s in segs] == [
        ("sitting", 2, 0, 3 * S // 2),
        ("walking", 0, 2 * S, 5 * S // 2),
        ("walking", 0, 4 * S, 4 * S),  # frame 8 after a gap: its own segment
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "need start,end,label or frame,label"),
        ("frame,label\n3,flying\n", "not one of the classes"),
        ("start,end,label\n2,1,walking\n", "ends before it starts"),
        ("frame,label\n99,walking\n", "after the video's last frame"),
        ("frame,label\nx,walking\n", ":2:"),
    ],
)
def test_bad_annotation_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(text)
    with pytest.raises(AnnotationError, match=message):
        read_annotations(csv, CLASSES, fps=10.0, num_frames=20, start_ns=0, name="v")
