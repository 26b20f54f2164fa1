"""Matrix products: matmul (``@``) with batch broadcasting, mm, bmm, mv, dot, outer, einsum.

The gradient of ``C = A @ B`` is ``dA = dC @ B^T`` and ``dB = A^T @ dC``; batch dims that were
broadcast are summed back by the engine. 2-D float matmul, the op behind every Linear layer, takes
a fast path with as little Python as possible.

>>> import glassnet
>>> a = glassnet.ones(2, 3, requires_grad=True)
>>> (a @ glassnet.ones(3, 4)).shape
glassnet.Size([2, 4])
>>> glassnet.einsum("ij,j->i", glassnet.ones(2, 3), glassnet.tensor([1.0, 2.0, 3.0]))
tensor([6., 6.])
"""

from __future__ import annotations

import string

from glassnet.autograd import Function, apply_pair
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops._util import outer_aware_matmul
from glassnet.ops.low_precision import in_float32, is_bf16


class MatMul2D(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        need_a, need_b = self._next
        return (
            None if need_a is None else outer_aware_matmul(grad, self.b.T),
            None if need_b is None else outer_aware_matmul(self.a.T, grad),
        )


class MatMul(Function):
    """matmul of any ranks (at least one of them not 1-D), as numpy.matmul and torch.matmul."""

    def forward(self, a, b):
        self.a, self.b = a, b
        if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:
            # One large GEMM instead of one per batch matrix.
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[1],))
        return get_array_module(a).matmul(a, b)

    def backward(self, grad):
        xp = get_array_module(grad)
        a, b = self.a, self.b
        # Work with 1-D operands as matrices: a row (1 x n) on the left, a column (n x 1) on the
        # right, and put back the dim matmul removed from the output.
        if b.ndim == 1:
            b, grad = b[:, None], grad[..., None]
        if a.ndim == 1:
            a, grad = a[None, :], xp.expand_dims(grad, -2)
        ga = xp.matmul(grad, xp.swapaxes(b, -1, -2))
        if b.ndim == 2 and a.ndim > 2:
            k = grad.shape[-1]
            gb = a.reshape(-1, a.shape[-1]).T @ grad.reshape(-1, k)
        else:
            gb = xp.matmul(xp.swapaxes(a, -1, -2), grad)
        if self.a.ndim == 1:
            ga = ga[..., 0, :]
        if self.b.ndim == 1:
            gb = gb[..., 0]
        return ga, gb


