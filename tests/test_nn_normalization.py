"""BatchNorm, LayerNorm, GroupNorm and RMSNorm against PyTorch: outputs, gradients, running stats."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op, copy_torch_weights, make_inputs


def _randomize(torch_layer, seed=0):
    """Non-trivial weights and running statistics, so every term of the formulas matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(torch_layer.named_parameters()) + list(torch_layer.named_buffers()):
            if t.dtype.is_floating_point:
                t.copy_(
                    torch.rand(t.shape, generator=gen) + 0.5
                    if "var" in name or "weight" in name
                    else torch.randn(t.shape, generator=gen)
                )
    return torch_layer


BATCHNORM_CASES = [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 4), {}),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (5, 3, 7), {}),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 6), {}),
    (nn.BatchNorm3d, torch.nn.BatchNorm3d, (2, 3, 3, 4, 2), {}),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 2, 4, 4), dict(affine=False)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 2, 4, 4), dict(track_running_stats=False)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 4), dict(momentum=0.3, eps=1e-3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 4), dict(momentum=None)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("g_cls, t_cls, shape, kw", BATCHNORM_CASES)
def test_batchnorm_matches_torch(g_cls, t_cls, shape, kw, train, dtype, device, kernel_path):
    c = shape[1]
    check_layer(
        g_cls(c, **kw), _randomize(t_cls(c, **kw)), [shape], train=train, dtype=dtype, device=device
    )


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_over_several_batches(momentum, device, kernel_path):
    g = nn.BatchNorm2d(3, momentum=momentum).to(device)
    t = torch.nn.BatchNorm2d(3, momentum=momentum)
    for seed in range(4):
        (x,) = make_inputs([(4, 3, 2, 2)], seed=seed, dtype="float32")
        g(glassnet.tensor(x, device=device))
        t(torch.tensor(x))
    for name, tb in t.named_buffers():
        gb = dict(g.named_buffers())[name]
        np.testing.assert_allclose(gb.cpu().numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    assert g.num_batches_tracked.dtype == glassnet.int64 and int(g.num_batches_tracked) == 4


def test_batchnorm_eval_does_not_touch_running_stats(device):
    bn = nn.BatchNorm1d(3).to(device).eval()
    before = bn.running_mean.cpu().numpy().copy()
    bn(glassnet.randn(5, 3, device=device))
    np.testing.assert_array_equal(bn.running_mean.cpu().numpy(), before)
    assert int(bn.num_batches_tracked) == 0


def test_batchnorm_state_dict_keys_and_repr():
    bn, tbn = nn.BatchNorm2d(8), torch.nn.BatchNorm2d(8)
    assert list(bn.state_dict()) == list(tbn.state_dict())
    assert repr(bn) == repr(tbn)
    assert list(nn.BatchNorm2d(8, track_running_stats=False).state_dict()) == ["weight", "bias"]
    copy_torch_weights(tbn, bn)


def test_batchnorm_wrong_channels_names_the_layer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(16)

        def forward(self, x):
            return self.bn(x)

    with pytest.raises(glassnet.ShapeError, match=r"model\.bn \(BatchNorm2d\(16.*16 channels.*3"):
        Net()(glassnet.randn(2, 3, 4, 4))
    with pytest.raises(glassnet.ShapeError, match="4-D"):
        nn.BatchNorm2d(3)(glassnet.randn(2, 3, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(glassnet.randn(1, 3))


def test_batchnorm_keeps_float32(device):
    y = nn.BatchNorm2d(2).to(device)(glassnet.randn(3, 2, 2, 2, device=device))
    assert y.dtype == glassnet.float32


def _torch_bn(x, w, b):
    return torch.nn.functional.batch_norm(x, None, None, w, b, training=True)


def test_functional_norms_with_finite_differences():
    check_op(
        [(4, 3, 2), (3,), (3,)], lambda x, w, b: F.batch_norm(x, None, None, w, b, True), _torch_bn
    )
    check_op(
        [(3, 2, 4), (4,), (4,)],
        lambda x, w, b: F.layer_norm(x, (4,), w, b),
        lambda x, w, b: torch.nn.functional.layer_norm(x, (4,), w, b),
    )
    check_op(
        [(2, 4, 3), (4,), (4,)],
        lambda x, w, b: F.group_norm(x, 2, w, b),
        lambda x, w, b: torch.nn.functional.group_norm(x, 2, w, b),
    )
    check_op(
        [(3, 2, 4), (2, 4)],
        lambda x, w: F.rms_norm(x, (2, 4), w, 1e-6),
        lambda x, w: torch.nn.functional.rms_norm(x, (2, 4), w, 1e-6),
    )


def test_functional_batch_norm_eval_and_errors():
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    check_op(
        [(3, 2, 3), (2,), (2,)],
        lambda x, w, b: F.batch_norm(x, glassnet.tensor(rm), glassnet.tensor(rv), w, b),
        lambda x, w, b: torch.nn.functional.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
        dtypes=("float64",),
    )
    with pytest.raises(glassnet.ShapeError, match="running_mean has shape"):
        F.batch_norm(glassnet.randn(3, 4), glassnet.zeros(2), glassnet.ones(2))


LAYERNORM_CASES = [
    ((4, 5), 5, {}),
    ((2, 3, 4), (3, 4), {}),
    ((2, 3, 6), 6, dict(elementwise_affine=False)),
    ((2, 3, 6), 6, dict(bias=False, eps=1e-3)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, normalized, kw", LAYERNORM_CASES)
def test_layernorm_matches_torch(shape, normalized, kw, dtype, device, kernel_path):
    check_layer(
        nn.LayerNorm(normalized, **kw),
        _randomize(torch.nn.LayerNorm(normalized, **kw)),
        [shape],
        dtype=dtype,
        device=device,
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, normalized, kw", LAYERNORM_CASES)
def test_layernorm_without_a_graph_matches_torch_and_the_recorded_path(
    shape, normalized, kw, dtype, kernel_path
):
    """Under no_grad nn.LayerNorm computes on the arrays (no node): the same values as
    PyTorch and as its own recorded path, and a result that records nothing."""
    twin = _randomize(torch.nn.LayerNorm(normalized, **kw)).to(getattr(torch, dtype))
    layer = nn.LayerNorm(normalized, **kw)
    copy_torch_weights(twin, layer)
    layer.to(getattr(glassnet, dtype))
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    with glassnet.no_grad():
        fast = layer(glassnet.tensor(x))
    recorded = layer(glassnet.tensor(x)).detach()
    want = twin(torch.from_numpy(x)).detach().numpy()
    assert not fast.requires_grad and fast.grad_fn is None
    assert fast.dtype == recorded.dtype
    # the same arithmetic in the same order as the recorded path: equal to the last bit
    np.testing.assert_array_equal(fast.numpy(), recorded.numpy())
    # against PyTorch: a mean, a variance and one scaling over <= 12 elements, a few rounding
    # errors of the format on values of order 1 (float64 eps 2.2e-16, float32 1.2e-7)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(fast.numpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "groups, channels, shape, kw",
    [
        (2, 4, (3, 4, 5), {}),
        (3, 6, (2, 6, 3, 3), {}),
        (1, 3, (2, 3, 4, 4), dict(affine=False)),
        (4, 4, (2, 4, 6), dict(eps=1e-3)),
    ],
)
def test_groupnorm_matches_torch(groups, channels, shape, kw, dtype, device):
    check_layer(
        nn.GroupNorm(groups, channels, **kw),
        _randomize(torch.nn.GroupNorm(groups, channels, **kw)),
        [shape],
        dtype=dtype,
        device=device,
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "shape, normalized, kw",
    [
        ((3, 8), 8, {}),
        ((2, 3, 4), (3, 4), dict(eps=1e-4)),
        ((2, 5), 5, dict(elementwise_affine=False)),
    ],
)
def test_rmsnorm_matches_torch(shape, normalized, kw, dtype, device):
    check_layer(
        nn.RMSNorm(normalized, **kw),
        _randomize(torch.nn.RMSNorm(normalized, **kw)),
        [shape],
        dtype=dtype,
        device=device,
    )


def test_norm_layer_errors_and_reprs():
    with pytest.raises(glassnet.ShapeError, match=r"normalized_shape is \[5\].*\(2, 4\)"):
        nn.LayerNorm(5)(glassnet.randn(2, 4))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(glassnet.ShapeError, match=r"\(N, 4, \.\.\.\)"):
        nn.GroupNorm(2, 4)(glassnet.randn(2, 6, 3))
    with pytest.raises(glassnet.DTypeError, match="floating"):
        F.layer_norm(glassnet.tensor([[1, 2]]), 2)
    assert repr(nn.LayerNorm(4)) == repr(torch.nn.LayerNorm(4))
    assert repr(nn.LayerNorm(4, bias=False)) == repr(torch.nn.LayerNorm(4, bias=False))
    assert repr(nn.RMSNorm(4)) == repr(torch.nn.RMSNorm(4))
    assert repr(nn.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]


@pytest.mark.parametrize(
    "layer, torch_layer, shape",
    [
        (
            lambda: nn.BatchNorm2d(3, bias=False),
            lambda: torch.nn.BatchNorm2d(3, bias=False),
            (2, 3, 2, 2),
        ),
        (
            lambda: nn.GroupNorm(2, 4, bias=False),
            lambda: torch.nn.GroupNorm(2, 4, bias=False),
            (2, 4, 3),
        ),
    ],
)
def test_norms_without_bias(layer, torch_layer, shape, device):
    g, t = layer(), torch_layer()
    assert repr(g) == repr(t)
    check_layer(g, _randomize(t), [shape], device=device)


@pytest.mark.parametrize(
    "norm",
    [
        lambda F_, x: F_.layer_norm(x, (4,)),
        lambda F_, x: F_.group_norm(x, 1),
        lambda F_, x: F_.rms_norm(x, (4,), eps=1e-6),
        lambda F_, x: F_.batch_norm(x, None, None, training=True),
    ],
)
def test_inplace_change_of_output_keeps_the_backward_right(norm):
    (a,) = make_inputs([(3, 4)])
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=(3, 4))
    x, tx = glassnet.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = norm(F, x), norm(torch.nn.functional, tx)
    y.mul_(2.0)
    ty.mul_(2.0)
    (y * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("frozen", ["weight", "input"])
def test_layernorm_gradients_when_weight_or_input_is_frozen(frozen, dtype, kernel_path):
    """LayerNorm's backward skips what nobody needs; what it does compute matches PyTorch."""
    (a,) = make_inputs([(5, 3, 8)], dtype=dtype)
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=8).astype(dtype)
    b = np.random.default_rng(3).normal(size=8).astype(dtype)
    out_w = np.random.default_rng(4).normal(size=(5, 3, 8)).astype(dtype)
    grads = []
    # float32: a handful of roundings on values of order 1 (8-element rows, 15-row sums)
    tol = dict(rtol=1e-7, atol=1e-9) if dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    for lib in (glassnet, torch):
        x = lib.tensor(a, requires_grad=frozen != "input")
        weight = lib.tensor(w, requires_grad=frozen != "weight")
        bias = lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.layer_norm(x, (8,), weight, bias)
        (y * lib.tensor(out_w)).sum().backward()
        grads.append([None if t.grad is None else t.grad.numpy() for t in (x, weight, bias)])
    for got, want in zip(*grads):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, **tol)
