"""The other adaptive-step optimizers of the guides: Adagrad, RMSprop, Adadelta, Adamax, NAdam.

Each keeps running statistics of past gradients per parameter and scales the step by them.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([1.0]))
>>> opt = RMSprop([w], lr=0.01)
>>> (w * w).sum().backward(); opt.step()
>>> round(w.item(), 3)
0.9
"""

from __future__ import annotations

from glassnet.backend import get_array_module
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.validation import BETAS, NON_NEGATIVE, UNIT_INTERVAL


def _decayed(grad, param, wd):
    return grad + wd * param if wd else grad


class Adagrad(Optimizer):
    """Divides each step by the root of the sum of all past squared gradients."""

    settings = {
        "lr": NON_NEGATIVE,
        "lr_decay": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "initial_accumulator_value": NON_NEGATIVE,
        "eps": NON_NEGATIVE,
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "sum": xp.full_like(param, group["initial_accumulator_value"])}

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        state["step"] += 1
        grad = _decayed(grad, param, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= clr * grad / (xp.sqrt(state["sum"]) + group["eps"])


class RMSprop(Optimizer):
    """Divides each step by a running root-mean-square of recent gradients."""

    settings = {
        "lr": NON_NEGATIVE,
        "alpha": NON_NEGATIVE,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        state = {"step": 0, "square_avg": xp.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        alpha = group["alpha"]
        state["step"] += 1
        grad = _decayed(grad, param, group["weight_decay"])
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * grad * grad
        if group["centered"]:
            ga = state["grad_avg"]
            ga += (grad - ga) * (1 - alpha)
            avg = xp.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = xp.sqrt(sq) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * grad / avg


class Adadelta(Optimizer):
    """Scales steps by the ratio of running RMS of past updates to running RMS of gradients."""

    settings = {
        "lr": NON_NEGATIVE,
        "rho": UNIT_INTERVAL,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
    }

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        grad = _decayed(grad, param, group["weight_decay"])
        sq, acc = state["square_avg"], state["acc_delta"]
        sq *= rho
        sq += (1 - rho) * grad * grad
        delta = xp.sqrt(acc + eps) / xp.sqrt(sq + eps) * grad
        acc *= rho
        acc += (1 - rho) * delta * delta
        param -= group["lr"] * delta


class Adamax(Optimizer):
    """Adam with the infinity norm: the step is scaled by a running max of |gradient|."""

    settings = {
        "lr": NON_NEGATIVE,
        "betas": BETAS,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
    }

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False
    ):
        super().__init__(
            params,
            dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize),
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        beta1, beta2 = group["betas"]
        state["step"] += 1
        grad = _decayed(grad, param, group["weight_decay"])
        m, u = state["exp_avg"], state["exp_inf"]
        m += (grad - m) * (1 - beta1)
        xp.maximum(u * beta2, xp.abs(grad) + group["eps"], out=u)
        param -= group["lr"] / (1 - beta1 ** state["step"]) * m / u


class NAdam(Optimizer):
    """Adam with Nesterov momentum (and PyTorch's momentum-decay schedule)."""

    settings = {
        "lr": NON_NEGATIVE,
        "betas": BETAS,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "momentum_decay": NON_NEGATIVE,
    }

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {
            "step": 0,
            "mu_product": 1.0,
            "exp_avg": xp.zeros_like(param),
            "exp_avg_sq": xp.zeros_like(param),
        }

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        state["step"] += 1
        t = state["step"]
        if wd:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        decay = group["momentum_decay"]
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * decay))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (grad - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * grad * grad
        denom = xp.sqrt(v / (1 - beta2**t)) + group["eps"]
        param -= lr * (1 - mu) / (1 - mu_product) * grad / denom
        param -= lr * mu_next / (1 - mu_product * mu_next) * m / denom


__all__ = ["Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam"]
