"""Padding: ``pad(input, pad, mode, value)``, also serving ``nn.functional.pad``.

``pad`` lists (left, right) amounts from the last dim backwards, as in PyTorch:
``(1, 1, 2, 0)`` pads the last dim by 1 on both sides and the one before by 2 at the start.
Modes: 'constant', 'reflect' (mirror without repeating the edge), 'replicate' (repeat the edge),
'circular' (wrap around). Negative amounts crop, in every mode, as in PyTorch: for 'constant',
'reflect' and 'replicate' the kept outputs are those the padded signal has there; 'circular'
crops first and wraps around what is left.

>>> import glassnet
>>> pad(glassnet.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
tensor([3., 2., 1., 2., 3., 2.])
>>> pad(glassnet.tensor([0.0, 1.0, 2.0, 3.0, 4.0]), (-1, 2), mode="circular")
tensor([1., 2., 3., 4., 1., 2.])
"""

from __future__ import annotations

import numbers

from glassnet.autograd import Function
from glassnet.backend import get_array_module, scatter_add
from glassnet.errors import ShapeError


class PadConstant(Function):
    saves_inputs = False

    def forward(self, a, pads, value):
        xp = get_array_module(a)
        out_shape, src, dst = [], [], []
        for n, (left, right) in zip(a.shape, pads):
            out_shape.append(n + left + right)
            kept = max(n - max(-left, 0) - max(-right, 0), 0)
            src.append(slice(max(-left, 0), max(-left, 0) + kept))
            dst.append(slice(max(left, 0), max(left, 0) + kept))
        self.in_shape, self.src, self.dst = a.shape, tuple(src), tuple(dst)
        out = xp.full(out_shape, value, dtype=a.dtype)
        out[self.dst] = a[self.src]
        return out

    def backward(self, grad):
        part = grad[self.dst]
        if part.shape == self.in_shape:
            return (part,)
        g = get_array_module(grad).zeros(self.in_shape, dtype=grad.dtype)
        g[self.src] = part
        return (g,)


def _source_index(xp, n, left, right, mode):
    """For each output position along one dim, the input position it copies."""
    if mode == "circular":
        # PyTorch crops first (negative amounts), then wraps around what is left.
        start = max(-left, 0)
        kept = n - start - max(-right, 0)
        if kept <= 0:
            return xp.arange(0)
        return start + xp.arange(-max(left, 0), kept + max(right, 0)) % kept
    j = xp.arange(-left, n + right)
    if mode == "replicate":
        return xp.clip(j, 0, n - 1)
    period = 2 * (n - 1)  # reflect
    j = j % period if period else j * 0
    return xp.where(j >= n, period - j, j)


class PadIndexed(Function):
    """reflect / replicate / circular: each output element copies one input element."""

    saves_inputs = False

    def forward(self, a, pads, mode):
        xp = get_array_module(a)
        self.steps = []
        out = a
        for axis, (left, right) in enumerate(pads):
            if left or right:
                n = a.shape[axis]
                idx = _source_index(xp, n, left, right, mode)
                self.steps.append((axis, n, left, idx))
                out = xp.take(out, idx, axis=axis)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        for axis, n, left, idx in reversed(self.steps):
            lead = (slice(None),) * axis
            shape = list(grad.shape)
            shape[axis] = n
            if left >= 0 and grad.shape[axis] - left >= n:
                # Most positions map straight back; only the padded edges need adding in.
                g = grad[lead + (slice(left, left + n),)].copy()
                edges = xp.concatenate([idx[:left], idx[left + n :]])
                rest = xp.concatenate(
                    [grad[lead + (slice(0, left),)], grad[lead + (slice(left + n, None),)]],
                    axis=axis,
                )
                scatter_add(xp, g, lead + (edges,), rest)
            else:
                g = xp.zeros(shape, dtype=grad.dtype)
                scatter_add(xp, g, lead + (idx,), grad)
            grad = g
        return (grad,)


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) ``input``; see the module docstring for ``pad``.

    >>> import glassnet
    >>> pad(glassnet.ones(1, 2), (1, 0, 0, 1), value=5.0)
    tensor([[5., 1., 1.],
            [5., 5., 5.]])
    """
    shape = input._data.shape
    if not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: the amounts must be ints, got {tuple(pad)}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ShapeError(f"pad: padding length must be divisible by 2, got {len(pad)} ({pad})")
    if len(pad) > 2 * len(shape):
        raise ShapeError(
            f"pad: padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {len(shape)}."
        )
    k = len(pad) // 2
    pads = [(0, 0)] * (len(shape) - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    for n, (left, right) in zip(shape, pads):
        if n + left + right < 0:
            raise ShapeError(
                f"pad: the input size {n}, plus negative padding {left} and {right} resulted in a "
                f"negative output size, which is invalid. Check the pad tuple {pad} (it lists "
                "(left, right) amounts from the last dim backwards)."
            )
    if mode == "constant":
        return PadConstant.apply(input, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: unknown mode {mode!r}; use 'constant', 'reflect', 'replicate' or 'circular'"
        )
    if value:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    for axis, (n, (left, right)) in enumerate(zip(shape, pads)):
        if left or right:
            _check_indexed_pad(mode, axis, n, left, right, shape)
    return PadIndexed.apply(input, pads, mode)


def _check_indexed_pad(mode, axis, n, left, right, shape):
    """PyTorch's limits for reflect/replicate/circular padding of one dim of size n."""
    where = f"pad: {mode} padding ({left}, {right}) of dim {axis} (size {n}, input shape {shape})"
    if mode == "circular":
        kept = n - max(-left, 0) - max(-right, 0)
        if kept < 0:
            raise ShapeError(f"{where} crops more than the dim holds.")
        if max(left, right) > kept:
            raise ShapeError(
                f"{where} wraps around more than once: each positive amount must be at most "
                f"the {kept} elements left after cropping."
            )
        return
    if n == 0:
        raise ShapeError(f"{where}: {mode} padding needs a non-empty dim to copy from.")
    if n + left + right < 1:
        raise ShapeError(f"{where} leaves no output; the result must keep at least 1 element.")
    if mode == "reflect" and max(left, right) >= n:
        raise ShapeError(
            f"{where}: each amount must be smaller than the dim's size {n} (a reflection does "
            "not repeat the edge, so it can mirror at most n - 1 elements)."
        )


TENSOR_METHODS = {}
__all__ = ["pad"]
