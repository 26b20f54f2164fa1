"""glassnet.models.generative: models that learn to make data (see docs/generative.md).

Autoencoders (``Autoencoder``, ``ConvAutoencoder``), the ``VAE``, GAN players (``DCGANGenerator``,
``DCGANDiscriminator``, ``MLPGenerator``, ``MLPDiscriminator``) and diffusion (``DDPM`` with
``UNetSmall`` or ``MLPDenoiser``); each takes ``num_classes`` to become class-conditional.
Their training steps: ``autoencoder_train_step``, ``vae_train_step``, ``gan_train_step``,
``diffusion_train_step``.
"""

from glassnet.models.generative.autoencoder import (
    Autoencoder,
    ConvAutoencoder,
    autoencoder_train_step,
)
from glassnet.models.generative.diffusion import (
    DDPM,
    cosine_beta_schedule,
    diffusion_train_step,
    linear_beta_schedule,
)
from glassnet.models.generative.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    dcgan_init,
    gan_train_step,
)
from glassnet.models.generative.unet_small import MLPDenoiser, UNetSmall, timestep_embedding
from glassnet.models.generative.vae import VAE, evaluate_elbo, vae_train_step

__all__ = [
    "Autoencoder",
    "ConvAutoencoder",
    "autoencoder_train_step",
    "VAE",
    "vae_train_step",
    "evaluate_elbo",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "MLPGenerator",
    "MLPDiscriminator",
    "dcgan_init",
    "gan_train_step",
    "DDPM",
    "linear_beta_schedule",
    "cosine_beta_schedule",
    "diffusion_train_step",
    "UNetSmall",
    "MLPDenoiser",
    "timestep_embedding",
]
