"""An inference-only copy of ST-GCN++ with the same outputs and fewer, larger operations.

Built from an eval-mode `STGCNPP`; it keeps no link to it and has no PYSKL state_dict (the
source model keeps that). Exact rewrites, all computed in float64 before casting:
- every BatchNorm is folded into the convolution before it (or after, for data_bn / the mstcn
  pre-BN), so no BN runs at inference;
- graph conv: aggregate first (one GEMM for all K subsets), then one GEMM over all subsets:
  sum_k W_k (x A_k) equals sum_k (W_k x) A_k, and C_in <= C_out makes the aggregation cheaper;
  the conv bias becomes a (C_out, V) map b_k * colsum(A_k);
- mstcn: the six 1x1 convs of the branches are one GEMM; the final BN folds into the mix conv.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from action_recognition.model.stgcn import STGCNPP, GraphConv, MultiScaleTCN, STGCNBlock


def _bn_affine(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of an eval BatchNorm in float64: bn(y) = y * scale + shift."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return scale, bn.bias.double() - bn.running_mean.double() * scale


def _f32(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float32).contiguous()


def _fold_1x1(conv: nn.Conv2d, bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 (weight (C_out, C_in), bias (C_out, 1, 1)) of bn(conv(x)) for a 1x1 conv."""
    scale, shift = _bn_affine(bn)
    weight = conv.weight.detach().double()[:, :, 0, 0] * scale[:, None]
    bias = conv.bias.detach().double() * scale + shift
    return _f32(weight), _f32(bias.view(-1, 1, 1))


