"""One LSTM time step's elementwise work, forward and backward, in one compiled pass per row.

The NumPy path (:mod:`glassnet.ops.recurrent_lstm`) spends about a dozen array calls per step
on the gates and the cell (sigmoid as ``1 / (1 + exp(s))`` over the four gates, ``2 s - 1`` for
the cell gate, ``c = f c' + i g``, ``h = o tanh(c)``), and as many in the backward; at a batch of
32 the arrays are small and each call's overhead and pass over memory cost more than the
arithmetic. These kernels do the same arithmetic row by row, with :mod:`exp32`'s exp and
:mod:`tanh32`'s tanh, leaving the step's matrix products to BLAS.

The arrays are the LSTM op's own, whole and C-contiguous, with the step's row offsets: ``G``
``(4, N, H)`` the gate sums of every step (negated, the cell gate's doubled, as the op folds
them into its weights), replaced by the gate values; ``hh`` ``(4, n, H)`` the step's recurrent
product; ``ext``/``cext`` ``(B + N, D H)`` the hidden and cell states of every step, whose rows
``prev + j`` and ``out + j`` and columns ``col:col + H`` the step reads and writes; ``TC``
``(N, H)`` tanh of the cell, kept for the backward.
"""

from __future__ import annotations

import numba
import numpy as np

from glassnet.kernels.exp32 import exp_into
from glassnet.kernels.tanh32 import tanh_from_exp

_ONE = np.float32(1.0)
_TWO = np.float32(2.0)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def lstm_step_forward(G, r0, hh, ext, cext, prev, out, col, TC):
    """The step with packed rows ``r0 .. r0 + n`` (``n = hh.shape[1]``): gates, cell, hidden."""
    n, H = hh.shape[1], hh.shape[2]
    sums = np.empty(4 * H, np.float32)
    exps = np.empty(4 * H, np.float32)
    twice = np.empty(H, np.float32)
    high_bits = np.empty(4 * H, np.int32)
    low_bits = np.empty(4 * H, np.int32)
    for j in range(n):
        row = r0 + j
        for k in range(4):
            gate, product = G[k, row], hh[k, j]
            for i in range(H):
                sums[k * H + i] = gate[i] + product[i]  # -(pre-activation); doubled for g
        exp_into(sums, exps, high_bits, low_bits)  # an overflow to inf still gives 0 below
        gi, gf, gg, go = G[0, row], G[1, row], G[2, row], G[3, row]
        c_prev, c = cext[prev + j, col : col + H], cext[out + j, col : col + H]
        for i in range(H):
            ig = _ONE / (_ONE + exps[i])
            fg = _ONE / (_ONE + exps[H + i])
            cg = _ONE / (_ONE + exps[2 * H + i]) * _TWO - _ONE  # tanh(x) = 2 sigmoid(2x) - 1
            og = _ONE / (_ONE + exps[3 * H + i])
            gi[i], gf[i], gg[i], go[i] = ig, fg, cg, og
            cell = fg * c_prev[i] + ig * cg
            c[i] = cell
            twice[i] = _TWO * abs(cell)
        exp_into(twice, exps, high_bits, low_bits)
        tc, h = TC[row], ext[out + j, col : col + H]
        for i in range(H):
            t = tanh_from_exp(c[i], exps[i])
            tc[i] = t
            h[i] = go[i] * t


@numba.njit(cache=True, error_model="numpy", nogil=True)
def lstm_step_backward(G, r0, n, TC, dext, dcext, cext, prev, out, col, dG):
    """The step's gate gradients into rows ``r0 .. r0 + n`` of ``dG`` ``(N, 4 H)`` (gate
    blocks i, f, g, o), with ``dcext``'s rows ``out + j`` completed by the path through
    ``tanh(c)`` and rows ``prev + j`` given the path through the forget gate. The recurrent
    product ``dG[rows] @ W_hh`` into ``dext[prev]`` is left to BLAS."""
    H = TC.shape[1]
    for j in range(n):
        row = r0 + j
        gi, gf, gg, go = G[0, row], G[1, row], G[2, row], G[3, row]
        tc, d_gates = TC[row], dG[row]
        dh = dext[out + j, col : col + H]
        dc = dcext[out + j, col : col + H]
        c_prev = cext[prev + j, col : col + H]
        dc_prev = dcext[prev + j, col : col + H]
        for i in range(H):
            t, o = tc[i], go[i]
            d_cell = dc[i] + (_ONE - t * t) * o * dh[i]
            dc[i] = d_cell
            ig, fg, cg = gi[i], gf[i], gg[i]
            d_gates[i] = (_ONE - ig) * ig * cg * d_cell
            d_gates[H + i] = (_ONE - fg) * fg * c_prev[i] * d_cell
            d_gates[2 * H + i] = (_ONE - cg * cg) * ig * d_cell
            d_gates[3 * H + i] = (_ONE - o) * o * t * dh[i]
            dc_prev[i] += d_cell * fg
