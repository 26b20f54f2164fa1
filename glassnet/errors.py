"""glassnet's exceptions: each one names the op or layer, what it got, and the likely fix.

Each is also the built-in exception a PyTorch user catches for the same mistake (PyTorch raises
``RuntimeError`` for shapes that do not fit and for most dtype clashes), and the one a Python
user would guess (``ValueError`` for a bad shape, ``TypeError`` for a bad dtype), so both
``except RuntimeError`` and ``except ValueError`` catch a ``ShapeError``.

>>> import glassnet
>>> try:
...     glassnet.ones(2, 3) @ glassnet.ones(2, 3)
... except RuntimeError as e:
...     print(type(e).__name__)
ShapeError
"""


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose."""


class ShapeError(GlassnetError, RuntimeError, ValueError):
    """Shapes that do not fit together (matmul inner sizes, broadcasting, a layer's input)."""


class DTypeError(GlassnetError, TypeError, RuntimeError):
    """A dtype the op cannot take (integer targets where floats are needed, and so on)."""


class DeviceError(GlassnetError, RuntimeError):
    """Tensors on different devices in one op, or a device that is not available."""


class AutogradError(GlassnetError, RuntimeError):
    """Misuse of autograd: backward twice through a freed graph, in-place on a needed tensor."""
