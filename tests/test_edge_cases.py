"""Edge cases PyTorch defines: empty batches, zero-length key sequences, softmax over nothing."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F


def _same(g, t):
    """Same shape, and the same values with NaN where PyTorch has NaN (exact: no arithmetic
    is done on an empty batch)."""
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_on_an_empty_batch(reduction, smoothing):
    """PyTorch: mean over no samples is nan, sum is 0, none is empty; gradients are empty."""
    t_logits = torch.zeros(0, 5, requires_grad=True)
    g_logits = glassnet.zeros(0, 5, requires_grad=True)
    t_y, g_y = torch.zeros(0, dtype=torch.long), glassnet.zeros(0, dtype=glassnet.int64)
    t = torch.nn.functional.cross_entropy(
        t_logits, t_y, reduction=reduction, label_smoothing=smoothing
    )
    g = F.cross_entropy(g_logits, g_y, reduction=reduction, label_smoothing=smoothing)
    _same(g, t)
    t.sum().backward()
    g.sum().backward()
    _same(g_logits.grad, t_logits.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_probability_targets_on_an_empty_batch(reduction):
    t_y, g_y = torch.zeros(0, dtype=torch.long), glassnet.zeros(0, dtype=glassnet.int64)
    t = torch.nn.functional.nll_loss(torch.zeros(0, 3), t_y, reduction=reduction)
    _same(F.nll_loss(glassnet.zeros(0, 3), g_y, reduction=reduction), t)
    t = torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, 3), reduction=reduction)
    _same(F.cross_entropy(glassnet.zeros(0, 3), glassnet.zeros(0, 3), reduction=reduction), t)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_with_no_keys(batch_first, need_weights):
    """Attention over an empty key sequence: zero attention output, so the result is the output
    projection's bias (PyTorch's definition); weights of shape (N, L, 0)."""
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    with torch.no_grad():  # non-zero biases, so "zeros" is not an accident of the init
        tm.out_proj.bias.normal_()
        tm.in_proj_bias.normal_()
    gm = glassnet.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    gm.load_state_dict({k: glassnet.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    q, kv = torch.randn(2, 3, 8), torch.randn(2, 0, 8)
    if not batch_first:
        q, kv = q.transpose(0, 1).contiguous(), kv.transpose(0, 1).contiguous()
    tq, tkv = q.clone().requires_grad_(), kv.clone().requires_grad_()
    gq = glassnet.tensor(q.numpy(), requires_grad=True)
    gkv = glassnet.tensor(kv.numpy(), requires_grad=True)
    to, tw = tm(tq, tkv, tkv, need_weights=need_weights)
    go, gw = gm(gq, gkv, gkv, need_weights=need_weights)
    # the output is the bias row exactly: no sum is taken over the (empty) keys
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=0, atol=0)
    assert (gw is None) == (tw is None)
    if tw is not None:
        assert tuple(gw.shape) == tuple(tw.shape)
    to.sum().backward()
    go.sum().backward()
    _same(gq.grad, tq.grad)  # the output does not depend on the queries: zeros
    assert tuple(gkv.grad.shape) == tuple(tkv.grad.shape)


def test_softmax_and_attention_over_an_empty_dim():
    x = torch.zeros(2, 0)
    _same(F.softmax(glassnet.zeros(2, 0), dim=1), torch.softmax(x, dim=1))
    _same(F.log_softmax(glassnet.zeros(2, 0), dim=-1), torch.log_softmax(x, dim=-1))
    q, k = torch.randn(2, 3, 4), torch.randn(2, 0, 4)
    t = torch.nn.functional.scaled_dot_product_attention(q, k, k)
    g = F.scaled_dot_product_attention(
        glassnet.tensor(q.numpy()), glassnet.tensor(k.numpy()), glassnet.tensor(k.numpy())
    )
    _same(g, t)


def test_non_finite_results_come_quietly_as_in_pytorch():
    """log(0), 0/0, sqrt(-1) and float32 overflow give PyTorch's inf/nan without NumPy's
    RuntimeWarning text, in forward and backward; the caller's NumPy error state is unchanged."""
    import warnings

    before = np.geterr()
    values = [0.0, -1.0, 100.0, 2.0]
    gx = glassnet.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        gy = gx.log() + gx.exp() + gx.sqrt() + 1 / gx + gx / gx
        gy.sum().backward()
        empty = F.cross_entropy(glassnet.zeros(0, 3), glassnet.zeros(0, dtype=glassnet.int64))
    ty = tx.log() + tx.exp() + tx.sqrt() + 1 / tx + tx / tx
    ty.sum().backward()
    # inf and nan compare equal to themselves here; finite entries within float32 rounding
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    assert np.isnan(empty.item())
    assert np.geterr() == before
