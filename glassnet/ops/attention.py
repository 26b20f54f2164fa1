"""Fused attention: ``softmax(q @ k^T * scale + bias) @ v`` in one Function.

Composed from matmul, softmax, dropout and matmul, attention keeps four (L, S) arrays per head
alive for the backward and runs a dozen small ops; fused, it keeps the probabilities (and the
dropout mask) only, and its backward is the short formula

    dP = dO @ V^T          dV = P^T @ dO          dS = P * (dP - sum(dP * P, -1))
    dQ = dS @ K * scale    dK = dS^T @ Q * scale  d(bias) = dS

``AttentionWeights`` is the first half on its own (the probabilities), for callers that must
return them, as ``MultiheadAttention`` does with ``need_weights=True``.

>>> import glassnet
>>> q = k = v = glassnet.ones(1, 2, 4)
>>> ScaledDotProductAttention.apply(q, k, v, None, False, 0.5, None, True, 1).shape
glassnet.Size([1, 2, 4])
"""

from __future__ import annotations

import numpy as np

from glassnet import kernels
from glassnet.autograd import Function
from glassnet.backend import get_array_module


def _scores(q, k, bias, scale, groups):
    """``q @ k^T * scale + bias``, a fresh array the softmax may work on in place. The scale is
    folded into whichever of q and the scores is smaller."""
    xp = get_array_module(q)
    if groups > 1:  # grouped-query attention: each key/value head serves `groups` query heads
        k = xp.repeat(k, groups, axis=-3)
    scale = q.dtype.type(scale)
    fold = q.shape[-1] < k.shape[-2]
    s = xp.matmul(q * scale if fold else q, xp.swapaxes(k, -1, -2))
    if not fold:
        s *= scale
    if bias is not None:
        if _fits(bias.shape, s.shape):
            s += bias
        else:
            s = s + bias
    return s


def _fits(small, big):
    """Whether an array of shape ``small`` broadcasts to ``big`` without enlarging it."""
    return len(small) <= len(big) and all(a in (1, b) for a, b in zip(small[::-1], big[::-1]))


_CAUSAL = {}


def _causal_keep(xp, length, source, dtype):
    """The (L, S) 0/1 array that keeps key j <= query i, cached (NumPy only) since every causal
    call of the same length needs the same one."""
    key = (length, source, dtype)
    keep = _CAUSAL.get(key) if xp is np else None
    if keep is None:
        keep = xp.tril(xp.ones((length, source), dtype=dtype))
        if xp is np:
            if len(_CAUSAL) > 64:
                _CAUSAL.clear()
            _CAUSAL[key] = keep
    return keep


def _probabilities(q, k, bias, causal, scale, safe, groups):
    """``softmax(q @ k^T * scale + bias)`` over the last axis; ``causal`` masks key j > query i.
    ``safe``: rows that mask out every key give zeros rather than NaN (PyTorch's
    scaled_dot_product_attention does this; MultiheadAttention's weights don't)."""
    s = _scores(q, k, bias, scale, groups)
    if s.shape[-1] == 0:  # no keys at all: empty weights, so the output is zeros (as PyTorch)
        return s
    xp = get_array_module(s)
    keep = _causal_keep(xp, s.shape[-2], s.shape[-1], s.dtype) if causal else None
    with _Quiet(xp):
        if s.size and _softmax_matrices(s, keep):
            return s
        return _softmax_rows(_scores(q, k, bias, scale, groups), keep, safe)


def _compiled_softmax(a):
    """:mod:`glassnet.kernels.softmax` for a C-contiguous float32 NumPy array of probabilities
    with at least one key, where kernels are wanted; else None. Only the backward uses it: the
    forward's matrix-shifted softmax above is as fast as the kernel's per-row one at attention
    sizes (64 keys: 1.07 against 0.78-1.19 ms for 16x4 heads), the backward's one pass is 2.2x
    faster than its einsum and two passes (0.18 against 0.39 ms)."""
    if a.dtype != np.float32 or not kernels.wanted(a) or not a.flags.c_contiguous:
        return None
    if a.shape[-1] == 0:
        return None
    from glassnet.kernels import softmax

    return softmax


