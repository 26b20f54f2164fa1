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

from glassnet import dtypes
from glassnet.tensor import Tensor


def is_bf16(*values) -> bool:
    """Whether any of ``values`` is a bfloat16 tensor."""
    return any(isinstance(v, Tensor) and v._data.dtype.name == "bfloat16" for v in values)


def in_float32(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with the bfloat16 tensors among ``args`` widened to float32,
    and a float32 tensor result rounded to bfloat16 (other results are returned as they are).
    """
    from glassnet.ops.conversion import to_dtype

    bf16 = next(a._data.dtype for a in args if is_bf16(a))
    wide = [to_dtype(a, dtypes.float32) if is_bf16(a) else a for a in args]
    out = fn(*wide, **kwargs)
    if isinstance(out, Tensor) and out._data.dtype == dtypes.float32:
        return to_dtype(out, bf16)
    return out
