"""Video -> data set extraction on the real demo video, with the pose + tracking code the node uses."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.data import extract as ex
from action_recognition.data.format import load_dataset
from action_recognition.paths import demo_video

pytestmark = pytest.mark.usefixtures("installed_pose_assets")


@pytest.fixture
def videos(tmp_path):
    root = tmp_path / "videos"
    (root / "walking").mkdir(parents=True)
    (root / "walking" / "demo.mp4").symlink_to(demo_video())
    return root


def test_extract_demo_video_one_person_scores_kept(videos, tmp_path, monkeypatch):
    out = tmp_path / "demo.pkl"
    # Pose on every 3rd frame (10 fps of a 30 fps video), samples resampled back to 30 fps by media time.
    cfg = ex.ExtractConfig(imgsz=320, stride=3, max_frames=30, max_persons=1)
    data = ex.extract_dataset(videos, out, cfg, progress=False, keep_parts=True)
    assert data["classes"] == ["walking"] and data["split"] == {"train": ["walking/demo"]}
    a = load_dataset(out)["annotations"][0]
    assert a["label"] == 0 and a["img_shape"] == (994, 1768) and a["fps"] == 30.0
    kp, score = a["keypoint"], a["keypoint_score"]
    assert kp.shape == (1, 88, 17, 2) and score.shape == (1, 88, 17)  # frames 0..87 of the video
    seen = score[0] > 0
    assert seen.any(1).mean() > 0.7  # the person is found in most frames
    s = score[0][seen]
    assert 0.0 < s.min() < 0.9 and s.max() <= 1.0 and len(np.unique(s)) > 50  # real scores, not 0/1 flags
    xy = kp[0][seen]
    assert (
        (xy[:, 0] >= 0).all()
        and (xy[:, 0] <= 1768).all()
        and (xy[:, 1] >= 0).all()
        and (xy[:, 1] <= 994).all()
    )
    # Body proportions of a standing/walking person: ankles below hips below shoulders (image y grows down).
    frames = seen[:, [5, 6, 11, 12, 15, 16]].all(1)
    mean = kp[0][frames].mean(0)
    assert mean[[5, 6], 1].mean() < mean[[11, 12], 1].mean() < mean[[15, 16], 1].mean()

    # Resumable: a second run reuses the finished part and never starts the pose model.
    def no_model(*args, **kwargs):
        raise AssertionError("the pose model was started again")

    monkeypatch.setattr("action_recognition.pose.estimator.PoseEstimator", no_model)
    again = ex.extract_dataset(videos, tmp_path / "demo.pkl", cfg, progress=False)
    np.testing.assert_array_equal(again["annotations"][0]["keypoint"], kp)
    assert not (tmp_path / "demo.pkl.parts").exists()


def test_find_videos_by_folder_and_csv(videos, tmp_path):
    items = ex.find_videos(videos)
    assert [(i.name, i.label) for i in items] == [("walking/demo", "walking")]
    table = tmp_path / "list.csv"
    table.write_text("video,label,split\nwalking/demo.mp4,standing still,val\n")
    items = ex.find_videos(videos, table)
    assert [(i.name, i.label, i.split) for i in items] == [("walking/demo", "standing still", "val")]
    (videos / "loose.mp4").symlink_to(demo_video())
    with pytest.raises(ValueError, match="class sub-folder"):
        ex.find_videos(videos)


def test_resampling_persons_to_the_sample_rate():
    # Two people seen at 10 fps (stamps of a 10 fps camera with jitter); the second absent for a while.
    times = np.array([0, 101, 199, 300, 402, 500], np.int64) * 1_000_000
    kp = np.zeros((2, 6, 17, 2), np.float32)
    kp[0, :, :, 0] = (times / 1e6)[:, None]  # x = milliseconds: linear motion
    kp[1] = 50.0
    score = np.ones((2, 6, 17), np.float32)
    score[1, 2:4] = 0  # person 2 not seen in frames 2 and 3
    kp[1, 2:4] = 0
    out_kp, out_score = ex._resample_persons(kp, score, times + 7_000_000_000, 30.0)
    assert out_kp.shape == (2, 16, 17, 2) and out_score.shape == (2, 16, 17)  # 0.5 s at 30 fps
    # within 1.5 ms: a frame up to 1/20 frame early stands for the grid frame itself (199 ms for 200)
    np.testing.assert_allclose(out_kp[0, :, 0, 0], np.arange(16) * 1000 / 30, atol=1.5)
    seen = out_score[1, :, 0] > 0
    assert (out_kp[1, seen] == 50.0).all()  # never blended towards (0, 0) where the person was not seen
