"""The autograd engine: accumulation, retain_graph, hooks, autograd.grad, grad modes, in-place
semantics, broadcasting, deep graphs and devices, with PyTorch as the oracle."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet import autograd
from glassnet.autograd import Function
from glassnet.errors import AutogradError, DeviceError, ShapeError


def both(fn, *arrays, requires_grad=True):
    """Run ``fn(lib, *leaves)`` in glassnet and in torch on the same float64 data; return the
    leaves of each (after ``fn`` ran) and the outputs."""
    results = []
    for lib in (glassnet, torch):
        leaves = [
            lib.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad) for a in arrays
        ]
        results.append((leaves, fn(lib, *leaves)))
    return results


def grads_match(fn, *arrays):
    """Backpropagate ``fn`` (which returns a scalar) in both libraries; compare leaf grads."""
    (g_leaves, g_out), (t_leaves, t_out) = both(fn, *arrays)
    g_out.backward()
    t_out.backward()
    for g, t in zip(g_leaves, t_leaves):
        assert g.grad is not None and g.grad.dtype == glassnet.float64
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- accumulation, retain_graph, gradient= -------------------------------------------------
def test_leaf_grads_accumulate_across_backwards():
    def run(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        (x * 3.0).sum().backward()
        return x.grad.tolist()

    assert run(glassnet) == run(torch) == [5.0, -1.0, 9.0]


def test_retain_graph_allows_a_second_backward():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_second_backward_through_freed_graph_raises():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="backward through the graph a second time") as e:
        y.backward()
    assert "retain_graph=True" in str(e.value)


def test_backward_on_non_scalar_needs_gradient():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"only for scalar outputs.*shape \(2,\)"):
        (x * 2).backward()


def test_gradient_argument():
    w = np.array([0.5, -1.0, 2.0])
    (g_leaves, g_out), (t_leaves, t_out) = both(lambda lib, x: x * x, [1.0, 2.0, 3.0])
    g_out.backward(gradient=glassnet.tensor(w))
    t_out.backward(gradient=torch.tensor(w))
    assert g_leaves[0].grad.tolist() == t_leaves[0].grad.tolist()
    with pytest.raises(AutogradError, match=r"gradient of shape \(2,\)"):
        (g_leaves[0] * 2).backward(gradient=glassnet.ones(2, dtype=glassnet.float64))


def test_grad_does_not_alias_the_gradient_passed_in_or_other_leaves():
    a = glassnet.tensor([1.0, 2.0], requires_grad=True)
    b = glassnet.tensor([3.0, 4.0], requires_grad=True)
    seed = glassnet.ones(2)
    (a + b).backward(gradient=seed)
    a.grad.data[0] = 10.0
    assert b.grad.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]


def test_backward_without_graph_raises():
    with pytest.raises(AutogradError, match="does not require grad"):
        glassnet.tensor([1.0]).sum().backward()


def test_backward_inputs_limits_accumulation():
    a = glassnet.tensor([1.0], requires_grad=True)
    b = glassnet.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


# ---- grad modes ----------------------------------------------------------------------------
def test_no_grad_enable_grad_nesting_and_exceptions():
    x = glassnet.ones(2, requires_grad=True)
    with glassnet.no_grad():
        assert not glassnet.is_grad_enabled() and not (x * 2).requires_grad
        with glassnet.enable_grad():
            assert glassnet.is_grad_enabled() and (x * 2).requires_grad
        assert not glassnet.is_grad_enabled()
    assert glassnet.is_grad_enabled()
    with pytest.raises(ValueError):
        with glassnet.no_grad():
            raise ValueError("boom")
    assert glassnet.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = glassnet.ones(2, requires_grad=True)

    @glassnet.no_grad()
    def frozen(t):
        return t * 2

    @glassnet.enable_grad()
    def tracked(t):
        return t * 2

    @glassnet.set_grad_enabled(False)
    def frozen_too(t):
        return t * 2

    @glassnet.no_grad()
    def fails():
        raise KeyError("x")

    assert glassnet.is_grad_enabled()  # decorating changes nothing by itself
    assert not frozen(x).requires_grad and not frozen_too(x).requires_grad
    with glassnet.no_grad():
        assert tracked(x).requires_grad
        assert not glassnet.is_grad_enabled()
    with pytest.raises(KeyError):
        fails()
    assert glassnet.is_grad_enabled()
    assert frozen.__name__ == "frozen"


def test_set_grad_enabled_as_call_and_context():
    with glassnet.set_grad_enabled(False):
        assert not glassnet.is_grad_enabled()
        with glassnet.set_grad_enabled(True):
            assert glassnet.is_grad_enabled()
        assert not glassnet.is_grad_enabled()
    assert glassnet.is_grad_enabled()
    glassnet.set_grad_enabled(False)
    try:
        assert not glassnet.is_grad_enabled()
    finally:
        glassnet.set_grad_enabled(True)
    assert glassnet.is_grad_enabled()
    assert autograd.no_grad is glassnet.no_grad


# ---- hooks and retain_grad -----------------------------------------------------------------
def test_hook_on_leaf_can_change_the_grad():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.tolist()))
        x.register_hook(lambda g: g * 10)
        (x * x).sum().backward()
        return x.grad.tolist(), seen

    assert run(glassnet) == run(torch) == ([20.0, 40.0], [[2.0, 4.0]])


def test_hook_on_non_leaf_and_removal():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 3)
        handle = y.register_hook(lambda g: g + 100)
        handle.remove()
        (y * y).sum().backward()
        return x.grad.tolist()

    assert run(glassnet) == run(torch) == [24.0, 48.0]
    with pytest.raises(AutogradError, match="doesn't require gradient"):
        glassnet.ones(1).register_hook(lambda g: g)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_retain_grad():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = x * 3
        y.retain_grad()
        (y * y + z).sum().backward()
        return y.grad.tolist(), z.grad, y.retains_grad, x.grad.tolist()

    assert run(glassnet) == run(torch) == ([4.0, 8.0], None, True, [11.0, 19.0])


def test_retained_grad_does_not_alias_leaf_grad():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    y.retain_grad()
    y.sum().backward()
    x.grad.data[0] = 7.0
    assert y.grad.tolist() == [1.0, 1.0]


# ---- autograd.grad -------------------------------------------------------------------------
def test_autograd_grad_with_grad_outputs_and_non_leaf_inputs():
    w = np.array([1.0, -1.0])
    out = []
    for lib in (glassnet, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        h = x * x
        y = h * 3
        gx, gh = lib.autograd.grad(y, [x, h], grad_outputs=lib.tensor(w), retain_graph=True)
        (gx2,) = lib.autograd.grad(y.sum(), x)
        out.append((gx.tolist(), gh.tolist(), gx2.tolist(), x.grad))
    assert out[0] == out[1]


def test_autograd_grad_allow_unused_and_errors():
    x = glassnet.tensor([1.0], requires_grad=True)
    unused = glassnet.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(AutogradError, match="allow_unused=True"):
        glassnet.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = glassnet.autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None
    with pytest.raises(AutogradError, match="does not require grad"):
        glassnet.autograd.grad((x * 2).sum(), glassnet.ones(1))
    with pytest.raises(AutogradError, match="second time"):
        glassnet.autograd.grad(y, x)  # the graph was freed (no retain_graph above)


# ---- deep graphs ---------------------------------------------------------------------------
def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = glassnet.tensor(1.0, dtype=glassnet.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    expected = 1.00001**100_000
    assert abs(y.item() - expected) < 1e-8 and abs(x.grad.item() - expected) < 1e-8
    del y  # freeing a very deep graph must not overflow the C stack either


# ---- in-place ------------------------------------------------------------------------------
def test_inplace_on_leaf_requiring_grad_raises():
    x = glassnet.ones(2, requires_grad=True)
    with pytest.raises(AutogradError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(AutogradError, match="no_grad"):
        x *= 2


def test_inplace_under_no_grad_updates_like_an_optimizer():
    p = glassnet.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    with glassnet.no_grad():
        p -= 0.5 * p.grad
        p.sub_(glassnet.tensor([0.5, 0.5]))
    assert p.tolist() == [-0.5, -0.5] and p.requires_grad and p.is_leaf and p.grad_fn is None
    p.grad = None
    (p * 3).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0]


def test_inplace_on_a_tensor_saved_for_backward_raises_at_backward():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        b.sum().backward()
    # a leaf changed under no_grad after use is caught too, as in PyTorch
    y = (x * x).sum()
    with glassnet.no_grad():
        x.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()
    # a detached tensor shares the version counter, so this is caught as well (as in PyTorch)
    y = x * x
    y.mul_(y.detach())
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_where_saved_values_are_not_needed_is_fine():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a + 1  # add does not save its inputs
    a.mul_(5)
    b.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: (lambda y: (y.add_(1), y.mul_(3), y)[-1])(x * 2).sum(),
        lambda lib, x: (lambda y: (y.mul_(x), y)[-1])(x * x).sum(),
        lambda lib, x: (lambda y: (y.sub_(x), y.div_(2.0), y)[-1])(x * x).sum(),
        lambda lib, x: (lambda y: (y.pow_(2), y)[-1])(x + 1).sum(),
    ],
)
def test_differentiable_inplace_on_non_leaf_matches_torch(fn):
    grads_match(fn, [1.0, -2.0, 0.5])


def test_inplace_into_a_plain_tensor_from_one_requiring_grad():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        buf = lib.zeros(2)
        buf.add_(x * 3)
        buf.sum().backward()
        return buf.requires_grad, buf.is_leaf, x.grad.tolist()

    assert run(glassnet) == run(torch) == (True, False, [3.0, 3.0])


# ---- broadcasting, dtypes, integer results -------------------------------------------------
@pytest.mark.parametrize(
    "fn,shapes",
    [
        (lambda lib, a, b, c: (a * b + c).sum(), [(3, 1), (1, 4), (4,)]),
        (lambda lib, a, b, c: (a - b * c).sum(), [(2, 3, 4), (4,), (3, 1)]),
        (lambda lib, a, b, c: (a * b / c).sum(), [(), (5,), (2, 1)]),
        (lambda lib, a, b, c: ((a + b) * (a + c)).sum(), [(2, 2), (2, 1), (1, 2)]),
    ],
)
def test_broadcasting_gradients_sum_back_to_input_shapes(fn, shapes):
    rng = np.random.default_rng(0)
    grads_match(fn, *[rng.uniform(0.5, 2.0, size=s) for s in shapes])


def test_shared_subexpressions_sum_their_gradients():
    grads_match(lambda lib, x: (lambda y: (y * y + y * 3 + y).sum())(x * 2), [1.0, 2.0])


def test_gradient_dtype_follows_the_leaf():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * glassnet.tensor([1.0, 2.0], dtype=glassnet.float64)).sum().backward()
    assert x.grad.dtype == glassnet.float32 and x.grad.tolist() == [1.0, 2.0]


def test_integer_results_do_not_require_grad():
    x = glassnet.tensor([1.0, -2.0], requires_grad=True)
    assert not x.long().requires_grad
    assert not (x > 0).requires_grad
    assert not (x.long() * 2).requires_grad


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(AutogradError, match="floating point"):
        glassnet.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):  # AutogradError is a RuntimeError, as in PyTorch
        glassnet.zeros(2, dtype=glassnet.int32, requires_grad=True)


def test_detach_blocks_the_gradient():
    grads_match(lambda lib, x: (x * x.detach()).sum(), [1.0, 3.0])


# ---- custom Functions ----------------------------------------------------------------------
class _Square(Function):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return (2 * self.a * grad,)


class _ScaleBy(Function):
    saves_inputs = False

    def forward(self, a, k):
        self.k = k
        return a * k

    def backward(self, grad):
        return grad * self.k, None


def test_custom_function_and_its_node():
    x = glassnet.tensor([3.0], requires_grad=True)
    y = _ScaleBy.apply(_Square.apply(x), 2.0)
    assert y.grad_fn.name() == "_ScaleByBackward0" and "_ScaleByBackward0" in repr(y)
    assert y.grad_fn.next_functions[0].name() == "_SquareBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [12.0]


# ---- devices -------------------------------------------------------------------------------
@pytest.mark.skipif(glassnet.cuda_available(), reason="checks the message when CuPy is missing")
def test_cuda_without_cupy_raises_a_clear_device_error():
    for make in (
        lambda: glassnet.zeros(2, device="cuda"),
        lambda: glassnet.tensor([1.0]).to("cuda"),
        lambda: glassnet.tensor([1.0]).cuda(),
    ):
        with pytest.raises(DeviceError, match="device 'cuda' is not available.*CuPy"):
            make()
    with pytest.raises(DeviceError, match="unknown device"):
        glassnet.zeros(2, device="tpu")


@pytest.mark.skipif(not glassnet.cuda_available(), reason="needs CuPy and an NVIDIA GPU")
def test_mixing_devices_names_both():
    a = glassnet.ones(2, device="cuda", requires_grad=True)
    b = glassnet.ones(2)
    with pytest.raises(DeviceError, match="same device.*cuda and cpu"):
        a * b
    (a.cpu() * b).sum().backward()  # moving is differentiable
    assert a.grad.device == "cuda" and a.grad.tolist() == [1.0, 1.0]


# ---- the in-place fast path (Tensor._inplace with a ufunc hint) ----------------------------
@pytest.mark.parametrize(
    "op,ufunc,other",
    [
        (glassnet.sub, "subtract", lambda: glassnet.tensor([[0.5, 1.0, 2.0]])),
        (glassnet.add, "add", lambda: glassnet.tensor([[1.0], [2.0]])),
        (glassnet.mul, "multiply", lambda: 0.5),
        (glassnet.div, "true_divide", lambda: glassnet.full((2, 3), 4.0)),
        (glassnet.add, "add", lambda: glassnet.ones(2, 3, dtype=glassnet.float64)),  # promotes
        (glassnet.mul, "multiply", lambda: 3),  # a Python int takes the general path
    ],
)
def test_inplace_ufunc_fast_path_matches_the_general_path(op, ufunc, other, device):
    base = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    fast = glassnet.tensor(base, device=device, requires_grad=True)
    slow = glassnet.tensor(base, device=device)
    view = fast.detach()
    o = other()
    o = o.to(device) if isinstance(o, glassnet.Tensor) else o
    with glassnet.no_grad():
        assert fast._inplace(op, o, ufunc=ufunc) is fast
    slow._inplace(op, o)
    assert fast.dtype == glassnet.float32 and fast.tolist() == slow.tolist()
    assert view.tolist() == slow.tolist() and fast._version[0] == 1 and fast.grad_fn is None


def test_inplace_ufunc_fast_path_keeps_the_errors():
    x = glassnet.zeros(3)
    with pytest.raises(ShapeError, match=r"shape \(2, 3\) cannot be written"):
        x._inplace(glassnet.add, glassnet.ones(2, 3), ufunc="add")
    with pytest.raises(ShapeError):
        glassnet.zeros(1, 3)._inplace(glassnet.add, glassnet.ones(2, 3), ufunc="add")
    with pytest.raises(AutogradError, match="leaf Variable"):
        glassnet.zeros(3, requires_grad=True)._inplace(glassnet.add, 1.0, ufunc="add")
    n = glassnet.tensor([1, 2])
    n._inplace(glassnet.mul, glassnet.tensor([2, 2]), ufunc="multiply")  # ints: general path
    assert n.tolist() == [2, 4]


def test_in_place_change_of_a_saved_output_raises_at_backward():
    # exp's backward reads its own output, so changing that output in place must be caught
    # (PyTorch raises too); add's backward reads nothing, so the same change is fine there.
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.mul_(2)
    with pytest.raises(glassnet.AutogradError, match="modified by an inplace operation"):
        (y * 1).sum().backward()
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1
    y.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize(
    "fn",
    [
        # a chain of non-leaf nodes, each feeding one node (the engine's heap-free path)
        lambda lib, x, w: (((x * 2.0 + 1.0) * w).tanh() ** 2).sum(),
        # a non-leaf node feeding the same node twice (y * y), then a chain again
        lambda lib, x, w: ((x * w) * (x * w) - 3.0).sum(),
        # a diamond: y feeds two nodes that meet again, then a chain below it
        lambda lib, x, w: (((x + w) * 2.0).tanh() + (x + w) ** 2).mean() * 3.0,
        # a chain that ends in a node whose both inputs are non-leaves
        lambda lib, x, w: ((x * 2.0) @ (w * 3.0).reshape(3, 1)).sum(),
    ],
)
def test_engine_chains_and_branches_match_torch(fn):
    grads_match(fn, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [0.3, -0.2, 0.9])


def test_fast_arithmetic_paths_record_versions():
    # x * c and x * y save their inputs: in-place changes after them must still raise
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = y * x
    y.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        z.sum().backward()
    a = x * 1.0
    b = a * 3.0
    a.mul_(2)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        b.sum().backward()
