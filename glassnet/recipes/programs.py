"""Program recipes: set-ups whose training is a short program of its own, not one Trainer.fit.

A GAN alternates two optimizers, transfer learning trains twice, a diffusion model samples after
training: these are written as a plain function ``run(run_dir, *, epochs, seed, progress)`` in
the module that owns the model family, and listed here by name. ``glassnet train NAME`` runs
them with the same run-folder rules as every recipe: the folder is claimed first, marked
'running' while the program works and 'finished' only when it returned its metrics, so a run
that crashes never looks finished.

The program writes what it has to show into ``run_dir`` (report.md, pictures, weights); it
returns the test metrics as a dict of numbers, which land in ``metrics.json``.

>>> sorted(PROGRAMS) == sorted(p.name for p in _PROGRAMS)
True
"""

from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass

from glassnet import report


@dataclass(frozen=True)
class ProgramRecipe:
    """A named training program: ``module`` holds ``run(run_dir, *, epochs=None, seed=0,
    progress=True) -> dict`` (``epochs=None``: the program's own default)."""

    name: str
    description: str
    module: str
    task: str = "classification"
    dataset: str = ""
    model: str = ""
    expected: str = ""

    def program(self):
        """The ``run`` function, imported on first use (its module may need optional extras)."""
        return importlib.import_module(self.module).run


# Each model family adds its programs here (one entry each; the module is imported only when
# the program runs, so listing recipes stays cheap).
_PROGRAMS: list[ProgramRecipe] = [
    ProgramRecipe(
        "shapes-unet",
        "a small U-Net labels every pixel of generated pictures of shapes (mean IoU, Dice)",
        "glassnet.models.vision.segmentation_recipe",
        task="segmentation",
        dataset="shapes_masks",
        model="UNet",
        expected="mean IoU >= 0.85, Dice >= 0.9",
    ),
    ProgramRecipe(
        "shapes-detector",
        "a small CenterNet-style detector finds shapes in generated pictures (mAP@0.5, mean IoU)",
        "glassnet.models.vision.detection_recipe",
        task="detection",
        dataset="shapes_boxes",
        model="CenterNet",
        expected="mAP@0.5 >= 0.95, mean IoU of matched boxes >= 0.85",
    ),
    ProgramRecipe(
        "bert-mlm",
        "BERT: masked-language pre-training on Python source, then comment/code classification",
        "glassnet.models.text.recipes.bert_mlm",
        dataset="python_source",
        model="BertForMaskedLM -> BertForSequenceClassification",
        expected="accuracy >= 0.83 (measured 0.87)",
    ),
    ProgramRecipe(
        "gpt-chars",
        "character-level GPT-2 on Python source, with samples in the report",
        "glassnet.models.text.recipes.gpt_chars",
        task="language_modeling",
        dataset="python_source",
        model="GPT2LMHeadModel",
        expected="perplexity <= 8.5 (measured 7.4)",
    ),
    ProgramRecipe(
        "t5-translate",
        "T5 writes numbers in words (427 -> four hundred twenty seven), scored with BLEU",
        "glassnet.models.text.recipes.t5_translate",
        task="translation",
        dataset="generated numbers",
        model="T5ForConditionalGeneration",
        expected="bleu >= 0.9 (measured 0.99)",
    ),
    ProgramRecipe(
        "vit-digits",
        "a small vision transformer (patch 4) on the 8x8 digits",
        "glassnet.models.text.recipes.vit_digits",
        dataset="digits",
        model="ViT",
        expected="accuracy >= 0.93 (measured 0.96)",
    ),
    ProgramRecipe(
        "digits-transfer",
        "CNN pre-trained on generated printed characters, fine-tuned on 2 handwritten digits"
        " per class, vs scratch",
        "glassnet.models.vision.transfer_recipe",
        dataset="digits",
        model="DigitsCNN",
        expected="transfer above scratch on every seed 0-9 (mean 0.884 vs 0.837)",
    ),
]
_GEN = "glassnet.models.generative.recipes."
_PROGRAMS += [
    ProgramRecipe("digits-autoencoder", "MLP and conv autoencoders on the 8x8 digits",
                  _GEN + "digits_autoencoder", "generative", "digits", "ConvAutoencoder",
                  "test MSE ~0.007 per pixel"),
    ProgramRecipe("digits-vae", "VAE and conditional VAE on the 8x8 digits (ELBO in nats)",
                  _GEN + "digits_vae", "generative", "digits", "VAE", "test ELBO ~-24 nats"),
    ProgramRecipe("digits-gan", "DCGAN and conditional DCGAN on the digits at 16x16",
                  _GEN + "digits_gan", "generative", "digits", "DCGAN",
                  "conditional: asked-for digit ~96%"),
    ProgramRecipe("digits-diffusion", "DDPM with a small U-Net on the 8x8 digits",
                  _GEN + "digits_diffusion", "generative", "digits", "DDPM+UNetSmall",
                  "classifier-confident ~83%, digits FID ~22"),
    ProgramRecipe("moons-gan", "an MLP GAN learns the 2-D moons", _GEN + "moons_gan",
                  "generative", "moons", "MLPGenerator", "~96% of points on the moons"),
    ProgramRecipe("moons-diffusion", "DDPM with an MLP denoiser learns the 2-D moons",
                  _GEN + "moons_diffusion", "generative", "moons", "DDPM+MLPDenoiser",
                  "~90% on the moons; conditional ~98% right moon"),
]  # fmt: skip

PROGRAMS: dict[str, ProgramRecipe] = {p.name: p for p in _PROGRAMS}


class ProgramFailedError(RuntimeError):
    """A program recipe that stopped with an error; the run folder is marked 'failed'."""


def run_program(
    name: str,
    run_dir,
    *,
    epochs: int | None = None,
    seed: int = 0,
    progress: bool = True,
    overwrite: bool = False,
) -> dict:
    """Run the program recipe ``name`` into ``run_dir`` and return its test metrics.

    The folder is claimed as for any recipe (a folder holding a run is refused unless
    ``overwrite``); ``status.json`` says 'running' until the program returns and 'finished'
    after, or 'failed' with the error when it raises, and ``metrics.json`` is written last.
    """
    if name not in PROGRAMS:
        known = ", ".join(sorted(PROGRAMS)) or "none"
        raise KeyError(f"unknown program recipe {name!r}; known: {known}")
    recipe = PROGRAMS[name]
    run_dir = os.fspath(run_dir)
    report.claim(run_dir, overwrite=overwrite)
    os.makedirs(run_dir, exist_ok=True)
    config = {"program": recipe.name, "module": recipe.module, "epochs": epochs, "seed": seed}
    report.write_config(run_dir, config)
    report.write_status(run_dir, "running")
    try:
        metrics = recipe.program()(run_dir, epochs=epochs, seed=seed, progress=progress)
    except Exception as exc:
        report.write_status(run_dir, "failed", reason=f"{type(exc).__name__}: {exc}")
        raise
    bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)}
    if bad:
        message = f"{name} ended with non-finite metrics {bad}: the run is marked failed"
        report.write_status(run_dir, "failed", reason=message)
        raise ProgramFailedError(message)
    from glassnet.report.files import write_json

    write_json(os.path.join(run_dir, report.METRICS), metrics)
    report.write_status(run_dir, "finished")
    return metrics
