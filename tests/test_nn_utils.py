"""nn.utils: gradient clipping and parameter vectors against PyTorch on the same gradients,
pad_sequence against PyTorch, and the regularisation helpers against hand-computed values."""

import math

import numpy as np
import pytest
import torch
from helpers import assert_close

import glassnet
from glassnet import nn
from glassnet.nn import utils


def param_pair(device, scale=1.0, dtype="float32"):
    """Three parameters with gradients, in glassnet and torch, holding the same numbers."""
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    g_params, t_params = [], []
    for shape in shapes:
        w = rng.normal(size=shape).astype(dtype)
        grad = (rng.normal(size=shape) * scale).astype(dtype)
        gp = nn.Parameter(glassnet.tensor(w, device=device))
        gp.grad = glassnet.tensor(grad, device=device)
        tp = torch.nn.Parameter(torch.tensor(w))
        tp.grad = torch.tensor(grad)
        g_params.append(gp)
        t_params.append(tp)
    return g_params, t_params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(device, norm_type, max_norm):
    g, t = param_pair(device)
    total_g = utils.clip_grad_norm_(g, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert_close(total_g, total_t, "float32")
    for gp, tp in zip(g, t):
        assert_close(gp.grad, tp.grad, "float32")


def test_clip_grad_norm_details():
    g, _ = param_pair("cpu")
    g[1].grad = None  # parameters without gradients are skipped
    expected = math.sqrt(sum((p.grad.numpy().astype("float64") ** 2).sum() for p in [g[0], g[2]]))
    total = utils.clip_grad_norm_(iter(g), 1.0)
    assert total.item() == pytest.approx(expected, rel=1e-5)
    assert total.dtype == glassnet.float32
    single = nn.Parameter(glassnet.zeros(2))
    single.grad = glassnet.tensor([3.0, 4.0])
    assert utils.clip_grad_norm_(single, 10.0).item() == pytest.approx(5.0)
    assert utils.clip_grad_norm_([nn.Parameter(glassnet.zeros(2))], 1.0).item() == 0.0
    bad = nn.Parameter(glassnet.zeros(2))
    bad.grad = glassnet.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([bad], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch(device):
    g, t = param_pair(device, scale=3.0)
    assert utils.clip_grad_value_(g, 1.5) is None
    torch.nn.utils.clip_grad_value_(t, 1.5)
    for gp, tp in zip(g, t):
        assert_close(gp.grad, tp.grad, "float32")


def test_parameter_vector_round_trip(device):
    g, t = param_pair(device)
    vec = utils.parameters_to_vector(g)
    assert_close(vec, torch.nn.utils.parameters_to_vector(t), "float32")
    new = glassnet.arange(vec.numel(), dtype=glassnet.float32, device=device)
    utils.vector_to_parameters(new, g)
    torch.nn.utils.vector_to_parameters(torch.arange(vec.numel(), dtype=torch.float32), t)
    for gp, tp in zip(g, t):
        assert_close(gp, tp, "float32")
    assert_close(utils.parameters_to_vector(g), new, "float32")
    with pytest.raises(glassnet.ShapeError):
        utils.vector_to_parameters(glassnet.zeros(5), g)
    with pytest.raises(TypeError):
        utils.vector_to_parameters(np.zeros(23), g)


def test_parameters_to_vector_is_differentiable():
    layer = nn.Linear(3, 2)
    (utils.parameters_to_vector(layer.parameters()) ** 2).sum().backward()
    assert_close(layer.weight.grad, 2 * layer.weight.detach().numpy(), "float32")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(device, batch_first, side):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n, 3)) for n in (4, 1, 3)]
    g_in = [glassnet.tensor(a, device=device, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = utils.rnn.pad_sequence(g_in, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    t = torch.nn.utils.rnn.pad_sequence(
        t_in, batch_first=batch_first, padding_value=-1.0, padding_side=side
    )
    assert_close(g, t)
    weights = rng.normal(size=tuple(t.shape))
    (g * glassnet.tensor(weights, device=device)).sum().backward()
    (t * torch.tensor(weights)).sum().backward()
    for gi, ti in zip(g_in, t_in):
        assert_close(gi.grad, ti.grad)


def test_pad_sequence_integers_and_errors():
    out = utils.rnn.pad_sequence([glassnet.tensor([1, 2]), glassnet.tensor([3])])
    assert out.tolist() == [[1, 3], [2, 0]] and out.dtype == glassnet.int64
    with pytest.raises(glassnet.ShapeError, match="trailing"):
        utils.rnn.pad_sequence([glassnet.zeros(2, 3), glassnet.zeros(2, 4)])


def test_penalties_hand_computed():
    a = nn.Parameter(glassnet.tensor([[1.0, -2.0], [3.0, -4.0]]))
    b = nn.Parameter(glassnet.tensor([0.5, -0.5]))
    l1 = utils.l1_penalty([a, b])
    l2 = utils.l2_penalty(iter([a, b]))
    assert l1.item() == pytest.approx(11.0)
    assert l2.item() == pytest.approx(30.5)
    (l1 + l2).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.sign(a.detach().numpy()) + 2 * a.detach().numpy())
    np.testing.assert_allclose(b.grad.numpy(), [2.0, -2.0])
    assert nn.regularization.l1_penalty is utils.l1_penalty
    with pytest.raises(ValueError, match="no parameters"):
        utils.l2_penalty([])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_norm_matches_renorm(dim):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 6, 3)).astype("float32")
    p = nn.Parameter(glassnet.tensor(w))
    out = utils.max_norm_(p, 2.0, dim=dim)
    assert out is p and p.grad_fn is None
    assert_close(p, torch.renorm(torch.tensor(w), 2, dim, 2.0), "float32")
    slices = np.moveaxis(p.detach().numpy(), dim, 0).reshape(w.shape[dim], -1)
    assert (np.linalg.norm(slices, axis=1) <= 2.0 + 1e-5).all()
