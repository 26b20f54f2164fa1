"""glassnet.models: ready-made architectures from the guides."""

from glassnet.models.cnn import DigitsCNN, LeNet5
from glassnet.models.mlp import MLP
from glassnet.models.resnet import BasicBlock, ResNet
from glassnet.models.sequence import GPT, LSTMForecaster, LSTMLanguageModel
from glassnet.models.text import (
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
    GPT2LMHeadModel,
    T5ForConditionalGeneration,
)
from glassnet.models.vision.detector import CenterNet
from glassnet.models.vision.unet import UNet
from glassnet.models.vision.vit import VisionTransformer, ViT, vit_b_16

__all__ = [
    "MLP",
    "LeNet5",
    "DigitsCNN",
    "ResNet",
    "BasicBlock",
    "LSTMLanguageModel",
    "LSTMForecaster",
    "GPT",
    "BertModel",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "GPT2LMHeadModel",
    "T5ForConditionalGeneration",
    "ViT",
    "VisionTransformer",
    "vit_b_16",
    "UNet",
    "CenterNet",
]

# The torchvision-compatible vision zoo (torchvision's names and state_dict keys). Its classes
# stay in glassnet.models.vision (vision.ResNet is torchvision's; ResNet above is the CIFAR one).
from glassnet.models import vision  # noqa: E402
from glassnet.models.vision import (  # noqa: E402
    alexnet,
    efficientnet_b0,
    mobilenet_v2,
    resnet18,
    resnet34,
    resnet50,
    vgg11,
    vgg11_bn,
    vgg16,
    vgg16_bn,
)

ZOO = vision.ZOO
__all__ += ["vision", "ZOO", *vision.ZOO]
from glassnet.models import generative  # noqa: E402, F401  (autoencoders, VAE, GAN, diffusion)
