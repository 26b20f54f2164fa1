"""Tensor behaviour a PyTorch program relies on: ``.data``, ``__format__``, the device flags and
the exception classes of common mistakes, each checked against PyTorch doing the same."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import DTypeError, ShapeError

LIBS = {"torch": torch, "glassnet": glassnet}


def run_both(scenario):
    """``scenario(lib)`` with torch and glassnet: (torch's result or exception, glassnet's)."""
    out = []
    for lib in (torch, glassnet):
        try:
            out.append(("ok", scenario(lib)))
        except Exception as exc:  # noqa: BLE001 - the exception is the observation
            out.append(("raises", exc))
    return out


def assert_same_as_torch(scenario):
    want, got = run_both(scenario)
    if want[0] == "raises":
        assert got[0] == "raises", f"torch raised {want[1]!r}, glassnet gave {got[1]!r}"
        assert isinstance(got[1], type(want[1])), (got[1], want[1])
    else:
        assert got[0] == "ok", f"glassnet raised {got[1]!r}, torch gave {want[1]!r}"
        assert got[1] == want[1]


# ---- Tensor.data ------------------------------------------------------------------------------
def test_data_is_a_plain_tensor_without_history_sharing_memory():
    def scenario(lib):
        p = lib.nn.Parameter(lib.ones(3))
        d = p.data
        y = p * 2
        yd = y.data
        d.mul_(0.5)  # reaches p
        return (
            type(d) is lib.Tensor,
            d.requires_grad,
            d.grad_fn is None,
            yd.grad_fn is None,
            yd.requires_grad,
            p.tolist(),
            p.requires_grad,
            p.grad_fn is None,
            p.data.numpy().tolist(),  # allowed: .data does not require grad
        )

    assert_same_as_torch(scenario)
    assert run_both(scenario)[1][1][5] == [0.5, 0.5, 0.5]  # and the oracle is the obvious one


def test_manual_sgd_through_data_matches_torch():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2)).astype(np.float64)
    x = rng.standard_normal((5, 3)).astype(np.float64)
    results = []
    for lib in (torch, glassnet):
        w = lib.nn.Parameter(lib.tensor(w0.copy()))
        xs = lib.tensor(x)
        for _ in range(3):
            loss = ((xs @ w).tanh() ** 2).sum()
            loss.backward()
            w.data.add_(w.grad, alpha=-0.1)  # the pre-1.0 update, still in many programs
            w.data.mul_(0.9)  # weight decay by hand
            w.grad = None
        assert w.grad_fn is None and w.requires_grad
        results.append(w.detach().numpy().copy())
    # float64, three steps of a 3-term matmul and tanh: agreement to rounding (1e-15 relative
    # per op, a few dozen ops).
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_init_through_data():
    glassnet.manual_seed(0)
    m = glassnet.nn.Linear(200, 100)
    m.bias.data.fill_(0)
    m.weight.data.normal_(0, 0.02)
    assert m.bias.tolist() == [0.0] * 100
    assert m.weight.grad_fn is None and m.bias.grad_fn is None and m.weight.requires_grad
    w = m.weight.detach().numpy()
    # 20000 normal draws: the sample std has relative std 1/sqrt(2n) = 0.5%, so 5% is over 9
    # sigma; the mean has std 0.02/sqrt(n) = 1.4e-4, so 1e-3 is 7 sigma.
    assert abs(w.std() / 0.02 - 1) < 0.05 and abs(w.mean()) < 1e-3
    a = 0.3
    m.weight.data.uniform_(-a, a)
    w = m.weight.detach().numpy()
    assert w.min() >= -a and w.max() <= a
    # uniform(-a, a): std a/sqrt(3); the mean of 20000 draws has std 1.2e-3, 7 sigma is 8.5e-3.
    assert abs(w.mean()) < 8.5e-3 and w.max() > 0.9 * a and w.min() < -0.9 * a


def test_assigning_data_replaces_the_storage():
    def scenario(lib):
        p = lib.nn.Parameter(lib.zeros(2, 2))
        other = lib.arange(6.0).reshape(2, 3)
        p.data = other
        other[0, 0] = 10.0  # the two now share memory
        return p.tolist(), tuple(p.shape), p.requires_grad, type(p).__name__

    assert_same_as_torch(scenario)


def test_assigning_data_to_a_plain_tensor_may_change_its_dtype():
    def scenario(lib):
        t = lib.zeros(2)
        t.data = lib.tensor([1, 2, 3])
        return t.tolist(), str(t.dtype).split(".")[-1]

    assert_same_as_torch(scenario)


@pytest.mark.parametrize(
    "value",
    [lambda lib: 3, lambda lib: [1.0, 2.0], lambda lib: lib.tensor([1, 2])],
    ids=["int", "list", "int-tensor-into-requires-grad"],
)
def test_assigning_data_refuses_what_torch_refuses(value):
    def scenario(lib):
        p = lib.nn.Parameter(lib.zeros(2))
        p.data = value(lib)

    assert_same_as_torch(scenario)


def test_changes_through_data_are_invisible_to_autograd():
    # PyTorch's documented hazard of .data: no version check, so backward uses the new values.
    def scenario(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (w * w).sum()
        w.data.mul_(3.0)
        y.backward()
        return w.grad.tolist()

    assert_same_as_torch(scenario)
    assert run_both(scenario)[1][1] == [6.0, 12.0]


def test_detach_still_shares_the_version_counter():
    def scenario(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = w.exp()  # exp saves its output, which the in-place change below overwrites
        y.detach().mul_(2)
        y.sum().backward()

    assert_same_as_torch(scenario)


# ---- __format__ -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, spec",
    [
        (lambda lib: lib.tensor(1.23456), ".4f"),
        (lambda lib: lib.tensor(1.23456, dtype=lib.float64), ".3e"),
        (lambda lib: lib.tensor(7), "d"),
        (lambda lib: lib.tensor(7), ">5"),
        (lambda lib: lib.tensor(True), ""),
        (lambda lib: lib.tensor(2.5), ""),
        (lambda lib: lib.tensor(1.5, requires_grad=True) * 2, ".2f"),  # a loss
        (lambda lib: lib.tensor([1.5]), ".2f"),  # one element but 1-d: TypeError
        (lambda lib: lib.tensor([1.0, 2.0]), ".2f"),
        (lambda lib: lib.tensor([1.0, 2.0]), ""),
        (lambda lib: lib.zeros(0), ".1f"),
        (lambda lib: lib.nn.Parameter(lib.tensor(1.0)), ".2f"),  # PyTorch: TypeError
    ],
)
def test_format_matches_torch(make, spec):
    def scenario(lib):
        return format(make(lib), spec).replace("torch", "glassnet")

    assert_same_as_torch(scenario)


def test_fstring_of_a_loss():
    loss = ((glassnet.tensor([1.0, 2.0], requires_grad=True) - 3) ** 2).mean()
    assert f"loss {loss:.4f}" == "loss 2.5000"


# ---- device flags ------------------------------------------------------------------------------
def test_device_flags_on_a_cpu_tensor():
    def scenario(lib):
        t = lib.ones(2)
        return t.is_cuda, t.is_cpu, t.is_mps, t.is_xpu, t.is_meta, t.device.type

    assert_same_as_torch(scenario)


def test_device_flags_follow_the_device(device):
    t = glassnet.ones(2, device=device)
    assert t.is_cuda == (device == "cuda") and t.is_cpu == (device == "cpu")
    assert not t.is_mps and not t.is_xpu


# ---- exception classes -----------------------------------------------------------------------
MISTAKES = {
    "matmul inner sizes": lambda lib: lib.ones(2, 3) @ lib.ones(2, 3),
    "broadcast": lambda lib: lib.ones(2, 3) + lib.ones(4),
    "view to a wrong size": lambda lib: lib.ones(2, 3).view(4),
    "reshape to a wrong size": lambda lib: lib.ones(2, 3).reshape(5),
    "cat of mismatched shapes": lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
    "stack of mismatched shapes": lambda lib: lib.stack([lib.ones(2), lib.ones(3)]),
    "expand a non-1 dim": lambda lib: lib.ones(2, 3).expand(4, 3),
    "permute with too few dims": lambda lib: lib.ones(2, 3).permute(0),
    "matmul of float32 and float64": lambda lib: lib.ones(2, 3) @ lib.ones(3, 2).double(),
    "item of many": lambda lib: lib.ones(2).item(),
    "Linear in_features": lambda lib: lib.nn.Linear(3, 2)(lib.ones(2, 4)),
    "Conv2d in_channels": lambda lib: lib.nn.Conv2d(3, 2, 3)(lib.ones(1, 4, 5, 5)),
    "mse_loss shapes": lambda lib: lib.nn.functional.mse_loss(lib.ones(2, 3), lib.ones(3, 2)),
    "sum over a missing dim": lambda lib: lib.ones(2, 3).sum(5),
    "index out of range": lambda lib: lib.ones(2, 3)[5],
    "embedding id out of range": lambda lib: lib.nn.functional.embedding(
        lib.tensor([7]), lib.ones(3, 2)
    ),
    "int tensor requires grad": lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(),
    "backward of a non-scalar": lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
    "in-place on a leaf": lambda lib: lib.ones(2, requires_grad=True).add_(1),
    "bool of many": lambda lib: bool(lib.ones(2)),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistakes_raise_the_class_torch_raises(name):
    want, got = run_both(MISTAKES[name])
    assert want[0] == "raises" and got[0] == "raises", (want, got)
    assert isinstance(got[1], type(want[1])), f"torch: {want[1]!r}, glassnet: {got[1]!r}"


def test_except_runtime_error_catches_a_matmul_shape_mismatch():
    with pytest.raises(RuntimeError) as info:
        glassnet.ones(2, 3) @ glassnet.ones(2, 3)
    # and it is still glassnet's explanatory error, catchable as ValueError too
    assert isinstance(info.value, ShapeError) and isinstance(info.value, ValueError)
    assert "matmul" in str(info.value) and "2x3" in str(info.value)


def test_error_classes_keep_both_bases():
    assert issubclass(ShapeError, RuntimeError) and issubclass(ShapeError, ValueError)
    assert issubclass(DTypeError, TypeError) and issubclass(DTypeError, RuntimeError)
