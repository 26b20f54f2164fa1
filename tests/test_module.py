"""Module: registration, tree walks, modes, dtype moves, hooks, state dicts and error naming,
each compared with a PyTorch twin built the same way."""

import copy
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_close, numpy_of

import glassnet
from glassnet import nn


def make_net(lib, tensor_fn):
    """The same model in glassnet (lib=nn) or PyTorch (lib=torch.nn)."""

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.Parameter(tensor_fn(np.ones(3)))
            self.fc = lib.Linear(3, 3)
            self.register_buffer("steps", tensor_fn(np.zeros(1)))
            self.register_buffer("cache", tensor_fn(np.zeros(2)), persistent=False)

        def forward(self, x):
            return self.fc(x) * self.scale

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Linear(4, 3)
            self.blocks = lib.ModuleList([Block(), Block()])
            self.head = lib.Sequential(lib.ReLU(), lib.Linear(3, 2, bias=False))
            self.tied = self.embed  # shared module: listed once by named_modules
            self.register_parameter("unused", None)

        def forward(self, x):
            x = self.embed(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    return Net()


def nets():
    return make_net(nn, glassnet.tensor), make_net(torch.nn, torch.tensor)


def test_names_and_order_match_torch():
    g, t = nets()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in g.named_modules(remove_duplicate=False)] == [
        n for n, _ in t.named_modules(remove_duplicate=False)
    ]
    assert [n for n, _ in g.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in g.blocks[0].named_parameters(recurse=False)] == ["scale"]
    assert list(g.state_dict()) == list(t.state_dict())
    assert sum(p.numel() for p in g.parameters()) == sum(p.numel() for p in t.parameters())
    assert g.get_submodule("blocks.1.fc") is g.blocks[1].fc
    assert g.get_parameter("blocks.0.scale") is g.blocks[0].scale


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(glassnet.zeros(2))
    m.child = nn.Linear(2, 2)
    m.register_buffer("b", glassnet.zeros(1))
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"]
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = glassnet.zeros(2)  # a plain tensor cannot replace a parameter (as in PyTorch)
    with pytest.raises(TypeError, match="child module 'child'"):
        m.child = 3
    m.w = None
    assert m.w is None and "w" in m._parameters
    m.b = glassnet.ones(1)
    assert "b" in m._buffers
    with pytest.raises(KeyError):
        m.register_buffer("a.b", glassnet.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("child", nn.Parameter(glassnet.zeros(1)))
    del m.child
    assert "child" not in m._modules

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(glassnet.zeros(1))

    with pytest.raises(AttributeError, match="super"):
        Early()


def test_train_eval_propagate():
    calls = []

    class Custom(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    g = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Custom(), nn.ReLU()))
    g.eval()
    assert not any(m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    assert calls == [False, True]
    with pytest.raises(ValueError):
        g.train("yes")


def test_to_dtype_keeps_parameter_objects():
    g = nn.Sequential(nn.Linear(3, 2))
    g.register_buffer("count", glassnet.zeros(1, dtype=glassnet.int64))
    w = g[0].weight
    g(glassnet.ones(1, 3)).sum().backward()
    g.double()
    assert g[0].weight is w and w.dtype == glassnet.float64 and w.grad.dtype == glassnet.float64
    assert g.count.dtype == glassnet.int64  # only floating tensors are cast
    g.to(glassnet.float32)
    assert w.dtype == glassnet.float32
    with pytest.raises(TypeError):
        g.to(glassnet.int32)


def test_zero_grad_and_freezing():
    g = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    g[0].requires_grad_(False)
    g(glassnet.ones(4, 3)).sum().backward()
    assert g[0].weight.grad is None and g[0].bias.grad is None
    assert g[1].weight.grad is not None
    g.zero_grad(set_to_none=False)
    assert not np.any(g[1].weight.grad.numpy())
    g.zero_grad()
    assert g[1].weight.grad is None
    g.requires_grad_(True)
    assert all(p.requires_grad for p in g.parameters())


def test_apply_visits_children_first():
    order = []
    g = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    g.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Sequential", "Sequential"]

    def init_ones(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)

    g.apply(init_ones)
    assert np.all(g[0].weight.detach().numpy() == 1)


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape) or out + 1)
    out = layer(glassnet.ones(3, 2))
    assert seen == [(3, 2)]
    assert_close(out, layer.bias.detach().numpy()[None].repeat(3, 0) + 1, "float32")
    pre.remove()
    post.remove()
    layer(glassnet.ones(3, 2))
    assert len(seen) == 1


def _backward_hook_records(lib, tensor_fn, x, w_state):
    model = lib.Sequential(lib.Linear(3, 4), lib.Tanh(), lib.Linear(4, 2))
    model.load_state_dict(w_state)
    records = []
    for layer in (model[0], model[2]):
        layer.register_full_backward_hook(
            lambda m, gi, go: records.append(
                (
                    [None if g is None else numpy_of(g).copy() for g in gi],
                    [numpy_of(g).copy() for g in go],
                )
            )
        )
    with warnings.catch_warnings():  # torch warns that the hook fires with no input grads
        warnings.simplefilter("ignore")
        model(x).pow(2).sum().backward()
    return records


