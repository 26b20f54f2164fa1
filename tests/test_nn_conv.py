"""Convolutions (conv1d, conv2d, conv_transpose1d/2d and their layers) against PyTorch, plus
finite differences, initialisation, printed form and the error messages."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_finite_differences, check_layer, check_op

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.errors import DTypeError, ShapeError

# (x shape, weight shape, bias?, kwargs)
CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 3, 8, 7), (4, 3, 3, 2), True, dict(stride=(2, 1), padding=(1, 0))),
    ((2, 3, 6, 6), (4, 3, 3, 3), False, dict(padding="same")),
    pytest.param(
        (2, 3, 6, 7),
        (4, 3, 4, 2),
        True,
        dict(padding="same"),  # asymmetric
        marks=pytest.mark.filterwarnings("ignore:Using padding"),
    ),
    ((2, 3, 7, 7), (4, 3, 3, 3), True, dict(padding="same", dilation=2)),
    ((2, 3, 6, 6), (4, 3, 3, 3), True, dict(padding="valid")),
    ((2, 3, 9, 8), (4, 3, 3, 3), True, dict(dilation=(2, 1), padding=1)),
    ((2, 4, 7, 6), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ((2, 4, 7, 6), (8, 1, 3, 3), True, dict(groups=4, padding=1)),  # depthwise, multiplier 2
    ((2, 4, 9, 9), (4, 1, 3, 3), False, dict(groups=4, stride=2, dilation=2, padding=2)),
    ((2, 3, 5, 5), (4, 3, 1, 1), True, {}),
    ((3, 7, 6), (4, 3, 3, 3), True, dict(padding=1)),  # unbatched
    ((2, 2, 9, 9), (3, 2, 5, 5), True, dict(stride=3, padding=2)),
]


def _conv_fns(fn_g, fn_t, has_bias, kwargs):
    if has_bias:
        return (lambda x, w, b: fn_g(x, w, b, **kwargs)), (lambda x, w, b: fn_t(x, w, b, **kwargs))
    return (lambda x, w: fn_g(x, w, **kwargs)), (lambda x, w: fn_t(x, w, **kwargs))


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", CONV2D)
def test_conv2d(device, x_shape, w_shape, has_bias, kwargs):
    g, t = _conv_fns(F.conv2d, TF.conv2d, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if has_bias else [])
    check_op(shapes, g, t, device=device, finite_diff=False)


CONV1D = [
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 3, 9), (4, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 3, 8), (4, 3, 4), False, dict(padding="same", dilation=2)),
    ((2, 4, 9), (6, 2, 3), True, dict(groups=2, dilation=2)),
    ((3, 9), (4, 3, 2), True, dict(padding=1)),  # unbatched
]


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", CONV1D)
def test_conv1d(device, x_shape, w_shape, has_bias, kwargs):
    g, t = _conv_fns(F.conv1d, TF.conv1d, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if has_bias else [])
    check_op(shapes, g, t, device=device, finite_diff=False)


TRANSPOSE2D = [
    ((2, 4, 4, 3), (4, 3, 3, 3), True, {}),
    ((2, 4, 4, 3), (4, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 3, 4), (4, 2, 2, 3), False, dict(stride=(2, 1), padding=(0, 1))),
    ((2, 4, 4, 4), (4, 3, 3, 3), True, dict(groups=2, dilation=2, stride=2)),
    ((2, 4, 4, 4), (4, 2, 3, 3), True, dict(dilation=2, output_padding=1)),
    ((2, 4, 4, 4), (4, 1, 4, 4), True, dict(stride=2, padding=1, groups=4)),
    ((4, 3, 3), (4, 2, 3, 3), True, dict(stride=2)),  # unbatched
    # 16+ output channels per group: the forward is a full convolution
    ((2, 4, 5, 4), (4, 16, 3, 3), True, dict(padding=1)),
    ((2, 4, 5, 5), (4, 16, 3, 3), False, dict(groups=2, dilation=2)),
    ((2, 4, 4, 4), (4, 16, 3, 3), True, dict(dilation=2, output_padding=1)),
]


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", TRANSPOSE2D)
def test_conv_transpose2d(device, x_shape, w_shape, has_bias, kwargs):
    g, t = _conv_fns(F.conv_transpose2d, TF.conv_transpose2d, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[1] * kwargs.get("groups", 1),)] if has_bias else [])
    check_op(shapes, g, t, device=device, finite_diff=False)


@pytest.mark.parametrize(
    "kwargs", [{}, dict(stride=3, padding=1, output_padding=2), dict(groups=2, dilation=2)]
)
def test_conv_transpose1d(device, kwargs):
    g, t = _conv_fns(F.conv_transpose1d, TF.conv_transpose1d, True, kwargs)
    check_op(
        [(2, 4, 5), (4, 3, 3), (3 * kwargs.get("groups", 1),)],
        g,
        t,
        device=device,
        finite_diff=False,
    )


def test_finite_differences():
    check_finite_differences(
        [(1, 2, 5, 4), (3, 2, 3, 2), (3,)],
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1),
    )
    check_finite_differences(
        [(1, 2, 5, 5), (2, 1, 3, 3)],
        lambda x, w: F.conv2d(x, w, padding="same", groups=2, dilation=2),
    )
    check_finite_differences(
        [(1, 2, 3, 3), (2, 2, 3, 3), (2,)],
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
    )


def test_float32_stays_float32():
    x = glassnet.randn(2, 3, 6, 6, requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    y.sum().backward()
    assert y.dtype == glassnet.float32
    assert x.grad.dtype == glassnet.float32 and conv.weight.grad.dtype == glassnet.float32
    assert conv.bias.grad.dtype == glassnet.float32


# ---- layers ---------------------------------------------------------------------------------
LAYERS = [
    (lambda m: m.Conv2d(3, 4, 3), (2, 3, 6, 5)),
    (lambda m: m.Conv2d(3, 6, (3, 2), stride=(2, 1), padding=(1, 0), bias=False), (2, 3, 7, 6)),
    (lambda m: m.Conv2d(4, 4, 3, padding="same", groups=4, dilation=2), (2, 4, 6, 6)),
    (lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 5, 4)),
    (lambda m: m.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate"), (2, 2, 5, 4)),
    (lambda m: m.Conv2d(2, 3, 3, padding="same", padding_mode="circular"), (2, 2, 5, 4)),
    # negative padding with a non-zero mode crops through F.pad, as in PyTorch
    (lambda m: m.Conv2d(2, 3, 2, padding=(-1, 1), padding_mode="reflect"), (2, 2, 6, 4)),
    (lambda m: m.Conv2d(3, 4, 3, padding=1), (3, 6, 5)),
    (lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    (lambda m: m.Conv1d(4, 6, 3, groups=2, padding=2, padding_mode="reflect"), (2, 4, 7)),
    (lambda m: m.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), (2, 4, 3, 4)),
    (lambda m: m.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False, dilation=2), (2, 4, 3, 3)),
    (lambda m: m.ConvTranspose1d(4, 3, 4, stride=2, padding=1), (2, 4, 5)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], device=device)


@pytest.mark.parametrize("make,shape", LAYERS[:2] + LAYERS[9:10])
def test_layer_float32(device, make, shape):
    check_layer(make(nn), make(torch.nn), [shape], dtype="float32", device=device)


def test_conv_transpose_output_size():
    g, t = (
        nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
        torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
    )
    check_layer(g, t, [(1, 3, 4, 4)], forward=lambda layer, x: layer(x, output_size=(8, 8)))


# Layers with >= 16 input channels per group take the full-convolution backward (input and
# weight gradients from one pass over the shifted output gradient); the others keep columns.
WIDE_CONV = [
    ((3, 16, 6, 5), (8, 16, 3, 3), True, dict(padding=1)),
    ((3, 32, 6, 6), (6, 16, 3, 3), True, dict(groups=2, padding=1)),
    ((3, 16, 7, 6), (5, 16, 4, 2), False, dict(padding="same")),  # asymmetric
    ((3, 16, 9, 8), (4, 16, 3, 3), True, dict(dilation=2, padding=(1, 2))),
    ((3, 16, 6, 6), (4, 16, 3, 3), True, dict(padding=3)),  # pad past the kernel: columns
    ((3, 16, 9, 8), (4, 16, 3, 3), True, dict(stride=(2, 1), padding=1)),  # strided: columns
    ((3, 16, 9), (4, 16, 3), True, dict(padding=1)),  # 1-D
]


@pytest.mark.parametrize("per_block", [1, 2, None])
@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", WIDE_CONV)
@pytest.mark.filterwarnings("ignore:Using padding")
def test_conv_blocked_paths(monkeypatch, per_block, x_shape, w_shape, has_bias, kwargs):
    """Column blocks of 1 or 2 images (2 leaves a partial last block) or all at once."""
    from glassnet.ops import conv_columns

    if per_block is not None:
        monkeypatch.setattr(
            conv_columns, "_images_per_block", lambda x, g, rows: min(per_block, g.N)
        )
    fn_g, fn_t = (F.conv2d, TF.conv2d) if len(w_shape) == 4 else (F.conv1d, TF.conv1d)
    g, t = _conv_fns(fn_g, fn_t, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if has_bias else [])
    check_op(shapes, g, t, finite_diff=False)


@pytest.mark.parametrize("cin,kwargs", [(16, dict(padding=1)), (3, {}), (16, dict(stride=2))])
def test_conv_empty_batch(cin, kwargs):
    """No images: an empty output, and zero weight and bias gradients, as in PyTorch."""
    x = glassnet.zeros(0, cin, 5, 5, requires_grad=True)
    w = glassnet.ones(4, cin, 3, 3, requires_grad=True)
    b = glassnet.ones(4, requires_grad=True)
    out = F.conv2d(x, w, b, **kwargs)
    expected = TF.conv2d(torch.zeros(0, cin, 5, 5), torch.ones(4, cin, 3, 3), **kwargs)
    assert tuple(out.shape) == tuple(expected.shape)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, cin, 5, 5)
    assert not w.grad.numpy().any() and not b.grad.numpy().any()


@pytest.mark.parametrize("wanted", ["w", "b", "xb"])
def test_conv_backward_some_inputs(wanted):
    """Only some inputs need a gradient (a first layer, a frozen weight): those are made."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((2, 16, 5, 5)).astype(np.float32),
        rng.standard_normal((4, 16, 3, 3)).astype(np.float32),
        rng.standard_normal(4).astype(np.float32),
    ]
    flags = ["x" in wanted, "w" in wanted, "b" in wanted]
    g_in = [glassnet.tensor(a, requires_grad=f) for a, f in zip(arrays, flags)]
    t_in = [torch.tensor(a, requires_grad=f) for a, f in zip(arrays, flags)]
    F.conv2d(*g_in, padding=1).square().sum().backward()
    TF.conv2d(*t_in, padding=1).square().sum().backward()
    for g, t, f in zip(g_in, t_in, flags):
        if f:
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-3)
        else:
            assert g.grad is None


