"""The generative program recipes run through ``run_program`` (the path ``glassnet train NAME``
takes) and write their pictures, weights and report: quick default tests with tiny settings.
The quality figures the docs state are checked by the slow tests at the end (full settings)."""

import json
import math

import pytest

from glassnet import report
from glassnet.recipes import programs

TINY = {
    "digits-autoencoder": {"samples": 50, "width": 4, "hidden": 16, "batch_size": 256},
    "digits-vae": {"samples": 50, "hidden": 32},
    "digits-gan": {"samples": 50, "width": 8, "batch_size": 256},
    "digits-diffusion": {"samples": 20, "ancestral_samples": 10, "base": 8, "time_dim": 16,
                         "timesteps": 20, "ddim_steps": 5, "batch_size": 256},
    "moons-gan": {"steps_per_epoch": 5, "samples": 100},
    "moons-diffusion": {"steps_per_epoch": 5, "samples": 100, "timesteps": 20},
}  # fmt: skip

FILES = {
    "digits-autoencoder": ["reconstructions.png", "samples.png", "curves.png",
                           "conv_autoencoder.safetensors"],
    "digits-vae": ["samples.png", "conditional_samples.png", "reconstructions.png",
                   "interpolation.png", "curves.png", "vae.safetensors"],
    "digits-gan": ["samples.png", "conditional_samples.png", "losses.png",
                   "generator.safetensors", "discriminator.safetensors"],
    "digits-diffusion": ["samples.png", "ancestral_samples.png", "denoising.png", "curves.png",
                         "unet_ema.safetensors"],
    "moons-gan": ["points.png", "steps.png", "losses.png", "generator.safetensors"],
    "moons-diffusion": ["points.png", "chain.png", "conditional.png", "curves.png"],
}  # fmt: skip


def _module(name):
    return __import__(programs.PROGRAMS[name].module, fromlist=["run"])


@pytest.mark.parametrize("name", sorted(TINY))
def test_each_generative_recipe_runs_and_writes_its_files(tmp_path, monkeypatch, name):
    module = _module(name)
    monkeypatch.setattr(module, "SETTINGS", {**module.SETTINGS, **TINY[name]})
    metrics = programs.run_program(name, tmp_path / "run", epochs=1, progress=False)
    run = tmp_path / "run"
    assert report.read_status(run)["state"] == "finished"
    assert json.loads((run / report.METRICS).read_text()) == pytest.approx(metrics)
    assert all(math.isfinite(v) for v in metrics.values())
    for f in FILES[name] + ["report.md"]:
        assert (run / f).is_file(), f
        if f.endswith(".png"):
            assert (run / f).read_bytes()[:8] == report.PNG_SIGNATURE
    text = (run / "report.md").read_text()
    for key in metrics:  # every figure is in the report, with a line saying what it means
        assert f"`{key}`" in text


# The figures docs/generative.md states for the default settings (seed 0), each with a margin
# below what the runs measured (see the docs' table): a run on any CPU must reach them.
EXPECTED = {
    "digits-autoencoder": {"conv_test_mse": ("<", 0.012), "mlp_test_mse": ("<", 0.012),
                           "conv_recon_accuracy": (">", 0.9)},
    "digits-vae": {"test_elbo": (">", -27.0), "cvae_class_accuracy": (">", 0.9),
                   "classes_seen": (">=", 10)},
    "digits-gan": {"confident": (">", 0.4), "classes_seen": (">=", 10),
                   "cgan_class_accuracy": (">", 0.85)},
    "digits-diffusion": {"confident": (">", 0.7), "classes_seen": (">=", 10),
                         "class_entropy": (">", 3.1), "frechet": ("<", 40.0)},
    "moons-gan": {"on_moons": (">", 0.85), "moon_entropy": (">", 0.9)},
    "moons-diffusion": {"on_moons": (">", 0.8), "conditional_moon_accuracy": (">", 0.9)},
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_generative_recipe_reaches_its_stated_quality(tmp_path, name):
    metrics = programs.run_program(name, tmp_path / "run", progress=False)
    for key, (op, bound) in EXPECTED[name].items():
        value = metrics[key]
        ok = {"<": value < bound, ">": value > bound, ">=": value >= bound}[op]
        assert ok, f"{name}: {key} = {value}, expected {op} {bound}"
