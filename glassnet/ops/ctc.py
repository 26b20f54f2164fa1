"""Connectionist Temporal Classification loss: the forward (alpha) and backward (beta) recursions
in log space, vectorised over the batch; Python loops only over time.

A target ``l`` of length S is extended to ``l'`` of length 2S + 1 with blanks around every label.
``alpha[t, s]`` is the log-probability of all alignments of the first t + 1 frames that end in
``l'_s``; ``beta`` the same from the end. The loss is ``-log p(l | x)``, and its gradient with
respect to ``log_probs[t, c]`` is minus the expected number of times label c is emitted at t:
``-sum_{s: l'_s = c} exp(alpha[t, s] + beta_hat[t, s] - log p)``.

This is the exact gradient of the loss with respect to ``log_probs``. PyTorch's native backward
adds ``exp(log_probs)`` (the gradient it returns is meant to flow through a ``log_softmax``), so
for ``log_probs`` that come from ``log_softmax`` (the usual case) the two agree after that op.

>>> import glassnet
>>> lp = glassnet.tensor([[[0.0, -30.0]], [[-30.0, 0.0]]])  # (T=2, N=1, C=2), blank = 0
>>> t = glassnet.tensor([[1]])
>>> CTC.apply(lp, t, glassnet.tensor([2]), glassnet.tensor([1]), 0, "sum", False).item() < 1e-6
True
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module


class CTC(Function):
    """CTC loss on ``log_probs`` (T, N, C) or (T, C); ``targets`` padded (N, S) class indices;
    lengths as integer arrays (N,). Checks and format conversion live in the functional."""

    def forward(
        self, log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
    ):
        xp = get_array_module(log_probs)
        self.unbatched = log_probs.ndim == 2
        if self.unbatched:
            log_probs, targets = log_probs[:, None], targets[None]
            input_lengths, target_lengths = input_lengths.reshape(1), target_lengths.reshape(1)
        n_time, batch, n_classes = log_probs.shape
        dtype = log_probs.dtype
        width = 2 * targets.shape[1] + 1
        # Extended labels: blank, l1, blank, l2, ..., blank. Padding beyond a target's length
        # is clipped to a valid class; it only ever feeds positions that are never read.
        ext = xp.full((batch, width), blank, dtype=xp.int64)
        ext[:, 1::2] = xp.clip(targets, 0, n_classes - 1)
        lpl = xp.take_along_axis(log_probs, xp.broadcast_to(ext[None], (n_time, batch, width)), 2)
        # A jump over a blank (s - 2 -> s) is allowed only between two different labels; as a
        # log-mask (0 allowed, -inf not) it is one addition per step.
        skip = xp.zeros((batch, width), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        skip_log = xp.where(skip, 0, -xp.inf).astype(dtype)
        steps = max(int(input_lengths.max()), 1) if batch else 1

        # Two -inf columns on the left stand for positions s - 1 and s - 2 before the start.
        padded = xp.full((steps, batch, width + 2), -xp.inf, dtype=dtype)
        padded[0, :, 2:4] = lpl[0, :, :2]
        acc, jump = xp.empty((batch, width), dtype), xp.empty((batch, width), dtype)
        for t in range(1, steps):
            prev = padded[t - 1]
            xp.logaddexp(prev[:, 2:], prev[:, 1:-1], out=acc)
            xp.add(prev[:, :-2], skip_log, out=jump)
            xp.logaddexp(acc, jump, out=acc)
            xp.add(acc, lpl[t], out=padded[t, :, 2:])
        alpha = padded[:, :, 2:]

        rows = xp.arange(batch)
        last = xp.maximum(input_lengths - 1, 0)
        end = 2 * target_lengths
        at_end = alpha[last, rows, end]
        before_end = xp.where(
            target_lengths > 0, alpha[last, rows, xp.maximum(end - 1, 0)], -xp.inf
        )
        nll = -xp.logaddexp(at_end, before_end)
        # No frames: probability 1 for an empty target, 0 otherwise.
        nll = xp.where(input_lengths > 0, nll, xp.where(target_lengths > 0, xp.inf, 0))
        nll = nll.astype(dtype, copy=False)
        self.infinite = xp.isinf(nll)
        if zero_infinity:
            nll = xp.where(self.infinite, 0, nll).astype(dtype, copy=False)

        self.alpha, self.lpl, self.ext, self.skip_log, self.nll = alpha, lpl, ext, skip_log, nll
        self.shape, self.blank, self.zero_infinity = log_probs.shape, blank, zero_infinity
        self.input_lengths, self.target_lengths, self.end = input_lengths, target_lengths, end
        self.reduction = reduction
        if reduction == "none":
            return nll[0] if self.unbatched else nll
        if reduction == "sum":
            return nll.sum()
        self.divisor = xp.maximum(target_lengths, 1).astype(dtype) * batch
        return (nll / self.divisor).sum()

    def backward(self, grad):
        xp = get_array_module(grad)
        alpha, lpl, ext = self.alpha, self.lpl, self.ext
        n_time, batch, n_classes = self.shape
        steps, width = alpha.shape[0], alpha.shape[2]
        dtype = alpha.dtype
        if self.reduction == "none":
            g = grad.reshape(batch)
        elif self.reduction == "sum":
            g = xp.broadcast_to(grad, (batch,))
        else:
            g = grad / self.divisor
        if self.zero_infinity:
            g = xp.where(self.infinite, 0, g)
        # beta starts at the last frame of each sequence, on its last label or final blank:
        # a log-term of 0 there (and -inf elsewhere), merged in with one maximum per step.
        positions = xp.arange(width)[None]
        at_start = (positions == self.end[:, None]) | (
            (positions == self.end[:, None] - 1) & (self.target_lengths[:, None] > 0)
        )
        start_time = xp.where(self.input_lengths > 0, self.input_lengths - 1, -1)
        starts = at_start[None] & (xp.arange(steps)[:, None, None] == start_time[None, :, None])
        start_log = xp.where(starts, 0, -xp.inf).astype(dtype)
        # The jump s -> s + 2 is allowed where the jump s + 2 <- s is.
        jump_log = xp.full((batch, width), -xp.inf, dtype=dtype)
        jump_log[:, :-2] = self.skip_log[:, 2:]

        # rest[t, s]: log-prob of finishing from (t, s), excluding frame t's own emission.
        rest = xp.empty((steps, batch, width), dtype=dtype)
        beta = xp.full((batch, width + 2), -xp.inf, dtype=dtype)  # at t + 1, two pad columns
        jump = xp.empty((batch, width), dtype)
        for t in range(steps - 1, -1, -1):
            r = rest[t]
            xp.logaddexp(beta[:, :-2], beta[:, 1:-1], out=r)
            xp.add(beta[:, 2:], jump_log, out=jump)
            xp.logaddexp(r, jump, out=r)
            xp.maximum(r, start_log[t], out=r)
            xp.add(r, lpl[t], out=beta[:, :-2])
        occupancy = xp.exp(alpha + rest + self.nll[None, :, None])

        # Sum the occupancies of every extended position that emits class c.
        index = (
            xp.arange(steps)[:, None, None] * batch + xp.arange(batch)[None, :, None]
        ) * n_classes + ext[None]
        counts = xp.bincount(
            index.ravel(), weights=occupancy.ravel(), minlength=steps * batch * n_classes
        )
        grad_lp = xp.zeros(self.shape, dtype=alpha.dtype)
        grad_lp[:steps] = counts.reshape(steps, batch, n_classes) * (-g)[None, :, None]
        if self.unbatched:
            grad_lp = grad_lp[:, 0]
        return grad_lp, None, None, None
