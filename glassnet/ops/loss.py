"""Fused loss Functions: each computes a whole loss (and its reduction) in one forward and one
backward, which is faster than composing primitives and keeps the maths stable.

``ClassLoss`` is log-softmax + NLL (cross entropy) or plain NLL over class dim 1, with any number
of spatial dims; ``BCEWithLogits`` never forms ``sigmoid(x)`` so large logits cannot overflow.
CTC lives in ``glassnet.ops.ctc``. The checks and error messages are in
``glassnet.nn.functional.loss``; these Functions trust their arguments.

>>> import glassnet
>>> x = glassnet.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = ClassLoss.apply(x, glassnet.tensor([0]), None, "mean", -100, 0.0, True)
>>> loss.backward()
>>> x.grad
tensor([[-0.1562,  0.1142,  0.0420]])
"""

from __future__ import annotations

import warnings

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.operands import _quiet


def reduce_loss(loss, reduction, divisor):
    """Sum or average the per-element losses ('none' keeps them)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else total / divisor


def _scale(grad, reduction, divisor):
    """The output's gradient as a per-element factor (broadcastable to the loss)."""
    return grad / divisor if reduction == "mean" else grad


# ---- regression losses of the difference input - target --------------------------------------
class _DiffLoss(Function):
    """A loss of ``d = input - target`` (broadcast), times an optional weight, then reduced.

    Subclasses give ``value(xp, d, param) -> (loss, dloss/dd)``. ``weight_divides`` says whether
    'mean' with a weight divides by ``weight.sum()`` (mse, l1) or by the element count (huber).
    """

    weight_divides = True

    def forward(self, x, t, weight, reduction, param=None):
        xp = get_array_module(x)
        raw, self.slope = self.value(xp, x - t, param)
        self.reduction, self.weight = reduction, weight
        loss = raw
        if weight is not None:
            self.raw = raw
            loss = raw * weight
        self.by_weight = weight is not None and self.weight_divides
        self.divisor = weight.sum() if self.by_weight else loss.size
        self.out = reduce_loss(loss, reduction, self.divisor)
        return self.out

    def backward(self, grad):
        g = _scale(grad, self.reduction, self.divisor)
        gd = self.slope * g
        gw = None
        if self.weight is not None:
            gd = gd * self.weight
            if self.by_weight and self.reduction == "mean":
                gw = (self.raw - self.out) * g  # the weight also appears in the divisor
            else:
                gw = self.raw * g
        return gd, -gd, gw


class MSE(_DiffLoss):
    def value(self, xp, d, param):
        return d * d, 2 * d


class L1(_DiffLoss):
    def value(self, xp, d, param):
        return xp.abs(d), xp.sign(d)


class SmoothL1(_DiffLoss):
    """0.5 d^2 / beta inside |d| < beta, |d| - 0.5 beta outside (plain L1 when beta == 0)."""

    def value(self, xp, d, beta):
        ad = xp.abs(d)
        if beta == 0:
            return ad, xp.sign(d)
        small = ad < beta
        return (
            xp.where(small, (0.5 / beta) * d * d, ad - 0.5 * beta),
            xp.where(small, d / beta, xp.sign(d)),
        )


class Huber(_DiffLoss):
    """0.5 d^2 inside |d| < delta, delta (|d| - 0.5 delta) outside."""

    weight_divides = False

    def value(self, xp, d, delta):
        ad = xp.abs(d)
        small = ad < delta
        return (
            xp.where(small, 0.5 * d * d, delta * (ad - 0.5 * delta)),
            xp.where(small, d, delta * xp.sign(d)),
        )


