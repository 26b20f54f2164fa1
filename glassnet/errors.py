"""glassnet's exceptions: each one names the op or layer, what it got, and the likely fix.

They subclass the built-in exceptions a Python user already catches, so
``except ValueError`` still works around a ``ShapeError``.
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
