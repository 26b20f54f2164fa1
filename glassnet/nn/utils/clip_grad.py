"""Gradient clipping: rescale (clip_grad_norm_) or cap (clip_grad_value_) the gradients of a
model's parameters in place, between ``backward()`` and ``optimizer.step()``.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.zeros(2))
>>> w.grad = glassnet.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)
tensor(5.)
>>> w.grad
tensor([0.6000, 0.8000])
"""

from __future__ import annotations

import math

from glassnet import backend
from glassnet.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(array, norm_type):
    xp = backend.get_array_module(array)
    if norm_type == math.inf:
        return xp.abs(array).max()
    if norm_type == -math.inf:
        return xp.abs(array).min()
    if norm_type == 2:
        flat = array.reshape(-1)
        return xp.sqrt(flat @ flat)
    if norm_type == 1:
        return xp.abs(array).sum()
    return (xp.abs(array) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` taken together (as if concatenated).

    >>> import glassnet
    >>> get_total_norm([glassnet.tensor([3.0]), glassnet.tensor([4.0])])
    tensor(5.)
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        from glassnet.creation import tensor

        return tensor(0.0)
    norms = [_norm(t._data, norm_type) for t in tensors]
    xp = backend.get_array_module(norms[0])
    total = _norm(xp.stack([n.astype(norms[0].dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(xp.asarray(total))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for g in grads:
        # Multiplying by 1.0 too keeps the arithmetic identical to PyTorch's (which always does).
        g._data *= g._data.dtype.type(coef)
        g._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so their total norm is at most ``max_norm``; return the norm they
    had before (a tensor). Call it after ``loss.backward()``, before ``optimizer.step()``:
    it tames exploding gradients (RNNs, transformers). ``norm_type`` may be ``float('inf')``.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place.

    >>> import glassnet
    >>> w = glassnet.nn.Parameter(glassnet.zeros(3))
    >>> w.grad = glassnet.tensor([-5.0, 0.5, 5.0])
    >>> clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = backend.get_array_module(g._data)
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version[0] += 1
