"""glassnet.explain against Captum 0.9 (on the PyTorch twin, float64), scikit-learn's
permutation_importance, PyTorch's MultiheadAttention weights, and hand-derived identities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet
from glassnet import explain, nn
from glassnet.explain import plots
from glassnet.explain.permutation import predictor
from tests.helpers import copy_torch_weights

captum_attr = pytest.importorskip("captum.attr")  # pinned in requirements-test.txt

# float64 on both sides: the same arithmetic up to summation order, ~1e-12 relative
RTOL, ATOL = 1e-9, 1e-12


def _mlp_pair(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    g = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    copy_torch_weights(t, g)
    x = np.random.default_rng(seed).normal(size=(5, 4))
    return t, g, x


def _cnn_pair(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 6, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(6, 3),
    ).double()
    g = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 3),
    ).double()
    copy_torch_weights(t, g)
    x = np.random.default_rng(seed).normal(size=(2, 1, 8, 8))
    return t, g, x


def test_saliency_matches_captum():
    t, g, x = _mlp_pair()
    ours = explain.saliency(g, glassnet.tensor(x), target=1)
    theirs = captum_attr.Saliency(t).attribute(torch.tensor(x, requires_grad=True), target=1)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)
    # per-sample targets too
    tg = [0, 2, 1, 1, 0]
    ours = explain.saliency(g, glassnet.tensor(x), target=tg, abs=False)
    theirs = captum_attr.Saliency(t).attribute(torch.tensor(x), target=tg, abs=False)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "ours,theirs", [("middle", "riemann_middle"), ("gausslegendre", "gausslegendre")]
)
def test_integrated_gradients_matches_captum(ours, theirs):
    # (Captum's 'riemann_trapezoid' weights its n points 1/n, summing to (n-1)/n, so it is not
    # the trapezoid rule glassnet's default uses; the other two rules are the same on both.)
    t, g, x = _mlp_pair()
    base = np.full_like(x, 0.3)
    mine = explain.integrated_gradients(
        g, glassnet.tensor(x), 2, glassnet.tensor(base), 40, method=ours
    )
    ig = captum_attr.IntegratedGradients(t)
    ref = ig.attribute(torch.tensor(x), torch.tensor(base), target=2, n_steps=40, method=theirs)
    # Captum makes its path points with float32 torch.linspace (or float64 leggauss): the
    # points differ by up to ~6e-8 relative, and so do the attributions
    np.testing.assert_allclose(mine, ref.detach().numpy(), rtol=1e-6, atol=1e-10)


def test_integrated_gradients_completeness_within_the_trapezoid_error():
    _, g, x = _mlp_pair(1)
    xt = glassnet.tensor(x)
    with glassnet.no_grad():
        delta = (g(xt)[:, 0] - g(glassnet.zeros_like(xt))[:, 0]).numpy()
    s50 = explain.integrated_gradients(g, xt, 0, steps=50).sum(1)
    s100 = explain.integrated_gradients(g, xt, 0, steps=100).sum(1)
    # the trapezoid rule's error is c/n^2 for a smooth path, so err(50) ~ 4/3 |s50 - s100|;
    # allow twice that plus float64 rounding
    bound = 2 * 4 / 3 * np.abs(s50 - s100) + 1e-10
    assert np.all(np.abs(s50 - delta) <= bound)
    assert np.all(np.abs(s100 - delta) < np.abs(s50 - delta) + 1e-12)  # converging


def test_smoothgrad_identities():
    _, g, x = _mlp_pair()
    xt = glassnet.tensor(x)
    # no noise: exactly the plain gradient
    np.testing.assert_allclose(
        explain.smoothgrad(g, xt, 1, samples=3, sigma=0.0),
        explain.saliency(g, xt, 1, abs=False),
        rtol=RTOL,
        atol=ATOL,
    )
    # a linear model's gradient is its weight row wherever the noise puts the input
    lin = nn.Linear(4, 3).double()
    sg = explain.smoothgrad(lin, xt, 2, samples=5, sigma=0.5)
    np.testing.assert_allclose(
        sg, np.broadcast_to(lin.weight[2].detach().numpy(), sg.shape), rtol=RTOL, atol=ATOL
    )


def test_grad_cam_matches_captum_layer_grad_cam():
    t, g, x = _cnn_pair()
    ours = explain.grad_cam(g, glassnet.tensor(x), g[2], target=1, upsample=False)
    cam = captum_attr.LayerGradCam(t, t[2])
    theirs = cam.attribute(torch.tensor(x), target=1, relu_attributions=True)
    np.testing.assert_allclose(ours, theirs.detach().numpy()[:, 0], rtol=RTOL, atol=ATOL)
    up = explain.grad_cam(g, glassnet.tensor(x), g[2], target=1)
    assert up.shape == (2, 8, 8) and np.all(up >= 0)


def test_permutation_importance_matches_sklearn():
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.inspection import permutation_importance as sk_pi

    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype(np.float32)
    predict = predictor(model)
    y = predict(x)  # labels the model gets right, so shuffling can only hurt
    y[:20] = rng.integers(0, 3, 20)

    class Wrapped(ClassifierMixin, BaseEstimator):
        def fit(self, a, b):
            return self

        def predict(self, a):
            return predict(a)

        def __sklearn_is_fitted__(self):
            return True

    est = Wrapped()
    est.classes_ = np.arange(3)
    theirs = sk_pi(est, x, y, scoring="accuracy", n_repeats=4, random_state=7)
    ours = explain.permutation_importance(predict, x, y, "accuracy", n_repeats=4, random_state=7)
    np.testing.assert_allclose(ours["importances"], theirs.importances, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["importances_mean"], theirs.importances_mean, atol=1e-12)


def test_attention_maps_match_torch():
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]

    g = Block().double()
    copy_torch_weights(t, g.attn)
    x = np.random.default_rng(0).normal(size=(2, 5, 8))
    maps = explain.attention_maps(g, glassnet.tensor(x))
    xt = torch.tensor(x)
    _, w = t(xt, xt, xt, need_weights=True)
    np.testing.assert_allclose(maps["attn"], w.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_feature_maps_filters_and_plots(tmp_path):
    _, g, x = _cnn_pair()
    xt = glassnet.tensor(x)
    fm = explain.feature_maps(g, xt, ["1", g[3]])
    with glassnet.no_grad():
        np.testing.assert_array_equal(fm["1"], g[1](g[0](xt)).numpy())
    assert fm["3"].shape == (2, 6, 8, 8)
    np.testing.assert_array_equal(explain.first_layer_filters(g), g[0].weight.detach().numpy())
    cam = explain.grad_cam(g, xt, g[2], target=0)
    pictures = {
        "sal.png": lambda p: plots.plot_attribution(explain.saliency(g, xt, 0)[0], x[0], p),
        "cam.png": lambda p: plots.plot_grad_cam(cam[0], x[0], p),
        "maps.png": lambda p: plots.plot_grid(fm["3"][0], p),
        "filters.png": lambda p: plots.plot_grid(explain.first_layer_filters(g), p),
        "attn.png": lambda p: plots.plot_attention(np.eye(4), p),
        "imp.png": lambda p: plots.plot_importances(
            {"importances_mean": np.array([0.2, 0.1]), "importances_std": np.zeros(2)}, None, p
        ),
    }
    for name, draw in pictures.items():
        draw(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
