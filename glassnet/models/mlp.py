"""MLP: the feed-forward network for tabular data, layers of Linear + activation.

>>> import glassnet
>>> model = MLP(4, [16, 16], 3)
>>> model(glassnet.randn(5, 4)).shape
glassnet.Size([5, 3])
"""

from __future__ import annotations

from glassnet import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def activation(name: str) -> nn.Module:
    """An activation module by its lower-case name ('relu', 'tanh', ...)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None


class MLP(nn.Sequential):
    """``in_features`` -> hidden layers -> ``out_features``; optional dropout and batch norm
    after each hidden layer. A Sequential, so ``model[0]`` is the first Linear."""

    def __init__(
        self,
        in_features: int,
        hidden=(64,),
        out_features: int = 1,
        activation_name: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        layers = []
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(activation(activation_name))
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)