def _softmax_matrices(s, keep):
    """Softmax in place, shifted by each (L, S) matrix's maximum rather than each row's: a
    contiguous reduction, several times faster than a per-row one, and as exact unless a row
    falls so far below its matrix's maximum that its exponentials lose precision. The row sums
    reveal that (and fully masked rows); then it returns False, and s is left spoilt."""
    xp = get_array_module(s)
    top = s.max(axis=(-2, -1), keepdims=True)
    if not bool(xp.isfinite(top).all()):
        return False
    s -= top
    xp.exp(s, out=s)
    if keep is not None:
        s *= keep
    denom = s @ xp.ones(s.shape[-1], dtype=s.dtype)
    info = np.finfo(s.dtype)
    if not denom.min() >= info.tiny / info.eps:  # also catches NaN
        return False
    s *= (1 / denom)[..., None]
    return True


def _softmax_rows(s, keep, safe):
    """The textbook softmax, shifted by each row's maximum, in place."""
    xp = get_array_module(s)
    if s.shape[-1] == 0:  # no keys: empty probabilities (attention then gives zeros, as PyTorch)
        return s
    if keep is not None:
        s[..., keep == 0] = -np.inf
    m = s.max(axis=-1, keepdims=True)
    if safe:
        m = xp.where(xp.isfinite(m), m, 0)
    s -= m
    xp.exp(s, out=s)
    denom = s.sum(axis=-1, keepdims=True)
    if safe:
        denom = xp.where(denom == 0, 1, denom)
    s /= denom
    return s


def _softmax_grad(dp, p, own):
    """The gradient of the scores from that of the probabilities: ``p * (dp - sum(dp * p))``
    over the last axis (``own``: dp is a scratch array that becomes the result)."""
    xp = get_array_module(dp)
    compiled = _compiled_softmax(p)
    if compiled is not None and dp.flags.c_contiguous and dp.dtype == p.dtype:
        ds = dp if own else xp.empty_like(dp)
        shape = (-1, *p.shape[-2:])
        compiled.softmax_rows_grad(dp.reshape(shape), p.reshape(shape), ds.reshape(shape))
        return ds
    rows = xp.einsum("...j,...j->...", dp, p)[..., None]
    if own:
        dp -= rows
        ds = dp
    else:
        ds = dp - rows
    ds *= p
    return ds


def _scores_backward(fn, dp, own=False):
    """Gradients of q, k and bias from the gradient of the probabilities (``own``: dp is a
    scratch array that may be overwritten)."""
    xp = get_array_module(dp)
    ds = _softmax_grad(dp, fn.p, own)
    scale = ds.dtype.type(fn.scale)
    k = xp.repeat(fn.k, fn.groups, axis=-3) if fn.groups > 1 else fn.k
    dq = None
    if fn.needs[0]:
        dq = xp.matmul(ds, k)
        dq *= scale
    dk = None
    if fn.needs[1]:
        dk = xp.matmul(xp.swapaxes(ds, -1, -2), fn.q)
        dk *= scale
        if fn.groups > 1:
            dk = _sum_groups(dk, fn.groups)
    return dq, dk, (ds if fn.needs[-1] else None)