# One image takes its own forward path (a single column matrix, no blocks).
SINGLE_IMAGE = [
    ((1, 3, 7, 6), (4, 3, 3, 3), True, dict(padding=1)),
    ((1, 16, 9, 8), (4, 16, 3, 2), True, dict(stride=(2, 1), dilation=(1, 2), padding=(1, 0))),
    ((1, 3, 5, 5), (4, 3, 1, 1), False, {}),
    ((1, 3, 7, 7), (4, 3, 1, 3), True, dict(stride=2, padding=(0, 1))),
    ((1, 16, 6, 5), (5, 16, 4, 2), False, dict(padding="same")),
]


@pytest.mark.parametrize("x_shape,w_shape,has_bias,kwargs", SINGLE_IMAGE)
@pytest.mark.filterwarnings("ignore:Using padding")
def test_conv2d_single_image(x_shape, w_shape, has_bias, kwargs):
    g, t = _conv_fns(F.conv2d, TF.conv2d, has_bias, kwargs)
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if has_bias else [])
    check_op(shapes, g, t, finite_diff=False)


@pytest.mark.parametrize(
    "make,shapes",
    [
        (lambda m: m.Conv2d(3, 4, 3, padding=1), [(2, 3, 6, 5), (2, 3, 6, 5), (1, 3, 7, 7)]),
        (lambda m: m.Conv2d(16, 4, 3, stride=2, groups=2), [(3, 16, 7, 7), (16, 9, 9)]),
        (lambda m: m.Conv1d(3, 4, 3, padding="same"), [(2, 3, 9), (3, 9), (3, 9)]),
    ],
)
def test_layer_inference_plan(make, shapes):
    """Gradient-free calls take the layer's cached plan: right for each new shape, and the
    same shape again, as PyTorch."""
    torch.manual_seed(0)
    t_layer = make(torch.nn)
    g_layer = make(nn)
    g_layer.load_state_dict({k: v.numpy() for k, v in t_layer.state_dict().items()})
    rng = np.random.default_rng(0)
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        with glassnet.no_grad():
            out = g_layer(glassnet.tensor(x))
        with torch.no_grad():
            expected = t_layer(torch.tensor(x))
        assert out.grad_fn is None
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_layer_inference_plan_checks_new_shapes():
    conv = nn.Conv2d(3, 4, 3)
    with glassnet.no_grad():
        conv(glassnet.ones(1, 3, 5, 5))
        with pytest.raises(ShapeError, match="3 channels"):
            conv(glassnet.ones(1, 2, 5, 5))


