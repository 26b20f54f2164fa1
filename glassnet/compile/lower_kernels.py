"""Lowerings of the layers' inference kernels: a layer without a graph to record (inference)
calls an array kernel directly (``linear_array``, ``relu_array``, ReLU in place, a
convolution's or max pool's ``_infer``); the recorder writes that call down and these
lowerings turn it into array calls into buffers, the same calls the kernel makes.

>>> kernel_lowering(print) is None
True
"""

from __future__ import annotations

import operator

import numpy as np

from glassnet.compile.calls import (
    Call,
    S,
    _copy_into,
    _real_float,
)
from glassnet.compile.lower_ops import _linear_calls
from glassnet.ops import elementwise
from glassnet.ops import linear as linear_ops


def _kernel_slot(entry):
    kind, v = entry
    return v if kind in ("array", "tensor") else None


def linear_kernel(ctx, spec, out):
    """linear_array(x, w, b): Linear's gradient-free path."""
    if len(spec) not in (2, 3) or out is None:
        return None
    x, w = _kernel_slot(spec[0]), _kernel_slot(spec[1])
    bias = _kernel_slot(spec[2]) if len(spec) == 3 else None
    if x is None or w is None or (len(spec) == 3 and bias is None and spec[2][1] is not None):
        return None
    return _linear_calls(ctx, x, w, bias, out)


def relu_kernel(ctx, spec, out):
    """relu_array(a): max(a, 0) with a zero of a's dtype."""
    a = _kernel_slot(spec[0]) if len(spec) == 1 else None
    if a is None or out is None or not _real_float(ctx.value(a)):
        return None
    return [Call(np.maximum, [S(a), ctx.value(a).dtype.type(0)], out)]


def relu_in_place_kernel(ctx, spec, out):
    """ReLU._apply_in_place(module, a): max(a, 0) written into a (Sequential's path)."""
    if len(spec) != 2 or out is not None or _kernel_slot(spec[1]) is None:
        return None
    a = spec[1][1]
    if not _real_float(ctx.value(a)):
        return None
    return [Call(np.maximum, [S(a), ctx.value(a).dtype.type(0)], a, "update")]


def max_pool_kernel(ctx, spec, out):
    """_MaxPoolNd._infer(module, x) for 2-D pools without padding: the first window offset
    copied, then one ``maximum`` in place per other offset (_running_max)."""
    module, x = spec[0][1], _kernel_slot(spec[1]) if len(spec) == 2 else None
    cached = getattr(module, "_plan", None)
    if x is None or out is None or cached is None or not _real_float(ctx.value(x)):
        return None
    plan, value = cached[1], ctx.value(x)
    w = plan.w
    if plan.nd != 2 or plan.unbatched or value.shape != plan.x4_shape or w.ph or w.pw:
        return None
    if (w.Hb, w.Wb) != (w.H, w.W):
        return None  # ceil_mode's padded buffer: leave it to the recorded call
    h_end, w_end = w.sh * (w.Ho - 1) + 1, w.sw * (w.Wo - 1) + 1
    calls = []
    for i in range(w.kh):
        for j in range(w.kw):
            y0, x0 = i * w.dh, j * w.dw
            index = (slice(None), slice(None), slice(y0, y0 + h_end, w.sh))
            index += (slice(x0, x0 + w_end, w.sw),)
            view = ctx.temp(value[index])
            name = f"window[:, :, {y0}::{w.sh}, {x0}::{w.sw}]"
            calls.append(Call(operator.itemgetter(index), [S(x)], view, "view", name))
            if not i and not j:
                calls.append(Call(_copy_into, [S(view)], out, name="copy", fresh=np.copy))
            else:
                calls.append(Call(np.maximum, [S(out), S(view)], out, "update"))
    return calls


