"""The activations added for PyTorch parity (celu, logsigmoid, softsign, hardswish, hardsigmoid,
threshold, the shrinks, softmin, glu, prelu, rrelu, gumbel_softmax, local_response_norm) and
their modules: forward and backward against PyTorch through tests/helpers.py (float64 with the
helpers' tight tolerance, float32 with the looser one) plus the helpers' float64 finite
differences; gradients at the kinks against PyTorch's choice; reprs and state_dict keys.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import assert_close, check_layer, check_op

# (glassnet function, torch function, input shapes, keyword arguments of check_op). The input
# ranges cover every branch: [-5, 5] reaches beyond hardswish's and hardsigmoid's +-3 corners.
WIDE = dict(low=-5.0, high=5.0)
CASES = {
    "celu": (lambda x: F.celu(x), lambda x: TF.celu(x), {}),
    "celu_alpha2": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0), {}),
    "celu_alpha_half": (lambda x: F.celu(x, 0.5), lambda x: TF.celu(x, 0.5), {}),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, WIDE),
    "softsign": (F.softsign, TF.softsign, WIDE),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, {}),
    "hardswish": (F.hardswish, TF.hardswish, WIDE),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, WIDE),
    "hardshrink": (F.hardshrink, TF.hardshrink, {}),
    "hardshrink_1": (lambda x: F.hardshrink(x, 1.0), lambda x: TF.hardshrink(x, 1.0), {}),
    "softshrink": (F.softshrink, TF.softshrink, {}),
    "softshrink_1": (lambda x: F.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0), {}),
    "threshold": (
        lambda x: F.threshold(x, 0.3, -1.5),
        lambda x: TF.threshold(x, 0.3, -1.5),
        {},
    ),
    "softmin_dim1": (lambda x: F.softmin(x, dim=1), lambda x: TF.softmin(x, dim=1), {}),
    "softmin_dim_last": (lambda x: F.softmin(x, -1), lambda x: TF.softmin(x, -1), {}),
    "glu_last": (lambda x: F.glu(x), lambda x: TF.glu(x), {}),
    "glu_dim1": (lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1), {}),
    "rrelu_eval": (
        lambda x: F.rrelu(x, 0.1, 0.3),
        lambda x: TF.rrelu(x, 0.1, 0.3),
        {},
    ),
    "relu6": (F.relu6, TF.relu6, {"low": -3.0, "high": 9.0}),
    "selu": (F.selu, TF.selu, {}),
    "mish": (F.mish, TF.mish, {}),
    "hardtanh": (F.hardtanh, TF.hardtanh, {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_activation_matches_torch(name, device):
    g_fn, t_fn, kw = CASES[name]
    check_op([(3, 4, 6)], g_fn, t_fn, device=device, **kw)


@pytest.mark.parametrize(
    "weight_shape, input_shape",
    [((1,), (3, 4, 5)), ((4,), (3, 4, 5)), ((4,), (2, 4)), ((1,), (7,))],
)
def test_prelu_matches_torch_with_weight_gradient(weight_shape, input_shape, device):
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, input_shape)
    w = rng.uniform(0.05, 0.5, weight_shape)
    check_op(None, F.prelu, TF.prelu, inputs=[x, w], device=device)


@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 5, 3, 4), (1, 4, 2, 3, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_local_response_norm_matches_torch(shape, size, device):
    # alpha large enough that the window sum matters next to k (the default 1e-4 would let a
    # wrong window pass within float32 tolerance).
    def g(x):
        return F.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.0)

    def t(x):
        return TF.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.0)

    check_op([shape], g, t, device=device)


@pytest.mark.parametrize(
    "shape, factor", [((2, 8, 3, 4), 2), ((1, 18, 2, 2), 3), ((9, 2, 3), 3), ((2, 3, 4, 2, 2), 2)]
)
def test_pixel_shuffle_and_unshuffle_match_torch(shape, factor, device):
    check_op(
        [shape],
        lambda x: F.pixel_shuffle(x, factor),
        lambda x: TF.pixel_shuffle(x, factor),
        device=device,
        finite_diff=False,  # a permutation: the torch gradient comparison is exact already
    )
    *lead, c, h, w = shape
    unshuffled = (*lead, c // factor**2, h * factor, w * factor)
    check_op(
        [unshuffled],
        lambda x: F.pixel_unshuffle(x, factor),
        lambda x: TF.pixel_unshuffle(x, factor),
        device=device,
        finite_diff=False,
    )


def test_pixel_shuffle_round_trip_and_errors():
    x = glassnet.randn(2, 12, 3, 5)
    assert F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).equal(x)
    with pytest.raises(glassnet.ShapeError, match="not divisible by upscale_factor"):
        F.pixel_shuffle(glassnet.zeros(1, 3, 4, 4), 2)
    with pytest.raises(glassnet.ShapeError, match="height"):
        F.pixel_unshuffle(glassnet.zeros(1, 3, 5, 4), 2)
    with pytest.raises(glassnet.ShapeError, match="at least 3 dims"):
        F.pixel_shuffle(glassnet.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match="positive"):  # PyTorch's class for a factor <= 0
        F.pixel_shuffle(glassnet.zeros(1, 4, 2, 2), 0)


# Points exactly on each kink, where the derivative is a convention: PyTorch's is the oracle.
KINKS = {
    "hardswish": (F.hardswish, TF.hardswish, [-3.0, 3.0, -4.0, 0.0, 2.0]),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, [-3.0, 3.0, 0.0]),
    "hardshrink": (F.hardshrink, TF.hardshrink, [-0.5, 0.5, 0.0]),
    "softshrink": (F.softshrink, TF.softshrink, [-0.5, 0.5, 0.0]),
    "threshold": (
        lambda x: F.threshold(x, 0.5, 2.0),
        lambda x: TF.threshold(x, 0.5, 2.0),
        [0.5, 0.0, 1.0],
    ),
    "celu": (F.celu, TF.celu, [0.0, -1e-300, 1e-300]),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, [0.0, -800.0, 800.0, -30.0]),
    "softsign": (F.softsign, TF.softsign, [0.0]),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, [0.0, 1e-5, -30.0]),
    "rrelu_eval": (F.rrelu, TF.rrelu, [0.0, -1.0]),
    "prelu": (
        lambda x: F.prelu(x, glassnet.tensor([0.2], dtype=x.dtype)),
        lambda x: TF.prelu(x, torch.tensor([0.2], dtype=x.dtype)),
        [0.0, -1.0],
    ),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_value_and_gradient_at_kinks_match_torch(name, device):
    g_fn, t_fn, points = KINKS[name]
    check_op(None, g_fn, t_fn, inputs=[np.array(points)], device=device, finite_diff=False)


def test_logsigmoid_and_tanhshrink_keep_precision_where_naive_formulas_lose_it():
    # log(sigmoid(-800)) underflows to log(0) naively; the value is -800 - log1p(e^-800).
    x = glassnet.tensor([-800.0, -50.0], dtype=glassnet.float64)
    assert F.logsigmoid(x).tolist() == pytest.approx([-800.0, -50.0 - np.log1p(np.exp(-50.0))])
    # x - tanh(x) ~ x^3 / 3 near 0: the derivative tanh(x)^2 ~ x^2 keeps full relative precision
    x = glassnet.tensor([1e-5], dtype=glassnet.float64, requires_grad=True)
    F.tanhshrink(x).sum().backward()
    assert x.grad.item() == pytest.approx(np.tanh(1e-5) ** 2, rel=1e-12)


@pytest.mark.parametrize(
    "fn, args",
    [
        (F.relu_, ()),
        (F.elu_, (0.7,)),
        (F.selu_, ()),
        (F.celu_, (1.5,)),
        (F.leaky_relu_, (0.2,)),
        (F.hardtanh_, (-0.5, 0.5)),
        (F.threshold_, (0.1, -3.0)),
        (F.rrelu_, (0.1, 0.3)),
    ],
)
def test_inplace_spellings_write_into_the_input(fn, args):
    data = np.random.default_rng(0).uniform(-2, 2, (4, 5))
    g, t = glassnet.tensor(data), torch.tensor(data)
    out = fn(g, *args)
    getattr(TF, fn.__name__)(t, *args)
    assert out is g
    assert_close(g, t, "float64", fn.__name__)


def test_rrelu_training_draws_slopes_in_range_with_the_right_mean():
    n = 20000
    lower, upper = 0.1, 0.3
    x = glassnet.cat([-glassnet.rand(n, dtype=glassnet.float64) - 0.5, glassnet.ones(10)])
    x.requires_grad_(True)
    y = F.rrelu(x, lower, upper, training=True)
    slopes = (y[:n] / x[:n]).detach().numpy()
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(lower, upper) has std (upper - lower) / sqrt(12); the mean of n draws is within 5
    # standard errors of (lower + upper) / 2 except with probability below 1e-6.
    sem = (upper - lower) / np.sqrt(12) / np.sqrt(n)
    assert abs(slopes.mean() - (lower + upper) / 2) < 5 * sem
    assert y[n:].tolist() == [1.0] * 10  # positive inputs pass unchanged
    y.sum().backward()  # the gradient is the slope that was drawn (1 for positive inputs)
    grad = x.grad.numpy()
    # y / x recovers the slope to within 1 ulp of float64 (one product and one quotient)
    np.testing.assert_allclose(grad[:n], slopes, rtol=1e-12)
    assert grad[n:].tolist() == [1.0] * 10


def test_rrelu_module_follows_train_and_eval():
    layer = nn.RReLU(0.1, 0.3)
    x = -glassnet.ones(1000, dtype=glassnet.float64)
    train_out = layer(x).numpy()
    assert len(set(train_out.tolist())) > 1  # a slope per element
    layer.eval()
    assert layer(x).tolist() == pytest.approx([-0.2] * 1000)


def test_gumbel_softmax_samples_the_categorical_distribution():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    n = 20000
    logits = glassnet.tensor(np.log(np.tile(p, (n, 1))))
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    counts = hard.sum(0).numpy()
    assert sorted(set(hard.flatten().tolist())) == [0.0, 1.0]
    assert hard.sum(1).tolist() == [1.0] * n
    # Gumbel-max: argmax(logits + g) ~ Categorical(p). Each frequency is within 5 binomial
    # standard errors sqrt(p (1 - p) / n) of p, except with probability below 1e-5.
    np.testing.assert_array_less(np.abs(counts / n - p), 5 * np.sqrt(p * (1 - p) / n))
    soft = F.gumbel_softmax(logits[:100], tau=2.0)
    # a float64 softmax row sums to 1 within a few ulps per term (4 terms)
    np.testing.assert_allclose(soft.sum(1).numpy(), 1.0, rtol=1e-12)
    assert float(soft.min()) > 0.0


def test_gumbel_softmax_hard_passes_the_soft_gradient():
    logits = glassnet.randn(5, 7, dtype=glassnet.float64, requires_grad=True)
    w = glassnet.randn(5, 7, dtype=glassnet.float64)
    glassnet.manual_seed(11)
    (F.gumbel_softmax(logits, tau=0.7, hard=True, dim=1) * w).sum().backward()
    hard_grad = logits.grad.numpy().copy()
    logits.grad = None
    glassnet.manual_seed(11)  # the same noise: the same soft sample
    (F.gumbel_softmax(logits, tau=0.7, dim=1) * w).sum().backward()
    # the same float64 arithmetic in both runs; the slack is only for summation order
    np.testing.assert_allclose(hard_grad, logits.grad.numpy(), rtol=1e-12, atol=1e-15)


LAYERS = [
    (lambda: nn.CELU(1.5), lambda: torch.nn.CELU(1.5), (3, 5)),
    (nn.LogSigmoid, torch.nn.LogSigmoid, (3, 5)),
    (nn.Softsign, torch.nn.Softsign, (3, 5)),
    (nn.Tanhshrink, torch.nn.Tanhshrink, (3, 5)),
    (nn.Hardswish, torch.nn.Hardswish, (3, 5)),
    (nn.Hardsigmoid, torch.nn.Hardsigmoid, (3, 5)),
    (lambda: nn.Hardshrink(0.3), lambda: torch.nn.Hardshrink(0.3), (3, 5)),
    (lambda: nn.Softshrink(0.3), lambda: torch.nn.Softshrink(0.3), (3, 5)),
    (lambda: nn.Threshold(0.1, 2.0), lambda: torch.nn.Threshold(0.1, 2.0), (3, 5)),
    (lambda: nn.GLU(1), lambda: torch.nn.GLU(1), (3, 4, 2)),
    (lambda: nn.Softmin(dim=1), lambda: torch.nn.Softmin(dim=1), (3, 5)),
    (nn.Softmax2d, torch.nn.Softmax2d, (2, 3, 4, 4)),
    (nn.Softmax2d, torch.nn.Softmax2d, (3, 4, 4)),
    (lambda: nn.LocalResponseNorm(3, 0.1), lambda: torch.nn.LocalResponseNorm(3, 0.1), (2, 5, 3)),
    (lambda: nn.PixelShuffle(2), lambda: torch.nn.PixelShuffle(2), (1, 8, 2, 3)),
    (lambda: nn.PixelUnshuffle(2), lambda: torch.nn.PixelUnshuffle(2), (1, 2, 4, 6)),
    (lambda: nn.PReLU(), lambda: torch.nn.PReLU(), (3, 4, 2)),
    (lambda: nn.PReLU(4, 0.1), lambda: torch.nn.PReLU(4, 0.1), (3, 4, 2)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("make_g, make_t, shape", LAYERS)
def test_layer_matches_torch(make_g, make_t, shape, dtype, device):
    check_layer(make_g(), make_t(), [shape], dtype=dtype, device=device)


def test_rrelu_layer_in_eval_matches_torch(device):
    check_layer(nn.RReLU(0.2, 0.4), torch.nn.RReLU(0.2, 0.4), [(3, 5)], train=False, device=device)


def test_distance_layers_match_torch(device):
    for g_layer, t_layer in [
        (nn.CosineSimilarity(dim=1), torch.nn.CosineSimilarity(dim=1)),
        (nn.CosineSimilarity(dim=-1, eps=1e-3), torch.nn.CosineSimilarity(dim=-1, eps=1e-3)),
        (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True)),
    ]:
        check_layer(g_layer, t_layer, [(4, 6), (4, 6)], device=device)


def test_prelu_state_dict_and_init_match_torch():
    g, t = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    assert_close(g.weight, t.weight, "float32", "PReLU weight")
    g.weight.data[...] = 5.0
    g.reset_parameters()
    assert g.weight.tolist() == pytest.approx([0.1] * 3)


@pytest.mark.parametrize(
    "make",
    [
        "PReLU()",
        "PReLU(3, 0.1)",
        "RReLU()",
        "RReLU(0.1, 0.3, True)",
        "CELU()",
        "CELU(2.0, True)",
        "Threshold(0.1, 20)",
        "Threshold(0.1, 20, True)",
        "Softshrink()",
        "Hardshrink(0.25)",
        "Hardswish(True)",
        "Hardsigmoid()",
        "LogSigmoid()",
        "Softsign()",
        "Tanhshrink()",
        "GLU()",
        "GLU(1)",
        "Softmin(1)",
        "Softmin()",
        "Softmax2d()",
        "LocalResponseNorm(3)",
        "LocalResponseNorm(2, 0.1, 0.5, 2.0)",
        "PixelShuffle(2)",
        "PixelUnshuffle(3)",
        "CosineSimilarity()",
        "PairwiseDistance()",
        "FeatureAlphaDropout(0.2)",
        "AlphaDropout(0.2)",
    ],
)
def test_repr_matches_torch(make):
    assert repr(eval(f"nn.{make}")) == repr(eval(f"torch.nn.{make}"))


def test_errors_name_the_function_and_the_shape():
    with pytest.raises(glassnet.ShapeError, match=r"glu: .*dim 1 .*\(2, 3\) has size 3"):
        F.glu(glassnet.zeros(2, 3), 1)
    with pytest.raises(glassnet.ShapeError, match="4 slopes .* 3 channels"):
        F.prelu(glassnet.zeros(2, 3), glassnet.zeros(4))
    with pytest.raises(glassnet.ShapeError, match="Softmax2d: .*2-D input"):
        nn.Softmax2d()(glassnet.zeros(2, 3))
    with pytest.raises(glassnet.ShapeError, match="local_response_norm: .*3 or more dims"):
        F.local_response_norm(glassnet.zeros(2, 3), 2)
    with pytest.raises(glassnet.DTypeError, match="hardswish: .*floating point"):
        F.hardswish(glassnet.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"rrelu: lower \(0.5\) .* upper \(0.1\)"):
        F.rrelu(glassnet.zeros(3), 0.5, 0.1, training=True)


def _toplevel_cases():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (2, 4, 3, 2))
    a, b = rng.uniform(-2, 2, (3, 5)), rng.uniform(-2, 2, (3, 5))
    w = rng.uniform(0.1, 0.3, (4,))
    return [
        ("selu", (x,)),
        ("celu", (x, 1.5)),
        ("rrelu", (x, 0.1, 0.3)),
        ("prelu", (x, w)),
        ("threshold", (x, 0.1, 2.0)),
        ("hardshrink", (x, 0.5)),
        ("pixel_shuffle", (x, 2)),
        ("pixel_unshuffle", (x, 1)),
        ("cosine_similarity", (a, b)),
        ("pairwise_distance", (a, b)),
        ("dropout", (x, 0.5, False)),
        ("alpha_dropout", (x, 0.5, False)),
        ("feature_alpha_dropout", (x, 0.5, False)),
        ("feature_dropout", (x, 0.5, False)),
        ("relu_", (x,)),
        ("selu_", (x,)),
        ("celu_", (x, 0.5)),
        ("rrelu_", (x, 0.1, 0.3)),
        ("threshold_", (x, 0.1, 2.0)),
    ]


@pytest.mark.parametrize("name, args", _toplevel_cases(), ids=[c[0] for c in _toplevel_cases()])
def test_torch_level_spellings_match_torch(name, args):
    g_args = [glassnet.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    t_args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    assert_close(getattr(glassnet, name)(*g_args), getattr(torch, name)(*t_args), "float64", name)


def test_tensor_methods_prelu_and_hardshrink_match_torch():
    data = np.random.default_rng(2).uniform(-2, 2, (3, 4))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    g, t = glassnet.tensor(data), torch.tensor(data)
    assert_close(g.prelu(glassnet.tensor(w)), t.prelu(torch.tensor(w)), "float64", "prelu")
    assert_close(g.hardshrink(0.7), t.hardshrink(0.7), "float64", "hardshrink")


def test_feature_dropout_draws_per_sample_and_channel_on_any_rank():
    y = glassnet.feature_dropout(glassnet.ones(40, 6, 5, 2), 0.5, True).numpy()
    assert np.all(y == y[:, :, :1, :1])  # one draw per (sample, channel)
    assert 0 < (y == 0).mean() < 1
