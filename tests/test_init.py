"""nn.init: each initialiser's samples against its formula (bounds, mean, std on a large
tensor), the default layer init against PyTorch's, and seeding."""

import math

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn
from glassnet.nn import init

SHAPE = (400, 500)  # 200k samples: the sample std is within ~0.5% of the true one


def sample(fn, shape=SHAPE, device="cpu", dtype=glassnet.float32, **kwargs):
    t = glassnet.empty(*shape, device=device, dtype=dtype)
    out = fn(t, **kwargs)
    assert out is t  # in place, returning the tensor
    return t.numpy()


def check_moments(x, mean, std, rel=0.02):
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(x.size) + 1e-7
    assert abs(x.std() - std) < rel * std


def test_calculate_gain_matches_torch():
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_uniform_and_normal(device):
    x = sample(init.uniform_, device=device, a=-3.0, b=1.0)
    assert x.min() >= -3.0 and x.max() < 1.0 and x.dtype == np.float32
    check_moments(x, -1.0, 4 / math.sqrt(12))
    check_moments(sample(init.normal_, device=device, mean=2.0, std=0.5), 2.0, 0.5)


def test_trunc_normal():
    x = sample(init.trunc_normal_, mean=0.0, std=1.0, a=-1.0, b=2.0)
    assert x.min() >= -1.0 and x.max() <= 2.0
    # moments of the standard normal truncated to [a, b], by the textbook formulas
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    a, b = -1.0, 2.0
    mass = cdf(b) - cdf(a)
    mean = (pdf(a) - pdf(b)) / mass
    var = 1 + (a * pdf(a) - b * pdf(b)) / mass - mean**2
    check_moments(x, mean, math.sqrt(var))
    y = sample(init.trunc_normal_, std=0.02)  # the ViT/GPT default
    check_moments(y, 0.0, 0.02)


def test_constant_ones_zeros_eye():
    assert np.all(sample(init.constant_, (3, 4), val=0.25) == 0.25)
    assert np.all(sample(init.ones_, (3, 4)) == 1)
    assert np.all(sample(init.zeros_, (3, 4)) == 0)
    np.testing.assert_array_equal(sample(init.eye_, (3, 4)), np.eye(3, 4))
    with pytest.raises(ValueError):
        init.eye_(glassnet.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(300, 700), (64, 32, 3, 3)])
def test_xavier(shape):
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    bound = 1.5 * math.sqrt(6 / (fan_in + fan_out))
    x = sample(init.xavier_uniform_, shape, gain=1.5)
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.99 * bound
    check_moments(x, 0.0, bound / math.sqrt(3))
    check_moments(sample(init.xavier_normal_, shape), 0.0, math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(mode):
    shape = (300, 700)
    fan = 700 if mode == "fan_in" else 300
    std = math.sqrt(2.0) / math.sqrt(fan)
    x = sample(init.kaiming_uniform_, shape, mode=mode, nonlinearity="relu")
    assert np.abs(x).max() <= math.sqrt(3) * std
    check_moments(x, 0.0, std)
    check_moments(sample(init.kaiming_normal_, shape, mode=mode, nonlinearity="relu"), 0.0, std)
    leaky = init.calculate_gain("leaky_relu", 0.1) / math.sqrt(fan)
    check_moments(sample(init.kaiming_normal_, shape, a=0.1, mode=mode), 0.0, leaky)
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(glassnet.empty(2, 2), mode="fan_avg")


@pytest.mark.parametrize("shape", [(20, 50), (50, 20), (8, 4, 3)])
def test_orthogonal(shape, device):
    w = sample(init.orthogonal_, shape, device=device, dtype=glassnet.float64, gain=2.0)
    flat = w.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(glassnet.empty(5))


def _uniform_std_ok(x, bound):
    # U(-b, b) has std b / sqrt(3); a sample std's relative spread is sqrt(0.8 / (4 n)).
    spread = math.sqrt(0.8 / (4 * x.size))
    return abs(x.std() / (bound / math.sqrt(3)) - 1) < 5 * spread


def test_default_linear_init_matches_torch_distribution():
    torch.manual_seed(0)
    g, t = nn.Linear(400, 300), torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for gp, tp in [(g.weight, t.weight), (g.bias, t.bias)]:
        a, b = gp.detach().numpy(), tp.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert _uniform_std_ok(a, bound) and _uniform_std_ok(b, bound)
    gb, tb = nn.Bilinear(30, 20, 50), torch.nn.Bilinear(30, 20, 50)
    bound = 1 / math.sqrt(30)
    for gp, tp in [(gb.weight, tb.weight), (gb.bias, tb.bias)]:
        a, b = gp.detach().numpy(), tp.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert _uniform_std_ok(a, bound) and _uniform_std_ok(b, bound)


def test_init_is_seeded_and_outside_autograd():
    glassnet.manual_seed(7)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    glassnet.manual_seed(7)
    b = nn.Linear(5, 5).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    p = nn.Parameter(glassnet.zeros(3, 3))
    init.normal_(p)  # a leaf that requires grad can be initialised (as under no_grad)
    assert p.grad_fn is None and p.requires_grad


def test_float64_and_float16_targets():
    x = sample(init.normal_, (1000,), dtype=glassnet.float64)
    assert x.dtype == np.float64
    h = sample(init.uniform_, (1000,), dtype=glassnet.float16, a=-1.0, b=1.0)
    assert h.dtype == np.float16 and np.abs(h).max() <= 1.0
