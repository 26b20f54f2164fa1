"""scaled_dot_product_attention, MultiheadAttention and the transformer layers against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _bool_mask(shape, seed=0, keep_first=True, true_means_masked=False):
    """A random bool mask where every row keeps at least one key (column 0)."""
    m = np.random.default_rng(seed).random(shape) < 0.6
    m[..., 0] = True
    return ~m if true_means_masked else m


def _float_mask(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# ---- scaled_dot_product_attention -------------------------------------------------------------
Q, K, V = (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)


def _sdpa(**kw):
    return (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **kw),
    )


@pytest.mark.parametrize(
    "kw", [{}, dict(is_causal=True), dict(scale=0.3), dict(is_causal=True, scale=1.7)]
)
def test_sdpa_matches_torch(kw):
    check_op([Q, K, V], *_sdpa(**kw))


def test_sdpa_square_causal_and_3d_inputs():
    check_op([(3, 5, 4), (3, 5, 4), (3, 5, 2)], *_sdpa(is_causal=True))
    check_op([(4, 3), (6, 3), (6, 2)], *_sdpa())


@pytest.mark.parametrize(
    "mask",
    [
        _bool_mask((4, 6)),
        _bool_mask((2, 1, 4, 6), seed=1),
        _float_mask((4, 6)),
        _float_mask((3, 4, 6), seed=2),
    ],
)
def test_sdpa_attn_mask(mask):
    gm, tm = glassnet.tensor(mask), torch.tensor(mask)

    def same_dtype(m, q):  # a float mask must have the query's dtype
        return m if mask.dtype == bool else m.to(q.dtype)

    check_op(
        [Q, K, V],
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=same_dtype(gm, q)),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=same_dtype(tm, q)),
    )


def test_sdpa_float_mask_gets_a_gradient():
    check_op(
        [Q, K, V, (4, 6)],
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
    )


def test_sdpa_fully_masked_row_gives_zeros():
    mask = _bool_mask((4, 6))
    mask[2] = False
    gm, tm = glassnet.tensor(mask), torch.tensor(mask)
    out = check_op(
        [Q, K, V],
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=gm),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=tm),
    )
    assert not np.any(out.detach().numpy()[:, :, 2])


def test_sdpa_grouped_query_attention():
    check_op([(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3)], *_sdpa(enable_gqa=True, is_causal=True))


def test_sdpa_float32_and_device(device, kernel_path):
    for causal in (True, False):
        check_op(
            [Q, K, V],
            *_sdpa(is_causal=causal),
            device=device,
            dtypes=("float32",),
            finite_diff=False,
        )
    # a fully masked row (every score -inf) leaves the kernel for the NumPy path's safe zeros
    mask = np.zeros((Q[-2], K[-2]), dtype=bool)
    mask[0] = True
    q, k, v = (glassnet.randn(*shape) for shape in (Q, K, V))
    out = glassnet.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=glassnet.tensor(~mask)
    )
    want = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(t.numpy()) for t in (q, k, v)), attn_mask=torch.from_numpy(~mask)
    )
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=2e-4, atol=2e-5)


def test_sdpa_dropout_scales_kept_weights(device):
    n, s = 64, 50
    q = glassnet.zeros(4, n, 8, device=device)  # equal scores: every weight is 1/s
    k = glassnet.zeros(4, s, 8, device=device)
    v = glassnet.eye(s, device=device).expand(4, s, s).requires_grad_()
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    w = glassnet.backend.to_numpy(out.detach()._data)  # out = dropped weights @ I
    dropped = w == 0
    assert abs(dropped.mean() - 0.25) < 0.02
    np.testing.assert_allclose(w[~dropped], 1 / s / 0.75, rtol=1e-5)
    out.sum().backward()
    # d(sum)/dv[j] = sum over queries of the kept, scaled weights of key j
    np.testing.assert_allclose(
        glassnet.backend.to_numpy(v.grad._data)[:, :, 0], w.sum(axis=1), rtol=1e-5
    )


def test_sdpa_errors():
    q = glassnet.randn(2, 4, 5)
    with pytest.raises(glassnet.ShapeError, match="same last dim"):
        F.scaled_dot_product_attention(q, glassnet.randn(2, 6, 3), glassnet.randn(2, 6, 5))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=glassnet.ones(4, 4), is_causal=True)


# ---- MultiheadAttention ------------------------------------------------------------------------
E, H, L, S, N = 8, 2, 5, 4, 3


def _mha_pair(**kw):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, **kw)
    with torch.no_grad():  # non-zero biases, so every term is checked
        for name, p in t.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)
    return nn.MultiheadAttention(E, H, **kw), t


def _cross_inputs(batch_first=False, kdim=E, vdim=E):
    if batch_first:
        return [(N, L, E), (N, S, kdim), (N, S, vdim)]
    return [(L, N, E), (S, N, kdim), (S, N, vdim)]


MHA_CONFIGS = [
    dict(),
    dict(batch_first=True),
    dict(kdim=3, vdim=6),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, batch_first=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("kw", MHA_CONFIGS)
def test_mha_cross_attention_matches_torch(kw, need_weights, average, dtype, kernel_path):
    g, t = _mha_pair(**kw)
    shapes = _cross_inputs(kw.get("batch_first", False), kw.get("kdim", E), kw.get("vdim", E))
    check_layer(
        g,
        t,
        shapes,
        dtype=dtype,
        forward=lambda m, q, k, v: m(
            q, k, v, need_weights=need_weights, average_attn_weights=average
        ),
    )


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_self_attention_and_shared_key_value(batch_first, need_weights, device):
    g, t = _mha_pair(batch_first=batch_first)
    shape = (N, L, E) if batch_first else (L, N, E)
    check_layer(
        g, t, [shape], device=device, forward=lambda m, x: m(x, x, x, need_weights=need_weights)
    )
    g, t = _mha_pair(batch_first=batch_first)
    mem = (N, S, E) if batch_first else (S, N, E)
    check_layer(
        g,
        t,
        [shape, mem],
        device=device,
        forward=lambda m, x, y: m(x, y, y, need_weights=need_weights),
    )


def _masks(kind):
    """(attn_mask, key_padding_mask) pairs as NumPy arrays; bool True means 'masked out'."""
    if kind == "bool2d":
        return _bool_mask((L, S), true_means_masked=True), None
    if kind == "float3d":
        return _float_mask((N * H, L, S)), None
    if kind == "kpm_bool":
        return None, _bool_mask((N, S), seed=3, true_means_masked=True)
    if kind == "kpm_float":
        return None, _float_mask((N, S), seed=4)
    if kind == "both":
        return _float_mask((L, S), seed=5), _bool_mask((N, S), seed=6, true_means_masked=True)
    raise AssertionError(kind)


def _cast_masks(masks, dtype):
    """Float masks in the test's dtype; boolean masks (and None) as they are."""
    return tuple(m if m is None or m.dtype == bool else m.astype(dtype) for m in masks)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kind", ["bool2d", "float3d", "kpm_bool", "kpm_float", "both"])
