"""Fused recurrent networks: a whole multi-layer RNN, LSTM or GRU over a whole sequence is one op.

Composing a recurrence from per-step ops costs a dozen graph nodes per time step. Here one
Function runs every layer and direction: the input projection ``x @ W_ih^T`` of all time steps is
one big matmul, the loop over time does only the hidden-to-hidden matmul and the gate math in
place, and backward is backpropagation through time in one function, whose weight gradients are
again one big matmul each.

Sequences are laid out "packed" (PyTorch's PackedSequence layout): the rows of time step ``t`` are
``batch_sizes[t]`` consecutive rows, sorted by decreasing length, so a step touches only the
sequences still running. A padded batch is the special case where every step has all ``B`` rows.
Per layer, the hidden states live in one ``(B + N, D * H)`` array: rows ``0..B`` hold the initial
state, then one row per (step, sequence); direction ``d`` owns columns ``d*H:(d+1)*H``.

The result is one flat array [initial rows + outputs | h_n | c_n] that ``Unpack`` slices into the
output and the final states (a Function has one output).

>>> import numpy as np, glassnet
>>> x = glassnet.ones(3, 1, 2)                       # (time, batch, features)
>>> w = [glassnet.full(s, 0.1, requires_grad=True) for s in [(8, 2), (8, 2), (8,), (8,)]]
>>> flat = LSTMSequence.apply(x, None, None, *w, sizes=(1, 1, 1))
>>> Unpack.apply(flat, 2, 8, (3, 1, 2)).shape       # output rows after the initial one
glassnet.Size([3, 1, 2])
"""

from __future__ import annotations

import contextlib

from glassnet.autograd import Function
from glassnet.backend import add_rows, get_array_module, is_writeable
from glassnet.ops.packing import plan_for

__all__ = []


