"""Denoising diffusion (Ho et al., 2020: DDPM; Song et al., 2021: DDIM): generate by denoising.

*Forward process*: over ``T`` steps Gaussian noise is added, ``q(x_t | x_{t-1}) = N(sqrt(1 -
beta_t) x_{t-1}, beta_t I)``, until ``x_T`` is pure noise. With ``alpha_t = 1 - beta_t`` and
``alphas_cumprod[t] = prod_{s<=t} alpha_s``, any step has a closed form::

    x_t = sqrt(alphas_cumprod[t]) x_0 + sqrt(1 - alphas_cumprod[t]) eps,   eps ~ N(0, I)

*Training*: a network ``eps_model(x_t, t)`` learns to predict ``eps`` (mean squared error):
that is ``DDPM.loss``, three lines. *Sampling* runs the chain backwards from noise: the
ancestral step of ``p_sample_step``, ``T`` of them; or DDIM (``ddim_sample``), which takes a
subsequence of the steps and with ``eta=0`` is deterministic (noise in, always the same image
out; ``ddim_invert`` runs it the other way). Noise schedules: ``linear_beta_schedule`` (Ho et
al.) and ``cosine_beta_schedule`` (Nichol and Dhariwal, 2021: destroys the signal more evenly).

The schedule is NumPy data (float64); the model is any module ``eps_model(x, t, y=None)`` (a
``UNetSmall``, an ``MLPDenoiser``), so a conditional model just gets its labels ``y``.

>>> import glassnet
>>> from glassnet.models.generative.unet_small import MLPDenoiser
>>> ddpm = DDPM(MLPDenoiser(2, hidden=16, time_dim=8), timesteps=50)
>>> float(ddpm.loss(glassnet.randn(8, 2)).item()) > 0
True
>>> ddpm.ddim_sample((4, 2), steps=5).shape
glassnet.Size([4, 2])
"""

from __future__ import annotations

import math

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet.nn._arguments import InvalidArgumentError


def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02, max_beta=0.999):
    """``beta_t`` evenly spaced from ``beta_start`` to ``beta_end``, scaled by ``1000 / T`` so
    any ``T`` destroys the signal as much as Ho et al.'s ``T = 1000``; clipped at ``max_beta``
    (for ``T < 20`` the scaled end would reach 1, leaving nothing of the signal to invert)."""
    scale = 1000.0 / timesteps
    betas = np.linspace(scale * beta_start, scale * beta_end, timesteps, dtype=np.float64)
    return np.minimum(betas, max_beta)


def cosine_beta_schedule(timesteps, s=0.008, max_beta=0.999):
    """``alphas_cumprod`` follows ``f(t) = cos^2((t/T + s) / (1 + s) * pi/2)``, normalised by
    ``f(0)``; ``beta_t = 1 - abar_t / abar_{t-1}``, clipped at ``max_beta`` near ``t = T``."""
    steps = np.arange(timesteps + 1, dtype=np.float64)
    f = np.cos((steps / timesteps + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    return np.clip(1.0 - abar[1:] / abar[:-1], 0.0, max_beta)


SCHEDULES = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule}


class DDPM:
    """A diffusion model: the noise schedule plus ``eps_model``; noising, loss and samplers."""

    def __init__(self, eps_model, timesteps=1000, schedule="linear"):
        if schedule not in SCHEDULES:
            raise InvalidArgumentError(
                f"DDPM: unknown schedule {schedule!r}; choose one of {sorted(SCHEDULES)}"
            )
        self.model, self.timesteps, self.schedule = eps_model, int(timesteps), schedule
        self.betas = SCHEDULES[schedule](self.timesteps)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = np.cumprod(self.alphas)
        prev = np.concatenate([[1.0], self.alphas_cumprod[:-1]])
        # Variance of the true posterior q(x_{t-1} | x_t, x_0): DDPM's sigma_t^2 = beta-tilde.
        self.posterior_variance = self.betas * (1.0 - prev) / (1.0 - self.alphas_cumprod)

    def _coef(self, values, t, x):
        """Per-example ``values[t]`` shaped to broadcast over ``x``'s other dimensions."""
        shape = (-1,) + (1,) * (x.dim() - 1)
        if isinstance(t, glassnet.Tensor):
            # gathered by a tensor op, not in Python, so a compiled training step replays it
            table = glassnet.tensor(values, device=x.device)
            v = table[t.to(device=x.device, dtype=glassnet.int64)].to(x.dtype)
            return v.expand(x.shape[0]).reshape(shape)
        v = np.broadcast_to(values[np.asarray(t, dtype=np.int64)], (x.shape[0],)).reshape(shape)
        return glassnet.tensor(np.ascontiguousarray(v), dtype=x.dtype, device=x.device)

    def _steps(self, n, t, device):
        return glassnet.full((n,), int(t), dtype=glassnet.int64, device=device)

    def q_sample(self, x0, t, noise):
        """Draw ``x_t ~ q(x_t | x_0)`` in closed form, with the given ``noise``."""
        a = self._coef(self.alphas_cumprod, t, x0)
        return a.sqrt() * x0 + (1.0 - a).sqrt() * noise

    def loss(self, x0, y=None, t=None, noise=None):
        """The epsilon-prediction loss: noise ``x0`` to a random step, predict the noise."""
        n = x0.shape[0]
        if t is None:
            t = glassnet.randint(0, self.timesteps, (n,), device=x0.device)
        if noise is None:
            noise = glassnet.randn(*x0.shape, dtype=x0.dtype, device=x0.device)
        return F.mse_loss(self.model(self.q_sample(x0, t, noise), t, y), noise)

    def _eps(self, x, t, y):
        if y is None:
            return self.model(x, self._steps(x.shape[0], t, x.device))
        return self.model(x, self._steps(x.shape[0], t, x.device), y)

    @glassnet.no_grad()
    def p_sample_step(self, x_t, t, y=None, noise=None):
        """One ancestral step ``x_t -> x_{t-1}``::

        mean = (x_t - beta_t / sqrt(1 - abar_t) * eps(x_t, t)) / sqrt(alpha_t)
        x_{t-1} = mean + sqrt(posterior_variance_t) * noise      (no noise at t = 0)
        """
        eps = self._eps(x_t, t, y)
        b, a, abar = self.betas[t], self.alphas[t], self.alphas_cumprod[t]
        mean = (x_t - (b / math.sqrt(1.0 - abar)) * eps) / math.sqrt(a)
        if t == 0:
            return mean
        if noise is None:
            noise = glassnet.randn(*x_t.shape, dtype=x_t.dtype, device=x_t.device)
        return mean + math.sqrt(self.posterior_variance[t]) * noise

    @glassnet.no_grad()
    def sample(self, shape, y=None, generator=None, dtype="float32"):
        """Ancestral sampling: ``x_T ~ N(0, I)``, then all ``T`` steps back to ``x_0``."""
        x = glassnet.randn(*shape, dtype=dtype, generator=generator)
        for t in reversed(range(self.timesteps)):
            noise = glassnet.randn(*shape, dtype=dtype, generator=generator) if t else None
            x = self.p_sample_step(x, t, y, noise)
        return x

    def ddim_timesteps(self, steps):
        """The subsequence of ``steps`` steps DDIM visits, ascending from 0 to ``T - 1``."""
        if not 1 <= steps <= self.timesteps:
            raise InvalidArgumentError(
                f"DDIM: steps={steps} must be between 1 and timesteps={self.timesteps}"
            )
        return np.unique(np.round(np.linspace(0, self.timesteps - 1, steps)).astype(np.int64))

    @glassnet.no_grad()
    def ddim_sample(
        self, shape=None, steps=50, eta=0.0, y=None, x_T=None, generator=None, dtype="float32"
    ):
        """DDIM sampling over ``steps`` steps from ``x_T`` (drawn when not given).

        From step ``t`` to the previous visited step ``s`` (``abar_s = 1`` past the end)::

            x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)
            sigma  = eta * sqrt((1 - abar_s) / (1 - abar_t) * (1 - abar_t / abar_s))
            x_s    = sqrt(abar_s) x0_hat + sqrt(1 - abar_s - sigma^2) eps + sigma * noise

        ``eta=0``: deterministic; ``eta=1``: the DDPM posterior's noise level.
        """
        x = x_T if x_T is not None else glassnet.randn(*shape, dtype=dtype, generator=generator)
        seq = self.ddim_timesteps(steps)
        for i in reversed(range(len(seq))):
            t = int(seq[i])
            abar_t = self.alphas_cumprod[t]
            abar_s = self.alphas_cumprod[seq[i - 1]] if i > 0 else 1.0
            eps = self._eps(x, t, y)
            x0_hat = (x - math.sqrt(1.0 - abar_t) * eps) / math.sqrt(abar_t)
            sigma = eta * math.sqrt((1 - abar_s) / (1 - abar_t) * (1 - abar_t / abar_s))
            x = math.sqrt(abar_s) * x0_hat + math.sqrt(max(1 - abar_s - sigma**2, 0.0)) * eps
            if sigma > 0:
                x = x + sigma * glassnet.randn(*x.shape, dtype=x.dtype, generator=generator)
        return x

    @glassnet.no_grad()
    def ddim_invert(self, x0, steps=50, y=None):
        """Run deterministic DDIM forwards, ``x_0 -> x_T``: the noise that ``ddim_sample(eta=0)``
        would turn back into (nearly) ``x0``. Each step reuses the noise predicted at the step it
        starts from, so the round trip is exact only as the steps get small."""
        seq = self.ddim_timesteps(steps)
        x = x0
        for i in range(len(seq)):
            t = int(seq[i])
            s = int(seq[i - 1]) if i > 0 else t
            abar_s = self.alphas_cumprod[seq[i - 1]] if i > 0 else 1.0
            abar_t = self.alphas_cumprod[t]
            eps = self._eps(x, s, y)
            x0_hat = (x - math.sqrt(1.0 - abar_s) * eps) / math.sqrt(abar_s)
            x = math.sqrt(abar_t) * x0_hat + math.sqrt(1.0 - abar_t) * eps
        return x


def diffusion_train_step(ddpm, optimizer, x0, y=None):
    """One step of the epsilon-prediction loss on a batch of clean data ``x0``."""
    loss = ddpm.loss(x0, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.item())
