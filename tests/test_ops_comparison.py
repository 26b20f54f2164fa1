"""Comparisons, logical and bitwise ops, isnan/isinf/isfinite, isclose/allclose/equal vs PyTorch."""

import operator

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import numpy_of

A = [[1.0, 2.0, 3.0], [-1.0, 2.0, 0.5]]
B = [1.0, 2.5, 3.0]
INTS = [[0, 1, 2, -3], [5, 0, -1, 7]]
BOOLS = [[True, False, True, False], [False, False, True, True]]
SPECIAL = [1.0, float("nan"), float("inf"), -float("inf"), 0.0, -2.5]

# Each builds the same expression from glassnet or torch (m) and a tensor maker (t).
CASES = [
    lambda m, t: t(A) == t(B),
    lambda m, t: t(A) != t(B),
    lambda m, t: t(A) < t(B),
    lambda m, t: t(A) <= t(B),
    lambda m, t: t(A) > t(B),
    lambda m, t: t(A) >= t(B),
    lambda m, t: t(A) == 2,
    lambda m, t: t(A) > 0.5,
    lambda m, t: 2 < t(A),
    lambda m, t: 2.0 >= t(A),
    lambda m, t: 1 == t(A),
    lambda m, t: t([[1.0], [2.0]]) < t(B),
    lambda m, t: t(INTS) > 0.5,
    lambda m, t: t(INTS) == t([0.0, 1.0, 2.0, -3.0]),
    lambda m, t: t([1, 2], dtype=m.int32) == t([1, 3]),
    lambda m, t: t(BOOLS) == True,  # noqa: E712
    lambda m, t: m.eq(t(A), t(B)),
    lambda m, t: m.ne(t(A), 2.0),
    lambda m, t: m.lt(t(A), t(B)),
    lambda m, t: m.le(t(A), t(B)),
    lambda m, t: m.gt(t(A), t(B)),
    lambda m, t: m.ge(t(A), t(B)),
    lambda m, t: t(A).eq(t(B)),
    lambda m, t: t(A).ge(1),
    lambda m, t: t(A).greater(t(B)),
    lambda m, t: t(A).less_equal(t(B)),
    lambda m, t: t(A).not_equal(t(B)),
    lambda m, t: m.logical_and(t(INTS), t(BOOLS)),
    lambda m, t: m.logical_or(t(INTS), t([0.0, 0.0, 1.0, 0.0])),
    lambda m, t: m.logical_xor(t(BOOLS), t(INTS)),
    lambda m, t: m.logical_not(t(INTS)),
    lambda m, t: t(A).logical_not(),
    lambda m, t: t(INTS).logical_and(t(A[0] + [0.0])),
    lambda m, t: t(BOOLS) & t(BOOLS[::-1]),
    lambda m, t: t(BOOLS) | t(BOOLS[::-1]),
    lambda m, t: t(BOOLS) ^ t(BOOLS[::-1]),
    lambda m, t: ~t(BOOLS),
    lambda m, t: t(INTS) & t([3, 1, 2, 6]),
    lambda m, t: t(INTS) | 8,
    lambda m, t: 6 ^ t(INTS),
    lambda m, t: ~t(INTS),
    lambda m, t: t(BOOLS) & True,
    lambda m, t: (t(A) > 0) & (t(A) < 2.5),
    lambda m, t: m.isnan(t(SPECIAL)),
    lambda m, t: m.isinf(t(SPECIAL)),
    lambda m, t: m.isfinite(t(SPECIAL)),
    lambda m, t: t(SPECIAL).isnan(),
    lambda m, t: m.isfinite(t([1, 2])),
    lambda m, t: m.isnan(t([1, 2])),
    lambda m, t: m.isclose(t([1.0, 2.0, 3.0]), t([1.0 + 1e-7, 2.01, 3.0])),
    lambda m, t: m.isclose(t([1.0, 2.0, 3.0]), t([1.1, 2.01, 3.5]), rtol=0.05, atol=0.0),
    lambda m, t: m.isclose(t(SPECIAL), t(SPECIAL)),
    lambda m, t: m.isclose(t(SPECIAL), t(SPECIAL), equal_nan=True),
    lambda m, t: t([1.0, 2.0]).isclose(t([1.05, 2.0]), atol=0.1),
]


