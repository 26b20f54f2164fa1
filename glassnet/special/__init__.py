"""``glassnet.special``: PyTorch's ``torch.special`` (erfinv, erfcx, ndtr, log_ndtr, ndtri,
gammaln, digamma, polygamma, zeta, gammainc, i0, i1e, xlogy, entr, sinc, logit, expit, the
orthogonal polynomials, ...), NumPy only, with derivatives where PyTorch has them. The code
and each function's accuracy are in ``glassnet/ops/special_*.py``.

The Bessel functions J0, J1, Y0, Y1, K0, K1, their scaled forms and the Airy function Ai
are in ``glassnet/ops/special_bessel.py``.

>>> import glassnet
>>> glassnet.special.expit(glassnet.tensor([0.0]))
tensor([0.5000])
>>> glassnet.special.ndtri(glassnet.tensor([0.975]))
tensor([1.9600])
"""

from glassnet.ops import (
    elementwise,
    special_bessel,
    special_erf,
    special_gamma,
    special_incomplete_gamma,
    special_misc,
)
from glassnet.ops.elementwise import erf, exp2, expm1, log1p  # noqa: F401 - torch.special's
from glassnet.ops.elementwise import sigmoid as expit  # noqa: F401
from glassnet.ops.norm import logsumexp  # noqa: F401
from glassnet.ops.softmax import log_softmax, softmax  # noqa: F401

for _module in (
    special_erf,
    special_gamma,
    special_incomplete_gamma,
    special_misc,
    special_bessel,
):
    globals().update(_module.SPECIAL)
del _module


def round(input, decimals=0):  # noqa: A001 - torch.special.round
    """Round half to even (to ``decimals`` places).

    >>> import glassnet
    >>> glassnet.special.round(glassnet.tensor([0.5, 1.5]))
    tensor([0., 2.])
    """
    return elementwise.round(input, decimals=decimals)
