"""Linear, Bilinear, Identity, the containers and every activation, module and functional,
against PyTorch (and finite differences for the fused functionals)."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_layer, check_op

import glassnet
import glassnet.nn.functional as F
from glassnet import nn

# ---- Linear / Bilinear ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5), (2, 2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_layer(device, shape, bias):
    check_layer(
        nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias), [shape], device=device
    )


# Batch 1 and a single output make the products outer products (inner dim 1), which take the
# broadcast-multiply path of glassnet.ops._util.outer_aware_matmul instead of GEMM.
@pytest.mark.parametrize("n_in, n_out, shape", [(5, 3, (1, 5)), (5, 1, (4, 5)), (1, 3, (4, 1))])
def test_linear_outer_product_shapes(device, n_in, n_out, shape):
    check_layer(nn.Linear(n_in, n_out), torch.nn.Linear(n_in, n_out), [shape], device=device)


@pytest.mark.parametrize("a_shape, b_shape", [((1, 4), (4, 3)), ((4, 1), (1, 3)), ((4, 3), (3, 1))])
def test_matmul_outer_product_shapes(a_shape, b_shape):
    check_op([a_shape, b_shape], lambda a, b: a @ b, lambda a, b: a @ b)


def test_linear_float32(device):
    check_layer(nn.Linear(6, 4), torch.nn.Linear(6, 4), [(8, 6)], dtype="float32", device=device)


def test_linear_frozen_input_and_weight(device):
    # Gradients nobody needs are skipped; those that are needed must still be right.
    layer, twin = nn.Linear(4, 3), torch.nn.Linear(4, 3).double()
    layer.double().load_state_dict(twin.state_dict())
    layer.to(device).weight.requires_grad_(False)
    twin.weight.requires_grad_(False)
    x = np.random.default_rng(0).normal(size=(6, 4))
    layer(glassnet.tensor(x, device=device)).sum().backward()
    twin(torch.tensor(x)).sum().backward()
    assert layer.weight.grad is None
    assert_close(layer.bias.grad, twin.bias.grad)


def test_functional_linear_and_bilinear():
    check_op([(3, 4), (2, 4), (2,)], F.linear, TF.linear)
    check_op([(3, 4), (2, 4)], F.linear, TF.linear)
    check_op([(2, 3, 4), (5, 4), (5,)], F.linear, TF.linear)
    check_op([(3, 2), (3, 4), (5, 2, 4), (5,)], F.bilinear, TF.bilinear)
    check_op([(2, 3, 2), (2, 3, 4), (5, 2, 4)], F.bilinear, TF.bilinear)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_layer(device, bias):
    check_layer(
        nn.Bilinear(3, 4, 5, bias=bias),
        torch.nn.Bilinear(3, 4, 5, bias=bias),
        [(6, 3), (6, 4)],
        device=device,
    )


def test_identity(device):
    check_layer(nn.Identity(3, foo=1), torch.nn.Identity(3, foo=1), [(2, 3)], device=device)


def test_linear_reprs_match_torch():
    assert repr(nn.Linear(3, 4)) == repr(torch.nn.Linear(3, 4))
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    assert repr(nn.Bilinear(2, 3, 4)) == repr(torch.nn.Bilinear(2, 3, 4))
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


def test_linear_shape_error_message():
    with pytest.raises(glassnet.ShapeError) as info:
        nn.Linear(64, 10)(glassnet.zeros(32, 128))
    assert str(info.value) == (
        "Linear(in_features=64, out_features=10): got input of shape (32, 128); the last "
        "dimension must be 64. Did you mean Linear(128, 10), or is a Flatten/pooling layer "
        "missing before it?"
    )


def test_linear_dtype_error():
    with pytest.raises(glassnet.DTypeError, match="float64"):
        nn.Linear(2, 2)(glassnet.zeros(3, 2, dtype=glassnet.float64))
    with pytest.raises(glassnet.ShapeError, match=r"weight of shape \(3, 5\)"):
        F.linear(glassnet.zeros(2, 4), glassnet.zeros(3, 5))


def test_linear_keeps_float32():
    out = nn.Linear(3, 2)(glassnet.ones(4, 3, requires_grad=True))
    out.sum().backward()
    assert out.dtype == glassnet.float32


# ---- containers -------------------------------------------------------------------------------


def _mlp_pair():
    g = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    return g, t


def test_sequential_layer(device):
    g, t = _mlp_pair()
    check_layer(g, t, [(5, 4)], device=device)


def test_sequential_inference_path_matches_torch(device, monkeypatch):
    # Under no_grad a ReLU after a Linear works in the Linear's new output array; the result
    # must match PyTorch, the input must stay untouched, and a forward hook (which could keep
    # the intermediate output) must see the values the ordinary path gives. The path is taken
    # only while no module in the process has registered a hook, so the test resets that flag.
    monkeypatch.setattr(nn.module, "_hooks_registered", False)
    rng = np.random.default_rng(0)
    t = torch.nn.Sequential(
        torch.nn.Linear(6, 8),
        torch.nn.ReLU(),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3),
        torch.nn.ReLU(),
    )
    g = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.ReLU(), nn.Linear(8, 3), nn.ReLU())
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    g.to(device)
    for shape in [(1, 6), (5, 6), (2, 3, 6), (6,)]:
        x = rng.standard_normal(shape).astype(np.float32)
        gx = glassnet.tensor(x, device=device)
        with glassnet.no_grad():
            out = g(gx)
        with torch.no_grad():
            want = t(torch.from_numpy(x))
        assert_close(out, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(glassnet.tensor(gx).numpy(), x)
    seen = []
    handle = g[0].register_forward_hook(lambda m, i, o: seen.append(o))
    x = glassnet.tensor(rng.standard_normal((4, 6)).astype(np.float32), device=device)
    with glassnet.no_grad():
        g(x)
    handle.remove()
    assert (seen[0].numpy() < 0).any()  # the hooked Linear output kept its negative values

    monkeypatch.setattr(nn.module, "_hooks_registered", False)  # the hook above is removed

    class Doubling(nn.ReLU):  # a subclass that changes forward is not worked in place
        def forward(self, input):
            return input * 2

    g2 = nn.Sequential(g[0], Doubling())
    with glassnet.no_grad():
        assert_close(g2(x), g[0](x) * 2)

    # A forward replaced on the instance may return its input: the ReLU must not write into it.
    passthrough = nn.Linear(6, 6)
    passthrough.forward = lambda tensor: tensor
    kept = x.numpy().copy()
    with glassnet.no_grad():
        assert_close(nn.Sequential(passthrough, nn.ReLU())(x), np.maximum(kept, 0))
    np.testing.assert_array_equal(x.numpy(), kept)


def test_sequential_ordered_dict_and_indexing():
    g = nn.Sequential(
        OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.Tanh()), ("out", nn.Linear(3, 1))])
    )
    t = torch.nn.Sequential(
        OrderedDict(
            [
                ("fc", torch.nn.Linear(2, 3)),
                ("act", torch.nn.Tanh()),
                ("out", torch.nn.Linear(3, 1)),
            ]
        )
    )
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)
    assert g[0] is g.fc and g[-1] is g.out and len(g) == 3
    assert repr(g[1:]) == repr(t[1:])
    assert list(g[1:]._modules) == list(t[1:]._modules) == ["act", "out"]
    assert [type(m).__name__ for m in g] == ["Linear", "Tanh", "Linear"]
    with pytest.raises(IndexError):
        g[3]
    check_layer(g, t, [(4, 2)])


def test_sequential_mutation_matches_torch():
    g, t = _mlp_pair()
    for s in (g, t):
        lib = nn if s is g else torch.nn
        s.append(lib.Sigmoid())
        s.insert(1, lib.Identity())
        s.extend([lib.Tanh()])
        s[0] = lib.Linear(4, 8)
        del s[2]
    assert list(g._modules) == list(t._modules)
    assert [type(m).__name__ for m in g] == ["Linear", "Identity", "Linear", "Sigmoid", "Tanh"]
    assert [type(m).__name__ for m in t] == [type(m).__name__ for m in g]
    assert len(g + nn.Sequential(nn.ReLU())) == 6


def test_module_list_and_dict():
    g = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    t = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    g.append(nn.ReLU())
    t.append(torch.nn.ReLU())
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert len(g) == 4 and g[-1] is g[3] and len(g[1:]) == 3
    g.insert(0, nn.Tanh())
    t.insert(0, torch.nn.Tanh())
    del g[1]
    del t[1]
    assert repr(g) == repr(t)
    gd = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    td = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 3), "b": torch.nn.ReLU()})
    assert repr(gd) == repr(td) and list(gd.state_dict()) == list(td.state_dict())
    assert list(gd) == ["a", "b"] and "a" in gd and len(gd) == 2
    assert type(gd.pop("b")).__name__ == "ReLU" and list(gd.keys()) == ["a"]


@pytest.mark.parametrize(
    "start,end,shape", [(1, -1, (2, 3, 4, 5)), (0, 1, (2, 3, 4)), (2, 3, (2, 3, 4, 5))]
)
def test_flatten(device, start, end, shape):
    check_layer(nn.Flatten(start, end), torch.nn.Flatten(start, end), [shape], device=device)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


def test_unflatten(device):
    check_layer(nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4)), [(2, 12, 5)], device=device)
    check_layer(nn.Unflatten(-1, (2, -1)), torch.nn.Unflatten(-1, (2, -1)), [(3, 8)], device=device)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
    with pytest.raises(glassnet.ShapeError, match="cannot split"):
        nn.Unflatten(1, (3, 5))(glassnet.zeros(2, 12))


# ---- activations ------------------------------------------------------------------------------

ACTIVATIONS = [
    (lambda lib: lib.ReLU(), None),
    (lambda lib: lib.ReLU6(), None),
    (lambda lib: lib.LeakyReLU(), None),
    (lambda lib: lib.LeakyReLU(0.2), None),
    (lambda lib: lib.ELU(), None),
    (lambda lib: lib.ELU(alpha=0.5), None),
    (lambda lib: lib.SELU(), None),
    (lambda lib: lib.GELU(), None),
    (lambda lib: lib.GELU(approximate="tanh"), None),
    (lambda lib: lib.SiLU(), None),
    (lambda lib: lib.Mish(), None),
    (lambda lib: lib.Softplus(), None),
    (lambda lib: lib.Softplus(beta=2.0, threshold=1.5), None),
    (lambda lib: lib.Sigmoid(), None),
    (lambda lib: lib.Tanh(), None),
    (lambda lib: lib.Hardtanh(), None),
    (lambda lib: lib.Hardtanh(-0.5, 1.5), None),
    (lambda lib: lib.Softmax(dim=1), None),
    (lambda lib: lib.LogSoftmax(dim=-1), None),
]


@pytest.mark.parametrize("make", [m for m, _ in ACTIVATIONS], ids=lambda m: repr(m(nn)))
def test_activation_modules(device, make):
    assert repr(make(nn)) == repr(make(torch.nn))
    check_layer(make(nn), make(torch.nn), [(4, 7)], device=device)
    check_layer(make(nn), make(torch.nn), [(4, 7)], dtype="float32", device=device)


def test_activation_inplace_reprs():
    for name in ["ReLU", "ReLU6", "SELU", "SiLU", "Mish", "LeakyReLU", "ELU", "Hardtanh"]:
        assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))


FUNCTIONALS = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {"negative_slope": 0.3}),
    ("elu", {"alpha": 1.5}),
    ("selu", {}),
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("mish", {}),
    ("softplus", {}),
    ("softplus", {"beta": 3.0, "threshold": 2.0}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("hardtanh", {"min_val": -1.5, "max_val": 0.5}),
    ("softmax", {"dim": 0}),
    ("log_softmax", {"dim": 1}),
]


@pytest.mark.parametrize("name,kwargs", FUNCTIONALS, ids=[f"{n}{k}" for n, k in FUNCTIONALS])
def test_activation_functionals(device, name, kwargs):
    check_op(
        [(3, 5)],
        lambda x: getattr(F, name)(x, **kwargs),
        lambda x: getattr(TF, name)(x, **kwargs),
        device=device,
        low=-4.0,
        high=4.0,
    )


def test_activation_extremes_stay_finite():
    x = np.array([-100.0, -30.0, 0.0, 30.0, 100.0], dtype="float32")
    for name in ["silu", "mish", "softplus", "elu", "selu", "gelu", "sigmoid"]:
        out = getattr(F, name)(glassnet.tensor(x))
        assert_close(out, getattr(TF, name)(torch.tensor(x)), "float32", name)


def test_activation_kinks_follow_torch():
    x = np.array([-1.0, 0.0, 1.0, 6.0], dtype="float64")
    for name, kwargs in [("relu6", {}), ("hardtanh", {}), ("leaky_relu", {}), ("elu", {})]:
        g = glassnet.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        getattr(F, name)(g, **kwargs).sum().backward()
        getattr(TF, name)(t, **kwargs).sum().backward()
        assert_close(g.grad, t.grad, what=name)


@pytest.mark.parametrize(
    "name", ["relu", "relu6", "leaky_relu", "elu", "selu", "silu", "mish", "hardtanh"]
)
def test_activation_inplace(name):
    x = np.linspace(-3, 3, 7)
    g, t = glassnet.tensor(x), torch.tensor(x)
    out_g = getattr(F, name)(g, inplace=True)
    getattr(TF, name)(t, inplace=True)
    assert out_g is g
    assert_close(g, t, what=name)
    # Through autograd: an in-place activation on a non-leaf still differentiates correctly.
    a, b = glassnet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (getattr(F, name)(a * 2, inplace=True) * 3).sum().backward()
    (getattr(TF, name)(b * 2, inplace=True) * 3).sum().backward()
    assert_close(a.grad, b.grad, what=name)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(glassnet.zeros(2), approximate="fast")


# ---- distance ---------------------------------------------------------------------------------


def test_distance_functionals(device):
    check_op([(4, 5)], F.normalize, TF.normalize, device=device)
    check_op(
        [(4, 5)],
        lambda x: F.normalize(x, p=1.0, dim=0),
        lambda x: TF.normalize(x, p=1.0, dim=0),
        device=device,
    )
    check_op([(4, 5), (4, 5)], F.cosine_similarity, TF.cosine_similarity, device=device)
    check_op(
        [(4, 5), (1, 5)],
        lambda a, b: F.cosine_similarity(a, b, dim=-1),
        lambda a, b: TF.cosine_similarity(a, b, dim=-1),
        device=device,
    )
    check_op([(4, 5), (4, 5)], F.pairwise_distance, TF.pairwise_distance, device=device)
    check_op(
        [(4, 5), (4, 5)],
        lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
        lambda a, b: TF.pairwise_distance(a, b, p=1.0, keepdim=True),
        device=device,
        finite_diff=False,
    )
    check_op([(5,), (5,)], F.pairwise_distance, TF.pairwise_distance, device=device)


def test_normalize_zero_vector_is_finite():
    x = glassnet.zeros(2, 3, requires_grad=True)
    F.normalize(x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