def test_lenet_like_step_matches_torch():
    def build(m):
        return m.Sequential(
            m.Conv2d(1, 6, 5, padding=2),
            m.ReLU(),
            m.MaxPool2d(2),
            m.Conv2d(6, 16, 5),
            m.ReLU(),
            m.AvgPool2d(2),
            m.Flatten(),
            m.Linear(16 * 5 * 5, 10),
        )

    check_layer(build(nn), build(torch.nn), [(4, 1, 28, 28)], dtype="float32")


@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((3, 16, 3), {}),
        ((3, 16, (3, 5)), dict(stride=2, padding=(1, 2), dilation=2, groups=1, bias=False)),
        ((4, 8, 3), dict(padding="same", groups=4, padding_mode="reflect")),
        ((4, 8, 3), dict(padding="valid")),
    ],
)
def test_repr_matches_torch(args, kwargs):
    assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))
    assert repr(
        nn.Conv1d(*args[:2], 3, **{k: v for k, v in kwargs.items() if k == "groups"})
    ) == repr(torch.nn.Conv1d(*args[:2], 3, **{k: v for k, v in kwargs.items() if k == "groups"}))


def test_transpose_repr_matches_torch():
    for kwargs in ({}, dict(stride=2, output_padding=1, groups=2, bias=False, dilation=2)):
        assert repr(nn.ConvTranspose2d(4, 6, 3, **kwargs)) == repr(
            torch.nn.ConvTranspose2d(4, 6, 3, **kwargs)
        )
        assert repr(nn.ConvTranspose1d(4, 6, 3, **kwargs)) == repr(
            torch.nn.ConvTranspose1d(4, 6, 3, **kwargs)
        )


