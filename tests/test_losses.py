"""Every loss of glassnet.nn against PyTorch: forward and gradients for each reduction and option,
float64 tight and float32 loose, finite differences as a second oracle, and the error messages."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import assert_close, check_finite_differences, check_op

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(7)


def _ints(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape)


def _uniform(shape, low, high, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def _tensor(lib, array, device="cpu"):
    return torch.tensor(array) if lib is torch else glassnet.tensor(array, device=device)


def _w(lib, array, like):
    """A constant (weight) tensor of ``like``'s dtype and device in either library."""
    if lib is torch:
        return torch.tensor(array).to(like.dtype)
    return glassnet.tensor(array, device=like.device).to(like.dtype)


def _pair(name, **kw):
    """glassnet and torch versions of ``F.name(*args, **kw)``."""
    return (lambda *a, **k: getattr(F, name)(*a, **kw, **k)), (
        lambda *a, **k: getattr(TF, name)(*a, **kw, **k)
    )


# ---- regression ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kw",
    [
        ("mse_loss", {}),
        ("l1_loss", {}),
        ("smooth_l1_loss", {}),
        ("smooth_l1_loss", {"beta": 0.5}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("huber_loss", {}),
        ("huber_loss", {"delta": 0.3}),
    ],
)
def test_regression(device, name, kw, reduction):
    g, t = _pair(name, reduction=reduction, **kw)
    check_op([(3, 4), (3, 4)], g, t, device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight(device, name, reduction):
    g, t = _pair(name, reduction=reduction)
    inputs = [_uniform((3, 4), -2, 2, 1), _uniform((3, 4), -2, 2, 2), _uniform((3, 4), 0.2, 2, 3)]
    check_op(
        None,
        lambda x, y, w: g(x, y, weight=w),
        lambda x, y, w: t(x, y, weight=w),
        inputs=inputs,
        device=device,
    )


# ---- cross entropy and nll ---------------------------------------------------------------------
def _ce(reduction="mean", weight=None, ignore_index=-100, label_smoothing=0.0, device="cpu"):
    def run(lib, fn):
        def f(x, y):
            w = None if weight is None else _w(lib, weight, x)
            return fn(
                x,
                y,
                weight=w,
                ignore_index=ignore_index,
                reduction=reduction,
                label_smoothing=label_smoothing,
            )

        return f

    return run(glassnet, F.cross_entropy), run(torch, TF.cross_entropy)


CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5, 0.7])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"weight": CLASS_WEIGHT},
        {"ignore_index": 2},
        {"label_smoothing": 0.2},
        {"weight": CLASS_WEIGHT, "ignore_index": 1, "label_smoothing": 0.1},
    ],
)
def test_cross_entropy_indices(device, reduction, opts):
    g, t = _ce(reduction, device=device, **opts)
    check_op(None, g, t, inputs=[_uniform((6, 5), -3, 3), _ints((6,), 5, 1)], device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "opts", [{}, {"weight": CLASS_WEIGHT[:3], "ignore_index": 0, "label_smoothing": 0.3}]
)
def test_cross_entropy_spatial(device, reduction, opts):
    g, t = _ce(reduction, device=device, **opts)
    check_op(
        None, g, t, inputs=[_uniform((2, 3, 2, 3), -3, 3), _ints((2, 2, 3), 3, 2)], device=device
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"weight": CLASS_WEIGHT[:4], "label_smoothing": 0.25}])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (4,)])
def test_cross_entropy_probabilities(device, reduction, opts, shape):
    g, t = _ce(reduction, device=device, **opts)
    probs = _uniform(shape, 0, 1, 3)
    probs /= probs.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    check_op(None, g, t, inputs=[_uniform(shape, -3, 3, 4), probs], device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched_and_ignored(device, reduction):
    g, t = _ce(reduction, label_smoothing=0.1, device=device)
    check_op(None, g, t, inputs=[_uniform((4,), -2, 2), np.array(3)], device=device)
    # ignore_index equal to a target that is out of the class range (a 255 "void" label)
    g, t = _ce(reduction, ignore_index=255, device=device)
    check_op(
        None, g, t, inputs=[_uniform((4, 3), -2, 2), np.array([0, 255, 2, 255])], device=device
    )


def test_cross_entropy_is_log_softmax_plus_nll_and_stable(device):
    x, y = _uniform((4, 6), -500, 500), _ints((4,), 6)
    fused_x = glassnet.tensor(x, device=device, requires_grad=True)
    composed_x = glassnet.tensor(x, device=device, requires_grad=True)
    target = glassnet.tensor(y, device=device)
    fused = F.cross_entropy(fused_x, target)
    composed = F.nll_loss(F.log_softmax(composed_x, dim=1), target)
    fused.backward()
    composed.backward()
    assert np.isfinite(fused.item())
    assert_close(fused, composed, "float64")
    assert_close(fused_x.grad, composed_x.grad, "float64")
    assert_close(fused, TF.cross_entropy(torch.tensor(x), torch.tensor(y)), "float64")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"weight": CLASS_WEIGHT[:4], "ignore_index": 3}])
