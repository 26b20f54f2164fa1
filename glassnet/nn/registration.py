"""How a Module registers what is assigned to it: parameters, buffers and child modules.

PyTorch's rules, which decide the order of ``children()``, ``named_parameters()`` and
``state_dict()``: a name lives in one registry (``_parameters``, ``_buffers`` or ``_modules``),
and re-assigning a name keeps its place there. A subclass that replaces a layer its parent made
(``self.decoder = nn.Linear(...)`` after ``super().__init__()`` set ``decoder``) therefore
keeps PyTorch's key order, and weights move between the two frameworks unchanged.

>>> from glassnet import nn
>>> class Base(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.encoder = nn.Linear(4, 2)
...         self.decoder = nn.Linear(2, 4)
...         self.head = nn.Linear(4, 1)
>>> class Wider(Base):
...     def __init__(self):
...         super().__init__()
...         self.decoder = nn.Linear(2, 8)      # replaced: keeps its place before ``head``
...         self.head = nn.Linear(8, 1)
>>> [name for name, _ in Wider().named_children()]
['encoder', 'decoder', 'head']
"""

from __future__ import annotations

from glassnet.nn.parameter import Buffer, Parameter
from glassnet.tensor import Tensor


class Registration:
    """The attribute protocol of ``nn.Module`` (kept apart from the rest of Module)."""

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise _before_init("Parameter", name)
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(glassnet.nn.Parameter or None expected); wrap it: nn.Parameter(tensor), "
                    f"or change its values in place: self.{name}.data.copy_(tensor)"
                )
            self.register_parameter(name, None)
        else:
            modules = d.get("_modules")
            if isinstance(value, Registration):
                if modules is None:
                    raise _before_init(type(value).__name__, name)
                self._forget(name, keep="_modules")
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{_typename(value)}' as child module '{name}' "
                        "(glassnet.nn.Module or None expected); delete it first "
                        f"(del self.{name}) to use the name for something else"
                    )
                modules[name] = None
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{_typename(value)}' as buffer '{name}' "
                            "(glassnet.nn.Buffer, glassnet.Tensor or None expected)"
                        )
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Drop ``name`` from the instance dict and from every registry but ``keep``, so that a
        name re-assigned within its registry keeps its place (as PyTorch orders them)."""
        d = self.__dict__
        d.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            reg = d.get(registry)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def register_parameter(self, name, param):
        """Add a parameter under ``name`` (same as assigning an ``nn.Parameter`` attribute)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(glassnet.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is state but not learned (BatchNorm's running mean); saved in
        ``state_dict`` unless ``persistent=False``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(glassnet.Tensor or None required)"
            )
        if isinstance(tensor, Buffer):
            tensor = Tensor._make(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (same as assigning it as an attribute)."""
        if module is not None and not isinstance(module, Registration):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name, self, self._modules)
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of ``add_module``."""
        self.add_module(name, module)


def _check_name(kind, name, module, registry):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if name not in registry and hasattr(module, name):
        raise KeyError(
            f"attribute '{name}' already exists; delete it first (del self.{name}) or pick "
            "another name"
        )


def _before_init(what, name):
    return AttributeError(
        f"cannot assign {what} '{name}' before Module.__init__() call: "
        "call super().__init__() first in your __init__"
    )


def _typename(value):
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
