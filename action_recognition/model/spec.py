"""ModelSpec: everything besides the weights needed to rebuild and feed a trained model."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from action_recognition.skeleton import SkeletonLayout, get_layout, layout_from_dict

FEATS: tuple[str, ...] = ("j", "b", "jm", "bm")
NORMALIZATIONS: tuple[str, ...] = ("2d", "3d", "none")
DEFAULT_FPS = 30.0  # training frame rate assumed for checkpoints that do not record one
DEFAULT_IMG_SHAPE = (1080, 1920)  # (height, width): PYSKL's PreNormalize2D default


def recenter_unsupported(normalization: str, feats: tuple[str, ...] | list[str]) -> str | None:
    """Why `recenter` cannot apply to this input, or None: it moves 2D joints (the 'j' stream) only."""
    if normalization != "2d" or "j" not in feats:
        return (f"it needs 2D normalization and the 'j' stream (bones and motions do not depend on "
                f"position), not {normalization!r} with {list(feats)}")
    return None


@dataclass
class ModelSpec:
    """What a checkpoint needs besides its weights.

    layout: built-in name, or the full layout as a dict (`SkeletonLayout.to_dict()`), so custom
        skeletons travel with the checkpoint.
    feats: the stream(s) the model takes, concatenated on the channel axis (PYSKL GenSkeFeat).
    normalization: "2d" (PreNormalize2D by image size, channels x, y, score), "3d"
        (PreNormalize3D, channels x, y, z) or "none".
    in_channels: channels per joint after the features (3 per stream for 2D+score or 3D).
    window: frames of one track an online recognizer should keep (the span the model was trained to
        see, sampled down to clip_len), counted at `fps`; 0 = clip_len.
    fps: frame rate of the training data. Online skeleton streams are resampled to it by their stamps
        before windows are cut, so a 10 or 60 fps camera (or dropped frames) gives the window the model
        was trained on. Checkpoints written before this field existed load as 30 (what every model of
        this project and PYSKL's NTU models were trained at).
    recenter: 2D only, not PYSKL: each sampled clip's joint stream is moved so that its visible joints'
        mean is the image centre, so where a person stands in the frame is not part of the input
        (`features.recenter`). False for PYSKL checkpoints and for those written before the field existed.
    rescale: with recenter only, not PYSKL: x and y in one unit (half the image height), and each clip
        scaled so that its mean visible bone has one length, so a person's size in the image and the
        image's aspect are not part of the input (`features.rescale`). False where not recorded.
    bone_lengths: with rescale only: each bone's typical length relative to the mean bone, one per
        layout bone pair (`features.bone_proportions`, measured on the training data), so that a person
        seen only in part gets the size of the whole body. None: the plain mean of the visible bones.
    """

    layout: str | dict
    num_classes: int
    class_names: list[str] | None = None
    feats: tuple[str, ...] = ("j",)
    clip_len: int = 100
    num_person: int = 2
    num_clips: int = 1
    normalization: str = "2d"
    img_shape: tuple[int, int] = DEFAULT_IMG_SHAPE
    in_channels: int = 3
    window: int = 0
    fps: float = DEFAULT_FPS
    recenter: bool = False
    rescale: bool = False
    bone_lengths: tuple[float, ...] | None = None
    arch: dict[str, Any] = field(default_factory=dict)  # non-default STGCNPP keyword arguments

    def __post_init__(self) -> None:
        self.feats = (self.feats,) if isinstance(self.feats, str) else tuple(self.feats)
        bad = [f for f in self.feats if f not in FEATS]
        if bad or not self.feats:
            raise ValueError(f"feats {list(self.feats)}: each must be one of {FEATS}")
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization {self.normalization!r}: use one of {NORMALIZATIONS}")
        if self.class_names is not None:
            self.class_names = [str(c) for c in self.class_names]
            if len(self.class_names) != self.num_classes:
                raise ValueError(f"{len(self.class_names)} class names for {self.num_classes} classes")
        self.img_shape = (int(self.img_shape[0]), int(self.img_shape[1]))
        self.fps = float(self.fps)
        if not (self.fps > 0 and self.fps < 1e4):
            raise ValueError(f"fps {self.fps}: the training frame rate must be a positive number of frames/s")
        self.recenter = bool(self.recenter)
        if self.recenter and (why := recenter_unsupported(self.normalization, self.feats)):
            raise ValueError(f"recenter: {why}")
        self.rescale = bool(self.rescale)
        if self.rescale and not self.recenter:
            raise ValueError("rescale: it scales about the person's centre, so it needs recenter too")
        if self.bone_lengths is not None:
            self._check_bone_lengths()
        if self.window < 0:
            raise ValueError(f"window {self.window}: must be 0 (= clip_len) or a positive number of frames")

    def _check_bone_lengths(self) -> None:
        lengths = tuple(float(x) for x in self.bone_lengths)
        pairs = self.skeleton().bone_pairs
        if not self.rescale:
            raise ValueError("bone_lengths: they only size the person for rescale; set rescale or drop them")
        if len(lengths) != len(pairs):
            raise ValueError(f"bone_lengths: {len(lengths)} values for the layout's {len(pairs)} bone pairs; "
                             "give one per bone pair (0 for the centre's pair with itself)")
        bad = [k for k, ((a, b), x) in enumerate(zip(pairs, lengths, strict=True))
               if not (x == x and x >= 0 and x < 1e3) or (a != b and x <= 0)]
        if bad:
            raise ValueError(f"bone_lengths: entries {bad} are not positive finite lengths")
        self.bone_lengths = lengths

    @property
    def window_frames(self) -> int:
        """Frames (at `fps`) an online recognizer keeps per track: `window`, or clip_len when 0."""
        return self.window or self.clip_len

    @property
    def window_seconds(self) -> float:
        """The online window in seconds of the training data's time."""
        return self.window_frames / self.fps

    @property
    def has_score(self) -> bool:
        """Whether the third input channel is a detector score (2D) rather than z (3D)."""
        return self.normalization != "3d"

    def skeleton(self) -> SkeletonLayout:
        if isinstance(self.layout, dict):
            return layout_from_dict(self.layout, source="checkpoint meta 'model_spec.layout'")
        return get_layout(self.layout)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["feats"] = list(self.feats)
        out["img_shape"] = list(self.img_shape)
        if self.bone_lengths is not None:
            out["bone_lengths"] = list(self.bone_lengths)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"model spec has unknown field(s) {unknown}; known: {sorted(known)}")
        return cls(**data)
