"""``glassnet.linalg``: PyTorch's ``torch.linalg`` (inv, det, slogdet, solve, cholesky, norms,
eigh, svd, qr, pinv, lstsq, matrix_exp, ...), with the code in ``glassnet/ops/linalg_*.py``.

Backward is defined for all of them except matrix_rank (an integer), ldl_factor/ldl_solve
(as in PyTorch) and qr with mode='r' or mode='complete' on a tall matrix (as in PyTorch, a
backward through those raises). lu_factor, ldl_factor, ldl_solve, eigvals and
householder_product are in ``glassnet/ops/linalg_factor.py``.

>>> import glassnet
>>> glassnet.linalg.norm(glassnet.tensor([3.0, 4.0]))
tensor(5.)
>>> glassnet.linalg.inv(glassnet.tensor([[2.0, 0.0], [0.0, 4.0]])).diagonal()
tensor([0.5000, 0.2500])
"""

from glassnet.ops import (
    linalg_cholesky,
    linalg_extra,
    linalg_factor,
    linalg_norms,
    linalg_solve,
    linalg_spectral,
)

for _module in (
    linalg_solve,
    linalg_cholesky,
    linalg_spectral,
    linalg_norms,
    linalg_extra,
    linalg_factor,
):
    globals().update(_module.LINALG)
del _module