# ---- divergences and binary cross entropy ----------------------------------------------------
class KLDiv(Function):
    """target * (log(target) - input), or exp(t) * (t - input) with ``log_target``."""

    def forward(self, x, t, reduction, log_target):
        xp = get_array_module(x)
        self.x, self.t, self.log_target, self.reduction = x, t, log_target, reduction
        if log_target:
            self.et = xp.exp(t)
            loss = self.et * (t - x)
        else:
            positive = t > 0
            self.log_t = xp.log(xp.where(positive, t, 1))
            loss = xp.where(positive, t * self.log_t, 0) - t * x
        # 'batchmean' divides the sum by the batch size, 'mean' by every element.
        self.divisor = loss.size if reduction == "mean" else (x.shape[0] if x.ndim else 1)
        return reduce_loss(loss, "mean" if reduction == "batchmean" else reduction, self.divisor)

    def backward(self, grad):
        reduction = "mean" if self.reduction == "batchmean" else self.reduction
        g = _scale(grad, reduction, self.divisor)
        if self.log_target:
            return -self.et * g, self.et * (self.t - self.x + 1) * g
        return -self.t * g, (self.log_t + 1 - self.x) * g


class BCE(Function):
    """-w (t log x + (1 - t) log(1 - x)) on probabilities x, logs clamped at -100 as PyTorch."""

    def forward(self, x, t, weight, reduction):
        xp = get_array_module(x)
        with _quiet(xp):
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * self.log_x + (1 - t) * self.log_1mx)
        if weight is not None:
            loss = loss * weight
        self.x, self.t, self.weight, self.reduction = x, t, weight, reduction
        self.divisor = loss.size
        return reduce_loss(loss, reduction, self.divisor)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = _scale(grad, self.reduction, self.divisor)
        if self.weight is not None:
            g = g * self.weight
        x = self.x
        # PyTorch's guard: the denominator never drops below 1e-12 at x == 0 or 1.
        gx = g * (x - self.t) / xp.maximum((1 - x) * x, 1e-12)
        return gx, g * (self.log_1mx - self.log_x)


class BCEWithLogits(Function):
    """Sigmoid + BCE in one: w ((1 - t) x + (1 + (p - 1) t) softplus(-x)), p = pos_weight."""

    def forward(self, x, t, weight, pos_weight, reduction):
        xp = get_array_module(x)
        # softplus(-x) = log(1 + exp(-x)) written so exp never overflows.
        self.sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        self.lw = None if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + (self.sp if self.lw is None else self.lw * self.sp)
        if weight is not None:
            loss = loss * weight
        self.x, self.t, self.weight, self.pos_weight = x, t, weight, pos_weight
        self.reduction, self.divisor = reduction, loss.size
        return reduce_loss(loss, reduction, self.divisor)

    def backward(self, grad):
        xp = get_array_module(grad)
        g = _scale(grad, self.reduction, self.divisor)
        if self.weight is not None:
            g = g * self.weight
        x, t = self.x, self.t
        sig_neg = xp.exp(-x - self.sp)  # sigmoid(-x), stable at both ends
        if self.lw is None:
            return g * ((1 - t) - sig_neg), -g * x
        return g * ((1 - t) - self.lw * sig_neg), g * ((self.pos_weight - 1) * self.sp - x)


# ---- ranking and embedding losses --------------------------------------------------------------
class MarginRanking(Function):
    """max(0, -y (x1 - x2) + margin), broadcasting like PyTorch."""

    def forward(self, x1, x2, y, margin, reduction):
        xp = get_array_module(x1)
        diff = x1 - x2
        z = margin - y * diff
        self.mask = z >= 0  # PyTorch's clamp_min passes the gradient at the boundary
        self.diff, self.y, self.reduction = diff, y, reduction
        loss = xp.maximum(z, 0)
        self.divisor = loss.size
        return reduce_loss(loss, reduction, self.divisor)

    def backward(self, grad):
        g = _scale(grad, self.reduction, self.divisor) * self.mask
        gy = g * self.y
        return -gy, gy, -g * self.diff