@pytest.mark.parametrize("shapes", [((5, 4), (5,)), ((2, 4, 3), (2, 3)), ((4,), ())])
def test_nll_loss(device, reduction, opts, shapes):
    weight = opts.get("weight")

    def run(lib, fn):
        def f(x, y):
            w = None if weight is None else _w(lib, weight, x)
            return fn(
                x, y, weight=w, ignore_index=opts.get("ignore_index", -100), reduction=reduction
            )

        return f

    x = np.log(_uniform(shapes[0], 0.05, 1, 5))
    y = _ints(shapes[1], 4, 6)
    check_op(None, run(glassnet, F.nll_loss), run(torch, TF.nll_loss), inputs=[x, y], device=device)


# ---- binary ------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_binary_cross_entropy(device, reduction, with_weight):
    weight = np.array([0.5, 1.0, 2.0])

    def run(lib, fn):
        return lambda x, y: fn(
            x, y, weight=_w(lib, weight, x) if with_weight else None, reduction=reduction
        )

    inputs = [_uniform((4, 3), 0.05, 0.95, 1), _uniform((4, 3), 0, 1, 2)]
    check_op(
        None,
        run(glassnet, F.binary_cross_entropy),
        run(torch, TF.binary_cross_entropy),
        inputs=inputs,
        device=device,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(device, reduction, weights):
    weight, pos_weight = np.array([[0.5], [1.0], [2.0], [1.5]]), np.array([3.0, 0.5, 1.0])

    def run(lib, fn):
        return lambda x, y: fn(
            x,
            y,
            weight=_w(lib, weight, x) if weights[0] else None,
            pos_weight=_w(lib, pos_weight, x) if weights[1] else None,
            reduction=reduction,
        )

    inputs = [_uniform((4, 3), -4, 4, 1), _uniform((4, 3), 0, 1, 2)]
    g, t = (
        run(glassnet, F.binary_cross_entropy_with_logits),
        run(torch, TF.binary_cross_entropy_with_logits),
    )
    check_op(None, g, t, inputs=inputs, device=device)


def test_bce_with_logits_huge_logits_stay_finite(device):
    g, t = _pair("binary_cross_entropy_with_logits", reduction="none")
    inputs = [np.array([[-800.0, 30.0, 800.0, -40.0]]), np.array([[1.0, 0.0, 0.0, 0.0]])]
    out = check_op(None, g, t, inputs=inputs, device=device, finite_diff=False)
    assert np.isfinite(out.detach().numpy()).all()


# ---- divergence and ranking ------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(device, reduction, log_target):
    g, t = _pair("kl_div", reduction=reduction, log_target=log_target)
    target = _uniform((3, 4), 0.1, 1, 2)
    inputs = [np.log(_uniform((3, 4), 0.1, 1, 1)), np.log(target) if log_target else target]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn about reduction='mean'
        check_op(None, g, t, inputs=inputs, device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.7])
def test_margin_ranking(device, reduction, margin):
    g, t = _pair("margin_ranking_loss", margin=margin, reduction=reduction)
    y = np.where(_uniform((5,), 0, 1, 3) > 0.5, 1.0, -1.0)
    check_op(
        None, g, t, inputs=[_uniform((5,), -2, 2, 1), _uniform((5,), -2, 2, 2), y], device=device
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5, 3), (4,)])
def test_cosine_embedding(device, reduction, margin, shape):
    g, t = _pair("cosine_embedding_loss", margin=margin, reduction=reduction)
    y = np.array([1, -1, -1, 1, -1])[: shape[0]] if len(shape) == 2 else np.array(-1)
    check_op(
        None, g, t, inputs=[_uniform(shape, -2, 2, 1), _uniform(shape, -2, 2, 2), y], device=device
    )


