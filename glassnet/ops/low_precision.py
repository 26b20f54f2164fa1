"""bfloat16 tensors outside autocast: compute in float32, round the result to bfloat16.

NumPy has no bfloat16 arithmetic; ``ml_dtypes`` gives elementwise ufuncs that already work
this way (each element widened to float32, the result rounded), but its reductions and matrix
products would add in bfloat16, losing a bit per addition. PyTorch's CPU kernels accumulate
bfloat16 sums and products in float32 and round once at the end; ops that must do the same
call ``in_float32``. Written with the differentiable Cast, so no backward is needed: the
incoming bfloat16 gradient is widened (exactly), the float32 backward runs, and each input's
gradient is rounded back to bfloat16, which is what PyTorch's bfloat16 backward returns.

>>> import glassnet
>>> x = glassnet.ones(256, dtype=glassnet.bfloat16) + 2**-8  # 1 + 2**-8 rounds to 1 in bf16
>>> s = glassnet.full((1024,), 1.0, dtype=glassnet.bfloat16).sum()
>>> s.dtype, s.item()  # float32 accumulation: bfloat16 itself would stop at 256
(dtype(bfloat16), 1024.0)
"""

from __future__ import annotations

import functools

from glassnet import dtypes
from glassnet.tensor import Tensor


def is_bf16(*values) -> bool:
    """Whether any of ``values`` is a bfloat16 tensor."""
    return any(isinstance(v, Tensor) and v._data.dtype.name == "bfloat16" for v in values)


def in_float32(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with the bfloat16 tensors among the arguments widened to float32,
    and a float32 tensor result rounded to bfloat16 (other results are returned as they are).
    """
    from glassnet.ops.conversion import to_dtype

    bf16 = next(a._data.dtype for a in (*args, *kwargs.values()) if is_bf16(a))

    def widen(a):
        return to_dtype(a, dtypes.float32) if is_bf16(a) else a

    out = fn(*map(widen, args), **{k: widen(v) for k, v in kwargs.items()})
    if isinstance(out, Tensor) and out._data.dtype == dtypes.float32:
        return to_dtype(out, bf16)
    return out


def bfloat16_in_float32(fn):
    """Decorator for a function whose bfloat16 form computes in float32 and rounds once: the
    losses and normalisations, whose reductions PyTorch's CPU kernels accumulate in float32.

    >>> import glassnet
    >>> import glassnet.nn.functional as F
    >>> x = glassnet.tensor([[0.5, 1.5]]).to(glassnet.bfloat16)
    >>> F.mse_loss(x, glassnet.zeros(1, 2).to(glassnet.bfloat16))
    tensor(1.2500, dtype=glassnet.bfloat16)
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if is_bf16(*args) or is_bf16(*kwargs.values()):
            return in_float32(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper
