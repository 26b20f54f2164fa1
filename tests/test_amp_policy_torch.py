"""autocast's op policy on the CPU against ``torch.autocast("cpu")``: one line per op, run in
both frameworks on the same data under autocast, for float32, float64, mixed float32/bfloat16
and (where the op takes them) integer inputs; the output dtypes must be equal and the values
close. torch is the oracle: no expected dtype is written down here.

torch's CPU lists (``aten/src/ATen/autocast_mode.cpp``, ``AutocastCPU``): lower precision
(matmul, mm, bmm, addmm, baddbmm, addbmm, linear, conv*, conv_transpose*, prelu,
scaled_dot_product_attention), fp32 (the losses, prod, cdist, trace, avg/max_pool3d,
reflection/replication padding, fft, linalg solvers and factorizations, quantile), promote
(cat, stack, index_copy); every other op runs in the dtype of its inputs.
"""

from __future__ import annotations

import ml_dtypes  # noqa: F401
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
import glassnet.nn.functional as F
from glassnet.amp import autocast

# bfloat16 keeps 8 significant bits: one rounding is off by at most 2^-8 relative (half the
# spacing 2^-7 at 1). Both frameworks round the same inputs to bfloat16 and accumulate in
# float32, so their float32 results differ only by the summation order (~n * 2^-24, tiny for
# these n <= 64 terms); what remains is where the two float32 results fall on either side of a
# bfloat16 rounding boundary, once per rounding step inside the op. An op rounds at most twice
# here (e.g. addmm: the product, then the sum with the bias), so 4 * 2^-8 = 2 ulps bounds the
# difference; atol: the same times the largest |value|, for entries that cancel towards 0.
# float16 keeps 11 bits: the same argument with 2^-11.
LOW_TOL = {"bfloat16": 4 * 2.0**-8, "float16": 4 * 2.0**-11}
# float32 results (fp32 list, untouched ops): both compute in float32 on identical inputs, the
# order of additions differs; 64 terms at 2^-24 each is < 1e-5 relative to the terms' size.
F32_TOL = 1e-5
F64_TOL = 1e-12
# Ops whose float32 result passes through a low-precision step inside (the cells' gates are
# rounded linears; linear + float32 adds to a rounded linear): a difference of a rounding
# there reaches the float32 output, so they get the low tolerance.
# cosine_similarity of a bfloat16 and a float32 tensor: torch's composite computes part of it
# in bfloat16 (its result is 1.3% from the float64 value of the same inputs where the dot
# product cancels; glassnet's is float32-close to it), so it too gets the low tolerance.
LOW_INSIDE = {"lstm_cell", "gru_cell", "rnn_tanh_cell", "linear+fp32", "cosine_similarity"}

rng = np.random.default_rng(0)


