"""Dropout (statistics, scaling, gradients, eval identity) and Embedding (against PyTorch)."""

import contextlib

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op


def _np(t):
    return glassnet.backend.to_numpy(t.detach()._data)


# ---- dropout ---------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_scaling_and_gradient(p, device):
    x = glassnet.tensor(
        np.random.default_rng(0).uniform(1, 2, size=(200, 500)),
        dtype=glassnet.float32,
        device=device,
        requires_grad=True,
    )
    y = F.dropout(x, p)
    assert y.dtype == glassnet.float32
    out, xs = _np(y), _np(x)
    dropped = out == 0
    assert abs(dropped.mean() - p) < 0.01  # 100k draws: the std of the fraction is < 0.002
    np.testing.assert_allclose(out[~dropped], xs[~dropped] / (1 - p), rtol=1e-6)
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=xs.shape).astype("float32")
    (y * glassnet.tensor(w, device=device)).sum().backward()
    grad = _np(x.grad)
    assert np.all(grad[dropped] == 0)  # gradient only through the kept units
    np.testing.assert_allclose(grad[~dropped], w[~dropped] / (1 - p), rtol=1e-6)


def test_dropout_edge_cases(device):
    x = glassnet.randn(4, 5, device=device, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert not np.any(_np(y))
    y.sum().backward()
    assert not np.any(_np(x.grad))
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


def test_dropout_is_seeded_by_manual_seed(device):
    x = glassnet.ones(50, device=device)
    glassnet.manual_seed(3)
    a = _np(F.dropout(x, 0.5))
    glassnet.manual_seed(3)
    b = _np(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, _np(F.dropout(x, 0.5)))


def test_dropout_inplace(device):
    x = glassnet.ones(1000, device=device)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(_np(x)).tolist()) == {0.0, 2.0}
    leaf = glassnet.ones(6, device=device, requires_grad=True)
    h = leaf * 3.0
    F.dropout(h, 0.5, inplace=True).sum().backward()
    kept = _np(h) != 0
    np.testing.assert_allclose(_np(leaf.grad), np.where(kept, 6.0, 0.0))


@pytest.mark.parametrize(
    "fn, shape, mask_dims",
    [
        (F.dropout2d, (20, 30, 3, 4), 2),
        (F.dropout2d, (20, 30, 7), 1),  # 3-D is (N, C, L), as PyTorch reads it
        (F.dropout1d, (20, 30, 7), 1),
        (F.dropout3d, (40, 30, 2, 2, 3), 3),
    ],
)
def test_channel_dropout_drops_whole_channels(fn, shape, mask_dims, device):
    x = glassnet.ones(shape, device=device, requires_grad=True)
    warns_as_torch = fn is F.dropout2d and len(shape) == 3
    with pytest.warns(UserWarning) if warns_as_torch else contextlib.nullcontext():
        y = fn(x, 0.3)
    out = _np(y)
    per_channel = out.reshape(out.shape[: out.ndim - mask_dims] + (-1,))
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # one decision per channel
    assert set(np.unique(out).tolist()) <= {0.0, float(np.float32(1 / 0.7))}
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.06
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), out, rtol=1e-6)


def test_channel_dropout_errors_and_eval(device):
    # PyTorch warns on a 2-D input (and drops it element by element); a 1-D one has no
    # channel dim to drop while training (tests/test_nn_dropout_ranks.py covers every rank).
    with pytest.warns(UserWarning, match="dropout2d: received a 2-D input"):
        F.dropout2d(glassnet.ones(3, 4))
    with pytest.raises(glassnet.ShapeError, match="dropout2d.*got shape \\(3,\\)"):
        with pytest.warns(UserWarning, match="1-D"):
            F.dropout2d(glassnet.ones(3))
    x = glassnet.ones(2, 3, 4, 4, device=device)
    assert nn.Dropout2d().eval()(x) is x


def test_alpha_dropout_keeps_mean_and_variance():
    x = glassnet.randn(400_000)
    y = _np(F.alpha_dropout(x, 0.2, training=True))
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False, as in PyTorch


