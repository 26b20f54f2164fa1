"""InstanceNorm1d/2d/3d (F.instance_norm, torch.instance_norm), ParameterList/ParameterDict,
ChannelShuffle and the 3-D padding layers against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op, make_inputs

INSTANCE_CASES = [
    (nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (3, 4, 7), {}),
    (nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (4, 7), dict(affine=True)),
    (nn.InstanceNorm2d, torch.nn.InstanceNorm2d, (2, 3, 4, 5), dict(affine=True)),
    (nn.InstanceNorm2d, torch.nn.InstanceNorm2d, (2, 3, 4, 5), dict(track_running_stats=True)),
    (
        nn.InstanceNorm3d,
        torch.nn.InstanceNorm3d,
        (2, 2, 3, 2, 4),
        dict(affine=True, track_running_stats=True, momentum=0.3),
    ),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("g_cls, t_cls, shape, kw", INSTANCE_CASES)
def test_instance_norm_layers_match_torch(g_cls, t_cls, shape, kw, train, dtype):
    batched = len(shape) == {nn.InstanceNorm1d: 3, nn.InstanceNorm2d: 4}.get(g_cls, 5)
    c = shape[1] if batched else shape[0]
    t = t_cls(c, **kw)
    with torch.no_grad():  # non-trivial affine parameters and running statistics
        for name, b in list(t.named_parameters()) + list(t.named_buffers()):
            if b.dtype.is_floating_point:
                b.copy_(torch.rand(b.shape, generator=torch.Generator().manual_seed(3)) + 0.5)
    check_layer(g_cls(c, **kw), t, [shape], train=train, dtype=dtype)


def test_instance_norm_functional_and_torch_level():
    check_op([(3, 4, 6)], F.instance_norm, torch.nn.functional.instance_norm)
    check_op(
        [(2, 3, 5), (3,), (3,)],
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
        lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
    )
    rm, rv = make_inputs([(3,), (3,)], seed=4, positive=True)
    check_op(
        [(2, 3, 5)],
        lambda x: glassnet.instance_norm(
            x, None, None, glassnet.tensor(rm), glassnet.tensor(rv), False, 0.1, 1e-5, False
        ),
        lambda x: torch.instance_norm(
            x, None, None, torch.tensor(rm), torch.tensor(rv), False, 0.1, 1e-5, False
        ),
        dtypes=("float64",),
    )


def test_instance_norm_running_stats_follow_torch():
    (x,) = make_inputs([(4, 3, 6)], seed=1)
    g_rm, g_rv = glassnet.zeros(3, dtype="float64"), glassnet.ones(3, dtype="float64")
    t_rm, t_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.instance_norm(glassnet.tensor(x), g_rm, g_rv, momentum=0.2)
    torch.nn.functional.instance_norm(torch.tensor(x), t_rm, t_rv, momentum=0.2)
    # a handful of float64 sums: 1e-12 relative is far above the rounding error
    np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=1e-12)


def test_instance_norm_needs_spatial_elements():
    with pytest.raises(ValueError, match="spatial"):
        F.instance_norm(glassnet.ones(2, 3, 1))


def test_parameter_list_and_dict_register_like_torch():
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([glassnet.zeros(2), nn.Parameter(glassnet.ones(3))])
            self.pd = nn.ParameterDict({"b": glassnet.ones(1), "a": glassnet.zeros(4)})

    class T(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = torch.nn.ParameterList([torch.zeros(2), torch.nn.Parameter(torch.ones(3))])
            self.pd = torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.zeros(4)})

    g, t = G(), T()
    assert list(g.state_dict()) == list(t.state_dict())
    assert [tuple(p.shape) for p in g.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert all(isinstance(p, nn.Parameter) for p in g.ps) and len(g.ps) == 2
    g.ps.append(glassnet.ones(5))
    t.ps.append(torch.ones(5))
    g.pd["c"] = glassnet.ones(2)
    t.pd["c"] = torch.ones(2)
    assert list(g.state_dict()) == list(t.state_dict())
    assert list(g.pd.keys()) == list(t.pd.keys()) and ("a" in g.pd) == ("a" in t.pd)
    assert g.pd.pop("b").shape == (1,) and list(g.pd) == ["a", "c"]
    assert len(g.ps[1:]) == 2 and tuple(g.ps[-1].shape) == (5,)


def test_parameter_list_gradients_reach_the_parameters():
    ps = nn.ParameterList([glassnet.tensor([2.0]), glassnet.tensor([3.0])])
    (ps[0] * ps[1]).sum().backward()
    assert ps[0].grad.tolist() == [3.0] and ps[1].grad.tolist() == [2.0]


def test_channel_shuffle_matches_torch():
    check_op(
        [(2, 6, 3, 2)],
        lambda x: F.channel_shuffle(x, 3),
        lambda x: torch.nn.functional.channel_shuffle(x, 3),
        dtypes=("float64",),
    )
    check_op(
        [(2, 4, 3)],
        lambda x: glassnet.channel_shuffle(x, 2),
        lambda x: torch.channel_shuffle(x, 2),
        dtypes=("float64",),
    )
    check_layer(nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2), [(1, 4, 2, 2)])


PAD3D = [
    (nn.ConstantPad3d, torch.nn.ConstantPad3d, ((1, 0, 2, 1, 0, 1), 1.5)),
    (nn.ZeroPad3d, torch.nn.ZeroPad3d, (1,)),
    (nn.ReflectionPad3d, torch.nn.ReflectionPad3d, ((1, 2, 0, 1, 2, 1),)),
    (nn.ReplicationPad3d, torch.nn.ReplicationPad3d, ((2, 0, 1, 1, 0, 2),)),
    (nn.CircularPad3d, torch.nn.CircularPad3d, ((1, 1, 2, 0, 1, 2),)),
]


@pytest.mark.parametrize("g_cls, t_cls, args", PAD3D)
def test_3d_padding_matches_torch(g_cls, t_cls, args):
    check_layer(g_cls(*args), t_cls(*args), [(2, 2, 3, 4, 3)])
    assert repr(g_cls(*args)) == repr(t_cls(*args))
