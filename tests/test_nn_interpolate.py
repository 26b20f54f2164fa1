"""F.interpolate in every mode (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area; antialias; align_corners; size, scale_factor, recompute_scale_factor), integer images,
errors and the Upsample layers, against PyTorch and finite differences.

Tolerances: float64 uses the checkers' defaults. In float32 every output is a sum of at most
``taps`` terms (weight times input, magnitude <= 3: inputs in U(-2, 2), weights below 1.5), and
every input gradient a sum over the outputs it feeds (``taps`` times the growth in size) with
loss weights <= 1.5; both libraries compute the weights in float32 by the same formulas and sum
in different orders, so they differ by at most about 2 * sqrt(n) * u * n * 3 (u = 2**-24, Higham
and Mary's probabilistic bound for a sum of n terms), plus a few u of the weights, in rtol.
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


def _taps(mode, n_in, n_out, antialias):
    if mode in ("nearest", "nearest-exact"):
        return 1
    if mode == "area":
        return math.ceil(n_in / n_out) + 1
    width = 4 if mode == "bicubic" else 2
    return width * math.ceil(max(1.0, n_in / n_out)) + 1 if antialias else width


def _f32_tol(in_shape, out_shape, mode, antialias=False):
    taps = math.prod(_taps(mode, i, o, antialias) for i, o in zip(in_shape[2:], out_shape[2:]))
    n = taps * math.ceil(max(1.0, math.prod(out_shape) / math.prod(in_shape)))
    return dict(rtol=1e-5, atol=2 * math.sqrt(n) * U32 * n * 3)


CASES = [
    ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 4, 5), dict(scale_factor=2.1, mode="nearest")),  # small output: PyTorch's shortcut
    ((2, 3, 3, 3), dict(scale_factor=1.3, mode="nearest")),  # size kept: copied through
    ((2, 3, 3, 3), dict(scale_factor=1.3, mode="nearest-exact")),  # no shortcut in this mode
    ((2, 3, 4, 40), dict(scale_factor=1.7, mode="nearest")),  # large output: general kernel
    ((2, 3, 4, 5), dict(size=(7, 9), mode="nearest-exact")),
    ((2, 3, 3, 3), dict(scale_factor=1.3, mode="bilinear")),  # size kept: identity
    ((2, 3, 4, 5), dict(size=(7, 9), mode="bicubic")),
    ((2, 3, 4, 5), dict(size=(7, 9), mode="bicubic", align_corners=True)),
    ((2, 3, 6, 7), dict(size=(3, 2), mode="bicubic")),
    ((2, 3, 6, 7), dict(scale_factor=(1.7, 0.6), mode="bicubic")),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="bilinear", antialias=True)),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="bicubic", antialias=True)),
    ((2, 3, 8, 9), dict(size=(11, 4), mode="bicubic", antialias=True, align_corners=True)),
    ((2, 3, 8, 9), dict(scale_factor=0.4, mode="bilinear", antialias=True)),
    ((2, 3, 4, 5, 3), dict(scale_factor=2, mode="trilinear")),
    ((2, 3, 4, 5, 3), dict(size=(3, 7, 5), mode="trilinear", align_corners=True)),
    ((2, 3, 4, 5, 3), dict(scale_factor=(1.5, 0.5, 2.2), mode="trilinear")),
    ((2, 3, 4, 5, 3), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 4, 5, 3), dict(size=(3, 7, 5), mode="nearest-exact")),
    ((2, 3, 4, 5, 3), dict(size=(3, 2, 5), mode="area")),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="area")),
    ((2, 3, 8, 9), dict(scale_factor=0.5, mode="area")),
    ((2, 3, 9), dict(size=4, mode="area")),
    ((2, 3, 9), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 9), dict(scale_factor=1.3, mode="linear", recompute_scale_factor=True)),
    ((2, 3, 3), dict(scale_factor=1.3, mode="linear")),
    ((2, 3, 6), dict(size=11, mode="linear", align_corners=True)),
]


@pytest.mark.parametrize("shape,kwargs", CASES)
def test_interpolate(device, shape, kwargs):
    g = lambda x: F.interpolate(x, **kwargs)  # noqa: E731
    t = lambda x: TF.interpolate(x, **kwargs)  # noqa: E731
    check_op([shape], g, t, device=device, dtypes=("float64",), finite_diff=False)
    out_shape = tuple(t(torch.zeros(shape)).shape)
    tol = _f32_tol(shape, out_shape, kwargs["mode"], kwargs.get("antialias", False))
    check_op([shape], g, t, device=device, dtypes=("float32",), finite_diff=False, **tol)


# PyTorch 2.13's backward does not match its own forward here (torch.autograd.gradcheck fails):
# its nearest backward always takes the small-image shortcuts (i // 2 for a doubled size) and its
# bicubic backward copies the gradient through an unchanged size, while the forward samples at
# the scale. glassnet's forward matches PyTorch's; its gradient is checked against finite
# differences of that forward instead.
FORWARD_ONLY = [
    ((1, 1, 4, 70), dict(scale_factor=2.1, mode="nearest")),  # large output, doubled height
    ((1, 2, 5), dict(scale_factor=2.1, mode="nearest")),
    ((1, 2, 4, 3, 5), dict(scale_factor=2.2, mode="nearest")),
    ((1, 2, 3, 3), dict(scale_factor=1.3, mode="bicubic")),
]


@pytest.mark.parametrize("shape,kwargs", FORWARD_ONLY)
def test_forward_matches_and_gradient_is_exact(shape, kwargs):
    x = np.random.default_rng(0).uniform(-2, 2, size=shape)
    out = F.interpolate(glassnet.tensor(x), **kwargs)
    np.testing.assert_allclose(
        out.numpy(), TF.interpolate(torch.tensor(x), **kwargs).numpy(), rtol=1e-12, atol=1e-12
    )
    check_finite_differences([shape], lambda a: F.interpolate(a, **kwargs))


def test_finite_differences():
    for shape, kwargs in [
        ((1, 2, 3, 4), dict(size=(5, 6), mode="bicubic")),
        ((1, 1, 6, 7), dict(size=(3, 2), mode="bilinear", antialias=True)),
        ((1, 1, 3, 4, 2), dict(size=(2, 5, 3), mode="trilinear", align_corners=True)),
        ((1, 2, 5, 6), dict(size=(2, 4), mode="area")),
    ]:
        check_finite_differences([shape], lambda x, kw=kwargs: F.interpolate(x, **kw))


UINT8 = [
    dict(size=(7, 9), mode="bilinear"),
    dict(size=(3, 4), mode="bilinear", align_corners=True),
    dict(size=(16, 5), mode="bicubic"),
    dict(size=(13, 13), mode="bicubic", align_corners=True),
    dict(size=(3, 2), mode="bilinear", antialias=True),
    dict(size=(4, 3), mode="bicubic", antialias=True),
    dict(scale_factor=(1.7, 2.3), mode="bicubic"),
    dict(scale_factor=0.45, mode="bilinear", antialias=True),
    dict(size=(6, 11), mode="bicubic"),  # height unchanged: only the width pass
]


@pytest.mark.parametrize("channels", [1, 3, 8])  # PyTorch has a separate kernel for <= 4
@pytest.mark.parametrize("kwargs", UINT8)
def test_uint8_bit_for_bit(channels, kwargs):
    x = np.random.default_rng(channels).integers(0, 256, size=(2, channels, 6, 7), dtype=np.uint8)
    out = F.interpolate(glassnet.tensor(x), **kwargs)
    expected = TF.interpolate(torch.tensor(x), **kwargs)
    assert out.dtype == glassnet.uint8
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_copies_integers(dtype, mode):
    # PyTorch resizes only uint8 this way (it has no kernel for the others); a nearest resize
    # copies values, so the oracle is PyTorch's resize of the same values as float64.
    x = np.random.default_rng(0).integers(0, 2 if dtype == "bool" else 200, size=(2, 2, 4, 5))
    x = x.astype(dtype)
    for kwargs in (dict(scale_factor=2.1), dict(size=(3, 8)), dict(size=(5, 90))):
        out = F.interpolate(glassnet.tensor(x), mode=mode, **kwargs)
        expected = TF.interpolate(torch.tensor(x.astype(np.float64)), mode=mode, **kwargs)
        assert out.dtype == glassnet.tensor(x).dtype
        np.testing.assert_array_equal(out.numpy(), expected.numpy().astype(dtype))


def test_integer_interpolating_modes_refused_as_pytorch():
    x = np.arange(16, dtype=np.int64).reshape(1, 1, 4, 4)
    for mode in ("bilinear", "bicubic", "area"):
        with pytest.raises(NotImplementedError):
            TF.interpolate(torch.tensor(x), size=3, mode=mode)
        with pytest.raises(NotImplementedError, match="x.float"):
            F.interpolate(glassnet.tensor(x), size=3, mode=mode)
    with pytest.raises(NotImplementedError, match="uint8"):
        F.interpolate(glassnet.tensor(x[0].astype(np.uint8)), size=3, mode="linear")


ERRORS = [
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, scale_factor=2),
    lambda f, x: f.interpolate(x(1, 1, 4, 4)),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, recompute_scale_factor=True),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, align_corners=True),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, mode="area", align_corners=False),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, antialias=True),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, mode="cubic"),
    lambda f, x: f.interpolate(x(4, 4), size=3),
    lambda f, x: f.interpolate(x(1, 1, 2, 2, 2, 2), size=3),
    lambda f, x: f.interpolate(x(1, 1, 4), size=3, mode="bilinear"),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=3, mode="trilinear"),
    lambda f, x: f.interpolate(x(1, 1, 2, 2, 2), size=3, mode="bicubic"),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=(2, 2, 2)),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), scale_factor=0.1),
    lambda f, x: f.interpolate(x(1, 1, 4, 4), size=0),
    lambda f, x: f.interpolate(x(1, 1, 0, 4), size=3),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_raise_pytorchs_class(call):
    with pytest.raises(Exception) as expected:
        call(TF, torch.zeros)
    with pytest.raises(type(expected.value)):
        call(F, glassnet.zeros)


def test_empty_batch():
    out = F.interpolate(glassnet.zeros(0, 2, 3, 3), size=5, mode="bilinear")
    assert tuple(out.shape) == (0, 2, 5, 5)


LAYERS = [
    (lambda m: m.Upsample(scale_factor=2, mode="trilinear"), (2, 3, 2, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bicubic", align_corners=True), (2, 3, 3, 4)),
    (lambda m: m.Upsample(scale_factor=(2, 1, 3), mode="nearest"), (2, 3, 2, 3, 2)),
    (lambda m: m.Upsample(size=4, mode="area"), (2, 3, 9)),
    (lambda m: m.UpsamplingBilinear2d(size=(5, 6)), (2, 3, 3, 4)),
    (lambda m: m.UpsamplingNearest2d(scale_factor=3), (2, 3, 3, 4)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], device=device)
    assert repr(make(nn)) == repr(make(torch.nn))
