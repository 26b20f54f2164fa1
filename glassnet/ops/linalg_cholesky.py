"""The Cholesky factorization A = L L^T of symmetric positive-definite matrices, with its
backward, and what uses it: cholesky, cholesky_ex, cholesky_solve, cholesky_inverse.

The gradient is PyTorch's: L^-T Phi(L^T gL) L^-1, symmetrized, where Phi keeps the lower
triangle with half its diagonal. Only one triangle of A is read, but like PyTorch the gradient
is the symmetric one (the derivative along symmetric perturbations).

>>> import glassnet
>>> L = glassnet.linalg.cholesky(glassnet.tensor([[4.0, 2.0], [2.0, 2.0]]))
>>> L
tensor([[2., 0.],
        [1., 1.]])
>>> glassnet.cholesky_solve(glassnet.tensor([[4.0], [2.0]]), L)
tensor([[1.],
        [0.]])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops._linalg_util import LinAlgError, int32_info, is_numpy_linalg_error, mT, square
from glassnet.ops.linalg_solve import eye_like, solve_triangular
from glassnet.tensor import Tensor

cholesky_ex_result = namedtuple("cholesky_ex", ["L", "info"])


class Cholesky(Function):
    saves_output = True

    def forward(self, a):
        xp = get_array_module(a)
        try:
            self.out = xp.linalg.cholesky(a)
        except Exception as exc:
            if is_numpy_linalg_error(exc):
                raise LinAlgError(
                    "linalg.cholesky: The factorization could not be completed because the "
                    f"input is not positive-definite (shape {list(a.shape)}); a covariance "
                    "matrix often needs a small jitter added to its diagonal."
                ) from None
            raise
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        low = self.out
        phi = xp.tril(mT(xp, low) @ grad)
        diag = xp.einsum("...ii->...i", phi)
        diag *= 0.5  # einsum's diagonal of a fresh array is a writeable view
        # L^-T phi L^-1 by two solves: X = solve(L^T, phi), then gA = solve(L^T, X^T)^T
        x = xp.linalg.solve(mT(xp, low), phi)
        ga = mT(xp, xp.linalg.solve(mT(xp, low), mT(xp, x)))
        return ((ga + mT(xp, ga)) * 0.5,)


def cholesky(A, upper=False):  # noqa: N803
    """L with A = L L^T for symmetric positive-definite A (or U = L^T with ``upper``).
    Only the lower (with ``upper``, the upper) triangle of A is read, as in PyTorch; ``upper``
    may be positional, as in the older torch.cholesky.

    >>> import glassnet
    >>> glassnet.linalg.cholesky(glassnet.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    A = square("linalg.cholesky", A)  # noqa: N806
    # NumPy reads the lower triangle only; with ``upper`` PyTorch reads the upper one, which
    # is the lower one of A^T. The gradient is the symmetric one, as PyTorch's.
    return Cholesky.apply(A.mT).mT if upper else Cholesky.apply(A)


def cholesky_ex(A, *, upper=False, check_errors=False):  # noqa: N803
    """(L, info): info 0 where A is positive-definite, else the order of the first minor that
    is not (L is then not usable), instead of raising unless ``check_errors``.

    >>> import glassnet
    >>> glassnet.linalg.cholesky_ex(-glassnet.eye(2)).info
    tensor(1, dtype=glassnet.int32)
    """
    xp = get_array_module(A._data)
    try:
        low = cholesky(A, upper=upper)
    except LinAlgError:
        if check_errors:
            raise
        a = square("linalg.cholesky_ex", A)._data
        info = xp.zeros(a.shape[:-2], dtype="int32")
        for k in range(a.shape[-1], 0, -1):  # the first leading minor that is not positive
            minor = a[..., :k, :k]
            bad = xp.linalg.eigvalsh(minor).min(axis=-1) <= 0
            info = xp.where(bad, k, info)
        return cholesky_ex_result(Tensor._make(xp.zeros_like(a)), int32_info(xp, info))
    return cholesky_ex_result(low, int32_info(xp, xp.zeros(A._data.shape[:-2])))


def cholesky_solve(B, L, upper=False):  # noqa: N803
    """X with (L L^T) X = B, given the Cholesky factor L (or U = L^T with ``upper``).

    >>> import glassnet
    >>> L = glassnet.tensor([[2.0, 0.0], [1.0, 1.0]])
    >>> glassnet.cholesky_solve(glassnet.tensor([[4.0], [2.0]]), L)
    tensor([[1.],
            [0.]])
    """
    low = L.mT if upper else L
    y = solve_triangular(low, B, upper=False)
    return solve_triangular(low.mT, y, upper=True)


def cholesky_inverse(L, upper=False):  # noqa: N803
    """(L L^T)^-1 from the Cholesky factor L.

    >>> import glassnet
    >>> glassnet.cholesky_inverse(glassnet.tensor([[2.0, 0.0], [0.0, 1.0]]))
    tensor([[0.2500, 0.0000],
            [0.0000, 1.0000]])
    """
    return cholesky_solve(eye_like(L), L, upper)


LINALG = {"cholesky": cholesky, "cholesky_ex": cholesky_ex}
__all__ = ["cholesky", "cholesky_solve", "cholesky_inverse"]
TENSOR_METHODS = {name: globals()[name] for name in __all__}
