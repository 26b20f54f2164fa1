"""Channel dropout on every input rank as PyTorch 2.13 treats it: which ranks raise, which warn,
and which dims one random draw covers (the mask's shape); plus feature_alpha_dropout against
PyTorch's outputs on the channels both libraries happened to keep or drop.

The masks are random in both libraries, so the oracle is the pattern rather than the values:
dropout of a tensor of ones gives 0 or 1/(1-p) per draw, and the output is constant along
exactly the dims that one draw covers. Every dim a mask can vary along has at least 5 entries
and dim 0 has 40, so a dim the mask varies along looks constant with probability below 2^-39
(p = 0.5: all draws of a row equal, for every row).
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
import glassnet.nn.functional as F
from glassnet import nn

SHAPES = [(40,), (40, 6), (40, 6, 7), (40, 6, 7, 8), (40, 6, 7, 2, 3), (40, 5, 6, 2, 2, 3)]
FUNCTIONS = ["dropout1d", "dropout2d", "dropout3d"]


def _outcome(fn, x):
    """('raises', class) or ('ok', output array, warning texts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y = fn(x)
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            return "raises", error, []
    return "ok", np.asarray(y.detach().numpy()), [str(w.message) for w in caught]


def _constant_axes(y):
    """The axes along which every slice of ``y`` holds one value (the dims one draw covers)."""
    return [k for k in range(y.ndim) if y.shape[k] > 1 and np.all(y == y.take([0], axis=k))]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{len(s)}d")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_rank_behaviour_and_mask_shape_match_torch(name, shape):
    g_kind, g_res, g_warn = _outcome(lambda x: getattr(F, name)(x, 0.5), glassnet.ones(shape))
    t_kind, t_res, t_warn = _outcome(lambda x: getattr(TF, name)(x, 0.5), torch.ones(shape))
    assert g_kind == t_kind, f"{name}{shape}: glassnet {g_kind}, torch {t_kind}"
    if t_kind == "raises":
        assert isinstance(g_res, glassnet.ShapeError)  # a RuntimeError in PyTorch
        assert name in str(g_res) and str(shape) in str(g_res)
        return
    assert len(g_warn) == len(t_warn), f"{name}{shape}: warnings {g_warn} vs torch {t_warn}"
    for text in g_warn:
        assert text.startswith(f"{name}:") and f"{len(shape)}-D" in text
    assert set(np.unique(g_res)) <= {0.0, 2.0}
    assert _constant_axes(g_res) == _constant_axes(t_res), f"{name}{shape}: mask dims differ"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{len(s)}d")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_eval_mode_is_the_identity_on_every_rank_torch_accepts(name, shape):
    t_kind, _, t_warn = _outcome(lambda x: getattr(TF, name)(x, 0.5, False), torch.ones(shape))
    g_kind, g_res, g_warn = _outcome(
        lambda x: getattr(F, name)(x, 0.5, False), glassnet.ones(shape)
    )
    assert g_kind == t_kind and len(g_warn) == len(t_warn)
    if g_kind == "ok":
        assert np.all(g_res == 1.0)


def test_dropout2d_module_on_3d_input_warns_and_drops_rows_of_n_c_l():
    layer = nn.Dropout2d(0.5)
    x = glassnet.ones(6, 8, 30, requires_grad=True)
    with pytest.warns(UserWarning, match=r"dropout2d: received a 3-D input.*\(N, C, L\)"):
        y = layer(x)
    y.sum().backward()
    values = y.detach().numpy()
    # one draw per (sample, channel): each row along L is all 0 or all 2, and so is its gradient
    assert np.all(values == values[:, :, :1])
    np.testing.assert_array_equal(x.grad.numpy(), values)
    layer.eval()
    with pytest.warns(UserWarning):
        assert layer(x) is x


def test_inplace_channel_dropout_of_unbatched_input_keeps_the_shape():
    x = glassnet.ones(6, 40)
    out = F.dropout1d(x, 0.5, inplace=True)
    assert out is x and tuple(x.shape) == (6, 40)
    assert np.all(x.numpy() == x.numpy()[:, :1])


def _kept_channels(y):
    """Per (sample, channel): True where kept (the output varies with the random input)."""
    spread = y.reshape(y.shape[0], y.shape[1], -1)
    return spread.max(axis=2) > spread.min(axis=2)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_feature_alpha_dropout_matches_torch_on_channels_both_keep_or_drop(p):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((8, 16, 5, 4))
    torch.manual_seed(0)
    t = TF.feature_alpha_dropout(torch.tensor(data), p, training=True).numpy()
    g = F.feature_alpha_dropout(glassnet.tensor(data), p, training=True).numpy()
    g_kept, t_kept = _kept_channels(g), _kept_channels(t)
    both_kept, both_dropped = g_kept & t_kept, ~g_kept & ~t_kept
    # 128 channels: P(no channel kept by both) <= (1 - 0.2^2)^128 < 0.6% at p = 0.8 for one
    # seed; the seeds are fixed, so this only guards against a vacuous comparison.
    assert both_kept.any() and both_dropped.any()
    # The same affine map, its constant summed in another order: a few float64 roundings of
    # terms below 2 in size, so 1e-14 absolute is over 20 ulps of slack.
    np.testing.assert_allclose(g[both_kept], t[both_kept], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g[both_dropped], t[both_dropped], rtol=1e-12, atol=1e-14)


def test_feature_alpha_dropout_keeps_mean_and_variance_and_its_edges():
    # The point of alpha dropout: standard normal input stays zero mean, unit variance. With
    # n = 4096 channels of 64 values, the sample mean has a std near 1/sqrt(n * (1 - p)) from
    # the channel draws; 0.05 is over 3 of those.
    x = glassnet.randn(64, 64, 8, 8, dtype=glassnet.float64)
    y = F.feature_alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1) < 0.05
    assert F.feature_alpha_dropout(x, 0.3) is x  # training=False by default, as PyTorch
    assert float(F.feature_alpha_dropout(x, 1.0, training=True).abs().max()) == 0.0
    with pytest.raises(glassnet.ShapeError, match="feature_alpha_dropout: .*channel dim"):
        F.feature_alpha_dropout(glassnet.ones(5), 0.5, training=True)
    layer = nn.FeatureAlphaDropout(0.5)
    z = glassnet.ones(4, 6, 3, requires_grad=True)
    out = layer(z)
    out.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), z.grad.numpy()[:, :, :1].repeat(3, axis=2))
