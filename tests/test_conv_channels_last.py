"""The channels-last memory format (glassnet/memory_formats.py): the convolution path it selects
(glassnet/ops/conv_channels_last.py) and batch norm on channels-last arrays, against PyTorch:
values, every gradient, and the layout they leave, which follows PyTorch's.

Tolerances: float64 runs use helpers.TOL (1e-7 relative, far above the 2^-52 * K roundings of
a K-term dot product); float32 ones sum K = C*kh*kw <= 800 products of magnitude ~1, so each
output differs from PyTorch's (another summation order) by at most about K * 2^-24 relative
to the sum of |terms|: 2e-4 relative with 2e-5 absolute (helpers.TOL) holds that with room.
"""

import numpy as np
import pytest
import torch
from helpers import assert_close, check_layer

import glassnet
from glassnet import nn
from glassnet.ops.conv_channels_last import is_channels_last

CASES = [  # (C, O, kernel, stride, padding, dilation, bias, H, W)
    (16, 16, 3, 1, 1, 1, True, 8, 8),
    (16, 32, 3, 2, 1, 1, False, 9, 7),
    (24, 16, 1, 2, 0, 1, True, 8, 8),
    (16, 16, 5, 1, 2, 1, False, 7, 9),
    (16, 20, 3, 1, 0, 2, True, 9, 9),
    (16, 16, (3, 1), (1, 2), (1, 0), 1, True, 6, 8),
    pytest.param(
        (16, 16, 2, 1, "same", 1, False, 6, 6),  # even kernel: asymmetric padding
        marks=pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning"),
    ),
    (16, 16, 3, 1, 3, 1, True, 4, 4),  # padding wider than the kernel reach: no full conv
]


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else glassnet


def _as_channels_last(layer, x):
    """forward= for check_layer: convert the input, then call the layer (either library)."""
    return layer(x.to(memory_format=_lib(x).channels_last))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_channels_last_matches_torch(case, dtype):
    C, out_ch, k, s, p, d, bias, H, W = case
    torch.manual_seed(0)
    t = torch.nn.Conv2d(C, out_ch, k, stride=s, padding=p, dilation=d, bias=bias)
    g = nn.Conv2d(C, out_ch, k, stride=s, padding=p, dilation=d, bias=bias)
    out = check_layer(g, t, [(3, C, H, W)], dtype=dtype, forward=_as_channels_last)
    assert is_channels_last(out[0].detach().numpy()), "the channels-last path did not run"


@pytest.mark.parametrize("C,out_ch,N", [(3, 16, 4), (1, 6, 2), (16, 16, 1)])
def test_layout_follows_pytorch_for_small_layers_and_single_images(C, out_ch, N):
    """The RGB stem, LeNet-sized layers and a single image: a channels-last input gives a
    channels-last output as in PyTorch (right values and gradients); a plain NCHW input stays
    plain, in training and in inference."""
    torch.manual_seed(0)
    t, g = torch.nn.Conv2d(C, out_ch, 3), nn.Conv2d(C, out_ch, 3)
    out = check_layer(g, t, [(N, C, 8, 8)], forward=_as_channels_last)
    reference = t(torch.randn(N, C, 8, 8).double().to(memory_format=torch.channels_last))
    assert out[0].is_contiguous(memory_format=glassnet.channels_last)
    assert reference.is_contiguous(memory_format=torch.channels_last)
    for train in (True, False):
        g.train(train)
        y = g(glassnet.randn(N, C, 8, 8, dtype=glassnet.float64, requires_grad=train))
        assert y.is_contiguous()


