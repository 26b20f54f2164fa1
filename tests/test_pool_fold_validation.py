"""Impossible settings of pooling and unfold/fold against PyTorch as the oracle, and the
messages of the refusals (the runner and its claim are in tests/torch_raises.py)."""

import pytest
import torch
import torch.nn.functional as TF
from torch_raises import assert_raises_as_pytorch, outcome, zeros_of

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.nn.functional.window_args import InvalidArgumentError

POOL = [
    ("MaxPool2d(0)", lambda m, f, z, L: m.MaxPool2d(0)(z(1, 2, 6, 6))),
    ("MaxPool2d(-1)", lambda m, f, z, L: m.MaxPool2d(-1)(z(1, 2, 6, 6))),
    ("MaxPool2d(2.0)", lambda m, f, z, L: m.MaxPool2d(2.0)(z(1, 2, 6, 6))),
    ("MaxPool2d((2, 2, 2))", lambda m, f, z, L: m.MaxPool2d((2, 2, 2))(z(1, 2, 6, 6))),
    ("MaxPool2d stride=0", lambda m, f, z, L: m.MaxPool2d(2, stride=0)(z(1, 2, 6, 6))),
    ("MaxPool2d stride=-1", lambda m, f, z, L: m.MaxPool2d(2, stride=-1)(z(1, 2, 6, 6))),
    ("MaxPool2d padding=-1", lambda m, f, z, L: m.MaxPool2d(2, padding=-1)(z(1, 2, 6, 6))),
    ("MaxPool2d(2, padding=2)", lambda m, f, z, L: m.MaxPool2d(2, padding=2)(z(1, 2, 6, 6))),
    ("MaxPool2d(3, padding=2)", lambda m, f, z, L: m.MaxPool2d(3, padding=2)(z(1, 2, 6, 6))),
    ("MaxPool2d(2, padding=1)", lambda m, f, z, L: m.MaxPool2d(2, padding=1)(z(1, 2, 6, 6))),
    ("MaxPool2d(4, padding=2)", lambda m, f, z, L: m.MaxPool2d(4, padding=2)(z(1, 2, 6, 6))),
    (
        "MaxPool2d((4, 3), padding=2)",
        lambda m, f, z, L: m.MaxPool2d((4, 3), padding=2)(z(1, 2, 6, 6)),
    ),
    ("MaxPool2d dilation=0", lambda m, f, z, L: m.MaxPool2d(2, dilation=0)(z(1, 2, 6, 6))),
    ("MaxPool2d dilation=3 padding=2", lambda m, f, z, L: m.MaxPool2d(2, 1, 2, 3)(z(1, 2, 9, 9))),
    ("MaxPool2d 5-D input", lambda m, f, z, L: m.MaxPool2d(2)(z(1, 1, 2, 6, 6))),
    ("MaxPool2d 2-D input", lambda m, f, z, L: m.MaxPool2d(2)(z(6, 6))),
    ("MaxPool2d input too small", lambda m, f, z, L: m.MaxPool2d(3)(z(1, 2, 2, 2))),
    ("MaxPool1d(0)", lambda m, f, z, L: m.MaxPool1d(0)(z(1, 2, 6))),
    ("MaxPool1d(3, padding=2)", lambda m, f, z, L: m.MaxPool1d(3, padding=2)(z(1, 2, 6))),
    ("MaxPool1d stride=0", lambda m, f, z, L: m.MaxPool1d(2, stride=0)(z(1, 2, 6))),
    ("MaxPool3d(3, padding=2)", lambda m, f, z, L: m.MaxPool3d(3, padding=2)(z(1, 1, 6, 6, 6))),
    ("MaxPool3d(0, stride=1)", lambda m, f, z, L: m.MaxPool3d(0, stride=1)(z(1, 1, 6, 6, 6))),
    ("MaxPool3d ceil_mode", lambda m, f, z, L: m.MaxPool3d(2, ceil_mode=True)(z(1, 1, 5, 5, 5))),
    ("AvgPool2d(0)", lambda m, f, z, L: m.AvgPool2d(0)(z(1, 2, 6, 6))),
    ("AvgPool2d stride=0", lambda m, f, z, L: m.AvgPool2d(2, stride=0)(z(1, 2, 6, 6))),
    ("AvgPool2d padding=-1", lambda m, f, z, L: m.AvgPool2d(2, padding=-1)(z(1, 2, 6, 6))),
    ("AvgPool2d(3, padding=2)", lambda m, f, z, L: m.AvgPool2d(3, padding=2)(z(1, 2, 6, 6))),
    ("AvgPool2d(2, padding=1)", lambda m, f, z, L: m.AvgPool2d(2, padding=1)(z(1, 2, 6, 6))),
    (
        "AvgPool2d divisor_override=0",
        lambda m, f, z, L: m.AvgPool2d(2, divisor_override=0)(z(1, 2, 6, 6)),
    ),
    (
        "AvgPool2d divisor_override=-1",
        lambda m, f, z, L: m.AvgPool2d(2, divisor_override=-1)(z(1, 2, 6, 6)),
    ),
    ("AvgPool1d(0, stride=1)", lambda m, f, z, L: m.AvgPool1d(0, stride=1)(z(1, 1, 6))),
    ("AvgPool1d(3, padding=2)", lambda m, f, z, L: m.AvgPool1d(3, padding=2)(z(1, 1, 6))),
    ("AvgPool3d(3, padding=2)", lambda m, f, z, L: m.AvgPool3d(3, padding=2)(z(1, 1, 6, 6, 6))),
    (
        "AvgPool3d divisor_override=0",
        lambda m, f, z, L: m.AvgPool3d(3, divisor_override=0)(z(1, 1, 6, 6, 6)),
    ),
    ("LPPool2d kernel 0", lambda m, f, z, L: m.LPPool2d(2, 0)(z(1, 1, 6, 6))),
    ("LPPool2d stride=0", lambda m, f, z, L: m.LPPool2d(2, 2, stride=0)(z(1, 1, 6, 6))),
    ("AdaptiveAvgPool2d(-1)", lambda m, f, z, L: m.AdaptiveAvgPool2d(-1)(z(1, 2, 6, 6))),
    ("AdaptiveAvgPool2d(0)", lambda m, f, z, L: m.AdaptiveAvgPool2d(0)(z(1, 2, 6, 6))),
    ("AdaptiveMaxPool2d(0)", lambda m, f, z, L: m.AdaptiveMaxPool2d(0)(z(1, 2, 6, 6))),
    ("AdaptiveMaxPool2d(-1)", lambda m, f, z, L: m.AdaptiveMaxPool2d(-1)(z(1, 2, 6, 6))),
    (
        "AdaptiveAvgPool3d((2, -1, 2))",
        lambda m, f, z, L: m.AdaptiveAvgPool3d((2, -1, 2))(z(1, 2, 6, 6, 6)),
    ),
    ("adaptive_avg_pool2d (2,)", lambda m, f, z, L: f.adaptive_avg_pool2d(z(1, 2, 6, 6), (2,))),
    (
        "adaptive_avg_pool2d (2, 2, 2)",
        lambda m, f, z, L: f.adaptive_avg_pool2d(z(1, 2, 6, 6), (2, 2, 2)),
    ),
    (
        "adaptive_avg_pool2d empty dim",
        lambda m, f, z, L: f.adaptive_avg_pool2d(z(1, 1, 0, 3), (2, 2)),
    ),
    ("max_pool2d stride=0", lambda m, f, z, L: f.max_pool2d(z(1, 2, 6, 6), 2, stride=0)),
    ("avg_pool2d padding=2", lambda m, f, z, L: f.avg_pool2d(z(1, 2, 6, 6), 2, padding=2)),
    ("max_pool3d kernel (2, 2)", lambda m, f, z, L: f.max_pool3d(z(1, 2, 6, 6, 6), (2, 2))),
]

