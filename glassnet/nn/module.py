"""Module: the base class of every layer and model.

Assigning a Parameter, a Module or a buffer to an attribute registers it, so ``parameters()``,
``state_dict()``, ``to()`` and ``train()``/``eval()`` walk the whole tree. ``state_dict`` keys are
PyTorch's (``features.0.weight``, ``bn.running_mean``), so weights move both ways.

>>> from glassnet import nn
>>> class TwoLayer(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.hidden = nn.Linear(2, 8)
...         self.out = nn.Linear(8, 1)
...     def forward(self, x):
...         return self.out(self.hidden(x).tanh())
>>> sorted(TwoLayer().state_dict())
['hidden.bias', 'hidden.weight', 'out.bias', 'out.weight']
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from collections.abc import Mapping

from glassnet import grad_mode
from glassnet.errors import GlassnetError, ShapeError
from glassnet.nn.backward_hooks import add_hook as _add_hook
from glassnet.nn.backward_hooks import call_with_backward_hooks
from glassnet.nn.module_device import _ModuleDevice
from glassnet.nn.module_errors import _name_failing_layer
from glassnet.nn.module_tree import _ModuleTree
from glassnet.nn.parameter import Buffer, Parameter
from glassnet.nn.registration import Registration
from glassnet.nn.state_dict import IncompatibleKeys  # noqa: F401 - re-exported
from glassnet.nn.state_dict import load_state_dict as _load_state_dict

# False until some module registers a forward/backward hook: until then no call looks for them.
_hooks_registered = False


def _note_hooks():
    global _hooks_registered
    _hooks_registered = True


class Module(Registration, _ModuleTree, _ModuleDevice):
    """Base class for layers and models: subclass it, make layers in ``__init__``, write
    ``forward``. The tree walks (``named_parameters``, ``modules``, ...) come from
    ``nn.module_tree``, the device moves and casts (``to``, ``cuda``, ``float``) from
    ``nn.module_device``."""

    training: bool
    # Sequential's inference path (no graph, no hooks): a layer whose output is then a new
    # array nobody else holds, and a layer that can work in such an array's memory.
    _fresh_output_without_graph = False
    _in_place_after_fresh = False
    # ... and a layer that can run together with the next one (``_fold_next(next, input)``
    # returns their joint output as a fresh array, or None to run them one by one).
    _folds_next_without_graph = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Those promises hold for the class that makes them, not for its subclasses, which may
        # override forward.
        for name in (
            "_fresh_output_without_graph",
            "_in_place_after_fresh",
            "_folds_next_without_graph",
        ):
            if name not in cls.__dict__:
                setattr(cls, name, False)

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; subclasses define it, and callers call the module, not forward."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # ---- calling ------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # The hot path of every layer: no hooks, no bookkeeping on success. (A Module's
        # attributes are slow to read, because of __getattr__, so the three hook registries are
        # only looked at once some module has registered a hook.)
        if _hooks_registered and (
            self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
        ):
            call = self._call_with_hooks
        else:
            try:
                return self.forward(*args, **kwargs)
            except GlassnetError as exc:
                _name_failing_layer(self, exc)
                raise
        try:
            return call(args, kwargs)
        except GlassnetError as exc:
            _name_failing_layer(self, exc)
            raise

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        if self._backward_hooks and grad_mode.is_grad_enabled():
            out = call_with_backward_hooks(self, args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # ---- walking the tree ---------------------------------------------------------------------
    def get_submodule(self, target):
        """The submodule at a dotted path, PyTorch's semantics and messages: ``""`` is the
        module itself, ``"encoder.layers.0"`` walks attribute by attribute.

        >>> from glassnet import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> net.get_submodule("0")
        Linear(in_features=2, out_features=3, bias=True)
        """
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def _attribute_at(self, target):
        """(owning module, last name, value) for a dotted path, with PyTorch's message when the
        name is missing."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name, getattr(module, name)

    def get_parameter(self, target):
        """The parameter at a dotted path such as ``"encoder.fc.weight"`` (PyTorch's errors:
        a missing name, or a name that is not a Parameter, raise AttributeError)."""
        _, name, param = self._attribute_at(target)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at a dotted path such as ``"bn1.running_mean"`` (non-persistent buffers
        too; a missing name or a name that is not a buffer raises AttributeError, as PyTorch)."""
        module, name, buffer = self._attribute_at(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return buffer

    # ---- modes and gradients --------------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout drops, batch norm updates its statistics) for the whole tree;
        a subclass overriding ``train`` is called for its own subtree, as in PyTorch."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze (True) every parameter, e.g. for transfer learning."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's ``.grad`` (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """name -> tensor for every parameter and persistent buffer (PyTorch's keys)."""
        out = OrderedDict() if destination is None else destination
        # Shared modules and tied parameters appear under every name, as in PyTorch.
        for module_name, module in self.named_modules(
            prefix=prefix.rstrip("."), remove_duplicate=False
        ):
            base = module_name + ("." if module_name else "")
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    out[base + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy tensors (or NumPy arrays) into the parameters and buffers with the same names.

        ``state_dict`` is a dict, or the path (str or os.PathLike) of a file ``glassnet.load``
        reads: a safetensors file (from any tool) or one ``glassnet.save`` wrote. With
        ``strict`` (the default) every missing key, unexpected key and shape mismatch is
        listed in one error, so a wrong architecture is easy to spot; for a file the error
        also names the file. ``model.load_state_dict("resnet18.safetensors")``
        """
        if isinstance(state_dict, (str, os.PathLike)):
            return self._load_state_dict_file(os.fspath(state_dict), strict, assign)
        return _load_state_dict(self, state_dict, strict, assign)

    def _load_state_dict_file(self, path, strict, assign):
        from glassnet.serialization import load  # late: serialization imports nn

        state = load(path)
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: {path!r} holds a "
                f"{type(state).__name__}, not a state_dict (name -> tensor); if it is a "
                "training checkpoint, pass the entry that holds the model's weights"
            )
        try:
            return _load_state_dict(self, state, strict, assign)
        except RuntimeError as e:
            # Same error type and wording as for a dict, plus which file did not fit.
            raise type(e)(f"{e}\n\t(the state_dict was read from {path!r})") from None

    # ---- hooks ----------------------------------------------------------------------------------
    def register_forward_hook(self, hook):
        """``hook(module, inputs, output)`` after each forward; may return a new output."""
        _note_hooks()
        return _add_hook(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        """``hook(module, inputs)`` before each forward; may return new inputs."""
        _note_hooks()
        return _add_hook(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook):
        """``hook(module, grad_input, grad_output)`` once the gradients with respect to this
        module's inputs are computed (grad_input holds None for inputs without grad)."""
        _note_hooks()
        return _add_hook(self._backward_hooks, hook)

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this layer's parentheses in ``repr`` (``in_features=2, ...``)."""
        return ""

    def _error_label(self):
        """How error messages name this layer: the first line of its repr."""
        summary = repr(self).split("\n")[0]
        return summary[:-1] if summary.endswith("(") else summary

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __getstate__(self):
        raise TypeError("glassnet never pickles modules; save weights with glassnet.save")

    def __deepcopy__(self, memo):
        # copy.deepcopy(model) (EMA and target networks) without going through pickling.
        new = object.__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        return new


__all__ = ["Module", "Parameter", "Buffer", "ShapeError"]
