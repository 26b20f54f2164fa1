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

# Every zoo constructor by its torchvision name (what interop and the weight checks look up).
ZOO = {
    "alexnet": alexnet,
    "vgg11": vgg11,
    "vgg11_bn": vgg11_bn,
    "vgg16": vgg16,
    "vgg16_bn": vgg16_bn,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "efficientnet_b0": efficientnet_b0,
}

__all__ = [
    "ZOO",
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