class CosineEmbedding(Function):
    """1 - cos(a, b) where y == 1, max(0, cos(a, b) - margin) where y == -1; rows along dim 1."""

    def forward(self, a, b, y, margin, reduction):
        xp = get_array_module(a)
        axis = a.ndim - 1
        dot = (a * b).sum(axis=axis)
        # PyTorch's epsilon keeps zero vectors finite.
        m1 = (a * a).sum(axis=axis) + 1e-12
        m2 = (b * b).sum(axis=axis) + 1e-12
        denom = xp.sqrt(m1 * m2)
        cos = dot / denom
        pos, neg = y == 1, (y == -1) & (cos >= margin)
        loss = xp.where(y == 1, 1 - cos, 0) + xp.where(y == -1, xp.maximum(cos - margin, 0), 0)
        loss = loss.astype(a.dtype, copy=False)
        self.a, self.b, self.m1, self.m2, self.denom, self.cos = a, b, m1, m2, denom, cos
        self.sign = (neg.astype(a.dtype) - pos).astype(a.dtype, copy=False)
        self.reduction, self.divisor = reduction, loss.size
        return reduce_loss(loss, reduction, self.divisor)

    def backward(self, grad):
        xp = get_array_module(grad)
        c = xp.expand_dims(_scale(grad, self.reduction, self.divisor) * self.sign, -1)
        cos, denom = xp.expand_dims(self.cos, -1), xp.expand_dims(self.denom, -1)
        m1, m2 = xp.expand_dims(self.m1, -1), xp.expand_dims(self.m2, -1)
        ga = c * (self.b / denom - cos * self.a / m1)
        gb = c * (self.a / denom - cos * self.b / m2)
        return ga, gb, None