# ---- CTC ----------------------------------------------------------------------------------------
CTC_TARGETS = np.array([[1, 2, 2], [3, 3, 0], [4, 1, 3], [2, 0, 0]])  # repeats need a blank
CTC_CASES = {
    "padded": dict(targets=CTC_TARGETS, il=[8, 6, 7, 5], tl=[3, 2, 3, 1]),
    "concatenated": dict(
        targets=np.array([1, 2, 2, 3, 3, 4, 1, 3, 2]), il=[8, 6, 7, 5], tl=[3, 2, 3, 1]
    ),
    "empty_target": dict(targets=CTC_TARGETS, il=[8, 8, 3, 5], tl=[3, 0, 3, 1]),
}


def _ctc_fns(case, reduction, blank=0, zero_infinity=False, log_softmax=True, device="cpu"):
    targets = case["targets"] if blank == 0 else np.where(case["targets"] == 0, 5, case["targets"])

    def run(lib, fn):
        def f(x):
            lp = x.log_softmax(2) if log_softmax else x
            return fn(
                lp,
                _tensor(lib, targets, device),
                _tensor(lib, case["il"], device),
                _tensor(lib, case["tl"], device),
                blank=blank,
                reduction=reduction,
                zero_infinity=zero_infinity,
            )

        return f

    return run(glassnet, F.ctc_loss), run(torch, TF.ctc_loss)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CTC_CASES))
def test_ctc(device, reduction, case):
    g, t = _ctc_fns(CTC_CASES[case], reduction, device=device)
    check_op([(8, 4, 6)], g, t, device=device)


def test_ctc_blank_and_zero_infinity(device):
    case = dict(targets=CTC_TARGETS, il=[8, 2, 7, 5], tl=[3, 2, 3, 1])  # sample 1 cannot fit
    g, t = _ctc_fns(case, "none", blank=5, zero_infinity=True, device=device)
    out = check_op([(8, 4, 6)], g, t, device=device)
    assert out.detach().numpy()[1] == 0
    g, t = _ctc_fns(case, "none", device=device)
    out = check_op([(8, 4, 6)], g, t, device=device, grad=False)
    assert np.isinf(out.detach().numpy()[1])


def test_ctc_exact_gradient_and_unbatched(device):
    # On log_probs directly glassnet returns the exact gradient; PyTorch's adds exp(log_probs)
    # on the frames inside each sequence (meant to be cancelled by a log_softmax before it).
    case = CTC_CASES["padded"]
    lp = np.log(np.random.default_rng(3).dirichlet(np.ones(6), size=(8, 4)))
    g, t = _ctc_fns(case, "sum", log_softmax=False, device=device)
    x = glassnet.tensor(lp, device=device, requires_grad=True)
    xt = torch.tensor(lp, requires_grad=True)
    g(x).backward()
    t(xt).backward()
    inside = (np.arange(8)[:, None] < np.array(case["il"])[None, :])[..., None]
    assert_close(x.grad, xt.grad.numpy() - np.exp(lp) * inside, "float64")
    check_finite_differences(None, g, inputs=[lp])

    # One sequence without a batch dim.
    def single(lib, fn):
        return lambda z: fn(
            z.log_softmax(1), _tensor(lib, [1, 1, 2], device), _tensor(lib, 7), _tensor(lib, 3)
        )

    check_op([(7, 3)], single(glassnet, F.ctc_loss), single(torch, TF.ctc_loss), device=device)


# ---- Modules -------------------------------------------------------------------------------------
MODULES = [
    ("MSELoss", {"reduction": "sum"}),
    ("L1Loss", {}),
    ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 2.0}),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}),
    ("NLLLoss", {"ignore_index": 1}),
    ("BCELoss", {}),
    ("BCEWithLogitsLoss", {}),
    ("KLDivLoss", {"reduction": "batchmean"}),
    ("CTCLoss", {"blank": 1}),
    ("CosineEmbeddingLoss", {"margin": 0.5}),
    ("MarginRankingLoss", {"margin": 1.0}),
]


@pytest.mark.parametrize("name,kw", MODULES)
def test_module_options_and_repr(name, kw):
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    assert isinstance(ours, nn.Module)
    for key, value in kw.items():
        assert getattr(ours, key) == getattr(theirs, key) == value
    assert ours.reduction == theirs.reduction


