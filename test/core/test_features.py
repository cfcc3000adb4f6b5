"""Feature transforms with PYSKL semantics."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.features import (
    PYSKL_STREAM_WEIGHTS,
    average_clips,
    format_gcn_input,
    fuse_streams,
    gen_ske_feat,
    joint_to_bone,
    pose_decode,
    pre_normalize_2d,
    pre_normalize_3d,
    sample_to_clips,
    to_motion,
    track_window_to_clips,
    uniform_sample_frames,
)
from action_recognition.model import ModelSpec
from action_recognition.skeleton import get_layout

RNG = np.random.default_rng(0)


def test_pre_normalize_2d_scales_by_image_and_masks_low_scores():
    kp = np.array([[[[0.0, 0.0], [640.0, 360.0], [1280.0, 720.0], [100.0, 100.0]]]])  # (1, 1, 4, 2)
    score = np.array([[[0.9, 0.5, 0.02, 0.01]]])
    original = kp.copy()
    out = pre_normalize_2d(kp, score, img_shape=(720, 1280))
    assert out.shape == (1, 1, 4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0, :3, :2], [[-1, -1], [0, 0], [1, 1]])
    np.testing.assert_allclose(out[0, 0, 3], [0, 0, 0.01])  # score <= 0.01: x = y = 0, score kept
    np.testing.assert_allclose(out[..., 2], score.astype(np.float32))
    np.testing.assert_array_equal(kp, original)


def test_pre_normalize_2d_default_image_is_1080p():
    out = pre_normalize_2d(np.array([[[[1920.0, 0.0]]]]), np.ones((1, 1, 1)))
    np.testing.assert_allclose(out[0, 0, 0], [1, -1, 1])


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_pre_normalize_3d_centers_and_aligns_spine_and_shoulders():
    body = RNG.standard_normal((1, 6, 25, 3))
    body[0, :, 1] = body[0, :, 0] + [0, 1, 0.2]  # spine
    # right - left shoulder, perpendicular to the spine, so the second turn (about z) keeps the spine
    body[0, :, 8] = body[0, :, 4] + [1.0, 0.2, -1.0]
    tilted = body @ _rotation([1, 2, 3], 0.7).T + 5.0
    padded = np.concatenate([np.zeros((1, 2, 25, 3)), tilted], axis=1)  # empty leading frames dropped
    out, center = pre_normalize_3d(padded)
    assert out.shape == (1, 6, 25, 3)
    np.testing.assert_allclose(center, tilted[0, 0, 1])
    np.testing.assert_allclose(out[0, 0, 1], 0, atol=1e-9)  # joint 1 of the first frame at the origin
    spine = out[0, 0, 1] - out[0, 0, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-7)
    shoulders = out[0, 0, 8] - out[0, 0, 4]
    np.testing.assert_allclose(shoulders / np.linalg.norm(shoulders), [1, 0, 0], atol=1e-7)
    # rigid motion: distances preserved
    np.testing.assert_allclose(np.linalg.norm(out[0, 3, 5] - out[0, 2, 7]),
                               np.linalg.norm(body[0, 3, 5] - body[0, 2, 7]), rtol=1e-9)


def test_pre_normalize_3d_puts_the_longer_person_first():
    skel = np.zeros((2, 5, 25, 3))
    skel[0, :2] = RNG.standard_normal((2, 25, 3))
    skel[1, :4] = RNG.standard_normal((4, 25, 3)) + 10
    out, _ = pre_normalize_3d(skel, align_spine=False, align_center=False)
    assert out.shape == (2, 4, 25, 3)
    np.testing.assert_array_equal(out[0], skel[1, :4])


def test_bones_coco_with_score_and_ntu_3d():
    coco = get_layout("coco")
    kp = RNG.random((1, 2, 17, 3)).astype(np.float32)
    bone = joint_to_bone(kp, coco.bone_pairs, has_score=True)
    np.testing.assert_allclose(bone[..., 11, :2], kp[..., 11, :2] - kp[..., 0, :2])  # hip -> nose
    np.testing.assert_allclose(bone[..., 11, 2], (kp[..., 11, 2] + kp[..., 0, 2]) / 2)
    np.testing.assert_allclose(bone[..., 0, :2], 0)
    np.testing.assert_allclose(bone[..., 0, 2], kp[..., 0, 2])
    ntu = get_layout("nturgb+d")
    kp3 = RNG.random((2, 3, 25, 3)).astype(np.float32)
    bone3 = joint_to_bone(kp3, ntu.bone_pairs, has_score=False)
    np.testing.assert_allclose(bone3[..., 21, :], kp3[..., 21, :] - kp3[..., 22, :])
    np.testing.assert_allclose(bone3[..., 20, :], 0)


def test_motion_last_frame_zero_and_score_mean():
    data = RNG.random((2, 4, 5, 3)).astype(np.float32)
    mot = to_motion(data, has_score=True)
    np.testing.assert_allclose(mot[:, :3, :, :2], data[:, 1:, :, :2] - data[:, :3, :, :2])
    np.testing.assert_allclose(mot[:, :3, :, 2], (data[:, 1:, :, 2] + data[:, :3, :, 2]) / 2)
    np.testing.assert_array_equal(mot[:, 3], 0)
    mot3 = to_motion(data, has_score=False)
    np.testing.assert_allclose(mot3[:, :3, :, 2], data[:, 1:, :, 2] - data[:, :3, :, 2])


def test_gen_ske_feat_streams_and_order():
    coco = get_layout("coco")
    kp = RNG.random((1, 6, 17, 2)).astype(np.float32)
    score = RNG.random((1, 6, 17)).astype(np.float32)
    out = gen_ske_feat(kp, ["j", "b", "jm", "bm"], coco.bone_pairs, True, keypoint_score=score)
    assert out.shape == (1, 6, 17, 12)
    j = np.concatenate([kp, score[..., None]], -1)
    b = joint_to_bone(j, coco.bone_pairs, True)
    np.testing.assert_allclose(out[..., 0:3], j)
    np.testing.assert_allclose(out[..., 3:6], b)
    np.testing.assert_allclose(out[..., 6:9], to_motion(j, True))
    np.testing.assert_allclose(out[..., 9:12], to_motion(b, True))
    only_bm = gen_ske_feat(j, ["bm"], coco.bone_pairs, True)
    np.testing.assert_allclose(only_bm, out[..., 9:12])
    with pytest.raises(ValueError):
        gen_ske_feat(j, ["x"], coco.bone_pairs, True)


def _reference_test_indices(num_frames, clip_len, num_clips, seed=255):
    """UniformSampleFrames test mode written out from its definition, on numpy's global RNG."""
    np.random.seed(seed)
    result = []
    for i in range(num_clips):
        np.random.rand()  # p_interval (1, 1): ratio 1, the draw still happens
        np.random.randint(1)
        if num_frames < clip_len:
            start = i if num_frames < num_clips else i * num_frames // num_clips
            idx = list(range(start, start + clip_len))
        elif num_frames < 2 * clip_len:
            chosen = set(np.random.choice(clip_len + 1, num_frames - clip_len, replace=False).tolist())
            shift, idx = 0, []
            for k in range(clip_len):
                shift += k in chosen
                idx.append(k + shift)
        else:
            idx = []
            for k in range(clip_len):
                lo, hi = k * num_frames // clip_len, (k + 1) * num_frames // clip_len
                idx.append(lo + np.random.randint(hi - lo))
        result.extend(x % num_frames for x in idx)
    return np.array(result)


