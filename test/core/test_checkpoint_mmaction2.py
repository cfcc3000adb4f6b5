"""mmaction2 1.x GCN checkpoints (head `cls_head.fc.*` instead of PYSKL's `cls_head.fc_cls.*`) load."""

from __future__ import annotations

import torch
from pyskl_facts import random_pyskl_state_dict

from action_recognition.model import load_checkpoint

torch.set_num_threads(1)


def _mmaction2_file(tmp_path, joints: int, classes: int):
    sd = random_pyskl_state_dict(joints, classes)
    renamed = {k.replace("cls_head.fc_cls.", "cls_head.fc."): v for k, v in sd.items()}
    assert "cls_head.fc.weight" in renamed and "cls_head.fc_cls.weight" not in renamed
    meta = {"mmengine_version": "0.10.4", "epoch": 16, "dataset_meta": {}}
    path = tmp_path / "mmaction2.pth"
    torch.save({"meta": meta, "state_dict": renamed}, path)
    return path, sd


def test_mmaction2_1x_head_keys_load_strict(tmp_path):
    path, sd = _mmaction2_file(tmp_path, 17, 7)
    ckpt = load_checkpoint(path, strict=True)
    assert ckpt.spec.num_classes == 7 and ckpt.spec.layout == "coco"
    loaded = ckpt.model.state_dict()
    assert torch.equal(loaded["cls_head.fc_cls.weight"], sd["cls_head.fc_cls.weight"])
    assert torch.equal(loaded["cls_head.fc_cls.bias"], sd["cls_head.fc_cls.bias"])
    # The forward pass uses the loaded head: zero input features give exactly the bias.
    with torch.no_grad():
        logits = ckpt.model.cls_head(torch.zeros(1, 1, ckpt.model.backbone.out_channels, 4, 17))
    torch.testing.assert_close(logits[0], sd["cls_head.fc_cls.bias"])


def test_mmaction2_ddp_prefix_and_25_joints(tmp_path):
    sd = random_pyskl_state_dict(25, 120)
    wrapped = {"module." + k.replace("fc_cls", "fc"): v for k, v in sd.items()}
    path = tmp_path / "ntu120.pth"
    torch.save({"state_dict": wrapped}, path)
    ckpt = load_checkpoint(path, strict=True)
    assert ckpt.spec.num_classes == 120 and ckpt.spec.layout == "nturgb+d"
