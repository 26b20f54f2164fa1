"""Convolution and pooling layers refuse impossible geometry when they are made. PyTorch builds
them and fails on the first call with RuntimeError (or refuses at construction with ValueError);
glassnet fails at construction with an error that is a ValueError and a RuntimeError."""

import pytest
import torch

import glassnet
from glassnet import nn

CASES = [
    ("Conv2d", (3, 4, 3), dict(stride=0)),
    ("Conv2d", (3, 4, 3), dict(stride=(1, -1))),
    ("Conv2d", (3, 4, 3), dict(padding=-1)),
    ("Conv2d", (3, 4, 3), dict(dilation=0)),
    ("Conv2d", (3, 4, 0), {}),
    ("Conv1d", (2, 2, 3), dict(stride=-1)),
    ("Conv2d", (3, 4, 3), dict(groups=2)),
    ("Conv2d", (3, 4, 3), dict(padding="same", stride=2)),
    ("Conv2d", (3, 4, 3), dict(padding_mode="bad")),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, output_padding=2)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=0)),
    ("MaxPool2d", (2,), dict(padding=2)),
    ("MaxPool2d", (0,), {}),
    ("MaxPool1d", (3,), dict(stride=0)),
    ("AvgPool2d", (2,), dict(stride=0)),
    ("AvgPool2d", (3,), dict(padding=2)),
]


def _input(lib, name, channels):
    shape = (1, channels, 8) if "1d" in name else (1, channels, 8, 8)
    return lib.randn(*shape)


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_bad_geometry_fails_as_in_pytorch(name, args, kwargs):
    channels = args[0] if name.startswith("Conv") else 3
    # PyTorch refuses it, at construction or on the first call
    with pytest.raises((ValueError, RuntimeError)):
        getattr(torch.nn, name)(*args, **kwargs)(_input(torch, name, channels))
    # glassnet refuses it at construction, with an exception PyTorch's except clauses catch
    with pytest.raises((ValueError, RuntimeError)) as info:
        getattr(nn, name)(*args, **kwargs)
    assert name in str(info.value) or "padding" in str(info.value) or "groups" in str(info.value)


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("Conv2d", (3, 4, 3), dict(stride=(1, 2), padding=(0, 1), dilation=2)),
        ("Conv2d", (3, 4, 3), dict(padding="same", dilation=2)),
        ("ConvTranspose2d", (3, 4, 3), dict(stride=2, output_padding=1)),
        ("MaxPool2d", (3,), dict(padding=1, stride=1)),
        ("AvgPool2d", (2,), dict(padding=1)),
    ],
)
def test_edge_geometry_both_accept(name, args, kwargs):
    channels = args[0] if name.startswith("Conv") else 3
    want = getattr(torch.nn, name)(*args, **kwargs)(_input(torch, name, channels))
    got = getattr(nn, name)(*args, **kwargs)(_input(glassnet, name, channels))
    assert tuple(got.shape) == tuple(want.shape)