def _sum_groups(g, groups):
    shape = g.shape[:-3] + (g.shape[-3] // groups, groups) + g.shape[-2:]
    return g.reshape(shape).sum(axis=-3)


class ScaledDotProductAttention(Function):
    """The whole of attention. ``bias``: an additive mask broadcastable to (..., L, S), or None;
    ``drop``: the dropout keep-mask (already scaled by 1/(1-p)), or None; ``groups``: query heads
    per key/value head; ``needs``: which of q, k, v, bias need gradients."""

    def forward(
        self, q, k, v, bias, causal, scale, drop, safe, groups, needs=(True, True, True, False)
    ):
        xp = get_array_module(q)
        self.q, self.k, self.v, self.scale, self.groups = q, k, v, scale, groups
        self.needs, self.drop = needs, drop
        self.p = _probabilities(q, k, bias, causal, scale, safe, groups)
        pd = self.p if drop is None else self.p * drop
        return xp.matmul(pd, xp.repeat(v, groups, axis=-3) if groups > 1 else v)

    def backward(self, grad):
        xp = get_array_module(grad)
        v = xp.repeat(self.v, self.groups, axis=-3) if self.groups > 1 else self.v
        dv = None
        if self.needs[2]:
            pd = self.p if self.drop is None else self.p * self.drop
            dv = xp.matmul(xp.swapaxes(pd, -1, -2), grad)
            if self.groups > 1:
                dv = _sum_groups(dv, self.groups)
        dp = xp.matmul(grad, xp.swapaxes(v, -1, -2))
        if self.drop is not None:
            dp *= self.drop
        dq, dk, dbias = _scores_backward(self, dp, own=True)
        return dq, dk, dv, dbias


def _split_heads(qkv, heads):
    """q, k and v of a packed (N, L, 3E) projection as (N, heads, L, E // heads) views: BLAS
    reads such strided matrices directly, so the heads are never copied out."""
    n, length, e3 = qkv.shape
    per_head = qkv.reshape(n, length, 3, heads, e3 // (3 * heads))
    return tuple(per_head[:, :, i].transpose(0, 2, 1, 3) for i in range(3))


def _matmul_into(a, b, out):
    """``out[...] = a @ b``; NumPy writes into the (strided) view itself."""
    xp = get_array_module(a)
    if xp is np:
        xp.matmul(a, b, out=out)
    else:
        out[...] = xp.matmul(a, b)
    return out


class PackedSelfAttention(Function):
    """Multi-head self-attention from the packed input projection ``qkv`` = x @ W_in^T + b_in,
    (N, L, 3E), to the heads' concatenated outputs (N, L, E), before the output projection.

    The same computation as splitting qkv into q, k and v, reshaping each to (N, heads, L, D),
    running ``ScaledDotProductAttention`` and transposing the result back; done as one op, the
    heads are strided views of qkv, the output is written in (N, L, E) order and the gradient
    of qkv is one array, with no per-head copies and no three-way split in the graph. ``bias``:
    an additive mask broadcastable to (N, heads, L, L), or None; ``drop``: the dropout
    keep-mask (scaled by 1/(1-p)), or None."""

    def forward(self, qkv, bias, causal, scale, drop, safe, heads):
        xp = get_array_module(qkv)
        n, length, e3 = qkv.shape
        self.qkv, self.heads, self.scale, self.drop = qkv, heads, scale, drop
        q, k, v = _split_heads(qkv, heads)
        self.p = _probabilities(q, k, bias, causal, scale, safe, 1)
        pd = self.p if drop is None else self.p * drop
        out = xp.empty((n, length, heads, e3 // (3 * heads)), dtype=qkv.dtype)
        _matmul_into(pd, v, out.transpose(0, 2, 1, 3))
        return out.reshape(n, length, e3 // 3)

    def backward(self, grad):
        xp = get_array_module(grad)
        n, length, e3 = self.qkv.shape
        heads = self.heads
        q, k, v = _split_heads(self.qkv, heads)
        g = grad.reshape(n, length, heads, e3 // (3 * heads)).transpose(0, 2, 1, 3)
        dqkv = xp.empty(self.qkv.shape, dtype=grad.dtype)
        dq, dk, dv = _split_heads(dqkv, heads)
        pd = self.p if self.drop is None else self.p * self.drop
        _matmul_into(xp.swapaxes(pd, -1, -2), g, dv)
        dp = xp.matmul(g, xp.swapaxes(v, -1, -2))
        if self.drop is not None:
            dp *= self.drop
        ds = _softmax_grad(dp, self.p, True)
        scale = ds.dtype.type(self.scale)
        _matmul_into(ds, k, dq)
        _matmul_into(xp.swapaxes(ds, -1, -2), q, dk)
        dqk = dqkv.reshape(n, length, 3, e3 // 3)[:, :, :2]  # the q and k thirds
        dqk *= scale
        need_bias = self._next[1] is not None
        return dqkv, (ds if need_bias else None)


class AttentionWeights(Function):
    """``softmax(q @ k^T * scale + bias)``: the attention probabilities, differentiable with
    respect to q, k and bias."""

    def forward(self, q, k, bias, causal, scale, safe, groups=1, needs=(True, True, False)):
        self.q, self.k, self.scale, self.groups, self.needs = q, k, scale, groups, needs
        self.p = _probabilities(q, k, bias, causal, scale, safe, groups)
        return self.p

    def backward(self, grad):
        return _scores_backward(self, grad)


class _Quiet:
    """NumPy warns on the 0/0 of a fully masked row; the NaN is the intended result there."""

    def __init__(self, xp):
        self.state = np.errstate(invalid="ignore") if xp is np else None

    def __enter__(self):
        if self.state is not None:
            self.state.__enter__()

    def __exit__(self, *exc):
        if self.state is not None:
            self.state.__exit__(*exc)
