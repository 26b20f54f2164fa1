"""Find the first op whose output stops being finite, by running a computation again with
every op watched. Used once, when the Doctor first sees a NaN or infinity, so its cost does
not matter; normal steps never pay for it.

>>> import glassnet
>>> x = glassnet.tensor([1.0, 0.0])
>>> first_nonfinite_op(lambda: (x.log() * 2).sum())
('Log', (0.0, 1.0))
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import to_numpy


def _arrays(values):
    for v in values:
        if hasattr(v, "dtype") and hasattr(v, "shape"):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from _arrays(v)


def _finite(a) -> bool:
    a = to_numpy(a)
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def first_nonfinite_op(run):
    """``(op name, (min, max) of its inputs)`` for the first op that made a non-finite value
    out of finite inputs while ``run()`` ran, or None."""
    from glassnet import autograd, grad_mode

    found = []
    original = autograd._new

    def new(cls):
        obj = original(cls)
        if found or not isinstance(obj, autograd.Function):
            return obj
        forward = obj.forward

        def watched(*args, **kwargs):
            out = forward(*args, **kwargs)
            if not found:
                ins = list(_arrays(args))
                if all(_finite(a) for a in ins) and not all(_finite(o) for o in _arrays([out])):
                    vals = [to_numpy(a).astype(np.float64).ravel() for a in ins if a.size]
                    allv = np.concatenate(vals) if vals else np.zeros(0)
                    rng = (float(allv.min()), float(allv.max())) if allv.size else None
                    found.append((cls.__name__, rng))
            return out

        obj.forward = watched
        return obj

    autograd._new = new
    try:
        with grad_mode.no_grad():
            run()
    except Exception:  # a second run that fails tells nothing new
        pass
    finally:
        autograd._new = original
    return found[0] if found else None
