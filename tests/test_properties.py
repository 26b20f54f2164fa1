"""Property tests: over random shapes, broadcasting binary ops and reductions match PyTorch."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import glassnet
from tests.helpers import numpy_of

SETTINGS = settings(max_examples=25, deadline=None)

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "maximum": lambda a, b: a.maximum(b),
    "pow": lambda a, b: a.abs() ** b,
    "eq": lambda a, b: a.round() == b.round(),
    "lt": lambda a, b: a < b,
}


def _pair(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes.input_shapes]


@SETTINGS
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_binary_ops_match_torch(shapes, op, seed):
    arrays = _pair(shapes, seed)
    fn = BINARY[op]
    differentiable = op not in ("eq", "lt")
    g = [glassnet.tensor(a, requires_grad=differentiable) for a in arrays]
    t = [torch.tensor(a, requires_grad=differentiable) for a in arrays]
    g_out, t_out = fn(*g), fn(*t)
    assert tuple(g_out.shape) == tuple(t_out.shape) == shapes.result_shape
    np.testing.assert_allclose(numpy_of(g_out), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    if differentiable:
        g_out.sum().backward()
        t_out.sum().backward()
        for gi, ti in zip(g, t):
            assert tuple(gi.grad.shape) == tuple(ti.shape)
            np.testing.assert_allclose(numpy_of(gi.grad), ti.grad.numpy(), rtol=1e-9, atol=1e-12)


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, keepdim=k, correction=0),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "norm": lambda x, d, k: x.norm(p=2, dim=d, keepdim=k),
    "norm_p3": lambda x, d, k: x.norm(p=3, dim=d, keepdim=k),
    "any": lambda x, d, k: (x > 0.5).any(d, keepdim=k),
    "all": lambda x, d, k: (x > -1.0).all(d, keepdim=k),
}
SINGLE_DIM = {
    "prod": lambda x, d, k: x.prod(d, keepdim=k),
    "max": lambda x, d, k: x.max(d, keepdim=k).values,
    "argmin": lambda x, d, k: x.argmin(d, keepdim=k),
    "cumsum": lambda x, d, k: x.cumsum(d),
    "cumprod": lambda x, d, k: x.cumprod(d),
    "softmax": lambda x, d, k: x.softmax(d),
    "log_softmax": lambda x, d, k: x.log_softmax(d),
}


def _compare(fn, array, dim, keepdim):
    g = glassnet.tensor(array, requires_grad=True)
    t = torch.tensor(array, requires_grad=True)
    g_out, t_out = fn(g, dim, keepdim), fn(t, dim, keepdim)
    assert tuple(g_out.shape) == tuple(t_out.shape)
    assert str(g_out.dtype) == str(t_out.dtype).replace("torch.", "")
    np.testing.assert_allclose(numpy_of(g_out), t_out.detach().numpy(), rtol=1e-9, atol=1e-12)
    if t_out.requires_grad:
        w = np.random.default_rng(1).uniform(0.5, 1.5, size=tuple(t_out.shape))
        (g_out * glassnet.tensor(w)).sum().backward()
        (t_out * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(numpy_of(g.grad), t.grad.numpy(), rtol=1e-8, atol=1e-10)


@SETTINGS
@given(
    shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
    op=st.sampled_from(sorted(REDUCTIONS)),
    keepdim=st.booleans(),
    data=st.data(),
)
def test_reductions_over_random_dims_match_torch(shape, op, keepdim, data):
    ndim = len(shape)
    dims = data.draw(
        st.lists(
            st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique_by=lambda d: d % ndim
        ),
        label="dims",
    )
    dim = dims[0] if len(dims) == 1 else tuple(dims)
    array = np.random.default_rng(data.draw(st.integers(0, 2**16))).normal(size=shape)
    _compare(REDUCTIONS[op], array, dim, keepdim)


@SETTINGS
@given(
    shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
    op=st.sampled_from(sorted(SINGLE_DIM)),
    keepdim=st.booleans(),
    data=st.data(),
)
def test_single_dim_ops_match_torch(shape, op, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    array = np.random.default_rng(data.draw(st.integers(0, 2**16))).normal(size=shape)
    if op in ("prod", "cumprod"):
        array[array < -1.2] = 0.0  # exact zeros exercise the zero-safe gradients
    _compare(SINGLE_DIM[op], array, dim, keepdim)


@SETTINGS
@given(
    batch=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
    n=st.integers(1, 4),
    m=st.integers(1, 4),
    k=st.integers(1, 4),
    vec_a=st.booleans(),
    vec_b=st.booleans(),
)
def test_matmul_over_random_shapes_matches_torch(batch, n, m, k, vec_a, vec_b):
    sa = (m,) if vec_a else batch.input_shapes[0] + (n, m)
    sb = (m,) if vec_b else batch.input_shapes[1] + (m, k)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    g = [glassnet.tensor(a, requires_grad=True), glassnet.tensor(b, requires_grad=True)]
    t = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    g_out, t_out = g[0] @ g[1], t[0] @ t[1]
    assert tuple(g_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(numpy_of(g_out), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    g_out.sum().backward()
    t_out.sum().backward()
    for gi, ti in zip(g, t):
        np.testing.assert_allclose(numpy_of(gi.grad), ti.grad.numpy(), rtol=1e-10, atol=1e-12)
