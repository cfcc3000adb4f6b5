"""ST-GCN++: PYSKL's parameter counts and state_dict, graph semantics, shapes, fused equivalence."""

from __future__ import annotations

import pytest
import torch
from pyskl_facts import pyskl_stgcnpp_shapes, random_pyskl_state_dict

from action_recognition.model import STGCNPP, fuse_model
from action_recognition.model.stgcn import GraphConv
from action_recognition.skeleton import layout_from_dict

torch.set_num_threads(1)


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("layout", "classes", "expected"), [
    ("nturgb+d", 60, 1_403_144), ("coco", 60, 1_393_016), ("nturgb+d", 2, 1_388_238)])
def test_parameter_counts_match_pyskl(layout, classes, expected):
    assert _params(STGCNPP(layout, classes)) == expected


@pytest.mark.parametrize(("layout", "joints"), [("nturgb+d", 25), ("coco", 17), ("openpose", 18)])
def test_state_dict_keys_and_shapes_are_pyskl(layout, joints):
    sd = STGCNPP(layout, 60).state_dict()
    expected = pyskl_stgcnpp_shapes(joints, 60)
    assert len(sd) == 692
    assert list(sd) == list(expected)  # same names, same order
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected


def test_adjacency_is_learnable_per_block_and_initialised_from_graph():
    from action_recognition.skeleton import get_layout, spatial_adjacency

    model = STGCNPP("coco", 5)
    graph = torch.tensor(spatial_adjacency(get_layout("coco")), dtype=torch.float32)
    params = dict(model.named_parameters())
    for i in range(10):
        a = params[f"backbone.gcn.{i}.gcn.A"]
        assert a.requires_grad
        torch.testing.assert_close(a.detach(), graph)
    assert params["backbone.gcn.0.gcn.A"].data_ptr() != params["backbone.gcn.1.gcn.A"].data_ptr()


def test_graph_aggregation_is_x_times_a_not_transposed():
    # tiny directed case: asymmetric A makes x·A and A^T·x differ
    layout = layout_from_dict(
        {"name": "t", "joints": ["a", "b", "c"], "edges": [[1, 0], [2, 1]], "center": 0})
    gcn = GraphConv(2, 2, torch.zeros(3, 3, 3)).eval()
    a = torch.zeros(3, 3, 3)
    a[1, 0, 2] = 1.0  # subset 1: joint 0 feeds joint 2 only
    a[1, 1, 0] = 0.5
    with torch.no_grad():
        gcn.A.copy_(a)
        gcn.conv.weight.zero_()
        gcn.conv.bias.zero_()
        gcn.conv.weight[2:4, :, 0, 0] = torch.eye(2)  # subset 1 passes channels through
    x = torch.zeros(1, 2, 1, 3)
    x[0, :, 0, 0] = torch.tensor([3.0, 4.0])
    x[0, :, 0, 1] = torch.tensor([1.0, 2.0])
    with torch.no_grad():
        y = gcn.bn(torch.einsum("nkctv,kvw->nctw", gcn.conv(x).view(1, 3, 2, 1, 3), gcn.A))
        out = gcn(x)
    # hand computation: y[:, w] = sum_v x[:, v] * A[1, v, w]
    expected = torch.zeros(2, 3)
    expected[:, 2] = torch.tensor([3.0, 4.0])  # from joint 0
    expected[:, 0] = 0.5 * torch.tensor([1.0, 2.0])  # from joint 1
    bn_scale = 1 / (1 + gcn.bn.eps) ** 0.5
    torch.testing.assert_close(y[0, :, 0], expected * bn_scale)
    torch.testing.assert_close(out[0, :, 0], torch.relu(expected * bn_scale + x[0, :, 0]))
    assert len(layout.edges) == 2


def test_forward_any_persons_frames_and_batch():
    model = STGCNPP("coco", 7).eval()
    with torch.inference_mode():
        for n, m, t in [(1, 1, 100), (3, 2, 37), (2, 4, 9)]:
            out = model(torch.randn(n, m, t, 17, 3))
            assert out.shape == (n, 7)
            assert torch.isfinite(out).all()


def test_head_averages_over_persons_including_padding():
    model = STGCNPP("coco", 4).eval()
    with torch.no_grad():
        model.cls_head.fc_cls.weight.normal_()
    x = torch.randn(1, 1, 20, 17, 3)
    padded = torch.cat([x, torch.zeros_like(x)], dim=1)
    with torch.inference_mode():
        feats = model.backbone(padded)
        expected = model.cls_head.fc_cls(feats.mean(dim=(3, 4)).mean(dim=1))
        torch.testing.assert_close(model(padded), expected)
        assert not torch.allclose(model(padded), model(x))  # zero persons still count


def test_batch_of_tracks_equals_separate_forwards():
    model = STGCNPP("coco", 3).eval()
    x = torch.randn(4, 2, 30, 17, 3)
    with torch.inference_mode():
        batched = model(x)
        single = torch.cat([model(x[i:i + 1]) for i in range(4)])
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=1e-5)


def _trained_model(layout="nturgb+d", joints=25, classes=60, seed=0):
    model = STGCNPP(layout, classes)
    model.load_state_dict(random_pyskl_state_dict(joints, classes, seed=seed), strict=True)
    return model.eval()


@pytest.mark.parametrize(("n", "m", "t"), [(1, 1, 100), (2, 2, 37), (3, 1, 8)])
def test_fused_model_matches_reference(n, m, t):
    model = _trained_model()
    fused = fuse_model(model)
    x = torch.randn(n, m, t, 25, 3)
    with torch.inference_mode():
        ref, got = model(x), fused(x)
    assert ref.abs().max() > 1e-2  # logits of a meaningful size, so the tolerance means something
    assert (ref - got).abs().max().item() < 1e-4
    assert ref.argmax(1).tolist() == got.argmax(1).tolist()


def test_fused_model_leaves_state_dict_untouched():
    model = _trained_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fuse_model(model)
    after = model.state_dict()
    assert list(before) == list(after)
    assert all(torch.equal(before[k], after[k]) for k in before)
