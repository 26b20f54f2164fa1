"""All of a model's parameters as one flat vector, and back (for second-order methods, weight
averaging, or evolutionary search over weights).

>>> import glassnet
>>> from glassnet import nn
>>> layer = nn.Linear(3, 2)
>>> vec = parameters_to_vector(layer.parameters())
>>> vec.shape
glassnet.Size([8])
>>> vector_to_parameters(glassnet.zeros(8), layer.parameters())
>>> layer.bias
Parameter containing:
tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the parameters, each flattened, into one 1-D tensor (differentiable)."""
    from glassnet.ops.shape_join import cat

    parameters = list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters")
    device = parameters[0].device
    for p in parameters:
        if p.device != device:
            from glassnet.errors import DeviceError

            raise DeviceError(
                f"parameters_to_vector: found parameters on {device} and {p.device}; move the "
                "model to one device first."
            )
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters (the inverse of
    ``parameters_to_vector``). As in PyTorch, each parameter then views ``vec``'s memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected glassnet.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec._data.ndim != 1 or vec._data.shape[0] != total:
        raise ShapeError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)}, but the parameters hold "
            f"{total} numbers; expected shape ({total},)."
        )
    data = vec._data
    start = 0
    for p in parameters:
        n = p.numel()
        p._data = data[start : start + n].reshape(p._data.shape).astype(p._data.dtype, copy=False)
        p._version[0] += 1
        start += n
