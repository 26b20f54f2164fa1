"""Eval-mode batch norm written into an array that is already there: the per-channel
``scale = weight / sqrt(running_var + eps)`` and ``shift = bias - running_mean * scale`` of
``ops.normalization.BatchNorm`` (the same expressions, in the same order, so the numbers are
the same bit for bit), applied in place to a fresh convolution output instead of to a copy.

Used by the inference path of ``Sequential`` (``nn.conv_norm_fold``): a Conv2d followed by
an eval-mode BatchNorm2d then costs one layer call, and no second output array.

Nothing is cached: ``scale`` and ``shift`` are C numbers, recomputed on each call in a few
microseconds, so a change of the weights or the running statistics (by any route, including
``p.data.mul_()``, which no version counter sees) is always in the next output.

>>> import numpy as np
>>> y = np.array([[[[1.0, 3.0]]]])
>>> eval_batch_norm_(y, np.array([1.0]), np.array([4.0]), np.array([2.0]), None, 0.0)
array([[[[0., 2.]]]])
"""

from __future__ import annotations

from glassnet.backend import get_array_module
from glassnet.ops.normalization import _SMALL, _spread

__all__ = ["eval_batch_norm_", "eval_scale_shift"]


def eval_scale_shift(mean, var, weight, bias, eps):
    """(scale, shift), each (C,), of an eval-mode batch norm; ``weight``/``bias`` may be
    None (affine=False)."""
    xp = get_array_module(var)
    invstd = 1 / xp.sqrt(var + eps)
    scale = invstd if weight is None else weight * invstd
    shift = -mean * scale if bias is None else bias - mean * scale
    return scale, shift


def eval_batch_norm_(y, mean, var, weight, bias, eps):
    """``y * scale + shift`` per channel (dim 1) of the (N, C, ...) array y, written into y.
    Small arrays broadcast (C, 1) columns; large ones use rows spread to (C*S,), NumPy's
    faster contiguous loop there (the two layouts of ``BatchNorm``'s eval forward)."""
    if not y.flags.c_contiguous:  # a reshape would copy, and the writes would be lost
        raise ValueError("eval_batch_norm_: y must be C-contiguous (it is written in place)")
    scale, shift = eval_scale_shift(mean, var, weight, bias, eps)
    n, c = y.shape[0], y.shape[1]
    s = y.size // max(n * c, 1)
    if y.size <= _SMALL:
        y3 = y.reshape(n, c, s)
        y3 *= scale[:, None]
        y3 += shift[:, None]
    else:
        xp = get_array_module(y)
        y2 = y.reshape(n, c * s)
        y2 *= _spread(xp, scale, s)
        y2 += _spread(xp, shift, s)
    return y
