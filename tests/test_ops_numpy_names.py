"""NumPy's argument names, which PyTorch accepts for its own: ``axis=`` for ``dim=`` and
``keepdims=`` for ``keepdim=`` (``x.sum(axis=0)``), on every function with a ``dim``."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import numpy_of

X = np.arange(12.0).reshape(3, 4) % 5

CALLS = [
    ("sum", lambda m, x: x.sum(axis=1, keepdims=True)),
    ("mean", lambda m, x: m.mean(x, axis=0)),
    ("max", lambda m, x: x.max(axis=0).values),
    ("argmax", lambda m, x: x.argmax(axis=1)),
    ("std", lambda m, x: x.std(axis=1)),
    ("var_mean", lambda m, x: m.var_mean(x, axis=0)[0]),
    ("prod", lambda m, x: x.prod(axis=0, keepdims=True)),
    ("amax", lambda m, x: x.amax(axis=0)),
    ("any", lambda m, x: x.any(axis=0, keepdims=True)),
    ("logsumexp", lambda m, x: x.logsumexp(axis=0)),
    ("cumsum", lambda m, x: x.cumsum(axis=0)),
    ("cummax", lambda m, x: x.cummax(axis=1).values),
    ("softmax", lambda m, x: m.softmax(x, axis=1)),
    ("log_softmax", lambda m, x: x.log_softmax(axis=0)),
    ("cat", lambda m, x: m.cat([x, x], axis=1)),
    ("stack", lambda m, x: m.stack([x, x], axis=0)),
    ("squeeze", lambda m, x: x[None].squeeze(axis=0)),
    ("unsqueeze", lambda m, x: x.unsqueeze(axis=0)),
    ("median", lambda m, x: x.median(axis=0).values),
    ("quantile", lambda m, x: x.quantile(0.5, axis=0)),
    ("sort", lambda m, x: x.sort(axis=0).values),
    ("argsort", lambda m, x: x.argsort(axis=0)),
    ("topk", lambda m, x: x.topk(1, axis=0).values),
    ("gather", lambda m, x: x.gather(axis=0, index=m.zeros(1, 4, dtype=m.long))),
    ("index_select", lambda m, x: x.index_select(axis=0, index=m.tensor([0, 2]))),
    ("narrow", lambda m, x: x.narrow(axis=0, start=0, length=1)),
    ("chunk", lambda m, x: x.chunk(2, axis=1)[0]),
    ("count_nonzero", lambda m, x: x.count_nonzero(axis=0)),
    ("nansum", lambda m, x: x.nansum(axis=0)),
    ("diff", lambda m, x: x.diff(axis=0)),
    ("mode", lambda m, x: x.mode(axis=0).values),
    ("aminmax", lambda m, x: x.aminmax(axis=0).max),
    ("repeat_interleave", lambda m, x: x.repeat_interleave(2, axis=0)),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, m.zeros(1, 4, dtype=m.long), axis=0)),
]


@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_axis_and_keepdims_as_torch(name, call):
    got = call(glassnet, glassnet.tensor(X))
    want = call(torch, torch.tensor(X))
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(numpy_of(got), want.numpy())


def test_dim_and_axis_together_is_an_error():
    with pytest.raises(TypeError, match="both dim and its alias axis"):
        glassnet.ones(2).sum(dim=0, axis=0)
