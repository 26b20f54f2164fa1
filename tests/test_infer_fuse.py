"""The gradient-free inference shortcuts: a Conv2d with an eval-mode BatchNorm2d run as one
step by Sequential (nn.conv_norm_fold), SiLU in place after it, and squeeze-and-excitation as
one array function (nn.squeeze_excitation). Each against the layers run one by one (the same
arithmetic, so equal bit for bit where the shortcut promises it) and against PyTorch; the fold
also after every way its inputs can change, since it must never use stale numbers."""

import copy

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet import nn
from glassnet.models import vision
from glassnet.models.vision.layers import SqueezeExcitation
from glassnet.nn import conv_norm_fold
from glassnet.nn import squeeze_excitation as se_module


@pytest.fixture
def fold_calls(monkeypatch):
    """How many times the fold wrote a batch norm into a convolution's output. (Sequential's
    shortcut is off for the process once any test registered a hook anywhere; the modules
    here have none, so the flag is cleared for the test.)"""
    monkeypatch.setattr(nn.module, "_hooks_registered", False)
    calls = []
    real = conv_norm_fold.eval_batch_norm_

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(conv_norm_fold, "eval_batch_norm_", spy)
    return calls


def _block(cin, cout, bias, affine, dtype, seed=0):
    """Conv2d (3x3) -> BatchNorm2d -> SiLU in eval mode with random weights and statistics."""
    glassnet.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=bias),
        nn.BatchNorm2d(cout, affine=affine),
        nn.SiLU(inplace=True),
    ).to(dtype)
    rng = np.random.default_rng(seed)
    norm = net[1]
    norm.running_mean._data[...] = rng.uniform(-0.5, 0.5, cout)
    norm.running_var._data[...] = rng.uniform(0.5, 1.5, cout)
    if affine:
        norm.weight._data[...] = rng.uniform(0.5, 1.5, cout)
        norm.bias._data[...] = rng.uniform(-0.5, 0.5, cout)
    return net.eval()


def _one_by_one(net, x):
    """The layers called one after another (the conv's own inference path, then the
    batch norm op, then F.silu): the eager arithmetic the fold must reproduce."""
    with glassnet.no_grad():
        for layer in net:
            x = layer(x)
    return x.numpy()


def _fused(net, x):
    with glassnet.no_grad():
        return net(x).numpy()


def _torch_twin(net):
    conv, norm = net[0], net[1]
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(
            conv.in_channels, conv.out_channels, 3, padding=1, bias=conv.bias is not None
        ),
        torch.nn.BatchNorm2d(norm.num_features, affine=norm.affine),
        torch.nn.SiLU(),
    )
    twin = twin.to(getattr(torch, str(conv.weight.dtype).split(".")[-1]))  # before loading
    state = {k: torch.tensor(v.numpy().copy()) for k, v in net.state_dict().items()}
    twin.load_state_dict(state)
    return twin.eval()


