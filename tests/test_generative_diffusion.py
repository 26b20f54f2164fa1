"""Diffusion (glassnet.models.generative.diffusion, unet_small): the U-Net and the MLP denoiser
against PyTorch twins written here (time embedding included), the noise schedules against their
formulas, q(x_t|x_0) checked statistically, one ancestral step against the DDPM formula by hand,
DDIM (eta=0 deterministic, inversion), samplers with an exact noise predictor reproducing the
data distribution, and the U-Net overfitting a small batch."""

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import glassnet
from glassnet.models.generative.diffusion import (
    DDPM,
    diffusion_train_step,
    linear_beta_schedule,
)
from glassnet.models.generative.unet_small import MLPDenoiser, UNetSmall, timestep_embedding
from tests.helpers import check_layer


def torch_time_embedding(t, dim):
    # written from the formula: w_i = 10000^(-i/(dim/2)), [sin(t w), cos(t w)]
    half = dim // 2
    w = torch.tensor([10000.0 ** (-i / half) for i in range(half)], dtype=torch.float64)
    a = t.to(torch.float64)[:, None] * w[None]
    return torch.cat([torch.sin(a), torch.cos(a)], 1)


class TorchRes(tnn.Module):
    def __init__(self, cin, cout, td):
        super().__init__()
        self.norm1 = tnn.GroupNorm(min(8, cin), cin)
        self.conv1 = tnn.Conv2d(cin, cout, 3, padding=1)
        self.time = tnn.Linear(td, cout)
        self.norm2 = tnn.GroupNorm(min(8, cout), cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, padding=1)
        self.skip = tnn.Conv2d(cin, cout, 1) if cin != cout else tnn.Identity()

    def forward(self, x, temb):
        h = self.conv1(TF.silu(self.norm1(x)))
        h = h + self.time(TF.silu(temb))[:, :, None, None]
        return self.conv2(TF.silu(self.norm2(h))) + self.skip(x)


class TorchUNet(tnn.Module):
    def __init__(self, c, b, td, k=None):
        super().__init__()
        self.b = b
        self.time_mlp = tnn.Sequential(tnn.Linear(b, td), tnn.SiLU(), tnn.Linear(td, td))
        self.class_emb = tnn.Embedding(k, td) if k else None
        self.inc = tnn.Conv2d(c, b, 3, padding=1)
        self.down1, self.pool1 = TorchRes(b, b, td), tnn.Conv2d(b, b, 3, 2, 1)
        self.down2, self.pool2 = TorchRes(b, 2 * b, td), tnn.Conv2d(2 * b, 2 * b, 3, 2, 1)
        self.mid = TorchRes(2 * b, 2 * b, td)
        self.upconv2, self.up2 = tnn.Conv2d(2 * b, 2 * b, 3, padding=1), TorchRes(4 * b, 2 * b, td)
        self.upconv1, self.up1 = tnn.Conv2d(2 * b, 2 * b, 3, padding=1), TorchRes(3 * b, b, td)
        self.out_norm, self.out = tnn.GroupNorm(min(8, b), b), tnn.Conv2d(b, c, 3, padding=1)

    def forward(self, x, t, y=None):
        temb = self.time_mlp(torch_time_embedding(t, self.b))
        if self.class_emb is not None:
            temb = temb + self.class_emb(y)
        h1 = self.down1(self.inc(x), temb)
        h2 = self.down2(self.pool1(h1), temb)
        h = self.mid(self.pool2(h2), temb)
        h = self.up2(torch.cat([self.upconv2(TF.interpolate(h, scale_factor=2.0)), h2], 1), temb)
        h = self.up1(torch.cat([self.upconv1(TF.interpolate(h, scale_factor=2.0)), h1], 1), temb)
        return self.out(TF.silu(self.out_norm(h)))


class TorchMLPDenoiser(tnn.Module):
    def __init__(self, d, h, td, k=None):
        super().__init__()
        self.td = td
        self.class_emb = tnn.Embedding(k, td) if k else None
        self.main = tnn.Sequential(
            tnn.Linear(d + td, h), tnn.SiLU(), tnn.Linear(h, h), tnn.SiLU(), tnn.Linear(h, h),
            tnn.SiLU(), tnn.Linear(h, d),
        )  # fmt: skip

    def forward(self, x, t, y=None):
        temb = torch_time_embedding(t, self.td)
        if self.class_emb is not None:
            temb = temb + self.class_emb(y)
        return self.main(torch.cat([x, temb], 1))


def test_timestep_embedding_matches_the_formula():
    t = np.array([0, 1, 17, 999])
    got = timestep_embedding(glassnet.tensor(t), 10).numpy()
    np.testing.assert_allclose(got, torch_time_embedding(torch.tensor(t), 10).numpy(), rtol=1e-12)
    assert np.all(got[0, :5] == 0) and np.all(got[0, 5:] == 1)  # sin 0, cos 0