def _sigmoid_(xp, a):
    """Sigmoid in place, as 1 / (1 + exp(-a)): exp is about twice as fast as tanh in NumPy, and
    an overflow to inf still gives the right limit, 0 (run it under ``_quiet``)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _quiet(xp):
    """Silence NumPy's overflow warning of exp in _sigmoid_ (CuPy never warns)."""
    return xp.errstate(over="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


# ---- the shared driver ---------------------------------------------------------------------
class _Sequence(Function):
    """Runs layers and directions; subclasses supply one direction's forward and backward."""

    has_cell = False

    def forward(
        self,
        x,
        h0,
        c0,
        *weights,
        sizes,
        num_layers=1,
        bidirectional=False,
        batch_first=False,
        dropout_masks=None,
        sorted_indices=None,
        nonlinearity="tanh",
        tokens=None,
    ):
        xp = get_array_module(x)
        L, D = num_layers, 2 if bidirectional else 1
        P = len(weights) // (L * D)
        H = weights[1].shape[1]
        plan = plan_for(sizes).on(xp)
        B, N, DH = plan.B, plan.N, D * H
        self.x_shape, self.batch_first, self.sizes = x.shape, batch_first, sizes
        if tokens is not None:  # x is an embedding table, the input its rows at `tokens`
            X = _Embedded(x, tokens.T if batch_first else tokens)
        elif batch_first:
            X = xp.ascontiguousarray(x.swapaxes(0, 1)).reshape(N, x.shape[-1])
        else:
            X = x.reshape(N, x.shape[-1])
        order = None
        if sorted_indices is not None:
            order = xp.asarray(sorted_indices)
            self.unsort = xp.argsort(order)
        self.order, self.nonlinearity, self.masks = order, nonlinearity, dropout_masks
        self.h_shape = None if h0 is None else h0.shape
        h0 = _initial(h0, L * D, B, H, order)
        c0 = _initial(c0, L * D, B, H, order)
        n_ext, n_state = (B + N) * DH, L * D * B * H
        flat = xp.empty(n_ext + n_state * (2 if self.has_cell else 1), dtype=x.dtype)
        hn = flat[n_ext : n_ext + n_state].reshape(L * D, B, H)
        cn = flat[n_ext + n_state :].reshape(L * D, B, H) if self.has_cell else None
        self.layers = []
        for layer in range(L):
            ext = (
                flat[:n_ext].reshape(B + N, DH)
                if layer == L - 1
                else xp.empty((B + N, DH), x.dtype)
            )
            cext = xp.empty((B + N, DH), x.dtype) if self.has_cell else None
            saved = []
            for d in range(D):
                k, cols = layer * D + d, slice(d * H, (d + 1) * H)
                ext[:B, cols] = 0 if h0 is None else h0[k]
                if cext is not None:
                    cext[:B, cols] = 0 if c0 is None else c0[k]
                w = weights[k * P : (k + 1) * P]
                with _quiet(xp):
                    saved.append(self.run(xp, X, ext, cext, cols, w, plan.steps[d], H))
                hn[k] = ext[plan.final[d], cols]
                if cn is not None:
                    cn[k] = cext[plan.final[d], cols]
            self.layers.append((X, ext, cext, saved))
            if layer < L - 1:
                X = ext[B:]
                if dropout_masks is not None:
                    X = X * dropout_masks[layer]
        if order is not None:
            hn[...] = hn[:, self.unsort]
            if cn is not None:
                cn[...] = cn[:, self.unsort]
        self.plan, self.weights, self.dims = plan, weights, (L, D, P, H)
        return flat

    def backward(self, grad):
        xp = get_array_module(grad)
        plan, weights = self.plan, self.weights
        (L, D, P, H), B, N = self.dims, plan.B, plan.N
        DH, n_ext, n_state = D * H, (B + N) * D * H, L * D * B * H
        if not is_writeable(grad):
            grad = grad.copy()
        dext = grad[:n_ext].reshape(B + N, DH)
        dhn = grad[n_ext : n_ext + n_state].reshape(L * D, B, H)
        dcn = grad[n_ext + n_state :].reshape(L * D, B, H) if self.has_cell else None
        if self.order is not None:
            dhn = dhn[:, self.order]
            dcn = None if dcn is None else dcn[:, self.order]
        nxt = self.next_functions  # None where an input needs no gradient
        dh0 = xp.empty((L * D, B, H), grad.dtype) if nxt[1] is not None else None
        dc0 = xp.empty((L * D, B, H), grad.dtype) if nxt[2] is not None else None
        wgrads = [None] * len(weights)
        dx = None
        for layer in range(L - 1, -1, -1):
            X, ext, cext, saved = self.layers[layer]
            dcext = xp.zeros((B + N, DH), grad.dtype) if self.has_cell else None
            if layer > 0:
                dprev = xp.empty((B + N, DH), grad.dtype)
                dprev[:B] = 0
                dX = dprev[B:]
            else:
                shape = X.table.shape if isinstance(X, _Embedded) else X.shape
                dX = xp.empty(shape, grad.dtype) if nxt[0] is not None else None
            for d in range(D):
                k, cols = layer * D + d, slice(d * H, (d + 1) * H)
                w = weights[k * P : (k + 1) * P]
                dext[plan.final[d], cols] += dhn[k]
                if dcext is not None:
                    dcext[plan.final[d], cols] += dcn[k]
                dgx, dgh = self.run_backward(
                    xp, dext, dcext, ext, cext, cols, w, saved[d], plan, d, H
                )
                base = 3 + k * P
                if isinstance(X, _Embedded):  # gradients through the table's rows
                    dgx_in, X_in = X.row_sums(dgx), X.table
                else:
                    dgx_in, X_in = dgx, X
                if nxt[base] is not None:
                    wgrads[k * P] = dgx_in.T @ X_in
                if nxt[base + 1] is not None:
                    wgrads[k * P + 1] = dgh.T @ ext[plan.prev_all[d], cols]
                if P == 4:
                    wgrads[k * P + 2 : k * P + 4] = _bias_grads(dgx, dgh, nxt[base + 2 : base + 4])
                if dX is not None:
                    if d == 0:
                        xp.matmul(dgx_in, w[0], out=dX)
                    else:
                        dX += dgx_in @ w[0]
                if dh0 is not None:
                    dh0[k] = dext[:B, cols]
                if dc0 is not None:
                    dc0[k] = dcext[:B, cols]
            if layer > 0:
                if self.masks is not None:
                    dX *= self.masks[layer - 1]
                dext = dprev
            else:
                dx = dX
        if dx is not None and not isinstance(self.layers[0][0], _Embedded):
            if self.batch_first:
                dx = dx.reshape(len(self.sizes), -1, dx.shape[-1]).swapaxes(0, 1)
            dx = dx.reshape(self.x_shape)
        return (dx, _restore(dh0, self), _restore(dc0, self), *wgrads)


class _Embedded:
    """A first layer's input that is an embedding lookup, ``table[ids]``, kept as the table
    and the ids: when the table has fewer rows than the sequence has positions, the input
    projection ``table[ids] @ W^T`` is cheaper as ``(table @ W^T)[ids]``, and its gradients
    need only the per-id sums of the gate gradients (``row_sums``), not the looked-up rows."""

    def __init__(self, table, ids):
        self.table, self.ids = table, ids.reshape(-1)  # ids time-major, as the packed rows

    def row_sums(self, g):
        """The rows of ``g`` (one per position) summed per id."""
        xp = get_array_module(g)
        out = xp.zeros((self.table.shape[0], g.shape[1]), dtype=g.dtype)
        add_rows(xp, out, self.ids, g)
        return out


def _project(X, w_ih, bias=None):
    """The input projection ``X @ w_ih^T (+ bias)`` of every time step. For an embedded input
    the bias is added to the table's few projected rows before the lookup, not to every step's."""
    xp = get_array_module(w_ih)
    if isinstance(X, _Embedded):
        rows = X.table @ w_ih.T
        if bias is not None:
            rows += bias
        return xp.take(rows, X.ids, axis=0)
    G = X @ w_ih.T
    if bias is not None:
        G += bias
    return G


def _project_gates(X, w_ih, bias=None):
    """The gate-major input projection: ``(K, N, H)``, block ``k`` being ``X @ w_ih[k]^T (+
    bias[k])`` for the ``(K, H, in)`` weights of the K gates (K products, as fast as one)."""
    xp = get_array_module(w_ih)
    if isinstance(X, _Embedded):
        rows = xp.matmul(X.table, w_ih.transpose(0, 2, 1))
        if bias is not None:
            rows += bias
        return xp.take(rows, X.ids, axis=1)
    G = xp.matmul(X, w_ih.transpose(0, 2, 1))
    if bias is not None:
        G += bias
    return G


def _bias_grads(dgx, dgh, needed):
    """Column sums for b_ih and b_hh; one reduction when both see the same gradient (LSTM,
    RNN), copied so the two .grad arrays never alias. The sums are BLAS ``ones @ dG``, faster
    than ``dG.sum(0)``."""
    xp = get_array_module(dgx)
    ones = xp.ones(dgx.shape[0], dtype=dgx.dtype)
    gi = ones @ dgx if needed[0] is not None else None
    if needed[1] is None:
        return [gi, None]
    if dgh is not dgx:
        return [gi, ones @ dgh]
    return [gi, gi.copy() if gi is not None else ones @ dgh]


def _initial(h, n, B, H, order):
    if h is None:
        return None
    h = h.reshape(n, B, H)
    return h if order is None else h[:, order]


def _restore(g, fn):
    if g is None:
        return None
    if fn.order is not None:
        g = g[:, fn.unsort]
    return g.reshape(fn.h_shape)


# ---- the three cells -------------------------------------------------------------------------
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
        for rows, prev, out in steps:
            g = G[:, rows]
            t = hh[: g.size].reshape(g.shape)  # contiguous for any row count (CuPy needs it)
            xp.matmul(ext[prev, cols], whhT, out=t)
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
        # The gate derivatives are formed step by step, on rows that are still in cache,
        # rather than precomputed over the whole sequence: a dozen passes over (N, H) arrays
        # cost several times more than the same work done in (B, H) pieces.
        for rows, prev, out in reversed(plan.steps[d]):
            a = G[:, rows]
            n = a.shape[1]
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


def _most_rows(steps):
    """The most rows any step of a plan has (the rows are slices)."""
    return max(rows.stop - rows.start for rows, _, _ in steps)


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


class Unpack(Function):
    """One part of a fused recurrent op's flat result, as a view: the output or a final state."""

    is_view = True
    saves_inputs = False

    def forward(self, flat, start, stop, shape, batch_first=False):
        self.size, self.start, self.stop = flat.shape[0], start, stop
        self.shape, self.batch_first = shape, batch_first
        out = flat[start:stop].reshape(shape)
        return out.swapaxes(0, 1) if batch_first else out

    def backward(self, grad):
        g = get_array_module(grad).empty(self.size, grad.dtype)
        g[: self.start] = 0  # only the rest of the flat result is zero-filled
        g[self.stop :] = 0
        g[self.start : self.stop].reshape(self.shape)[...] = (
            grad.swapaxes(0, 1) if self.batch_first else grad
        )
        return (g,)
