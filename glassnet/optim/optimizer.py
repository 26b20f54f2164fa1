"""Optimizer: the base class. A subclass says how to start one parameter's state and how to
update one parameter; the base class walks the parameter groups.

Updates run in place on the parameters' arrays, under no_grad, building no graph.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([1.0, -2.0]))
>>> opt = glassnet.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w
Parameter containing:
tensor([ 0.8000, -1.6000], requires_grad=True)
"""

from __future__ import annotations

import copy
import warnings

from glassnet import backend
from glassnet.grad_mode import no_grad
from glassnet.optim.validation import validate
from glassnet.tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyperparameters) and per-parameter
    ``state``; ``step()`` applies ``update`` to every parameter that has a gradient.

    ``settings`` maps a hyperparameter to the rule its values must follow (see
    ``glassnet.optim.validation``); the defaults and every group's own values are checked when
    they are given, so a NaN learning rate fails at construction, not ten epochs later."""

    settings: dict = {}

    def __init__(self, params, defaults: dict):
        name = type(self).__name__
        self.defaults = {
            key: validate(name, key, value, self.settings[key]) if key in self.settings else value
            for key, value in defaults.items()
        }
        self.check_group(self.defaults, name)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts (parameter groups), "
                f"got a single Tensor; pass a list: {name}([w], ...), or model.parameters()"
            )
        if isinstance(params, dict):  # PyTorch fails here too, on the dict's keys
            raise TypeError(
                f"{name}: params is one dict; pass a list of parameter groups: "
                f"{name}([{{'params': ..., 'lr': ...}}, ...]), or model.parameters()"
            )
        params = list(params)
        if not params:
            raise ValueError(
                f"{name} got an empty parameter list; pass model.parameters() of a model that "
                "has parameters, or a non-empty list of Tensors"
            )
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ---- what a subclass writes -----------------------------------------------------------------
    def init_state(self, param, group) -> dict:
        """The state a parameter starts with (momentum buffers and the like)."""
        return {}

    def update(self, param, grad, state, group) -> None:
        """Change ``param`` (an array) in place, given its gradient (an array) and state."""
        raise NotImplementedError

    # ---- the walk -----------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            from glassnet.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = self.init_state(p._data, group)
                    grad = p.grad._data
                    if group.get("maximize", False):
                        grad = -grad
                    self.update(p._data, grad, state, group)
                    p._version[0] += 1
        return loss

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad._data[...] = 0

    def add_param_group(self, group: dict):
        """Add parameters with their own hyperparameters (e.g. a smaller lr for a backbone)."""
        name = type(self).__name__
        index = len(self.param_groups)
        if not isinstance(group, dict):
            raise TypeError(
                f"{name}: parameter group {index} must be a dict like {{'params': [...], "
                f"'lr': ...}}, got a {type(group).__name__}"
            )
        if "params" not in group:
            raise KeyError(f"{name}: parameter group {index} has no 'params' entry")
        group = dict(group)
        params = group["params"]
        if isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must come in an ordered collection (a list), not a set: "
                "a set's order changes between runs, and so would the saved optimizer state"
            )
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:  # model.named_parameters(): (name, tensor) pairs, as PyTorch allows
            if len(names) != len(params):
                raise ValueError(
                    f"{name}: give every parameter with a name or none of them; parameter group "
                    f"{index} mixes (name, tensor) pairs and bare tensors"
                )
            params = [p[1] for p in params]
            group["param_names"] = names
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name} can only optimize Tensors, but parameter {i} of group {index} is a "
                    f"{type(p).__name__} ({p!r:.40})"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name} can only optimize leaf Tensors (Parameters); parameter {i} of group "
                    f"{index} is the result of an op (call .detach().requires_grad_() on it)"
                )
        if len({id(p) for p in params}) != len(params):
            # PyTorch warns here (an error in its future); the parameter would step twice.
            warnings.warn(
                f"{name}: parameter group {index} holds the same parameter more than once; it "
                "would be updated twice per step (list each parameter once)",
                UserWarning,
                stacklevel=3,
            )
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError(
                    f"{name}: all parameter groups must be given with names or all without; "
                    f"group {index} differs from the earlier ones"
                )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(
                f"{name}: some parameters appear in more than one parameter group (group "
                f"{index} repeats an earlier group's parameter); list each parameter once"
            )
        owner = f"{name} (parameter group {index})"
        for key, rule in self.settings.items():
            if key in group:
                group[key] = validate(owner, key, group[key], rule)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.check_group(group, owner)
        self.param_groups.append(group)

    def check_group(self, group: dict, owner: str) -> None:
        """Checks that involve several settings of one group (SGD: Nesterov needs momentum)."""

    # ---- saving -------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """PyTorch's layout: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [i]}]}``.
        Arrays in the state are Tensors; numbers stay numbers."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: _pack(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
            for i, p in zip(saved["params"], group["params"]):
                by_index[i] = p
            for k, v in saved.items():
                if k != "params":
                    group[k] = copy.deepcopy(v)
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            xp_device = backend.device_of(p._data)
            self.state[p] = {k: _restore(v, p, xp_device) for k, v in s.items()}

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _is_array(v):
    return hasattr(v, "dtype") and hasattr(v, "shape") and not isinstance(v, (int, float))


def _pack(value):
    """A copy of one state entry with arrays as Tensors (LBFGS keeps lists of arrays)."""
    if _is_array(value):
        return Tensor._make(value.copy())
    if isinstance(value, (list, tuple)):
        return type(value)(_pack(v) for v in value)
    return value


def _restore(value, param, device):
    if isinstance(value, (list, tuple)):
        return type(value)(_restore(v, param, device) for v in value)
    if isinstance(value, Tensor):
        array = value._data
    elif _is_array(value):
        array = value
    else:
        return value
    # Moment buffers take the parameter's dtype and device; the step count keeps its own.
    array = backend.to_device(array, device)
    if array.shape == param._data.shape and array.dtype != param._data.dtype:
        array = array.astype(param._data.dtype)
    return array.copy()