def test_dropout_layers_repr_and_modes(device):
    for g, t in [
        (nn.Dropout(0.3), torch.nn.Dropout(0.3)),
        (nn.Dropout2d(0.2, inplace=True), torch.nn.Dropout2d(0.2, inplace=True)),
        (nn.Dropout1d(), torch.nn.Dropout1d()),
        (nn.Dropout3d(), torch.nn.Dropout3d()),
        (nn.AlphaDropout(0.1), torch.nn.AlphaDropout(0.1)),
    ]:
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == []
    drop = nn.Dropout(0.5)
    x = glassnet.ones(1000, device=device)
    assert (_np(drop(x)) == 0).any()
    np.testing.assert_array_equal(_np(drop.eval()(x)), _np(x))


# ---- embedding -------------------------------------------------------------------------------
IDS = np.array([[1, 4, 0, 4], [9, 0, 2, 2]], dtype=np.int64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(padding_idx=0),
        dict(padding_idx=-1),
        dict(scale_grad_by_freq=True),
        dict(padding_idx=2, scale_grad_by_freq=True),
    ],
)
def test_embedding_matches_torch(kw, dtype, device):
    check_layer(
        nn.Embedding(10, 3, **kw),
        torch.nn.Embedding(10, 3, **kw),
        [],
        inputs=[IDS],
        dtype=dtype,
        device=device,
    )


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_like_torch(norm_type, device):
    g, t = (
        nn.Embedding(10, 4, max_norm=1.0, norm_type=norm_type),
        torch.nn.Embedding(10, 4, max_norm=1.0, norm_type=norm_type),
    )
    out = check_layer(g, t, [], inputs=[IDS], device=device)
    np.testing.assert_allclose(_np(g.weight), t.weight.detach().numpy(), rtol=1e-7)
    norms = np.linalg.norm(_np(out[0]), ord=norm_type, axis=-1)
    assert norms.max() <= 1.0 + 1e-6


def test_embedding_padding_row_gets_no_gradient(device):
    emb = nn.Embedding(5, 3, padding_idx=1).to(device)
    assert not np.any(_np(emb.weight)[1])
    emb(glassnet.tensor([[1, 1, 3]], device=device)).sum().backward()
    grad = _np(emb.weight.grad)
    np.testing.assert_array_equal(grad[1], 0)
    np.testing.assert_array_equal(grad[3], 1)


def test_functional_embedding_with_finite_differences():
    weight = np.random.default_rng(0).normal(size=(6, 3))
    ids = np.array([[0, 5, 5], [2, 0, 1]])
    check_op(
        [],
        lambda w, i: F.embedding(i, w),
        lambda w, i: torch.nn.functional.embedding(i, w),
        inputs=[weight, ids],
    )
    # padding_idx drops a true gradient on purpose, so only PyTorch can judge it
    check_op(
        [],
        lambda w, i: F.embedding(i, w, padding_idx=5),
        lambda w, i: torch.nn.functional.embedding(i, w, padding_idx=5),
        inputs=[weight, ids],
        finite_diff=False,
    )


def test_embedding_init_from_pretrained_and_repr():
    emb = nn.Embedding(1000, 64)
    w = _np(emb.weight)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1) like PyTorch
    assert emb.weight.dtype == glassnet.float32
    for kw in [{}, dict(padding_idx=3, max_norm=2.0), dict(scale_grad_by_freq=True)]:
        assert repr(nn.Embedding(10, 4, **kw)) == repr(torch.nn.Embedding(10, 4, **kw))
    table = glassnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(_np(frozen(glassnet.tensor([1, 0]))), [[3, 4], [1, 2]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert list(frozen.state_dict()) == ["weight"]


def test_embedding_errors():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match="index 10 is out of range.*10 rows"):
        emb(glassnet.tensor([3, 10]))
    with pytest.raises(glassnet.DTypeError, match="integer dtype"):
        emb(glassnet.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(glassnet.ShapeError, match="2-D"):
        nn.Embedding.from_pretrained(glassnet.ones(3))


def test_one_hot_is_reexported():
    out = F.one_hot(glassnet.tensor([2, 0]), 3)
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 1], [1, 0, 0]])
    assert out.dtype == glassnet.int64
