"""scatter_reduce, index_reduce, index_copy, masked_scatter, take and put against PyTorch:
forward and gradients (float64 tight, float32 at check_op's tolerance) and finite differences.

The indices send several source elements to some positions and none to others, so every
branch (self included or not, untouched positions) is exercised. Random values are distinct,
so amax/amin have no ties; a separate test has ties and zeros on purpose."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of

INDEX = np.array([[0, 1, 0, 3, 3], [2, 2, 2, 0, 1]])


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self, device):
    def fn(x, src):
        index = lib(x).tensor(INDEX)
        return x.scatter_reduce(1, index, src, reduce, include_self=include_self)

    check_op([(2, 4), (2, 5)], fn, device=device)


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean", "sum"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_with_zeros_and_ties(reduce, include_self):
    x = np.array([1.0, 2.0, 0.0, 4.0, 5.0])
    src = np.array([5.0, 0.0, 5.0, 4.0, 0.0, 0.0, 3.0])
    index = np.array([0, 1, 0, 3, 2, 2, 4])
    g_x, g_s = glassnet.tensor(x, requires_grad=True), glassnet.tensor(src, requires_grad=True)
    t_x, t_s = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    w = np.arange(1.0, 6.0)
    g_out = g_x.scatter_reduce(0, glassnet.tensor(index), g_s, reduce, include_self=include_self)
    t_out = t_x.scatter_reduce(0, torch.tensor(index), t_s, reduce, include_self=include_self)
    (g_out * glassnet.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(numpy_of(g_out), t_out.detach().numpy())
    np.testing.assert_allclose(numpy_of(g_x.grad), t_x.grad.numpy())
    if reduce in ("amax", "amin") and not include_self:
        # PyTorch counts the excluded self value among the ties it shares the gradient with
        # (yet gives it none), so part of the gradient is lost there; glassnet shares it among
        # the contributors only, so each output's gradient is passed on in full.
        touched = np.isin(np.arange(5), index)
        np.testing.assert_allclose(numpy_of(g_s.grad).sum(), w[touched].sum())
        no_self_tie = ~np.isin(index, np.flatnonzero(x == t_out.detach().numpy()))
        np.testing.assert_allclose(numpy_of(g_s.grad)[no_self_tie], t_s.grad.numpy()[no_self_tie])
    else:
        np.testing.assert_allclose(numpy_of(g_s.grad), t_s.grad.numpy())


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_integers(reduce, include_self):
    x, src = np.array([1, 2, 3, 4]), np.array([5, 0, 2, 2, -7])
    index = np.array([0, 1, 0, 3, 3])
    got = glassnet.tensor(x).scatter_reduce(
        0, glassnet.tensor(index), glassnet.tensor(src), reduce, include_self=include_self
    )
    want = torch.tensor(x).scatter_reduce(
        0, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self
    )
    np.testing.assert_array_equal(numpy_of(got), want.numpy())  # mean rounds down, as torch


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce, device):
    def fn(x, source):
        return x.index_reduce(0, lib(x).tensor([1, 3, 1]), source, reduce)

    check_op([(4, 2), (3, 2)], fn, device=device)


def test_index_copy_masked_scatter_take_put(device):
    check_op(
        [(4, 3), (2, 3)], lambda x, s: x.index_copy(0, lib(x).tensor([3, 0]), s), device=device
    )
    check_op(
        [(3, 2), (2, 3)], lambda x, s: x.index_copy(1, lib(x).tensor([1, 0]), s.T), device=device
    )
    mask = np.array([[True, False, True], [False, False, True]])
    check_op([(2, 3), (5,)], lambda x, s: x.masked_scatter(lib(x).tensor(mask), s), device=device)
    check_op(
        [(2, 3), (7,)], lambda x, s: x.masked_scatter(lib(x).tensor(mask[0]), s), device=device
    )
    check_op([(3, 4)], lambda x: x.take(lib(x).tensor([[0, 11], [5, 5]])), device=device)
    check_op(
        [(3, 4), (3,)],
        lambda x, s: x.put(lib(x).tensor([1, 7, 1]), s, accumulate=True),
        device=device,
    )
    check_op([(3, 4), (2,)], lambda x, s: x.put(lib(x).tensor([1, 7]), s), device=device)


def test_inplace_forms_match_torch():
    for name, args in (
        ("scatter_reduce_", lambda m: (0, m.tensor([0, 0, 2]), m.tensor([1.0, 2.0, 3.0]), "prod")),
        ("index_reduce_", lambda m: (0, m.tensor([0, 0]), m.tensor([2.0, 3.0]), "amax")),
        ("index_copy_", lambda m: (0, m.tensor([2]), m.tensor([9.0]))),
        ("masked_scatter_", lambda m: (m.tensor([True, False, True]), m.tensor([7.0, 8.0]))),
        ("put_", lambda m: (m.tensor([0]), m.tensor([5.0]))),
    ):
        g, t = glassnet.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
        getattr(g, name)(*args(glassnet))
        getattr(t, name)(*args(torch))
        np.testing.assert_array_equal(numpy_of(g), t.numpy(), err_msg=name)


def test_errors():
    x = glassnet.zeros(3)
    with pytest.raises(ValueError, match="reduce argument"):
        x.scatter_reduce(0, glassnet.tensor([0]), glassnet.ones(1), "max")
    with pytest.raises(ValueError, match="True elements"):
        x.masked_scatter(glassnet.tensor([True, True, True]), glassnet.ones(2))
