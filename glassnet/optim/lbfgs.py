"""L-BFGS: a quasi-Newton method that builds a picture of the loss's curvature from the last
few steps and gradients, for full-batch problems with few parameters (curve fitting, small
regressions, style transfer). One ``step(closure)`` runs up to ``max_iter`` iterations, calling
``closure`` (which clears the gradients, computes the loss, calls ``backward`` and returns the
loss) as often as it needs.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.tensor([-1.0, 2.0], dtype=glassnet.float64))
>>> opt = LBFGS([w], line_search_fn="strong_wolfe")
>>> def closure():
...     opt.zero_grad()
...     loss = ((w - glassnet.tensor([3.0, -1.0], dtype=glassnet.float64)) ** 2).sum()
...     loss.backward()
...     return loss
>>> opt.step(closure).item()      # step returns the loss before the step
25.0
>>> [round(v, 6) for v in w.tolist()]
[3.0, -1.0]

The search direction is the two-loop recursion of Nocedal and Wright (Numerical Optimization,
algorithm 7.4) over the last ``history_size`` pairs (s = change of the weights, y = change of the
gradient); the step length is ``lr`` (the first step shorter, ``lr * min(1, 1 / |g|_1)``), or
the one a strong-Wolfe line search chooses. The stopping rules, the state kept between calls and
the order of the arithmetic follow PyTorch's ``torch.optim.LBFGS``, so on the same float64
problem both give the same iterates.
"""

from __future__ import annotations

from functools import partial

from glassnet.backend import get_array_module
from glassnet.grad_mode import enable_grad, no_grad
from glassnet.optim.line_search import strong_wolfe
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.validation import NON_NEGATIVE, POSITIVE_INT, OneOf, validate

# A curvature pair (s, y) enters the history only when y . s exceeds this, which keeps the
# inverse-Hessian picture positive definite (as PyTorch does).
_MIN_CURVATURE = 1e-10


class LBFGS(Optimizer):
    """L-BFGS with PyTorch's arguments. Only one parameter group; ``step`` needs a closure."""

    settings = {
        "lr": NON_NEGATIVE,
        "max_iter": POSITIVE_INT,
        "max_eval": POSITIVE_INT,
        "tolerance_grad": NON_NEGATIVE,
        "tolerance_change": NON_NEGATIVE,
        "history_size": POSITIVE_INT,
        "line_search_fn": OneOf(None, "strong_wolfe"),
    }

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if max_eval is None:  # PyTorch's default: a quarter more evaluations than iterations
            max_eval = validate("LBFGS", "max_iter", max_iter, POSITIVE_INT) * 5 // 4
        super().__init__(
            params,
            dict(
                lr=lr,
                max_iter=max_iter,
                max_eval=max_eval,
                tolerance_grad=tolerance_grad,
                tolerance_change=tolerance_change,
                history_size=history_size,
                line_search_fn=line_search_fn,
            ),
        )
        if len(self.param_groups) != 1:
            raise ValueError(
                f"LBFGS doesn't support per-parameter options (parameter groups): got "
                f"{len(self.param_groups)} groups; pass one list of parameters"
            )
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, group):
        super().add_param_group(group)
        if hasattr(self, "_params"):  # a group added after construction
            self.param_groups.pop()
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    # ---- the weights as one flat vector -----------------------------------------------------
    def _flat_grad(self):
        xp = get_array_module(self._params[0]._data)
        parts = [
            xp.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return xp.concatenate(parts)

    def _move(self, t, d):
        """weights += t * d (d flat)."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * d[offset : offset + n].reshape(p._data.shape)
            p._version[0] += 1
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            loss = closure()
        return float(loss), self._flat_grad()

    def _evaluate_at(self, closure, start, d, t):
        """Loss and gradient at ``start + t * d``; the weights are put back to ``start``."""
        self._move(t, d)
        loss, grad = self._evaluate(closure)
        for p, x in zip(self._params, start):
            p._data[...] = x
            p._version[0] += 1
        return loss, grad

    # ---- one step: up to max_iter iterations ------------------------------------------------
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; return the loss ``closure`` gave first."""
        if closure is None:
            raise TypeError(
                "LBFGS.step needs a closure that re-evaluates the model: def closure(): "
                "opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss"
            )
        group = self.param_groups[0]
        # The whole algorithm keeps one state, stored under the first parameter as PyTorch does
        # (so that state_dict has PyTorch's layout).
        state = self.state.setdefault(self._params[0], {"func_evals": 0, "n_iter": 0})
        with no_grad():
            return self._iterate(closure, group, state)

    def _iterate(self, closure, group, state):
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        xp = get_array_module(self._params[0]._data)

        with enable_grad():
            first_loss = closure()
        loss, grad = float(first_loss), self._flat_grad()
        evals = 1
        state["func_evals"] += 1
        if float(xp.abs(grad).max()) <= tolerance_grad:
            return first_loss  # already at a stationary point

        d, t = state.get("d"), state.get("t")
        prev_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1

            if state["n_iter"] == 1:  # the very first iteration: steepest descent
                d = -grad
                state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            else:
                self._remember(state, grad - prev_grad, d * t, group["history_size"])
                d = _two_loop(state, grad, group["history_size"])
            prev_grad, prev_loss = grad.copy(), loss

            # The first step ever is scaled down by the gradient's size; later ones are lr.
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(grad).sum())) * lr
            else:
                t = lr
            slope = float(xp.dot(grad, d))
            if slope > -tolerance_change:  # not a descent direction any more
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = [p._data.copy() for p in self._params]
                loss, grad, t, used = strong_wolfe(
                    partial(self._evaluate_at, closure, start, d),
                    d,
                    t,
                    loss,
                    grad,
                    slope,
                    max_evals=max_eval - evals,
                )
                self._move(t, d)
                converged = float(xp.abs(grad).max()) <= tolerance_grad
            else:
                self._move(t, d)
                used = 0
                converged = False
                if iteration != max_iter:
                    # No use evaluating after the last iteration: the next step will.
                    loss, grad = self._evaluate(closure)
                    converged = float(xp.abs(grad).max()) <= tolerance_grad
                    used = 1
            evals += used
            state["func_evals"] += used

            if iteration == max_iter or evals >= max_eval or converged:
                break
            if float(xp.abs(d * t).max()) <= tolerance_change:  # the weights hardly move
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss hardly changes
                break

        state.update(d=d, t=t, prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _remember(state, y, s, history_size):
        """Add the curvature pair (s, y) of the last step, dropping the oldest beyond
        ``history_size``; skip it when y . s is too small to keep the picture positive."""
        ys = float(y @ s)
        if ys > _MIN_CURVATURE:
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y @ y)  # scale of the initial inverse Hessian


def _two_loop(state, grad, history_size):
    """The direction -H grad, with H the L-BFGS inverse-Hessian estimate from the history
    (y_i in ``old_dirs``, s_i in ``old_stps``, rho_i = 1 / y_i.s_i in ``ro``)."""
    ys, ss, rho = state["old_dirs"], state["old_stps"], state["ro"]
    alpha = state.setdefault("al", [None] * history_size)
    q = -grad
    for i in reversed(range(len(ys))):  # newest to oldest
        alpha[i] = float(ss[i] @ q) * rho[i]
        q -= alpha[i] * ys[i]
    r = q * state["H_diag"]
    for i in range(len(ys)):  # oldest to newest
        beta = float(ys[i] @ r) * rho[i]
        r += (alpha[i] - beta) * ss[i]
    return r


__all__ = ["LBFGS"]
