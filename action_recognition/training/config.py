"""Training configuration: YAML file + `key=value` overrides -> a validated `TrainConfig`.

Defaults are PYSKL's ST-GCN++ recipe (configs/stgcn++/*): SGD lr 0.1 at batch 128 (scaled
linearly), momentum 0.9, nesterov, weight decay 5e-4, cosine to 0 per iteration, 16 epochs of the
training data repeated 5 times, clip_len 100, 2 persons, 10 test clips. Every error names the file,
the field and what to write instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from action_recognition.data.synth.ranges import CAMERA_CHOICES
from action_recognition.model.spec import FEATS


class ConfigError(ValueError):
    """A config value that cannot be used; the message says where it is and how to fix it."""


@dataclass
class SynthDataConfig:
    """Generate the data file with the synthetic generator when it does not exist yet."""

    layout: str = "coco"
    classes: list[str] | None = None  # None: the generator's default class list
    sizes: dict[str, int] = field(default_factory=lambda: {"train": 2000, "val": 200, "test": 500})
    seed: int = 0
    workers: int = 2
    second_person_prob: float = 0.3
    train_cameras: str = "disjoint"  # "all": train on test's camera ranges too (data.synth.ranges)
    other_actions: list[str] = field(default_factory=list)  # out-of-set actions added as classes after them


@dataclass
class ExtraDataConfig:
    """More training samples from another PYSKL file (real motion), matched to the classes by name.

    Samples whose class the main file lacks go to `DataConfig.other_class` (or are dropped without one).
    """

    file: str = ""
    split: str | None = None  # None: every sample of the file
    repeat: int = 1  # times each in-set sample is listed per epoch
    other_repeat: int = 1  # times each out-of-set sample is listed per epoch (0: leave them out)
    # pose-estimator noise (training.augment): true = on every draw, false = never, a number = that share of
    # draws (the rest stay clean, as Kinect / motion-capture skeletons are)
    noise: bool | float = True
    subjects: list[int] | None = None  # keep only these `subject` ids (None: all)
    # The same sequences as NTU RGB+D 25-joint 3D (metres, camera frame; matched by frame_dir): with it,
    # `views` of the draws see the person from a random camera viewpoint (data.reproject) instead of
    # the recorded one. Only for a COCO-17 model.
    file3d: str | None = None
    views: float = 0.0
    view_pitch: list[float] = field(default_factory=lambda: [-10.0, 30.0])  # camera elevation range (degrees,
    # + looks down) of those viewpoints (data.reproject.ViewConfig.pitch)
    flip: float = 0.0  # share of draws mirrored left-right (the same action with the other hand or leg)


@dataclass
class DataConfig:
    file: str = ""  # PYSKL pickle
    train_split: str = "train"
    val_split: str | None = "val"
    test_split: str | None = "test"
    val_file: str | None = None  # separate file for val/test splits (default: `file`)
    layout: str | None = None  # None: the file's `layout` key, else guessed from the joint count
    feats: list[str] = field(default_factory=lambda: ["j"])
    clip_len: int = 100
    num_person: int = 2
    window: int = 0  # frames an online recognizer should keep per track (ModelSpec.window); 0 = clip_len
    fps: float = 30.0  # frame rate of the data (ModelSpec.fps): online streams are resampled to it
    num_clips_test: int = 10
    repeat: int = 5  # RepeatDataset(times=5)
    p_interval: list[float] = field(default_factory=lambda: [1.0, 1.0])  # training: random sub-window share
    placement: float = 0.0  # training: share of draws moved to a random place and size in the image
    placement_scale: list[float] = field(default_factory=lambda: [0.6, 1.4])  # size range of those draws
    cut: float = 0.0  # training: share of 2D draws whose lower part a frame edge hides (augment.cut_below)
    recenter: bool = False  # ModelSpec.recenter: joint stream centred per clip (not PYSKL)
    rescale: bool = False  # ModelSpec.rescale: x, y in one unit, clips scaled to one bone length (not PYSKL)
    bone_lengths: bool = False  # with rescale: measure each bone's typical length on the training data
    # (ModelSpec.bone_lengths), so a person seen only in part is sized as the whole body
    img_shape: list[int] | None = None  # fallback (H, W) for samples without img_shape
    synth: SynthDataConfig | None = None
    train_fraction: float = 1.0  # share of the main file's training samples used (a fixed random subset)
    extra: list[ExtraDataConfig] = field(default_factory=list)  # more training data (real motion)
    other_class: str | None = None  # class appended for out-of-set extra samples, e.g. "unknown"
    # classes of data.file trained as other_class (e.g. the generator's "other gesture"), not as classes
    other_classes: list[str] = field(default_factory=list)


@dataclass
class ModelConfig:
    dropout: float = 0.0
    arch: dict[str, Any] = field(default_factory=dict)  # extra STGCNPP keyword arguments
    pretrained: str | None = None  # any checkpoint (ours or PYSKL's); head re-initialised if classes differ
    reinit_head: bool | None = None  # None: only when the class count differs
    pretrained_trusted: bool = False  # allow full unpickling (files holding objects beyond tensors/data)


@dataclass
class OptimConfig:
    lr: float = 0.1  # at `lr_batch` samples per step; scaled linearly to the real total batch
    lr_batch: int = 128
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    min_lr: float = 0.0
    warmup_iters: int = 0


@dataclass
class DistillConfig:
    """Train on a teacher's class probabilities too (training.distill): one model with an ensemble's skill."""

    teacher: str = ""  # a checkpoint (.pth) or an ensemble.yaml of them, trained on the same classes and data
    weight: float = 0.7  # share of the loss from the teacher; the rest is cross-entropy with the labels
    temperature: float = 2.0  # both distributions softened by it before they are compared


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    distill: DistillConfig | None = None  # None: labels only
    epochs: int = 16
    batch_size: int = 16  # per process
    workers: int = 2
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    amp: bool = True  # only used on CUDA
    threads: int | None = None  # torch intra-op threads (None: torch's default)
    work_dir: str = "runs/stgcnpp"
    resume: str | None = None  # "auto" (work_dir/latest.pth if present) or a checkpoint path
    val_every: int = 1
    keep_checkpoints: int = 2  # per-epoch checkpoints kept (best.pth and latest.pth always)
    max_steps: int | None = None  # stop after this many optimizer steps (smoke tests)
    log_every: int = 20  # steps between TensorBoard points (and log lines when progress is off)
    tensorboard: bool = True
    progress: bool = True
    info: dict[str, Any] = field(default_factory=dict)  # free notes copied into every checkpoint's meta

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, where: str, source: str) -> Any:
    """Check/convert one YAML value against a field's annotated type."""
    origin = getattr(tp, "__origin__", None)
    args = getattr(tp, "__args__", ())
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{where}' must be a mapping of {sorted(_field_names(tp))}, "
                              f"got {value!r}")
        return _build(tp, value, where + ".", source)
    if args and type(None) in args:  # Optional[X] / X | None
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where, source)
    if args and origin is not list and origin is not dict:  # X | Y: the first type the value fits
        for inner_tp in args:
            try:
                return _coerce(value, inner_tp, where, source)
            except ConfigError:
                continue
        names = " or ".join(getattr(a, "__name__", str(a)) for a in args)
        raise ConfigError(f"{source}: '{where}' must be {names}, got {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: '{where}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{source}: '{where}' must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 5e-4 (no dot) as text
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{source}: '{where}' must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{source}: '{where}' must be a string, got {value!r}")
    if origin is list:
        if isinstance(value, (str, int, float)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: '{where}' must be a list, got {value!r}")
        return [_coerce(v, args[0], f"{where}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{where}' must be a mapping, got {value!r}")
        return {str(k): _coerce(v, args[1], f"{where}.{k}", source) for k, v in value.items()}
    return value  # Any


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _build(cls: type, data: dict[str, Any], prefix: str, source: str) -> Any:
    hints = get_type_hints(cls)
    known = _field_names(cls)
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known fields: {known}"
            raise ConfigError(f"{source}: unknown field '{prefix}{key}'{hint}")
        kwargs[key] = _coerce(value, hints[key], prefix + key, source)
    return cls(**kwargs)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def parse_overrides(overrides: list[str]) -> list[tuple[str, Any]]:
    """`["optim.lr=0.05", "data.feats=[j,b]"]` -> [(key, YAML-parsed value)]."""
    out = []
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r}: write it as key=value, e.g. optim.lr=0.05 or epochs=4")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: the value is not valid YAML ({exc})") from None
        out.append((key.strip(), value))
    return out


def _validate(cfg: TrainConfig, source: str) -> None:
    def bad(where: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: '{where}' {problem}")

    d = cfg.data
    if not d.file:
        raise bad("data.file", "is empty: set the PYSKL .pkl data file (e.g. data.file=data/my.pkl)")
    for f in d.feats:
        if f not in FEATS:
            raise bad("data.feats", f"has {f!r}: use streams from {list(FEATS)}")
    for name, value, low in (("data.clip_len", d.clip_len, 1), ("data.num_person", d.num_person, 1),
                             ("data.num_clips_test", d.num_clips_test, 1), ("data.repeat", d.repeat, 1),
                             ("epochs", cfg.epochs, 1), ("batch_size", cfg.batch_size, 1),
                             ("workers", cfg.workers, 0), ("val_every", cfg.val_every, 1),
                             ("keep_checkpoints", cfg.keep_checkpoints, 0),
                             ("optim.lr_batch", cfg.optim.lr_batch, 1)):
        if value < low:
            raise bad(name, f"is {value}: it must be >= {low}")
    if len(d.p_interval) != 2 or not 0.0 < d.p_interval[0] <= d.p_interval[1] <= 1.0:
        raise bad("data.p_interval", f"is {d.p_interval}: write [low, high] with 0 < low <= high <= 1, "
                  "e.g. [0.5, 1.0]")
    if not 0.0 <= d.placement <= 1.0:
        raise bad("data.placement", f"is {d.placement}: use a share of training draws in [0, 1], e.g. 0.5")
    if not 0.0 <= d.cut <= 1.0:
        raise bad("data.cut", f"is {d.cut}: use a share of training draws in [0, 1], e.g. 0.2")
    if len(d.placement_scale) != 2 or not 0.0 < d.placement_scale[0] <= d.placement_scale[1]:
        raise bad("data.placement_scale", f"is {d.placement_scale}: write [low, high] with 0 < low <= high, "
                  "e.g. [1.0, 1.0] to move without resizing")
    if not 0 < d.fps < 1e4:
        raise bad("data.fps", f"is {d.fps}: the data's frame rate in frames/s, e.g. 30")
    if d.window < 0:
        raise bad("data.window", f"is {d.window}: frames at data.fps, or 0 for clip_len")
    if not 0.0 < d.train_fraction <= 1.0:
        raise bad("data.train_fraction", f"is {d.train_fraction}: use a share in (0, 1], e.g. 0.5")
    if d.rescale and not d.recenter:
        raise bad("data.rescale", "needs data.recenter: true (clips are scaled about the person's centre); "
                  "set both, or rescale: false")
    if d.bone_lengths and not d.rescale:
        raise bad("data.bone_lengths", "sizes the person for data.rescale; set rescale: true too, or "
                  "bone_lengths: false")
    for i, extra in enumerate(d.extra):
        if not extra.file:
            raise bad(f"data.extra[{i}].file", "is empty: set the PYSKL .pkl file to add")
        if extra.repeat < 0 or extra.other_repeat < 0:
            raise bad(f"data.extra[{i}].repeat", "and other_repeat must be >= 0")
        if not 0.0 <= extra.views <= 1.0:
            raise bad(f"data.extra[{i}].views", f"is {extra.views}: use a share of draws in [0, 1], e.g. 0.5")
        if not 0.0 <= float(extra.noise) <= 1.0:
            raise bad(f"data.extra[{i}].noise", f"is {extra.noise}: use true, false or a share of draws in "
                      "[0, 1], e.g. 0.7")
        if not 0.0 <= extra.flip <= 1.0:
            raise bad(f"data.extra[{i}].flip", f"is {extra.flip}: use a share of draws in [0, 1], e.g. 0.5")
        vp = extra.view_pitch
        if len(vp) != 2 or not -60.0 <= vp[0] <= vp[1] <= 80.0:
            raise bad(f"data.extra[{i}].view_pitch", f"is {vp}: write [low, high] degrees of camera "
                      "elevation with -60 <= low <= high <= 80, e.g. [-10, 30]")
        if extra.views > 0 and not extra.file3d:
            raise bad(f"data.extra[{i}].views", f"needs data.extra[{i}].file3d: the same sequences as NTU "
                      "RGB+D 3D joints to see from new viewpoints (or set views: 0)")
    if d.other_classes and not d.other_class:
        raise bad("data.other_classes", "needs data.other_class: the class they train as (e.g. unknown)")
    if d.synth is not None and d.synth.train_cameras not in CAMERA_CHOICES:
        raise bad("data.synth.train_cameras", f"is {d.synth.train_cameras!r}: use disjoint (train and test "
                  "cameras apart) or all (train on every camera)")
    if d.img_shape is not None and (len(d.img_shape) != 2 or min(d.img_shape) <= 0):
        raise bad("data.img_shape", f"is {d.img_shape}: write [height, width], e.g. [1080, 1920]")
    if cfg.optim.lr <= 0:
        raise bad("optim.lr", f"is {cfg.optim.lr}: it must be > 0")
    if not 0.0 <= cfg.model.dropout < 1.0:
        raise bad("model.dropout", f"is {cfg.model.dropout}: use a value in [0, 1)")
    if cfg.device != "auto" and not (cfg.device == "cpu" or cfg.device.startswith("cuda")):
        raise bad("device", f"is {cfg.device!r}: use auto, cpu, cuda or cuda:N")
    if cfg.distill is not None:
        if not cfg.distill.teacher:
            raise bad("distill.teacher", "is empty: name a checkpoint or an ensemble.yaml to learn from "
                      "(e.g. models/stgcnpp_coco_real_x3/ensemble.yaml), or remove the distill section")
        if not 0.0 < cfg.distill.weight <= 1.0:
            raise bad("distill.weight", f"is {cfg.distill.weight}: use the teacher's share of the loss in "
                      "(0, 1], e.g. 0.7")
        if not cfg.distill.temperature > 0.0:
            raise bad("distill.temperature", f"is {cfg.distill.temperature}: it must be > 0, e.g. 2")
    if cfg.max_steps is not None and cfg.max_steps < 1:
        raise bad("max_steps", f"is {cfg.max_steps}: use a positive step count or null")


def config_from_dict(data: dict[str, Any], source: str = "<config>",
                     overrides: list[str] | None = None, base_dir: str | os.PathLike | None = None
                     ) -> TrainConfig:
    """Build and validate a config from a mapping plus `key=value` overrides.

    Relative paths in data.file / data.val_file / model.pretrained are taken relative to the
    current directory (documented: run from the repository root).
    """
    data = dict(data or {})
    for key, value in parse_overrides(overrides or []):
        _set_dotted(data, key, value)
    cfg = _build(TrainConfig, data, "", source)
    _validate(cfg, source)
    return cfg


def load_config(path: str | os.PathLike | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML config (None: the built-in PYSKL defaults) and apply `key=value` overrides."""
    if path is None:
        return config_from_dict({}, "<defaults>", overrides)
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of fields, got {type(data).__name__}")
    src = str(path) + (" (with overrides)" if overrides else "")
    return config_from_dict(data or {}, src, overrides)


def dump_config(cfg: TrainConfig, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return path
