"""The Elman RNN cell of the fused recurrent ops (tanh or relu), one direction's forward and
backward; the layers, directions and packing are the shared driver's (``recurrent_base``)."""

from __future__ import annotations

from glassnet.ops.recurrent_base import _project, _Sequence

__all__ = []


class RNNSequence(_Sequence):
    """Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def run(self, xp, X, ext, cext, cols, w, steps, H):
        G = _project(X, w[0], w[2] + w[3] if len(w) == 4 else None)
        whhT, relu = w[1].T, self.nonlinearity == "relu"
        for rows, prev, out in steps:
            g = G[rows]
            g += ext[prev, cols] @ whhT
            if relu:
                xp.maximum(g, 0, out=ext[out, cols])
            else:
                xp.tanh(g, out=ext[out, cols])
        return None

    def run_backward(self, xp, dext, dcext, ext, cext, cols, w, saved, plan, d, H):
        Y = ext[plan.B :, cols]
        slope = (Y > 0).astype(Y.dtype) if self.nonlinearity == "relu" else 1 - Y * Y
        dG = xp.empty_like(slope)
        w_hh = w[1]
        for rows, prev, out in reversed(plan.steps[d]):
            dg = dG[rows]
            xp.multiply(dext[out, cols], slope[rows], out=dg)
            dext[prev, cols] += dg @ w_hh
        return dG, dG