# (1, 16, 12, 12) stays under the eval batch norm's small-array size (65536 numbers) and
# broadcasts columns; (2, 16, 48, 48) is above it and takes the spread rows.
@pytest.mark.parametrize("shape", [(1, 3, 12, 12), (2, 3, 48, 48)])
@pytest.mark.parametrize("bias,affine", [(False, True), (True, True), (False, False)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_norm_fold_is_the_eager_arithmetic(shape, bias, affine, dtype, fold_calls):
    net = _block(3, 16, bias, affine, dtype)
    x = glassnet.tensor(np.random.default_rng(1).standard_normal(shape).astype(dtype))
    got = _fused(net, x)
    assert fold_calls, "the fold was not taken"
    # the same convolution, then the same scale and shift expressions: no rounding difference
    np.testing.assert_array_equal(got, _one_by_one(net, x))
    with torch.no_grad():
        expected = _torch_twin(net)(torch.tensor(x.numpy())).numpy()
    # 27-term convolution sums, one multiply-add and a sigmoid per number: float64 (eps
    # 1.1e-16) far below 1e-12 relative to the largest output, float32 (eps 6e-8) below 1e-5
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert np.abs(got - expected).max() <= tol * np.abs(expected).max()


def test_conv_norm_fold_is_never_stale(fold_calls):
    """Every route that changes a number the fold uses shows in the next output: nothing is
    cached, which these changes (some invisible to version counters) would expose."""
    net = _block(3, 8, True, True, "float32")
    x = glassnet.tensor(np.random.default_rng(2).standard_normal((1, 3, 9, 9)).astype("float32"))
    conv, norm = net[0], net[1]

    def check():
        before = _fused(net, x)
        np.testing.assert_array_equal(before, _one_by_one(net, x))
        return before

    outputs = [check()]
    conv.weight.data.mul_(2.0)  # through .data: no version bump
    outputs.append(check())
    conv.bias._data[...] += 0.25  # the raw array
    outputs.append(check())
    norm.running_mean._data[...] -= 0.5
    outputs.append(check())
    norm.running_var.data.mul_(3.0)
    outputs.append(check())
    norm.eps = 0.5
    outputs.append(check())
    opt = glassnet.optim.SGD([norm.weight, norm.bias], lr=0.5)
    norm.weight.grad = glassnet.ones(8)
    norm.bias.grad = glassnet.ones(8)
    opt.step()
    outputs.append(check())
    state = {k: v.numpy() * 1.5 for k, v in net.state_dict().items()}
    state["1.num_batches_tracked"] = np.array(0)
    net.load_state_dict({k: glassnet.tensor(v) for k, v in state.items()})
    outputs.append(check())
    for a, b in zip(outputs, outputs[1:]):
        assert not np.array_equal(a, b)  # each change did change the output
    # a training forward (no grad) updates the running statistics: the next eval output uses
    # the new ones
    net.train()
    calls = len(fold_calls)
    twin = copy.deepcopy(net)
    with glassnet.no_grad():
        train_out = net(x).numpy()
    assert len(fold_calls) == calls  # batch statistics: not folded
    np.testing.assert_array_equal(train_out, _one_by_one(twin, x))
    net.eval()
    np.testing.assert_array_equal(net[1].running_mean.numpy(), twin[1].running_mean.numpy())
    outputs.append(check())
    assert not np.array_equal(outputs[-2], outputs[-1])
    # a dtype change: new arrays of another type
    net.to("float64")
    x64 = glassnet.tensor(x.numpy().astype("float64"))
    np.testing.assert_array_equal(_fused(net, x64), _one_by_one(net, x64))
    assert _fused(net, x64).dtype == np.float64


def test_conv_norm_fold_steps_aside(fold_calls):
    """Hooks (they may look at the conv output), grad mode, and layers whose forward was
    replaced run the layers one by one."""
    net = _block(3, 8, False, True, "float64")
    x = glassnet.tensor(np.random.default_rng(3).standard_normal((1, 3, 6, 6)))
    seen = []
    handle = net[0].register_forward_hook(lambda m, args, out: seen.append(out.numpy().copy()))
    out = _fused(net, x)
    handle.remove()
    assert seen and not fold_calls
    np.testing.assert_array_equal(out, _one_by_one(net, x))
    with glassnet.enable_grad():
        y = net(x)
    assert not fold_calls
    # the graph path convolves through im2col blocks: rounding of 27-term sums (float64)
    np.testing.assert_allclose(y.detach().numpy(), out, rtol=1e-12, atol=1e-14)
    net[1].forward = lambda t: t  # an instance forward: its promise is its own
    assert np.array_equal(_fused(net, x), _one_by_one(net, x)) and not fold_calls


def test_unbatched_input_still_gets_the_batch_norm_error():
    net = _block(3, 4, False, True, "float32")
    with glassnet.no_grad(), pytest.raises(glassnet.errors.ShapeError, match="BatchNorm2d"):
        net(glassnet.ones(3, 5, 5))


@pytest.mark.parametrize("activation", [nn.ReLU, nn.SiLU])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_squeeze_excitation_shortcut(activation, dtype, monkeypatch):
    calls = []
    real = se_module.squeeze_excite
    monkeypatch.setattr(se_module, "squeeze_excite", lambda *a: calls.append(1) or real(*a))
    glassnet.manual_seed(0)
    block = SqueezeExcitation(24, 6, activation=activation).to(dtype)
    x = glassnet.tensor(np.random.default_rng(4).standard_normal((2, 24, 5, 5)).astype(dtype))
    with glassnet.no_grad():
        got = block(x).numpy()
    assert calls
    eager = block(x).detach().numpy()  # grad mode on: the layers and their graph
    assert len(calls) == 1
    twin = torchvision.ops.SqueezeExcitation(
        24, 6, activation=getattr(torch.nn, activation.__name__)
    )
    twin = twin.to(getattr(torch, dtype))
    twin.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in block.state_dict().items()})
    with torch.no_grad():
        expected = twin(torch.tensor(x.numpy())).numpy()
    # the average and the two products sum at most 25 and 24 terms in another order than the
    # layers' own calls: float64 below 1e-13 relative, float32 (eps 6e-8) below 1e-6
    tol = 1e-13 if dtype == "float64" else 1e-6
    scale = np.abs(expected).max()
    assert np.abs(got - eager).max() <= tol * scale
    assert np.abs(got - expected).max() <= tol * scale


def test_squeeze_excitation_shortcut_steps_aside(monkeypatch):
    """A replaced layer (here the activation) takes the layers' path, with its result."""
    calls = []
    monkeypatch.setattr(se_module, "squeeze_excite", lambda *a: calls.append(1))
    block = SqueezeExcitation(8, 2)
    block.activation = nn.GELU()
    x = glassnet.randn(1, 8, 3, 3)
    with glassnet.no_grad():
        got = block(x).numpy()
    assert not calls
    expected = block(x).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_efficientnet_batch_one_inference_matches_torchvision():
    """Batch 1 at 64x64 (the benchmark's input): 32x32 maps take the NCHW depthwise path and
    batch norms of more than 65536 numbers the spread rows, all through the fold."""
    torch.manual_seed(0)
    twin = torchvision.models.efficientnet_b0(num_classes=5).eval()
    for m in twin.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    model = vision.efficientnet_b0(num_classes=5).eval()
    model.load_state_dict(
        {k: glassnet.tensor(v.numpy().copy()) for k, v in twin.state_dict().items()}
    )
    x = np.random.default_rng(5).standard_normal((1, 3, 64, 64)).astype("float32")
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    with glassnet.no_grad():
        got = model(glassnet.tensor(x)).numpy()
    # float32 through ~80 layers: the zoo's float32 bound, 1e-4 relative to the largest logit
    assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_squeeze_excitation_shortcut_runs_a_childs_hook():
    block = SqueezeExcitation(8, 2)
    seen = []
    block.fc1.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    x = glassnet.randn(1, 8, 3, 3)
    with glassnet.no_grad():
        got = block(x).numpy()
    assert seen == [glassnet.Size([1, 2, 1, 1])]
    np.testing.assert_allclose(got, block(x).detach().numpy(), rtol=1e-6, atol=1e-7)
