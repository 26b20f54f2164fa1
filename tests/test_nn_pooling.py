"""Pooling, interpolation and padding (functionals and layers) against PyTorch, plus finite
differences, tie-breaking of max gradients, printed forms and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_finite_differences, check_layer, check_op

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.errors import ShapeError


def _both(name, *args, **kwargs):
    """The glassnet and torch versions of F.<name>(x, *args, **kwargs)."""
    return (
        lambda x: getattr(F, name)(x, *args, **kwargs),
        lambda x: getattr(TF, name)(x, *args, **kwargs),
    )


POOL = [
    ((2, 3, 6, 6), "max_pool2d", (2,), {}),
    ((2, 3, 7, 7), "max_pool2d", (2,), {}),  # odd size: last row/col dropped
    ((2, 3, 7, 8), "max_pool2d", (3,), dict(stride=2, padding=1)),
    ((2, 3, 8, 8), "max_pool2d", (3,), dict(stride=1, dilation=2)),
    ((2, 3, 8, 7), "max_pool2d", (3,), dict(stride=2, ceil_mode=True)),
    ((2, 3, 9, 9), "max_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 7, 9), "max_pool2d", ((2, 3),), dict(stride=(1, 2), padding=(1, 0))),
    ((2, 3, 8, 8), "max_pool2d", (2,), dict(return_indices=True)),
    (
        (2, 3, 7, 8),
        "max_pool2d",
        (3,),
        dict(stride=2, padding=1, dilation=1, ceil_mode=True, return_indices=True),
    ),
    ((3, 6, 6), "max_pool2d", (2,), {}),  # unbatched
    ((2, 3, 9), "max_pool1d", (2,), {}),
    ((2, 3, 9), "max_pool1d", (3,), dict(stride=2, padding=1, ceil_mode=True, return_indices=True)),
    ((2, 3, 10), "max_pool1d", (2,), dict(dilation=3, stride=1)),
    ((2, 3, 6, 6), "avg_pool2d", (2,), {}),
    ((2, 3, 7, 8), "avg_pool2d", (3,), dict(stride=2, padding=1)),
    ((2, 3, 7, 8), "avg_pool2d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 8, 7), "avg_pool2d", (3,), dict(stride=2, ceil_mode=True)),
    (
        (2, 3, 8, 7),
        "avg_pool2d",
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ),
    ((2, 3, 8, 7), "avg_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 6, 6), "avg_pool2d", (2,), dict(divisor_override=3)),
    ((2, 3, 7, 9), "avg_pool2d", ((2, 3),), dict(stride=(1, 2), padding=(1, 0))),
    ((2, 3, 9), "avg_pool1d", (2,), {}),
    (
        (2, 3, 9),
        "avg_pool1d",
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ),
    ((3, 9), "avg_pool1d", (3,), dict(stride=2)),
    ((2, 3, 7, 5), "adaptive_avg_pool2d", ((3, 2),), {}),
    ((2, 3, 6, 4), "adaptive_avg_pool2d", (1,), {}),
    ((2, 3, 6, 4), "adaptive_avg_pool2d", ((None, 3),), {}),
    ((2, 3, 8, 8), "adaptive_avg_pool2d", (4,), {}),
    ((2, 3, 10), "adaptive_avg_pool1d", (3,), {}),
    ((2, 3, 7, 5), "adaptive_max_pool2d", ((3, 2),), {}),
    ((2, 3, 7, 5), "adaptive_max_pool2d", ((4, 3),), dict(return_indices=True)),
    ((2, 3, 6, 6), "adaptive_max_pool2d", (1,), {}),
    ((2, 3, 10), "adaptive_max_pool1d", (4,), dict(return_indices=True)),
]


@pytest.mark.parametrize("shape,name,args,kwargs", POOL)
def test_pooling(device, shape, name, args, kwargs):
    g, t = _both(name, *args, **kwargs)
    check_op([shape], g, t, device=device, finite_diff=False)


def test_max_pool_ties_route_gradient_to_first_max(device):
    # After ReLU whole windows are 0: PyTorch sends each window's gradient to its first max.
    x = np.maximum(np.random.default_rng(0).integers(-2, 2, size=(2, 2, 6, 6)), 0).astype(float)
    for args, kwargs in [((2,), {}), ((3,), dict(stride=2, padding=1)), ((3,), dict(stride=1))]:
        g, t = _both("max_pool2d", *args, **kwargs)
        check_op(None, g, t, inputs=[x], device=device, finite_diff=False)
    g, t = _both("adaptive_max_pool2d", (4, 3))
    check_op(None, g, t, inputs=[x], device=device, finite_diff=False)


def test_pooling_finite_differences():
    for name, args, kwargs in [
        ("max_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
        ("avg_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        ("adaptive_max_pool2d", ((3, 2),), {}),
        ("adaptive_avg_pool2d", ((3, 2),), {}),
    ]:
        g, _ = _both(name, *args, **kwargs)
        check_finite_differences([(1, 2, 5, 4)], g)


# ---- interpolation --------------------------------------------------------------------------
INTERP = [
    ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="nearest")),
    ((2, 3, 4, 5), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 4, 5), dict(size=(7, 9), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(3, 8), mode="bilinear")),
    ((2, 3, 6, 5), dict(scale_factor=(0.5, 1.5), mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 6), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 6), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 6), dict(size=11, mode="nearest")),
]


@pytest.mark.parametrize("shape,kwargs", INTERP)
def test_interpolate(device, shape, kwargs):
    check_op(
        [shape],
        lambda x: F.interpolate(x, **kwargs),
        lambda x: TF.interpolate(x, **kwargs),
        device=device,
        finite_diff=False,
    )


def test_interpolate_finite_differences():
    check_finite_differences(
        [(1, 2, 3, 4)], lambda x: F.interpolate(x, size=(5, 6), mode="bilinear")
    )


def test_pad_modes(device):
    for mode in ("constant", "reflect", "replicate", "circular"):
        check_op(
            [(2, 3, 4, 5)],
            lambda x: F.pad(x, (1, 2, 2, 1), mode=mode),
            lambda x: TF.pad(x, (1, 2, 2, 1), mode=mode),
            device=device,
            finite_diff=False,
        )


# Negative amounts crop, in every mode, as PyTorch does (circular crops first, then wraps around
# what is left); each (left, right) pair is within PyTorch's limits for a dim of size 5.
NEGATIVE_PADS = [(-1, -1), (-1, 2), (2, -1), (-3, 0), (-2, 3), (-1, 4), (4, -1), (-3, 3), (0, -4)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("amounts", NEGATIVE_PADS)
def test_pad_negative(device, mode, amounts):
    if mode == "circular" and amounts == (-3, 3):
        pytest.skip("PyTorch refuses it (a positive amount wider than what cropping leaves)")
    check_op(
        [(2, 3, 5)],
        lambda x: F.pad(x, amounts, mode=mode),
        lambda x: TF.pad(x, amounts, mode=mode),
        device=device,
        finite_diff=False,
        rtol=0.0,  # a copy forward, and a sum of at most 3 copies back: exact in float64
        atol=0.0,
        dtypes=("float64",),
    )


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_negative_2d(device, mode):
    check_op(
        [(2, 3, 4, 5)],
        lambda x: F.pad(x, (-1, 2, 2, -1), mode=mode),
        lambda x: TF.pad(x, (-1, 2, 2, -1), mode=mode),
        device=device,
        finite_diff=False,
    )


def test_pad_limits_as_pytorch():
    x = np.arange(5.0).reshape(1, 1, 5)
    for mode, amounts in [
        ("reflect", (5, -1)),  # at least the dim's size
        ("reflect", (-5, 0)),  # nothing left
        ("replicate", (-2, -3)),
        ("circular", (-6, 0)),  # crops more than the dim
        ("circular", (-1, 5)),  # wraps around more than once after cropping
        ("constant", (-3, -3)),
    ]:
        with pytest.raises(RuntimeError):
            TF.pad(torch.tensor(x), amounts, mode=mode)
        with pytest.raises(RuntimeError, match=r"pad: .*\(-?\d, -?\d\)"):  # names the amounts
            F.pad(glassnet.tensor(x), amounts, mode=mode)
    with pytest.raises(TypeError, match="ints"):
        F.pad(glassnet.tensor(x), (1.5, 0))
    # an empty result where PyTorch allows one
    assert tuple(F.pad(glassnet.tensor(x), (-5, 0)).shape) == (1, 1, 0)
    assert tuple(F.pad(glassnet.tensor(x), (-2, -3), mode="circular").shape) == (1, 1, 0)


# ---- layers ---------------------------------------------------------------------------------
LAYERS = [
    (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 8)),
    (lambda m: m.MaxPool1d(3, stride=2), (2, 3, 9)),
    (lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 8)),
    (lambda m: m.AvgPool1d(2), (2, 3, 9)),
    (lambda m: m.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveMaxPool2d(2), (2, 3, 5, 5)),
    (lambda m: m.AdaptiveMaxPool1d(3), (2, 3, 7)),
    (lambda m: m.Upsample(scale_factor=2), (2, 3, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bilinear", align_corners=False), (2, 3, 3, 4)),
    (lambda m: m.UpsamplingNearest2d(size=(5, 7)), (2, 3, 3, 4)),
    (lambda m: m.UpsamplingBilinear2d(scale_factor=2), (2, 3, 3, 4)),
    (lambda m: m.ZeroPad2d((1, 0, 2, 1)), (2, 3, 3, 4)),
    (lambda m: m.ZeroPad1d(2), (2, 3, 4)),
    (lambda m: m.ConstantPad1d((1, 2), 3.5), (2, 3, 4)),
    (lambda m: m.ConstantPad2d(1, -1.0), (2, 3, 3, 4)),
    (lambda m: m.ReflectionPad1d((2, 1)), (2, 3, 4)),
    (lambda m: m.ReflectionPad2d((1, 2, 2, 1)), (2, 3, 3, 4)),
    (lambda m: m.ReplicationPad1d(2), (2, 3, 4)),
    (lambda m: m.ReplicationPad2d((1, 2, 0, 3)), (2, 3, 3, 4)),
    (lambda m: m.CircularPad1d(2), (2, 3, 4)),
    (lambda m: m.CircularPad2d(1), (2, 3, 3, 4)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], device=device)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_layers_float32(device):
    for make, shape in LAYERS[:2] + LAYERS[3:4] + LAYERS[10:11]:
        check_layer(make(nn), make(torch.nn), [shape], dtype="float32", device=device)


@pytest.mark.parametrize(
    "make,shapes",
    [
        (lambda m: m.MaxPool2d(2), [(2, 3, 6, 6), (2, 3, 6, 6), (3, 7, 7)]),
        (lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [(2, 3, 9, 8)]),
        (lambda m: m.MaxPool2d(3, stride=1, dilation=2), [(1, 2, 8, 8)]),
        (lambda m: m.MaxPool1d(3, stride=2, padding=1), [(2, 3, 9), (3, 10)]),
    ],
)
def test_max_pool_layer_inference_plan(make, shapes):
    """Gradient-free calls take the layer's cached plan: right for each new shape and the same
    shape again, as PyTorch (NaN included)."""
    g_layer, t_layer = make(nn), make(torch.nn)
    rng = np.random.default_rng(0)
    for shape in shapes:
        x = rng.standard_normal(shape)
        x.flat[1] = np.nan
        with glassnet.no_grad():
            out = g_layer(glassnet.tensor(x))
        assert out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), t_layer(torch.tensor(x)).numpy())


def test_max_pool_layer_inference_plan_checks_new_shapes():
    pool = nn.MaxPool2d(3)
    with glassnet.no_grad():
        pool(glassnet.ones(1, 1, 6, 6))
        with pytest.raises(ShapeError, match="too small"):
            pool(glassnet.ones(1, 1, 2, 2))


def test_max_pool_layer_return_indices():
    g, t = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    check_layer(g, t, [(2, 3, 4, 6)])


def test_reprs():
    for make in (
        lambda m: m.AvgPool2d(2, divisor_override=3),
        lambda m: m.AdaptiveMaxPool2d(2, True),
        lambda m: m.Upsample(size=3, mode="bilinear"),
        lambda m: m.MaxPool1d(2, 1, 1, 2, ceil_mode=True),
    ):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_float32_stays_float32():
    x = glassnet.randn(2, 3, 6, 6, requires_grad=True)
    for fn in (
        lambda t: F.max_pool2d(t, 3, 2, 1),
        lambda t: F.avg_pool2d(t, 3, 2, 1),
        lambda t: F.adaptive_avg_pool2d(t, 4),
        lambda t: F.adaptive_max_pool2d(t, 4),
        lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear"),
    ):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert y.dtype == glassnet.float32 and x.grad.dtype == glassnet.float32


def test_errors():
    with pytest.raises(ValueError, match="at most half of kernel size"):
        F.max_pool2d(glassnet.zeros(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(ShapeError, match="too small"):
        F.max_pool2d(glassnet.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ShapeError, match="4-D"):
        F.avg_pool2d(glassnet.zeros(6, 6), 2)
    with pytest.raises(NotImplementedError, match="bilinear"):  # PyTorch's class
        F.interpolate(glassnet.zeros(1, 1, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(glassnet.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True)
