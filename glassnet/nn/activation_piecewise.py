"""Piecewise-linear activation layers: Threshold, Hardshrink, Softshrink, Hardsigmoid,
Hardswish, PReLU (learned slopes) and RReLU (random slopes while training).

Reprs, arguments and PReLU's ``weight`` parameter are PyTorch's, so state dicts move both ways.

>>> import glassnet
>>> from glassnet import nn
>>> nn.Sequential(nn.Linear(2, 3), nn.PReLU(3))
Sequential(
  (0): Linear(in_features=2, out_features=3, bias=True)
  (1): PReLU(num_parameters=3)
)
"""

from __future__ import annotations

import glassnet
from glassnet.nn import _arguments as arg
from glassnet.nn.functional import activation_piecewise as F
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter

__all__ = ["Threshold", "Hardshrink", "Softshrink", "Hardsigmoid", "Hardswish", "PReLU", "RReLU"]


def _inplace_suffix(inplace):
    return ", inplace=True" if inplace else ""


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    >>> import glassnet
    >>> Threshold(0.5, 0.0)(glassnet.tensor([0.2, 0.8]))
    tensor([0.0000, 0.8000])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = arg.check_number("Threshold", "threshold", threshold)
        self.value = arg.check_number("Threshold", "value", value)
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0.

    >>> Hardshrink()
    Hardshrink(0.5)
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = arg.check_number("Hardshrink", "lambd", lambd)

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """Shrink towards 0 by ``lambd`` (soft thresholding); ``lambd`` must be >= 0.

    >>> Softshrink(1.0)
    Softshrink(1.0)
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = arg.check_at_least("Softshrink", "lambd", lambd, 0)

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardsigmoid(Module):
    """``relu6(x + 3) / 6``.

    >>> Hardsigmoid()
    Hardsigmoid()
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """``x * relu6(x + 3) / 6`` (MobileNetV3).

    >>> Hardswish()
    Hardswish()
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned: one slope shared by all channels
    (``num_parameters=1``) or one per channel (dim 1), each starting at ``init``.

    >>> import glassnet
    >>> act = PReLU(2, init=0.1)
    >>> act(glassnet.tensor([[-1.0, -2.0]]))
    tensor([[-0.1000, -0.2000]], grad_fn=<PreluBackward0>)
    >>> list(act.state_dict())
    ['weight']
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = arg.check_size(
            "PReLU", "num_parameters", num_parameters, positive=True
        )
        self.init = arg.check_number("PReLU", "init", init)
        dtype = dtype if dtype is not None else glassnet.get_default_dtype()
        self.weight = Parameter(glassnet.empty(self.num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        """Every slope back to ``init``."""
        with glassnet.no_grad():
            self.weight.fill_(self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU: while training, each negative input gets a slope drawn from
    U(lower, upper); in eval mode the slope is ``(lower + upper) / 2``.

    >>> RReLU(0.1, 0.3)
    RReLU(lower=0.1, upper=0.3)
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        arg.check_number("RReLU", "lower", lower)
        arg.check_number("RReLU", "upper", upper)
        if lower > upper:
            raise arg.InvalidArgumentError(
                f"RReLU: lower ({lower}) must be less than or equal to upper ({upper})"
            )
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_suffix(self.inplace)}"
