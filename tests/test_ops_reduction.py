"""Reductions against PyTorch: every dim form, keepdim, ties, zeros, dtypes and errors."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, numpy_of

S = (2, 3, 4)
# name, input shape, function (the same code runs on glassnet and torch tensors), options
REDUCTIONS = [
    ("sum", S, lambda x: x.sum(), {}),
    ("sum_dim", S, lambda x: x.sum(1), {}),
    ("sum_neg_dim", S, lambda x: x.sum(dim=-1), {}),
    ("sum_dims", S, lambda x: x.sum((0, 2)), {}),
    ("sum_keepdim", S, lambda x: x.sum((0, -1), keepdim=True), {}),
    ("sum_scalar", (), lambda x: x.sum(0), {}),
    ("mean", S, lambda x: x.mean(), {}),
    ("mean_dim", S, lambda x: x.mean(1, keepdim=True), {}),
    ("mean_dims", S, lambda x: x.mean((0, 1)), {}),
    ("prod", (2, 3), lambda x: x.prod(), {}),
    ("prod_dim", S, lambda x: x.prod(1), {}),
    ("prod_keepdim", S, lambda x: x.prod(-1, keepdim=True), {}),
    ("var", S, lambda x: x.var(), {}),
    ("var_dim", S, lambda x: x.var(1), {}),
    ("var_unbiased_false", S, lambda x: x.var((0, 2), unbiased=False, keepdim=True), {}),
    ("var_correction", S, lambda x: x.var(2, correction=2), {}),
    ("std", S, lambda x: x.std(), {}),
    ("std_dim", S, lambda x: x.std(-1, keepdim=True), {}),
    ("std_correction0", S, lambda x: x.std((1, 2), correction=0), {}),
    ("max", S, lambda x: x.max(), {}),
    ("min", S, lambda x: x.min(), {}),
    ("max_dim", S, lambda x: x.max(1), {}),
    ("max_dim_keepdim", S, lambda x: x.max(-1, keepdim=True), {}),
    ("min_dim", S, lambda x: x.min(dim=0), {}),
    ("max_values", S, lambda x: x.max(2).values, {}),
    ("amax", S, lambda x: x.amax(), {}),
    ("amax_dims", S, lambda x: x.amax((0, 2)), {}),
    ("amin_keepdim", S, lambda x: x.amin(1, keepdim=True), {}),
    ("argmax", S, lambda x: x.argmax(), {"grad": False}),
    ("argmax_dim", S, lambda x: x.argmax(1), {"grad": False}),
    ("argmin_keepdim", S, lambda x: x.argmin(-1, keepdim=True), {"grad": False}),
    ("logsumexp", S, lambda x: x.logsumexp(1), {}),
    ("logsumexp_dims", S, lambda x: x.logsumexp((0, 2), keepdim=True), {}),
    ("norm", S, lambda x: x.norm(), {}),
    ("norm_dim", S, lambda x: x.norm(dim=1), {}),
    ("norm_fro", (3, 4), lambda x: x.norm("fro"), {}),
    ("norm_p1", S, lambda x: x.norm(p=1, dim=-1), {}),
    ("norm_p3", S, lambda x: x.norm(p=3, dim=(0, 1), keepdim=True), {}),
    ("norm_p_half", S, lambda x: x.norm(p=0.5, dim=2), {}),
    ("norm_inf", S, lambda x: x.norm(p=float("inf"), dim=1), {}),
    ("norm_neg_inf", S, lambda x: x.norm(p=float("-inf")), {}),
    ("norm_p0", S, lambda x: x.norm(p=0, dim=1), {}),
    ("cumsum", S, lambda x: x.cumsum(1), {}),
    ("cumsum_neg", S, lambda x: x.cumsum(-1), {}),
    ("cumprod", S, lambda x: x.cumprod(2), {}),
    ("cumprod_dim0", S, lambda x: x.cumprod(0), {}),
    ("cumsum_scalar", (), lambda x: x.cumsum(0), {}),
]


@pytest.mark.parametrize("name,shape,fn,options", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction(name, shape, fn, options, device):
    check_op([shape], fn, device=device, **options)


def test_functions_match_methods(device):
    check_op([S], lambda x: glassnet.sum(x, 1), lambda x: torch.sum(x, 1), device=device)
    check_op(
        [S], lambda x: glassnet.logsumexp(x, -1), lambda x: torch.logsumexp(x, -1), device=device
    )
    check_op(
        [S],
        lambda x: glassnet.norm(x, dim=(1, 2)),
        lambda x: torch.norm(x, dim=(1, 2)),
        device=device,
    )


def test_max_with_tensor_is_maximum(device):
    check_op([(3, 4), (4,)], lambda a, b: a.max(b), device=device)
    check_op([(3, 4), (4,)], lambda a, b: a.min(b), device=device)


TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-4.0, 2.0, -4.0, 1.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.max(),
        lambda x: x.min(),
        lambda x: x.amax(1),
        lambda x: x.amin(dim=(0, 1)),
        lambda x: x.amax(0, keepdim=True),
        lambda x: x.norm(p=float("inf"), dim=1),
    ],
    ids=["max", "min", "amax", "amin_all", "amax_keepdim", "norm_inf"],
)
def test_ties_share_gradient_evenly(fn, device):
    check_op(None, fn, inputs=[TIES], device=device, finite_diff=False)


def test_max_dim_gradient_goes_to_the_index(device):
    x = np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]])
    check_op(None, lambda x: x.max(1), inputs=[x], device=device)
    check_op(None, lambda x: x.min(0, keepdim=True), inputs=[x], device=device)


@pytest.mark.parametrize(
    "values", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 1.5], [1.5, -2.0, 3.0, 0.0]]
)
def test_prod_and_cumprod_with_zeros(values, device):
    x = np.array([values, [1.0, 2.0, -0.5, 3.0]])
    check_op(None, lambda x: x.prod(1), inputs=[x], device=device)
    check_op(None, lambda x: x.prod(), inputs=[x], device=device)
    check_op(None, lambda x: x.cumprod(1), inputs=[x], device=device)
    check_op(None, lambda x: x.cumprod(0), inputs=[x], device=device)


def test_norm_and_std_gradient_zero_at_zero(device):
    x = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    for fn in (
        lambda x: x.norm(dim=1),
        lambda x: x.norm(p=3, dim=1),
        lambda x: x.norm(p=0.5, dim=1),
        lambda x: x.norm(p=1, dim=1),
        lambda x: x.std(1),
    ):
        check_op(None, fn, inputs=[x], device=device, finite_diff=False)
    check_op(None, lambda x: x.norm(), inputs=[np.zeros((2, 2))], device=device, finite_diff=False)


def test_logsumexp_is_stable(device):
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, -1e4, -1e4], [0.0, -np.inf, 1.0]])
    check_op(None, lambda x: x.logsumexp(1), inputs=[x], device=device, finite_diff=False)


def test_reduction_dtypes_like_torch(device):
    def both(expr):
        got = expr(glassnet, lambda *a, **k: glassnet.tensor(*a, device=device, **k))
        want = expr(torch, torch.tensor)
        assert str(got.dtype) == str(want.dtype).replace("torch.", ""), expr
        np.testing.assert_allclose(
            numpy_of(got).astype(float), want.numpy().astype(float), rtol=1e-6
        )

    both(lambda m, t: t([[1, 2], [3, 4]], dtype=m.int32).sum(0))
    both(lambda m, t: t([True, True, False]).sum())
    both(lambda m, t: t([1.0, 2.0]).sum(dtype=m.float64))
    both(lambda m, t: t([1, 2]).mean(dtype=m.float32))
    both(lambda m, t: t([1.5, 2.0]).mean(dtype=m.float64))
    both(lambda m, t: t([2, 3], dtype=m.int32).prod())
    both(lambda m, t: t([2, 3], dtype=m.int32).cumsum(0))
    both(lambda m, t: t([2, 3]).cumprod(0))
    both(lambda m, t: t([2.0, 3.0]).cumsum(0, dtype=m.float64))
    both(lambda m, t: t([[2, 3], [1, 5]]).max(1).values)
    both(lambda m, t: t([[2, 3], [1, 5]]).max(1).indices)
    both(lambda m, t: t([[2, 3], [1, 5]]).amin(0))
    both(lambda m, t: t([[2, 3], [1, 5]]).argmax())
    both(lambda m, t: t([[2, 3], [1, 5]]).argmax(keepdim=True))
    both(lambda m, t: t([[1, 0], [1, 1]]).all(1))
    both(lambda m, t: t([[0.0, 0.0], [1.0, 0.0]]).any(0, keepdim=True))
    both(lambda m, t: t([[True, False], [True, True]]).all())
    both(lambda m, t: t([[True, False], [False, False]]).any((0, 1)))
    both(lambda m, t: t([1, 2]).logsumexp(0))
    both(lambda m, t: t([1.0, 2.0], dtype=m.float32).norm(dtype=m.float64))


def test_float32_stays_float32(device):
    x = glassnet.randn(3, 4, device=device, requires_grad=True)
    outs = [
        x.sum(),
        x.mean(0),
        x.var(1),
        x.std(),
        x.norm(),
        x.logsumexp(0),
        x.prod(1),
        x.amax(0),
        x.max(1).values,
        x.cumsum(0),
        x.cumprod(1),
        x.norm(p=3),
    ]
    for out in outs:
        assert out.dtype == glassnet.float32
        out.sum().backward()
        assert x.grad.dtype == glassnet.float32


def test_max_result_is_a_named_pair(device):
    out = glassnet.tensor([[1.0, 5.0], [7.0, 2.0]], device=device).max(1)
    values, indices = out
    assert type(out).__name__ == "max"
    assert numpy_of(values).tolist() == [5.0, 7.0] and numpy_of(indices).tolist() == [1, 0]
    assert numpy_of(out.indices).tolist() == [1, 0]


def test_errors(device):
    x = glassnet.ones(2, 3, device=device)
    with pytest.raises(glassnet.DTypeError, match="mean"):
        glassnet.tensor([1, 2], device=device).mean()
    with pytest.raises(glassnet.DTypeError, match="var"):
        glassnet.tensor([1, 2], device=device).var()
    with pytest.raises(IndexError, match=r"sum: dimension out of range .*got 2"):
        x.sum(2)
    with pytest.raises(IndexError, match="max"):
        x.max(-3)
    with pytest.raises(IndexError, match="cumsum"):
        x.cumsum(5)
    with pytest.raises(RuntimeError, match="non-empty"):
        glassnet.ones(0, device=device).max()
    with pytest.raises(ValueError, match="nuc"):
        x.norm(p="nuc")