def test_mha_masks_match_torch(kind, need_weights, dtype, device, kernel_path):
    attn, kpm = _cast_masks(_masks(kind), dtype)

    def forward(m, q, k, v):
        lib = glassnet if isinstance(q, glassnet.Tensor) else torch
        dev = dict(device=device) if lib is glassnet else {}
        am = None if attn is None else lib.tensor(attn, **dev)
        km = None if kpm is None else lib.tensor(kpm, **dev)
        return m(q, k, v, attn_mask=am, key_padding_mask=km, need_weights=need_weights)

    g, t = _mha_pair()
    check_layer(g, t, _cross_inputs(), dtype=dtype, device=device, forward=forward)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_kpm", [False, True])
def test_mha_is_causal_with_causal_mask(need_weights, with_kpm):
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    kpm = _bool_mask((N, L), seed=7, true_means_masked=True) if with_kpm else None
    kpm = None if kpm is None else kpm & ~np.eye(N, L, dtype=bool)  # keep each row's key 0

    def forward(m, x):
        lib = glassnet if isinstance(x, glassnet.Tensor) else torch
        km = None if kpm is None else lib.tensor(kpm)
        return m(
            x,
            x,
            x,
            attn_mask=lib.tensor(causal),
            key_padding_mask=km,
            need_weights=need_weights,
            is_causal=True,
        )

    g, t = _mha_pair(batch_first=True)
    check_layer(g, t, [(N, L, E)], forward=forward)


