"""Indexing ops against PyTorch: __getitem__ (basic and advanced), __setitem__ in and out of
graphs, gather/scatter and friends, masks; gradient accumulation for repeated indices; views
sharing memory; error messages."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op

RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(3, 4, 5))
M = RNG.uniform(-2, 2, size=(4, 5))
MASK = X > 0.3
IDX = np.array([2, 0, 2, 1])
IDX2 = np.array([[0, 3], [3, 3], [1, 0]])


def _both(fn):
    return fn, None


GETITEM = [
    ("int", [X], lambda x: x[1]),
    ("neg_int", [X], lambda x: x[-1]),
    ("ints", [X], lambda x: x[1, 2]),
    ("ints_0d", [X], lambda x: x[0, -1, 2]),
    ("slice", [X], lambda x: x[1:3]),
    ("slice_step", [X], lambda x: x[::2, 1::2]),
    ("slice_neg", [X], lambda x: x[-2:, :-1, -3:-1]),
    ("slice_int", [X], lambda x: x[:, 1]),
    ("ellipsis", [X], lambda x: x[..., 1]),
    ("ellipsis_mid", [X], lambda x: x[0, ..., 2:]),
    ("none", [X], lambda x: x[None]),
    ("none_mid", [X], lambda x: x[:, None, 1:, None]),
    ("list", [X], lambda x: x[[0, 2]]),
    ("list_repeated", [X], lambda x: x[[0, 0, 2, 0]]),
    ("list_neg", [X], lambda x: x[:, [-1, 0, -1]]),
    ("tensor_index", [X, IDX], lambda x, i: x[i]),
    ("tensor_index_dim1", [M, IDX], lambda x, i: x[:, i]),
    ("tensor_index_2d", [M, IDX2], lambda x, i: x[i]),
    ("two_arrays", [X], lambda x: x[[0, 1, 1], [1, 2, 1]]),
    ("broadcast_arrays", [X], lambda x: x[[[0], [2]], [1, 3, 3]]),
    ("arrays_split_by_slice", [X], lambda x: x[[0, 2], :, [1, 1]]),
    ("int_then_array", [X], lambda x: x[0, :, [1, 2, 1]]),
    ("array_then_int", [X], lambda x: x[[0, 1], :, 0]),
    ("int_array_slice", [X], lambda x: x[1, [0, 3, 3], 1:4]),
    ("array_slice_step", [X], lambda x: x[1:, [0, 2], ::2]),
    ("ellipsis_array", [X], lambda x: x[..., [4, 0, 4]]),
    ("none_array", [X], lambda x: x[None, [1, 1], None, 2]),
    ("mask", [X, MASK], lambda x, m: x[m]),
    ("mask_2d", [X, MASK[0]], lambda x, m: x[:, m]),
    ("mask_1d", [X, np.array([True, False, True])], lambda x, m: x[m]),
    ("mask_and_int", [X, MASK[0]], lambda x, m: x[1, m]),
    ("mask_and_array", [X, np.array([True, False, True])], lambda x, m: x[m, [0, 0]]),
]


@pytest.mark.parametrize("inputs,fn", [c[1:] for c in GETITEM], ids=[c[0] for c in GETITEM])
def test_getitem(inputs, fn, device):
    check_op(None, fn, inputs=inputs, device=device)


def _put(key):
    def fn(x, v):
        y = x * 1
        y[key] = v
        return y

    return fn


def _put_scalar(key, value):
    def fn(x):
        y = x * 1
        y[key] = value
        return y

    return fn


SETITEM = [
    ("int", [M, M[0]], _put(1)),
    ("slice_broadcast", [M, M[0, :2]], _put((slice(1, 3), slice(None, 2)))),
    ("list", [M, M[:2]], _put([3, 0])),
    ("arrays", [M, M[0, :3]], _put(([0, 1, 3], [4, 4, 0]))),
    ("int_array", [X, X[0, :, :2]], _put((2, slice(None), [1, 3]))),
    ("scalar_value", [M], _put_scalar((slice(None), 2), 0.5)),
    ("mask_scalar", [M], _put_scalar(M > 0, -1.0)),
    ("value_0d", [M, np.array(3.0)], _put((0, 0))),
]


@pytest.mark.parametrize("inputs,fn", [c[1:] for c in SETITEM], ids=[c[0] for c in SETITEM])
def test_setitem_in_graph(inputs, fn, device):
    check_op(None, fn, inputs=inputs, device=device)


def _gl_or_torch(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


GATHER_IDX = np.array([[0, 0, 3], [2, 1, 0], [4, 4, 4]])
SCATTER_IDX = np.array([[0, 3], [2, 2], [4, 1]])  # repeats: fine for scatter_add only
UNIQUE_IDX = np.array([[0, 3], [2, 1], [4, 1]])
ROWS = RNG.uniform(-2, 2, size=(4, 5))
COLS = RNG.uniform(-2, 2, size=(4, 4))

OPS = [
    ("gather", [M, GATHER_IDX], lambda x, i: x.gather(1, i)),
    ("gather_dim0", [M, GATHER_IDX[:2] % 4], lambda x, i: x.gather(0, i)),
    ("gather_neg_dim", [M, GATHER_IDX], lambda x, i: _gl_or_torch(x).gather(x, -1, i)),
    ("take_along_dim", [M, np.argsort(M, axis=1)], lambda x, i: x.take_along_dim(i, 1)),
    (
        "take_along_dim_bcast",
        [M, np.array([[1], [0], [3], [3]])],
        lambda x, i: x[None].take_along_dim(i[:, :, None], 1),
    ),
    (
        "take_along_dim_flat",
        [M, np.array([0, 19, 19, 5])],
        lambda x, i: _gl_or_torch(x).take_along_dim(x, i),
    ),
    ("scatter_src", [M, UNIQUE_IDX, X[0, :3, :2]], lambda x, i, s: x.scatter(1, i, s)),
    ("scatter_value", [M, SCATTER_IDX], lambda x, i: x.scatter(1, i, 0.25)),
    ("scatter_add", [M, SCATTER_IDX, X[0, :3, :2]], lambda x, i, s: x.scatter_add(1, i, s)),
    (
        "scatter_add_dim0",
        [M, SCATTER_IDX % 4, X[0, :3, :2]],
        lambda x, i, s: x.scatter_add(0, i, s),
    ),
    ("index_select", [M, IDX], lambda x, i: x.index_select(0, i)),
    ("index_select_dim1", [M, IDX], lambda x, i: x.index_select(-1, i)),
    ("index_fill", [M, IDX], lambda x, i: x.index_fill(1, i, -1.5)),
    ("index_fill_0d_tensor", [M, IDX, np.array(0.7)], lambda x, i, v: x.index_fill(1, i, v)),
    ("index_add", [M, IDX, ROWS], lambda x, i, s: x.index_add(0, i, s)),
    ("index_add_alpha", [M, IDX, COLS], lambda x, i, s: x.index_add(1, i, s, alpha=2.0)),
    ("masked_fill", [M, M > 0], lambda x, m: x.masked_fill(m, 0.5)),
    (
        "masked_fill_bcast",
        [M, np.array([True, False, True, False, False])],
        lambda x, m: x.masked_fill(m, -2.0),
    ),
    ("masked_fill_0d_tensor", [M, M > 0, np.array(1.5)], lambda x, m, v: x.masked_fill(m, v)),
    ("masked_select", [M, M > 0], lambda x, m: x.masked_select(m)),
    ("masked_select_bcast", [M[0], M > 0], lambda x, m: x.masked_select(m)),
    ("masked_fill_inplace", [M, M < 0], lambda x, m: (x * 2).masked_fill_(m, 3.0)),
    (
        "masked_fill_inplace_tensor",
        [M, M < 0, np.array(-0.5)],
        lambda x, m, v: (x * 2).masked_fill_(m, v),
    ),
    ("scatter_inplace", [M, UNIQUE_IDX, X[0, :3, :2]], lambda x, i, s: (x * 2).scatter_(1, i, s)),
    (
        "scatter_add_inplace",
        [M, SCATTER_IDX, X[0, :3, :2]],
        lambda x, i, s: (x * 2).scatter_add_(1, i, s),
    ),
    ("index_fill_inplace", [M, IDX], lambda x, i: (x * 2).index_fill_(0, i, 0.0)),
    ("index_add_inplace", [M, IDX, ROWS], lambda x, i, s: (x + 0).index_add_(0, i, s)),
    ("index_put", [M, np.array([3, 0, 2]), X[0, :3, 0]], lambda x, i, v: x.index_put((i, i), v)),
    (
        "index_put_accumulate",
        [M, IDX, X[0, :4, 0]],
        lambda x, i, v: x.index_put((i, i), v, accumulate=True),
    ),
]


@pytest.mark.parametrize("inputs,fn", [c[1:] for c in OPS], ids=[c[0] for c in OPS])
def test_index_ops(inputs, fn, device):
    check_op(None, fn, inputs=inputs, device=device)


def test_nonzero_and_one_hot(device):
    a = np.array([[0, 1, 0], [2, 0, 3]])
    g, t = glassnet.tensor(a, device=device), torch.tensor(a)
    assert g.nonzero().tolist() == t.nonzero().tolist() and g.nonzero().dtype == glassnet.int64
    assert [x.tolist() for x in g.nonzero(as_tuple=True)] == [
        x.tolist() for x in t.nonzero(as_tuple=True)
    ]
    assert glassnet.argwhere(g).tolist() == torch.argwhere(t).tolist()
    labels = np.array([[0, 3], [1, 1]])
    oh = glassnet.one_hot(glassnet.tensor(labels, device=device))
    assert oh.dtype == glassnet.int64
    assert oh.tolist() == torch.nn.functional.one_hot(torch.tensor(labels)).tolist()
    oh5 = glassnet.one_hot(glassnet.tensor(labels, device=device), num_classes=5)
    assert oh5.tolist() == torch.nn.functional.one_hot(torch.tensor(labels), 5).tolist()


def test_repeated_indices_accumulate_gradients(device):
    x = glassnet.zeros(4, device=device, requires_grad=True)
    i = glassnet.tensor([1, 1, 3, 1], device=device)
    (x[i] * glassnet.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    assert x.grad.tolist() == [0.0, 7.0, 0.0, 3.0]
    x.grad = None
    x.index_select(0, i).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 1.0]
    x.grad = None
    x.unsqueeze(0).gather(1, i.unsqueeze(0)).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 1.0]


def test_negative_step_slice_matches_flip():
    x = glassnet.arange(6.0, requires_grad=True)
    y = x[::-2]
    assert y.tolist() == [5.0, 3.0, 1.0]
    (y * glassnet.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 2.0, 0.0, 1.0]


# ---- views and writing without a graph -----------------------------------------------------
def test_basic_index_is_a_view(device):
    base = np.arange(12.0).reshape(3, 4)
    g, t = glassnet.tensor(base, device=device), torch.tensor(base)
    for key in [1, (slice(None), 2), (0, 1), (Ellipsis, slice(1, 3)), (None, 2)]:
        g[key].mul_(2)
        t[key].mul_(2)
    np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())
    assert g[0]._version is g._version


def test_advanced_index_is_a_copy():
    x = glassnet.arange(4.0)
    y = x[[0, 1]]
    y.add_(10)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_setitem_without_graph_writes_through_views(device):
    base = np.arange(12.0).reshape(3, 4)
    g, t = glassnet.tensor(base, device=device), torch.tensor(base)
    gv, tv = g[1:], t[1:]
    for key, value in [((0, 1), -1.0), ([0, 1], 7.0), ((slice(None), [0, 3]), 2.0)]:
        gv[key] = value
        tv[key] = value
    g[g > 9] = 0.0
    t[t > 9] = 0.0
    g[0] = glassnet.tensor([1.0, 2.0, 3.0, 4.0], device=device)
    t[0] = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())
    assert g._version_value == 5


def test_setitem_bumps_version_so_saved_values_are_protected():
    w = glassnet.ones(3, requires_grad=True)
    h = w * 1
    y = (h * h).sum()
    with glassnet.no_grad():
        h[0] = 5.0
    with pytest.raises(glassnet.AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_setitem_in_graph_gradients():
    w = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = glassnet.tensor(10.0, requires_grad=True)
    h = w * 2
    h[1] = v * 3
    h.sum().backward()
    assert w.grad.tolist() == [2.0, 0.0, 2.0] and v.grad.item() == 3.0


def test_setitem_on_leaf_that_requires_grad_raises():
    w = glassnet.ones(3, requires_grad=True)
    with pytest.raises(glassnet.AutogradError, match="leaf Variable"):
        w[0] = 2.0
    with glassnet.no_grad():
        w[0] = 2.0
    assert w.tolist() == [2.0, 1.0, 1.0]


def test_masked_fill_inplace_without_graph():
    x = glassnet.arange(4.0)
    view = x[1:]
    view.masked_fill_(view > 1.5, -1.0)
    assert x.tolist() == [0.0, 1.0, -1.0, -1.0]
    x.scatter_(0, glassnet.tensor([0]), glassnet.tensor([9.0]))
    x.index_fill_(0, glassnet.tensor([1]), 5.0)
    x.scatter_add_(0, glassnet.tensor([3, 3]), glassnet.tensor([1.0, 1.0]))
    assert x.tolist() == [9.0, 5.0, -1.0, 1.0]


# ---- errors --------------------------------------------------------------------------------
def test_index_out_of_range_message():
    x = glassnet.zeros(3, 4)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds.*shape \(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"out of bounds.*shape \(3, 4\)"):
        x[:, [0, 9]]
    with pytest.raises(IndexError, match="out of bounds"):
        x[0, 4] = 1.0


def test_index_with_float_tensor_says_long():
    with pytest.raises(IndexError, match=r"long.*\.long\(\)"):
        glassnet.zeros(3)[glassnet.tensor([0.0, 1.0])]


def test_setitem_shape_mismatch():
    with pytest.raises(glassnet.ShapeError, match=r"setitem: .*\(3,\).*\(3, 4\)"):
        glassnet.zeros(3, 4)[0] = glassnet.zeros(3)


def test_gather_and_mask_errors():
    x = glassnet.zeros(3, 4)
    with pytest.raises(glassnet.ShapeError, match="gather: index tensor must have the same"):
        x.gather(1, glassnet.tensor([0, 1]))
    with pytest.raises(glassnet.DTypeError, match=r"gather: expected an integer index"):
        x.gather(1, glassnet.zeros(3, 1))
    with pytest.raises(glassnet.DTypeError, match="boolean masks"):
        x.masked_fill(glassnet.zeros(3, 4), 1.0)
    with pytest.raises(glassnet.ShapeError, match="0-dimensional value tensor"):
        x.masked_fill(x > 0, glassnet.zeros(1))
    with pytest.raises(ValueError, match="smaller than num_classes"):
        glassnet.one_hot(glassnet.tensor([0, 3]), 3)
