"""The fused BatchNormReLU op against PyTorch's batch_norm followed by relu: the output, the
updated running statistics and the gradients of input, weight and bias, in training and eval
mode, float64 and float32; and against glassnet's own two ops (BatchNorm, then Relu)."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet.ops.normalization import BatchNormReLU, needs_grad
from tests.helpers import assert_close

CASES = [
    ((6, 4), True),  # (N, C): BatchNorm1d's layout
    ((5, 3, 7), True),
    ((4, 3, 5, 6), True),
    ((3, 5, 7, 9), False),  # odd sizes, no weight or bias
    ((2, 3, 3, 4, 2), True),  # 3-D images
]
# (shape, affine, training): every case in both modes, and one value per channel in eval mode
# (training needs more than one; F.batch_norm says so before the op runs)
PARAMS = [(s, a, t) for s, a in CASES for t in (True, False)] + [((1, 2, 1, 1), True, False)]


def _inputs(shape, affine, dtype, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    weight = rng.uniform(0.5, 1.5, c).astype(dtype) if affine else None
    bias = rng.standard_normal(c).astype(dtype) if affine else None
    mean = rng.standard_normal(c).astype(dtype)
    var = rng.uniform(0.5, 1.5, c).astype(dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    return x, weight, bias, mean, var, grad


def _glassnet(x, weight, bias, mean, var, grad, training, device, momentum=0.1, eps=1e-5):
    def tensor(a):
        return None if a is None else glassnet.tensor(a, requires_grad=True).to(device)

    gx, gw, gb = tensor(x), tensor(weight), tensor(bias)
    rm = glassnet.tensor(mean.copy()).to(device)._data
    rv = glassnet.tensor(var.copy()).to(device)._data
    y = BatchNormReLU.apply(
        gx, gw, gb, rm, rv, training, momentum, eps, needs=needs_grad(gx, gw, gb)
    )
    y.backward(glassnet.tensor(grad).to(device))
    grads = [None if t is None else t.grad for t in (gx, gw, gb)]
    return y, grads, glassnet.backend.to_numpy(rm), glassnet.backend.to_numpy(rv)


def _torch(x, weight, bias, mean, var, grad, training, momentum=0.1, eps=1e-5):
    def tensor(a):
        return None if a is None else torch.tensor(a, requires_grad=True)

    tx, tw, tb = tensor(x), tensor(weight), tensor(bias)
    rm, rv = torch.tensor(mean.copy()), torch.tensor(var.copy())
    y = torch.relu(torch.nn.functional.batch_norm(tx, rm, rv, tw, tb, training, momentum, eps))
    y.backward(torch.tensor(grad))
    return y, [None if t is None else t.grad for t in (tx, tw, tb)], rm.numpy(), rv.numpy()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, affine, training", PARAMS)
def test_batch_norm_relu_matches_torch(shape, affine, training, dtype, device):
    args = _inputs(shape, affine, dtype)
    y, grads, rm, rv = _glassnet(*args, training, device)
    ty, tgrads, trm, trv = _torch(*args, training)
    assert y.dtype == np.dtype(dtype)
    # the default tolerances: a sum over the batch and spatial axes (at most a few hundred
    # terms) then elementwise arithmetic, as PyTorch does it, in the same float format
    assert_close(y, ty, dtype, "output")
    for name, g, tg in zip(("input", "weight", "bias"), grads, tgrads):
        if tg is None:
            assert g is None
        else:
            assert_close(g, tg, dtype, f"grad of {name}")
    assert_close(rm, trm, dtype, "running_mean")
    assert_close(rv, trv, dtype, "running_var")


def test_batch_norm_relu_equals_the_two_ops_bit_for_bit():
    """The same arithmetic as BatchNorm then Relu, so a fused model trains exactly as the
    unfused one (a gradient with many exact zeros from the ReLU, and ties at 0.0)."""
    from glassnet.ops.elementwise import Relu
    from glassnet.ops.normalization import BatchNorm

    x, weight, bias, mean, var, grad = _inputs((8, 16, 6, 6), True, "float32", seed=3)
    x[0, :, :2] = 0.0  # constant rows: outputs exactly at the channel's -mean*scale+bias
    fused = BatchNormReLU()
    y = fused.forward(x, weight, bias, mean.copy(), var.copy(), True, 0.1, 1e-5)
    bn, relu = BatchNorm(), Relu()
    ref = relu.forward(bn.forward(x, weight, bias, mean.copy(), var.copy(), True, 0.1, 1e-5))
    np.testing.assert_array_equal(y, ref)
    assert not np.signbit(y).any()  # no -0.0 from the in-place maximum
    fused.needs = bn.needs = (True, True, True)
    for a, b in zip(fused.backward(grad), bn.backward(relu.backward(grad)[0])):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_relu_nan_stays_nan():
    x = np.array([[1.0, np.nan], [3.0, 2.0]])
    y = BatchNormReLU().forward(x, None, None, None, None, True, 0.1, 1e-5)
    assert np.isnan(y[:, 1]).all()  # NaN in a channel makes its statistics NaN, as in PyTorch
    np.testing.assert_allclose(y[:, 0], [0.0, 1.0], atol=1e-5)


def test_batch_norm_relu_output_changed_in_place_raises():
    """The backward reads the output (its sign), so changing it in place first is an error,
    as it is for relu (PyTorch raises too)."""
    x = glassnet.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    y = BatchNormReLU.apply(x, None, None, None, None, True, 0.1, 1e-5)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place|inplace"):
        y.sum().backward()
