"""The torch.* shape helpers (tensor_split, hsplit, atleast_*, column_stack, rot90, ...), the
small numeric helpers (frexp, renorm, gradient, logspace, result_type, ...) and the in-place
forms (torch.relu_, x.eq_, ...) against PyTorch; gradients where they have them."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of


def lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


CASES = [
    ("tensor_split_sections", [(7, 2)], lambda x: x.tensor_split(3)),
    ("tensor_split_indices", [(2, 6)], lambda x: x.tensor_split([1, 4, 10], dim=1)),
    ("hsplit", [(2, 6)], lambda x: x.hsplit(3)),
    ("vsplit", [(4, 2)], lambda x: x.vsplit([1])),
    ("dsplit", [(2, 2, 4)], lambda x: x.dsplit(2)),
    ("atleast_3d", [(3,)], lambda x: lib(x).atleast_3d(x)),
    ("atleast_2d_many", [(), (3,)], lambda a, b: lib(a).atleast_2d(a, b)),
    ("column_stack", [(3,), (3, 2)], lambda a, b: lib(a).column_stack([a, b])),
    ("row_stack", [(3,), (2, 3)], lambda a, b: lib(a).row_stack([a, b])),
    ("dstack", [(2, 3), (2, 3)], lambda a, b: lib(a).dstack([a, b])),
    ("rot90", [(2, 3)], lambda x: x.rot90()),
    ("rot90_k3_dims", [(2, 3, 4)], lambda x: x.rot90(3, [2, 0])),
    ("rot90_k-2", [(2, 3)], lambda x: x.rot90(-2)),
    ("ravel", [(2, 3)], lambda x: x.ravel()),
    ("msort", [(4, 3)], lambda x: x.msort()),
    ("broadcast_tensors", [(2, 1), (3,)], lambda a, b: lib(a).broadcast_tensors(a, b)),
    ("select_scatter", [(3, 4), (4,)], lambda a, s: a.select_scatter(s, 0, 1)),
    ("slice_scatter", [(5, 2), (2, 2)], lambda a, s: a.slice_scatter(s, 0, 1, 5, 2)),
    ("sum_to_size", [(2, 3, 4)], lambda x: x.sum_to_size(3, 1)),
    ("frexp", [(3, 4)], lambda x: x.frexp()),
    ("renorm", [(3, 4)], lambda x: x.renorm(2, 0, 1.5)),
    ("renorm_p1", [(3, 4)], lambda x: x.renorm(1, 1, 1.0)),
    ("gradient", [(5, 4)], lambda x: lib(x).gradient(x)),
    (
        "gradient_order2_spacing",
        [(5, 4)],
        lambda x: lib(x).gradient(x, spacing=[0.5, 2.0], edge_order=2),
    ),
    ("nuclear_norm", [(3, 3)], lambda x: lib(x).nuclear_norm(x)),
    ("frobenius_norm", [(3, 3)], lambda x: lib(x).frobenius_norm(x, dim=(0, 1))),
]


@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[c[0] for c in CASES])
def test_against_torch(name, shapes, fn, device):
    check_op(shapes, fn, device=device)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates(edge_order):
    coords = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
    check_op(
        [(5, 3)],
        lambda x: lib(x).gradient(
            x, spacing=(lib(x).tensor(coords, dtype=x.dtype),), dim=0, edge_order=edge_order
        ),
    )


def test_helpers_match_torch():
    assert glassnet.broadcast_shapes((2, 1), (3,), (4, 1, 1)) == torch.broadcast_shapes(
        (2, 1), (3,), (4, 1, 1)
    )
    assert glassnet.logspace(0, 3, 4).tolist() == torch.logspace(0, 3, 4).tolist()
    np.testing.assert_allclose(
        numpy_of(glassnet.logspace(-1, 1, 5, base=2)), torch.logspace(-1, 1, 5, base=2).numpy()
    )
    idx = np.array([0, 5, 11, -1])
    for got, want in zip(
        glassnet.unravel_index(glassnet.tensor(idx), (3, 4)),
        torch.unravel_index(torch.tensor(idx), (3, 4)),
    ):
        np.testing.assert_array_equal(numpy_of(got), want.numpy())
    pairs = [
        (glassnet.tensor([1, 2]), 1.5),
        (glassnet.tensor([True]), 2),
        (glassnet.tensor([1.0]), glassnet.tensor([1], dtype=glassnet.float64)),
    ]
    for a, b in pairs:
        tb = torch.tensor(b.tolist(), dtype=torch.float64) if isinstance(b, glassnet.Tensor) else b
        want = torch.result_type(torch.tensor(a.tolist()), tb)
        assert str(glassnet.result_type(a, b)) == str(want).replace("torch.", "")
    for a, b in (
        ("int64", "float32"),
        ("uint8", "int8"),
        ("bool", "int16"),
        ("float16", "float64"),
    ):
        got = glassnet.promote_types(getattr(glassnet, a), getattr(glassnet, b))
        assert str(got) == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace(
            "torch.", ""
        )
        assert glassnet.can_cast(getattr(glassnet, a), getattr(glassnet, b)) == torch.can_cast(
            getattr(torch, a), getattr(torch, b)
        )
    assert glassnet.is_nonzero(glassnet.tensor([2])) and not glassnet.is_nonzero(
        glassnet.tensor(0.0)
    )
    with pytest.raises(RuntimeError, match="ambiguous"):
        glassnet.is_nonzero(glassnet.ones(2))
    assert glassnet.is_signed(glassnet.ones(1)) and not glassnet.is_signed(
        glassnet.ones(1, dtype=glassnet.uint8)
    )
    assert glassnet.numel(glassnet.ones(2, 3)) == 6 and glassnet.is_tensor(glassnet.ones(1))


def test_split_errors_like_torch():
    with pytest.raises(ValueError, match="not divisible"):
        glassnet.zeros(2, 5).hsplit(2)
    with pytest.raises(ValueError, match="at least 2 dimension"):
        glassnet.zeros(4).vsplit(2)


@pytest.mark.parametrize(
    "name,args",
    [
        ("relu_", ()),
        ("clamp_", (-0.5, 0.5)),
        ("exp_", ()),
        ("sigmoid_", ()),
        ("asin_", ()),
        ("nan_to_num_", ()),
    ],
)
def test_torch_inplace_functions(name, args):
    x = np.array([-0.75, 0.25, 0.5])
    g, t = glassnet.tensor(x), torch.tensor(x)
    got = getattr(glassnet, name)(g, *args)
    getattr(torch, name)(t, *args)
    assert got is g
    np.testing.assert_allclose(numpy_of(g), t.numpy())


@pytest.mark.parametrize(
    "name,arg",
    [
        ("eq_", 0.25),
        ("lt_", 0.3),
        ("logical_not_", None),
        ("log2_", None),
        ("cumsum_", 0),
        ("tril_", None),
        ("multiply_", 3.0),
        ("subtract_", 1.0),
    ],
)
def test_tensor_inplace_methods(name, arg):
    x = np.array([[0.25, 0.5], [1.0, 2.0]])
    g, t = glassnet.tensor(x), torch.tensor(x)
    args = () if arg is None else (arg,)
    getattr(g, name)(*args)
    getattr(t, name)(*args)
    np.testing.assert_allclose(numpy_of(g), t.numpy())
