"""The linear-algebra functions under their ``torch.*`` and ``Tensor`` names, where those differ
from the torch.linalg ones: torch.svd (V, not Vh, reduced by default), torch.qr(some=),
torch.pinverse, torch.vander (decreasing powers by default), torch.matrix_power, torch.matrix_exp.

>>> import glassnet
>>> glassnet.svd(glassnet.eye(2)).V
tensor([[1., 0.],
        [0., 1.]])
>>> glassnet.vander(glassnet.tensor([1, 2, 3]), N=3)
tensor([[1, 1, 1],
        [4, 2, 1],
        [9, 3, 1]])
"""

from __future__ import annotations

from collections import namedtuple

from glassnet.backend import get_array_module
from glassnet.ops import linalg_extra, linalg_spectral
from glassnet.tensor import Tensor

svd_result = namedtuple("svd", ["U", "S", "V"])


def svd(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with A = U diag(S) V^T; reduced factors unless ``some=False``;
    with ``compute_uv=False`` U and V are zero.

    >>> import glassnet
    >>> glassnet.svd(glassnet.tensor([[0.0, 3.0], [2.0, 0.0]])).S
    tensor([3., 2.])
    """
    U, S, Vh = linalg_spectral.svd(input, full_matrices=not some)  # noqa: N806
    if not compute_uv:
        xp = get_array_module(input._data)
        zeros_u, zeros_v = xp.zeros_like(U._data), xp.zeros_like(mT_array(xp, Vh._data))
        return svd_result(Tensor._make(zeros_u), S, Tensor._make(zeros_v))
    return svd_result(U, S, Vh.mT)


def mT_array(xp, a):  # noqa: N802
    return xp.swapaxes(a, -1, -2)


def qr(input, some=True):
    """torch.qr: reduced factors with ``some`` (the default), complete ones otherwise.

    >>> import glassnet
    >>> glassnet.qr(glassnet.ones(3, 2)).Q.shape
    glassnet.Size([3, 2])
    """
    return linalg_spectral.qr(input, "reduced" if some else "complete")


def pinverse(input, rcond=1e-15):
    """torch.pinverse: linalg.pinv with the relative tolerance ``rcond``.

    >>> import glassnet
    >>> glassnet.pinverse(glassnet.tensor([[4.0]]))
    tensor([[0.2500]])
    """
    return linalg_spectral.pinv(input, rtol=rcond)


def vander(x, N=None, increasing=False):  # noqa: N803
    """torch.vander: powers of a 1-D ``x`` as columns, decreasing unless ``increasing``."""
    out = linalg_extra.vander(x, N=N)
    return out if increasing else out.flip(-1)


matrix_power = linalg_extra.matrix_power
matrix_exp = linalg_extra.matrix_exp

__all__ = ["svd", "qr", "pinverse", "vander", "matrix_power", "matrix_exp"]
TENSOR_METHODS = {
    name: globals()[name] for name in ("svd", "qr", "pinverse", "matrix_power", "matrix_exp")
}
