"""In-place fills and copies (zero_, fill_, copy_, uniform_, normal_), new_* constructors, and
sort/argsort/topk, checked against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of


def test_zero_fill_copy_without_graph(device):
    t = glassnet.ones(2, 3, device=device)
    view = t[0]
    t.zero_()
    assert numpy_of(view).tolist() == [0, 0, 0], "views see in-place fills"
    t.fill_(2.5)
    assert numpy_of(t).tolist() == [[2.5] * 3] * 2
    t.copy_(glassnet.tensor([1, 2, 3], device=device))  # broadcast and int -> float
    assert numpy_of(t).tolist() == [[1.0, 2.0, 3.0]] * 2 and t.dtype == glassnet.float32
    assert t._version[0] == 3


def test_copy_and_zero_gradients_against_pytorch():
    x0, s0 = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    grads = []
    for lib in (glassnet, torch):
        x = lib.tensor(x0, requires_grad=True)
        s = lib.tensor(s0, requires_grad=True)
        z = x * 3
        z.copy_(s * s)
        w = x * 4
        w.zero_()
        v = x * 5
        v.fill_(2.0)
        (z * x + w * x + v * x).sum().backward()
        grads.append((x.grad.numpy(), s.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_fill_on_leaf_requiring_grad_raises_like_pytorch():
    p = glassnet.ones(2, requires_grad=True)
    with pytest.raises(glassnet.AutogradError, match="leaf"):
        p.zero_()
    with glassnet.no_grad():
        p.zero_()
    assert p.tolist() == [0.0, 0.0]


def test_random_fills_are_seeded_and_in_range():
    glassnet.manual_seed(3)
    a = glassnet.empty(1000).uniform_(-2, 3)
    glassnet.manual_seed(3)
    b = glassnet.empty(1000).uniform_(-2, 3)
    assert a.tolist() == b.tolist()
    assert a.min().item() >= -2 and a.max().item() < 3
    n = glassnet.empty(20000, dtype=glassnet.float64).normal_(1.0, 2.0)
    assert abs(n.mean().item() - 1.0) < 0.05 and abs(n.std().item() - 2.0) < 0.05
    with pytest.raises(RuntimeError, match="no_grad"):
        glassnet.ones(2, requires_grad=True).mul(1).uniform_()


def test_new_constructors_follow_the_tensor(device):
    t = glassnet.ones(2, dtype=glassnet.float64, device=device)
    z = t.new_zeros(3, 4)
    assert z.shape == (3, 4) and z.dtype == glassnet.float64 and z.device == t.device
    assert t.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert t.new_tensor([1, 2]).dtype == glassnet.float64
    assert t.new_ones((1,), dtype=glassnet.int64).dtype == glassnet.int64
    assert t.is_contiguous() and not glassnet.ones(2, 3).t().is_contiguous()
    assert t.nelement() == 2


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_pytorch(device, dim, descending):
    rng = np.random.default_rng(0)
    x = rng.permutation(24).reshape(4, 6).astype("float64")  # distinct values: unique order
    check_op(None, lambda t: t.sort(dim, descending).values, inputs=[x], device=device)
    g = glassnet.tensor(x).sort(dim, descending)
    t = torch.tensor(x).sort(dim, descending)
    np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(
        glassnet.tensor(x).argsort(dim, descending).numpy(), t.indices.numpy()
    )


@pytest.mark.parametrize(
    "k,dim,largest", [(1, 1, True), (3, 1, False), (2, 0, True), (4, -1, True)]
)
def test_topk_matches_pytorch(device, k, dim, largest):
    x = np.random.default_rng(1).permutation(30).reshape(5, 6).astype("float64")
    check_op(None, lambda t: t.topk(k, dim, largest).values, inputs=[x], device=device)
    g = glassnet.tensor(x).topk(k, dim, largest)
    t = torch.tensor(x).topk(k, dim, largest)
    np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
    with pytest.raises(IndexError, match="out of range"):
        glassnet.tensor(x).topk(10, 0)
