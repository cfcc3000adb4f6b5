"""The fused ST-GCN++ rewritten channels-last, so every weight is the right-hand operand of a GEMM.

`FusedSTGCNPP` keeps PyTorch's (N, C, T, V) layout: its weight GEMMs are W @ x, with the constant on
the left. ONNX Runtime can prepack, and its dynamic INT8 quantiser can quantise, only a constant
right-hand operand. Here activations are (N, T, V, C) and each weight GEMM is x @ W^T; the temporal
(3, 1) convolutions become one GEMM over three time-shifted copies of their input (im2col). The
same folded weights, the same sums: outputs agree with the fused graph to float32 rounding.

Used only to build the INT8 export (`model/quantize.py`); the fp32 export is unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from action_recognition.model.fused import FusedBlock, FusedGraphConv, FusedMultiScaleTCN, FusedSTGCNPP


def _t(w: torch.Tensor) -> torch.Tensor:
    return w.detach().t().contiguous()


class LastGraphConv(nn.Module):
    def __init__(self, src: FusedGraphConv) -> None:
        super().__init__()
        k, v = src.num_subsets, src.A_cat.shape[0]
        self.num_subsets = k
        # A_cat[v, k*V + w] = A[k, v, w]  ->  agg[k*V + w, v]: aggregation as agg @ x over joints.
        self.register_buffer("agg", src.A_cat.t().contiguous())
        c_out = src.weight.shape[0]
        self.register_buffer("weight_t", _t(src.weight))  # (K*C_in, C_out), rows (k, c)
        self.has_down = src.has_down
        bias = src.bias_map2 if src.has_down else src.bias_map  # (C_out, 1, V)
        self.register_buffer("bias", bias.reshape(c_out, v).t().contiguous())  # (V, C_out)
        if self.has_down:
            self.register_buffer("down_t", _t(src.down_weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, v, c = x.shape
        z = torch.matmul(self.agg, x)  # (n, t, K*V, C): the K aggregations over joints
        z = z.view(n, t, self.num_subsets, v, c).permute(0, 1, 3, 2, 4).reshape(n, t, v, -1)
        y = torch.matmul(z, self.weight_t) + self.bias
        return torch.relu(y + (torch.matmul(x, self.down_t) if self.has_down else x))


class LastMultiScaleTCN(nn.Module):
    def __init__(self, src: FusedMultiScaleTCN) -> None:
        super().__init__()
        self.widths = list(src.widths)
        self.stride = src.stride
        self.register_buffer("in_t", _t(src.in_weight))
        self.register_buffer("in_bias", src.in_bias.reshape(-1).clone())
        self.dilations = []
        for i, conv in enumerate(src.dilated):
            # (C_out, C_in, 3, 1) -> (3*C_in, C_out): rows (tap, c) to match the stacked shifted inputs
            w = conv.weight.detach()[..., 0].permute(2, 1, 0).reshape(-1, conv.out_channels)
            self.register_buffer(f"tap_w{i}", w.contiguous())
            self.register_buffer(f"tap_b{i}", conv.bias.detach().clone())
            self.dilations.append(conv.dilation[0])
        self.register_buffer("pool_scale", src.pool_scale.reshape(-1).clone())
        self.register_buffer("pool_shift", src.pool_shift.reshape(-1).clone())
        self.register_buffer("mix_t", _t(src.mix_weight))
        self.register_buffer("mix_bias", src.mix_bias.reshape(-1).clone())

    def _taps(self, x: torch.Tensor, dilation: int) -> list[torch.Tensor]:
        """x (n, T, V, C) -> the 3 inputs of a (3, 1) conv with 'same' padding and self.stride."""
        t = x.shape[1]
        padded = F.pad(x, (0, 0, 0, 0, dilation, dilation))  # zeros before and after in time
        return [padded[:, j * dilation:j * dilation + t:self.stride] for j in range(3)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = torch.matmul(x, self.in_t) + self.in_bias
        w = self.widths
        n_act = sum(w[:-1])
        act = torch.relu(u[..., :n_act])
        outs = []
        start = 0
        for i, dilation in enumerate(self.dilations):
            branch = act[..., start:start + w[i]]
            stacked = torch.cat(self._taps(branch, dilation), dim=-1)
            outs.append(torch.matmul(stacked, getattr(self, f"tap_w{i}")) + getattr(self, f"tap_b{i}"))
            start += w[i]
        # max pool (3, 1), padding 1: after the ReLU every value is >= 0, so zero padding is exact
        a, b, c = self._taps(act[..., start:start + w[-2]], 1)
        outs.append(torch.maximum(torch.maximum(a, b), c) * self.pool_scale + self.pool_shift)
        outs.append(u[:, ::self.stride, :, n_act:] if self.stride > 1 else u[..., n_act:])
        feat = torch.relu(torch.cat(outs, dim=-1))
        return torch.matmul(feat, self.mix_t) + self.mix_bias


class LastBlock(nn.Module):
    def __init__(self, src: FusedBlock) -> None:
        super().__init__()
        self.gcn = LastGraphConv(src.gcn)
        self.tcn = LastMultiScaleTCN(src.tcn)
        self.has_residual = src.has_residual
        self.res_conv = src.res_conv
        if self.res_conv:
            self.res_stride = src.res_stride
            self.register_buffer("res_t", _t(src.res_weight))
            self.register_buffer("res_bias", src.res_bias.reshape(-1).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if not self.has_residual:
            return torch.relu(y)
        if self.res_conv:
            xs = x[:, ::self.res_stride] if self.res_stride > 1 else x
            return torch.relu(y + torch.matmul(xs, self.res_t) + self.res_bias)
        return torch.relu(y + x)


class ChannelsLastSTGCNPP(nn.Module):
    """forward (N, M, T, V, C) -> logits (N, K), as `FusedSTGCNPP`, computed channels-last."""

    def __init__(self, src: FusedSTGCNPP) -> None:
        super().__init__()
        c, v = src.in_scale.shape[0], src.in_scale.shape[2]
        self.register_buffer("in_scale", src.in_scale.reshape(c, v).t().contiguous())  # (V, C)
        self.register_buffer("in_shift", src.in_shift.reshape(c, v).t().contiguous())
        self.blocks = nn.ModuleList(LastBlock(b) for b in src.blocks)
        self.register_buffer("fc_weight", src.fc_weight.clone())
        self.register_buffer("fc_bias", src.fc_bias.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, m, t, v, c = x.shape
        x = x.reshape(n * m, t, v, c) * self.in_scale + self.in_shift
        for block in self.blocks:
            x = block(x)
        pooled = x.mean(dim=(1, 2)).reshape(n, m, -1).mean(dim=1)
        return F.linear(pooled, self.fc_weight, self.fc_bias)


@torch.no_grad()
def channels_last_model(fused: FusedSTGCNPP) -> ChannelsLastSTGCNPP:
    return ChannelsLastSTGCNPP(fused).eval()
