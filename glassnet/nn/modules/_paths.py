"""Which layer lives in which file of ``torch.nn.modules``, so that
``glassnet.nn.modules.<file>.<Class>`` is the same object as ``glassnet.nn.<Class>``.

The table holds PyTorch's names (2.x); each file of this package exports those of them that
glassnet has, looked up when it is imported, so a layer added to ``glassnet.nn`` later appears
at its PyTorch path without touching this package. A few private base classes that programs
subclass or test with ``isinstance`` (``loss._Loss``, ``batchnorm._BatchNorm``, ...) map to
glassnet's classes of the same role.
"""

from __future__ import annotations

import importlib

TORCH_FILES = {
    "activation": (
        "CELU ELU GELU GLU Hardshrink Hardsigmoid Hardswish Hardtanh LeakyReLU LogSigmoid "
        "LogSoftmax Mish MultiheadAttention PReLU RReLU ReLU ReLU6 SELU SiLU Sigmoid Softmax "
        "Softmax2d Softmin Softplus Softshrink Softsign Tanh Tanhshrink Threshold"
    ),
    "adaptive": "AdaptiveLogSoftmaxWithLoss",
    "batchnorm": (
        "BatchNorm1d BatchNorm2d BatchNorm3d LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d "
        "SyncBatchNorm"
    ),
    "channelshuffle": "ChannelShuffle",
    "container": "Container ModuleDict ModuleList ParameterDict ParameterList Sequential",
    "conv": (
        "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d LazyConv1d "
        "LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d"
    ),
    "distance": "CosineSimilarity PairwiseDistance",
    "dropout": "AlphaDropout Dropout Dropout1d Dropout2d Dropout3d FeatureAlphaDropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": (
        "InstanceNorm1d InstanceNorm2d InstanceNorm3d LazyInstanceNorm1d LazyInstanceNorm2d "
        "LazyInstanceNorm3d"
    ),
    "linear": "Bilinear Identity LazyLinear Linear",
    "loss": (
        "BCELoss BCEWithLogitsLoss CTCLoss CosineEmbeddingLoss CrossEntropyLoss GaussianNLLLoss "
        "HingeEmbeddingLoss HuberLoss KLDivLoss L1Loss MSELoss MarginRankingLoss "
        "MultiLabelMarginLoss MultiLabelSoftMarginLoss MultiMarginLoss NLLLoss NLLLoss2d "
        "PoissonNLLLoss SmoothL1Loss SoftMarginLoss TripletMarginLoss "
        "TripletMarginWithDistanceLoss"
    ),
    "module": "Module",
    "normalization": "CrossMapLRN2d GroupNorm LayerNorm LocalResponseNorm RMSNorm",
    "padding": (
        "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d ConstantPad3d "
        "ReflectionPad1d ReflectionPad2d ReflectionPad3d ReplicationPad1d ReplicationPad2d "
        "ReplicationPad3d ZeroPad1d ZeroPad2d ZeroPad3d"
    ),
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": (
        "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d "
        "AdaptiveMaxPool2d AdaptiveMaxPool3d AvgPool1d AvgPool2d AvgPool3d FractionalMaxPool2d "
        "FractionalMaxPool3d LPPool1d LPPool2d LPPool3d MaxPool1d MaxPool2d MaxPool3d "
        "MaxUnpool1d MaxUnpool2d MaxUnpool3d"
    ),
    "rnn": "GRU GRUCell LSTM LSTMCell RNN RNNBase RNNCell RNNCellBase",
    "sparse": "Embedding EmbeddingBag",
    "transformer": (
        "Transformer TransformerDecoder TransformerDecoderLayer TransformerEncoder "
        "TransformerEncoderLayer"
    ),
    "upsampling": "Upsample UpsamplingBilinear2d UpsamplingNearest2d",
}

# PyTorch's private bases that user code names: (file, name) -> (glassnet module, name).
PRIVATE = {
    ("loss", "_Loss"): ("glassnet.nn.loss", "_Loss"),
    ("loss", "_WeightedLoss"): ("glassnet.nn.loss", "_WeightedLoss"),
    ("batchnorm", "_BatchNorm"): ("glassnet.nn.normalization", "_BatchNorm"),
    ("conv", "_ConvNd"): ("glassnet.nn.conv", "_ConvNd"),
    ("dropout", "_DropoutNd"): ("glassnet.nn.dropout", "_DropoutNd"),
    ("pooling", "_MaxPoolNd"): ("glassnet.nn.pooling", "_MaxPoolNd"),
    ("pooling", "_AvgPoolNd"): ("glassnet.nn.pooling", "_AvgPoolNd"),
    ("padding", "_ConstantPadNd"): ("glassnet.nn.padding", "_ConstantPadNd"),
}


def export(module_name, namespace):
    """Fill ``namespace`` (a file's globals) with the glassnet classes PyTorch keeps in that
    file; returns the public names, for ``__all__``."""
    import glassnet.nn as nn

    file = module_name.rsplit(".", 1)[1]
    public = [n for n in TORCH_FILES[file].split() if hasattr(nn, n)]
    namespace.update({n: getattr(nn, n) for n in public})
    for (where, name), (source, attr) in PRIVATE.items():
        if where == file:
            found = getattr(importlib.import_module(source), attr, None)
            if found is not None:
                namespace[name] = found
    return public
