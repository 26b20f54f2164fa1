"""The LSTM cell of the fused recurrent ops, one direction's forward and backward, gate-major
for speed; the layers, directions and packing are the shared driver's (``recurrent_base``)."""

from __future__ import annotations

from glassnet import kernels
from glassnet.ops.recurrent_base import _project_gates, _Sequence

__all__ = []


class LSTMSequence(_Sequence):
    """LSTM with PyTorch's gate order i, f, g, o: c' = f*c + i*g, h' = o*tanh(c').

    The gates are kept gate-major, ``G[k]`` the ``(N, H)`` rows of gate ``k`` for every step, so
    a step's four gates are four contiguous ``(rows, H)`` blocks: the per-gate products of the
    cell run on contiguous data (on strided column slices of ``(rows, 4H)`` NumPy pays a loop
    per row, several times the cost of the arithmetic at these sizes).
    """

    has_cell = True

    def run(self, xp, X, ext, cext, cols, w, steps, H):
        # One sigmoid over all four gates is much faster than three over slices, with
        # tanh(x) = 2 sigmoid(2x) - 1 for the cell gate. The sigmoid's negation and the cell
        # gate's doubling are folded into copies of the weights (scaling by -1 and -2 is exact,
        # so every sum is the same, negated and doubled): each step's sum is ready for exp.
        scale = xp.full((4, 1, 1), -1, dtype=w[1].dtype)
        scale[2] = -2
        bias = (w[2] + w[3]).reshape(4, 1, H) * scale if len(w) == 4 else None
        G = _project_gates(X, w[0].reshape(4, H, -1) * scale, bias)
        whhT = xp.ascontiguousarray((w[1].reshape(4, H, H) * scale).transpose(0, 2, 1))
        N = G.shape[1]
        TC = xp.empty((N, H), G.dtype)
        hh = xp.empty(4 * _most_rows(steps) * H, G.dtype)
        compiled = _compiled_cell(G, ext, cext, TC)
        for rows, prev, out in steps:
            g = G[:, rows]
            t = hh[: g.size].reshape(g.shape)  # contiguous for any row count (CuPy needs it)
            xp.matmul(ext[prev, cols], whhT, out=t)
            if compiled and isinstance(prev, slice):  # the same arithmetic, one pass per row
                args = (ext, cext, prev.start, out.start, cols.start, TC)
                compiled.lstm_step_forward(G, rows.start, t, *args)
                continue
            g += t  # -(pre-activation), the cell gate's doubled
            xp.exp(g, out=g)  # an overflow to inf still gives the right limit, 0
            g += 1
            xp.reciprocal(g, out=g)  # i, f, sigmoid(2 x_g), o
            i, f, gg, o = g
            gg *= 2
            gg -= 1  # tanh of the cell gate
            c, tc = cext[out, cols], TC[rows]
            xp.multiply(f, cext[prev, cols], out=c)
            xp.multiply(i, gg, out=tc)  # TC's rows as scratch until tanh(c) lands there
            c += tc
            xp.tanh(c, out=tc)
            xp.multiply(o, tc, out=ext[out, cols])
        return G, TC

    def run_backward(self, xp, dext, dcext, ext, cext, cols, w, saved, plan, d, H):
        G, TC = saved
        N = G.shape[1]
        # The gate gradients leave in rows, (N, 4H), the layout of the weight products; a
        # step's are formed gate-major in scratch (contiguous blocks, like the forward's gates)
        # and copied into their rows, where the product with W_hh reads them.
        dG = xp.empty((N, 4 * H), G.dtype)
        w_hh = w[1]
        n_max = _most_rows(plan.steps[d])
        scratch = xp.empty((2, n_max, H), G.dtype)  # the step's temporaries
        gates = xp.empty((4, n_max, H), G.dtype)
        compiled = _compiled_cell(G, ext, cext, TC, dext, dcext)
        # The gate derivatives are formed step by step, on rows that are still in cache,
        # rather than precomputed over the whole sequence: a dozen passes over (N, H) arrays
        # cost several times more than the same work done in (B, H) pieces.
        for rows, prev, out in reversed(plan.steps[d]):
            a = G[:, rows]
            n = a.shape[1]
            if compiled and isinstance(prev, slice):  # the same arithmetic, one pass per row
                where = (prev.start, out.start, cols.start, dG)
                compiled.lstm_step_backward(G, rows.start, n, TC, dext, dcext, cext, *where)
                back = scratch[1, :n]
                xp.matmul(dG[rows], w_hh, out=back)
                dext[prev, cols] += back
                continue
            i, f, g, o = a
            tc = TC[rows]
            dh = dext[out, cols]
            dc = dcext[out, cols]
            t, back = scratch[0, :n], scratch[1, :n]
            xp.multiply(tc, tc, out=t)  # dc += dh * o * (1 - tanh(c)^2)
            xp.subtract(1, t, out=t)
            t *= o
            t *= dh
            dc += t
            da = gates[:, :n]
            xp.subtract(1, a, out=da)
            da *= a  # s (1 - s): the sigmoid gates' slope
            di, df, dg, do = da
            xp.multiply(g, g, out=dg)
            xp.subtract(1, dg, out=dg)  # 1 - g^2: the cell gate's tanh slope
            di *= g
            df *= cext[prev, cols]
            dg *= i
            do *= tc
            da[:3] *= dc
            do *= dh
            step = dG[rows]
            step.reshape(n, 4, H)[...] = da.transpose(1, 0, 2)
            xp.matmul(step, w_hh, out=back)
            dext[prev, cols] += back
            xp.multiply(dc, f, out=t)
            dcext[prev, cols] += t
        return dG, dG


def _compiled_cell(*arrays):
    """:mod:`glassnet.kernels.lstm_cell`, where kernels are wanted for these float32
    C-contiguous NumPy arrays (the kernels index them whole); else None."""
    G = arrays[0]
    if not kernels.wanted(G) or G.dtype.name != "float32":
        return None
    if not all(a.dtype == G.dtype and a.flags.c_contiguous for a in arrays):
        return None
    from glassnet.kernels import lstm_cell

    return lstm_cell


def _most_rows(steps):
    """The most rows any step of a plan has (the rows are slices)."""
    return max(rows.stop - rows.start for rows, _, _ in steps)