def _self_masks(kind):
    """(attn_mask, key_padding_mask) for self-attention over L positions."""
    if kind == "none":
        return None, None
    if kind == "bool2d":
        return _bool_mask((L, L), seed=10, true_means_masked=True), None
    if kind == "float3d":
        return _float_mask((N * H, L, L), seed=11), None
    if kind == "kpm_bool":
        return None, _bool_mask((N, L), seed=12, true_means_masked=True)
    return _float_mask((L, L), seed=13), _bool_mask((N, L), seed=14, true_means_masked=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["none", "bool2d", "float3d", "kpm_bool", "both"])
def test_mha_packed_self_attention_matches_torch(kind, batch_first, dtype, device, kernel_path):
    """Self-attention without weights runs one fused op from the packed q/k/v projection."""
    attn, kpm = _cast_masks(_self_masks(kind), dtype)

    def forward(m, x):
        lib = _lib(x)
        dev = dict(device=device) if lib is glassnet else {}
        am = None if attn is None else lib.tensor(attn, **dev)
        km = None if kpm is None else lib.tensor(kpm, **dev)
        return m(x, x, x, attn_mask=am, key_padding_mask=km, need_weights=False)

    g, t = _mha_pair(batch_first=batch_first)
    shape = (N, L, E) if batch_first else (L, N, E)
    check_layer(g, t, [shape], dtype=dtype, device=device, forward=forward)


def test_mha_packed_self_attention_unbatched():
    g, t = _mha_pair()
    check_layer(g, t, [(L, E)], forward=lambda m, x: m(x, x, x, need_weights=False))


def test_mha_packed_self_attention_dropout_matches_composed_path():
    """With dropout, the fused self-attention path draws the same mask as the general path
    (cross-attention on an equal copy of the input) and gives the same output and gradients."""
    g = nn.MultiheadAttention(E, H, dropout=0.3, batch_first=True).double()
    x = glassnet.randn(N, 9, E, dtype=glassnet.float64, requires_grad=True)
    grads = []
    outs = []
    for fused in (True, False):
        glassnet.manual_seed(5)
        g.zero_grad()
        x.grad = None
        kv = x if fused else x * 1.0  # not the same tensor: the general path
        out = g(x, kv, kv, need_weights=False)[0]
        (out * glassnet.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
        outs.append(out.detach().numpy())
        grads.append([x.grad.numpy()] + [p.grad.numpy().copy() for p in g.parameters()])
    plain = g.eval()(x, x, x, need_weights=False)[0].detach().numpy()
    assert not np.allclose(outs[0], plain)  # dropout did drop some weights
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-12)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_mha_unbatched_input():
    g, t = _mha_pair()
    check_layer(g, t, [(L, E), (S, E), (S, E)])
    kpm = _bool_mask((S,), true_means_masked=True)
    g, t = _mha_pair()
    check_layer(
        g,
        t,
        [(L, E), (S, E), (S, E)],
        forward=lambda m, q, k, v: m(
            q,
            k,
            v,
            key_padding_mask=(glassnet if isinstance(q, glassnet.Tensor) else torch).tensor(kpm),
            need_weights=False,
        ),
    )


def test_mha_eval_mode_turns_dropout_off():
    g, t = _mha_pair(dropout=0.5, batch_first=True)
    check_layer(g, t, _cross_inputs(True), train=False)


