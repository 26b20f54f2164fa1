"""glassnet.models.vision: torchvision's classification architectures with its state_dict keys.

>>> from glassnet.models import vision
>>> vision.resnet18(num_classes=4).fc.out_features
4
"""

from glassnet.models.vision.alexnet import AlexNet, alexnet
from glassnet.models.vision.efficientnet import EfficientNet, efficientnet_b0
from glassnet.models.vision.layers import (
    Conv2dNormActivation,
    SqueezeExcitation,
    StochasticDepth,
    stochastic_depth,
)
from glassnet.models.vision.mobilenet import MobileNetV2, mobilenet_v2
from glassnet.models.vision.resnet import ResNet, resnet18, resnet34, resnet50
from glassnet.models.vision.vgg import VGG, vgg11, vgg11_bn, vgg16, vgg16_bn

__all__ = [
    "AlexNet",
    "alexnet",
    "VGG",
    "vgg11",
    "vgg11_bn",
    "vgg16",
    "vgg16_bn",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "MobileNetV2",
    "mobilenet_v2",
    "EfficientNet",
    "efficientnet_b0",
    "Conv2dNormActivation",
    "SqueezeExcitation",
    "StochasticDepth",
    "stochastic_depth",
]
