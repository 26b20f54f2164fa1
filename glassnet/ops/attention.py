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

from glassnet.autograd import Function
from glassnet.backend import get_array_module


def _scores(q, k, bias, causal, scale, groups):
    xp = get_array_module(q)
    if groups > 1:  # grouped-query attention: each key/value head serves `groups` query heads
        k = xp.repeat(k, groups, axis=-3)
    s = xp.matmul(q, xp.swapaxes(k, -1, -2))
    s *= s.dtype.type(scale)
    if bias is not None:
        s = s + bias
    if causal:
        length, source = s.shape[-2], s.shape[-1]
        upper = xp.triu(xp.ones((length, source), dtype=bool), 1)
        s = xp.where(upper, s.dtype.type(-np.inf), s)
    return s


def _softmax(s, safe):
    """Softmax over the last axis. ``safe``: rows that mask out every key give zeros rather than
    NaN (PyTorch's scaled_dot_product_attention does this; MultiheadAttention's weights don't)."""
    xp = get_array_module(s)
    m = s.max(axis=-1, keepdims=True)
    if safe:
        m = xp.where(xp.isfinite(m), m, 0)
    with _Quiet(xp):
        p = xp.exp(s - m)
        denom = p.sum(axis=-1, keepdims=True)
        if safe:
            denom = xp.where(denom == 0, 1, denom)
        p /= denom
    return p


def _scores_backward(fn, dp):
    """Gradients of q, k and bias from the gradient of the probabilities."""
    xp = get_array_module(dp)
    p = fn.p
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    scale = ds.dtype.type(fn.scale)
    k = xp.repeat(fn.k, fn.groups, axis=-3) if fn.groups > 1 else fn.k
    dq = xp.matmul(ds, k) * scale if fn.needs[0] else None
    dk = None
    if fn.needs[1]:
        dk = xp.matmul(xp.swapaxes(ds, -1, -2), fn.q) * scale
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
        self.p = _softmax(_scores(q, k, bias, causal, scale, groups), safe)
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
        dq, dk, dbias = _scores_backward(self, dp)
        return dq, dk, dv, dbias


class AttentionWeights(Function):
    """``softmax(q @ k^T * scale + bias)``: the attention probabilities, differentiable with
    respect to q, k and bias."""

    def forward(self, q, k, bias, causal, scale, safe, groups=1, needs=(True, True, False)):
        self.q, self.k, self.scale, self.groups, self.needs = q, k, scale, groups, needs
        self.p = _softmax(_scores(q, k, bias, causal, scale, groups), safe)
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
