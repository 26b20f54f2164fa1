"""The rarer losses (nn, F and the torch.* spellings with integer reductions) against PyTorch:
forward and gradients in float64 and float32, finite differences as a second oracle."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op

TF = torch.nn.functional
rng = np.random.default_rng(0)
SIGNS = np.where(rng.uniform(size=(4, 5)) > 0.5, 1.0, -1.0)
BITS = (rng.uniform(size=(4, 5)) > 0.5).astype("float64")
COUNTS = rng.integers(0, 6, size=(4, 5)).astype("float64")
CLASSES = np.array([1, 0, 4, 2])
MULTI = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 3, 2, 1, 0], [-1, 2, 3, 0, 1]])


def _both(name):
    return (lambda *a, **k: getattr(F, name)(*a, **k)), (lambda *a, **k: getattr(TF, name)(*a, **k))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "name, extra, kwargs, positive",
    [
        ("soft_margin_loss", [SIGNS], {}, False),
        ("hinge_embedding_loss", [SIGNS], dict(margin=0.7), False),
        ("multilabel_soft_margin_loss", [BITS], {}, False),
        ("poisson_nll_loss", [COUNTS], {}, False),
        ("poisson_nll_loss", [COUNTS], dict(log_input=False, full=True), True),
        ("multi_margin_loss", [CLASSES], {}, False),
        ("multi_margin_loss", [CLASSES], dict(p=2, margin=0.5), False),
        ("multilabel_margin_loss", [MULTI], {}, False),
    ],
)
def test_loss_matches_torch(name, extra, kwargs, positive, reduction):
    g, t = _both(name)
    (y,) = extra  # a constant target (PyTorch gives most of these no target gradient)
    cast = y.dtype.kind == "f"
    check_op(
        [(4, 5)],
        lambda x: g(x, _const(glassnet, y, x, cast), reduction=reduction, **kwargs),
        lambda x: t(x, _const(torch, y, x, cast), reduction=reduction, **kwargs),
        inputs=_inputs((4, 5), positive),
    )


def _const(lib, a, like, cast=True):
    t = lib.tensor(a)
    return t.to(like.dtype) if cast else t


def _inputs(shape, positive=False, seed=0, n=1):
    r = np.random.default_rng(seed)
    lo = 0.5 if positive else -2.0
    return [r.uniform(lo, 2.0, size=shape) for _ in range(n)]


def test_weighted_margin_losses_and_1d_inputs():
    w = np.linspace(0.5, 1.5, 5)
    check_op(
        [(4, 5)],
        lambda x, y: F.multi_margin_loss(x, y, weight=_const(glassnet, w, x)),
        lambda x, y: TF.multi_margin_loss(x, y, weight=_const(torch, w, x)),
        inputs=[*_inputs((4, 5)), CLASSES],
    )
    check_op(
        [(4, 5)],
        lambda x, y: F.multilabel_soft_margin_loss(x, y, weight=_const(glassnet, w, x)),
        lambda x, y: TF.multilabel_soft_margin_loss(x, y, weight=_const(torch, w, x)),
        inputs=[*_inputs((4, 5)), BITS],
    )
    check_op(
        [(5,)],
        lambda x, y: F.multilabel_margin_loss(x, y, reduction="none"),
        lambda x, y: TF.multilabel_margin_loss(x, y, reduction="none"),
        inputs=[*_inputs((5,)), MULTI[0]],
    )
    check_op(
        [(5,)],
        lambda x, y: F.multi_margin_loss(x, y, reduction="none"),
        lambda x, y: TF.multi_margin_loss(x, y, reduction="none"),
        inputs=[*_inputs((5,)), np.array([3])],
    )
    check_op(
        [(5,)],
        lambda x, y: F.multi_margin_loss(x, y, reduction="none"),
        lambda x, y: TF.multi_margin_loss(x, y, reduction="none"),
        inputs=[*_inputs((5,)), np.array(2)],
    )


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(var_shape, full):
    x, y = _inputs((4, 3), n=2)
    (v,) = _inputs(var_shape, positive=True, seed=5)
    check_op(
        [],
        lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=full),
        lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full=full),
        inputs=[x, y, v],
    )


def test_gaussian_nll_loss_clamps_var_but_keeps_its_gradient():
    v = glassnet.tensor([1e-9, 2.0], requires_grad=True)
    tv = torch.tensor([1e-9, 2.0], requires_grad=True)
    args = ([0.0, 1.0], [1.0, 1.0])
    F.gaussian_nll_loss(*map(glassnet.tensor, args), v).backward()
    TF.gaussian_nll_loss(*map(torch.tensor, args), tv).backward()
    # float32 on a value of 1/(2 * 1e-6**2) ~ 5e11: float32's eps relative
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [2.0, 1.0])
def test_triplet_losses_match_torch(swap, p):
    check_op(
        [(4, 6)] * 3,
        lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=0.8, p=p, swap=swap),
        lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin=0.8, p=p, swap=swap),
    )
    check_op(
        [(4, 6)] * 3,
        lambda a, b, c: F.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda u, w: 1 - F.cosine_similarity(u, w), swap=swap
        ),
        lambda a, b, c: TF.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda u, w: 1 - TF.cosine_similarity(u, w), swap=swap
        ),
    )
    check_op(
        [(4, 6)] * 3,
        lambda a, b, c: F.triplet_margin_with_distance_loss(a, b, c, swap=swap, reduction="none"),
        lambda a, b, c: TF.triplet_margin_with_distance_loss(a, b, c, swap=swap, reduction="none"),
    )


LAYERS = [
    (nn.HingeEmbeddingLoss(margin=0.5), torch.nn.HingeEmbeddingLoss(margin=0.5), SIGNS),
    (nn.MultiLabelSoftMarginLoss(), torch.nn.MultiLabelSoftMarginLoss(), BITS),
    (nn.MultiLabelMarginLoss(), torch.nn.MultiLabelMarginLoss(), MULTI),
    (nn.MultiMarginLoss(p=2), torch.nn.MultiMarginLoss(p=2), CLASSES),
    (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss(), COUNTS),
]


@pytest.mark.parametrize("g, t, target", LAYERS, ids=lambda v: type(v).__name__)
def test_loss_layers_match_torch(g, t, target):
    check_layer(g, t, [], inputs=[*_inputs((4, 5)), target])


def test_soft_margin_layer_matches_torch():
    # a constant target: PyTorch refuses a target that requires grad for this loss
    g, t = nn.SoftMarginLoss(reduction="sum"), torch.nn.SoftMarginLoss(reduction="sum")
    check_op(
        [(4, 5)],
        lambda x: g(x, _const(glassnet, SIGNS, x)),
        lambda x: t(x, _const(torch, SIGNS, x)),
    )


def test_poisson_full_gradient_reaches_the_target():
    x = _inputs((4, 5), positive=True)[0]
    y = COUNTS + 0.5  # above zero, so that log(target) is finite in both libraries
    check_op(
        [],
        lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True),
        lambda a, b: TF.poisson_nll_loss(a, b, log_input=False, full=True),
        inputs=[x, y],
    )


def test_three_input_loss_layers_match_torch():
    x, y = _inputs((4, 3), n=2)
    (v,) = _inputs((4, 3), positive=True)
    check_layer(
        nn.GaussianNLLLoss(full=True), torch.nn.GaussianNLLLoss(full=True), [], inputs=[x, y, v]
    )
    check_layer(
        nn.TripletMarginLoss(swap=True), torch.nn.TripletMarginLoss(swap=True), [(4, 3)] * 3
    )
    check_layer(
        nn.TripletMarginWithDistanceLoss(margin=0.5),
        torch.nn.TripletMarginWithDistanceLoss(margin=0.5),
        [(4, 3)] * 3,
    )


@pytest.mark.parametrize("code", [0, 1, 2])
def test_torch_level_losses_take_integer_reductions(code):
    (x1, x2) = _inputs((4, 5), n=2)
    s = SIGNS[:, 0]
    cases = [
        ("kl_div", [x1, np.abs(x2)], {}),
        ("kl_div", [x1, x2], dict(log_target=True)),
        ("binary_cross_entropy_with_logits", [x1, BITS], {}),
        ("cosine_embedding_loss", [x1, x2, s], {}),
        ("margin_ranking_loss", [x1[:, 0], x2[:, 0], s], {}),
        ("hinge_embedding_loss", [x1, SIGNS], {}),
        ("triplet_margin_loss", [x1, x2, x1[::-1].copy()], {}),
    ]
    for name, inputs, kw in cases:
        check_op(
            [],
            lambda *a: getattr(glassnet, name)(*a, reduction=code, **kw),
            lambda *a: getattr(torch, name)(*a, reduction=code, **kw),
            inputs=inputs,
            finite_diff=False,
        )
    check_op(
        [],
        lambda a, b: glassnet.poisson_nll_loss(a, b, True, False, 1e-8, code),
        lambda a, b: torch.poisson_nll_loss(a, b, True, False, 1e-8, code),
        inputs=[x1, COUNTS],
    )


def test_torch_ctc_loss_matches_torch():
    r = np.random.default_rng(3)
    logits = r.normal(size=(6, 2, 4))
    targets = np.array([[1, 2, 2], [3, 1, 0]])
    lens_in, lens_t = [6, 5], [3, 2]
    for code in (0, 1, 2):
        check_op(
            [],
            lambda x: glassnet.ctc_loss(
                x.log_softmax(2), glassnet.tensor(targets), lens_in, lens_t, 0, code
            ),
            lambda x: torch.ctc_loss(
                x.log_softmax(2), torch.tensor(targets), lens_in, lens_t, 0, code
            ),
            inputs=[logits],
            dtypes=("float64",),
        )
