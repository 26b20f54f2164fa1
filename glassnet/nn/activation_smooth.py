"""Smooth activation layers and gates: CELU, LogSigmoid, Softsign, Tanhshrink, GLU, Softmin
and Softmax2d, with PyTorch's arguments and reprs.

>>> import glassnet
>>> from glassnet import nn
>>> nn.Sequential(nn.Linear(4, 6), nn.GLU(), nn.Softmin(dim=-1))
Sequential(
  (0): Linear(in_features=4, out_features=6, bias=True)
  (1): GLU(dim=-1)
  (2): Softmin(dim=-1)
)
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn.functional import activation_smooth as F
from glassnet.nn.module import Module
from glassnet.ops.softmax import softmax

__all__ = ["CELU", "LogSigmoid", "Softsign", "Tanhshrink", "GLU", "Softmin", "Softmax2d"]


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; ``alpha`` must not be 0.

    >>> CELU(2.0)
    CELU(alpha=2.0)
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        arg.check_number("CELU", "alpha", alpha)
        if alpha == 0:
            raise arg.InvalidArgumentError(f"CELU: alpha cannot be 0 (it divides x), got {alpha}")
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """``log(sigmoid(x))``, finite for any x.

    >>> LogSigmoid()
    LogSigmoid()
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """``x / (1 + |x|)``.

    >>> Softsign()
    Softsign()
    """

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    >>> Tanhshrink()
    Tanhshrink()
    """

    def forward(self, input):
        return F.tanhshrink(input)


class GLU(Module):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``dim``.

    >>> import glassnet
    >>> GLU()(glassnet.zeros(3, 8)).shape
    glassnet.Size([3, 4])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = arg.check_int("GLU", "dim", dim, minimum=None)

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Module):
    """``softmax(-x)`` along ``dim``.

    >>> Softmin(dim=1)
    Softmin(dim=1)
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels (dim -3) at every pixel of a (N, C, H, W) or (C, H, W) input.

    >>> import glassnet
    >>> Softmax2d()(glassnet.zeros(1, 4, 2, 2))[0, :, 0, 0]
    tensor([0.2500, 0.2500, 0.2500, 0.2500])
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ShapeError(
                f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got a "
                f"{input.ndim}-D input of shape {tuple(input.shape)}."
            )
        return softmax(input, -3)
