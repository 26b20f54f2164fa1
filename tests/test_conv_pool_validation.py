"""Impossible settings of convolutions (layers and functions, transposed too) against PyTorch as
the oracle; the runner and its claim are in tests/torch_raises.py, pooling and unfold/fold rows
in tests/test_pool_fold_validation.py."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch_raises import assert_raises_as_pytorch, outcome, zeros_of

import glassnet.nn.functional as F
from glassnet import nn

# (label, run(nn, F, zeros, lib)). Inputs are small, so every row runs in microseconds.
CONV = [
    ("Conv2d stride=0", lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=0)(z(1, 2, 6, 6))),
    ("Conv2d stride=-1", lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=-1)(z(1, 2, 6, 6))),
    ("Conv2d stride=(1, 0)", lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=(1, 0))(z(1, 2, 6, 6))),
    ("Conv2d padding=-1", lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=-1)(z(1, 2, 6, 6))),
    (
        "Conv2d padding=(0, -1)",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=(0, -1))(z(1, 2, 6, 6)),
    ),
    ("Conv2d dilation=0", lambda m, f, z, L: m.Conv2d(2, 2, 3, dilation=0)(z(1, 2, 6, 6))),
    ("Conv2d dilation=-2", lambda m, f, z, L: m.Conv2d(2, 2, 3, dilation=-2)(z(1, 2, 6, 6))),
    ("Conv2d kernel_size=0", lambda m, f, z, L: m.Conv2d(2, 2, 0)(z(1, 2, 6, 6))),
    ("Conv2d kernel_size=(3, 0)", lambda m, f, z, L: m.Conv2d(2, 2, (3, 0))(z(1, 2, 6, 6))),
    ("Conv2d kernel_size=-1", lambda m, f, z, L: m.Conv2d(2, 2, -1)(z(1, 2, 6, 6))),
    ("Conv2d kernel_size=(3, 3, 3)", lambda m, f, z, L: m.Conv2d(2, 2, (3, 3, 3))(z(1, 2, 6, 6))),
    ("Conv2d kernel_size=3.0", lambda m, f, z, L: m.Conv2d(2, 2, 3.0)(z(1, 2, 6, 6))),
    ("Conv2d stride=1.5", lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=1.5)(z(1, 2, 6, 6))),
    (
        "Conv2d stride=np.int64(2)",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=np.int64(2))(z(1, 2, 6, 6)),
    ),
    ("Conv2d in_channels=2.0", lambda m, f, z, L: m.Conv2d(2.0, 2, 3)(z(1, 2, 6, 6))),
    ("Conv2d in_channels=-1", lambda m, f, z, L: m.Conv2d(-1, 2, 3)),
    ("Conv2d groups=0", lambda m, f, z, L: m.Conv2d(2, 2, 3, groups=0)(z(1, 2, 6, 6))),
    ("Conv2d groups=-1", lambda m, f, z, L: m.Conv2d(2, 2, 3, groups=-1)(z(1, 2, 6, 6))),
    ("Conv2d out % groups", lambda m, f, z, L: m.Conv2d(2, 3, 3, groups=2)(z(1, 2, 6, 6))),
    ("Conv2d in % groups", lambda m, f, z, L: m.Conv2d(3, 4, 3, groups=2)(z(1, 3, 6, 6))),
    ("Conv2d groups=2", lambda m, f, z, L: m.Conv2d(4, 6, 3, groups=2)(z(1, 4, 6, 6))),
    (
        "Conv2d same stride 2",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, stride=2, padding="same")(z(1, 2, 6, 6)),
    ),
    ("Conv2d same", lambda m, f, z, L: m.Conv2d(2, 2, 3, padding="same")(z(1, 2, 6, 6))),
    ("Conv2d valid", lambda m, f, z, L: m.Conv2d(2, 2, 3, padding="valid")(z(1, 2, 6, 6))),
    ("Conv2d padding='full'", lambda m, f, z, L: m.Conv2d(2, 2, 3, padding="full")(z(1, 2, 6, 6))),
    (
        "Conv2d padding (1, 1, 1)",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=(1, 1, 1))(z(1, 2, 6, 6)),
    ),
    ("Conv2d padding_mode='foo'", lambda m, f, z, L: m.Conv2d(2, 2, 3, padding_mode="foo")),
    # negative padding with a non-zero padding_mode crops through F.pad, in PyTorch too
    (
        "Conv2d reflect padding=-1",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=-1, padding_mode="reflect")(z(1, 2, 6, 6)),
    ),
    (
        "Conv2d reflect padding=6",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=6, padding_mode="reflect")(z(1, 2, 6, 6)),
    ),
    (
        "Conv2d circular padding=2",
        lambda m, f, z, L: m.Conv2d(2, 2, 3, padding=2, padding_mode="circular")(z(1, 2, 6, 6)),
    ),
    ("Conv2d 2-D input", lambda m, f, z, L: m.Conv2d(2, 2, 3)(z(6, 6))),
    ("Conv2d 5-D input", lambda m, f, z, L: m.Conv2d(2, 2, 3)(z(1, 1, 2, 6, 6))),
    ("Conv2d unbatched", lambda m, f, z, L: m.Conv2d(2, 2, 3)(z(2, 6, 6))),
    ("Conv2d wrong channels", lambda m, f, z, L: m.Conv2d(2, 2, 3)(z(1, 3, 6, 6))),
    ("Conv2d input too small", lambda m, f, z, L: m.Conv2d(2, 2, 3)(z(1, 2, 2, 2))),
    ("Conv1d stride=0", lambda m, f, z, L: m.Conv1d(2, 2, 3, stride=0)(z(1, 2, 6))),
    ("Conv1d dilation=0", lambda m, f, z, L: m.Conv1d(2, 2, 3, dilation=0)(z(1, 2, 6))),
    ("Conv1d padding=-2", lambda m, f, z, L: m.Conv1d(2, 2, 3, padding=-2)(z(1, 2, 6))),
    ("Conv3d stride=0", lambda m, f, z, L: m.Conv3d(2, 2, 3, stride=0)(z(1, 2, 4, 4, 4))),
    ("Conv3d padding=-1", lambda m, f, z, L: m.Conv3d(2, 2, 3, padding=-1)(z(1, 2, 4, 4, 4))),
    ("Conv3d out % groups", lambda m, f, z, L: m.Conv3d(2, 3, 3, groups=2)(z(1, 2, 4, 4, 4))),
    (
        "Conv3d same stride 2",
        lambda m, f, z, L: m.Conv3d(2, 2, 3, stride=2, padding="same")(z(1, 2, 4, 4, 4)),
    ),
    ("Conv3d kernel (3, 3)", lambda m, f, z, L: m.Conv3d(2, 2, (3, 3))(z(1, 2, 4, 4, 4))),
    ("Conv3d 4-D input", lambda m, f, z, L: m.Conv3d(2, 2, 3)(z(2, 4, 4, 4))),
    ("Conv3d wrong channels", lambda m, f, z, L: m.Conv3d(2, 2, 3)(z(1, 3, 4, 4, 4))),
]

FUNCTIONAL_CONV = [
    ("conv2d stride=0", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=0)),
    ("conv2d stride=-1", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=-1)),
    ("conv2d padding=-1", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding=-1)),
    ("conv2d dilation=0", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), dilation=0)),
    ("conv2d groups=0", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), groups=0)),
    ("conv2d groups=-1", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), groups=-1)),
    ("conv2d weight % groups", lambda m, f, z, L: f.conv2d(z(1, 4, 6, 6), z(3, 2, 3, 3), groups=2)),
    (
        "conv2d channels vs groups",
        lambda m, f, z, L: f.conv2d(z(1, 3, 6, 6), z(3, 1, 3, 3), groups=2),
    ),
    (
        "conv2d same stride 2",
        lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=2, padding="same"),
    ),
    (
        "conv2d padding='full'",
        lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding="full"),
    ),
    ("conv2d stride=1.5", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=1.5)),
    ("conv2d padding=1.5", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding=1.5)),
    ("conv2d groups=1.0", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), groups=1.0)),
    (
        "conv2d padding (1, 1, 1)",
        lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding=(1, 1, 1)),
    ),
    (
        "conv2d stride (1, 1, 1)",
        lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=(1, 1, 1)),
    ),
    ("conv2d bias shape", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3, 3), z(3))),
    ("conv2d 3-D weight", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 3))),
    ("conv2d kernel 0", lambda m, f, z, L: f.conv2d(z(1, 2, 6, 6), z(2, 2, 0, 3))),
    ("conv2d 5-D input", lambda m, f, z, L: f.conv2d(z(1, 1, 2, 6, 6), z(2, 2, 3, 3))),
    ("conv1d dilation=0", lambda m, f, z, L: f.conv1d(z(1, 2, 6), z(2, 2, 3), dilation=0)),
    ("conv3d stride=0", lambda m, f, z, L: f.conv3d(z(1, 2, 4, 4, 4), z(2, 2, 3, 3, 3), stride=0)),
    (
        "conv3d same stride 2",
        lambda m, f, z, L: f.conv3d(z(1, 2, 4, 4, 4), z(2, 2, 3, 3, 3), stride=2, padding="same"),
    ),
    (
        "conv3d dilation (1, 0, 1)",
        lambda m, f, z, L: f.conv3d(z(1, 2, 6, 6, 6), z(2, 2, 3, 3, 3), dilation=(1, 0, 1)),
    ),
]

TRANSPOSED = [
    (
        "ConvTranspose2d stride=0",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, stride=0)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d padding=-1",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, padding=-1)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d dilation=0",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, dilation=0)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d output_padding=2 stride=2",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d output_padding=1 stride=2",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, stride=2, output_padding=1)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d output_padding=-1",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, stride=2, output_padding=-1)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d output_padding=1 dilation=2",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, dilation=2, output_padding=1)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d output_padding=1",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, output_padding=1)(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d padding='same'",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, padding="same")(z(1, 2, 6, 6)),
    ),
    (
        "ConvTranspose2d padding_mode",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
    ),
    ("ConvTranspose2d out % groups", lambda m, f, z, L: m.ConvTranspose2d(2, 3, 3, groups=2)),
    (
        "ConvTranspose2d wrong channels",
        lambda m, f, z, L: m.ConvTranspose2d(2, 2, 3)(z(1, 3, 6, 6)),
    ),
    (
        "ConvTranspose1d stride=0",
        lambda m, f, z, L: m.ConvTranspose1d(2, 2, 3, stride=0)(z(1, 2, 6)),
    ),
    (
        "ConvTranspose3d output_padding=2 stride=2",
        lambda m, f, z, L: m.ConvTranspose3d(2, 2, 3, stride=2, output_padding=2)(z(1, 2, 3, 3, 3)),
    ),
    (
        "ConvTranspose3d padding=-1",
        lambda m, f, z, L: m.ConvTranspose3d(2, 2, 3, padding=-1)(z(1, 2, 3, 3, 3)),
    ),
    (
        "conv_transpose2d stride=0",
        lambda m, f, z, L: f.conv_transpose2d(z(1, 2, 6, 6), z(2, 2, 3, 3), stride=0),
    ),
    (
        "conv_transpose2d padding=-1",
        lambda m, f, z, L: f.conv_transpose2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding=-1),
    ),
    (
        "conv_transpose2d output_padding=-1",
        lambda m, f, z, L: f.conv_transpose2d(
            z(1, 2, 6, 6), z(2, 2, 3, 3), stride=2, output_padding=-1
        ),
    ),
    (
        "conv_transpose2d output_padding=2",
        lambda m, f, z, L: f.conv_transpose2d(
            z(1, 2, 6, 6), z(2, 2, 3, 3), stride=2, output_padding=2
        ),
    ),
    (
        "conv_transpose2d groups=0",
        lambda m, f, z, L: f.conv_transpose2d(z(1, 2, 6, 6), z(2, 2, 3, 3), groups=0),
    ),
    (
        "conv_transpose2d weight % groups",
        lambda m, f, z, L: f.conv_transpose2d(z(1, 3, 6, 6), z(3, 1, 3, 3), groups=2),
    ),
    (
        "conv_transpose2d padding='same'",
        lambda m, f, z, L: f.conv_transpose2d(z(1, 2, 6, 6), z(2, 2, 3, 3), padding="same"),
    ),
    (
        "conv_transpose3d stride=0",
        lambda m, f, z, L: f.conv_transpose3d(z(1, 2, 3, 3, 3), z(2, 2, 3, 3, 3), stride=0),
    ),
]

CASES = CONV + FUNCTIONAL_CONV + TRANSPOSED


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch warns about zero-element weights
@pytest.mark.parametrize("label,run", CASES, ids=[c[0] for c in CASES])
def test_raises_as_pytorch(label, run):
    assert_raises_as_pytorch(label, run, nn, F)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_table_covers_both_outcomes():
    """Rows PyTorch accepts as well as rows it refuses (checked, not assumed)."""
    outcomes = [outcome(lambda r=r: r(torch.nn, TF, zeros_of(torch), torch)) for _, r in CASES]
    assert sum(o is None for o in outcomes) >= 10
    assert sum(o is not None for o in outcomes) >= 60
