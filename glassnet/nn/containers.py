"""Containers: Sequential (a pipeline of layers), ModuleList, ModuleDict, and the shape adapters
Flatten and Unflatten that sit between convolutional and linear layers.

Children are registered under PyTorch's names ("0", "1", ... or the dict keys), so
``state_dict`` keys such as ``0.weight`` match a PyTorch twin.

>>> import glassnet
>>> from glassnet import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.ReLU())
>>> model(glassnet.ones(2, 3, 4)).shape
glassnet.Size([2, 4])
>>> len(model), type(model[1]).__name__, len(model[:2])
(3, 'Linear', 2)
"""

from __future__ import annotations

import operator
from collections import OrderedDict

from glassnet import grad_mode
from glassnet.errors import ShapeError
from glassnet.nn import module as _module
from glassnet.nn.module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict", "Flatten", "Unflatten"]


def _index(idx, size, kind):
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range for a {kind} of length {size}")
    return idx % size


class _Indexed(Module):
    """What Sequential and ModuleList share: children named "0", "1", ... in order."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add a layer at the end."""
        self.add_module(str(len(self)), module)
        return self

    def _renumber(self, modules):
        """Make ``modules`` the children, named 0..n-1 (PyTorch's names after an edit)."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module


class Sequential(_Indexed):
    """Runs its layers one after another, each fed the previous one's output.

    Build it from layers (``Sequential(a, b)``) or from an ``OrderedDict`` of named layers.

    >>> from collections import OrderedDict
    >>> from glassnet import nn
    >>> net = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.Tanh())]))
    >>> net.fc
    Linear(in_features=2, out_features=3, bias=True)
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        """Feed ``input`` through every layer in order."""
        if not grad_mode._enabled and not _module._hooks_registered:
            return self._forward_no_graph(input)
        for module in self._modules.values():
            input = module(input)
        return input

    def _forward_no_graph(self, input):
        # Without a graph (inference) and without hooks that could see intermediate outputs, a
        # layer that returns a new array only this loop holds (Linear) may hand it to a
        # following ReLU, which then works in that memory: one buffer and one call less.
        # A layer may also run together with the next (a Conv2d with an eval-mode BatchNorm2d,
        # nn.conv_norm_fold): one call, one output array, that fresh one.
        fresh = False
        modules = list(self._modules.values())
        i, count = 0, len(modules)
        while i < count:
            module = modules[i]
            i += 1
            if fresh and module._in_place_after_fresh:
                module._apply_in_place(input._data)
                fresh = False
                continue
            if module._folds_next_without_graph and i < count:
                joint = module._fold_next(modules[i], input)
                if joint is not None:
                    input, fresh = joint, True
                    i += 1
                    continue
            input = module(input)
            # (a forward replaced on the instance makes no such promise)
            fresh = module._fresh_output_without_graph and "forward" not in module.__dict__
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        self.add_module(keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        targets = (
            keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Sequential")]]
        )
        for key in targets:
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def insert(self, index, module):
        """Add a layer before position ``index`` (later layers are renumbered)."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)
        return self

    def extend(self, sequential):
        """Append every layer of another Sequential (or any iterable of layers)."""
        for layer in sequential:
            self.append(layer)
        return self

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(
                f"add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return Sequential(*self, *other)


class ModuleList(_Indexed):
    """A list of layers whose parameters the parent module can see (a Python list would hide
    them). Call them yourself in ``forward``.

    >>> from glassnet import nn
    >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    >>> len(list(blocks.parameters()))
    6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(items), "ModuleList")]
        self._renumber(items)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])

    def extend(self, modules):
        """Append every layer of an iterable."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Add a layer before position ``index``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def __repr__(self):
        # PyTorch folds runs of identical layers: "(0-2): 3 x Linear(...)".
        if not self._modules:
            return "ModuleList()"
        lines, reprs = [], [repr(m) for m in self._modules.values()]
        start = 0
        for i in range(1, len(reprs) + 1):
            if i < len(reprs) and reprs[i] == reprs[start]:
                continue
            body = reprs[start].replace("\n", "\n  ")
            if i - start == 1:
                lines.append(f"({start}): {body}")
            else:
                lines.append(f"({start}-{i - 1}): {i - start} x {body}")
            start = i
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of named layers whose parameters the parent module can see.

    >>> from glassnet import nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "box": nn.Linear(8, 4)})
    >>> list(heads.keys())
    ['cls', 'box']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every layer."""
        self._modules.clear()

    def pop(self, key):
        """Remove the layer ``key`` and return it."""
        value = self._modules[key]
        del self._modules[key]
        return value

    def keys(self):
        """The layer names."""
        return self._modules.keys()

    def items(self):
        """(name, layer) pairs."""
        return self._modules.items()

    def values(self):
        """The layers."""
        return self._modules.values()

    def update(self, modules):
        """Add (name, layer) pairs from a mapping or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module


class Flatten(Module):
    """Flattens dims ``start_dim``..``end_dim`` into one (by default all but the batch dim).

    >>> import glassnet
    >>> Flatten()(glassnet.ones(2, 3, 4, 5)).shape
    glassnet.Size([2, 60])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        shape = input._data.shape
        n = len(shape)
        if n == 0:
            return input.reshape(1)
        start, end = self.start_dim, self.end_dim
        if not (-n <= start < n and -n <= end < n):
            raise ShapeError(
                f"{self._error_label()}: input of shape {tuple(shape)} has {n} dims; "
                f"start_dim={start} and end_dim={end} must lie in [{-n}, {n - 1}]."
            )
        start, end = start % n, end % n
        if start > end:
            raise ShapeError(f"{self._error_label()}: start_dim cannot come after end_dim")
        size = 1
        for s in shape[start : end + 1]:
            size *= s
        return input.reshape(shape[:start] + (size,) + shape[end + 1 :])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size`` (the inverse of Flatten).

    >>> import glassnet
    >>> Unflatten(1, (3, 4))(glassnet.ones(2, 12)).shape
    glassnet.Size([2, 3, 4])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        shape = input._data.shape
        n = len(shape)
        if not -n <= self.dim < n:
            raise ShapeError(
                f"{self._error_label()}: dim {self.dim} is out of range for an input of shape "
                f"{tuple(shape)}."
            )
        dim = self.dim % n
        new = tuple(self.unflattened_size)
        known = 1
        for s in new:
            if s != -1:
                known *= s
        if (-1 not in new and known != shape[dim]) or (-1 in new and shape[dim] % known):
            raise ShapeError(
                f"{self._error_label()}: cannot split dim {self.dim} of size {shape[dim]} "
                f"(input shape {tuple(shape)}) into {new}; the product must be {shape[dim]}."
            )
        return input.reshape(shape[:dim] + new + shape[dim + 1 :])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
