"""Skeleton features as PYSKL computes them, on numpy arrays (offline samples and online windows)."""

from action_recognition.features.formatting import (
    PYSKL_STREAM_WEIGHTS,
    average_clips,
    format_gcn_input,
    fuse_streams,
    softmax,
)
from action_recognition.features.normalize import pre_normalize_2d, pre_normalize_3d
from action_recognition.features.pipeline import sample_to_clips, track_window_to_clips
from action_recognition.features.recenter import recenter_clips
from action_recognition.features.rescale import REFERENCE_BONE, bone_proportions, rescale_clips
from action_recognition.features.sampling import pose_decode, uniform_sample_frames
from action_recognition.features.streams import STREAMS, gen_ske_feat, joint_to_bone, to_motion

__all__ = [
    "PYSKL_STREAM_WEIGHTS",
    "REFERENCE_BONE",
    "STREAMS",
    "average_clips",
    "bone_proportions",
    "format_gcn_input",
    "fuse_streams",
    "gen_ske_feat",
    "joint_to_bone",
    "pose_decode",
    "pre_normalize_2d",
    "pre_normalize_3d",
    "recenter_clips",
    "rescale_clips",
    "sample_to_clips",
    "softmax",
    "to_motion",
    "track_window_to_clips",
    "uniform_sample_frames",
]
