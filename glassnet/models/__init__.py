"""glassnet.models: ready-made architectures from the guides."""

from glassnet.models.cnn import DigitsCNN, LeNet5
from glassnet.models.mlp import MLP
from glassnet.models.resnet import BasicBlock, ResNet
from glassnet.models.sequence import GPT, LSTMForecaster, LSTMLanguageModel

__all__ = [
    "MLP",
    "LeNet5",
    "DigitsCNN",
    "ResNet",
    "BasicBlock",
    "LSTMLanguageModel",
    "LSTMForecaster",
    "GPT",
]
from glassnet.models import generative  # noqa: F401  (autoencoders, VAE, GAN, diffusion)
