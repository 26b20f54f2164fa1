"""``GradScaler``: multiply the loss by a large factor before backward so that float16
gradients do not underflow, then divide the gradients back before the optimizer step (PyTorch's
``torch.amp.GradScaler``: same arguments, growth/backoff rule and state_dict keys).

A step whose gradients hold an inf or a nan is skipped and the scale is multiplied by
``backoff_factor``; after ``growth_interval`` finite steps in a row it is multiplied by
``growth_factor``.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([1.0]))
>>> opt = glassnet.optim.SGD([w], lr=0.1)
>>> scaler = GradScaler("cpu", init_scale=8.0)
>>> scaler.scale((w * 2).sum()).backward()
>>> scaler.step(opt); scaler.update()
>>> w.item(), scaler.get_scale()   # w - 0.1 * 2; the gradient was 16 before unscaling
(0.800000011920929, 8.0)
"""

from __future__ import annotations

import enum

import numpy as np

from glassnet import backend, grad_mode


class _State(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


class GradScaler:
    def __init__(
        self,
        device="cuda",
        init_scale=2.0**16,
        growth_factor=2.0,
        backoff_factor=0.5,
        growth_interval=2000,
        enabled=True,
    ):
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = enabled
        self._init_scale = float(init_scale)
        self._scale = np.float32(init_scale)  # a float32, as PyTorch's scale tensor
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs`` (a tensor, or lists/tuples of them) times the current scale."""
        if not self._enabled:
            return outputs
        from glassnet.tensor import Tensor

        if isinstance(outputs, Tensor):
            return outputs * float(self._scale)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _State.READY, "inf": 0.0})

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale in place (once per step), noting
        whether any is inf or nan."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] is _State.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is _State.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float32(1.0 / np.float64(self._scale))  # PyTorch: double reciprocal, then float
        found = False
        with grad_mode.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad._data
                    xp = backend.get_array_module(g)
                    g *= g.dtype.type(inv) if g.dtype.kind == "f" else inv
                    p.grad._version[0] += 1
                    if not bool(xp.isfinite(g).all()):
                        found = True
        state["inf"] = 1.0 if found else 0.0
        state["stage"] = _State.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet) and run ``optimizer.step()``, unless a gradient is inf or
        nan: then the step is skipped. Returns what ``optimizer.step`` returned (None if
        skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if state["stage"] is _State.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _State.READY:
            self.unscale_(optimizer)
        result = None if state["inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _State.STEPPED
        return result

    def update(self, new_scale=None):
        """Back off after an inf/nan, grow after ``growth_interval`` clean steps; or set
        ``new_scale``."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = np.float32(float(new_scale))
        else:
            found = [
                s["inf"] for s in self._per_optimizer.values() if s["stage"] is not _State.READY
            ]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if sum(found):
                # PyTorch: the float32 scale times the double factor, rounded once to float32
                self._scale = np.float32(np.float64(self._scale) * self._backoff_factor)
                self._growth_tracker = 0
            else:
                tracker = self._growth_tracker + 1
                if tracker == self._growth_interval:
                    grown = np.float32(np.float64(self._scale) * self._growth_factor)
                    if np.isfinite(grown):  # PyTorch keeps the scale rather than overflow
                        self._scale = grown
                    tracker = 0
                self._growth_tracker = tracker
        self._per_optimizer = {}

    def get_scale(self) -> float:
        return float(self._scale) if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, value):
        self._growth_factor = float(value)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, value):
        self._backoff_factor = float(value)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, value):
        self._growth_interval = int(value)

    def state_dict(self) -> dict:
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval,
        _growth_tracker."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        self._scale = np.float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
