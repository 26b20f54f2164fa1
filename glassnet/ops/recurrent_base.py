"""The shared machinery of the fused recurrent ops: the driver that runs every layer and direction.

``_Sequence`` is the Function that ``RNNSequence``, ``LSTMSequence`` and ``GRUSequence`` subclass:
it lays out the packed sequence, the per-layer hidden-state arrays and the flat result, and runs
backpropagation through time around one direction's ``run`` and ``run_backward``, which each cell
kind supplies in its own file. The input-projection helpers live here because all three cells use
them. See ``glassnet.ops.recurrent`` for the layout.
"""

from __future__ import annotations

import contextlib

from glassnet.autograd import Function
from glassnet.backend import add_rows, get_array_module, is_writeable
from glassnet.ops.packing import plan_for

__all__ = []


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