@pytest.mark.parametrize("expr", CASES, ids=range(len(CASES)))
def test_like_torch(expr, device):
    got = expr(glassnet, lambda *a, **k: glassnet.tensor(*a, device=device, **k))
    want = expr(torch, torch.tensor)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(numpy_of(got), want.numpy())


@pytest.mark.parametrize(
    "expr",
    [
        lambda m, t: m.allclose(t([1.0, 2.0]), t([1.0, 2.0 + 1e-6])),
        lambda m, t: m.allclose(t([1.0, 2.0]), t([1.0, 2.1])),
        lambda m, t: m.allclose(t([1.0, 2.0]), t([1.0, 2.1]), atol=0.2),
        lambda m, t: m.allclose(t([float("nan")]), t([float("nan")])),
        lambda m, t: m.allclose(t([float("nan")]), t([float("nan")]), equal_nan=True),
        lambda m, t: t([1.0, 2.0]).allclose(t([1.0, 2.0])),
        lambda m, t: m.equal(t([1, 2]), t([1, 2])),
        lambda m, t: m.equal(t([1, 2]), t([1, 3])),
        lambda m, t: m.equal(t([1, 2]), t([[1, 2]])),
        lambda m, t: t([1.0, 2.0]).equal(t([1.0, 2.0])),
    ],
    ids=range(10),
)
def test_python_bool_results_like_torch(expr, device):
    got = expr(glassnet, lambda *a, **k: glassnet.tensor(*a, device=device, **k))
    want = expr(torch, torch.tensor)
    assert type(got) is bool and got == want


def test_results_carry_no_gradient(device):
    x = glassnet.tensor(A, device=device, requires_grad=True)
    y = glassnet.tensor(B, device=device, requires_grad=True)
    for out in (
        x == y,
        x < y,
        x >= 0,
        glassnet.isnan(x),
        glassnet.isclose(x, y),
        glassnet.logical_and(x, y),
    ):
        assert out.dtype == glassnet.bool_
        assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize(
    "op", [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
)
def test_broadcast_errors_name_the_op(op, device):
    with pytest.raises(glassnet.ShapeError, match=r"\(2, 3\) and \(4,\)"):
        op(glassnet.ones(2, 3, device=device), glassnet.ones(4, device=device))


def test_logical_broadcast_error(device):
    with pytest.raises(glassnet.ShapeError, match="logical_and"):
        glassnet.logical_and(glassnet.ones(2, 3, device=device), glassnet.ones(4, device=device))


def test_bitwise_on_floats_raises(device):
    x = glassnet.ones(3, device=device)
    with pytest.raises(glassnet.DTypeError, match="bitwise_and"):
        x & x
    with pytest.raises(glassnet.DTypeError, match="bitwise_not"):
        ~x
    with pytest.raises(glassnet.DTypeError, match="float operand"):
        glassnet.bitwise_or(glassnet.tensor([1, 2], device=device), 1.5)
    with pytest.raises(TypeError):
        glassnet.tensor([1, 2], device=device) | 1.5


def test_comparison_with_foreign_objects(device):
    x = glassnet.ones(2, device=device)
    assert (x == None) is False  # noqa: E711
    assert (x != "text") is True
    assert x in [x]  # identity short-cut, no elementwise comparison
    with pytest.raises(TypeError):
        glassnet.eq(x, "text")


def test_lists_and_arrays_compare_elementwise(device):
    x = glassnet.tensor([1, 2, 3], device=device)
    assert numpy_of(x == [1, 0, 3]).tolist() == [True, False, True]
    assert numpy_of(x < np.array([2, 2, 2])).tolist() == [True, False, False]


def test_tensors_stay_hashable(device):
    x = glassnet.ones(2, device=device)
    assert {x: 1}[x] == 1
