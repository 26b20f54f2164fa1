"""Loss functions with PyTorch's names, arguments and reductions ('none', 'mean', 'sum').

Each one checks its arguments, naming the loss, what it got and the likely fix (wrong target
shape or dtype, probabilities fed where logits belong, classes out of range), then runs one fused
op from ``glassnet.ops.loss`` / ``glassnet.ops.ctc``.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.mse_loss(glassnet.tensor([1.0, 2.0]), glassnet.tensor([1.0, 4.0]))
tensor(2.)
"""

from __future__ import annotations

import warnings

from glassnet.errors import ShapeError
from glassnet.nn.functional._loss_util import _check_input, _constant, _like, _reduction
from glassnet.nn.functional.classification_loss import cross_entropy, ctc_loss, nll_loss
from glassnet.ops import loss as ops
from glassnet.ops._util import check_broadcast
from glassnet.ops.low_precision import bfloat16_in_float32
from glassnet.tensor import Tensor

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "ctc_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
]


def _regression_pair(name, input, target):
    _check_input(name, input)
    target = _like(name, target, input)
    if target.shape != input.shape:
        check_broadcast(name, input.shape, target.shape)
        warnings.warn(
            f"{name}: target shape {tuple(target.shape)} differs from input shape "
            f"{tuple(input.shape)}; they broadcast, so every input is compared with many targets, "
            "which is almost never intended. Make them the same shape (for example "
            "input.squeeze(-1) for an (N, 1) output, or target.view(input.shape)).",
            UserWarning,
            stacklevel=3,
        )
    return target


def _elementwise_weight(name, weight, input):
    if weight is None:
        return None
    weight = _like(name, weight, input, "weight")
    if weight.shape != input.shape:
        raise ShapeError(
            f"{name}: weight of shape {tuple(weight.shape)} must have the input's "
            f"shape {tuple(input.shape)} (one weight per element)."
        )
    return weight


# ---- regression ------------------------------------------------------------------------------
@bfloat16_in_float32
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error, (input - target)^2; ``weight`` scales each element ('mean' then
    divides by the weights' sum).

    >>> import glassnet
    >>> mse_loss(glassnet.tensor([0.0, 3.0]), glassnet.tensor([1.0, 1.0]), reduction="sum")
    tensor(5.)
    """
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    target = _regression_pair("mse_loss", input, target)
    weight = _elementwise_weight("mse_loss", weight, input)
    return ops.MSE.apply(input, target, weight, reduction)


@bfloat16_in_float32
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error, |input - target|.

    >>> import glassnet
    >>> l1_loss(glassnet.tensor([0.0, 3.0]), glassnet.tensor([1.0, 1.0]))
    tensor(1.5000)
    """
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    target = _regression_pair("l1_loss", input, target)
    weight = _elementwise_weight("l1_loss", weight, input)
    return ops.L1.apply(input, target, weight, reduction)


@bfloat16_in_float32
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared below ``beta`` (0.5 d^2 / beta), absolute above (|d| - 0.5 beta): robust to
    outliers yet smooth at 0.

    >>> import glassnet
    >>> smooth_l1_loss(glassnet.tensor([0.5, 3.0]), glassnet.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    reduction = _reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}.")
    target = _regression_pair("smooth_l1_loss", input, target)
    return ops.SmoothL1.apply(input, target, None, reduction, beta)


@bfloat16_in_float32
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared below ``delta`` (0.5 d^2), linear above (delta (|d| - 0.5 delta)).

    >>> import glassnet
    >>> huber_loss(glassnet.tensor([0.5, 3.0]), glassnet.tensor([0.0, 0.0]), reduction="none",
    ...            delta=2.0)
    tensor([0.1250, 4.0000])
    """
    reduction = _reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    target = _regression_pair("huber_loss", input, target)
    weight = _elementwise_weight("huber_loss", weight, input)
    return ops.Huber.apply(input, target, weight, reduction, delta)


# ---- binary ------------------------------------------------------------------------------------
def _binary_args(name, input, target, weight):
    _check_input(name, input)
    target = _like(name, target, input)
    if target.shape != input.shape:
        raise ShapeError(
            f"{name}: target shape {tuple(target.shape)} must equal the input shape "
            f"{tuple(input.shape)} (one 0/1 label per output). For an (N, 1) output use "
            "target.view(-1, 1) (or input.squeeze(1)); make targets float with target.float()."
        )
    if weight is not None:
        check_broadcast(f"{name} (weight)", input.shape, weight.shape)
    return target, _constant(name, weight, input, "weight")


@bfloat16_in_float32
def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Binary cross entropy between probabilities ``input`` in [0, 1] and 0/1 (or soft) targets.
    Prefer binary_cross_entropy_with_logits on raw scores: it is numerically stable.

    >>> import glassnet
    >>> binary_cross_entropy(glassnet.tensor([0.5, 0.5]), glassnet.tensor([1.0, 0.0]))
    tensor(0.6931)
    """
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    target, w = _binary_args("binary_cross_entropy", input, target, weight)
    x = input._data
    if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(
            f"binary_cross_entropy: input values must be probabilities in [0, 1], got values "
            f"in [{float(x.min()):.4g}, {float(x.max()):.4g}]. They look like raw scores "
            "(logits): use binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss), which "
            "applies the sigmoid itself and is numerically stable, or apply .sigmoid() first."
        )
    return ops.BCE.apply(input, target, w, reduction)


@bfloat16_in_float32
def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Sigmoid + binary cross entropy on raw scores, fused and stable for any logit size.
    ``pos_weight`` (broadcast over the last dim) weighs the positive term, trading recall
    against precision.

    >>> import glassnet
    >>> binary_cross_entropy_with_logits(glassnet.tensor([0.0]), glassnet.tensor([1.0]))
    tensor(0.6931)
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, size_average, reduce, reduction)
    target, w = _binary_args(name, input, target, weight)
    if pos_weight is not None:
        check_broadcast(f"{name} (pos_weight)", input.shape, pos_weight.shape)
    pw = _constant(name, pos_weight, input, "pos_weight")
    return ops.BCEWithLogits.apply(input, target, w, pw, reduction)