FOLD = [
    ("Unfold(0)", lambda m, f, z, L: m.Unfold(0)(z(1, 2, 9, 9))),
    ("Unfold stride=0", lambda m, f, z, L: m.Unfold(2, stride=0)(z(1, 2, 9, 9))),
    ("Unfold padding=-1", lambda m, f, z, L: m.Unfold(2, padding=-1)(z(1, 2, 9, 9))),
    ("Unfold dilation=0", lambda m, f, z, L: m.Unfold(2, dilation=0)(z(1, 2, 9, 9))),
    ("unfold kernel too big", lambda m, f, z, L: f.unfold(z(1, 2, 9, 9), 10)),
    ("unfold 5-D input", lambda m, f, z, L: f.unfold(z(1, 1, 2, 9, 9), 3)),
    ("unfold 3-D input", lambda m, f, z, L: f.unfold(z(2, 9, 9), 3)),
    ("unfold large padding", lambda m, f, z, L: f.unfold(z(1, 2, 9, 9), 3, padding=5)),
    ("fold wrong L", lambda m, f, z, L: f.fold(z(1, 8, 15), (5, 5), 2)),
    ("fold wrong C", lambda m, f, z, L: f.fold(z(1, 7, 16), (5, 5), 2)),
    ("fold 4-D input", lambda m, f, z, L: f.fold(z(1, 1, 8, 16), (5, 5), 2)),
    ("fold stride=0", lambda m, f, z, L: f.fold(z(1, 8, 16), (5, 5), 2, stride=0)),
    ("fold unbatched", lambda m, f, z, L: f.fold(z(8, 16), (5, 5), 2)),
    ("Fold kernel 0", lambda m, f, z, L: m.Fold((5, 5), 0)(z(1, 8, 16))),
]

