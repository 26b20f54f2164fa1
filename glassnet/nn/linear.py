"""Affine layers: Linear (y = x W^T + b), Bilinear (y = x1^T W x2 + b), and Identity.

Parameters are made in ``__init__`` and set in ``reset_parameters()`` with PyTorch's default
scheme, so a freshly made layer has the same distribution of weights as its PyTorch twin.

>>> import glassnet
>>> from glassnet import nn
>>> layer = nn.Linear(4, 2)
>>> layer
Linear(in_features=4, out_features=2, bias=True)
>>> layer(glassnet.ones(3, 4)).shape
glassnet.Size([3, 2])
"""

from __future__ import annotations

import math

from glassnet import backend, creation, dtypes, grad_mode
from glassnet.amp import autocast_mode as _autocast
from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn import init
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops.linear import Linear as _LinearFn
from glassnet.ops.linear import bilinear as _bilinear
from glassnet.ops.linear import linear_array as _linear_array
from glassnet.tensor import wrap as _wrap

__all__ = ["Identity", "Linear", "Bilinear"]


def _empty(shape, device, dtype):
    return creation.empty(*shape, device=device, dtype=dtype or dtypes.get_default_dtype())


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any arguments (a placeholder layer).

    >>> import glassnet
    >>> Identity(54, unused="x")(glassnet.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Fully connected layer: ``y = x @ weight.T + bias`` over the last dim of ``x``.

    ``weight`` is (out_features, in_features), as in PyTorch, so state dicts move both ways.

    >>> import glassnet
    >>> Linear(3, 5)(glassnet.ones(2, 7, 3)).shape
    glassnet.Size([2, 7, 5])
    """

    _fresh_output_without_graph = True  # forward makes a new array when nothing is recorded

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = arg.check_size("Linear", "in_features", in_features)
        self.out_features = arg.check_size("Linear", "out_features", out_features)
        self.weight = Parameter(_empty((out_features, in_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        x = input._data
        params = self._parameters
        weight, bias = params["weight"], params["bias"]
        w = weight._data
        shape = x.shape
        if not shape or shape[-1] != w.shape[1]:
            self._raise_shape(shape)
        if x.dtype is not w.dtype and x.dtype != w.dtype:
            from glassnet.ops.linear import _check_dtypes

            _check_dtypes(self._error_label(), input, weight)
        if w.dtype.name == "bfloat16" or x.dtype.name == "bfloat16":
            from glassnet.ops.linear import linear  # float32 accumulation, rounded once

            return linear(input, weight, bias)
        if (
            backend._cupy is None
            and not _autocast._saved
            and not (
                grad_mode._enabled
                and (
                    input.requires_grad
                    or weight.requires_grad
                    or (bias is not None and bias.requires_grad)
                )
            )
        ):
            # Nothing to record (inference, on the CPU): the same arithmetic, without a node.
            return _wrap(_linear_array(x, w, None if bias is None else bias._data))
        return _LinearFn.apply(input, weight, bias)

    def _raise_shape(self, shape):
        got = shape[-1] if shape else "a scalar"
        raise ShapeError(
            f"{self._error_label()}: got input of shape {tuple(shape)}; the last dimension "
            f"must be {self.in_features}. Did you mean Linear({got}, {self.out_features}), "
            "or is a Flatten/pooling layer missing before it?"
        )

    def _error_label(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y[o] = x1^T W[o] x2 + b[o]``: mixes two inputs multiplicatively (a learned form).

    >>> import glassnet
    >>> Bilinear(2, 3, 4)(glassnet.ones(5, 2), glassnet.ones(5, 3)).shape
    glassnet.Size([5, 4])
    """

    def __init__(
        self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None
    ):
        super().__init__()
        # in1_features = 0 is refused, as PyTorch: the bound 1/sqrt(in1_features) would divide by 0
        self.in1_features = arg.check_size("Bilinear", "in1_features", in1_features, positive=True)
        self.in2_features = arg.check_size("Bilinear", "in2_features", in2_features)
        self.out_features = arg.check_size("Bilinear", "out_features", out_features)
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: weight and bias from U(+-1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        s1, s2 = input1._data.shape, input2._data.shape
        if not s1 or s1[-1] != self.in1_features or not s2 or s2[-1] != self.in2_features:
            raise ShapeError(
                f"{self._error_label()}: got inputs of shapes {tuple(s1)} and {tuple(s2)}; "
                f"their last dimensions must be {self.in1_features} and {self.in2_features}."
            )
        return _bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