@bfloat16_in_float32
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target || q) with ``input`` = log q (log-probabilities).
    ``target`` holds probabilities, or log-probabilities with ``log_target=True``. Use
    reduction='batchmean' for the mathematical KL divergence per sample.

    >>> import glassnet
    >>> kl_div(glassnet.tensor([[-0.6931, -0.6931]]), glassnet.tensor([[0.5, 0.5]]),
    ...        reduction="batchmean").abs().item() < 1e-4
    True
    """
    legacy = size_average is not None or reduce is not None
    reduction = _reduction(
        "kl_div", size_average, reduce, reduction, ("none", "mean", "sum", "batchmean")
    )
    if reduction == "mean" and not legacy:
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the KL "
            "divergence's definition.",
            UserWarning,
            stacklevel=2,
        )
    _check_input("kl_div", input)
    target = _like("kl_div", target, input)
    check_broadcast("kl_div", input.shape, target.shape)
    return ops.KLDiv.apply(input, target, reduction, bool(log_target))


def cosine_embedding_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """Pull pairs together (target 1: 1 - cos) or push them apart (target -1: max(0, cos -
    margin)); rows of (N, D) inputs are the embeddings.

    >>> import glassnet
    >>> a = glassnet.tensor([[1.0, 0.0], [1.0, 0.0]])
    >>> b = glassnet.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> cosine_embedding_loss(a, b, glassnet.tensor([1, -1]), reduction="none")
    tensor([1., 1.])
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input1, "input1")
    input2 = _like(name, input2, input1, "input2")
    if input1.shape != input2.shape or input1.ndim not in (1, 2):
        raise ShapeError(
            f"{name}: input1 and input2 must both be (N, D) (or (D,)), got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}."
        )
    expected = tuple(input1.shape[:1]) if input1.ndim == 2 else ()
    if not isinstance(target, Tensor) or tuple(target.shape) != expected:
        raise ShapeError(
            f"{name}: target must hold one 1/-1 label per pair, shape {expected}, "
            f"got {tuple(getattr(target, 'shape', ()))}."
        )
    y = _constant(name, target, input1, "target")
    return ops.CosineEmbedding.apply(input1, input2, y, float(margin), reduction)


def margin_ranking_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """max(0, -target * (input1 - input2) + margin): target 1 means input1 should rank higher.

    >>> import glassnet
    >>> margin_ranking_loss(glassnet.tensor([2.0, 0.0]), glassnet.tensor([1.0, 1.0]),
    ...                     glassnet.tensor([1.0, 1.0]), margin=0.5, reduction="none")
    tensor([0.0000, 1.5000])
    """
    name = "margin_ranking_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input1, "input1")
    input2 = _like(name, input2, input1, "input2")
    target = _like(name, target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(
            f"{name}: input1, input2 and target must have the same number of dims, "
            f"got shapes {tuple(input1.shape)}, {tuple(input2.shape)} and "
            f"{tuple(target.shape)}."
        )
    check_broadcast(name, input1.shape, input2.shape)
    check_broadcast(name, input1.shape, target.shape)
    return ops.MarginRanking.apply(input1, input2, target, float(margin), reduction)
