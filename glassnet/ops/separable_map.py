"""``SeparableMap``: ``out[n, c] = A @ x[n, c] @ B.T`` with small dense constant matrices.
Adaptive average pooling and nearest/linear/bilinear interpolation are all such maps, so one
forward and one backward (the transposed matrices) serve them all; a rank-one shortcut covers
global average pooling and its adjoint.
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module


def _rank_one_pair(a, b):
    """Both maps one row (a global average), or both one column (its adjoint)."""
    return (a.shape[0] == 1 and b.shape[0] == 1) or (a.shape[1] == 1 and b.shape[1] == 1)


def _separable_rank_one(xp, x, a, b):
    """``_separable`` where both maps are a single row (global average pooling: A (1, H),
    B (1, W)) or a single column (its backward): one matrix-vector product against the
    (H*W,) weights ``kron(A, B)``, or one outer product, instead of two products and a
    transposed copy (3x faster on the squeeze-and-excitation blocks of EfficientNet)."""
    lead = x.shape[:-2]
    weights = xp.multiply.outer(a.ravel(), b.ravel()).ravel()  # (H*W,) or (H'*W',)
    if a.shape[0] == 1 and b.shape[0] == 1:  # (..., H, W) -> (..., 1, 1)
        flat = x.reshape(-1, x.shape[-2] * x.shape[-1])
        return (flat @ weights).reshape(*lead, 1, 1)
    # (..., 1, 1) -> (..., H', W'): each input number spread over the whole grid
    out = x.reshape(-1, 1) * weights
    return out.reshape(*lead, a.shape[0], b.shape[0])


class SeparableMap(Function):
    """out[n, c] = A @ x[n, c] @ B.T over the last two dims (A or B None: that dim unchanged).

    Matrices are constants (no gradient). Used by adaptive average pooling and interpolation.
    """

    saves_inputs = False

    def forward(self, x, a, b):
        self.a, self.b = a, b
        return _separable(x, a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        return (
            _separable(grad, None if a is None else a.T, None if b is None else b.T),
            None,
            None,
        )


def _separable(x, a, b):
    xp = get_array_module(x)
    if a is not None and b is not None and _rank_one_pair(a, b):
        return _separable_rank_one(xp, x, a, b)
    if b is not None:
        lead = x.shape[:-1]
        x = (x.reshape(-1, x.shape[-1]) @ b.T).reshape(*lead, b.shape[0])
    if a is not None:
        # Contract dim -2 with A in one matmul: move it first, then back.
        moved = xp.moveaxis(x, -2, 0)
        rest = moved.shape[1:]
        y = (a @ moved.reshape(moved.shape[0], -1)).reshape(a.shape[0], *rest)
        x = xp.ascontiguousarray(xp.moveaxis(y, 0, -2))
    return x
