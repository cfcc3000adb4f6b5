"""ST-GCN++ as PYSKL defines it (STGCN backbone + GCNHead), with PYSKL's state_dict names.

Module attribute names mirror PYSKL's recognizer so that `state_dict()` keys are exactly
`backbone.data_bn.*`, `backbone.gcn.{i}.{gcn,tcn,residual}.*`, `cls_head.fc_cls.*` and a PYSKL
checkpoint loads with strict=True. This is the training/reference network; `fused.py` builds the
faster inference copy from it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from action_recognition.skeleton import SkeletonLayout, get_layout, spatial_adjacency

# One (kernel, dilation) per dilated branch, then a max-pool branch and a bare 1x1 branch.
MSTCN_DILATIONS: tuple[int, ...] = (1, 2, 3, 4)


class TemporalConv(nn.Module):
    """(k, 1) convolution over time with 'same' padding, optional BN (PYSKL's unit_tcn)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1,
                 dilation: int = 1, with_bn: bool = True) -> None:
        super().__init__()
        pad = (kernel_size - 1) * dilation // 2
        self.conv = nn.Conv2d(in_channels, out_channels, (kernel_size, 1), padding=(pad, 0),
                              stride=(stride, 1), dilation=(dilation, 1))
        self.bn = nn.BatchNorm2d(out_channels) if with_bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class GraphConv(nn.Module):
    """Spatial graph convolution, 'init'-adaptive (learnable dense A), with its own residual.

    y = ReLU(BN(sum_k (W_k x) A_k) + down(x)); the 1x1 conv makes K*C_out channels, k-major.
    """

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor) -> None:
        super().__init__()
        self.num_subsets = adjacency.shape[0]
        self.A = nn.Parameter(adjacency.clone())
        self.conv = nn.Conv2d(in_channels, out_channels * self.num_subsets, 1)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()
        # PYSKL keys: down.0 (conv), down.1 (BN); no parameters when the widths match.
        self.down = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
                     if in_channels != out_channels else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        res = x if self.down is None else self.down(x)
        y = self.conv(x).view(n, self.num_subsets, -1, t, v)
        y = torch.einsum("nkctv,kvw->nctw", y, self.A)  # x·A: sum over source joint v
        return self.act(self.bn(y) + res)


class MultiScaleTCN(nn.Module):
    """PYSKL's mstcn: 4 dilated (3,1) branches, a max-pool branch and a 1x1 branch, then a 1x1 mix."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        num_branches = len(MSTCN_DILATIONS) + 2
        mid = out_channels // num_branches
        first = out_channels - mid * (num_branches - 1)  # the remainder goes to branch 0
        widths = [first] + [mid] * (num_branches - 1)
        branches: list[nn.Module] = []
        for width, dilation in zip(widths, MSTCN_DILATIONS, strict=False):
            branches.append(nn.Sequential(
                nn.Conv2d(in_channels, width, 1), nn.BatchNorm2d(width), nn.ReLU(),
                TemporalConv(width, width, 3, stride=stride, dilation=dilation, with_bn=False)))
        w_pool = widths[len(MSTCN_DILATIONS)]
        branches.append(nn.Sequential(
            nn.Conv2d(in_channels, w_pool, 1), nn.BatchNorm2d(w_pool), nn.ReLU(),
            nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0))))
        branches.append(nn.Conv2d(in_channels, widths[-1], 1, stride=(stride, 1)))
        self.branches = nn.ModuleList(branches)
        self.widths = tuple(widths)
        total = sum(widths)
        self.transform = nn.Sequential(nn.BatchNorm2d(total), nn.ReLU(), nn.Conv2d(total, out_channels, 1))
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = torch.cat([branch(x) for branch in self.branches], dim=1)
        return self.bn(self.transform(feat))


class STGCNBlock(nn.Module):
    """ReLU(tcn(gcn(x)) + residual(x)); residual is none, identity or a strided 1x1 conv + BN."""

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor, stride: int = 1,
                 residual: bool = True) -> None:
        super().__init__()
        self.gcn = GraphConv(in_channels, out_channels, adjacency)
        self.tcn = MultiScaleTCN(out_channels, out_channels, stride=stride)
        self.relu = nn.ReLU()
        self.has_residual = residual
        self.residual = (TemporalConv(in_channels, out_channels, 1, stride=stride)
                         if residual and (in_channels != out_channels or stride != 1) else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.has_residual:
            y = y + (x if self.residual is None else self.residual(x))
        return self.relu(y)


class STGCNBackbone(nn.Module):
    """data_bn over V*C shared by persons ('VC'), then `num_stages` ST-GCN blocks."""

    def __init__(self, adjacency: torch.Tensor, in_channels: int = 3, base_channels: int = 64,
                 ch_ratio: int = 2, num_stages: int = 10, inflate_stages: tuple[int, ...] = (5, 8),
                 down_stages: tuple[int, ...] = (5, 8)) -> None:
        super().__init__()
        num_joints = adjacency.shape[-1]
        self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        blocks = [STGCNBlock(in_channels, base_channels, adjacency, 1, residual=False)]
        channels = base_channels
        for stage in range(2, num_stages + 1):  # 1-based stage numbers, as PYSKL counts them
            out = channels * ch_ratio if stage in inflate_stages else channels
            blocks.append(STGCNBlock(channels, out, adjacency, 1 + (stage in down_stages)))
            channels = out
        self.gcn = nn.ModuleList(blocks)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, C) -> (N, M, C', T', V)."""
        n, m, t, v, c = x.shape
        x = x.permute(0, 1, 3, 4, 2).reshape(n * m, v * c, t)  # channel index = v*C + c
        x = self.data_bn(x)
        x = x.view(n * m, v, c, t).permute(0, 2, 3, 1).contiguous()  # (N*M, C, T, V)
        for block in self.gcn:
            x = block(x)
        return x.reshape((n, m, *x.shape[1:]))


class GCNHead(nn.Module):
    """Mean over (T, V) per person, mean over persons (padded ones included), dropout, linear."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        nn.init.normal_(self.fc_cls.weight, std=0.01)
        nn.init.zeros_(self.fc_cls.bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        pooled = feats.mean(dim=(3, 4)).mean(dim=1)
        return self.fc_cls(self.dropout(pooled))


def layout_adjacency(layout: SkeletonLayout | str | np.ndarray | torch.Tensor) -> torch.Tensor:
    """(3, V, V) float32 tensor from a layout, a layout name/path or a ready adjacency."""
    if isinstance(layout, (np.ndarray, torch.Tensor)):
        adjacency = torch.as_tensor(np.asarray(layout), dtype=torch.float32)
    else:
        if not isinstance(layout, SkeletonLayout):
            layout = get_layout(layout)
        adjacency = torch.tensor(spatial_adjacency(layout), dtype=torch.float32)
    if adjacency.ndim != 3 or adjacency.shape[1] != adjacency.shape[2]:
        raise ValueError(f"adjacency must have shape (K, V, V), got {tuple(adjacency.shape)}")
    return adjacency


class STGCNPP(nn.Module):
    """ST-GCN++ recognizer: `backbone` + `cls_head`, PYSKL's defaults and state_dict keys.

    forward(x: (N, M, T, V, C)) -> logits (N, K). Any M and T work; persons are averaged.
    """

    def __init__(self, layout: SkeletonLayout | str | np.ndarray | torch.Tensor, num_classes: int,
                 in_channels: int = 3, base_channels: int = 64, ch_ratio: int = 2, num_stages: int = 10,
                 inflate_stages: tuple[int, ...] = (5, 8), down_stages: tuple[int, ...] = (5, 8),
                 dropout: float = 0.0) -> None:
        super().__init__()
        adjacency = layout_adjacency(layout)
        self.num_joints = adjacency.shape[-1]
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.backbone = STGCNBackbone(adjacency, in_channels, base_channels, ch_ratio, num_stages,
                                      tuple(inflate_stages), tuple(down_stages))
        self.cls_head = GCNHead(self.backbone.out_channels, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cls_head(self.backbone(x))