@pytest.mark.parametrize(("frames", "clip_len", "clips"), [
    (300, 100, 1), (300, 100, 10), (150, 100, 1), (150, 100, 10), (100, 100, 1), (37, 100, 1), (37, 100, 10),
    (5, 100, 10), (199, 100, 2), (1000, 48, 3)])
def test_uniform_sample_test_mode_matches_pyskl_definition(frames, clip_len, clips):
    state = np.random.get_state()
    got = uniform_sample_frames(frames, clip_len, clips, test_mode=True)
    assert np.array_equal(np.random.get_state()[1], state[1])  # global RNG untouched
    expected = _reference_test_indices(frames, clip_len, clips)
    np.random.set_state(state)
    assert got.shape == (clip_len * clips,)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, uniform_sample_frames(frames, clip_len, clips, test_mode=True))


def test_uniform_sample_segments_and_coverage():
    long = uniform_sample_frames(1000, 100, test_mode=True)
    assert np.all(long // 10 == np.arange(100))  # one frame per segment of 10
    mid = uniform_sample_frames(150, 100, test_mode=True)
    assert np.all(np.diff(mid) >= 1) and mid.max() < 150 and np.all(np.diff(mid) <= 2)
    short = uniform_sample_frames(30, 100, test_mode=True)
    np.testing.assert_array_equal(short, np.arange(100) % 30)  # loops the sequence


def test_uniform_sample_train_mode_is_random_but_valid():
    rng = np.random.RandomState(1)
    a = uniform_sample_frames(300, 100, rng=rng)
    b = uniform_sample_frames(300, 100, rng=rng)
    assert not np.array_equal(a, b)
    assert np.all(a // 3 == np.arange(100))
    sub = uniform_sample_frames(300, 50, p_interval=(0.5, 1.0), rng=np.random.RandomState(2))
    assert sub.min() >= 0 and sub.max() < 300 and np.all(np.diff(sub) > 0)


def test_pose_decode_and_format_gcn_input():
    kp = RNG.random((3, 20, 17, 2)).astype(np.float64)
    score = RNG.random((3, 20, 17))
    inds = np.array([0, 5, 19, 5])
    dk, ds = pose_decode(kp, inds, score)
    assert dk.dtype == np.float32 and dk.shape == (3, 4, 17, 2)
    np.testing.assert_allclose(dk[:, 2], kp[:, 19].astype(np.float32))
    out = format_gcn_input(dk, num_person=2, keypoint_score=ds)
    assert out.shape == (1, 2, 4, 17, 3)  # third person cut, score appended
    one = format_gcn_input(dk[:1, :4], num_person=2, num_clips=2, keypoint_score=ds[:1, :4])
    assert one.shape == (2, 2, 2, 17, 3)
    np.testing.assert_array_equal(one[:, 1], 0)  # zero padding
    np.testing.assert_allclose(one[1, 0], np.concatenate([dk[0, 2:4], ds[0, 2:4, :, None]], -1))
    looped = format_gcn_input(dk[:1], num_person=3, mode="loop")
    np.testing.assert_array_equal(looped[0, 2], looped[0, 0])


def test_average_clips_prob_and_score():
    logits = RNG.standard_normal((2, 10, 5))
    probs = average_clips(logits)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(probs, (e / e.sum(-1, keepdims=True)).mean(1))
    np.testing.assert_allclose(probs.sum(-1), 1.0)
    np.testing.assert_allclose(average_clips(logits.reshape(20, 5), num_clips=10), probs)
    np.testing.assert_allclose(average_clips(logits, mode="score"), logits.mean(1))


def test_fuse_streams_pyskl_weights():
    s = {k: RNG.random((3, 4)) for k in ("j", "b", "jm", "bm")}
    fused = fuse_streams(s)
    np.testing.assert_allclose(fused, 2 * s["j"] + 2 * s["b"] + s["jm"] + s["bm"])
    assert PYSKL_STREAM_WEIGHTS == {"j": 2.0, "b": 2.0, "jm": 1.0, "bm": 1.0}
    np.testing.assert_allclose(fuse_streams([s["j"], s["b"]], [1, 3]), s["j"] + 3 * s["b"])
    with pytest.raises(ValueError):
        fuse_streams([s["j"]], [1, 2])


def test_pipeline_sample_and_online_window_agree():
    spec = ModelSpec("coco", 5, feats=("j", "jm"), in_channels=6, clip_len=16, num_clips=3)
    kp = RNG.random((1, 40, 17, 2)).astype(np.float32) * 600
    score = RNG.random((1, 40, 17)).astype(np.float32)
    clips = sample_to_clips({"keypoint": kp, "keypoint_score": score, "img_shape": (480, 640)}, spec)
    assert clips.shape == (3, 2, 16, 17, 6) and clips.dtype == np.float32
    np.testing.assert_array_equal(clips[:, 1], 0)
    online = track_window_to_clips(kp[0], score[0], spec, img_shape=(480, 640))
    np.testing.assert_array_equal(online, clips)
    # the features were built on all 40 frames, then sampled
    normed = pre_normalize_2d(kp, score, (480, 640))
    feats = gen_ske_feat(normed, ["j", "jm"], get_layout("coco").bone_pairs, True)
    inds = uniform_sample_frames(40, 16, 3, test_mode=True)
    np.testing.assert_allclose(clips[:, 0].reshape(48, 17, 6), feats[0, inds])
