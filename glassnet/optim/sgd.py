"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

theta <- theta - lr * g, where g is the gradient (plus weight_decay * theta), optionally
smoothed by a momentum buffer: buf <- momentum * buf + (1 - dampening) * g.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([1.0]))
>>> opt = SGD([w], lr=0.5, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
>>> round(w.item(), 4)
-0.9
"""

from __future__ import annotations

from glassnet.optim.optimizer import Optimizer
from glassnet.optim.validation import NON_NEGATIVE, Real


class SGD(Optimizer):
    settings = {
        "lr": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
        "dampening": Real(),  # PyTorch does not check it; glassnet only refuses NaN and inf
        "weight_decay": NON_NEGATIVE,
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def check_group(self, group, owner):
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{owner}: Nesterov momentum requires a momentum and zero dampening, got "
                f"nesterov=True with momentum={group['momentum']!r} and "
                f"dampening={group['dampening']!r}; set momentum > 0 (e.g. 0.9) and dampening=0"
            )

    def init_state(self, param, group):
        return {"momentum_buffer": None}

    def update(self, param, grad, state, group):
        wd, momentum = group["weight_decay"], group["momentum"]
        if wd:
            grad = grad + wd * param
        if momentum:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                dampening = group["dampening"]
                if dampening:
                    buf += (1 - dampening) * grad
                else:
                    buf += grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad
