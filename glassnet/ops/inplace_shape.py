"""The in-place shape ops of PyTorch: ``x.unsqueeze_(0)``, ``x.squeeze_()``, ``x.t_()``,
``x.transpose_(0, 1)`` (and its spellings ``swapaxes_``/``swapdims_``) change the tensor's
own shape. The view is recorded like its out-of-place op, so gradients flow as before.

>>> import glassnet
>>> x = glassnet.zeros(2, 3)
>>> x.unsqueeze_(0).shape, x.t_ is not None
(glassnet.Size([1, 2, 3]), True)
>>> x.squeeze_().transpose_(0, 1).shape
glassnet.Size([3, 2])
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.errors import AutogradError
from glassnet.tensor import Tensor


def _reshape_in_place(t, op, name):
    tracked = grad_mode.is_grad_enabled() and t.requires_grad
    if tracked and t.grad_fn is None:
        raise AutogradError(
            f"{name}: a leaf tensor that requires grad cannot change its shape in place; use "
            f"the out-of-place op ({name.rstrip('_')}) instead."
        )
    if not tracked:
        t._data = op(Tensor._make(t._data))._data
        t._version[0] += 1
        return t
    # record the view on a stand-in holding the old value and history, as _inplace does
    old = Tensor._make(t._data)
    old.grad_fn, old.requires_grad = t.grad_fn, t.requires_grad
    out = op(old)
    t._data = out._data
    t.grad_fn, t.requires_grad = out.grad_fn, out.requires_grad
    t._version[0] += 1
    return t


def squeeze_(t, dim=None):
    """Remove size-1 dims (all, or ``dim``) in place."""
    return _reshape_in_place(
        t, lambda x: x.squeeze() if dim is None else x.squeeze(dim), "squeeze_"
    )


def unsqueeze_(t, dim):
    """Insert a size-1 dim at ``dim`` in place."""
    return _reshape_in_place(t, lambda x: x.unsqueeze(dim), "unsqueeze_")


def t_(t):
    """Transpose a matrix (or leave a 0-D/1-D tensor) in place."""
    return _reshape_in_place(t, lambda x: x.t(), "t_")


def transpose_(t, dim0, dim1):
    """Swap two dims in place."""
    return _reshape_in_place(t, lambda x: x.transpose(dim0, dim1), "transpose_")


TENSOR_METHODS = {
    "squeeze_": squeeze_,
    "unsqueeze_": unsqueeze_,
    "t_": t_,
    "transpose_": transpose_,
    "swapaxes_": transpose_,
    "swapdims_": transpose_,
}

__all__: list = []
