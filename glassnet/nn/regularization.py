"""Weight penalties to add to a loss, and a max-norm constraint to apply after each step.

``l1_penalty`` (sum of |w|) pushes weights to exactly zero (sparse models); ``l2_penalty`` (sum
of w^2) keeps them small, like weight decay but visible in the loss. Both return a
differentiable scalar, so ``loss = criterion(out, y) + 1e-4 * l2_penalty(model.parameters())``
just works. ``max_norm_`` rescales, in place, any slice of a weight whose L2 norm exceeds a
limit (the constraint of Srivastava et al.'s dropout paper; Keras's ``MaxNorm``).
Also available as ``glassnet.nn.utils.l1_penalty`` and so on.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([[3.0, -4.0]]))
>>> l1_penalty([w]), l2_penalty([w])
(tensor(7., grad_fn=<SumBackward0>), tensor(25., grad_fn=<SumBackward0>))
"""

from __future__ import annotations

from glassnet import backend
from glassnet.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty", "max_norm_"]


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    params = list(parameters)
    if not params:
        raise ValueError(
            "penalty: got no parameters (an exhausted generator? call model.parameters() again)"
        )
    return params


def l1_penalty(parameters):
    """Sum of |w| over every element of every parameter (a differentiable scalar)."""
    total = None
    for p in _params(parameters):
        term = p.abs().sum()
        total = term if total is None else total + term
    return total


def l2_penalty(parameters):
    """Sum of w^2 over every element of every parameter (no 1/2 factor; a differentiable
    scalar). Adding ``lam * l2_penalty`` to the loss adds ``2 * lam * w`` to each gradient."""
    total = None
    for p in _params(parameters):
        term = (p * p).sum()
        total = term if total is None else total + term
    return total


def max_norm_(weight, max_norm, dim=0, eps=1e-7):
    """Rescale, in place and outside autograd, each slice ``weight.select(dim, i)`` whose L2
    norm exceeds ``max_norm`` down to that norm (``torch.renorm(w, 2, dim, max_norm)``).
    For ``nn.Linear`` the default ``dim=0`` limits each output unit's incoming weights.

    >>> import glassnet
    >>> w = glassnet.nn.Parameter(glassnet.tensor([[3.0, 4.0], [0.3, 0.4]]))
    >>> max_norm_(w, 1.0)
    Parameter containing:
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]], requires_grad=True)
    """
    data = weight._data
    xp = backend.get_array_module(data)
    dim = dim % data.ndim
    axes = tuple(i for i in range(data.ndim) if i != dim)
    norms = xp.sqrt((data * data).sum(axis=axes, keepdims=True))
    scale = xp.where(norms > max_norm, max_norm / (norms + eps), 1).astype(data.dtype)
    data *= scale
    weight._version[0] += 1
    return weight
