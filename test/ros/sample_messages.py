"""One fully populated instance of every message type of the package, shared by the message tests.

Values are chosen to be exact in float32 so round trips compare with ==.
"""

from __future__ import annotations

from typing import Any


def sample_messages() -> dict[str, Any]:
    from action_recognition.msg import (
        Action,
        ActionArray,
        GroundTruth,
        Keypoint,
        LabelMap,
        Skeleton,
        SkeletonArray,
    )
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    header = Header(stamp=Time(sec=1700000000, nanosec=123456789), frame_id="camera_optical")
    keypoints = [Keypoint(x=10.5 + i, y=20.25 * i, z=0.0, score=0.0 if i == 3 else 0.5) for i in range(17)]
    skeleton = Skeleton(
        track_id=7,
        layout="coco",
        has_z=False,
        keypoints=keypoints,
        bbox=[1.0, 2.0, 300.5, 400.25],
        bbox_score=0.75,
    )
    skeleton3d = Skeleton(
        track_id=12,
        layout="coco",
        has_z=True,
        keypoints=[Keypoint(x=0.5, y=-1.5, z=2.25, score=1.0)] * 17,
        bbox=[0.0, 0.0, 10.0, 10.0],
        bbox_score=0.5,
    )
    action = Action(
        track_id=7,
        class_id=2,
        label="walking",
        score=0.625,
        probabilities=[0.125, 0.25, 0.625],
        window_start=Time(sec=1699999997, nanosec=0),
        window_end=Time(sec=1700000000, nanosec=123456789),
        num_frames=96,
        bbox=[10.5, 20.0, 210.25, 460.0],
    )
    unknown = Action(track_id=8, class_id=-1, label="unknown", score=0.25, probabilities=[0.25, 0.5, 0.25])
    return {
        "Keypoint": keypoints[1],
        "Skeleton": skeleton,
        "SkeletonArray": SkeletonArray(
            header=header, image_width=1768, image_height=994, layout="coco", skeletons=[skeleton, skeleton3d]
        ),
        "SkeletonArrayEmpty": SkeletonArray(header=header, image_width=640, image_height=480, layout="coco"),
        "Action": action,
        "ActionArray": ActionArray(header=header, actions=[action, unknown]),
        "LabelMap": LabelMap(
            header=header,
            model_name="stgcnpp_coco_synth",
            layout="coco",
            labels=["sitting down", "standing up", "walking"],
        ),
        "GroundTruth": GroundTruth(
            header=header,
            track_id=-1,
            class_id=2,
            label="walking",
            start=Time(sec=1699999990, nanosec=5),
            end=Time(sec=1700000000, nanosec=123456789),
            segment="demo.mp4#3",
            classes=["sitting down", "standing up", "walking"],
        ),
    }
