"""The closures a lowered array call runs on each replay, each with its line of Python
(``source`` over ``names``) that the plan joins into one function: into a buffer (``out=``),
into the slot's own array, or as a fresh array; and the views and aliases made once per new
array. ``array_calls`` decides which; this module only makes the closures.

>>> import numpy as np
>>> from glassnet.compile.calls import S
>>> run = _run(np.add, [S(0), S(1)], 2, "fresh", None)
>>> run.source
'env[2] = {f}(env[0], env[1])'
"""

from __future__ import annotations

import numpy as np

from glassnet.compile.calls import S

__all__ = []

_asarray = np.asarray


def _as_array(func):
    """A 0-d result as an array (a ufunc gives a NumPy scalar), as the recorded step keeps it."""

    def call(*args):
        return _asarray(func(*args))

    call.__name__ = f"asarray_{getattr(func, '__name__', 'call')}"
    return call


def _view_run(func, src, out):
    """``env[out] = func(env[src])`` for a view (``.T``, a window): remade only when the array
    is another one than last time (a parameter is usually the same array on every replay)."""
    last = [None, None]

    def run(env, inputs):
        a = env[src]
        if a is not last[0]:
            last[0], last[1] = a, func(a)
        env[out] = last[1]

    return run


def _alias_run(src, out):
    def run(env, inputs):
        env[out] = env[src]

    run.source, run.names = f"env[{out}] = env[{src}]", {}
    return run


def _run(func, args, out, target, buffer):
    """The closure of ``_closure`` with its line of Python attached (``source``, a template
    over ``names``): the plan joins the lines into one function (plan.py)."""
    run = _closure(func, args, out, target, buffer)
    names, texts = {"f": func}, []
    for i, a in enumerate(args):
        if a.__class__ is S:
            texts.append(f"env[{a.k}]")
        else:
            names[f"c{i}"] = a
            texts.append(f"{{c{i}}}")
    call = "{f}(" + ", ".join(texts)
    if target == "buffer":
        names["o"] = buffer
        run.source = call + ", out={o})"
    elif target == "update":
        run.source = call + f", out=env[{out}])"
    else:
        run.source = f"env[{out}] = " + call + ")"
    run.names = names
    return run


def _closure(func, args, out, target, buffer):
    """``func`` on the slots and constants of ``args``: into ``buffer`` ("buffer"), into the
    slot's own array ("update"), or as a new array stored in the slot ("fresh"). The common
    argument shapes get their own closure (each replay pays a few Python steps per call)."""
    kinds = tuple(a.__class__ is S for a in args)
    vals = tuple(a.k if a.__class__ is S else a for a in args)
    if kinds == (True,):
        (a,) = vals
        if target == "buffer":

            def run(env, inputs):
                func(env[a], out=buffer)

        elif target == "update":

            def run(env, inputs):
                func(env[a], out=env[out])

        else:

            def run(env, inputs):
                env[out] = func(env[a])

        return run
    if kinds == (True, True):
        a, b = vals
        if target == "buffer":

            def run(env, inputs):
                func(env[a], env[b], out=buffer)

        elif target == "update":

            def run(env, inputs):
                func(env[a], env[b], out=env[out])

        else:

            def run(env, inputs):
                env[out] = func(env[a], env[b])

        return run
    if kinds == (True, False):
        a, c = vals
        if target == "buffer":

            def run(env, inputs):
                func(env[a], c, out=buffer)

        elif target == "update":

            def run(env, inputs):
                func(env[a], c, out=env[out])

        else:

            def run(env, inputs):
                env[out] = func(env[a], c)

        return run
    if kinds == (False, True):
        c, b = vals
        if target == "buffer":

            def run(env, inputs):
                func(c, env[b], out=buffer)

        elif target == "update":

            def run(env, inputs):
                func(c, env[b], out=env[out])

        else:

            def run(env, inputs):
                env[out] = func(c, env[b])

        return run
    parts = tuple(zip(kinds, vals))

    def run(env, inputs):
        xs = [env[v] if is_slot else v for is_slot, v in parts]
        if target == "buffer":
            func(*xs, out=buffer)
        elif target == "update":
            func(*xs, out=env[out])
        else:
            env[out] = func(*xs)

    return run
