"""Arithmetic and elementwise ops against PyTorch: forward, gradients (float64 and float32) and
finite differences, with scalars on both sides, broadcasting and PyTorch's dtype promotion."""

import math

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
    """float32 erf is a rational approximation; gradients are exact."""
    x = _wide_float32()
    gx = glassnet.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = gx.erf(), torch.erf(tx)
    assert gy.dtype == glassnet.float32
    got = gy.detach().numpy()
    # The rational's float32 evaluation uses only correctly rounded + - * / and clamps, so it
    # gives the same bits on every CPU; its max abs error against exact erf over [-4, 4] (beyond,
    # erf is +-1 in float32) is 4.2e-7, bounded here by 4.5e-7.
    exact = np.array([math.erf(v) for v in x.astype(np.float64)])
    np.testing.assert_allclose(got, exact, rtol=0, atol=4.5e-7)
    tiny = np.abs(x) < 1e-3  # near 0 the error is relative too: a few roundings of 2^-24
    np.testing.assert_allclose(got[tiny], exact[tiny], rtol=4 * 2.0**-24, atol=0)
    # PyTorch's float32 erf is within 2 ulp of 1 (2^-22) of exact erf on any of its CPU paths.
    np.testing.assert_allclose(got, ty.detach().numpy(), rtol=0, atol=4.5e-7 + 2.0**-22)
    w = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    (gy * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    # the gradient w * 2/sqrt(pi) * exp(-x^2): a few roundings plus exp's, x^2 * 2^-24 from the
    # rounded square, in both frameworks
    bound = (np.abs(w) * np.exp(-(x.astype(np.float64) ** 2)) * 1.13) * (
        (x.astype(np.float64) ** 2 + 8) * 2.0**-23
    )
    subnormal_steps = 8 * 2.0**-149  # results below 2^-126 round to multiples of 2^-149
    np.testing.assert_array_less(np.abs(gx.grad.numpy() - tx.grad.numpy()), bound + subnormal_steps)


def test_erf_float32_special_values():
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], dtype=np.float32)
    got = glassnet.tensor(special).erf().numpy()
    np.testing.assert_array_equal(got, torch.erf(torch.tensor(special)).numpy())
    assert np.signbit(got[4])
    half = glassnet.tensor(np.array([1.0, -2.0], dtype=np.float16)).erf()
    assert half.dtype == glassnet.float16
    np.testing.assert_allclose(half.numpy(), [0.8427, -0.9953], rtol=1e-3)


def _normal_cdf_exact(x):
    """Phi(x) in float64 from the standard library's erfc (relative error ~1e-16 everywhere)."""
    return np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in np.asarray(x, np.float64)])


def _gelu_slope_bounds(x):
    """Error bounds of the float32 GELU with its slope (ops/erf.py ``_gelu_slope_float32``),
    from the algorithm: the tail Phi(-|x|) = t * exp(-x^2/2) * Q(t) has the fit's 1.4e-7, the
    exponent's two roundings (x^2 * 2^-24 relative after exp), exp's up to 4 ulp, t's three
    roundings amplified at most once more through Q (|t Q'(t) / Q| < 1) and in the product, and
    Q's eight Horner steps at magnitude below 1: at most 1.4e-7 + (x^2 + 28) * 2^-24 relative,
    the same form as the erfc-based CDF above. The upper side 1 - Phi(-x) adds 2^-24 (2^-23
    allowed). The slope Phi + x phi adds to Phi's error that of x * phi (the same exp, two more
    roundings: (x^2 + 16) * 2^-24 relative) and the sum's rounding (2^-24 of the slope).
    Returns (Phi's absolute bound, the slope's absolute bound)."""
    x = np.asarray(x, np.float64)
    tail = _normal_cdf_exact(-np.abs(x))
    rel = 1.4e-7 + (x**2 + 28) * 2.0**-24
    cdf_bound = np.where(x > 0, tail * rel + 2.0**-23, tail * rel)
    x_phi = np.abs(x) * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    slope = _normal_cdf_exact(x) + x * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    slope_bound = cdf_bound + x_phi * (x**2 + 16) * 2.0**-24 + np.abs(slope) * 2.0**-24
    return cdf_bound, slope_bound


def test_gelu_and_slope_float32_against_float64_reference(kernel_path):
    """The fused float32 GELU forward with its derivative, over float32's range (both tails,
    down to where Phi leaves float32's normal numbers), against float64 formulas."""
    from glassnet.ops.erf import gelu_and_slope_array, normal_cdf_array

    x = np.concatenate([_wide_float32(), np.linspace(-13.5, -12, 2_001, dtype=np.float32)])
    x = x[np.isfinite(x) & (np.abs(x) < 20)]
    out, slope = gelu_and_slope_array(x)
    assert out.dtype == np.float32 and slope.dtype == np.float32
    x64 = x.astype(np.float64)
    phi = _normal_cdf_exact(x)
    density = np.exp(-0.5 * x64**2) / math.sqrt(2 * math.pi)
    cdf_bound, slope_bound = _gelu_slope_bounds(x)
    normal = phi > 2.0**-126  # below float32's smallest normal number only subnormal steps remain
    ref = x64 * phi
    out_err = np.abs(out.astype(np.float64) - ref)
    # x * Phi(x): Phi's error times |x|, and one more rounding
    bound = np.abs(x64) * cdf_bound + np.abs(ref) * 2.0**-24
    assert np.all(out_err[normal] <= bound[normal])
    assert np.all(out_err[~normal] <= np.abs(x64[~normal]) * 2.0**-126)
    slope_err = np.abs(slope.astype(np.float64) - (phi + x64 * density))
    assert np.all(slope_err[normal] <= slope_bound[normal])
    assert np.all(slope_err[~normal] <= 2 * np.abs(x64[~normal]) * 2.0**-126)
    # Phi alone (normal_cdf_array) is the same computation, within the same bound
    cdf = normal_cdf_array(x).astype(np.float64)
    assert np.all(np.abs(cdf - phi)[normal] <= cdf_bound[normal])
    # the tail's relative error, in ulps: within 12 below |x| = 4 (the bound's 28 + 16 would allow
    # 44), so the fit is tight there rather than hidden under the bound's slack
    near = (x64 < 0) & (x64 > -4)
    assert np.max(np.abs(out[near] / ref[near] - 1)) < 12 * 2.0**-24
    # the ends as PyTorch's float32 GELU and its backward give them: +-inf * 0 is NaN
    ends = np.array([-np.inf, np.inf, -1e30, 1e30, np.nan], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        out, slope = gelu_and_slope_array(ends)
    np.testing.assert_array_equal(out, np.array([np.nan, np.inf, 0.0, 1e30, np.nan], np.float32))
    np.testing.assert_array_equal(slope, [np.nan, np.nan, 0.0, 1.0, np.nan])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_function_matches_torch_over_wide_range(dtype, kernel_path):
    """F.gelu's value and gradient (the backward is grad * the slope the forward kept) against
    PyTorch over the wide grid; a 2-D input takes the blocked float32 path."""
    import glassnet.nn.functional as F

    x = _wide_float32().astype(dtype)[:200_000].reshape(400, 500)
    w = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    gx = glassnet.tensor(x, requires_grad=True)
    gy = F.gelu(gx)
    (gy * glassnet.tensor(w)).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    ty.backward(torch.tensor(w))
    x64, w64 = x.astype(np.float64), np.abs(w.astype(np.float64))
    if dtype == "float32":
        # PyTorch's float32 Phi: within 0.5 * (1.5e-7 + 12 * 2^-24) + 2^-24 absolute (see
        # test_gelu_helpers_match_torch); ours within the bounds above.
        torch_phi = 0.5 * (1.5e-7 + 12 * 2.0**-24) + 2.0**-24
        cdf_bound, slope_bound = (b.reshape(x.shape) for b in _gelu_slope_bounds(x64.ravel()))
        phi_term = np.abs(x64) * np.exp(-0.5 * x64**2) / math.sqrt(2 * math.pi)
        out_tol = np.abs(x64) * (cdf_bound + torch_phi) + 2.0**-23 * np.abs(x64)
        grad_tol = w64 * (slope_bound + torch_phi + phi_term * (x64**2 + 8) * 2.0**-24)
        grad_tol += 2.0**-23 * np.abs(tx.grad.numpy().astype(np.float64))
    else:
        # float64: both evaluate the same formula to within a few ulp of 1 (2^-52) in Phi
        out_tol = (np.abs(x64) + 1) * 1e-14
        grad_tol = w64 * (np.abs(x64) + 1) * 1e-14
    np.testing.assert_array_less(np.abs(gy.detach().numpy() - ty.detach().numpy()), out_tol + 1e-45)
    np.testing.assert_array_less(np.abs(gx.grad.numpy() - tx.grad.numpy()), grad_tol + 1e-45)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_gelu_and_slope_small_and_half_inputs(dtype, kernel_path):
    """0-d and float16 inputs take the float32 blocks too: float16 results are the float32 ones
    rounded once, so within half a float16 ulp (2^-11 relative) plus the float32 error (under
    2^-16 relative for |x| < 8) of the float64 value, or a float16 subnormal step (2^-24)."""
    from glassnet.ops.erf import gelu_and_slope_array, normal_cdf_array

    x = np.linspace(-8, 8, 1001).astype(dtype)
    x64 = x.astype(np.float64)
    phi = _normal_cdf_exact(x64)
    ref_out = x64 * phi
    ref_slope = phi + x64 * np.exp(-0.5 * x64**2) / math.sqrt(2 * math.pi)
    out, slope = gelu_and_slope_array(x)
    assert out.dtype == slope.dtype == np.dtype(dtype)
    rel = (2.0**-11 if dtype == "float16" else 0) + 2.0**-16
    step = 2.0**-24 if dtype == "float16" else 2.0**-149
    np.testing.assert_array_less(np.abs(out - ref_out), rel * np.abs(ref_out) + step)
    # the slope Phi + x phi cancels near x = -0.75: its error is relative to the two terms
    terms = phi + np.abs(x64) * np.exp(-0.5 * x64**2) / math.sqrt(2 * math.pi)
    np.testing.assert_array_less(np.abs(slope - ref_slope), rel * terms + step)
    np.testing.assert_array_less(np.abs(normal_cdf_array(x) - phi), rel * phi + step)
    scalar_out, scalar_slope = gelu_and_slope_array(np.array(-1.5, dtype=dtype))
    assert scalar_out.shape == scalar_slope.shape == ()
    assert abs(float(scalar_out) - (-1.5 * _normal_cdf_exact([-1.5])[0])) < 2.0**-11 * 0.11
