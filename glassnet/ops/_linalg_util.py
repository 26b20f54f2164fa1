"""What the linear-algebra op files share: LinAlgError, batched transposes, input checks."""

from __future__ import annotations

from glassnet import dtypes
from glassnet.errors import GlassnetError, ShapeError
from glassnet.tensor import Tensor


class LinAlgError(GlassnetError, RuntimeError):
    """A matrix the algorithm cannot handle: singular for inv/solve, not positive-definite for
    cholesky, no convergence for an eigen or singular value solver (torch.linalg.LinAlgError)."""

    __module__ = "glassnet.linalg"  # where users meet it


def mT(xp, a):  # noqa: N802 - PyTorch's name for the batched transpose
    """The transpose of each matrix in a batch (the last two dims swapped)."""
    return xp.swapaxes(a, -1, -2)


def floating(op, input):
    """``input`` as a floating tensor (float32 for integers), as PyTorch's linalg requires."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input._data.dtype.kind != "f":
        if input._data.dtype.kind in "biu":
            raise TypeError(
                f"{op}: Expected a floating point or complex tensor as input. Got {input.dtype}; "
                "convert with .float() or .double()."
            )
    return input


def square(op, input):
    """Check ``input`` is a (batch of) square float matrices; return it."""
    input = floating(op, input)
    shape = input._data.shape
    if len(shape) < 2:
        raise ShapeError(
            f"{op}: The input tensor A must have at least 2 dimensions, got shape {list(shape)}."
        )
    if shape[-1] != shape[-2]:
        raise ShapeError(
            f"{op}: A must be batches of square matrices, but they are {shape[-2]} by "
            f"{shape[-1]} matrices"
        )
    return input


def matrix(op, input):
    """Check ``input`` is a (batch of) float matrices; return it."""
    input = floating(op, input)
    if input._data.ndim < 2:
        raise ShapeError(
            f"{op}: The input tensor A must have at least 2 dimensions, got shape "
            f"{list(input._data.shape)}."
        )
    return input


def is_numpy_linalg_error(exc):
    """NumPy's and CuPy's own LinAlgError, whichever raised (both are named so)."""
    return type(exc).__name__ == "LinAlgError"


def int32_info(xp, values):
    return Tensor._make(xp.asarray(values, dtype=dtypes.int32))