def test_default_init_bounds():
    glassnet.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)  # kaiming_uniform(a=sqrt(5)) reduces to U(+-1/sqrt(fan_in))
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert w.shape == (32, 16, 3, 3) and b.shape == (32,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound
    t = nn.ConvTranspose2d(8, 4, 3, groups=2)
    assert t.weight.shape == (8, 2, 3, 3)
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(2 * 9)


# ---- errors ---------------------------------------------------------------------------------
def test_wrong_channels_names_the_layer():
    model = nn.Sequential(nn.Conv2d(3, 16, 3))
    with pytest.raises(ShapeError) as info:
        model(glassnet.zeros(8, 1, 28, 28))
    msg = str(info.value)
    assert msg.startswith(
        "model.0 (Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))): expected input with 3 "
        "channels (shape (N, 3, H, W)), got (8, 1, 28, 28); "
    )
    assert "in_channels=1" in msg


def test_functional_errors():
    with pytest.raises(ShapeError, match="conv2d: expected input with 4 channels"):
        F.conv2d(glassnet.zeros(1, 3, 5, 5), glassnet.zeros(2, 2, 3, 3), groups=2)
    with pytest.raises(ShapeError, match="4-D"):
        F.conv2d(glassnet.zeros(2, 784), glassnet.zeros(2, 1, 3, 3))
    with pytest.raises(ShapeError, match="smaller than the"):
        F.conv2d(glassnet.zeros(1, 1, 2, 2), glassnet.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(glassnet.zeros(1, 1, 5, 5), glassnet.zeros(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(DTypeError, match="float64"):
        F.conv2d(glassnet.zeros(1, 1, 5, 5, dtype=glassnet.float64), glassnet.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(glassnet.zeros(1, 1, 3, 3), glassnet.zeros(1, 1, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