def conv_kernel(ctx, spec, out):
    """_Conv._infer(module, x, w, b) for one image, one group, a kernel taller than 1: the
    im2col gathers of ``image_columns`` into buffers kept by the plan, then ``w @ cols`` and
    ``+= bias`` (conv_forward's batch-1 path)."""
    from glassnet.ops.convolution import is_depthwise

    if len(spec) != 4 or out is None:
        return None
    module, x, w = spec[0][1], _kernel_slot(spec[1]), _kernel_slot(spec[2])
    bias = _kernel_slot(spec[3])
    cached = getattr(module, "_plan", None)
    if x is None or w is None or cached is None or (bias is None and spec[3][1] is not None):
        return None
    plan, xv, wv = cached[1], ctx.value(x), ctx.value(w)
    g = plan.g
    if not _real_float(xv, wv, ctx.value(out)) or xv.shape != plan.x4_shape or wv.ndim != 4:
        return None
    if g.N != 1 or g.G != 1 or g.kh == 1 or is_depthwise(plan.x4_shape, plan.w4_shape, g.G):
        return None
    if xv.dtype != wv.dtype or tuple(ctx.value(out).shape) != (1, g.O, g.Ho, g.Wo):
        return None
    kernel = ImageConv(g, xv.dtype)
    args = [S(x), S(w)] + ([S(bias)] if bias is not None else [])
    return [Call(kernel, args, out, name=kernel.name, fresh=kernel.fresh)]


class ImageConv:
    """A batch-1 convolution with its im2col scratch buffers made once: pad (a copy into a
    zero border that stays), the horizontal shifts (one copy), whole rows of them (one copy
    into the column matrix), then ``w.reshape(O, -1) @ cols`` and ``+= bias``: the calls of
    ``conv_forward`` for one image, on the same arrays, so the same numbers."""

    def __init__(self, g, dtype):
        self.g, self.dtype = g, dtype
        padded = (g.pt, g.pb, g.pl, g.pr) != (0, 0, 0, 0)
        self.xb = np.zeros((1, g.C, g.Hb, g.Wb), dtype) if padded else None
        self.interior = (
            None if self.xb is None else self.xb[:, :, g.pt : g.pt + g.H, g.pl : g.pl + g.W]
        )
        self.shifted = np.empty((g.C, g.kw, g.Hb, g.Wo), dtype)
        t0, t1 = self.shifted.strides[:2]
        isz = dtype.itemsize
        rows = np.ndarray(
            (g.C, g.kh, g.kw, g.Ho, g.Wo),
            dtype,
            self.shifted,
            0,
            (t0, g.dh * g.Wo * isz, t1, g.sh * g.Wo * isz, isz),
        )
        self.rows = rows
        self.cols = np.empty((g.C * g.kh * g.kw, g.Ho * g.Wo), dtype)
        self.cols5 = self.cols.reshape(rows.shape)
        # views of the last arrays seen: (padded) input and its shifts, weight, bias
        self._views = [None] * 6
        self.name = (
            f"conv2d_one_image[{'pad copy, ' if padded else ''}shift copy, row copy into "
            f"cols{self.cols.shape}, matmul(w.reshape({g.O}, -1), cols), += bias]"
        )

    def __call__(self, x, w, bias=None, out=None):
        g = self.g
        if self.xb is not None:
            np.copyto(self.interior, x)
            xb = self.xb
        else:
            xb = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        views = self._views
        if xb is not views[0]:  # the shifted view of the (padded) input, remade for a new array
            _, sc, sy, sx = xb.strides
            shape, strides = (g.C, g.kw, g.Hb, g.Wo), (sc, g.dw * sx, sy, g.sw * sx)
            views[0], views[1] = xb, np.ndarray(shape, xb.dtype, xb, 0, strides)
        np.copyto(self.shifted, views[1])
        np.copyto(self.cols5, self.rows)
        if w is not views[2]:
            views[2], views[3] = w, w.reshape(g.O, -1)
        y = out.reshape(g.O, g.Ho * g.Wo)
        np.matmul(views[3], self.cols, out=y)
        if bias is not None:
            if bias is not views[4]:
                views[4], views[5] = bias, bias.reshape(-1, 1)
            np.add(y, views[5], out=y)
        return out

    def fresh(self, x, w, bias=None):
        g = self.g
        return self(x, w, bias, np.empty((1, g.O, g.Ho, g.Wo), self.dtype))


def _kernels():
    from glassnet.nn.activation import ReLU
    from glassnet.nn.conv import _Conv
    from glassnet.nn.pooling import _MaxPoolNd

    return {
        linear_ops.linear_array: linear_kernel,
        elementwise.relu_array: relu_kernel,
        ReLU.__dict__["_apply_in_place"]: relu_in_place_kernel,
        _MaxPoolNd.__dict__["_infer"]: max_pool_kernel,
        _Conv.__dict__["_infer"]: conv_kernel,
    }


KERNELS = {}  # filled on first use: glassnet.nn imports the compile package's callers


def kernel_lowering(func):
    if not KERNELS:
        KERNELS.update(_kernels())
    return KERNELS.get(func)