# ---- classification over a class dim -----------------------------------------------------------
class ClassLoss(Function):
    """Cross entropy (``from_logits``: log-softmax fused in) or NLL over class dim 1.

    Arguments: input (N, C, *) or (C,); target of class indices (N, *) or class probabilities
    shaped like the input; ``weight`` a (C,) array or None. Every case is written as
    ``loss = -sum_c q_c log p_c`` with a target distribution q (smoothed, weighted, masked), so
    the gradient is ``p * sum(q) - q`` for logits and ``-q`` for log-probabilities. With logits,
    ``log p = shifted - lse`` is never stored whole: forward keeps ``exp(shifted)`` and its sum,
    which is all the backward's softmax needs.
    """

    def forward(self, x, target, weight, reduction, ignore_index, smoothing, from_logits):
        xp = get_array_module(x)
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, target = x[None], target[None]
        n_classes = x.shape[1]
        wshape = (1, n_classes) + (1,) * (x.ndim - 2)
        w = None if weight is None else weight.reshape(wshape)
        if from_logits:
            peak = x.max(axis=1, keepdims=True)
            if n_classes > 1 and peak.size and peak.max() <= 1:
                _warn_if_probabilities(xp, x)
            scores = x - peak
            self.e = xp.exp(scores)
            self.s = self.e.sum(axis=1, keepdims=True)
            lse = xp.log(self.s)[:, 0]
        else:
            scores, lse = x, 0
        self.probs = target.dtype.kind == "f"
        if self.probs:
            q = target if smoothing == 0 else target * (1 - smoothing) + smoothing / n_classes
            if w is not None:
                q = q * w
            self.q_sum = q.sum(axis=1)
            loss = self.q_sum * lse - (q * scores).sum(axis=1)
            self.q, self.scores, self.lse, divisor = q, scores, lse, loss.size
        else:
            valid = target != ignore_index
            n_valid = int(valid.sum())
            # Fast path: nothing ignored and no weights (the common case) needs no masking.
            plain = n_valid == valid.size and w is None
            safe = target if n_valid == valid.size else xp.where(valid, target, 0)
            if x.ndim == 2:
                picked = scores[_arange(xp, x.shape[0]), safe]
            else:
                picked = xp.take_along_axis(scores, safe[:, None], axis=1)[:, 0]
            if plain:
                wy, loss = 1, lse - picked
                divisor = n_valid
            else:
                wy = valid.astype(x.dtype) if w is None else weight[safe] * valid
                loss = wy * (lse - picked)
                divisor = wy.sum()
            if smoothing:
                total = scores.sum(axis=1) if w is None else (scores * w).sum(axis=1)
                w_sum = n_classes if w is None else weight.sum()
                spread = (w_sum * lse - total) * valid
                loss = (1 - smoothing) * loss + (smoothing / n_classes) * spread
            self.safe, self.valid, self.wy, self.plain = safe, valid, wy, plain
        self.reduction, self.divisor, self.smoothing = reduction, divisor, smoothing
        self.from_logits, self.w, self.weight, self.dtype = from_logits, w, weight, x.dtype
        self.in_shape = x.shape
        out = reduce_loss(loss, reduction, divisor)
        return out[0] if self.unbatched and reduction == "none" else out

    def backward(self, grad):
        xp = get_array_module(grad)
        if self.unbatched and self.reduction == "none":
            grad = grad[None]
        g = _scale(grad, self.reduction, self.divisor)
        if self.reduction == "none":
            g = g[:, None]
        eps, logits = self.smoothing, self.from_logits
        g_target = None
        if self.probs:
            q = self.q
            # softmax * sum(q) - q, with softmax = e / s
            gx = self.e * ((self.q_sum[:, None] * g) / self.s) - q * g if logits else -q * g
            w = 1 if self.w is None else self.w
            logp = self.scores - self.lse[:, None] if logits else self.scores
            g_target = -(1 - eps) * w * logp * g
        else:
            coef = g if self.plain else self.wy[:, None] * g
            if coef.ndim < 2:  # a reduced loss: every sample gets the same factor
                coef = xp.broadcast_to(coef, (self.in_shape[0], 1) + self.in_shape[2:])
            n_classes = self.in_shape[1]
            if logits:
                total = (1 - eps) * coef if eps else coef
                if eps:
                    w_sum = n_classes if self.w is None else self.weight.sum()
                    total = total + (eps / n_classes) * w_sum * (self.valid[:, None] * g)
                gx = self.e * (total / self.s)
            else:
                gx = xp.zeros(self.in_shape, dtype=coef.dtype)
            hit = (1 - eps) * coef if eps else coef
            if gx.ndim == 2:
                gx[_arange(xp, gx.shape[0]), self.safe] -= hit[:, 0]
            else:
                classes = xp.arange(n_classes).reshape((1, -1) + (1,) * (gx.ndim - 2))
                gx -= (classes == self.safe[:, None]) * hit
            if eps:
                valid = self.valid[:, None] * g
                gx -= (eps / n_classes) * (valid if self.w is None else self.w * valid)
        gx = gx.astype(self.dtype, copy=False)
        if self.unbatched:
            gx = gx[0]
            g_target = None if g_target is None else g_target[0]
        return gx, g_target, None


_ARANGE = {}


def _arange(xp, n):
    """arange(n), cached: the row index of every cross-entropy call on a batch of n."""
    key = (xp.__name__, n)
    rows = _ARANGE.get(key)
    if rows is None:
        rows = _ARANGE[key] = xp.arange(n)
    return rows


def _warn_if_probabilities(xp, x):
    """cross_entropy applies log-softmax itself: rows that already sum to 1 are a likely bug."""
    if x.min() >= 0 and float(xp.abs(x.sum(axis=1) - 1).max()) < 1e-3:
        warnings.warn(
            "cross_entropy: every row of the input is in [0, 1] and sums to 1, so it looks like "
            "softmax probabilities. cross_entropy takes raw logits (it applies log_softmax "
            "itself); remove the softmax at the end of the model, or use nll_loss(log(probs)).",
            UserWarning,
            stacklevel=5,
        )
