"""PYSKL's ST-GCN++ recognizer state_dict, derived from the architecture facts (not from our model)."""

from __future__ import annotations

import torch


def _bn(prefix: str, c: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.weight": (c,), f"{prefix}.bias": (c,), f"{prefix}.running_mean": (c,),
            f"{prefix}.running_var": (c,), f"{prefix}.num_batches_tracked": ()}


def _conv(prefix: str, c_out: int, c_in: int, kt: int = 1) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.weight": (c_out, c_in, kt, 1), f"{prefix}.bias": (c_out,)}


def pyskl_stgcnpp_shapes(num_joints: int, num_classes: int,
                         in_channels: int = 3) -> dict[str, tuple[int, ...]]:
    """Key -> shape of PYSKL's RecognizerGCN(STGCN(ST-GCN++ defaults), GCNHead)."""
    shapes = _bn("backbone.data_bn", num_joints * in_channels)
    plan = [(in_channels, 64, False), (64, 64, False), (64, 64, False), (64, 64, False), (64, 128, True),
            (128, 128, False), (128, 128, False), (128, 256, True), (256, 256, False), (256, 256, False)]
    for i, (c_in, c_out, strided) in enumerate(plan):
        p = f"backbone.gcn.{i}"
        shapes[f"{p}.gcn.A"] = (3, num_joints, num_joints)
        shapes.update(_conv(f"{p}.gcn.conv", 3 * c_out, c_in))
        shapes.update(_bn(f"{p}.gcn.bn", c_out))
        if c_in != c_out:
            shapes.update(_conv(f"{p}.gcn.down.0", c_out, c_in))
            shapes.update(_bn(f"{p}.gcn.down.1", c_out))
        mid = c_out // 6
        widths = [c_out - 5 * mid] + [mid] * 5
        for b in range(4):
            shapes.update(_conv(f"{p}.tcn.branches.{b}.0", widths[b], c_out))
            shapes.update(_bn(f"{p}.tcn.branches.{b}.1", widths[b]))
            shapes.update(_conv(f"{p}.tcn.branches.{b}.3.conv", widths[b], widths[b], 3))
        shapes.update(_conv(f"{p}.tcn.branches.4.0", widths[4], c_out))
        shapes.update(_bn(f"{p}.tcn.branches.4.1", widths[4]))
        shapes.update(_conv(f"{p}.tcn.branches.5", widths[5], c_out))
        shapes.update(_bn(f"{p}.tcn.transform.0", c_out))
        shapes.update(_conv(f"{p}.tcn.transform.2", c_out, c_out))
        shapes.update(_bn(f"{p}.tcn.bn", c_out))
        if strided:
            shapes.update(_conv(f"{p}.residual.conv", c_out, c_in))
            shapes.update(_bn(f"{p}.residual.bn", c_out))
    shapes["cls_head.fc_cls.weight"] = (num_classes, 256)
    shapes["cls_head.fc_cls.bias"] = (num_classes,)
    return shapes


def random_pyskl_state_dict(num_joints: int, num_classes: int, in_channels: int = 3,
                            seed: int = 0) -> dict[str, torch.Tensor]:
    """A 'trained-looking' state_dict with PYSKL's keys: random weights, BN stats and dense A."""
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for key, shape in pyskl_stgcnpp_shapes(num_joints, num_classes, in_channels).items():
        if key.endswith("num_batches_tracked"):
            out[key] = torch.tensor(1000)
        elif key.endswith("running_var"):
            out[key] = torch.rand(shape, generator=gen) + 0.5
        elif key.endswith("running_mean") or key.endswith(".bias"):
            out[key] = (torch.rand(shape, generator=gen) - 0.5) * 0.2
        elif key.endswith("bn.weight") or ".1.weight" in key or "transform.0.weight" in key \
                or "data_bn.weight" in key:
            out[key] = torch.rand(shape, generator=gen) * 1.5 - 0.25  # some negative BN scales
        elif key.endswith(".A"):
            out[key] = torch.rand(shape, generator=gen) * 0.3
        else:
            fan_in = max(1, int(torch.tensor(shape[1:]).prod())) if len(shape) > 1 else 1
            out[key] = torch.randn(shape, generator=gen) / fan_in ** 0.5
    return out