CASES = POOL + FOLD


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("label,run", CASES, ids=[c[0] for c in CASES])
def test_raises_as_pytorch(label, run):
    assert_raises_as_pytorch(label, run, nn, F)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_table_covers_both_outcomes():
    """Rows PyTorch accepts as well as rows it refuses (checked, not assumed)."""
    outcomes = [outcome(lambda r=r: r(torch.nn, TF, zeros_of(torch), torch)) for _, r in CASES]
    assert sum(o is None for o in outcomes) >= 8
    assert sum(o is not None for o in outcomes) >= 40


# The messages name the layer or function, the argument, the value and what is allowed.
MESSAGES = [
    (
        lambda: nn.Conv2d(3, 8, 3, stride=0),
        "Conv2d: stride must be positive in every dim, got stride=(0, 0)",
    ),
    (
        lambda: nn.Conv2d(3, 8, 3, padding=-1),
        "Conv2d: padding must be non-negative in every dim, got padding=(-1, -1)",
    ),
    (
        lambda: nn.Conv3d(3, 8, 3, dilation=(1, 0, 1)),
        "Conv3d: dilation must be positive in every dim, got dilation=(1, 0, 1)",
    ),
    (
        lambda: nn.Conv2d(3, 8, 0),
        "Conv2d: kernel_size must be positive in every dim, got kernel_size=(0, 0)",
    ),
    (
        lambda: nn.Conv2d(3, 8, 3, groups=2),
        "Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2",
    ),
    (
        lambda: nn.Conv2d(4, 6, 3, groups=4),
        "Conv2d: out_channels must be divisible by groups, got out_channels=6, groups=4",
    ),
    (
        lambda: nn.Conv2d(3, 8, 3, stride=2, padding="same"),
        "padding='same' is not supported for strided convolutions",
    ),
    (
        lambda: nn.Conv2d(3, 8, 3, padding_mode="mirror"),
        "Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got padding_mode='mirror'",
    ),
    (
        lambda: nn.Conv2d(3, 8, 3, stride=1.5),
        "Conv2d: stride must be an int or a tuple of 2 ints, got 1.5",
    ),
    (
        lambda: nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=2),
        "ConvTranspose2d: output_padding must be smaller than either stride or dilation in every dim, got output_padding=(2, 2), stride=(2, 2), dilation=(1, 1)",
    ),
    (
        lambda: nn.MaxPool2d(3, padding=2),
        "MaxPool2d: padding should be at most half of kernel size, got padding=(2, 2) for kernel_size=(3, 3)",
    ),
    (
        lambda: nn.MaxPool2d(2, stride=0),
        "MaxPool2d: stride must be positive in every dim, got stride=(0, 0)",
    ),
    (lambda: nn.AvgPool3d(2, divisor_override=0), "AvgPool3d: divisor_override must not be zero"),
    (
        lambda: F.conv2d(glassnet.zeros(1, 2, 5, 5), glassnet.zeros(2, 2, 3, 3), dilation=0),
        "conv2d: dilation must be positive in every dim, got dilation=(0, 0)",
    ),
    (
        lambda: F.max_pool1d(glassnet.zeros(1, 2, 5), 2, padding=-1),
        "max_pool1d: padding must be non-negative in every dim, got padding=(-1,)",
    ),
]


@pytest.mark.parametrize("make,message", MESSAGES)
def test_message_names_the_setting(make, message):
    with pytest.raises((InvalidArgumentError, TypeError, ValueError)) as info:
        make()
    assert message in str(info.value)


def test_invalid_argument_error_is_both_classes():
    with pytest.raises(RuntimeError):
        nn.Conv2d(3, 8, 3, stride=0)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 8, 3, stride=0)


def test_pooling_layer_settings_refused_before_any_input():
    # PyTorch builds MaxPool2d(0) and fails on the first batch; glassnet fails here already.
    with pytest.raises(InvalidArgumentError, match="kernel_size must be positive"):
        nn.MaxPool2d(0)
    with pytest.raises(InvalidArgumentError, match="kernel_size must be positive"):
        nn.Unfold((2, 0))
    assert torch.nn.MaxPool2d(0) is not None  # the difference is only when, not whether