def test_mha_dropout_in_training_drops_weights():
    g = nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True)
    x = glassnet.randn(4, 30, E)
    _, w = g(x, x, x, average_attn_weights=False)
    w = w.detach().numpy()
    assert abs((w == 0).mean() - 0.5) < 0.05
    _, w_eval = g.eval()(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(w_eval.detach().numpy().sum(-1), 1.0, rtol=1e-5)


def test_mha_state_dict_init_and_repr():
    for kw in MHA_CONFIGS:
        g, t = nn.MultiheadAttention(E, H, **kw), torch.nn.MultiheadAttention(E, H, **kw)
        assert list(g.state_dict()) == list(t.state_dict())
        assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == {
            k: tuple(v.shape) for k, v in t.state_dict().items()
        }
    assert repr(nn.MultiheadAttention(E, H)) == repr(torch.nn.MultiheadAttention(E, H))
    g = nn.MultiheadAttention(64, 4)
    w = g.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(6 / (64 + 192)) and w.std() > 0.05
    assert not g.in_proj_bias.detach().numpy().any() and not g.out_proj.bias.detach().numpy().any()


def test_mha_errors_name_the_layer():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(64, 4, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x)[0]

    with pytest.raises(
        glassnet.ShapeError,
        match=r"model\.attn \(MultiheadAttention.*query's last dimension is 48 but "
        r"embed_dim is 64",
    ):
        Model()(glassnet.randn(2, 5, 48))
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(4\)"):
        nn.MultiheadAttention(10, 4)
    attn = nn.MultiheadAttention(8, 2)
    x = glassnet.randn(5, 2, 8)
    with pytest.raises(glassnet.ShapeError, match="key_padding_mask has shape"):
        attn(x, x, x, key_padding_mask=glassnet.zeros(2, 4, dtype=glassnet.bool))
    with pytest.raises(glassnet.ShapeError, match="2-D attn_mask"):
        attn(x, x, x, attn_mask=glassnet.zeros(5, 4))
    with pytest.raises(ValueError, match="is_causal"):
        attn(x, x, x, is_causal=True)


def test_mask_on_another_device_is_a_clear_error(device):
    attn = nn.MultiheadAttention(8, 2).to(device)
    x = glassnet.randn(5, 2, 8, device=device)
    cpu_mask = glassnet.zeros(2, 5, dtype=glassnet.bool)
    if device == "cpu":
        assert attn(x, x, x, key_padding_mask=cpu_mask)[0].shape == (5, 2, 8)
        return
    with pytest.raises(glassnet.DeviceError, match="key_padding_mask is on cpu"):
        attn(x, x, x, key_padding_mask=cpu_mask)
    with pytest.raises(glassnet.DeviceError, match="attn_mask is on cpu"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=glassnet.ones(2, 2, dtype=glassnet.bool))


def test_functional_multi_head_attention_forward_matches_torch():
    g, t = _mha_pair()

    def forward(m, q, k, v):
        if isinstance(q, glassnet.Tensor):
            return F.multi_head_attention_forward(
                q,
                k,
                v,
                E,
                H,
                m.in_proj_weight,
                m.in_proj_bias,
                None,
                None,
                False,
                0.0,
                m.out_proj.weight,
                m.out_proj.bias,
            )
        return TF.multi_head_attention_forward(
            q,
            k,
            v,
            E,
            H,
            m.in_proj_weight,
            m.in_proj_bias,
            None,
            None,
            False,
            0.0,
            m.out_proj.weight,
            m.out_proj.bias,
        )

    check_layer(g, t, _cross_inputs(), forward=forward)


# ---- transformer layers -----------------------------------------------------------------------
D, NHEAD, FF = 8, 2, 16


def _layer_pair(cls_name, **kw):
    torch.manual_seed(1)
    t = getattr(torch.nn, cls_name)(D, NHEAD, dim_feedforward=FF, dropout=0.0, **kw)
    with torch.no_grad():
        for name, p in t.named_parameters():
            if p.ndim == 1:
                p.uniform_(-0.5, 0.5) if "bias" in name else p.uniform_(0.5, 1.5)
    kw = {k: (F.gelu if v is TF.gelu else v) for k, v in kw.items()}
    return getattr(nn, cls_name)(D, NHEAD, dim_feedforward=FF, dropout=0.0, **kw), t


LAYER_CONFIGS = [
    dict(),
    dict(norm_first=True),
    dict(batch_first=True, activation="gelu"),
    dict(activation=TF.gelu, norm_first=True, batch_first=True),
    dict(bias=False, layer_norm_eps=1e-3),
]


def _seq(batch_first, length=L):
    return (N, length, D) if batch_first else (length, N, D)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", LAYER_CONFIGS)
def test_encoder_layer_matches_torch(kw, dtype):
    g, t = _layer_pair("TransformerEncoderLayer", **kw)
    check_layer(g, t, [_seq(kw.get("batch_first", False))], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", LAYER_CONFIGS)
def test_decoder_layer_matches_torch(kw, dtype):
    g, t = _layer_pair("TransformerDecoderLayer", **kw)
    bf = kw.get("batch_first", False)
    check_layer(g, t, [_seq(bf), _seq(bf, S)], dtype=dtype)


def _lib(x):
    return glassnet if isinstance(x, glassnet.Tensor) else torch


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_layers_with_masks(norm_first, device):
    kpm = _bool_mask((N, L), seed=8, true_means_masked=True)
    mem_kpm = _bool_mask((N, S), seed=9, true_means_masked=True)

    def enc(m, x):
        lib = _lib(x)
        mask = lib.nn.Transformer.generate_square_subsequent_mask(L, device=x.device).to(x.dtype)
        return m(x, src_mask=mask, src_key_padding_mask=lib.tensor(kpm, device=x.device))

    g, t = _layer_pair("TransformerEncoderLayer", norm_first=norm_first, batch_first=True)
    check_layer(g, t, [(N, L, D)], forward=enc, device=device)

    def dec(m, x, mem):
        lib = _lib(x)
        mask = lib.nn.Transformer.generate_square_subsequent_mask(L, device=x.device).to(x.dtype)
        return m(
            x,
            mem,
            tgt_mask=mask,
            memory_key_padding_mask=lib.tensor(mem_kpm, device=x.device),
            tgt_is_causal=True,
        )

    g, t = _layer_pair("TransformerDecoderLayer", norm_first=norm_first, batch_first=True)
    check_layer(g, t, [(N, L, D), (N, S, D)], forward=dec, device=device)


def test_encoder_and_decoder_stacks_match_torch():
    g_layer, t_layer = _layer_pair("TransformerEncoderLayer")
    g = nn.TransformerEncoder(g_layer, 2, norm=nn.LayerNorm(D))
    t = torch.nn.TransformerEncoder(
        t_layer, 2, norm=torch.nn.LayerNorm(D), enable_nested_tensor=False
    )
    check_layer(g, t, [(L, N, D)])
    g_layer, t_layer = _layer_pair("TransformerDecoderLayer", batch_first=True)
    g = nn.TransformerDecoder(g_layer, 2)
    t = torch.nn.TransformerDecoder(t_layer, 2)
    check_layer(g, t, [(N, L, D), (N, S, D)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    kw = dict(
        d_model=D,
        nhead=NHEAD,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=FF,
        dropout=0.0,
        batch_first=batch_first,
    )
    torch.manual_seed(2)
    g, t = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    assert list(g.state_dict()) == list(t.state_dict())

    def forward(m, src, tgt):
        mask = m.generate_square_subsequent_mask(L).to(src.dtype)
        return m(src, tgt, tgt_mask=mask)

    check_layer(g, t, [_seq(batch_first, S), _seq(batch_first)], forward=forward)


def test_transformer_helpers_and_errors():
    np.testing.assert_array_equal(
        nn.Transformer.generate_square_subsequent_mask(4).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
    )
    model = nn.Transformer(
        d_model=D, nhead=NHEAD, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF
    )
    with pytest.raises(glassnet.ShapeError, match="batch number of src and tgt"):
        model(glassnet.randn(5, 2, D), glassnet.randn(4, 3, D))
    with pytest.raises(glassnet.ShapeError, match="d_model"):
        model(glassnet.randn(5, 2, 6), glassnet.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="activation must be one of 'relu', 'gelu'"):
        nn.TransformerEncoderLayer(D, NHEAD, activation="tanh")
    layer = nn.TransformerEncoderLayer(D, NHEAD, dim_feedforward=FF, activation=glassnet.tanh)
    assert layer(glassnet.randn(3, 1, D)).shape == (3, 1, D)
    stack = nn.TransformerEncoder(layer, 3)
    assert stack.layers[0] is not stack.layers[1]
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight
