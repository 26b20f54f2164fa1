"""3-D pooling (max, average, adaptive), LP pooling in 1-D/2-D/3-D and max unpooling against
PyTorch, functions and layers, plus finite differences and printed forms.

Tolerances: float64 uses the checkers' defaults. In float32 an unpool only copies values (exact:
atol 0); an average, and the gradient of a max pool whose windows overlap, sums at most 27 terms
of magnitude <= 2 (inputs) or 1.5 (loss weights), so glassnet's and PyTorch's sums differ by at
most about 2 * sqrt(27) * u * 27 * 2 ~ 7e-5 (u = 2**-24, the probabilistic bound of Higham and
Mary); LP pooling adds a power and a root, each a few ulps relative, on positive inputs: rtol
1e-5 (~ 80 u) covers them.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_finite_differences, check_layer, check_op

import glassnet
import glassnet.nn.functional as F
from glassnet import nn

U32 = 2.0**-24
AVG32 = dict(rtol=1e-6, atol=2 * math.sqrt(27) * U32 * 27 * 2)
LP32 = dict(rtol=1e-5, atol=1e-6)


def _both(name, *args, **kwargs):
    return (
        lambda x: getattr(F, name)(x, *args, **kwargs),
        lambda x: getattr(TF, name)(x, *args, **kwargs),
    )


POOL3D = [
    ((2, 3, 5, 6, 7), "max_pool3d", (2,), {}),
    ((2, 3, 5, 6, 7), "max_pool3d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 7, 6, 7), "max_pool3d", ((3, 2, 3),), dict(stride=(1, 2, 2), dilation=(2, 1, 1))),
    ((2, 3, 5, 6, 7), "max_pool3d", (2,), dict(return_indices=True)),
    ((2, 3, 6, 7, 5), "max_pool3d", (3,), dict(stride=2, padding=1, return_indices=True)),
    ((3, 5, 6, 7), "max_pool3d", (2,), dict(return_indices=True)),  # unbatched
    ((2, 3, 5, 6, 7), "avg_pool3d", (2,), {}),
    ((2, 3, 5, 6, 7), "avg_pool3d", (3,), dict(stride=2, padding=1)),
    ((2, 3, 5, 6, 7), "avg_pool3d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 5, 6, 7), "avg_pool3d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    (
        (2, 3, 5, 6, 7),
        "avg_pool3d",
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ),
    ((2, 3, 5, 6, 7), "avg_pool3d", ((2, 3, 1),), dict(divisor_override=5)),
    ((3, 5, 6, 7), "avg_pool3d", (2,), dict(stride=1)),
    ((2, 3, 5, 6, 7), "adaptive_avg_pool3d", ((2, 3, 4),), {}),
    ((2, 3, 5, 6, 7), "adaptive_avg_pool3d", ((None, 1, 3),), {}),
    ((2, 3, 5, 6, 7), "adaptive_max_pool3d", ((2, 3, 4),), dict(return_indices=True)),
    ((3, 5, 6, 7), "adaptive_max_pool3d", ((2, None, 4),), dict(return_indices=True)),
    ((2, 3, 4, 4, 4), "adaptive_max_pool3d", (1,), {}),
]


@pytest.mark.parametrize("shape,name,args,kwargs", POOL3D)
def test_pool3d(device, shape, name, args, kwargs):
    g, t = _both(name, *args, **kwargs)
    check_op([shape], g, t, device=device, dtypes=("float64",), finite_diff=False)
    check_op([shape], g, t, device=device, dtypes=("float32",), finite_diff=False, **AVG32)


def test_max_pool3d_ties_route_gradient_to_first_max(device):
    # After ReLU whole windows are 0: PyTorch sends each window's gradient to its first max.
    x = np.maximum(np.random.default_rng(0).integers(-2, 2, size=(2, 2, 4, 5, 6)), 0).astype(float)
    for args, kwargs in [((2,), {}), ((3,), dict(stride=2, padding=1)), ((2,), dict(stride=1))]:
        g, t = _both("max_pool3d", *args, **kwargs)
        check_op(None, g, t, inputs=[x], device=device, dtypes=("float64",), finite_diff=False)
    g, t = _both("adaptive_max_pool3d", (3, 2, 4))
    check_op(None, g, t, inputs=[x], device=device, dtypes=("float64",), finite_diff=False)


def test_pool3d_finite_differences():
    for name, args, kwargs in [
        ("max_pool3d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
        ("avg_pool3d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        ("adaptive_max_pool3d", ((2, 3, 2),), {}),
        ("adaptive_avg_pool3d", ((2, 3, 2),), {}),
    ]:
        check_finite_differences([(1, 2, 4, 5, 4)], _both(name, *args, **kwargs)[0])


LP = [
    ((2, 3, 9), "lp_pool1d", (2, 3), dict(stride=2)),
    ((2, 3, 9), "lp_pool1d", (1.5, 3), dict(stride=2, ceil_mode=True)),
    ((2, 3, 6, 7), "lp_pool2d", (2, 2), {}),
    ((2, 3, 6, 7), "lp_pool2d", (3, (2, 3)), dict(stride=1)),
    ((2, 3, 5, 6, 7), "lp_pool3d", (2, 2), {}),
    ((2, 3, 5, 6, 7), "lp_pool3d", (1, (2, 3, 2)), dict(stride=(1, 2, 2), ceil_mode=True)),
]


@pytest.mark.parametrize("shape,name,args,kwargs", LP)
def test_lp_pool(device, shape, name, args, kwargs):
    g, t = _both(name, *args, **kwargs)
    # positive inputs: x**p is real for fractional p, as LP pooling is meant for
    check_op([shape], g, t, device=device, dtypes=("float64",), positive=True, finite_diff=False)
    check_op([shape], g, t, device=device, dtypes=("float32",), positive=True, finite_diff=False,
             **LP32)  # fmt: skip


def test_lp_pool_finite_differences():
    check_finite_differences(
        [(1, 2, 4, 5)], lambda x: F.lp_pool2d(x, 3, 2, stride=1), positive=True
    )


UNPOOL = [
    (1, (2, 3, 9), 3, dict(stride=2, padding=1)),
    (1, (3, 8), 2, {}),  # unbatched
    (2, (2, 3, 6, 8), 2, {}),
    (2, (2, 3, 7, 8), 3, dict(stride=2, padding=1, output_size=(7, 8))),
    (2, (2, 3, 7, 8), 2, dict(output_size=(2, 3, 7, 9))),  # (N, C, H, W) form, odd size
    (3, (2, 2, 4, 6, 4), 2, {}),
    (3, (2, 4, 5, 4), 2, dict(stride=1)),  # unbatched, overlapping windows
]


@pytest.mark.parametrize("nd,shape,kernel,kwargs", UNPOOL)
def test_max_unpool(device, nd, shape, kernel, kwargs):
    pool_kwargs = {k: v for k, v in kwargs.items() if k != "output_size"}
    x = torch.tensor(np.random.default_rng(0).standard_normal(shape))
    y, idx = getattr(TF, f"max_pool{nd}d")(x, kernel, return_indices=True, **pool_kwargs)
    # glassnet's own pool gives PyTorch's indices
    _, g_idx = getattr(F, f"max_pool{nd}d")(
        glassnet.tensor(x.numpy()), kernel, return_indices=True, **pool_kwargs
    )
    np.testing.assert_array_equal(g_idx.numpy(), idx.numpy())
    fn = f"max_unpool{nd}d"
    check_op(
        None,
        lambda a, i: getattr(F, fn)(a, i, kernel, **kwargs),
        lambda a, i: getattr(TF, fn)(a, i, kernel, **kwargs),
        inputs=[y.numpy(), idx.numpy()],
        device=device,
        finite_diff=False,
        rtol=0.0,
        atol=0.0,  # a scatter and a gather: exact in any precision
    )


def test_unpool_errors():
    y, idx = F.max_pool2d(glassnet.ones(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(y, idx, 2, output_size=(6, 6))
    with pytest.raises(ValueError, match="2 or 4 entries"):
        F.max_unpool2d(y, idx, 2, output_size=(4, 4, 4))
    with pytest.raises(TypeError, match="int64"):
        F.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(RuntimeError, match="invalid max index 9"):
        F.max_unpool2d(y, glassnet.tensor([[[[0, 1], [2, 9]]]]), 2, output_size=(3, 3))
    with pytest.raises(RuntimeError, match="shape"):
        F.max_unpool2d(y, idx[..., :1], 2)


LAYERS = [
    (lambda m: m.MaxPool3d(2), (2, 3, 4, 6, 6)),
    (lambda m: m.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 5, 6, 7)),
    (lambda m: m.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 5, 6, 7)),
    (lambda m: m.AvgPool3d((2, 1, 2), divisor_override=3), (2, 3, 4, 5, 6)),
    (lambda m: m.AdaptiveAvgPool3d((2, None, 3)), (2, 3, 5, 6, 7)),
    (lambda m: m.AdaptiveMaxPool3d(2), (2, 3, 5, 5, 5)),
    (lambda m: m.LPPool1d(2, 3, stride=2), (2, 3, 9)),
    (lambda m: m.LPPool2d(2, 2), (2, 3, 6, 6)),
    (lambda m: m.LPPool3d(1.5, 2, ceil_mode=True), (2, 3, 5, 5, 5)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, size=shape)  # positive, for LP pooling's fractional powers
    check_layer(make(nn), make(torch.nn), None, inputs=[x], device=device)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_unpool_layers():
    for nd, shape in [(1, (2, 3, 8)), (2, (2, 3, 6, 8)), (3, (2, 2, 4, 6, 4))]:
        pool = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
        y, idx = pool(torch.tensor(np.random.default_rng(nd).standard_normal(shape)))
        g_unpool, t_unpool = (
            getattr(nn, f"MaxUnpool{nd}d")(2),
            getattr(torch.nn, f"MaxUnpool{nd}d")(2),
        )
        assert repr(g_unpool) == repr(t_unpool)
        check_layer(g_unpool, t_unpool, None, inputs=[y.detach().numpy(), idx.numpy()])
        check_layer(
            g_unpool,
            t_unpool,
            None,
            inputs=[y.detach().numpy(), idx.numpy()],
            forward=lambda layer, a, i: layer(a, i, output_size=tuple(shape[-nd:])),
        )
    assert repr(nn.MaxUnpool2d(3, 2, 1)) == repr(torch.nn.MaxUnpool2d(3, 2, 1))


def test_reprs():
    for make in (
        lambda m: m.MaxPool3d(2),
        lambda m: m.MaxPool3d((2, 3, 1), stride=1, padding=(1, 1, 0), dilation=2, ceil_mode=True),
        lambda m: m.AvgPool3d(2, divisor_override=3),
        lambda m: m.AdaptiveMaxPool3d(2, True),
        lambda m: m.LPPool2d(2, 3, stride=2),
        lambda m: m.LPPool1d(2, 3),
        lambda m: m.MaxUnpool1d(2),
        lambda m: m.MaxUnpool3d(2, padding=1),
    ):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_max_pool3d_layer_indices_feed_unpool():
    pool, unpool = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
    x = glassnet.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4, 4)))
    y, idx = pool(x)
    back = unpool(y, idx)
    # each 2x2x2 window keeps exactly its max, in place: pooling it again gives y back
    assert np.count_nonzero(back.numpy(), axis=None) == y.numel()
    np.testing.assert_array_equal(F.max_pool3d(back, 2).numpy(), y.numpy())
