"""PersonTracker on made-up detections through the real Ultralytics ByteTrack: re-linking after missed
frames and abrupt moves, duplicate suppression, and the cases where neither may happen."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from action_recognition.paths import config_dir
from action_recognition.pose.tracking import PersonTracker, same_body

IMAGE = np.zeros((720, 1280, 3), np.uint8)
# A body's joints as fractions of its box (x, y): head, shoulders, hips, knees, ankles and the rest.
_REL = np.array([[0.5, 0.05], [0.45, 0.04], [0.55, 0.04], [0.4, 0.06], [0.6, 0.06], [0.3, 0.2], [0.7, 0.2],
                 [0.25, 0.35], [0.75, 0.35], [0.2, 0.5], [0.8, 0.5], [0.35, 0.55], [0.65, 0.55],
                 [0.35, 0.75], [0.65, 0.75], [0.35, 0.95], [0.65, 0.95]], np.float32)


def person(x: float, y: float, w: float = 80, h: float = 200, score: float = 0.9):
    """One detection row (x1 y1 x2 y2 score class) and its keypoints (17, 3)."""
    box = np.array([x, y, x + w, y + h, score, 0], np.float32)
    kpts = np.concatenate([_REL * [w, h] + [x, y], np.full((17, 1), 0.9, np.float32)], axis=1)
    return box, kpts


def frame(*people):
    if not people:
        return np.zeros((0, 6), np.float32), np.zeros((0, 17, 3), np.float32)
    return np.stack([p[0] for p in people]), np.stack([p[1] for p in people])


def run(tracker: PersonTracker, frames, fps: float = 30.0) -> list[list[int]]:
    """Person ids per frame, in detection order."""
    out = []
    for i, (boxes, kpts) in enumerate(frames):
        pairs = dict(tracker.update(boxes, kpts, IMAGE, stamp=i / fps))
        out.append([pairs.get(k, -1) for k in range(len(boxes))])
    return out


def robust() -> PersonTracker:
    return PersonTracker("bytetrack_robust.yaml")


def walk_with_gap(gap: int, jump: float):
    """A walker seen for 20 frames, missed for `gap` frames, then seen again `jump` body heights further."""
    frames = [frame(person(100 + 4 * i, 300)) for i in range(20)]
    frames += [frame() for _ in range(gap)]
    x0 = 100 + 4 * 20 + jump * 200
    frames += [frame(person(x0 + 4 * i, 300)) for i in range(20)]
    return frames


def ids_of(per_frame: list[list[int]]) -> set[int]:
    return {i for f in per_frame for i in f if i > 0}


def test_missed_frames_and_a_jump_keep_one_id() -> None:
    frames = walk_with_gap(gap=20, jump=0.8)
    assert ids_of(run(robust(), frames)) == {1}
    # Ultralytics' plain ByteTrack loses them: the same input then gives two ids (so the test can fail).
    assert len(ids_of(run(PersonTracker("bytetrack.yaml"), frames))) == 2


def test_no_relink_too_late_or_too_far() -> None:
    tracker = robust()
    late = walk_with_gap(gap=int(30 * tracker.relink_s) + 10, jump=0.0)
    assert ids_of(run(tracker, late)) == {1, 2}
    far = walk_with_gap(gap=5, jump=tracker.relink_distance + 1.0)
    assert ids_of(run(robust(), far)) == {1, 2}


def test_stamps_decide_the_gap_not_frame_counts() -> None:
    frames = walk_with_gap(gap=3, jump=0.8)
    assert ids_of(run(robust(), frames, fps=30.0)) == {1}
    # The same frames 10x further apart in time: the gap is then longer than relink_s.
    assert ids_of(run(robust(), frames, fps=1.0)) == {1, 2}


def test_no_relink_across_a_clock_jump_back() -> None:
    tracker = robust()
    frames = walk_with_gap(gap=3, jump=0.8)
    stamps = [i / 30 for i in range(23)] + [i / 30 - 10.0 for i in range(23, len(frames))]  # a loop restart
    ids = set()
    for (boxes, kpts), t in zip(frames, stamps, strict=True):
        ids |= {pid for _, pid in tracker.update(boxes, kpts, IMAGE, stamp=t)}
    assert ids == {1, 2}


def test_a_visible_persons_id_is_never_taken() -> None:
    # A stands still all along; B walks beside A, vanishes, and a new person C appears right next to A.
    frames = [frame(person(500, 300), person(300 + 4 * i, 300)) for i in range(20)]
    frames += [frame(person(500, 300)) for _ in range(5)]
    frames += [frame(person(500, 300), person(590, 300)) for _ in range(10)]
    per_frame = run(robust(), frames)
    a = per_frame[0][0]
    assert all(f[0] == a for f in per_frame)  # A keeps its id throughout
    assert per_frame[-1][1] == per_frame[0][1] != a  # C (where B went missing) continues B, never A


def test_two_people_missed_together_get_their_own_ids_back() -> None:
    frames = [frame(person(200 + 3 * i, 300), person(700 - 3 * i, 300)) for i in range(20)]
    frames += [frame() for _ in range(15)]
    frames += [frame(person(200 + 3 * (35 + i), 300), person(700 - 3 * (35 + i), 300)) for i in range(10)]
    per_frame = run(robust(), frames)
    assert per_frame[0] == per_frame[-1] and len(set(per_frame[0])) == 2


def test_torso_inside_the_body_box_is_the_same_person() -> None:
    body_box, body_kp = person(400, 200, score=0.9)
    torso_box = np.array([400, 200, 480, 310, 0.95, 0], np.float32)  # upper half, surer (as seen in glare)
    torso_kp = body_kp.copy()
    torso_kp[11:, 2] = 0.1  # legs unseen
    boxes, kpts = np.stack([body_box, torso_box]), np.stack([body_kp, torso_kp])
    assert same_body(boxes, kpts, 0, 1, 0.8) and same_body(boxes, kpts, 1, 0, 0.8)
    tracker = robust()
    per_frame = run(tracker, [(boxes, kpts)] * 10)
    assert ids_of(per_frame) == {1} and all(f == [1, -1] for f in per_frame)
    assert tracker.last_duplicates.tolist() == [False, True]
    # Without suppression (Ultralytics' ByteTrack) the torso becomes a second person.
    assert len(ids_of(run(PersonTracker("bytetrack.yaml"), [(boxes, kpts)] * 10))) == 2


def test_torso_seen_alone_for_a_while_stays_the_same_person() -> None:
    body_box, body_kp = person(400, 200, score=0.9)
    torso_box = np.array([400, 200, 480, 310, 0.95, 0], np.float32)
    both = (np.stack([body_box, torso_box]), np.stack([body_kp, body_kp]))
    torso_only = (torso_box[None], body_kp[None])
    per_frame = run(robust(), [both] * 5 + [torso_only] * 5 + [both] * 5)
    assert ids_of(per_frame) == {1}


def test_someone_behind_inside_the_box_is_kept() -> None:
    front_box, front_kp = person(400, 200, w=160, h=400, score=0.9)
    back_box, back_kp = person(450, 230, w=50, h=120, score=0.7)  # smaller, further away, inside the box
    boxes, kpts = np.stack([front_box, back_box]), np.stack([front_kp, back_kp])
    assert not same_body(boxes, kpts, 0, 1, 0.8)
    assert len(ids_of(run(robust(), [(boxes, kpts)] * 5))) == 2


def test_a_tracked_person_passing_behind_keeps_being_reported() -> None:
    """Where two people overlap the pose model may put the hidden one's joints on the front one's: that
    makes the pair look like one body, but a person already tracked is never dropped for it."""
    front_box, front_kp = person(400, 200, w=160, h=400, score=0.9)
    frames = [frame((front_box, front_kp), person(100 + 15 * i, 220, w=140, h=370, score=0.8))
              for i in range(20)]
    behind = np.array([410, 215, 550, 585, 0.6, 0], np.float32)  # inside the front box, same joints
    frames += [(np.stack([front_box, behind]), np.stack([front_kp, front_kp]))] * 5
    per_frame = run(robust(), frames)
    assert len(ids_of(per_frame)) == 2 and all(-1 not in f for f in per_frame[-5:])


def test_reset_restarts_ids_and_bad_boxes_are_refused() -> None:
    tracker = robust()
    run(tracker, walk_with_gap(gap=0, jump=5.0))
    tracker.reset()
    assert ids_of(run(tracker, [frame(person(10, 10))] * 3)) == {1}
    with pytest.raises(ValueError, match="expected \\(N, 6\\+\\) boxes"):
        tracker.update(np.zeros((2, 4), np.float32), None, IMAGE)


def test_relinking_is_off_without_its_fields(tmp_path) -> None:
    data = yaml.safe_load((config_dir() / "trackers" / "bytetrack_robust.yaml").read_text())
    for key in ("relink_s", "relink_distance", "duplicate_overlap"):
        data.pop(key)
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data))
    assert len(ids_of(run(PersonTracker(str(path)), walk_with_gap(gap=40, jump=0.8)))) == 2