def _r(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


X, W, B = _r(4, 6), _r(5, 6), _r(5)
M1, M2, M3 = _r(4, 6), _r(6, 5), _r(4, 5)
V6, V4, V5 = _r(6), _r(4), _r(5)
B1, B2, B3 = _r(3, 4, 6), _r(3, 6, 5), _r(3, 4, 5)
IMG1, K1 = _r(2, 3, 8), _r(4, 3, 3)
IMG2, K2 = _r(2, 3, 6, 6), _r(4, 3, 3, 3)
IMG3, K3 = _r(1, 2, 4, 4, 4), _r(3, 2, 2, 2, 2)
KT1, KT2, KT3 = _r(3, 4, 3), _r(3, 4, 3, 3), _r(2, 3, 2, 2, 2)
Q, KK, VV = _r(2, 2, 5, 4), _r(2, 2, 6, 4), _r(2, 2, 6, 4)
SQ = _r(4, 4) + 4 * np.eye(4, dtype=np.float32)  # well conditioned, for solvers
SPD = SQ @ SQ.T
T = _r(4, 5)
POS = _r(4, 5, low=0.5, high=2.0)
PROB = _r(4, 5, low=0.05, high=0.95)
TARGET01 = (_r(4, 5) > 0).astype(np.float32)
SIGN = np.where(_r(4) > 0, 1.0, -1.0).astype(np.float32)
LABELS = np.array([0, 2, 4, 1])
IDX = np.array([2, 0])
GRID = _r(2, 3, 3, 2, low=-1.0, high=1.0)
SMALL = _r(4, 5, low=0.5, high=1.5)  # for products and powers that stay in range
H3, C3 = _r(4, 3), _r(4, 3)
WIH, WHH, BIH, BHH = _r(12, 6), _r(12, 3), _r(12), _r(12)
WIHG, WHHG, BIHG, BHHG = _r(9, 6), _r(9, 3), _r(9), _r(9)
ALPHA = np.array([0.25, 0.5, 0.1], dtype=np.float32)
CTC_LOGP = np.log(_r(6, 2, 4, low=0.05, high=1.0))  # (time, batch, classes); blank is 0
CTC_TARGETS = np.array([[1, 2], [3, 3]])


def _bf(m):
    return m.bfloat16


# name -> (op, variants). An op gets (m, f, A, Z): the framework (glassnet or torch), its
# functional module, A(array) making a floating tensor in the variant's dtype, Z(array) making
# an int64 tensor. Variants: "f32", "f64", "mixed" (the first floating input bfloat16, the
# others float32), "int" (the floating inputs as int64, for ops that take integers).
FLOAT = ("f32", "f64", "mixed")
ONE = ("f32", "f64", "mixed")  # single-input ops: "mixed" means the input is bfloat16
WITH_INT = FLOAT + ("int",)
SAME = ("f32", "f64")  # torch itself refuses mixed dtypes here (an op rule, not autocast's)
CASES = {
    # ---- lower precision ------------------------------------------------------------------
    "linear": (lambda m, f, A, Z: f.linear(A(X), A(W), A(B)), FLOAT),
    "linear_nobias": (lambda m, f, A, Z: f.linear(A(X), A(W)), FLOAT),
    "matmul": (lambda m, f, A, Z: m.matmul(A(M1), A(M2)), WITH_INT),
    "matmul_batched": (lambda m, f, A, Z: m.matmul(A(B1), A(M2)), FLOAT),
    "matmul_vec": (lambda m, f, A, Z: m.matmul(A(M1), A(V6)), FLOAT),
    "matmul_operator": (lambda m, f, A, Z: A(M1) @ A(M2), FLOAT),
    "mm": (lambda m, f, A, Z: m.mm(A(M1), A(M2)), WITH_INT),
    "Tensor.mm": (lambda m, f, A, Z: A(M1).mm(A(M2)), FLOAT),
    "bmm": (lambda m, f, A, Z: m.bmm(A(B1), A(B2)), WITH_INT),
    "addmm": (lambda m, f, A, Z: m.addmm(A(M3), A(M1), A(M2)), FLOAT),
    "addmm_scaled": (lambda m, f, A, Z: m.addmm(A(M3), A(M1), A(M2), beta=0.5, alpha=2), FLOAT),
    "Tensor.addmm": (lambda m, f, A, Z: A(M3).addmm(A(M1), A(M2)), FLOAT),
    "baddbmm": (lambda m, f, A, Z: m.baddbmm(A(B3), A(B1), A(B2)), FLOAT),
    "addbmm": (lambda m, f, A, Z: m.addbmm(A(M3), A(B1), A(B2)), FLOAT),
    "conv1d": (lambda m, f, A, Z: f.conv1d(A(IMG1), A(K1), A(V4)), FLOAT),
    "conv2d": (lambda m, f, A, Z: f.conv2d(A(IMG2), A(K2), A(V4), padding=1), FLOAT),
    "conv2d_stride": (lambda m, f, A, Z: f.conv2d(A(IMG2), A(K2), stride=2), FLOAT),
    "conv3d": (lambda m, f, A, Z: f.conv3d(A(IMG3), A(K3)), FLOAT),
    "conv_transpose1d": (lambda m, f, A, Z: f.conv_transpose1d(A(IMG1), A(KT1)), FLOAT),
    "conv_transpose2d": (lambda m, f, A, Z: f.conv_transpose2d(A(IMG2), A(KT2)), FLOAT),
    "conv_transpose3d": (lambda m, f, A, Z: f.conv_transpose3d(A(IMG3), A(KT3)), FLOAT),
    "prelu": (lambda m, f, A, Z: f.prelu(A(IMG1), A(ALPHA)), FLOAT),
    "sdpa": (lambda m, f, A, Z: f.scaled_dot_product_attention(A(Q), A(KK), A(VV)), FLOAT),
    "sdpa_causal": (
        lambda m, f, A, Z: f.scaled_dot_product_attention(A(Q), A(KK), A(VV), is_causal=True),
        FLOAT,
    ),
    "relu(linear)": (lambda m, f, A, Z: f.relu(f.linear(A(X), A(W))), FLOAT),
    "linear+fp32": (lambda m, f, A, Z: f.linear(A(X), A(W)) + A(T), FLOAT),
    # ---- recurrent cells (composed of linear in both) --------------------------------------
    "lstm_cell": (
        lambda m, f, A, Z: m.lstm_cell(A(X[:, :6]), (A(H3), A(C3)), A(WIH), A(WHH), A(BIH), A(BHH)),
        FLOAT,
    ),
    "gru_cell": (
        lambda m, f, A, Z: m.gru_cell(A(X), A(H3), A(WIHG), A(WHHG), A(BIHG), A(BHHG)),
        FLOAT,
    ),
    "rnn_tanh_cell": (
        lambda m, f, A, Z: m.rnn_tanh_cell(A(X), A(H3), A(WIH[:3]), A(WHH[:3])),
        FLOAT,
    ),
    # ---- torch's fp32 list ----------------------------------------------------------------
    "mse_loss": (lambda m, f, A, Z: f.mse_loss(A(T), A(POS)), FLOAT),
    "l1_loss": (lambda m, f, A, Z: f.l1_loss(A(T), A(POS)), FLOAT),
    "smooth_l1_loss": (lambda m, f, A, Z: f.smooth_l1_loss(A(T), A(POS)), FLOAT),
    "huber_loss": (lambda m, f, A, Z: f.huber_loss(A(T), A(POS)), FLOAT),
    "cross_entropy": (lambda m, f, A, Z: f.cross_entropy(A(T), Z(LABELS)), FLOAT),
    "cross_entropy_probs": (lambda m, f, A, Z: f.cross_entropy(A(T), A(PROB)), FLOAT),
    "nll_loss": (lambda m, f, A, Z: f.nll_loss(A(T), Z(LABELS)), FLOAT),
    "kl_div": (lambda m, f, A, Z: f.kl_div(A(T), A(PROB), reduction="batchmean"), FLOAT),
    "binary_cross_entropy": (
        lambda m, f, A, Z: f.binary_cross_entropy(A(PROB), A(TARGET01)),
        FLOAT,
    ),
    "bce_with_logits": (
        lambda m, f, A, Z: f.binary_cross_entropy_with_logits(A(T), A(TARGET01)),
        FLOAT,
    ),
    "margin_ranking_loss": (
        lambda m, f, A, Z: f.margin_ranking_loss(A(V4), A(SIGN * 0.5), A(SIGN)),
        FLOAT,
    ),
    "cosine_embedding_loss": (
        lambda m, f, A, Z: f.cosine_embedding_loss(A(T), A(POS), A(SIGN)),
        FLOAT,
    ),
    "hinge_embedding_loss": (
        lambda m, f, A, Z: f.hinge_embedding_loss(A(T), A(TARGET01 * 2 - 1)),
        FLOAT,
    ),
    "soft_margin_loss": (lambda m, f, A, Z: f.soft_margin_loss(A(T), A(TARGET01 * 2 - 1)), FLOAT),
    "poisson_nll_loss": (lambda m, f, A, Z: f.poisson_nll_loss(A(T), A(POS)), FLOAT),
    "triplet_margin_loss": (
        lambda m, f, A, Z: f.triplet_margin_loss(A(T), A(POS), A(SMALL)),
        FLOAT,
    ),
    "multi_margin_loss": (lambda m, f, A, Z: f.multi_margin_loss(A(T), Z(LABELS)), FLOAT),
    "prod": (lambda m, f, A, Z: m.prod(A(SMALL)), WITH_INT),
    "prod_dim": (lambda m, f, A, Z: m.prod(A(SMALL), dim=1), FLOAT),
    "Tensor.prod": (lambda m, f, A, Z: A(SMALL).prod(1), FLOAT),
    "cdist": (lambda m, f, A, Z: m.cdist(A(T), A(POS)), FLOAT),
    "trace": (lambda m, f, A, Z: m.trace(A(SQ)), FLOAT),
    "avg_pool3d": (lambda m, f, A, Z: f.avg_pool3d(A(IMG3), 2), FLOAT),
    "max_pool3d": (lambda m, f, A, Z: f.max_pool3d(A(IMG3), 2), FLOAT),
    "adaptive_avg_pool3d": (lambda m, f, A, Z: f.adaptive_avg_pool3d(A(IMG3), 2), FLOAT),
    "pad_reflect1d": (lambda m, f, A, Z: f.pad(A(IMG1), (2, 1), mode="reflect"), FLOAT),
    "pad_reflect2d": (lambda m, f, A, Z: f.pad(A(IMG2), (1, 1, 2, 0), mode="reflect"), FLOAT),
    "pad_replicate2d": (lambda m, f, A, Z: f.pad(A(IMG2), (1, 1, 2, 0), mode="replicate"), FLOAT),
    "pad_replicate3d": (lambda m, f, A, Z: f.pad(A(IMG3), (1,) * 6, mode="replicate"), FLOAT),
    "pad_constant": (lambda m, f, A, Z: f.pad(A(IMG2), (1, 1)), FLOAT),
    "pad_reflect3d": (lambda m, f, A, Z: f.pad(A(IMG3), (1,) * 6, mode="reflect"), FLOAT),
    "pad_circular": (lambda m, f, A, Z: f.pad(A(IMG2), (1, 1, 1, 1), mode="circular"), FLOAT),
    "adaptive_max_pool3d": (lambda m, f, A, Z: f.adaptive_max_pool3d(A(IMG3), 2), FLOAT),
    "ctc_loss": (
        lambda m, f, A, Z: f.ctc_loss(A(CTC_LOGP), Z(CTC_TARGETS), Z([6, 5]), Z([2, 2])),
        FLOAT,
    ),
    "Tensor.trace": (lambda m, f, A, Z: A(SQ).trace(), FLOAT),
    "nanquantile": (lambda m, f, A, Z: m.nanquantile(A(T), 0.7, dim=0), FLOAT),
    "grid_sample": (lambda m, f, A, Z: f.grid_sample(A(IMG2), A(GRID), align_corners=False), FLOAT),
    "inverse": (lambda m, f, A, Z: m.inverse(A(SQ)), FLOAT),
    "linalg.inv": (lambda m, f, A, Z: m.linalg.inv(A(SQ)), FLOAT),
    "linalg.solve": (lambda m, f, A, Z: m.linalg.solve(A(SQ), A(M1)), FLOAT),
    "linalg.cholesky": (lambda m, f, A, Z: m.linalg.cholesky(A(SPD)), FLOAT),
    "linalg.eigvalsh": (lambda m, f, A, Z: m.linalg.eigvalsh(A(SPD)), FLOAT),
    "linalg.svdvals": (lambda m, f, A, Z: m.linalg.svdvals(A(SQ)), FLOAT),
    "pinverse": (lambda m, f, A, Z: m.pinverse(A(SQ)), FLOAT),
    "quantile": (lambda m, f, A, Z: m.quantile(A(T), 0.3, dim=1), FLOAT),
    "fft.rfft": (lambda m, f, A, Z: m.fft.rfft(A(T)), FLOAT),
    "fft.fft": (lambda m, f, A, Z: m.fft.fft(A(T)), FLOAT),
    # ---- promote: the widest floating input wins -------------------------------------------
    "cat": (lambda m, f, A, Z: m.cat([A(M1), A(M1 * 2)]), WITH_INT),
    "cat_three": (lambda m, f, A, Z: m.cat([A(M1), A(M1), A(M1)], dim=1), FLOAT),
    "stack": (lambda m, f, A, Z: m.stack([A(M1), A(M1 * 2)]), WITH_INT),
    "index_copy": (lambda m, f, A, Z: m.index_copy(A(T), 0, Z(IDX), A(T[:2] * 3)), FLOAT),
    "Tensor.index_copy": (lambda m, f, A, Z: A(T).index_copy(0, Z(IDX), A(T[:2] * 3)), FLOAT),
    # ---- not in any list: the input dtype is kept -------------------------------------------
    "softmax": (lambda m, f, A, Z: f.softmax(A(T), dim=-1), ONE),
    "log_softmax": (lambda m, f, A, Z: f.log_softmax(A(T), dim=-1), ONE),
    "Tensor.softmax": (lambda m, f, A, Z: A(T).softmax(-1), ONE),
    "layer_norm": (lambda m, f, A, Z: f.layer_norm(A(T), (5,), A(V5), A(V5 * 0.5)), FLOAT),
    "group_norm": (lambda m, f, A, Z: f.group_norm(A(IMG2[:, :2]), 2), ONE),
    "batch_norm": (
        lambda m, f, A, Z: f.batch_norm(A(IMG2), A(V4[:3]), A(np.abs(V4[:3]) + 1), training=False),
        FLOAT,
    ),
    "instance_norm": (lambda m, f, A, Z: f.instance_norm(A(IMG2)), ONE),
    "norm": (lambda m, f, A, Z: m.norm(A(T)), ONE),
    "linalg.vector_norm": (lambda m, f, A, Z: m.linalg.vector_norm(A(T), dim=1), ONE),
    "cumsum": (lambda m, f, A, Z: m.cumsum(A(T), dim=1), WITH_INT),
    "cumprod": (lambda m, f, A, Z: m.cumprod(A(SMALL), dim=1), WITH_INT),
    "exp": (lambda m, f, A, Z: m.exp(A(T)), ONE),
    "log": (lambda m, f, A, Z: m.log(A(POS)), ONE),
    "pow": (lambda m, f, A, Z: m.pow(A(POS), A(T)), FLOAT),
    "pow_scalar": (lambda m, f, A, Z: m.pow(A(T), 2), WITH_INT),
    "sum": (lambda m, f, A, Z: m.sum(A(T)), WITH_INT),
    "Tensor.sum_dim": (lambda m, f, A, Z: A(T).sum(1), WITH_INT),
    "mean": (lambda m, f, A, Z: m.mean(A(T)), ONE),
    "Tensor.mean_dim": (lambda m, f, A, Z: A(T).mean(0), ONE),
    "var": (lambda m, f, A, Z: m.var(A(T), dim=1), ONE),
    "std": (lambda m, f, A, Z: A(T).std(), ONE),
    "logsumexp": (lambda m, f, A, Z: m.logsumexp(A(T), dim=1), ONE),
    "topk": (lambda m, f, A, Z: m.topk(A(T), 2, dim=1), WITH_INT),
    "sort": (lambda m, f, A, Z: m.sort(A(T), dim=1), WITH_INT),
    "max_dim": (lambda m, f, A, Z: m.max(A(T), dim=1), WITH_INT),
    "where": (lambda m, f, A, Z: m.where(A(T) > 0, A(T), A(POS)), WITH_INT),
    "add": (lambda m, f, A, Z: A(T) + A(POS), WITH_INT),
    "mul": (lambda m, f, A, Z: A(T) * A(POS), WITH_INT),
    "div": (lambda m, f, A, Z: A(T) / A(POS), FLOAT),
    "tanh": (lambda m, f, A, Z: m.tanh(A(T)), ONE),
    "sigmoid": (lambda m, f, A, Z: m.sigmoid(A(T)), ONE),
    "relu": (lambda m, f, A, Z: f.relu(A(T)), WITH_INT),
    "gelu": (lambda m, f, A, Z: f.gelu(A(T)), ONE),
    "silu": (lambda m, f, A, Z: f.silu(A(T)), ONE),
    "softplus": (lambda m, f, A, Z: f.softplus(A(T)), ONE),
    "normalize": (lambda m, f, A, Z: f.normalize(A(T), dim=1), ONE),
    "cosine_similarity": (lambda m, f, A, Z: f.cosine_similarity(A(T), A(POS)), FLOAT),
    "max_pool2d": (lambda m, f, A, Z: f.max_pool2d(A(IMG2), 2), ONE),
    "avg_pool2d": (lambda m, f, A, Z: f.avg_pool2d(A(IMG2), 2), ONE),
    "adaptive_avg_pool2d": (lambda m, f, A, Z: f.adaptive_avg_pool2d(A(IMG2), 3), ONE),
    "max_pool1d": (lambda m, f, A, Z: f.max_pool1d(A(IMG1), 2), ONE),
    "embedding": (lambda m, f, A, Z: f.embedding(Z(LABELS), A(T.T.copy())), ONE),
    "dropout_eval": (lambda m, f, A, Z: f.dropout(A(T), 0.5, training=False), ONE),
    "einsum": (lambda m, f, A, Z: m.einsum("ij,jk->ik", A(M1), A(M2)), FLOAT),
    "mv": (lambda m, f, A, Z: m.mv(A(M1), A(V6)), SAME),
    "addmv": (lambda m, f, A, Z: m.addmv(A(V4), A(M1), A(V6)), SAME),
    "addr": (lambda m, f, A, Z: m.addr(A(M3), A(V4), A(V5)), FLOAT),
    "dot": (lambda m, f, A, Z: m.dot(A(V6), A(V6 * 2)), SAME),
    "outer": (lambda m, f, A, Z: m.outer(A(V4), A(V5)), FLOAT),
    "tensordot": (lambda m, f, A, Z: m.tensordot(A(M1), A(M2), dims=1), SAME),
    "linalg.vecdot": (lambda m, f, A, Z: m.linalg.vecdot(A(T), A(POS)), FLOAT),
    "chain_matmul": (lambda m, f, A, Z: m.chain_matmul(A(M1), A(M2), A(M2.T.copy())), SAME),
    "linalg.multi_dot": (
        lambda m, f, A, Z: m.linalg.multi_dot([A(M1), A(M2), A(M2.T.copy())]),
        SAME,
    ),
    "linalg.det": (lambda m, f, A, Z: m.linalg.det(A(SQ)), SAME),
}


class _Maker:
    """A(array) and Z(array) for one framework and one variant."""

    def __init__(self, lib, variant):
        self.lib, self.variant, self.count = lib, variant, 0

    def A(self, array):  # noqa: N802
        lib, v = self.lib, self.variant
        self.count += 1
        if v == "int":
            return lib.tensor(np.round(array * 3).astype(np.int64))
        if v == "f64":
            return lib.tensor(array.astype(np.float64))
        t = lib.tensor(array)
        return t.to(lib.bfloat16) if v == "mixed" and self.count == 1 else t

    def Z(self, array):  # noqa: N802
        return self.lib.tensor(np.asarray(array, dtype=np.int64))


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


def _values(t, lib):
    t = t.detach()
    if lib is torch:
        if t.is_complex():
            return t.to(torch.complex128).numpy()
        return t.to(torch.float64).numpy() if t.is_floating_point() else t.numpy()
    a = np.asarray(t.numpy())
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _run(name, variant, low):
    op, _ = CASES[name]
    with torch.autocast("cpu", dtype=getattr(torch, low)):
        mk = _Maker(torch, variant)
        want = _outputs(op(torch, TF, mk.A, mk.Z))
    with autocast("cpu", dtype=getattr(glassnet, low)):
        mk = _Maker(glassnet, variant)
        got = _outputs(op(glassnet, F, mk.A, mk.Z))
    return got, want


def _check(got, want, low, inside=False):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert _dtype_name(g.dtype) == _dtype_name(w.dtype)
        gv, wv = _values(g, glassnet), _values(w, torch)
        assert gv.shape == wv.shape
        tol = {"float64": F64_TOL, "complex128": F64_TOL}.get(_dtype_name(w.dtype), F32_TOL)
        tol = LOW_TOL[low] if inside else LOW_TOL.get(_dtype_name(w.dtype), tol)
        scale = float(np.abs(wv).max()) if wv.size else 0.0
        np.testing.assert_allclose(gv, wv, rtol=tol, atol=tol * scale)


PARAMS = [(name, v) for name, (_, variants) in CASES.items() for v in variants]


@pytest.mark.parametrize(("name", "variant"), PARAMS, ids=[f"{n}-{v}" for n, v in PARAMS])
def test_autocast_bfloat16_policy_equals_torch(name, variant):
    got, want = _run(name, variant, "bfloat16")
    _check(got, want, "bfloat16", name in LOW_INSIDE)


F16 = [name for name, (_, variants) in CASES.items() if "f32" in variants]


@pytest.mark.parametrize("name", F16)
def test_autocast_float16_policy_equals_torch(name):
    got, want = _run(name, "f32", "float16")
    _check(got, want, "float16", name in LOW_INSIDE)


# ---- regions: nesting, the decorator, the queries ----------------------------------------------
def _state(lib):
    """What a program can see inside a region: the queries and an mm's output dtype."""
    a = lib.tensor(M1)
    return (
        lib.is_autocast_enabled("cpu"),
        _dtype_name(lib.get_autocast_dtype("cpu")),
        _dtype_name(lib.mm(a, lib.tensor(M2)).dtype),
    )


def _nested(lib, amp):
    seen = [_state(lib)]
    with amp("cpu", dtype=lib.bfloat16):
        seen.append(_state(lib))
        with amp("cpu", enabled=False):
            seen.append(_state(lib))
            with amp("cpu", dtype=lib.float16):
                seen.append(_state(lib))
                with amp("cpu", enabled=False):  # inherits float16 as the dtype
                    seen.append(_state(lib))
                seen.append(_state(lib))
            seen.append(_state(lib))
        seen.append(_state(lib))
    seen.append(_state(lib))
    return seen


def test_nested_regions_equal_torch():
    got, want = _nested(glassnet, autocast), _nested(torch, torch.autocast)
    assert got == want
    # the sequence really changes: on, off, float16, off, back
    assert [s[2] for s in want] == ["float32", "bfloat16", "float32", "float16", "float32"] + [
        "float16",
        "float32",
        "bfloat16",
        "float32",
    ]


def test_decorator_form_equals_torch():
    def make(lib, amp, F_):
        @amp("cpu", dtype=lib.bfloat16)
        def inside(x, w):
            return F_.linear(x, w), F_.mse_loss(F_.linear(x, w), x[:, :5])

        return inside

    for lib, amp, F_ in ((glassnet, autocast, F), (torch, torch.autocast, TF)):
        x, w = lib.tensor(X), lib.tensor(W)
        out = make(lib, amp, F_)(x, w)
        after = F_.linear(x, w)
        if lib is glassnet:
            got = [_dtype_name(t.dtype) for t in (*out, after)] + [lib.is_autocast_enabled("cpu")]
        else:
            want = [_dtype_name(t.dtype) for t in (*out, after)] + [lib.is_autocast_enabled("cpu")]
    assert got == want == ["bfloat16", "float32", "float32", False]


def test_autocast_leaves_no_patch_behind_after_an_error():
    with pytest.raises(ZeroDivisionError), autocast("cpu"):
        glassnet.addmm(glassnet.tensor(M3), glassnet.tensor(M1), glassnet.tensor(M2))
        raise ZeroDivisionError
    out = glassnet.addmm(glassnet.tensor(M3), glassnet.tensor(M1), glassnet.tensor(M2))
    want = torch.addmm(torch.tensor(M3), torch.tensor(M1), torch.tensor(M2))
    assert _dtype_name(out.dtype) == _dtype_name(want.dtype)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=F32_TOL, atol=F32_TOL)
