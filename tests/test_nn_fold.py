"""F.unfold / F.fold (im2col / col2im) and nn.Unfold / nn.Fold against PyTorch, plus two
independent oracles: a convolution written as unfold and a matrix product equals F.conv2d, and
fold is the adjoint of unfold (<fold(c), x> = <c, unfold(x)>).

Tolerances: float64 uses the checkers' defaults. unfold only copies (exact in float32 too); fold
and unfold's gradient add up the windows over each pixel, at most kh*kw = 9 terms of magnitude
<= 2 (inputs) or 1.5 (loss weights): about 2 * sqrt(9) * u * 9 * 2 ~ 1.3e-5 at most between
glassnet's and PyTorch's sums in float32 (u = 2**-24, Higham and Mary's probabilistic bound).
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
F32 = dict(rtol=1e-6, atol=2 * math.sqrt(9) * U32 * 9 * 2)

UNFOLD = [
    ((2, 3, 6, 7), (3,), {}),
    ((2, 3, 6, 7), ((2, 3),), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ((2, 3, 6, 7), (2,), dict(stride=2)),  # windows tile the image
    ((3, 5, 5), (2,), dict(stride=2, padding=1)),  # unbatched
    ((2, 1, 4, 4), (1,), {}),
    ((0, 2, 4, 4), (2,), {}),  # empty batch
]


@pytest.mark.parametrize("shape,args,kwargs", UNFOLD)
def test_unfold(device, shape, args, kwargs):
    g = lambda x: F.unfold(x, *args, **kwargs)  # noqa: E731
    t = lambda x: TF.unfold(x, *args, **kwargs)  # noqa: E731
    check_op([shape], g, t, device=device, finite_diff=False, dtypes=("float64",))
    check_op([shape], g, t, device=device, finite_diff=False, dtypes=("float32",), **F32)


FOLD = [
    ((2, 3 * 9, 20), ((6, 7), 3), {}),
    ((2, 3 * 6, 27), ((6, 7), (2, 3)), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ((12, 9), ((6, 6), 2), dict(stride=2)),  # unbatched
    ((1, 4, 16), (5, 2), {}),  # int output_size
]


@pytest.mark.parametrize("shape,args,kwargs", FOLD)
def test_fold(device, shape, args, kwargs):
    g = lambda x: F.fold(x, *args, **kwargs)  # noqa: E731
    t = lambda x: TF.fold(x, *args, **kwargs)  # noqa: E731
    check_op([shape], g, t, device=device, finite_diff=False, dtypes=("float64",))
    check_op([shape], g, t, device=device, finite_diff=False, dtypes=("float32",), **F32)


def test_finite_differences():
    check_finite_differences(
        [(1, 2, 4, 5)], lambda x: F.unfold(x, (2, 3), padding=1, stride=(1, 2), dilation=(2, 1))
    )
    check_finite_differences([(1, 2 * 4, 6)], lambda c: F.fold(c, (3, 4), 2, stride=1))


def test_unfold_then_matmul_is_a_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    cols = F.unfold(glassnet.tensor(x), (3, 2), padding=(1, 0), stride=(2, 1))  # (2, 18, L)
    out = (glassnet.tensor(w.reshape(4, -1)) @ cols).reshape(2, 4, 4, 5)
    expected = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=(1, 0), stride=(2, 1))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(1)
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    x = glassnet.tensor(rng.standard_normal((2, 3, 6, 7)))
    cols = F.unfold(x, **kw)
    c = glassnet.tensor(rng.standard_normal(tuple(cols.shape)))
    lhs = float((F.fold(c, (6, 7), **kw) * x).sum())
    rhs = float((c * cols).sum())
    # two float64 sums of ~1000 products of N(0, 1) values: ~1e-13 apart
    assert abs(lhs - rhs) < 1e-10 * (1 + abs(lhs))


def test_fold_counts_overlaps():
    ones = F.fold(F.unfold(glassnet.ones(1, 1, 3, 4), 2), (3, 4), 2)
    assert ones.tolist() == [[[[1.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0]]]]


LAYERS = [
    (lambda m: m.Unfold(2), (2, 3, 5, 6)),
    (lambda m: m.Unfold((2, 3), dilation=(1, 2), padding=1, stride=2), (2, 3, 5, 6)),
    (lambda m: m.Fold((4, 5), 2), (2, 3 * 4, 12)),
    (lambda m: m.Fold(output_size=4, kernel_size=3, padding=1, stride=2), (2, 2 * 9, 4)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], device=device)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_errors():
    with pytest.raises(RuntimeError, match="sliding blocks"):
        F.unfold(glassnet.zeros(1, 2, 3, 3), 4)
    with pytest.raises(RuntimeError, match="4-D"):
        F.unfold(glassnet.zeros(1, 1, 2, 3, 3), 2)
    with pytest.raises(RuntimeError, match="number of sliding blocks 4\\*4 = 16, got 15"):
        F.fold(glassnet.zeros(1, 8, 15), (5, 5), 2)
    with pytest.raises(RuntimeError, match="divisible by the kernel's size 2x2 = 4"):
        F.fold(glassnet.zeros(1, 7, 16), (5, 5), 2)
    with pytest.raises(RuntimeError, match="stride must be positive"):
        nn.Fold((5, 5), 2, stride=0)