@pytest.mark.parametrize("input_grad", [True, False])
def test_full_backward_hook_matches_torch(input_grad):
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    state = t_model.state_dict()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    g_rec = _backward_hook_records(
        nn,
        glassnet.tensor,
        glassnet.tensor(x, requires_grad=input_grad),
        {k: v.numpy() for k, v in state.items()},
    )
    t_rec = _backward_hook_records(
        torch.nn, torch.tensor, torch.tensor(x, requires_grad=input_grad), state
    )
    assert len(g_rec) == len(t_rec) == 2
    for (g_in, g_out), (t_in, t_out) in zip(g_rec, t_rec):
        assert len(g_in) == len(t_in) and len(g_out) == len(t_out)
        for a, b in zip(g_in + g_out, t_in + t_out):
            assert (a is None) == (b is None)
            if a is not None:
                assert_close(a, b, "float32")


def test_full_backward_hook_can_replace_grad_input():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = glassnet.ones(3, 2, requires_grad=True)
    layer(x).sum().backward()
    assert not np.any(x.grad.numpy())


def test_state_dict_round_trip_with_torch():
    torch.manual_seed(0)
    t = torch.nn.Sequential(
        torch.nn.Linear(5, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 3),
    )
    g = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    result = g.load_state_dict(t.state_dict())  # torch tensors are read through NumPy
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(1).normal(size=(7, 5)).astype("float32")
    assert_close(g(glassnet.tensor(x)), t(torch.tensor(x)), "float32")
    # and back: glassnet weights, changed, as NumPy into torch
    glassnet.manual_seed(3)
    g2 = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g2.state_dict().items()})
    assert_close(g2(glassnet.tensor(x)), t(torch.tensor(x)), "float32")


def test_load_state_dict_lists_every_problem():
    g = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    state = {k: v.numpy().copy() for k, v in g.state_dict().items()}
    del state["0.bias"]
    del state["2.weight"]
    state["3.weight"] = np.zeros(1)
    state["extra"] = np.zeros(1)
    state["2.bias"] = np.zeros(5, dtype="float32")
    with pytest.raises(RuntimeError) as info:
        g.load_state_dict(state)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    for key in ['"0.bias"', '"2.weight"', '"3.weight"', '"extra"']:
        assert key in msg
    assert msg.index("Missing") < msg.index("Unexpected") < msg.index("size mismatch for 2.bias")
    # torch lists the same keys
    t = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    with pytest.raises(RuntimeError) as t_info:
        t.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    first_lines = [line.split(":")[0] for line in str(t_info.value).split("\n")]
    assert first_lines == [line.split(":")[0] for line in msg.split("\n")]
    # strict=False loads what fits and reports the rest (shape mismatches still raise)
    del state["2.bias"]
    res = g.load_state_dict(state, strict=False)
    assert sorted(res.missing_keys) == ["0.bias", "2.bias", "2.weight"]
    assert sorted(res.unexpected_keys) == ["3.weight", "extra"]


def test_repr_matches_torch():
    g = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    assert repr(g) == repr(t)
    gn, tn = nets()
    assert repr(gn).replace("make_net.<locals>.", "") == repr(tn)


def test_layer_path_in_error():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Linear(64, 10))
    model[2] = nn.Linear(64, 10)
    bad = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(64, 10))
    with pytest.raises(glassnet.ShapeError) as info:
        bad(glassnet.zeros(32, 784))
    assert str(info.value) == (
        "model.2 (Linear(in_features=64, out_features=10)): got input of shape (32, 128); the "
        "last dimension must be 64. Did you mean Linear(128, 10), or is a Flatten/pooling layer "
        "missing before it?"
    )
    outer = nn.Sequential(nn.Identity(), nn.Sequential(nn.Linear(3, 3), nn.Linear(4, 1)))
    with pytest.raises(ValueError, match=r"^model\.1\.1 \(Linear\(in_features=4, out_features=1"):
        outer(glassnet.zeros(2, 3))
    # The same model works again afterwards (the nesting depth was restored).
    assert model(glassnet.zeros(2, 28, 28)).shape == (2, 10)


def test_deepcopy_is_independent():
    g = nn.Sequential(nn.Linear(2, 2))
    clone = copy.deepcopy(g)
    assert clone[0].weight is not g[0].weight
    assert_close(clone[0].weight, g[0].weight, "float32")
    with glassnet.no_grad():
        nn.init.zeros_(clone[0].weight)
    assert np.any(g[0].weight.detach().numpy())
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad


def test_parameter_basics():
    p = nn.Parameter(glassnet.ones(2))
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(glassnet.ones(2), requires_grad=False).requires_grad