class FusedGraphConv(nn.Module):
    """ReLU(W [x·A_0; x·A_1; x·A_2] + bias_map + res) with BN and down-BN folded in."""

    def __init__(self, src: GraphConv) -> None:
        super().__init__()
        k = src.num_subsets
        a = src.A.detach().double()
        c_out = src.bn.num_features
        w = src.conv.weight.detach().double()[:, :, 0, 0]  # (K*C_out, C_in), k-major rows
        c_in = w.shape[1]
        b = src.conv.bias.detach().double().view(k, c_out)
        scale, shift = _bn_affine(src.bn)
        # (C_out, K*C_in): column block k holds W_k, scaled by the BN.
        w_agg = (w.view(k, c_out, c_in) * scale[None, :, None]).permute(1, 0, 2).reshape(c_out, k * c_in)
        bias_map = scale[:, None] * torch.einsum("ko,kw->ow", b, a.sum(dim=1)) + shift[:, None]
        # A_cat[v, k*V + w] = A[k, v, w]: the K aggregations as one GEMM with a wide output.
        self.num_subsets = k
        self.register_buffer("A_cat", _f32(a.permute(1, 0, 2).reshape(a.shape[1], -1)))
        self.register_buffer("weight", _f32(w_agg))
        self.register_buffer("bias_map", _f32(bias_map[:, None, :]))  # (C_out, 1, V)
        self.has_down = src.down is not None
        if self.has_down:
            d_scale, d_shift = _bn_affine(src.down[1])
            wd = src.down[0].weight.detach().double()[:, :, 0, 0] * d_scale[:, None]
            bd = src.down[0].bias.detach().double() * d_scale + d_shift
            self.register_buffer("down_weight", _f32(wd))
            self.register_buffer("bias_map2", _f32(bias_map[:, None, :] + bd[:, None, None]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        k = self.num_subsets
        z = torch.matmul(x.reshape(n, c * t, v), self.A_cat).view(n, c, t, k, v)
        z = z.permute(0, 3, 1, 2, 4).reshape(n, k * c, t * v)  # rows (k, c) to match the weight
        y = torch.matmul(self.weight, z).view(n, -1, t, v)
        if self.has_down:
            res = torch.matmul(self.down_weight, x.reshape(n, c, t * v)).view(n, -1, t, v)
            return torch.relu(y + res + self.bias_map2)
        return torch.relu(y + self.bias_map + x)


class FusedMultiScaleTCN(nn.Module):
    """mstcn with one GEMM for the six branch entries and the BNs folded."""

    def __init__(self, src: MultiScaleTCN) -> None:
        super().__init__()
        widths = list(src.widths)
        self.widths = widths
        pre_scale, pre_shift = _bn_affine(src.transform[0])  # BN over the concatenated branches
        offsets = [sum(widths[:i]) for i in range(len(widths) + 1)]
        ws, bs = [], []
        self.dilated = nn.ModuleList()
        for i, branch in enumerate(src.branches):
            if isinstance(branch, nn.Conv2d):  # bare 1x1 branch: fold the pre-BN into it
                sl = slice(offsets[i], offsets[i + 1])
                ws.append(branch.weight.detach().double()[:, :, 0, 0] * pre_scale[sl, None])
                bs.append(branch.bias.detach().double() * pre_scale[sl] + pre_shift[sl])
                self.stride = branch.stride[0]
                continue
            conv, bn = branch[0], branch[1]
            scale, shift = _bn_affine(bn)
            ws.append(conv.weight.detach().double()[:, :, 0, 0] * scale[:, None])
            bs.append(conv.bias.detach().double() * scale + shift)
            sl = slice(offsets[i], offsets[i + 1])
            if isinstance(branch[3], nn.MaxPool2d):
                self.register_buffer("pool_scale", _f32(pre_scale[sl].view(-1, 1, 1)))
                self.register_buffer("pool_shift", _f32(pre_shift[sl].view(-1, 1, 1)))
                continue
            tconv = branch[3].conv
            folded = nn.Conv2d(tconv.in_channels, tconv.out_channels, tconv.kernel_size, stride=tconv.stride,
                               padding=tconv.padding, dilation=tconv.dilation)
            with torch.no_grad():
                folded.weight.copy_(_f32(tconv.weight.double() * pre_scale[sl, None, None, None]))
                folded.bias.copy_(_f32(tconv.bias.double() * pre_scale[sl] + pre_shift[sl]))
            folded.requires_grad_(False)
            self.dilated.append(folded)
        self.register_buffer("in_weight", _f32(torch.cat(ws)))
        self.register_buffer("in_bias", _f32(torch.cat(bs).view(-1, 1, 1)))
        mix_weight, mix_bias = _fold_1x1(src.transform[2], src.bn)
        self.register_buffer("mix_weight", mix_weight)
        self.register_buffer("mix_bias", mix_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        u = torch.matmul(self.in_weight, x.reshape(n, c, t * v)).view(n, -1, t, v) + self.in_bias
        w = self.widths
        n_act = sum(w[:-1])
        act = torch.relu(u[:, :n_act])
        outs = []
        start = 0
        for i, conv in enumerate(self.dilated):
            outs.append(conv(act[:, start:start + w[i]]))
            start += w[i]
        pool_in = act[:, start:start + w[-2]]
        pooled = F.max_pool2d(pool_in, (3, 1), stride=(self.stride, 1), padding=(1, 0))
        outs.append(pooled * self.pool_scale + self.pool_shift)
        outs.append(u[:, n_act:, ::self.stride] if self.stride > 1 else u[:, n_act:])
        feat = torch.relu(torch.cat(outs, dim=1))
        n2, c2, t2, _ = feat.shape
        return torch.matmul(self.mix_weight, feat.reshape(n2, c2, t2 * v)).view(n2, -1, t2, v) + self.mix_bias


class FusedBlock(nn.Module):
    def __init__(self, src: STGCNBlock) -> None:
        super().__init__()
        self.gcn = FusedGraphConv(src.gcn)
        self.tcn = FusedMultiScaleTCN(src.tcn)
        self.has_residual = src.has_residual
        self.res_conv = src.residual is not None
        if self.res_conv:
            self.res_stride = src.residual.conv.stride[0]
            res_weight, res_bias = _fold_1x1(src.residual.conv, src.residual.bn)
            self.register_buffer("res_weight", res_weight)
            self.register_buffer("res_bias", res_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if not self.has_residual:
            return torch.relu(y)
        if self.res_conv:
            xs = x[:, :, ::self.res_stride] if self.res_stride > 1 else x
            n, c, t, v = xs.shape
            res = torch.matmul(self.res_weight, xs.reshape(n, c, t * v)).view(n, -1, t, v) + self.res_bias
            return torch.relu(y + res)
        return torch.relu(y + x)


class FusedSTGCNPP(nn.Module):
    """Inference copy of an `STGCNPP` (eval semantics): forward (N, M, T, V, C) -> logits (N, K)."""

    def __init__(self, src: STGCNPP) -> None:
        super().__init__()
        bn = src.backbone.data_bn
        scale, shift = _bn_affine(bn)
        v, c = src.num_joints, src.in_channels
        # data_bn channel v*C + c, stored as (C, 1, V) to act on the (N*M, C, T, V) layout.
        self.register_buffer("in_scale", _f32(scale.view(v, c).t().reshape(c, 1, v)))
        self.register_buffer("in_shift", _f32(shift.view(v, c).t().reshape(c, 1, v)))
        self.blocks = nn.ModuleList(FusedBlock(b) for b in src.backbone.gcn)
        self.register_buffer("fc_weight", _f32(src.cls_head.fc_cls.weight.double()))
        self.register_buffer("fc_bias", _f32(src.cls_head.fc_cls.bias.double()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, m, t, v, c = x.shape
        x = x.reshape(n * m, t, v, c).permute(0, 3, 1, 2) * self.in_scale + self.in_shift
        for block in self.blocks:
            x = block(x)
        pooled = x.mean(dim=(2, 3)).reshape(n, m, -1).mean(dim=1)
        return F.linear(pooled, self.fc_weight, self.fc_bias)


@torch.no_grad()
def fuse_model(model: STGCNPP) -> FusedSTGCNPP:
    """Fused inference copy of `model` (its BN statistics are used: eval semantics)."""
    return FusedSTGCNPP(model).eval()
