"""The kinds of step a plan is made of: each ``*_step`` function returns the closure
``run(env, inputs)`` of one recorded call (an op's forward or backward, a gradient's fit to
its input's shape, a leaf's accumulation, an effect called again, a dropout mask, a view).
The recorder makes them, ``glassnet.compile.plan`` strings them into a ``Plan``.

>>> env = [1.0, 2.0, None]
>>> add_step(0, 1, 2)(env, ())
>>> env[2]
3.0
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, grad_mode
from glassnet.tensor import Tensor

__all__ = []

_ndarray = np.ndarray


def forward_step(fn, spec, kwspec, out):
    """``env[out] = fn.forward(*args)``: ``spec`` holds (True, slot) or (False, constant)."""
    forward = fn.forward
    if not kwspec and len(spec) == 2 and spec[0][0] is True and spec[1][0] is True:
        a, b = spec[0][1], spec[1][1]

        def run(env, inputs):
            r = forward(env[a], env[b])
            env[out] = r if r.__class__ is _ndarray else backend.get_array_module(r).asarray(r)

        return run
    if not kwspec and len(spec) == 2 and spec[0][0] is True and spec[1][0] is False:
        a, b = spec[0][1], spec[1][1]  # x * 0.5, x ** 2

        def run(env, inputs):
            r = forward(env[a], b)
            env[out] = r if r.__class__ is _ndarray else backend.get_array_module(r).asarray(r)

        return run
    if not kwspec and len(spec) == 3 and all(kind is True for kind, _ in spec):
        a, b, c = (v for _, v in spec)  # linear(x, w, b)

        def run(env, inputs):
            r = forward(env[a], env[b], env[c])
            env[out] = r if r.__class__ is _ndarray else backend.get_array_module(r).asarray(r)

        return run
    if not kwspec and len(spec) == 1 and spec[0][0] is True:
        a = spec[0][1]

        def run(env, inputs):
            r = forward(env[a])
            env[out] = r if r.__class__ is _ndarray else backend.get_array_module(r).asarray(r)

        return run

    def run(env, inputs):
        args = [_resolve(s, env) for s in spec]
        kwargs = {k: _resolve(s, env) for k, s in kwspec.items()}
        r = forward(*args, **kwargs)
        env[out] = r if r.__class__ is _ndarray else backend.get_array_module(r).asarray(r)

    return run


def _resolve(spec, env):
    kind, v = spec
    if kind is True:
        return env[v]
    if kind is False:
        return v
    return v[0](_resolve(x, env) for x in v[1])  # "seq": a list or tuple of specs


def backward_step(fn, g, outs):
    """``env[outs[i]] = fn.backward(env[g])[i]`` for the inputs that receive a gradient."""
    backward = fn.backward
    pairs = tuple(outs)

    def run(env, inputs):
        grad_mode._enabled = False  # backward formulas run on arrays, as in the engine
        r = backward(env[g])
        if r.__class__ is not tuple:
            r = tuple(r) if isinstance(r, list) else (r,)
        for i, slot in pairs:
            env[slot] = r[i]

    return run


def fit_step(src, dst, shape, dtype, like=None):
    """``env[dst] = engine._fit(env[src], shape, dtype)``; ``like`` is the recorded gradient:
    when it is a bias's (summed over the batch only, dtype kept), the one reduction _fit would
    pick is called directly."""
    from glassnet.engine import _fit

    if like is not None and like.__class__ is _ndarray and like.dtype == dtype:
        if like.shape[1:] == tuple(shape):
            reduce = np.add.reduce  # what sum_to_shape runs for this case

            def run(env, inputs):
                env[dst] = reduce(env[src], 0)

            return run

    def run(env, inputs):
        env[dst] = _fit(env[src], shape, dtype)

    return run


def add_step(a, b, dst):
    def run(env, inputs):
        env[dst] = env[a] + env[b]

    return run


def root_step(dst, shape, dtype, xp):
    """The implicit gradient 1 of a scalar loss: a fresh array every replay (a backward may
    write into its gradient)."""
    if not shape:

        def run(env, inputs):
            env[dst] = xp.array(1, dtype=dtype)

    else:

        def run(env, inputs):
            env[dst] = xp.ones(shape, dtype)

    return run


def leaf_step(src, where, copy):
    """Accumulate ``env[src]`` into a leaf's ``.grad``, as the engine does; ``where`` is
    ("input", k) or ("tensor", t). The ``.grad`` Tensor of the recording is reused."""
    box = []

    def run(env, inputs):
        leaf = inputs[where[1]] if where[0] == "input" else where[1]
        g = env[src]
        if copy:
            g = g.copy()
        grad = leaf.grad
        if grad is None:
            if g.base is not None or not backend.is_writeable(g):
                g = g.copy()
            if box:
                t = box[0]
                t._data = g
                t._version[0] += 1
            else:
                t = Tensor._make(g)
                box.append(t)
            leaf.grad = t
        else:
            grad._data = grad._data + g

    return run


def call_step(method, args, kwargs, externals):
    """Call an effect again (``optimizer.step()``, ``zero_grad()``), then re-read the
    external tensors' arrays in case the call replaced one."""

    def run(env, inputs):
        method(*args, **kwargs)
        for slot, t in externals:
            env[slot] = t._data

    return run


