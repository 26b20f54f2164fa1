"""The gradient-free shortcut of a squeeze-and-excitation block (``SqueezeExcitation`` in
``models.vision.layers``): when nothing is recorded and the block is the standard one (global
average pool, 1x1 Conv2d, ReLU or SiLU, 1x1 Conv2d, Sigmoid), it runs as one array function
(``ops.squeeze_excitation``) instead of six layer calls on a 1x1 map.

Every condition is checked on each call (cheap dictionary reads), so a block whose layers
were replaced, or which is traced, autocast, hooked or trained, takes its layers' own path.

>>> import glassnet
>>> from glassnet.models.vision.layers import SqueezeExcitation
>>> se = SqueezeExcitation(4, 2)
>>> x = glassnet.randn(1, 4, 3, 3)
>>> with glassnet.no_grad():
...     can_squeeze_excite(se, x)
True
>>> can_squeeze_excite(se, x)  # grad mode on: the layers record the graph
False
"""

from __future__ import annotations

from glassnet import autograd, backend, grad_mode
from glassnet.amp import autocast_mode as _autocast
from glassnet.nn import module as _module
from glassnet.nn.activation import ReLU, Sigmoid, SiLU
from glassnet.nn.conv import Conv2d
from glassnet.nn.pooling import AdaptiveAvgPool2d
from glassnet.ops.squeeze_excitation import squeeze_excite
from glassnet.tensor import Tensor
from glassnet.tensor import wrap as _wrap

__all__ = ["can_squeeze_excite", "squeeze_excite_layer"]

_ACTIVATIONS = {ReLU: "relu", SiLU: "silu"}


def _pointwise(conv, cin, cout, dtype):
    """Whether ``conv`` is a plain 1x1 Conv2d from cin to cout channels in ``dtype``."""
    if type(conv) is not Conv2d or "forward" in conv.__dict__:
        return False
    bias = conv._parameters["bias"]
    return (
        conv.in_channels == cin
        and conv.out_channels == cout
        and conv.kernel_size == (1, 1)
        and conv.stride == (1, 1)
        and conv.padding in ((0, 0), "valid")
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and conv._parameters["weight"]._data.dtype == dtype
        and (bias is None or bias._data.dtype == dtype)
    )


def can_squeeze_excite(block, input) -> bool:
    """Whether ``block`` on ``input`` may take the fused array path: no graph, tracer or
    autocast, no hook on a child (the block's own hooks run around this forward); a batched
    (N, C, H, W) CPU input; the standard layers with matching channels and dtypes."""
    if (
        grad_mode._enabled
        or autograd._tracer is not None
        or _autocast._saved
        or backend._cupy is not None
        or not isinstance(input, Tensor)
        or input._data.ndim != 4
        or input._data.dtype.kind != "f"  # bfloat16 takes the layers (float32 inside)
        or "forward" in block.__dict__
    ):
        return False
    mods = block._modules
    pool, fc1, fc2 = mods.get("avgpool"), mods.get("fc1"), mods.get("fc2")
    act, gate = mods.get("activation"), mods.get("scale_activation")
    if (
        type(pool) is not AdaptiveAvgPool2d
        or pool.output_size not in (1, (1, 1))
        or type(act) not in _ACTIVATIONS
        or type(gate) is not Sigmoid
        or any("forward" in m.__dict__ for m in (pool, act, gate))
        or not isinstance(fc1, Conv2d)
    ):
        return False
    if _module._hooks_registered and any(  # a child's hook must see that child run
        m._forward_pre_hooks or m._forward_hooks or m._backward_hooks
        for m in (pool, fc1, fc2, act, gate)
    ):
        return False
    x = input._data
    c, s = x.shape[1], fc1.out_channels
    return _pointwise(fc1, c, s, x.dtype) and _pointwise(fc2, s, c, x.dtype)


def squeeze_excite_layer(block, input):
    """The block's output on ``input`` through ``ops.squeeze_excitation`` (check with
    ``can_squeeze_excite`` first)."""
    mods = block._modules
    fc1, fc2 = mods["fc1"]._parameters, mods["fc2"]._parameters
    b1, b2 = fc1["bias"], fc2["bias"]
    return _wrap(
        squeeze_excite(
            input._data,
            fc1["weight"]._data,
            None if b1 is None else b1._data,
            fc2["weight"]._data,
            None if b2 is None else b2._data,
            _ACTIVATIONS[type(mods["activation"])],
        )
    )