def test_modules_match_functional_and_keep_weights():
    w = np.array([1.0, 2.0, 0.5])
    ours = nn.CrossEntropyLoss(weight=glassnet.tensor(w), ignore_index=0, reduction="sum")
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=0, reduction="sum")
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) == ["weight"]
    x, y = _uniform((5, 3), -2, 2), _ints((5,), 3)
    assert_close(
        ours(glassnet.tensor(x), glassnet.tensor(y)),
        theirs(torch.tensor(x), torch.tensor(y)),
        "float64",
    )
    bce = nn.BCEWithLogitsLoss(pos_weight=glassnet.tensor([2.0]))
    assert sorted(bce.state_dict()) == sorted(
        torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0])).state_dict()
    )
    p = _uniform((4, 1), -2, 2)
    assert_close(
        bce(glassnet.tensor(p), glassnet.tensor(p > 0).float()),
        TF.binary_cross_entropy_with_logits(
            torch.tensor(p), torch.tensor(p > 0).double(), pos_weight=torch.tensor([2.0])
        ),
        "float64",
    )
    # The deprecated flags map to a reduction as in PyTorch.
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"


# ---- errors and warnings ---------------------------------------------------------------------
def test_cross_entropy_target_errors():
    x = glassnet.randn(4, 3)
    with pytest.raises(glassnet.ShapeError, match=r"\(4, 1\).*squeeze\(1\)"):
        F.cross_entropy(x, glassnet.tensor([[0], [1], [2], [0]]))
    with pytest.raises(glassnet.DTypeError, match=r"long\(\)"):
        F.cross_entropy(x, glassnet.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(glassnet.ShapeError, match="probabilities.*\\(4, 3\\)"):
        F.cross_entropy(x, glassnet.rand(4, 4))
    with pytest.raises(glassnet.ShapeError, match="class 3.*3 classes.*output 4 units"):
        nn.CrossEntropyLoss()(x, glassnet.tensor([0, 3, 1, 2]))
    with pytest.raises(glassnet.ShapeError, match="class -1"):
        F.cross_entropy(x, glassnet.tensor([0, -1, 1, 2]))
    with pytest.raises(glassnet.ShapeError, match="BCEWithLogitsLoss"):
        F.cross_entropy(glassnet.randn(4, 1), glassnet.tensor([0, 0, 0, 0]))
    with pytest.raises(glassnet.DTypeError, match="cross_entropy"):
        F.nll_loss(x, glassnet.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(glassnet.ShapeError, match=r"weight.*\(3,\)"):
        F.cross_entropy(x, glassnet.tensor([0, 1, 2, 0]), weight=glassnet.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, glassnet.tensor([0, 1, 2, 0]), reduction="avg")


def test_cross_entropy_warns_on_softmax_output_only():
    logits = glassnet.randn(8, 5)
    with pytest.warns(UserWarning, match="raw logits"):
        F.cross_entropy(logits.softmax(1), glassnet.tensor(_ints((8,), 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(logits, glassnet.tensor(_ints((8,), 5)))
        F.cross_entropy(glassnet.full((8, 5), 0.5), glassnet.tensor(_ints((8,), 5)))


def test_binary_and_regression_errors():
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(glassnet.tensor([0.5, 2.0]), glassnet.tensor([1.0, 0.0]))
    with pytest.raises(glassnet.ShapeError, match=r"\(4,\).*\(4, 1\)"):
        nn.BCEWithLogitsLoss()(glassnet.randn(4, 1), glassnet.ones(4))
    with pytest.warns(UserWarning, match=r"target shape \(4,\).*input shape \(4, 1\)"):
        out = F.mse_loss(glassnet.randn(4, 1), glassnet.randn(4))
    assert out.shape == ()
    with pytest.raises(glassnet.ShapeError, match="mse_loss"):
        F.mse_loss(glassnet.randn(4, 3), glassnet.randn(4, 2))
    with pytest.raises(glassnet.DTypeError, match="float"):
        F.l1_loss(glassnet.tensor([1, 2]), glassnet.tensor([1.0, 2.0]))


def test_ctc_errors():
    lp = glassnet.randn(5, 2, 4).log_softmax(2)
    with pytest.raises(glassnet.ShapeError, match="input_lengths"):
        F.ctc_loss(lp, glassnet.tensor([[1, 2], [1, 1]]), [6, 5], [2, 2])
    with pytest.raises(glassnet.ShapeError, match="target_lengths"):
        F.ctc_loss(lp, glassnet.tensor([[1, 2], [1, 1]]), [5, 5], [3, 2])
    with pytest.raises(glassnet.DTypeError, match="integer"):
        F.ctc_loss(lp, glassnet.tensor([[1.0, 2.0], [1.0, 1.0]]), [5, 5], [2, 2])
