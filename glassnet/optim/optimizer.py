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

from glassnet import backend
from glassnet.grad_mode import no_grad
from glassnet.tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyperparameters) and per-parameter
    ``state``; ``step()`` applies ``update`` to every parameter that has a gradient."""

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
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
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor) or not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__} can only optimize leaf Tensors (Parameters); "
                    f"got {type(p).__name__}"
                )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

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
                    state[index[id(p)]] = {
                        k: Tensor._make(v.copy()) if _is_array(v) else v
                        for k, v in self.state[p].items()
                    }
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


def _restore(value, param, device):
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
