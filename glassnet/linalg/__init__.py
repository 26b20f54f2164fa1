"""``glassnet.linalg``: PyTorch's ``torch.linalg`` (inv, det, slogdet, solve, cholesky, norms,
eigh, svd, qr, pinv, lstsq, matrix_exp, ...), with the code in ``glassnet/ops/linalg_*.py``.

Backward is defined for all of them except matrix_rank (an integer) and qr with mode='r' or
mode='complete' on a tall matrix (as in PyTorch, a backward through those raises). eig,
eigvals, lu, lu_factor, ldl_factor and householder_product are not provided: their results
are complex or need LAPACK routines NumPy does not expose.

>>> import glassnet
>>> glassnet.linalg.norm(glassnet.tensor([3.0, 4.0]))
tensor(5.)
>>> glassnet.linalg.inv(glassnet.tensor([[2.0, 0.0], [0.0, 4.0]])).diagonal()
tensor([0.5000, 0.2500])
"""

from glassnet.ops import (
    linalg_cholesky,
    linalg_extra,
    linalg_norms,
    linalg_solve,
    linalg_spectral,
)

for _module in (linalg_solve, linalg_cholesky, linalg_spectral, linalg_norms, linalg_extra):
    globals().update(_module.LINALG)
del _module
