"""3-D convolutions (conv3d, conv_transpose3d, Conv3d, ConvTranspose3d) against PyTorch, plus
finite differences, the N-d kernels on 1-D/2-D shapes, blocked column paths and printed forms.

Tolerances: float64 uses the checkers' defaults (rtol 1e-7: each entry is a sum of at most a few
hundred float64 products, whose rounding is ~1e-14 relative). float32 uses ``f32_tol``: the
probabilistic bound on the rounding of a sum of n terms of magnitude <= m (Higham and Mary: about
sqrt(n) * u * sum|t| with sum|t| <= n * m, u = 2**-24 ~ 6e-8), doubled because glassnet's and
PyTorch's sums both round, in different orders.
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
from glassnet.ops.conv_nd import ConvolutionNd, ConvTransposeNd

U32 = 2.0**-24


def f32_tol(n_terms, max_term=4.0):
    """float32 atol for sums of ``n_terms`` terms of magnitude <= ``max_term`` (inputs from
    U(-2, 2) and loss weights from U(0.5, 1.5): products of two are at most 4)."""
    return dict(rtol=1e-6, atol=2 * math.sqrt(n_terms) * U32 * n_terms * max_term)


def _terms(x_shape, w_shape, transposed=False):
    """The most terms any forward or gradient entry sums: a window (C/G*K), all output
    positions (N*P for the weight gradient), or every output a pixel feeds (O*K)."""
    k = math.prod(w_shape[2:])
    return max(w_shape[1] * k, w_shape[0] * k, math.prod(x_shape) // x_shape[-4])


def _fns(fg, ft, has_bias, kwargs):
    if has_bias:
        return (lambda x, w, b: fg(x, w, b, **kwargs)), (lambda x, w, b: ft(x, w, b, **kwargs))
    return (lambda x, w: fg(x, w, **kwargs)), (lambda x, w: ft(x, w, **kwargs))


CONV3D = [
    ((2, 3, 5, 6, 4), (4, 3, 3, 2, 3), True, {}),
    ((2, 3, 6, 5, 5), (4, 3, 3, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 4, 6, 5, 5), (6, 2, 3, 3, 3), True, dict(groups=2, stride=(2, 1, 2), padding=(1, 0, 2))),
    ((2, 2, 7, 6, 6), (3, 2, 3, 2, 3), False, dict(dilation=(2, 1, 2), padding=(2, 0, 1))),
    ((2, 4, 4, 4, 4), (4, 1, 3, 3, 3), True, dict(groups=4, padding="same")),  # depthwise
    ((2, 3, 5, 6, 4), (4, 3, 2, 2, 2), True, dict(padding="same")),  # asymmetric: extra after
    ((2, 3, 5, 6, 4), (4, 3, 2, 2, 2), True, dict(padding="valid")),
    ((3, 5, 5, 5), (2, 3, 3, 3, 3), True, dict(padding=1)),  # unbatched
    ((2, 3, 4, 5, 6), (5, 3, 1, 1, 1), True, {}),  # pointwise
]


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", CONV3D)
@pytest.mark.filterwarnings("ignore:Using padding")
def test_conv3d(device, x_shape, w_shape, has_bias, kwargs):
    g, t = _fns(F.conv3d, TF.conv3d, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if has_bias else [])
    check_op(shapes, g, t, device=device, dtypes=("float64",), finite_diff=False)
    tol = f32_tol(_terms(x_shape, w_shape))
    check_op(shapes, g, t, device=device, dtypes=("float32",), finite_diff=False, **tol)


TRANSPOSE3D = [
    ((2, 4, 3, 3, 2), (4, 3, 3, 3, 2), True, {}),
    ((2, 4, 3, 2, 3), (4, 3, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    (
        (2, 4, 3, 2, 3),
        (4, 2, 3, 2, 3),
        True,
        dict(
            groups=2,
            stride=(2, 1, 3),
            padding=(1, 0, 1),
            dilation=(1, 2, 1),
            output_padding=(1, 1, 2),
        ),
    ),
    ((2, 4, 3, 3, 3), (4, 2, 2, 2, 2), False, dict(dilation=2, output_padding=1)),
    ((4, 2, 2, 2), (4, 2, 2, 2, 2), True, dict(stride=2)),  # unbatched
]


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", TRANSPOSE3D)
def test_conv_transpose3d(device, x_shape, w_shape, has_bias, kwargs):
    g, t = _fns(F.conv_transpose3d, TF.conv_transpose3d, has_bias, kwargs)
    bias = [(w_shape[1] * kwargs.get("groups", 1),)] if has_bias else []
    check_op([x_shape, w_shape] + bias, g, t, device=device, dtypes=("float64",), finite_diff=False)
    # an output sums C_in/G * K products, an input gradient C_out * K, a weight gradient one
    # product per input position
    k, n_out = math.prod(w_shape[2:]), w_shape[1] * kwargs.get("groups", 1)
    tol = f32_tol(max(w_shape[0] * k, n_out * k, math.prod(x_shape) // x_shape[-4]))
    check_op(
        [x_shape, w_shape] + bias,
        g,
        t,
        device=device,
        dtypes=("float32",),
        finite_diff=False,
        **tol,
    )


def test_finite_differences():
    # an oracle independent of PyTorch: central differences of glassnet's own forward
    check_finite_differences(
        [(1, 2, 4, 3, 3), (2, 2, 2, 3, 2), (2,)],
        lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 1, 2)),
    )
    check_finite_differences(
        [(1, 2, 2, 3, 2), (2, 1, 2, 2, 3), (2,)],
        lambda x, w, b: F.conv_transpose3d(
            x, w, b, stride=2, padding=1, output_padding=1, groups=2
        ),
    )


# The N-d kernels are general: on 1-D and 2-D shapes they must agree with PyTorch's conv1d/conv2d
# (glassnet routes those through its tuned 2-D kernels, so this is the only check of this path).
ND_AS_LOWER = [
    (TF.conv1d, (2, 4, 9), (6, 2, 3), (2,), ((1, 1),), (1,), 2),
    (TF.conv2d, (2, 3, 7, 6), (4, 3, 3, 2), (2, 1), ((1, 1), (0, 0)), (1, 2), 1),
]


@pytest.mark.parametrize("torch_fn,x_shape,w_shape,stride,pads,dilation,groups", ND_AS_LOWER)
def test_nd_kernels_on_lower_ranks(torch_fn, x_shape, w_shape, stride, pads, dilation, groups):
    padding = tuple(p for p, _ in pads)
    check_op(
        [x_shape, w_shape, (w_shape[0],)],
        lambda x, w, b: ConvolutionNd.apply(x, w, b, stride, pads, dilation, groups),
        lambda x, w, b: torch_fn(x, w, b, stride, padding, dilation, groups),
        dtypes=("float64",),
        finite_diff=False,
    )


def test_nd_transpose_kernel_on_2d():
    x, w = (2, 4, 3, 4), (4, 3, 3, 2)
    size = ((3 - 1) * 2 - 2 + 3, (4 - 1) * 1 - 0 + 2)
    check_op(
        [x, w, (3,)],
        lambda a, b, c: ConvTransposeNd.apply(a, b, c, (2, 1), ((1, 1), (0, 0)), (1, 1), 1, size),
        lambda a, b, c: TF.conv_transpose2d(a, b, c, stride=(2, 1), padding=(1, 0)),
        dtypes=("float64",),
        finite_diff=False,
    )


@pytest.mark.parametrize("per_block", [1, 2])
def test_blocked_columns(monkeypatch, per_block):
    """Columns built one or two images at a time (2 of 3 leaves a partial last block)."""
    from glassnet.ops import conv_nd

    monkeypatch.setattr(conv_nd, "_images_per_block", lambda xp, g, itemsize: min(per_block, g.n))
    g, t = _fns(F.conv3d, TF.conv3d, True, dict(stride=(1, 2, 1), padding=1))
    check_op([(3, 2, 4, 5, 4), (3, 2, 3, 3, 3), (3,)], g, t, dtypes=("float64",), finite_diff=False)
    g, t = _fns(F.conv_transpose3d, TF.conv_transpose3d, True, dict(stride=2))
    check_op([(3, 2, 2, 3, 2), (2, 3, 2, 2, 2), (3,)], g, t, dtypes=("float64",), finite_diff=False)


def test_empty_batch():
    """No volumes: an empty output and zero weight and bias gradients, as in PyTorch."""
    x = glassnet.zeros(0, 2, 4, 4, 4, requires_grad=True)
    w = glassnet.ones(3, 2, 3, 3, 3, requires_grad=True)
    b = glassnet.ones(3, requires_grad=True)
    out = F.conv3d(x, w, b, padding=1)
    assert tuple(out.shape) == tuple(
        TF.conv3d(torch.zeros(0, 2, 4, 4, 4), torch.ones(3, 2, 3, 3, 3), padding=1).shape
    )
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 4, 4, 4)
    assert not w.grad.numpy().any() and not b.grad.numpy().any()


LAYERS = [
    (lambda m: m.Conv3d(3, 4, 3), (2, 3, 5, 5, 4)),
    (
        lambda m: m.Conv3d(
            4, 6, (3, 1, 2), stride=(2, 1, 1), padding=(1, 0, 1), groups=2, bias=False
        ),
        (2, 4, 5, 4, 4),
    ),
    (lambda m: m.Conv3d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 4, 4, 4)),
    (
        lambda m: m.Conv3d(2, 3, 3, padding="same", padding_mode="circular", dilation=(1, 2, 1)),
        (2, 2, 4, 5, 4),
    ),
    (lambda m: m.Conv3d(2, 3, 3, padding=(1, 0, 2), padding_mode="replicate"), (2, 2, 4, 4, 4)),
    (lambda m: m.ConvTranspose3d(4, 3, 3, stride=2, padding=1, output_padding=1), (2, 4, 3, 2, 3)),
    (lambda m: m.ConvTranspose3d(4, 6, 2, groups=2, bias=False, dilation=2), (2, 4, 2, 3, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], device=device)
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make,shape", [LAYERS[0], LAYERS[5]])
def test_layer_float32(device, make, shape):
    # Conv3d(3, 4, 3): windows of 81 terms, input gradients of 4*27 = 108 terms (the most)
    check_layer(make(nn), make(torch.nn), [shape], dtype="float32", device=device, **f32_tol(108))


def test_layer_inference_matches_training_path():
    torch.manual_seed(0)
    t_layer = torch.nn.Conv3d(2, 3, 3, padding=1)
    g_layer = nn.Conv3d(2, 3, 3, padding=1)
    g_layer.load_state_dict({k: v.numpy() for k, v in t_layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 5, 4)).astype(np.float32)
    with glassnet.no_grad():
        out = g_layer(glassnet.tensor(x))
    assert out.grad_fn is None
    with torch.no_grad():
        expected = t_layer(torch.tensor(x)).numpy()
    # 54-term windows of N(0, 1) inputs (below 4.5 in magnitude for 160 draws) and weights in
    # U(+-1/sqrt(54)): terms below 0.62
    np.testing.assert_allclose(out.numpy(), expected, **f32_tol(54, 0.62))


def test_default_init_bounds():
    glassnet.manual_seed(0)
    conv = nn.Conv3d(4, 8, 3)
    bound = 1 / math.sqrt(4 * 27)  # kaiming_uniform(a=sqrt(5)) is U(+-1/sqrt(fan_in))
    w = conv.weight.detach().numpy()
    assert w.shape == (8, 4, 3, 3, 3) and np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # 864 draws: the largest is within 5% of the edge
    assert nn.ConvTranspose3d(4, 6, 3, groups=2).weight.shape == (4, 3, 3, 3, 3)


def test_volume_model_step_matches_torch():
    def build(m):
        return m.Sequential(
            m.Conv3d(1, 4, 3, padding=1),
            m.ReLU(),
            m.MaxPool3d(2),
            m.Conv3d(4, 4, 3, padding=1),
            m.AdaptiveAvgPool3d(1),
            m.Flatten(),
            m.Linear(4, 2),
        )

    check_layer(build(nn), build(torch.nn), [(2, 1, 4, 6, 6)])