@pytest.mark.parametrize("k", [None, 3])
def test_unet_small_with_time_embedding_matches_torch(k):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(3, 1, 8, 8)), np.array([0, 250, 999])
    inputs = [x, t] if k is None else [x, t, np.array([2, 0, 1])]
    check_layer(UNetSmall(1, 8, 16, num_classes=k), TorchUNet(1, 8, 16, k), None, inputs=inputs)


@pytest.mark.parametrize("k", [None, 2])
def test_mlp_denoiser_matches_torch(k):
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(5, 2)), rng.integers(0, 100, size=5)
    inputs = [x, t] if k is None else [x, t, np.array([0, 1, 1, 0, 1])]
    check_layer(MLPDenoiser(2, 16, 8, num_classes=k), TorchMLPDenoiser(2, 16, 8, k), None,
                inputs=inputs)  # fmt: skip


def test_linear_schedule_values():
    betas = linear_beta_schedule(1000)
    expected = [1e-4 + (0.02 - 1e-4) * i / 999 for i in range(1000)]
    np.testing.assert_allclose(betas, expected, rtol=1e-12)
    abar = DDPM(None, 1000, "linear").alphas_cumprod
    running, prods = 1.0, []
    for b in expected:
        running *= 1 - b
        prods.append(running)
    np.testing.assert_allclose(abar, prods, rtol=1e-10)
    # fewer steps keep the same total destruction: T=100 uses betas 10x larger
    np.testing.assert_allclose(linear_beta_schedule(100)[[0, -1]], [1e-3, 0.2], rtol=1e-12)
    # ... up to beta = 0.999: with T = 10 the scaled end (0.02 * 1000/10 = 2.0) is clipped
    assert linear_beta_schedule(10)[-1] == 0.999 and np.all(linear_beta_schedule(10) <= 0.999)


def test_cosine_schedule_values():
    T, s = 200, 0.008

    def f(t):
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    ddpm = DDPM(None, T, "cosine")
    abar_formula = np.array([f(t) / f(0) for t in range(1, T + 1)])
    betas_formula = np.array([min(1 - f(t) / f(t - 1), 0.999) for t in range(1, T + 1)])
    np.testing.assert_allclose(ddpm.betas, betas_formula, rtol=1e-10)
    # unclipped steps: the cumulative product is the cosine curve itself
    np.testing.assert_allclose(ddpm.alphas_cumprod[:-1], abar_formula[:-1], rtol=1e-9)
    assert ddpm.betas[-1] == 0.999 and abar_formula[-1] < 1e-8


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_q_sample_has_the_closed_form_mean_and_variance(schedule):
    ddpm = DDPM(None, 100, schedule)
    n, t = 20000, 40
    x0 = glassnet.tensor(np.linspace(-1, 1, 5)).reshape(1, 5).expand(n, 5)
    glassnet.manual_seed(0)
    xt = ddpm.q_sample(x0, glassnet.full((n,), t, dtype=glassnet.int64),
                       glassnet.randn(n, 5, dtype="float64")).numpy()  # fmt: skip
    abar = np.prod(1 - ddpm.betas[: t + 1])
    var = 1 - abar
    # 4 standard errors: the mean's SE is sqrt(var/n), the sample variance's var*sqrt(2/(n-1))
    np.testing.assert_allclose(
        xt.mean(0), math.sqrt(abar) * np.linspace(-1, 1, 5), atol=4 * math.sqrt(var / n)
    )
    np.testing.assert_allclose(xt.var(0, ddof=1), var, atol=4 * var * math.sqrt(2 / (n - 1)))


def test_one_ancestral_step_matches_the_ddpm_formula_by_hand():
    glassnet.manual_seed(0)
    net = MLPDenoiser(2, 16, 8).to("float64")
    ddpm = DDPM(net, 50, "linear")
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    t = 30
    eps = net(glassnet.tensor(x), glassnet.full((6,), t, dtype=glassnet.int64)).detach().numpy()
    betas = np.linspace(1000 / 50 * 1e-4, 1000 / 50 * 0.02, 50)
    abar = np.cumprod(1 - betas)
    mean = (x - betas[t] / np.sqrt(1 - abar[t]) * eps) / np.sqrt(1 - betas[t])
    var = betas[t] * (1 - abar[t - 1]) / (1 - abar[t])
    got = ddpm.p_sample_step(glassnet.tensor(x), t, noise=glassnet.tensor(z)).numpy()
    np.testing.assert_allclose(got, mean + np.sqrt(var) * z, rtol=1e-12, atol=1e-14)
    # the last step adds no noise
    eps0 = net(glassnet.tensor(x), glassnet.zeros(6, dtype=glassnet.int64)).detach().numpy()
    last = (x - betas[0] / np.sqrt(1 - abar[0]) * eps0) / np.sqrt(1 - betas[0])
    np.testing.assert_allclose(ddpm.p_sample_step(glassnet.tensor(x), 0).numpy(), last, rtol=1e-12)


