"""RNN, LSTM, GRU, their cells and packed sequences, against PyTorch (and finite differences)."""

import numpy as np
import pytest
import torch
from helpers import assert_close, check_finite_differences, check_layer, make_inputs

import glassnet
from glassnet import nn
from glassnet.errors import DTypeError, ShapeError
from glassnet.nn.utils import rnn as grnn

T, B, IN, H = 5, 3, 4, 6
MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make_pair(mode, cell=False, **kw):
    """The same layer in glassnet and PyTorch (weights get copied by check_layer)."""
    name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode) + ("Cell" if cell else "")
    if mode.startswith("RNN"):
        kw["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    torch.manual_seed(0)
    return getattr(nn, name)(IN, H, **kw), getattr(torch.nn, name)(IN, H, **kw)


def call(mode, with_state):
    """forward= for check_layer: pass the initial states when the test makes them."""
    if not with_state:
        return lambda layer, x: layer(x)
    if mode == "LSTM":
        return lambda layer, x, h, c: layer(x, (h, c))
    return lambda layer, x, h: layer(x, h)


def shapes(mode, x_shape, h_shape, with_state):
    extra = (2 if mode == "LSTM" else 1) if with_state else 0
    return [x_shape] + [h_shape] * extra


VARIANTS = {  # name: (layer kwargs, initial states, train mode, dtype)
    "plain": ({}, False, True, "float64"),
    "plain_float32": ({}, True, True, "float32"),
    "batch_first_h0": ({"batch_first": True}, True, True, "float64"),
    "no_bias_h0": ({"bias": False}, True, True, "float64"),
}
SEQUENCE_CASES = [
    (mode, layers, bidir, variant)
    for mode in MODES
    for layers in (1, 2)
    for bidir in (False, True)
    for variant in VARIANTS
] + [(mode, 2, True, "dropout_eval") for mode in MODES]
VARIANTS["dropout_eval"] = ({"dropout": 0.5}, True, False, "float64")


@pytest.mark.parametrize("mode,num_layers,bidirectional,variant", SEQUENCE_CASES)
def test_sequence_layer(mode, num_layers, bidirectional, variant, device):
    kw, with_state, train, dtype = VARIANTS[variant]
    g, t = make_pair(mode, num_layers=num_layers, bidirectional=bidirectional, **kw)
    x_shape = (B, T, IN) if kw.get("batch_first") else (T, B, IN)
    h_shape = (num_layers * (2 if bidirectional else 1), B, H)
    check_layer(
        g,
        t,
        shapes(mode, x_shape, h_shape, with_state),
        dtype=dtype,
        device=device,
        train=train,
        forward=call(mode, with_state),
    )


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_unbatched_sequence(mode, bidirectional, with_state, device):
    g, t = make_pair(mode, num_layers=2, bidirectional=bidirectional)
    h_shape = (2 * (2 if bidirectional else 1), H)
    check_layer(
        g,
        t,
        shapes(mode, (T, IN), h_shape, with_state),
        device=device,
        forward=call(mode, with_state),
    )


CELL_CASES = ["batched", "batched_h0", "unbatched_h0", "no_bias_h0", "float32_h0"]


@pytest.mark.parametrize("case", CELL_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_cell(mode, case, device):
    dtype = "float32" if case.startswith("float32") else "float64"
    g, t = make_pair(mode, cell=True, bias=case != "no_bias_h0")
    x_shape, h_shape = ((IN,), (H,)) if case.startswith("unbatched") else ((B, IN), (B, H))
    with_state = case.endswith("h0")
    check_layer(
        g,
        t,
        shapes(mode, x_shape, h_shape, with_state),
        dtype=dtype,
        device=device,
        forward=call(mode, with_state),
    )


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_packed_sequence(mode, bidirectional, enforce_sorted, device):
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 3]
    g, t = make_pair(mode, num_layers=2, bidirectional=bidirectional, batch_first=True)
    h_shape = (2 * (2 if bidirectional else 1), len(lengths), H)

    def forward(layer, x, h, c):
        lib = grnn if isinstance(layer, nn.Module) else torch.nn.utils.rnn
        packed = lib.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=enforce_sorted
        )
        out, state = layer(packed, (h, c) if mode == "LSTM" else h)
        padded, out_lengths = lib.pad_packed_sequence(out, batch_first=True, total_length=T)
        assert out_lengths.tolist() == lengths
        return padded, state

    out = check_layer(
        g, t, [(len(lengths), T, IN), h_shape, h_shape], device=device, forward=forward
    )
    padded = (
        out[0].detach().numpy()
        if device == "cpu"
        else glassnet.backend.to_numpy(out[0].detach()._data)
    )
    for b, n in enumerate(lengths):  # outputs beyond a sequence's length are exactly zero
        assert not np.any(padded[b, n:])


