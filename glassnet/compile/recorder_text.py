"""How the recorder writes arrays and constants in a plan's lines (``explain()``): a shape as
``(2, 3)``, an array constant as ``array(2, 3)``, anything else by a short repr.

>>> import numpy as np
>>> _fmt(np.zeros(4)), _const_text(np.zeros((2, 3))), _const_text(0.5)
('(4,)', 'array(2, 3)', '0.5')
"""

from __future__ import annotations

__all__ = []


def _shape(a):
    return tuple(a.shape) if hasattr(a, "shape") else ()


def _fmt(a):
    shape = _shape(a)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _const_text(v):
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return f"array{_fmt(v)}"
    text = repr(v)
    return text if len(text) <= 24 else text[:21] + "..."
