"""set_printoptions(sci_mode=...) and the other print options: str(tensor) must read exactly as
PyTorch's after the same options are set in both libraries (the oracle is torch's own printer)."""

import numpy as np
import pytest
import torch

import glassnet

VALUES = [
    [1.5, 2.25, -3.0],  # fixed by default
    [1.0, 2.0, 300.0],  # whole numbers
    [1.0, 2.0, 3.0e5],  # whole, span > 1000: scientific by default
    [1.0e-5, 0.5, 12.0],  # tiny: scientific by default
    [123456.789, 0.001, -42.5],  # mixed magnitudes
    [[0.0, float("inf")], [float("nan"), -2.5e9]],  # non-finite and huge, 2-D
    [0.0, 0.0],  # no nonzero finite value: the option changes nothing
    [float("nan"), 1.0],
    3.14159,  # 0-d
]


def _both(values, dtype):
    array = np.array(values, dtype=dtype)
    return glassnet.tensor(array), torch.tensor(array)


def _same(g, t):
    # glassnet names its dtypes glassnet.float64 where torch writes torch.float64
    assert str(g).replace("glassnet.", "torch.") == str(t)


@pytest.fixture
def options():
    """Set the same print options in both libraries; restore both defaults afterwards."""

    def set_both(**kw):
        glassnet.set_printoptions(**kw)
        torch.set_printoptions(**kw)

    yield set_both
    glassnet.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("sci_mode", [None, True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sci_mode_prints_as_torch(options, sci_mode, dtype):
    options(sci_mode=sci_mode)
    for values in VALUES:
        _same(*_both(values, dtype))


@pytest.mark.parametrize("sci_mode", [True, False])
def test_sci_mode_with_precision_and_summary_prints_as_torch(options, sci_mode):
    options(precision=2, threshold=10, edgeitems=2, linewidth=60, sci_mode=sci_mode)
    r = np.random.default_rng(0)
    big = r.normal(size=(5, 30)) * 10.0 ** r.integers(-6, 6, size=(5, 30))
    _same(*_both(big, "float64"))
    _same(*_both(VALUES[4], "float32"))


def test_sci_mode_leaves_integers_alone_and_is_reset_by_a_later_call(options):
    options(sci_mode=True)
    _same(glassnet.tensor([1, 200000, -3]), torch.tensor([1, 200000, -3]))
    assert str(glassnet.tensor([1.5, 2.0])) == "tensor([1.5000e+00, 2.0000e+00])"
    # as in PyTorch, any call that leaves sci_mode out sets it back to automatic
    options(precision=4)
    assert str(glassnet.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    _same(*_both([1.5, 2.0], "float32"))


def test_default_is_restored():
    # runs after the tests above: the fixture put the automatic choice back
    _same(*_both(VALUES[2], "float32"))
    _same(*_both(VALUES[0], "float32"))
