"""Convolutions whose weight outweighs their output positions (ResNet-18's 256- and 512-channel
layers on 4x4 and 2x2 maps, batch-1 training) take the column path instead of the
full-convolution backward, and their stride-1 input gradient runs its matmul over the output's
positions (strided col2im adds) instead of the padded image's: forward and every gradient
against PyTorch, float64 and float32, with the path each case takes checked first, so the
cases keep testing what they are named for."""

import pytest
import torch.nn.functional as TF

import glassnet.nn.functional as F
from glassnet.ops.conv_columns import Geometry
from glassnet.ops.convolution import _full_conv_geometry, _padded_layout_pays
from tests.helpers import check_op

# (x shape, w shape, conv2d keywords); every case: 2 * O/G > N*Ho*Wo and (O/G) * extra > 30
HEAVY = [
    ((2, 16, 2, 3), (24, 16, 3, 3), dict(padding=1)),
    ((1, 16, 3, 3), (40, 16, 3, 3), dict(padding=1)),  # one image (batch-1 training)
    ((2, 32, 3, 2), (64, 16, 3, 3), dict(padding=1, groups=2)),
    ((2, 16, 5, 4), (48, 16, 3, 2), dict(padding=(2, 1), dilation=2)),
    ((2, 16, 3, 4), (48, 16, 2, 3), dict(padding="same")),  # asymmetric padding
    ((2, 4, 3, 3), (40, 4, 3, 3), dict(padding=1)),  # few channels: columns anyway
]


def _geometry(x_shape, w_shape, kw):
    """The Geometry the op builds for these conv2d arguments (symmetric or "same" padding)."""
    kh, kwd = w_shape[2:]
    dh, dw = (kw.get("dilation", 1),) * 2
    pad = kw.get("padding", 0)
    if pad == "same":
        th, tw = dh * (kh - 1), dw * (kwd - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    else:
        ph, pw = pad if isinstance(pad, tuple) else (pad, pad)
        pads = (ph, ph, pw, pw)
    return Geometry(x_shape, w_shape, (1, 1), pads, (dh, dw), kw.get("groups", 1))


@pytest.mark.parametrize("x_shape,w_shape,kw", HEAVY)
@pytest.mark.filterwarnings("ignore:Using padding")
def test_weight_heavy_conv_matches_torch(x_shape, w_shape, kw, device):
    g = _geometry(x_shape, w_shape, kw)
    assert _full_conv_geometry(g) is None and not _padded_layout_pays(g)
    shapes = [x_shape, w_shape, (w_shape[0],)]
    check_op(
        shapes,
        lambda x, w, b: F.conv2d(x, w, b, **kw),
        lambda x, w, b: TF.conv2d(x, w, b, **kw),
        device=device,
        finite_diff=False,
    )


@pytest.mark.parametrize("x_shape,w_shape,kw", HEAVY[:3])
def test_weight_heavy_conv_transpose_matches_torch(x_shape, w_shape, kw, device):
    """A transposed convolution's forward is the input gradient of a convolution: with many
    input channels on a small map it takes the output-position col2im too."""
    c_in, c_out = w_shape[0], x_shape[1]  # swap roles: (C_in, C_out/G, kh, kw) weight
    groups = kw.get("groups", 1)
    x_t = (x_shape[0], c_in, *x_shape[2:])
    w_t = (c_in, c_out // groups, *w_shape[2:])
    # the equivalent convolution maps the output (N, C_out, H, W) back to x_t
    g = Geometry((x_shape[0], c_out, *x_shape[2:]), w_t, (1, 1), (1, 1, 1, 1), (1, 1), groups)
    assert _full_conv_geometry(g) is None and not _padded_layout_pays(g)
    check_op(
        [x_t, w_t, (c_out,)],
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
        device=device,
        finite_diff=False,
    )


def test_padded_layout_still_taken_where_it_pays():
    """LeNet's 5x5 layers and a 16-channel CIFAR layer keep the padded-image layout and the
    full-convolution backward as before (the thresholds' other side)."""
    lenet2 = Geometry((64, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0, 0, 0), (1, 1), 1)
    lenet1 = Geometry((64, 1, 28, 28), (6, 1, 5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1)
    assert _padded_layout_pays(lenet2) and _padded_layout_pays(lenet1)
    cifar = Geometry((32, 16, 32, 32), (16, 16, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert _full_conv_geometry(cifar) is not None
