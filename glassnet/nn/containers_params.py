"""ParameterList and ParameterDict: parameters held in a list or dict that the parent module
sees (``parameters()``, ``state_dict()`` keys ``0``, ``1``, ... or the dict keys), as in PyTorch.
A plain Tensor put in becomes a Parameter.

>>> import glassnet
>>> from glassnet import nn
>>> ps = nn.ParameterList([glassnet.zeros(2), glassnet.ones(3)])
>>> [tuple(p.shape) for p in ps], list(ps.state_dict())
([(2,), (3,)], ['0', '1'])
>>> pd = nn.ParameterDict({"scale": glassnet.ones(1)})
>>> "scale" in pd, type(pd["scale"]).__name__
(True, 'Parameter')
"""

from __future__ import annotations

import operator

from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor

__all__ = ["ParameterList", "ParameterDict"]


def _as_parameter(value):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of parameters (or other values) registered under "0", "1", ...

    >>> import glassnet
    >>> from glassnet import nn
    >>> ps = nn.ParameterList()
    >>> ps.append(glassnet.zeros(2)).extend([glassnet.ones(1)])
    ParameterList(
        (0): Parameter containing: [glassnet.float32 of size 2]
        (1): Parameter containing: [glassnet.float32 of size 1]
    )
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _key(self, idx):
        idx = operator.index(idx)
        if not -self._size <= idx < self._size:
            raise IndexError(f"index {idx} is out of range for a ParameterList of {self._size}")
        return str(idx % self._size)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, self._key(idx))

    def __setitem__(self, idx, value):
        key = self._key(idx)
        value = _as_parameter(value)
        if isinstance(value, Parameter) or value is None:
            self._parameters.pop(key, None)
            self.register_parameter(key, value)
        else:
            self._parameters.pop(key, None)
            object.__setattr__(self, key, value)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(self._size))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value):
        """Add ``value`` at the end; returns the list."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        """Append each of ``values``; returns the list."""
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        lines = []
        for i in range(self._size):
            p = self[i]
            if isinstance(p, Tensor):
                size = "x".join(str(s) for s in p.shape)
                kind = "Parameter containing" if isinstance(p, Parameter) else "Tensor"
                lines.append(f"  ({i}): {kind}: [glassnet.{p.dtype} of size {size}]")
            else:
                lines.append(f"  ({i}): Object of type: {type(p).__name__}")
        return "\n".join(lines)

    def __repr__(self):
        body = self.extra_repr()
        return (
            "ParameterList(\n" + body.replace("  (", "    (") + "\n)" if body else "ParameterList()"
        )


class ParameterDict(Module):
    """A dict of parameters registered under their keys (insertion order kept).

    >>> import glassnet
    >>> from glassnet import nn
    >>> pd = nn.ParameterDict({"a": glassnet.zeros(1)})
    >>> pd["b"] = glassnet.ones(2)
    >>> list(pd.keys()), len(pd), pd.get("c") is None
    (['a', 'b'], 2, True)
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be str, got {type(key).__name__}")
        self._keys[key] = None
        value = _as_parameter(value)
        self._parameters.pop(key, None)
        if isinstance(value, Parameter) or value is None:
            self.register_parameter(key, value)
        else:
            object.__setattr__(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self):
        """(key, parameter) pairs."""
        return [(k, self[k]) for k in self._keys]

    def values(self):
        """The parameters."""
        return [self[k] for k in self._keys]

    def get(self, key, default=None):
        """``self[key]`` if present, else ``default``."""
        return self[key] if key in self else default

    def pop(self, key):
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove and return the last inserted (key, parameter) pair."""
        key = list(self._keys)[-1]
        return key, self.pop(key)

    def setdefault(self, key, default=None):
        """``self[key]``, first setting it to ``default`` when missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        """Remove every entry."""
        for key in list(self._keys):
            del self[key]

    def copy(self):
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(self.items())

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with each of ``keys`` set to ``default``."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters):
        """Add (key, value) pairs from a mapping or an iterable of pairs. A plain dict's keys
        go in sorted order, ordered ones (OrderedDict, ParameterDict) in theirs, as PyTorch."""
        from collections import OrderedDict

        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif hasattr(parameters, "items"):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for key, value in pairs:
            self[key] = value

    def __or__(self, other):
        out = self.copy()
        out.update(other)
        return out

    def __ior__(self, other):
        self.update(other)
        return self

    def __repr__(self):
        lines = []
        for k, p in self.items():
            size = "x".join(str(s) for s in p.shape) if isinstance(p, Tensor) else ""
            lines.append(f"    ({k}): Parameter containing: [glassnet.{p.dtype} of size {size}]")
        return "ParameterDict(\n" + "\n".join(lines) + "\n)" if lines else "ParameterDict()"
