"""The GRU cell of the fused recurrent ops, one direction's forward and backward; the layers,
directions and packing are the shared driver's (``recurrent_base``)."""

from __future__ import annotations

from glassnet.ops.recurrent_base import _project, _Sequence

__all__ = []


def _sigmoid_(xp, a):
    """Sigmoid in place, as 1 / (1 + exp(-a)): exp is about twice as fast as tanh in NumPy, and
    an overflow to inf still gives the right limit, 0 (run it under ``_quiet``)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


class GRUSequence(_Sequence):
    """GRU with PyTorch's gate order r, z, n: n = tanh(x W_in + b_in + r*(h W_hn + b_hn)),
    h' = (1 - z)*n + z*h."""

    def run(self, xp, X, ext, cext, cols, w, steps, H):
        H2 = 2 * H
        bias = len(w) == 4
        b = None
        if bias:
            b = w[2].copy()
            b[:H2] += w[3][:H2]
            b_hn = w[3][H2:]
        G = _project(X, w[0], b)
        # r and z get their own contiguous array: NumPy's SIMD exp is fast only there.
        whhT_rz, whhT_n = w[1][:H2].T, w[1][H2:].T
        RZ = xp.empty((G.shape[0], H2), G.dtype)
        GHN = xp.empty((G.shape[0], H), G.dtype)
        for rows, prev, out in steps:
            hp = ext[prev, cols]
            rz = RZ[rows]
            xp.matmul(hp, whhT_rz, out=rz)
            rz += G[rows, :H2]
            _sigmoid_(xp, rz)
            ghn = GHN[rows]
            xp.matmul(hp, whhT_n, out=ghn)
            if bias:
                ghn += b_hn
            n = G[rows, H2:]
            n += rz[:, :H] * ghn
            xp.tanh(n, out=n)
            h = ext[out, cols]
            xp.subtract(hp, n, out=h)
            h *= rz[:, H:]
            h += n
        return RZ, G[:, H2:], GHN

    def run_backward(self, xp, dext, dcext, ext, cext, cols, w, saved, plan, d, H):
        RZ, n, GHN = saved
        N = RZ.shape[0]
        r, z = RZ[:, :H], RZ[:, H:]
        hp = ext[plan.prev_all[d], cols]
        a = (1 - z) * (1 - n * n)  # d h' / d (pre-activation of n)
        K = xp.empty((N, 3, H), RZ.dtype)  # d h' / d (input projection), per gate
        xp.multiply(r, 1 - r, out=K[:, 0])
        K[:, 0] *= GHN
        K[:, 0] *= a
        xp.multiply(z, 1 - z, out=K[:, 1])
        K[:, 1] *= hp - n
        K[:, 2] = a
        Kh = K.copy()  # the same for the hidden projection, where n's block is scaled by r
        Kh[:, 2] *= r
        dGH = xp.empty((N, 3 * H), RZ.dtype)
        dGH3 = dGH.reshape(N, 3, H)
        w_hh = w[1]
        for rows, prev, out in reversed(plan.steps[d]):
            dh = dext[out, cols]
            xp.multiply(dh[:, None, :], Kh[rows], out=dGH3[rows])
            back = dGH[rows] @ w_hh
            back += dh * z[rows]
            dext[prev, cols] += back
        dGX = (dext[plan.B :, cols][:, None, :] * K).reshape(N, 3 * H)
        return dGX, dGH
