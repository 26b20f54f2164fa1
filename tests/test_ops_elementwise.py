"""Arithmetic and elementwise ops against PyTorch: forward, gradients (float64 and float32) and
finite differences, with scalars on both sides, broadcasting and PyTorch's dtype promotion."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of

# name, function (the same code runs on glassnet and torch tensors), check_op options
UNARY = [
    ("exp", lambda x: x.exp(), {}),
    ("exp2", lambda x: x.exp2(), {}),
    ("expm1", lambda x: x.expm1(), {}),
    ("log", lambda x: x.log(), {"positive": True}),
    ("log2", lambda x: x.log2(), {"positive": True}),
    ("log10", lambda x: x.log10(), {"positive": True}),
    ("log1p", lambda x: x.log1p(), {"positive": True}),
    ("sqrt", lambda x: x.sqrt(), {"positive": True}),
    ("rsqrt", lambda x: x.rsqrt(), {"positive": True}),
    ("square", lambda x: x.square(), {}),
    ("reciprocal", lambda x: x.reciprocal(), {"positive": True}),
    ("abs", lambda x: x.abs(), {}),
    ("abs_op", lambda x: abs(x), {}),
    ("sin", lambda x: x.sin(), {}),
    ("cos", lambda x: x.cos(), {}),
    ("tan", lambda x: x.tan(), {"low": -1.0, "high": 1.0}),
    ("tanh", lambda x: x.tanh(), {}),
    ("sigmoid", lambda x: x.sigmoid(), {"low": -30.0, "high": 30.0}),
    ("relu", lambda x: x.relu(), {}),
    ("erf", lambda x: x.erf(), {}),
    ("floor", lambda x: x.floor(), {}),
    ("ceil", lambda x: x.ceil(), {}),
    ("trunc", lambda x: x.trunc(), {}),
    ("sign", lambda x: x.sign(), {}),
    ("round", lambda x: x.round(), {}),
    ("round_decimals", lambda x: x.round(decimals=1), {}),
    ("neg", lambda x: -x, {}),
    ("pos", lambda x: +x, {}),
    ("clamp", lambda x: x.clamp(-0.5, 0.7), {}),
    ("clamp_min", lambda x: x.clamp(min=-0.5), {}),
    ("clamp_max", lambda x: x.clamp(max=0.3), {}),
    ("clip", lambda x: x.clip(-1, 1), {}),
    # scalars on either side of every operator
    ("scalar_add", lambda x: x + 2.5, {}),
    ("scalar_radd", lambda x: 2.5 + x, {}),
    ("scalar_sub", lambda x: x - 2, {}),
    ("scalar_rsub", lambda x: 2 - x, {}),
    ("scalar_mul", lambda x: x * 3, {}),
    ("scalar_rmul", lambda x: 0.5 * x, {}),
    ("scalar_div", lambda x: x / 4, {}),
    ("scalar_rdiv", lambda x: 2 / x, {"positive": True}),
    ("scalar_pow", lambda x: x**2, {}),
    ("scalar_pow_frac", lambda x: x**0.5, {"positive": True}),
    ("scalar_pow_neg", lambda x: x**-1.5, {"positive": True}),
    ("scalar_pow_zero", lambda x: x**0, {}),
    ("scalar_rpow", lambda x: 2**x, {}),
    ("scalar_floordiv", lambda x: x // 0.7, {"grad": False}),
    ("scalar_rfloordiv", lambda x: 3 // x, {"positive": True, "grad": False}),
    ("scalar_mod", lambda x: x % 0.7, {}),
    ("scalar_rmod", lambda x: 3 % x, {"positive": True, "grad": False}),
    ("scalar_maximum", lambda x: x.maximum(x.sum() * 0 + 0.5), {}),
]


@pytest.mark.parametrize("name,fn,options", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, fn, options, device):
    check_op([(3, 4)], fn, device=device, **options)


@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 1, 3)])
def test_unary_shapes(shape, device):
    check_op([shape], lambda x: x.tanh() * x.exp(), device=device)


BINARY = [
    ("add", lambda a, b: a + b, {}),
    ("add_alpha", lambda a, b: a.add(b, alpha=2), {}),
    ("sub", lambda a, b: a - b, {}),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=0.5), {}),
    ("mul", lambda a, b: a * b, {}),
    ("div", lambda a, b: a / b, {"positive": True}),
    ("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), {"positive": True}),
    ("div_trunc", lambda a, b: (a - 1).div(b, rounding_mode="trunc"), {"positive": True}),
    ("floor_divide", lambda a, b: (a - 1) // b, {"positive": True, "grad": False}),
    ("remainder", lambda a, b: (a - 1.25) % b, {"positive": True}),
    ("pow", lambda a, b: a**b, {"positive": True}),
    ("maximum", lambda a, b: a.maximum(b), {}),
    ("minimum", lambda a, b: a.minimum(b), {}),
    ("clamp_tensor_min", lambda a, b: a.clamp(min=b), {}),
    ("clamp_tensor_max", lambda a, b: a.clamp(max=b), {}),
]
SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 1, 3), (4, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,options", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcasting(name, fn, options, shapes, device):
    check_op(list(shapes), fn, device=device, **options)


def test_clamp_tensor_both_bounds(device):
    x = np.random.default_rng(0).uniform(-2, 2, (3, 4))
    lo = np.array([-1.0, -0.5, 0.0, -3.0])
    hi = np.array([[1.0], [0.5], [2.0]])
    check_op(None, lambda x, lo, hi: x.clamp(lo, hi), inputs=[x, lo, hi], device=device)


def test_clamp_bounds_pass_gradient(device):
    # The gradient passes where low <= x <= high, bounds included (PyTorch's rule).
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    check_op(None, lambda x: x.clamp(-0.5, 0.5), inputs=[x], device=device, finite_diff=False)
    lo, hi = np.array([-0.5, -0.5, -0.5, -0.5, 2.0]), np.array([0.5, 0.5, 0.5, 0.5, 1.0])
    check_op(
        None,
        lambda x, lo, hi: x.clamp(lo, hi),
        inputs=[x, lo, hi],
        device=device,
        finite_diff=False,
    )


def test_maximum_minimum_ties_split_gradient(device):
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    check_op(None, lambda a, b: a.maximum(b), inputs=[a, b], device=device)
    check_op(None, lambda a, b: a.minimum(b), inputs=[a, b], device=device)


def test_pow_tensor_exponent_edge_cases(device):
    # PyTorch's conventions: d/da is 0 where b == 0; d/db is 0 where a == 0 and b >= 0.
    a = np.array([-2.0, 0.0, 0.0, 2.0, 1.5])
    b = np.array([2.0, 0.0, 2.0, 0.0, -1.0])
    check_op(None, lambda a, b: a**b, inputs=[a, b], device=device, finite_diff=False)


def test_scalar_pow_tensor_and_rsub(device):
    check_op([(2, 3)], lambda x: glassnet.pow(2.0, x), lambda x: torch.pow(2.0, x), device=device)
    check_op(
        [(2, 3)],
        lambda x: glassnet.rsub(x, 3.0, alpha=2),
        lambda x: torch.rsub(x, 3.0, alpha=2),
        device=device,
    )


def test_where(device):
    rng = np.random.default_rng(0)
    cond = rng.uniform(size=(3, 4)) > 0.5
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    check_op(
        None,
        lambda c, a, b: (glassnet if isinstance(a, glassnet.Tensor) else torch).where(c, a, b),
        inputs=[cond, a, b],
        device=device,
    )
    check_op(
        None,
        lambda c, a: (glassnet if isinstance(a, glassnet.Tensor) else torch).where(c, a, 0.0),
        inputs=[cond[:, :1], a],
        device=device,
    )
    check_op(None, lambda c, a: a.where(c, -a), inputs=[cond, a], device=device)


# Each builds the same expression from glassnet or torch (m) and a tensor maker (t).
PROMOTION = [
    lambda m, t: t([1, 2]) + 0.5,
    lambda m, t: 0.5 * t([1, 2]),
    lambda m, t: t([1, 2]) * 2,
    lambda m, t: t([1, 2], dtype=m.int32) + t([1, 2]),
    lambda m, t: t([1, 2], dtype=m.int32) + 7,
    lambda m, t: t([1, 2]) + t([1.0, 2.0]),
    lambda m, t: t([1.0], dtype=m.float64) + t([1.0]),
    lambda m, t: t(2.0, dtype=m.float64) * t([1.0, 2.0]),
    lambda m, t: t([1.5, 2.0]) * t(2),
    lambda m, t: t([1, 2]) / 2,
    lambda m, t: t([1, 2]) / t([2, 4]),
    lambda m, t: 3 / t([1, 2]),
    lambda m, t: t([True, False]) + 1,
    lambda m, t: t([True, False]) * t([True, True]),
    lambda m, t: t([1, 2], dtype=m.uint8) + t([1, 2], dtype=m.int8),
    lambda m, t: t([1.0, 2.0], dtype=m.float16) + 1.5,
    lambda m, t: t([7, -7, 6, -6]) // 4,
    lambda m, t: t([7, -7, 6, -6]) % 4,
    lambda m, t: 7 % t([3, -3]),
    lambda m, t: t([7, -7, 6, -6]).div(4, rounding_mode="trunc"),
    lambda m, t: t([7, -7, 6, -6]).div(t([4, 4, -4, 5]), rounding_mode="floor"),
    lambda m, t: t([7.0, -7.0, 1.0]).div(0.1, rounding_mode="floor"),
    lambda m, t: t([7.5, -7.5, 1.0]) % 2.0,
    lambda m, t: t([1, 2]) ** 2,
    lambda m, t: 2 ** t([1, 2]),
    lambda m, t: t([1, 2]) ** 0.5,
    lambda m, t: t([1, 2]) ** t([2.0, 0.5]),
    lambda m, t: t([-3, 2, 5]).clamp(min=0),
    lambda m, t: t([-3, 2, 5]).clamp(min=0.5),
    lambda m, t: t([1, 5]).maximum(t([3.0, 2.0])),
    lambda m, t: t([1, 5]).minimum(t([3, 2])),
    lambda m, t: m.where(t([True, False]), t([1, 2]), 0.5),
    lambda m, t: m.where(t([True, False]), t([1, 2]), t([3, 4])),
    lambda m, t: t([1, 2]).exp(),
    lambda m, t: t([1, 4]).sqrt(),
    lambda m, t: t([-1, 2]).abs(),
    lambda m, t: t([-1, 2]).relu(),
    lambda m, t: t([1, 2], dtype=m.int32).floor(),
    lambda m, t: t([-3, 0, 2]).sign(),
    lambda m, t: t([1.5, 2.5, -0.5]).round(),
    lambda m, t: t([0.125, 1.375]).round(decimals=2),
    lambda m, t: -t([1, 2]),
    lambda m, t: t([1, 2]).square(),
]


@pytest.mark.parametrize("expr", PROMOTION, ids=range(len(PROMOTION)))
def test_dtype_promotion_like_torch(expr, device):
    got = expr(glassnet, lambda *a, **k: glassnet.tensor(*a, device=device, **k))
    want = expr(torch, torch.tensor)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    np.testing.assert_allclose(numpy_of(got).astype(float), want.numpy().astype(float), rtol=1e-6)


def test_float32_stays_float32(device):
    x = glassnet.randn(3, 4, device=device, requires_grad=True)
    y = ((x * 0.5 + 1.5) ** 2 / 3.0 - x.exp() * 2).clamp(-1.0, 1.0).maximum(x * 0.1)
    assert y.dtype == glassnet.float32
    y.sum().backward()
    assert x.grad.dtype == glassnet.float32


def test_inplace_methods(device):
    x = glassnet.tensor([1.0, 4.0], device=device)
    x.sqrt_().add_(1).mul_(2)
    np.testing.assert_allclose(numpy_of(x), [4.0, 6.0])
    w = glassnet.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = w * 1
    y.exp_()
    y.clamp_(max=1.0)
    y.sum().backward()
    np.testing.assert_allclose(numpy_of(w.grad), [0.0, np.exp(-1.0)], rtol=1e-6)
    with pytest.raises(glassnet.AutogradError):
        w.exp_()


def test_integer_errors_like_torch(device):
    t = glassnet.tensor([4, 5], device=device)
    with pytest.raises(ZeroDivisionError):
        t // glassnet.tensor([1, 0], device=device)
    with pytest.raises(ZeroDivisionError):
        t % 0
    with pytest.raises(RuntimeError, match="negative integer"):
        t**-1
    with pytest.raises(ValueError, match="rounding_mode"):
        t.div(2, rounding_mode="round")
    with pytest.raises(ValueError, match="at least one"):
        glassnet.tensor([1.0]).clamp()


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "pow", "where"])
def test_broadcast_error_names_op_and_shapes(op, device):
    a = glassnet.ones(3, 4, device=device)
    b = glassnet.ones(5, device=device)
    with pytest.raises(glassnet.ShapeError, match=rf"{op}: shapes \(3, 4\) and \(5,\)"):
        if op == "where":
            glassnet.where(a > 0, a, b)
        else:
            getattr(glassnet, op)(a, b)


def test_unsupported_operand_type(device):
    with pytest.raises(TypeError, match="unsupported operand"):
        glassnet.ones(2, device=device) + "a"


def _wide_float32():
    """float32 points over [-12, 12] (erf's tails included), plus zeros, tiny values and the
    clamping edges of the rational erf."""
    grid = np.linspace(-12, 12, 200_001, dtype=np.float32)
    edges = np.array([0.0, -0.0, 1e-30, -1e-30, 4.0, -4.0, 5.657, -5.657, 3.9999, 80.0, -80.0])
    return np.concatenate([grid, edges.astype(np.float32)])


def test_erf_float32_wide_range_matches_torch():
    """float32 erf is a rational approximation (max abs error 4.5e-7); gradients are exact."""
    x = _wide_float32()
    gx = glassnet.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = gx.erf(), torch.erf(tx)
    assert gy.dtype == glassnet.float32
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=0, atol=5e-7)
    tiny = np.abs(x) < 1e-3  # near 0 the error is relative too
    np.testing.assert_allclose(
        gy.detach().numpy()[tiny], ty.detach().numpy()[tiny], rtol=5e-7, atol=0
    )
    w = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    (gy * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_erf_float32_special_values():
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], dtype=np.float32)
    got = glassnet.tensor(special).erf().numpy()
    np.testing.assert_array_equal(got, torch.erf(torch.tensor(special)).numpy())
    assert np.signbit(got[4])
    half = glassnet.tensor(np.array([1.0, -2.0], dtype=np.float16)).erf()
    assert half.dtype == glassnet.float16
    np.testing.assert_allclose(half.numpy(), [0.8427, -0.9953], rtol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_helpers_match_torch(dtype):
    """gelu_array / gelu_grad_array (the fused GELU forward and backward) against F.gelu."""
    from glassnet.ops.erf import gelu_array, gelu_grad_array

    x = _wide_float32().astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    w = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    ty.backward(torch.tensor(w))
    out, cdf = gelu_array(x)
    assert out.dtype == x.dtype and cdf.dtype == x.dtype
    grad = gelu_grad_array(w, x, cdf)
    # float32: Phi's abs error 2.5e-7 becomes |x| times that in x * Phi(x) (up to 1e-6 at the
    # tails, where PyTorch's own float32 1 + erf rounds to 0)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, ty.detach().numpy(), **tol)
    np.testing.assert_allclose(grad, tx.grad.numpy(), **tol)
    with np.errstate(invalid="ignore"):  # -inf * 0 in GELU's output, as in PyTorch
        ends = gelu_array(np.array([-np.inf, np.inf, -1e30, 1e30], dtype=dtype))[1]
    np.testing.assert_array_equal(ends, [0.0, 1.0, 0.0, 1.0])  # Phi saturates exactly
