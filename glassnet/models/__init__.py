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
]