class Dot(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return get_array_module(a).dot(a, b)

    def backward(self, grad):
        return grad * self.b, grad * self.a


class Outer(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a[:, None] * b[None, :]

    def backward(self, grad):
        return grad @ self.b, self.a @ grad


def _dims(shape):
    return "(" + "x".join(str(n) for n in shape) + ")"


def _check_matmul(op, a, b):
    """Raise errors a person can act on before NumPy's terse ones."""
    if type(a._data) is not type(b._data):
        from glassnet.errors import DeviceError

        raise DeviceError(
            f"{op}: expected both tensors on the same device, got {a.device} and {b.device}; "
            "move one with .to(device)."
        )
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise ShapeError(
            f"{op}: both arguments need at least 1 dimension, got shapes {_dims(sa)} and "
            f"{_dims(sb)}; use * to multiply by a scalar."
        )
    if a._data.dtype != b._data.dtype:
        raise DTypeError(
            f"{op}: expected both arguments to have the same dtype, but got {a.dtype} and "
            f"{b.dtype}; convert one with .to({a.dtype}) (or .float())."
        )
    n_a = sa[-1]
    n_b = sb[-2] if len(sb) > 1 else sb[0]
    if n_a != n_b:
        if len(sb) > 1 and sb[-1] == n_a:
            hint = "did you mean to transpose the second argument?"
        elif len(sa) > 1 and sa[-2] == n_b:
            hint = "did you mean to transpose the first argument?"
        elif len(sa) > 1 and len(sb) > 1 and sa[-2] == sb[-1]:
            hint = "did you mean to swap the arguments (b @ a)?"
        else:
            hint = "the last size of the first must equal the second-to-last size of the second."
        raise ShapeError(
            f"{op}: cannot multiply {_dims(sa)} by {_dims(sb)}: inner sizes {n_a} and {n_b} "
            f"differ; {hint}"
        )
    for x, y in zip(reversed(sa[:-2]), reversed(sb[:-2])):
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"{op}: the batch dims of {_dims(sa)} and {_dims(sb)} cannot be broadcast "
                f"together ({_dims(sa[:-2])} vs {_dims(sb[:-2])}); make them equal or 1."
            )


def matmul(input, other):
    """Matrix product with PyTorch's rules: 1-D operands act as vectors, batch dims broadcast.

    >>> import glassnet
    >>> glassnet.matmul(glassnet.ones(5, 2, 3), glassnet.ones(3)).shape
    glassnet.Size([5, 2])
    >>> glassnet.ones(32, 10) @ glassnet.ones(20, 5)
    Traceback (most recent call last):
    ...
    glassnet.errors.ShapeError: matmul: cannot multiply (32x10) by (20x5): inner sizes 10 and 20 ...
    """
    a, b = input._data, other._data
    if (
        a.ndim == 2
        and b.ndim == 2
        and a.shape[1] == b.shape[0]
        and a.dtype == b.dtype
        and a.dtype.kind == "f"
        and type(a) is type(b)
    ):
        return apply_pair(MatMul2D, input, other)
    if is_bf16(input, other):  # float32 accumulation, one rounding (PyTorch's CPU bf16 gemm)
        return in_float32(matmul, input, other)
    _check_matmul("matmul", input, other)
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(input, other)
    return MatMul.apply(input, other)


def mm(input, mat2):
    """Product of two matrices (2-D only; see matmul for batches and vectors).

    >>> import glassnet
    >>> glassnet.mm(glassnet.ones(2, 3), glassnet.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise ShapeError(
            f"mm: expected two 2-D tensors, got shapes {_dims(input.shape)} and "
            f"{_dims(mat2.shape)}; use matmul for batched or 1-D operands."
        )
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors, with equal batch sizes.

    >>> import glassnet
    >>> glassnet.bmm(glassnet.ones(4, 2, 3), glassnet.ones(4, 3, 5)).shape
    glassnet.Size([4, 2, 5])
    """
    sa, sb = input._data.shape, mat2._data.shape
    if len(sa) != 3 or len(sb) != 3:
        raise ShapeError(
            f"bmm: expected two 3-D tensors (batch, n, m) and (batch, m, p), got shapes "
            f"{_dims(sa)} and {_dims(sb)}; use matmul to broadcast batch dims."
        )
    if sa[0] != sb[0]:
        raise ShapeError(
            f"bmm: batch sizes differ: {_dims(sa)} and {_dims(sb)} ({sa[0]} vs {sb[0]}); "
            "use matmul to broadcast a batch of 1."
        )
    _check_matmul("bmm", input, mat2)
    return MatMul.apply(input, mat2)


def mv(input, vec):
    """Matrix (n, m) times vector (m,).

    >>> import glassnet
    >>> glassnet.mv(glassnet.ones(2, 3), glassnet.tensor([1.0, 2.0, 3.0]))
    tensor([6., 6.])
    """
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise ShapeError(
            f"mv: expected a 2-D matrix and a 1-D vector, got shapes {_dims(input.shape)} and "
            f"{_dims(vec.shape)}."
        )
    _check_matmul("mv", input, vec)
    return MatMul.apply(input, vec)


def dot(input, other):
    """Inner product of two 1-D tensors of the same length.

    >>> import glassnet
    >>> glassnet.dot(glassnet.tensor([1.0, 2.0]), glassnet.tensor([3.0, 4.0]))
    tensor(11.)
    """
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise ShapeError(
            f"dot: expected two 1-D tensors, got shapes {_dims(input.shape)} and "
            f"{_dims(other.shape)}; use matmul for matrices."
        )
    if input._data.shape != other._data.shape:
        raise ShapeError(
            f"dot: the vectors have different lengths, {input.shape[0]} and {other.shape[0]}."
        )
    _check_matmul("dot", input, other)
    return Dot.apply(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j].

    >>> import glassnet
    >>> glassnet.outer(glassnet.tensor([1.0, 2.0]), glassnet.tensor([1.0, 10.0]))
    tensor([[ 1., 10.],
            [ 2., 20.]])
    """
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise ShapeError(
            f"outer: expected two 1-D tensors, got shapes {_dims(input.shape)} and "
            f"{_dims(vec2.shape)}."
        )
    if input._data.dtype != vec2._data.dtype:  # type promotion (no broadcasting: 1-D each)
        from glassnet.ops.operands import _cast, result_dtype

        dtype = result_dtype(input, vec2)
        input, vec2 = _cast(input, dtype), _cast(vec2, dtype)
    return Outer.apply(input, vec2)


# ---- einsum ----------------------------------------------------------------------------------
class Einsum(Function):
    """Any einsum; the gradient of each operand is itself an einsum of the others."""

    def forward(self, *arrays, inputs, output):
        self.arrays, self.inputs, self.output = arrays, inputs, output
        xp = get_array_module(*arrays)
        equation = ",".join(inputs) + "->" + output
        return xp.einsum(equation, *arrays, optimize=len(arrays) > 1)

    def backward(self, grad):
        xp = get_array_module(grad)
        sizes = {}
        for subs, a in zip(self.inputs, self.arrays):
            for c, n in zip(subs, a.shape):
                sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
        used = set("".join(self.inputs))
        grads = []
        for i, subs in enumerate(self.inputs):
            fresh = (c for c in string.ascii_letters if c not in used)
            ops = [grad] + [a for j, a in enumerate(self.arrays) if j != i]
            terms = [self.output] + [s for j, s in enumerate(self.inputs) if j != i]
            target = []
            for c in subs:
                if c in target:  # a repeated label (a diagonal): route it through an identity
                    f = next(fresh)
                    ops.append(xp.eye(sizes[c], dtype=grad.dtype))
                    terms.append(c + f)
                    c = f
                target.append(c)
            present = set("".join(terms))
            for c in target:
                if c not in present:  # summed away in this operand only: gradient is constant
                    ops.append(xp.ones(sizes[c], dtype=grad.dtype))
                    terms.append(c)
                    present.add(c)
            equation = ",".join(terms) + "->" + "".join(target)
            grads.append(xp.einsum(equation, *ops, optimize=len(ops) > 2))
        return tuple(grads)


def _parse_einsum(equation, shapes):
    """Explicit subscripts for every operand and the output, with '...' spelled out in letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} has {len(inputs)} operand(s) but "
            f"{len(shapes)} tensor(s) were given."
        )
    fresh = (c for c in string.ascii_letters if c not in eq)
    rank = 0
    for subs, shape in zip(inputs, shapes):
        named = len(subs.replace("...", ""))
        if ("..." in subs and len(shape) < named) or ("..." not in subs and len(shape) != named):
            raise ShapeError(
                f"einsum: operand with subscripts {subs!r} has {len(shape)} dims (shape "
                f"{_dims(shape)}); the subscripts name {named}."
            )
        if "..." in subs:
            rank = max(rank, len(shape) - named)
    ellipsis = [next(fresh) for _ in range(rank)]
    spelled = []
    for subs, shape in zip(inputs, shapes):
        if "..." in subs:
            k = len(shape) - len(subs.replace("...", ""))
            subs = subs.replace("...", "".join(ellipsis[rank - k :]))
        spelled.append(subs)
    if arrow:
        output = rhs.replace("...", "".join(ellipsis))
    else:  # implicit mode: ellipsis dims, then the labels used once, in alphabetical order
        labels = lhs.replace("...", "").replace(",", "")
        output = "".join(ellipsis) + "".join(sorted(c for c in set(labels) if labels.count(c) == 1))
    return spelled, output


def einsum(equation, *operands):
    """Einstein summation, as numpy.einsum and torch.einsum (``...`` included), differentiable.

    >>> import glassnet
    >>> a = glassnet.ones(4, 2, 3)
    >>> glassnet.einsum("...ij,...jk->...ik", a, glassnet.ones(3, 5)).shape
    glassnet.Size([4, 2, 5])
    >>> glassnet.einsum("ii", glassnet.eye(3))
    tensor(3.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_einsum(equation, [t._data.shape for t in operands])
    if len({t._data.dtype for t in operands}) > 1:
        from glassnet import dtypes
        from glassnet.ops.conversion import to_dtype

        dtype = operands[0]._data.dtype
        for t in operands[1:]:
            dtype = dtypes.promote(dtype, t._data.dtype)
        operands = tuple(to_dtype(t, dtype) for t in operands)
    return Einsum.apply(*operands, inputs=inputs, output=output)


TENSOR_METHODS = {
    "matmul": matmul,
    "mm": mm,
    "bmm": bmm,
    "mv": mv,
    "dot": dot,
    "outer": outer,
}

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "einsum"]
