"""Shape and movement ops against PyTorch (forward, gradients, finite differences), views sharing
memory, and the errors a person gets for common mistakes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
from tests.helpers import check_op


def _cat(lib, dim):
    return lambda a, b, c: lib.cat([a, b, c], dim)


def _stack(lib, dim):
    return lambda a, b: lib.stack([a, b], dim)


def _pad(lib, pad, mode="constant", value=None):
    if lib is torch:
        kw = {} if value is None else {"value": value}
        return lambda x: TF.pad(x, pad, mode=mode, **kw)
    return lambda x: glassnet.pad(x, pad, mode=mode, value=value)


# (id, input shapes, glassnet fn, torch fn or None when the same lambda serves both)
CASES = [
    ("reshape", [(2, 3, 4)], lambda x: x.reshape(6, -1), None),
    ("reshape_tuple", [(2, 3, 4)], lambda x: x.reshape((4, 6)), None),
    ("reshape_flat", [(2, 3, 4)], lambda x: x.reshape(-1), None),
    ("reshape_copy", [(2, 3, 4)], lambda x: x.transpose(0, 1).reshape(-1), None),
    ("reshape_0d", [()], lambda x: x.reshape(1, 1), None),
    (
        "reshape_fn",
        [(2, 3)],
        lambda x: glassnet.reshape(x, (3, 2)),
        lambda x: torch.reshape(x, (3, 2)),
    ),
    ("view", [(2, 3, 4)], lambda x: x.view(4, 3, 2), None),
    ("view_infer", [(2, 3, 4)], lambda x: x.view(-1, 4), None),
    ("view_strided", [(2, 3, 4)], lambda x: x.transpose(0, 1).view(3, 2, 2, 2), None),
    ("view_as", [(2, 3, 4), (6, 4)], lambda x, y: x.view_as(y), None),
    ("reshape_as", [(2, 3, 4), (6, 4)], lambda x, y: x.transpose(0, 2).reshape_as(y), None),
    ("flatten", [(2, 3, 4)], lambda x: x.flatten(), None),
    ("flatten_1", [(2, 3, 4)], lambda x: x.flatten(1), None),
    ("flatten_01", [(2, 3, 4)], lambda x: x.flatten(0, 1), None),
    ("flatten_neg", [(2, 1, 4)], lambda x: x.flatten(-2, -1), None),
    ("flatten_0d", [()], lambda x: x.flatten(), None),
    ("unflatten", [(2, 12)], lambda x: x.unflatten(1, (3, 4)), None),
    ("unflatten_infer", [(2, 12)], lambda x: x.unflatten(-1, (2, -1)), None),
    ("squeeze_all", [(2, 1, 3, 1)], lambda x: x.squeeze(), None),
    ("squeeze_dim", [(2, 1, 3, 1)], lambda x: x.squeeze(1), None),
    ("squeeze_neg", [(2, 1, 3, 1)], lambda x: x.squeeze(-1), None),
    ("squeeze_tuple", [(2, 1, 3, 1)], lambda x: x.squeeze((1, 3)), None),
    ("squeeze_noop", [(2, 1, 3, 1)], lambda x: x.squeeze(0), None),
    ("unsqueeze_0", [(2, 3)], lambda x: x.unsqueeze(0), None),
    ("unsqueeze_neg", [(2, 3)], lambda x: x.unsqueeze(-1), None),
    ("unsqueeze_mid", [(2, 3)], lambda x: x.unsqueeze(1), None),
    ("permute", [(2, 3, 4)], lambda x: x.permute(2, 0, 1), None),
    ("permute_tuple", [(2, 3, 4)], lambda x: x.permute((1, -1, 0)), None),
    ("transpose", [(2, 3, 4)], lambda x: x.transpose(0, 2), None),
    ("transpose_neg", [(2, 3, 4)], lambda x: x.transpose(-1, -2), None),
    ("transpose_same", [(2, 3)], lambda x: x.transpose(1, 1), None),
    ("swapaxes", [(2, 3, 4)], lambda x: x.swapaxes(0, 1), None),
    ("t", [(2, 3)], lambda x: x.t(), None),
    ("t_1d", [(3,)], lambda x: x.t(), None),
    ("T_twice", [(2, 3)], lambda x: (x.T * 2).T, None),
    ("T_2d", [(2, 3)], lambda x: x.T, None),
    ("mT", [(2, 3, 4)], lambda x: x.mT, None),
    ("movedim", [(2, 3, 4)], lambda x: x.movedim(0, -1), None),
    ("movedim_tuple", [(2, 3, 4)], lambda x: x.movedim((0, 1), (2, 0)), None),
    ("expand", [(3, 1)], lambda x: x.expand(3, 4), None),
    ("expand_new_dims", [(3, 1)], lambda x: x.expand(2, -1, 5), None),
    ("expand_tuple", [(1,)], lambda x: x.expand((2, 3)), None),
    ("expand_as", [(1, 4), (3, 4)], lambda x, y: x.expand_as(y) * y, None),
    ("broadcast_to", [(3, 1)], lambda x: x.broadcast_to((2, 3, 2)), None),
    ("repeat", [(2, 3)], lambda x: x.repeat(2, 2), None),
    ("repeat_new_dim", [(2, 3)], lambda x: x.repeat(2, 1, 3), None),
    ("tile", [(2, 3)], lambda x: x.tile((2,)), None),
    ("tile_more", [(2, 3)], lambda x: x.tile((2, 1, 2)), None),
    ("flip", [(2, 3, 4)], lambda x: x.flip(0), None),
    ("flip_many", [(2, 3, 4)], lambda x: x.flip(0, 2), None),
    ("flip_list", [(2, 3, 4)], lambda x: x.flip([-1]), None),
    ("fliplr", [(2, 3)], lambda x: x.fliplr(), None),
    ("roll_flat", [(2, 3)], lambda x: x.roll(2), None),
    ("roll_dim", [(2, 3, 4)], lambda x: x.roll(-1, 1), None),
    ("roll_dims", [(2, 3, 4)], lambda x: x.roll((1, -1), (0, 2)), None),
    ("narrow", [(2, 5)], lambda x: x.narrow(1, 1, 3), None),
    ("narrow_neg", [(4, 3)], lambda x: x.narrow(-2, 0, 2), None),
    ("select", [(2, 3, 4)], lambda x: x.select(1, -1), None),
    ("split", [(5, 3)], lambda x: x.split(2), None),
    ("split_dim", [(2, 5)], lambda x: x.split(3, dim=1), None),
    ("split_sizes", [(2, 5)], lambda x: x.split([1, 4], dim=-1), None),
    ("split_fn", [(5, 2)], lambda x: glassnet.split(x, [2, 3]), lambda x: torch.split(x, [2, 3])),
    ("chunk", [(5, 2)], lambda x: x.chunk(2), None),
    ("chunk_dim", [(2, 3, 4)], lambda x: x.chunk(3, dim=2), None),
    ("unbind", [(3, 2)], lambda x: x.unbind(), None),
    ("unbind_dim", [(3, 2, 4)], lambda x: x.unbind(-1), None),
    ("cat0", [(2, 3), (1, 3), (4, 3)], _cat(glassnet, 0), _cat(torch, 0)),
    ("cat1", [(2, 3), (2, 1), (2, 2)], _cat(glassnet, 1), _cat(torch, 1)),
    ("cat_neg", [(2, 3, 1), (2, 3, 2), (2, 3, 1)], _cat(glassnet, -1), _cat(torch, -1)),
    (
        "concat",
        [(2, 3), (2, 3)],
        lambda a, b: glassnet.concat((a, b), 1),
        lambda a, b: torch.concat((a, b), 1),
    ),
    ("stack0", [(2, 3), (2, 3)], _stack(glassnet, 0), _stack(torch, 0)),
    ("stack1", [(2, 3), (2, 3)], _stack(glassnet, 1), _stack(torch, 1)),
    ("stack_neg", [(2, 3), (2, 3)], _stack(glassnet, -1), _stack(torch, -1)),
    (
        "hstack",
        [(2, 3), (2, 1)],
        lambda a, b: glassnet.hstack([a, b]),
        lambda a, b: torch.hstack([a, b]),
    ),
    (
        "vstack",
        [(3,), (3,)],
        lambda a, b: glassnet.vstack([a, b]),
        lambda a, b: torch.vstack([a, b]),
    ),
    ("tril", [(3, 4)], lambda x: x.tril(), None),
    ("tril_k", [(2, 3, 4)], lambda x: x.tril(1), None),
    ("triu", [(3, 4)], lambda x: x.triu(), None),
    ("triu_k", [(2, 4, 3)], lambda x: x.triu(-1), None),
    ("tril_fn", [(3, 3)], lambda x: glassnet.tril(x, -1), lambda x: torch.tril(x, -1)),
    ("diagonal", [(3, 4)], lambda x: x.diagonal(), None),
    ("diagonal_offset", [(3, 4)], lambda x: x.diagonal(1), None),
    ("diagonal_neg_offset", [(3, 4)], lambda x: x.diagonal(-2), None),
    ("diagonal_dims", [(3, 4, 5)], lambda x: x.diagonal(0, 0, 2), None),
    ("diagonal_neg_dims", [(3, 4, 5)], lambda x: x.diagonal(1, -1, -2), None),
    ("pad_const", [(2, 3, 5)], _pad(glassnet, (1, 2)), _pad(torch, (1, 2))),
    (
        "pad_const_2d",
        [(2, 3, 5)],
        _pad(glassnet, (1, 1, 2, 0), value=0.5),
        _pad(torch, (1, 1, 2, 0), value=0.5),
    ),
    ("pad_const_all", [(2, 3)], _pad(glassnet, (0, 1, 1, 0)), _pad(torch, (0, 1, 1, 0))),
    ("pad_crop", [(2, 3, 5)], _pad(glassnet, (-1, 2, 0, -2)), _pad(torch, (-1, 2, 0, -2))),
    ("pad_reflect", [(2, 3, 5)], _pad(glassnet, (2, 1), "reflect"), _pad(torch, (2, 1), "reflect")),
    (
        "pad_reflect_2d",
        [(1, 2, 4, 5)],
        _pad(glassnet, (1, 2, 3, 1), "reflect"),
        _pad(torch, (1, 2, 3, 1), "reflect"),
    ),
    (
        "pad_replicate",
        [(2, 3, 5)],
        _pad(glassnet, (3, 1), "replicate"),
        _pad(torch, (3, 1), "replicate"),
    ),
    (
        "pad_replicate_2d",
        [(1, 2, 3, 4)],
        _pad(glassnet, (2, 0, 1, 3), "replicate"),
        _pad(torch, (2, 0, 1, 3), "replicate"),
    ),
    (
        "pad_circular",
        [(2, 3, 5)],
        _pad(glassnet, (2, 5), "circular"),
        _pad(torch, (2, 5), "circular"),
    ),
    (
        "pad_circular_2d",
        [(1, 2, 3, 4)],
        _pad(glassnet, (1, 2, 3, 0), "circular"),
        _pad(torch, (1, 2, 3, 0), "circular"),
    ),
]


@pytest.mark.parametrize("shapes,fn,torch_fn", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_op(shapes, fn, torch_fn, device):
    check_op(shapes, fn, torch_fn, device=device)


# ---- views share memory and version counters ----------------------------------------------
VIEWS = [
    ("view", lambda x: x.view(12)),
    ("reshape", lambda x: x.reshape(2, 6)),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("permute", lambda x: x.permute(1, 0)),
    ("T", lambda x: x.T),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("squeeze", lambda x: x.unsqueeze(1).squeeze()),
    ("flatten", lambda x: x.flatten()),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("select", lambda x: x.select(0, 1)),
    ("split", lambda x: x.split(1)[1]),
    ("chunk", lambda x: x.chunk(2, 1)[1]),
    ("unbind", lambda x: x.unbind(1)[2]),
    ("diagonal", lambda x: x.diagonal(1)),
    ("movedim", lambda x: x.movedim(0, 1)),
]


@pytest.mark.parametrize("fn", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_view_shares_memory(fn, device):
    base = np.arange(12.0).reshape(3, 4)
    g, t = glassnet.tensor(base, device=device), torch.tensor(base)
    gv, tv = fn(g), fn(t)
    gv.mul_(10)  # writing the view changes the base
    tv.mul_(10)
    np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())
    assert g._version is gv._version and g._version_value == 1
    g.add_(1)  # and writing the base changes the view
    t.add_(1)
    np.testing.assert_array_equal(gv.cpu().numpy(), tv.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.flip(0),
        lambda x: x.roll(1),
        lambda x: x.tril(),
        lambda x: x.repeat(1, 1),
        lambda x: glassnet.cat([x]) if isinstance(x, glassnet.Tensor) else torch.cat([x]),
    ],
)
def test_copying_ops_do_not_alias(fn, device):
    g = glassnet.ones(3, 3, device=device)
    out = fn(g)
    out.mul_(5)
    assert float(g.sum()) == 9.0


def test_reshape_of_noncontiguous_copies():
    x = glassnet.arange(6.0).view(2, 3).t()
    y = x.reshape(6)
    y.mul_(0)
    assert x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_inplace_on_base_after_view_is_detected_in_backward():
    w = glassnet.ones(3, requires_grad=True)
    h = w * 2
    v = h.view(3)
    y = (v * v).sum()  # mul saves v
    h.mul_(2)  # shares the version counter with v
    with pytest.raises(glassnet.AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_expand_is_a_read_only_view():
    x = glassnet.zeros(3, 1)
    y = x.expand(3, 4)
    x.add_(1)
    assert y.tolist() == [[1.0] * 4] * 3
    with pytest.raises(glassnet.GlassnetError, match="read-only"):
        y.add_(1)


def test_tensor_properties_are_properties():
    x = glassnet.zeros(2, 3, 4)
    assert isinstance(glassnet.Tensor.T, property) and isinstance(glassnet.Tensor.mT, property)
    assert x.mT.shape == (2, 4, 3) and x.T.shape == (4, 3, 2)


def test_split_chunk_return_tuples():
    x = glassnet.arange(10)
    assert isinstance(x.split(3), tuple) and [len(p) for p in x.split(3)] == [3, 3, 3, 1]
    assert [len(p) for p in x.chunk(4)] == [len(p) for p in torch.arange(10).chunk(4)]
    assert [len(p) for p in x.chunk(6)] == [len(p) for p in torch.arange(10).chunk(6)]


def test_cat_promotes_and_skips_legacy_empty():
    a = glassnet.tensor([1, 2])
    b = glassnet.tensor([0.5])
    out = glassnet.cat([glassnet.zeros(0), a, b])
    assert out.dtype == glassnet.float32 and out.tolist() == [1.0, 2.0, 0.5]
    assert glassnet.cat([glassnet.zeros(0), glassnet.ones(2, 2)]).shape == (2, 2)


def test_int_tensors_pass_through():
    x = glassnet.arange(6)
    assert x.view(2, 3).t().flip(0).tolist() == torch.arange(6).view(2, 3).t().flip(0).tolist()
    assert glassnet.stack([x, x]).dtype == glassnet.int64


# ---- errors --------------------------------------------------------------------------------
def test_view_of_incompatible_layout_suggests_reshape():
    x = glassnet.zeros(2, 3).t()
    with pytest.raises(glassnet.ShapeError, match=r"view.*not compatible.*reshape"):
        x.view(6)


def test_bad_shape_names_sizes():
    with pytest.raises(glassnet.ShapeError, match=r"reshape: shape \[4, 2\] is invalid .* 6"):
        glassnet.zeros(2, 3).reshape(4, 2)
    with pytest.raises(glassnet.ShapeError, match="only one dimension can be inferred"):
        glassnet.zeros(2, 3).view(-1, -1)


def test_cat_mismatch_names_op_shapes_and_dim():
    with pytest.raises(glassnet.ShapeError, match=r"cat: .*dimension 1.*\(2, 3\).*\(3, 4\)"):
        glassnet.cat([glassnet.zeros(2, 3), glassnet.zeros(3, 4)], dim=1)
    with pytest.raises(glassnet.ShapeError, match="cat"):
        glassnet.cat([glassnet.zeros(2, 3), glassnet.zeros(2, 3, 1)])


def test_stack_mismatch():
    with pytest.raises(glassnet.ShapeError, match=r"stack: .*\(2, 3\) at entry 0.*\(2, 4\)"):
        glassnet.stack([glassnet.zeros(2, 3), glassnet.zeros(2, 4)])


def test_expand_mismatch():
    with pytest.raises(glassnet.ShapeError, match=r"expand.*\(4\).*existing size \(3\)"):
        glassnet.zeros(2, 3).expand(2, 4)


def test_other_shape_errors():
    x = glassnet.zeros(2, 3)
    with pytest.raises(glassnet.ShapeError, match="split_sizes"):
        x.split([1, 1], dim=1)
    with pytest.raises(glassnet.ShapeError, match="repeat"):
        x.repeat(2)
    with pytest.raises(glassnet.ShapeError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(IndexError, match="transpose"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="narrow"):
        x.narrow(1, 2, 2)
    with pytest.raises(glassnet.ShapeError, match="t: expects a tensor with <= 2"):
        glassnet.zeros(1, 1, 1).t()
    with pytest.raises(glassnet.ShapeError, match="reflect"):
        glassnet.pad(x, (3, 0), mode="reflect")
    with pytest.raises(glassnet.ShapeError, match="divisible by 2"):
        glassnet.pad(x, (1,))