@pytest.mark.parametrize("packed", [False, True])
def test_long_lstm_sequences_match_torch(packed):
    """Longer sequences, padded and packed with very different lengths, through two
    bidirectional layers."""
    lengths = [21, 17, 9, 2]
    g, t = make_pair("LSTM", num_layers=2, bidirectional=True, batch_first=True)
    h_shape = (4, len(lengths), H)

    def forward(layer, x, h, c):
        if not packed:
            return layer(x, (h, c))
        lib = grnn if isinstance(layer, nn.Module) else torch.nn.utils.rnn
        seq = lib.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, state = layer(seq, (h, c))
        return lib.pad_packed_sequence(out, batch_first=True, total_length=21)[0], state

    check_layer(g, t, [(len(lengths), 21, IN), h_shape, h_shape], forward=forward)


def test_packed_full_length_equals_padded():
    lstm = nn.LSTM(IN, H, num_layers=2, bidirectional=True).double()
    x = glassnet.tensor(make_inputs([(T, B, IN)])[0])
    out, (h, c) = lstm(x)
    pout, (ph, pc) = lstm(grnn.pack_padded_sequence(x, [T] * B))
    assert_close(pout.data, out.reshape(T * B, -1))
    assert_close(ph, h)
    assert_close(pc, c)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_utilities(batch_first, device):
    x_np = make_inputs([(T, 4, 2) if not batch_first else (4, T, 2)])[0]
    lengths = [2, 5, 1, 3]
    gx = glassnet.tensor(x_np, device=device, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    gp = grnn.pack_padded_sequence(gx, lengths, batch_first=batch_first, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(
        tx, lengths, batch_first=batch_first, enforce_sorted=False
    )
    assert_close(gp.data, tp.data)
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert gp.sorted_indices.tolist() == tp.sorted_indices.tolist()
    assert gp.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    gpad, glen = grnn.pad_packed_sequence(gp, batch_first, padding_value=-1.0, total_length=6)
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(
        tp, batch_first, padding_value=-1.0, total_length=6
    )
    assert_close(gpad, tpad)
    assert glen.tolist() == tlen.tolist()
    w = np.random.default_rng(1).uniform(size=tuple(tpad.shape))
    (gpad * glassnet.tensor(w, device=device)).sum().backward()
    (tpad * torch.tensor(w)).sum().backward()
    assert_close(gx.grad, tx.grad)


def test_pack_sequence_and_unpack():
    seqs = [np.arange(n * 2, dtype="float64").reshape(n, 2) + n for n in (2, 4, 1)]
    gp = grnn.pack_sequence([glassnet.tensor(s) for s in seqs], enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(gp.data, tp.data)
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    for got, s in zip(grnn.unpack_sequence(gp), seqs):
        assert_close(got, s)
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        grnn.pack_sequence([glassnet.tensor(s) for s in seqs])


def test_lstm_matches_composed_ops():
    """The fused op against the same recurrence written with plain glassnet ops."""
    lstm = nn.LSTM(IN, H).double()
    x = glassnet.tensor(make_inputs([(T, B, IN)])[0], requires_grad=True)
    out, (h_n, c_n) = lstm(x)
    (out.sum() + c_n.sum()).backward()
    fused = [x.grad] + [p.grad for p in lstm.parameters()]
    x.grad = None
    lstm.zero_grad()
    w_ih, w_hh, b_ih, b_hh = lstm.all_weights[0]
    h = c = glassnet.zeros(B, H, dtype=glassnet.float64)
    outs = []
    for t in range(T):
        gates = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f = gates[:, :H].sigmoid(), gates[:, H : 2 * H].sigmoid()
        g, o = gates[:, 2 * H : 3 * H].tanh(), gates[:, 3 * H :].sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        outs.append(h)
    composed_out = glassnet.stack(outs)
    assert_close(composed_out, out)
    assert_close(c, c_n[0])
    (composed_out.sum() + c.sum()).backward()
    for a, b in zip(fused, [x.grad] + [p.grad for p in lstm.parameters()]):
        assert_close(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_finite_differences(mode):
    g, _ = make_pair(mode, num_layers=2, bidirectional=True)
    g.double()
    state = 2 if mode == "LSTM" else 1
    fn = (lambda x, h, c: g(x, (h, c))) if state == 2 else (lambda x, h: g(x, h))
    check_finite_differences([(3, 2, IN)] + [(4, 2, H)] * state, fn)


def test_dropout_between_layers_trains_and_is_seeded():
    lstm = nn.LSTM(IN, H, num_layers=3, dropout=0.5).double()
    x_np, h_np, c_np = make_inputs([(T, B, IN), (3, B, H), (3, B, H)])

    def run(x, h, c):
        glassnet.manual_seed(7)  # the same masks on every call
        return lstm(x, (h, c))

    a, _ = run(*map(glassnet.tensor, (x_np, h_np, c_np)))
    b, _ = run(*map(glassnet.tensor, (x_np, h_np, c_np)))
    assert_close(a, b)
    lstm.eval()
    e, _ = lstm(glassnet.tensor(x_np), (glassnet.tensor(h_np), glassnet.tensor(c_np)))
    assert not np.allclose(a.detach().numpy(), e.detach().numpy())
    lstm.train()
    check_finite_differences([(2, 2, IN), (3, 2, H), (3, 2, H)], lambda x, h, c: run(x, h, c))


def test_parameters_init_and_repr():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
    ref = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
    assert list(lstm.state_dict()) == list(ref.state_dict())
    assert repr(lstm) == repr(ref)
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == repr(
        torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu")
    )
    bound = 1 / np.sqrt(20)
    w = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert w.dtype == np.float32
    assert -bound <= w.min() < -0.9 * bound and 0.9 * bound < w.max() <= bound
    assert abs(w.mean()) < 0.01
    assert list(nn.GRUCell(3, 4).state_dict()) == list(torch.nn.GRUCell(3, 4).state_dict())


def test_errors_name_the_layer_and_the_fix():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(10, 20, num_layers=2)

        def forward(self, x, hx=None):
            return self.rnn(x, hx)

    model = Model()
    with pytest.raises(
        ShapeError,
        match=r"model\.rnn \(LSTM\(10, 20, num_layers=2\)\): "
        r"expected input with last dimension 10 \(input_size\), "
        r"got shape \(5, 3, 12\)",
    ):
        model(glassnet.zeros(5, 3, 12))
    with pytest.raises(ShapeError, match=r"expected h_0 of shape \(2, 3, 20\).*got \(1, 3, 20\)"):
        model(glassnet.zeros(5, 3, 10), (glassnet.zeros(1, 3, 20), glassnet.zeros(2, 3, 20)))
    with pytest.raises(ShapeError, match=r"expected h_0 of shape \(2, 20\)"):
        model(glassnet.zeros(5, 10), (glassnet.zeros(2, 3, 20), glassnet.zeros(2, 3, 20)))
    with pytest.raises(ShapeError, match="3D input"):
        model(glassnet.zeros(5, 3, 1, 10))
    with pytest.raises(DTypeError, match="float32"):
        model(glassnet.zeros(5, 3, 10, dtype=glassnet.float64))
    with pytest.raises(ShapeError, match=r"expected input of shape \(batch, 10\)"):
        nn.LSTMCell(10, 20)(glassnet.zeros(5, 12))
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


def test_frozen_input_and_weights_get_no_gradient():
    gru = nn.GRU(IN, H, num_layers=2).double()
    gru.weight_ih_l0.requires_grad_(False)
    x = glassnet.tensor(make_inputs([(T, B, IN)])[0])
    out, h = gru(x)
    (out.sum() + h.sum()).backward()
    assert x.grad is None and gru.weight_ih_l0.grad is None
    assert gru.weight_hh_l0.grad is not None and gru.bias_ih_l1.grad is not None


class _EmbeddedRNN:
    """An Embedding then a recurrent layer, in glassnet (through forward_from_embedding) and
    in PyTorch (composed), as twin modules with the same state_dict keys."""

    @staticmethod
    def pair(mode, vocab, **kw):
        class G(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(vocab, IN)
                self.rnn = make_pair(mode, **kw)[0]

            def forward(self, tokens, *state):
                hx = None if not state else (tuple(state) if mode == "LSTM" else state[0])
                return self.rnn.forward_from_embedding(self.embedding, tokens, hx)

        class T(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = torch.nn.Embedding(vocab, IN)
                self.rnn = make_pair(mode, **kw)[1]

            def forward(self, tokens, *state):
                hx = None if not state else (tuple(state) if mode == "LSTM" else state[0])
                return self.rnn(self.embedding(tokens), hx)

        return G(), T()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mode,bidirectional", [("LSTM", False), ("LSTM", True), ("GRU", True)])
def test_forward_from_embedding_matches_torch(mode, bidirectional, batch_first, dtype):
    """With a small vocabulary the lookup is folded into the first layer; the outputs, states
    and every gradient (the table's included) match PyTorch's composed layers."""
    from glassnet.nn.recurrent import _table_is_smaller

    vocab, (b, t) = 3, (B, 7)
    g, tm = _EmbeddedRNN.pair(
        mode, vocab, num_layers=2, bidirectional=bidirectional, batch_first=batch_first
    )
    ids = np.random.default_rng(5).integers(0, vocab, size=(b, t) if batch_first else (t, b))
    assert _table_is_smaller(g.embedding, glassnet.tensor(ids), g.rnn)  # the folded path
    h_shape = ((4 if bidirectional else 2), b, H)
    h0 = np.random.default_rng(6).normal(size=h_shape)
    state = [h0, h0 * 0.5] if mode == "LSTM" else [h0]
    check_layer(g, tm, None, inputs=[ids, *state], dtype=dtype)


def test_forward_from_embedding_falls_back_to_the_lookup():
    """Where folding would not pay off or would change semantics, the plain lookup runs."""
    from glassnet.nn.recurrent import _table_is_smaller

    lstm = nn.LSTM(IN, H)
    ids = glassnet.tensor(np.random.default_rng(7).integers(0, 3, size=(T, B)))
    assert _table_is_smaller(nn.Embedding(3, IN), ids, lstm)
    assert not _table_is_smaller(nn.Embedding(3, IN, padding_idx=0), ids, lstm)
    assert not _table_is_smaller(nn.Embedding(3, IN, max_norm=1.0), ids, lstm)
    assert not _table_is_smaller(nn.Embedding(40, IN), ids, lstm)  # more rows than ids
    assert not _table_is_smaller(nn.Embedding(3, IN), ids[:, 0], lstm)  # unbatched
    emb = nn.Embedding(3, IN, padding_idx=1)
    out, _ = lstm.forward_from_embedding(emb, ids)
    np.testing.assert_array_equal(out.detach().numpy(), lstm(emb(ids))[0].detach().numpy())
    with pytest.raises((IndexError, ValueError)):
        lstm.forward_from_embedding(nn.Embedding(3, IN), ids + 3)  # out of range: lookup's error
