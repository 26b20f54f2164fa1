"""Converters of the fused recurrent ops: RNN, LSTM and GRU become ONNX's own RNN, LSTM and GRU
nodes, one per layer (both directions in one node), with the gates reordered to ONNX's layout.

The fused op returns one flat array that ``Unpack`` slices into the output and the final states;
here the op's converter records the ONNX values of those parts, and ``Unpack``'s converter picks
the part its offsets name.
"""

from __future__ import annotations

import numpy as np

from glassnet.onnx.converters import converts
from glassnet.onnx.errors import ExportError
from glassnet.ops import recurrent

# PyTorch's gate order -> ONNX's: LSTM i f g o -> i o f c; GRU r z n -> z r h
_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}
_KIND = {recurrent.LSTMSequence: "LSTM", recurrent.GRUSequence: "GRU", recurrent.RNNSequence: "RNN"}


def _gates(w, kind, H):
    """Reorder the stacked gate blocks of a (G*H, ...) weight or (G*H,) bias."""
    blocks = [w[i * H : (i + 1) * H] for i in range(len(_ORDER[kind]))]
    return np.concatenate([blocks[i] for i in _ORDER[kind]], axis=0)


@converts(recurrent.LSTMSequence, recurrent.GRUSequence, recurrent.RNNSequence)
def _sequence(g, a, node):
    kind = _KIND[type(node.fn)]
    sizes = a["sizes"]
    if a["sorted_indices"] is not None or len(set(sizes)) != 1:
        raise ExportError(
            "a packed sequence of different lengths cannot be exported; pad the batch", node
        )
    if a["dropout_masks"] is not None:
        raise ExportError("recurrent dropout is active; call model.eval() first", node)
    x, weights = a["x"], a["weights"]
    L, D = int(a["num_layers"]), 2 if a["bidirectional"] else 1
    P = len(weights) // (L * D)
    H = int(np.asarray(_raw(weights[1])).shape[1])
    batch_first = bool(a["batch_first"])
    if a["tokens"] is not None:  # x is the embedding table, looked up at the tokens
        X = g.add("Gather", [g.value(x), g.value(a["tokens"])], axis=0)
    else:
        if x.ndim != 3:
            raise ExportError(f"an unbatched {kind} input (shape {tuple(x.shape)})", node)
        X = g.value(x)
    if batch_first:
        X = g.add("Transpose", [X], perm=[1, 0, 2])
    hs, cs = [], []
    for layer in range(L):
        ws = [
            [np.asarray(_raw(w)) for w in weights[(layer * D + d) * P : (layer * D + d + 1) * P]]
            for d in range(D)
        ]
        W = np.stack([_gates(w[0], kind, H) for w in ws])
        R = np.stack([_gates(w[1], kind, H) for w in ws])
        name = f"{g.path}.l{layer}"
        inputs = [X, g.const(W, name + ".W"), g.const(R, name + ".R")]
        if P == 4:
            B = np.stack(
                [np.concatenate([_gates(w[2], kind, H), _gates(w[3], kind, H)]) for w in ws]
            )
            inputs.append(g.const(B, name + ".B"))
        else:
            inputs.append("")
        inputs.append("")  # sequence_lens: every sequence is full length
        for state, key in ((a["h0"], "h0"), (a["c0"], "c0")):
            if key == "c0" and kind != "LSTM":
                continue
            if state is None:
                inputs.append("")
            else:
                flat = g.add("Reshape", [g.value(state), g.ints([L * D, -1, H])])
                inputs.append(
                    g.add(
                        "Slice", [flat, g.ints([layer * D]), g.ints([(layer + 1) * D]), g.ints([0])]
                    )
                )
        while inputs and inputs[-1] == "":
            inputs.pop()
        attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
        if kind == "GRU":
            attrs["linear_before_reset"] = 1
        if kind == "RNN":
            act = "Relu" if a["nonlinearity"] == "relu" else "Tanh"
            attrs["activations"] = [act] * D
        outs = g.add(kind, inputs, n_out=3 if kind == "LSTM" else 2, **attrs)
        Y = g.add("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (T, B, D, H)
        X = g.add("Reshape", [Y, g.ints([0, 0, D * H])])
        hs.append(outs[1])
        if kind == "LSTM":
            cs.append(outs[2])
    handle = g.fresh(f"{g.path}_{kind}_parts")
    g.parts[handle] = {
        "output": X,
        "h": hs[0] if L == 1 else g.add("Concat", hs, axis=0),
        "c": None if not cs else (cs[0] if L == 1 else g.add("Concat", cs, axis=0)),
        "offsets": _offsets(node.fn, kind),
    }
    return handle


def _raw(w):
    return w._data if hasattr(w, "_data") else w


def _offsets(fn, kind):
    """Where the output, h_n and c_n start in the fused op's flat result."""
    L, D, _, H = fn.dims
    B, N = fn.plan.B, fn.plan.N
    n_ext, n_state = (B + N) * D * H, L * D * B * H
    return {B * D * H: "output", n_ext: "h", n_ext + n_state: "c"}


@converts(recurrent.Unpack)
def _unpack(g, a, node):
    parts = g.parts.get(g.value(a["flat"]))
    if parts is None:
        raise ExportError("Unpack of something that is not a recurrent op's result", node)
    which = parts["offsets"].get(int(a["start"]))
    if which is None:
        raise ExportError(f"Unpack at offset {a['start']} names no part of the result", node)
    y = parts[which]
    if which == "output":
        if a["batch_first"]:
            y = g.add("Transpose", [y], perm=[1, 0, 2])
        return y
    return g.add("Reshape", [y, g.ints(list(node.out.shape[:1]) + [-1] + [node.out.shape[-1]])])
