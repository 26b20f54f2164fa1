"""Adam and AdamW: per-parameter step sizes from running averages of the gradient (m) and of its
square (v), with bias correction. AdamW decays the weights directly (decoupled weight decay)
instead of adding weight_decay * theta to the gradient.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([1.0]))
>>> opt = Adam([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> round(w.item(), 4)    # the first Adam step moves by lr, whatever the gradient's size
0.9
"""

from __future__ import annotations

import math

from glassnet.backend import get_array_module
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.validation import BETAS, NON_NEGATIVE


class Adam(Optimizer):
    decoupled = False
    settings = {
        "lr": NON_NEGATIVE,
        "betas": BETAS,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
            ),
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        state["step"] += 1
        t = state["step"]
        if wd:
            if self.decoupled:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # One scratch buffer and in-place ufuncs: the same arithmetic as the textbook lines
        # m += (g - m)(1 - beta1); v = beta2 v + (1 - beta2) g^2; p -= lr/bias1 m / denom,
        # without a temporary array per operation: 12 passes over the parameter's size (13
        # with AdamW's decay), each reading at most two arrays.
        tmp = xp.subtract(grad, m)
        tmp *= 1 - beta1
        m += tmp
        xp.multiply(grad, 1 - beta2, out=tmp)
        tmp *= grad
        v *= beta2
        v += tmp
        bias1 = 1 - beta1**t
        bias2_sqrt = math.sqrt(1 - beta2**t)
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # lr / bias1 * m / (sqrt(v) / bias2_sqrt + eps), with bias2_sqrt moved into the scalars:
        # (lr * bias2_sqrt / bias1) * m / (sqrt(v) + eps * bias2_sqrt), one pass fewer
        denom = xp.sqrt(v, out=tmp)
        denom += eps * bias2_sqrt
        step = xp.divide(m, denom, out=tmp)
        step *= lr * bias2_sqrt / bias1
        param -= step


class AdamW(Adam):
    decoupled = True

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        maximize=False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
