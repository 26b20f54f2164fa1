"""matmul and friends, einsum, softmax and log_softmax against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op


def _lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((2, 4), (4,)),
    ((2, 4), (4, 3)),
    ((5, 2, 4), (4, 3)),
    ((2, 4), (5, 4, 3)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((1, 2, 4), (3, 4, 1)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, device):
    check_op(list(shapes), lambda a, b: a @ b, device=device)


def test_matmul_function_and_method(device):
    check_op([(2, 3), (3, 4)], lambda a, b: _lib(a).matmul(a, b), device=device)
    check_op([(2, 3), (3, 4)], lambda a, b: a.matmul(b), device=device)


def test_matmul_operand_order(device):
    check_op([(3, 2), (2, 3)], lambda a, b: b @ a, device=device)


# one line per op
OPS = [
    ("mm", [(2, 3), (3, 4)], lambda a, b: _lib(a).mm(a, b)),
    ("mm_method", [(2, 3), (3, 4)], lambda a, b: a.mm(b)),
    ("bmm", [(3, 2, 4), (3, 4, 5)], lambda a, b: _lib(a).bmm(a, b)),
    ("mv", [(2, 3), (3,)], lambda a, b: _lib(a).mv(a, b)),
    ("dot", [(5,), (5,)], lambda a, b: _lib(a).dot(a, b)),
    ("dot_method", [(5,), (5,)], lambda a, b: a.dot(b)),
    ("outer", [(3,), (4,)], lambda a, b: _lib(a).outer(a, b)),
    ("outer_method", [(3,), (4,)], lambda a, b: a.outer(b)),
]


@pytest.mark.parametrize("name,shapes,fn", OPS, ids=[o[0] for o in OPS])
def test_products(name, shapes, fn, device):
    check_op(shapes, fn, device=device)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ba,ca", [(2, 3), (4, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij,kj->ikj", [(2, 3), (4, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),
    ("i...->...", [(2, 3, 4)]),
    ("...i,...i", [(2, 3), (3,)]),
    ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(equation, shapes, device):
    check_op(shapes, lambda *xs: _lib(xs[0]).einsum(equation, *xs), device=device)


def test_einsum_takes_a_list(device):
    check_op([(2, 3), (3,)], lambda a, b: _lib(a).einsum("ij,j->i", [a, b]), device=device)


def test_matmul_error_message(device):
    a, b = glassnet.ones(32, 10, device=device), glassnet.ones(20, 5, device=device)
    with pytest.raises(
        glassnet.ShapeError,
        match=r"^matmul: cannot multiply \(32x10\) by "
        r"\(20x5\): inner sizes 10 and 20 differ; ",
    ):
        a @ b


@pytest.mark.parametrize(
    "sa,sb,hint",
    [
        ((32, 10), (20, 10), "transpose the second argument"),
        ((10, 32), (10, 5), "transpose the first argument"),
        ((4, 10, 3), (4, 20, 3), "transpose the second argument"),
        ((3, 7), (5, 3), r"swap the arguments"),
    ],
)
def test_matmul_error_suggests_a_fix(sa, sb, hint, device):
    with pytest.raises(glassnet.ShapeError, match=hint):
        glassnet.ones(*sa, device=device) @ glassnet.ones(*sb, device=device)


def test_shape_and_dtype_errors(device):
    def ones(*s, **k):
        return glassnet.ones(*s, device=device, **k)

    with pytest.raises(glassnet.ShapeError, match="batch dims"):
        ones(2, 3, 4) @ ones(5, 4, 2)
    with pytest.raises(glassnet.ShapeError, match="at least 1 dimension"):
        ones(()) @ ones(3)
    with pytest.raises(glassnet.DTypeError, match="same dtype"):
        ones(2, 3) @ ones(3, 2, dtype=glassnet.float64)
    with pytest.raises(glassnet.ShapeError, match="mm: expected two 2-D"):
        glassnet.mm(ones(2, 3, 4), ones(4, 2))
    with pytest.raises(glassnet.ShapeError, match="bmm: batch sizes differ"):
        glassnet.bmm(ones(2, 3, 4), ones(3, 4, 2))
    with pytest.raises(glassnet.ShapeError, match="bmm: expected two 3-D"):
        glassnet.bmm(ones(3, 4), ones(4, 2))
    with pytest.raises(glassnet.ShapeError, match="mv"):
        glassnet.mv(ones(3, 4), ones(4, 1))
    with pytest.raises(glassnet.ShapeError, match="dot: the vectors have different lengths"):
        glassnet.dot(ones(3), ones(4))
    with pytest.raises(glassnet.ShapeError, match="einsum: operand"):
        glassnet.einsum("ij,jk", ones(2, 3), ones(3))
    with pytest.raises(ValueError, match="2 operand"):
        glassnet.einsum("ij,jk", ones(2, 3))


def test_integer_matmul(device):
    a = glassnet.tensor([[1, 2], [3, 4]], device=device)
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    assert (a @ a).dtype == glassnet.int64


def test_float32_stays_float32(device):
    a = glassnet.randn(2, 3, 4, device=device, requires_grad=True)
    for out in (
        a @ glassnet.randn(4, 2, device=device),
        a @ glassnet.randn(4, device=device),
        glassnet.einsum("bij->bj", a),
    ):
        assert out.dtype == glassnet.float32
        out.sum().backward()
        assert a.grad.dtype == glassnet.float32


SOFTMAX = [
    ("softmax_last", (3, 5), lambda x: x.softmax(-1)),
    ("softmax_dim0", (3, 5), lambda x: x.softmax(0)),
    ("softmax_middle", (2, 3, 4), lambda x: x.softmax(dim=1)),
    ("softmax_fn", (2, 3, 4), lambda x: _lib(x).softmax(x, 2)),
    ("softmax_1d", (6,), lambda x: x.softmax(0)),
    ("softmax_0d", (), lambda x: x.softmax(0)),
    ("log_softmax_last", (3, 5), lambda x: x.log_softmax(-1)),
    ("log_softmax_dim0", (3, 5), lambda x: x.log_softmax(dim=0)),
    ("log_softmax_middle", (2, 3, 4), lambda x: _lib(x).log_softmax(x, 1)),
]


@pytest.mark.parametrize("name,shape,fn", SOFTMAX, ids=[s[0] for s in SOFTMAX])
def test_softmax(name, shape, fn, device):
    check_op([shape], fn, device=device, low=-5.0, high=5.0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable(name, device):
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, -1e4 + 1, -1e4 - 1], [0.0, -np.inf, 1.0]])
    check_op(None, lambda x: getattr(x, name)(1), inputs=[x], device=device, finite_diff=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument(name, device):
    data = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    x = glassnet.tensor(data, device=device, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = getattr(x, name)(1, dtype=glassnet.float64)
    want = getattr(tx, name)(1, dtype=torch.float64)
    assert out.dtype == glassnet.float64
    np.testing.assert_allclose(
        glassnet.backend.to_numpy(out.detach()._data), want.detach().numpy(), rtol=1e-12
    )
    (out * out).sum().backward()
    (want * want).sum().backward()
    assert x.grad.dtype == glassnet.float32
    np.testing.assert_allclose(glassnet.backend.to_numpy(x.grad._data), tx.grad.numpy(), rtol=1e-5)
    with pytest.raises(glassnet.DTypeError, match=name):
        getattr(glassnet.tensor([1, 2], device=device), name)(0)
    ints = glassnet.tensor([1, 2], device=device)
    assert getattr(ints, name)(0, dtype=glassnet.float32).dtype == glassnet.float32


def test_softmax_errors(device):
    with pytest.raises(glassnet.DTypeError, match="softmax"):
        glassnet.tensor([1, 2], device=device).softmax(0)
    with pytest.raises(IndexError, match="log_softmax"):
        glassnet.ones(2, 3, device=device).log_softmax(2)