class GaussianOracle:
    """The exact noise predictor for 1-D data ~ N(mu, s^2): x_t ~ N(sqrt(abar) mu, abar s^2 +
    1 - abar), so E[eps | x_t] = sqrt(1 - abar) (x_t - sqrt(abar) mu) / (abar s^2 + 1 - abar)."""

    def __init__(self, ddpm, mu, s):
        self.ddpm, self.mu, self.s = ddpm, mu, s

    def __call__(self, x, t, y=None):
        abar = self.ddpm.alphas_cumprod[int(t.numpy()[0])]
        v = abar * self.s**2 + 1 - abar
        return math.sqrt(1 - abar) * (x - math.sqrt(abar) * self.mu) / v


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
def test_samplers_with_the_exact_noise_predictor_reproduce_the_data(sampler):
    ddpm = DDPM(None, 200, "cosine")
    ddpm.model = GaussianOracle(ddpm, mu=1.5, s=0.3)
    n, gen = 20000, glassnet.Generator(0)
    if sampler == "ancestral":
        x = ddpm.sample((n, 1), generator=gen, dtype="float64").numpy()
    else:
        x = ddpm.ddim_sample((n, 1), steps=100, generator=gen, dtype="float64").numpy()
    # 5 standard errors of the sample moments, plus 2% for discretising the chain into
    # 100-200 steps (the error of a first-order step scales with the step size, 1/100)
    assert abs(x.mean() - 1.5) < 5 * 0.3 / math.sqrt(n) + 0.02 * 1.5
    assert abs(x.std() - 0.3) < 5 * 0.3 / math.sqrt(2 * n) + 0.02 * 0.3


def test_ddim_with_eta1_and_every_step_is_the_ancestral_sampler():
    # sigma at eta=1 is the DDPM posterior's std, and both samplers draw their noise in the same
    # order from the same generator, so the two chains agree to rounding (float64)
    glassnet.manual_seed(0)
    ddpm = DDPM(MLPDenoiser(2, 16, 8).to("float64"), 30, "cosine")
    a = ddpm.sample((16, 2), generator=glassnet.Generator(5), dtype="float64").numpy()
    b = ddpm.ddim_sample((16, 2), steps=30, eta=1.0, generator=glassnet.Generator(5),
                         dtype="float64").numpy()  # fmt: skip
    np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)


def test_ddim_eta0_is_deterministic_and_inverts():
    glassnet.manual_seed(0)
    net = MLPDenoiser(2, 16, 8).to("float64")
    ddpm = DDPM(net, 100)
    x_T = glassnet.tensor(np.random.default_rng(0).normal(size=(8, 2)))
    a = ddpm.ddim_sample(x_T=x_T, steps=20).numpy()
    b = ddpm.ddim_sample(x_T=x_T, steps=20).numpy()
    assert np.array_equal(a, b)
    # with eta > 0 the sampler draws fresh noise: two runs differ
    c = ddpm.ddim_sample(x_T=x_T, steps=20, eta=1.0).numpy()
    d = ddpm.ddim_sample(x_T=x_T, steps=20, eta=1.0).numpy()
    assert not np.allclose(c, d)
    # inversion with the exact predictor of Gaussian data: x0 -> x_T -> x0 comes back, and
    # closer with more steps (the round-trip error is first order in the step size)
    ddpm = DDPM(None, 1000, "linear")
    ddpm.model = GaussianOracle(ddpm, mu=0.5, s=0.4)
    x0 = glassnet.tensor(np.linspace(-0.5, 1.5, 7)[:, None])
    errors = []
    for steps in (10, 100, 1000):
        back = ddpm.ddim_sample(x_T=ddpm.ddim_invert(x0, steps), steps=steps)
        errors.append(np.abs(back.numpy() - x0.numpy()).max())
    # first order: 10x the steps should cut the error ~10x (asked: at least 5x); at one DDIM
    # step per DDPM step the round trip is within 1% of the data's scale (0.4 * 2.5%)
    assert errors[1] < 0.2 * errors[0] and errors[2] < 0.2 * errors[1], errors
    assert errors[2] < 0.01, errors


def test_unet_diffusion_overfits_a_small_batch():
    from glassnet import datasets

    glassnet.manual_seed(0)
    x = datasets.load("digits").x_train[:8] * 2 - 1
    x0 = glassnet.tensor(x)  # the digits' own 8x8 (the U-Net halves twice: 8, 4, 2)
    ddpm = DDPM(UNetSmall(1, 16, 32), 100, "cosine")
    opt = glassnet.optim.Adam(ddpm.model.parameters(), lr=2e-3)
    t = glassnet.tensor(np.arange(8) * 12, dtype=glassnet.int64)
    noise = glassnet.randn(8, 1, 8, 8)

    def fixed_loss():
        with glassnet.no_grad():
            return float(ddpm.loss(x0, t=t, noise=noise).item())

    first = fixed_loss()
    for _ in range(120):
        diffusion_train_step(ddpm, opt, x0)
    # predicting unit Gaussian noise knowing nothing costs ~1.0; having learned this batch the
    # network recovers most of the noise from x_t (the batch's images are known to it)
    assert first > 0.7 and fixed_loss() < 0.35, (first, fixed_loss())