def test_memory_format_api_matches_torch():
    """to/contiguous/is_contiguous/stride with memory formats, and Module.to, as PyTorch's."""
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    g, t = glassnet.tensor(a), torch.tensor(a)
    gl, tl = g.to(memory_format=glassnet.channels_last), t.to(memory_format=torch.channels_last)
    assert gl.stride() == tl.stride() and gl.shape == tl.shape
    np.testing.assert_array_equal(gl.numpy(), a)
    assert gl.contiguous().stride() == tl.contiguous().stride()
    assert gl.contiguous(memory_format=glassnet.channels_last) is gl
    for fmt in ("contiguous_format", "channels_last"):
        assert gl.is_contiguous(memory_format=getattr(glassnet, fmt)) == tl.is_contiguous(
            memory_format=getattr(torch, fmt)
        )
    # the copy is in the graph: gradients come back in the input's shape and values
    x = glassnet.tensor(a, requires_grad=True)
    (x.to(memory_format=glassnet.channels_last) * glassnet.tensor(a)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)
    conv_g, conv_t = nn.Conv2d(3, 4, 2), torch.nn.Conv2d(3, 4, 2)
    conv_g.to(memory_format=glassnet.channels_last)
    conv_t.to(memory_format=torch.channels_last)
    assert conv_g.weight.stride() == conv_t.weight.stride()
    assert conv_g.bias.stride() == conv_t.bias.stride()
    with pytest.raises(ValueError, match="4-D"):
        glassnet.zeros(2, 3).to(memory_format=glassnet.channels_last)
    with pytest.raises(TypeError, match="memory_format"):
        g.contiguous(memory_format="channels_last")
    assert repr(glassnet.channels_last) == "glassnet.channels_last"


def _channels_last_tensor(a):
    """An (N, C, H, W) glassnet leaf tensor whose memory is (N, H, W, C)."""
    t = glassnet.tensor(a).to(memory_format=glassnet.channels_last)
    assert t.is_contiguous(memory_format=glassnet.channels_last)
    return t.requires_grad_(True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("train", [True, False])
def test_conv_batchnorm_relu_chain_on_channels_last_input(train, dtype, kernel_path):
    """A residual block (conv, BN, ReLU, conv, BN, + input, ReLU) fed a channels-last input:
    every activation stays channels-last, and output, input gradient and every parameter's
    gradient match PyTorch's; float32 runs batch norm's compiled kernels too (kernel_path)."""

    def block(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = lib.nn.Conv2d(16, 16, 3, padding=1, bias=False)
                self.bn1 = lib.nn.BatchNorm2d(16)
                self.conv2 = lib.nn.Conv2d(16, 16, 3, padding=1, bias=False)
                self.bn2 = lib.nn.BatchNorm2d(16)

            def forward(self, x):
                h = lib.relu(self.bn1(self.conv1(x)))
                return lib.relu(self.bn2(self.conv2(h)) + x)

        return Block()

    torch.manual_seed(0)
    t, g = block(torch).to(getattr(torch, dtype)), block(glassnet).to(dtype)
    g.load_state_dict({k: glassnet.tensor(v.numpy()) for k, v in t.state_dict().items()})
    t.train(train)
    g.train(train)
    x = np.random.default_rng(0).standard_normal((4, 16, 6, 6)).astype(dtype)
    gx = _channels_last_tensor(x)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    assert is_channels_last(gy.detach().numpy())
    assert_close(gy, ty.detach(), dtype, "output")
    w = np.random.default_rng(1).standard_normal(gy.shape).astype(dtype)
    (gy * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert_close(gx.grad, tx.grad, dtype, "input gradient")
    for (name, gp), (_, tp) in zip(g.named_parameters(), t.named_parameters()):
        assert_close(gp.grad, tp.grad, dtype, name)
    for name in ("bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"):
        assert_close(g.state_dict()[name], t.state_dict()[name], dtype, name)


def test_batchnorm_reads_channels_last_input_without_changing_results(kernel_path):
    """BatchNorm2d on the same numbers in both layouts: the channels-last result keeps its
    layout and agrees with the NCHW one (and PyTorch) in value and gradient."""
    x = np.random.default_rng(0).standard_normal((3, 16, 5, 4))
    w = np.random.default_rng(1).standard_normal(x.shape)
    grads = []
    for layout in ("nchw", "channels_last"):
        glassnet.manual_seed(0)
        bn = nn.BatchNorm2d(16).double()
        gx = _channels_last_tensor(x) if layout == "channels_last" else glassnet.tensor(x)
        gx = gx if gx.requires_grad else gx.requires_grad_(True)
        y = bn(gx)
        assert is_channels_last(y.detach().numpy()) == (layout == "channels_last")
        (y * glassnet.tensor(w)).sum().backward()
        grads.append((y.detach().numpy(), gx.grad.numpy(), bn.weight.grad.numpy()))
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.BatchNorm2d(16).double()(tx)
    (ty * torch.tensor(w)).sum().backward()
    for got in grads:
        assert_close(got[0], ty.detach(), "float64", "output")
        assert_close(got[1], tx.grad, "float64", "input gradient")