def mask_step(make, args, kwargs, like, dst):
    """A dropout mask drawn afresh from glassnet's generator on every replay."""

    def run(env, inputs):
        env[dst] = make(*args, like, **kwargs)

    return run


def grad_mode_step(enabled):
    def run(env, inputs):
        grad_mode._enabled = enabled

    return run


def write_step(src, dst):
    """``env[dst][...] = env[src]``: an in-place tensor op writing its result."""

    def run(env, inputs):
        env[dst][...] = env[src]

    return run


def counter_step(tensor):
    """``tensor += 1`` on a counter buffer (BatchNorm's ``num_batches_tracked``)."""

    def run(env, inputs):
        tensor._data += 1
        tensor._version[0] += 1

    return run


def copy_step(src, dst):
    def run(env, inputs):
        env[dst] = env[src].copy()

    return run


def kernel_step(func, spec, out):
    """``env[out] = func(*args)`` for a layer's array kernel; Tensor arguments get a holder
    Tensor made once, whose array is swapped in on every replay."""
    kinds = tuple(kind for kind, _ in spec)
    # the commonest shapes of call get their own closure: fewer Python steps per replay
    if kinds == ("array", "array", "array"):  # linear_array(x, w, b)
        a, b, c = (v for _, v in spec)

        def run(env, inputs):
            env[out] = func(env[a], env[b], env[c])

        return run
    if kinds == ("array",):  # relu_array(x)
        a = spec[0][1]

        def run(env, inputs):
            env[out] = func(env[a])

        return run
    if kinds == ("const", "array") and out is None:  # ReLU._apply_in_place(module, x)
        module, a = spec[0][1], spec[1][1]

        def run(env, inputs):
            func(module, env[a])

        return run
    holders = [Tensor._make(None) if kind == "tensor" else None for kind, _ in spec]
    parts = tuple(zip(spec, holders))

    def run(env, inputs):
        args = []
        for (kind, v), holder in parts:
            if kind == "const":
                args.append(v)
            elif kind == "array":
                args.append(env[v])
            else:
                holder._data = env[v]
                args.append(holder)
        r = func(*args)
        if out is not None:
            env[out] = r

    return run


def reshape_step(fn, a, shape, out):
    """A reshape op (glassnet.ops.shape.View), whose reshaped array its caller computes."""
    forward = fn.forward

    def run(env, inputs):
        x = env[a]
        env[out] = forward(x, x.reshape(shape))

    return run


def view_step(src, dst, like, offset, strides):
    """``env[dst]``: a view into ``env[src]`` with the recorded shape, strides and offset."""
    shape, view_strides, dtype = like.shape, like.strides, like.dtype
    writeable = like.flags.writeable

    def run(env, inputs):
        base = env[src]
        if base.strides != strides:
            from glassnet.compile.errors import CompileError

            raise CompileError(
                "glassnet.compile: a traced array changed its memory layout between calls; "
                "call .reset() on the compiled function, or compile a smaller piece."
            )
        view = np.ndarray(shape, dtype, buffer=base, offset=offset, strides=view_strides)
        if not writeable:
            view.flags.writeable = False
        env[dst] = view

    return run
