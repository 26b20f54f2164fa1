"""The rarer losses of PyTorch as functions, composed of existing ops (their backward comes
from those): Gaussian and Poisson negative log-likelihood, the hinge and margin losses of
embedding and multi-label learning, and the triplet losses of metric learning.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.soft_margin_loss(glassnet.tensor([0.0]), glassnet.tensor([1.0]))
tensor(0.6931)
"""

from __future__ import annotations

import math

import numpy as np

import glassnet
from glassnet.errors import ShapeError
from glassnet.nn.functional._loss_util import _check_input, _like, _reduction
from glassnet.nn.functional.activation import softplus
from glassnet.nn.functional.activation_smooth import logsigmoid
from glassnet.nn.functional.distance import pairwise_distance
from glassnet.tensor import Tensor

__all__ = [
    "gaussian_nll_loss",
    "poisson_nll_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(name, a, b, what="target"):
    if tuple(a.shape) != tuple(b.shape):
        raise ShapeError(
            f"{name}: the input has shape {tuple(a.shape)} but the {what} has shape "
            f"{tuple(b.shape)}; they must be the same."
        )


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under a normal distribution with mean ``input``
    and variance ``var``: ``0.5 * (log(var) + (input - target)**2 / var)`` (+ ``0.5*log(2 pi)``
    with ``full``). ``var`` may have the input's shape, lack its last dim, or have 1 there
    (one variance per sample); it is clamped to ``eps`` without blocking its gradient, as in
    PyTorch.

    >>> import glassnet
    >>> gaussian_nll_loss(glassnet.tensor([0.0]), glassnet.tensor([2.0]), glassnet.tensor([4.0]))
    tensor(1.1931)
    """
    name = "gaussian_nll_loss"
    reduction = _reduction(name, None, None, reduction)
    _check_input(name, input)
    target = _like(name, target, input)
    if not isinstance(var, Tensor):
        var = glassnet.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    var = _like(name, var, input, "var")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (ishape[:-1] == vshape[:-1] and vshape[-1:] == (1,)):
            raise ShapeError(
                f"{name}: var of shape {vshape} does not fit the input of shape {ishape}; "
                "give var the input's shape, the input's shape without its last dim, or that "
                "with a last dim of 1."
            )
    if bool((var < 0).any()):
        raise ValueError(f"{name}: var has negative entry/entries")
    # clamp the value but keep d/dvar = 1 (PyTorch clamps in place under no_grad)
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood of counts ``target`` under a Poisson distribution of rate
    ``exp(input)`` (``log_input``) or ``input``; ``full`` adds Stirling's approximation of
    ``log(target!)`` where ``target > 1``.

    >>> import glassnet
    >>> poisson_nll_loss(glassnet.tensor([0.0]), glassnet.tensor([2.0]))
    tensor(1.)
    """
    name = "poisson_nll_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    target = _like(name, target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target.detach()
        safe = glassnet.where(t > 1, target, glassnet.ones_like(t))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + glassnet.where(t > 1, stirling, glassnet.zeros_like(t))
    return _reduce(loss, reduction)


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1 (input is
    typically a distance between two embeddings).

    >>> import glassnet
    >>> hinge_embedding_loss(glassnet.tensor([0.3, 0.3]), glassnet.tensor([1.0, -1.0]),
    ...                      reduction="none")
    tensor([0.3000, 0.7000])
    """
    name = "hinge_embedding_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    target = _like(name, target, input)
    zeros = glassnet.zeros_like(input.detach())
    margin_part = glassnet.where(target != 1, (margin - input).clamp(min=0), zeros)
    self_part = glassnet.where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss ``log(1 + exp(-target * input))`` for targets in {1, -1}."""
    name = "soft_margin_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    target = _like(name, target, input)
    _same_shape(name, input, target)
    return _reduce(softplus(-target * input), reduction)


def _class_scores(name, input):
    if input.ndim not in (1, 2):
        raise ShapeError(
            f"{name}: expected scores of shape (C,) or (N, C), got shape {tuple(input.shape)}."
        )
    return input.unsqueeze(0) if input.ndim == 1 else input


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: ``target`` holds each sample's class indices, ended by the first
    -1; every (target class j, non-target class i) pair adds ``max(0, 1 - (x[j] - x[i]))``,
    divided by the number of classes.

    >>> import glassnet
    >>> multilabel_margin_loss(glassnet.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                        glassnet.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    name = "multilabel_margin_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    x = _class_scores(name, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(
            f"{name}: target must have the input's shape {tuple(input.shape)} (class indices "
            f"ended by -1), got {tuple(target.shape)}."
        )
    t = np.asarray(glassnet.backend.to_numpy(target._data)).reshape(x.shape).astype(np.int64)
    n, c = x.shape
    # the targets of a sample are its entries before the first -1
    valid = np.cumprod(t >= 0, axis=1).astype(bool)
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.repeat(np.arange(n)[:, None], c, axis=1)
    is_target[rows[valid], t[valid]] = True
    index = glassnet.tensor(np.where(valid, t, 0), device=input.device)
    picked = x.gather(1, index)  # x[y_j] per target slot j
    margins = (1 - picked.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # (n, j, i)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    xp = glassnet.backend.get_array_module(x._data)
    mask_t = Tensor._make(xp.asarray(mask.astype(x._data.dtype)))
    loss = (margins * mask_t).sum(dim=(1, 2)) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Per-class logistic loss averaged over the classes: targets are 0/1 per class."""
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    target = _like(name, target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _like(name, weight, input, "weight").detach()
    dim = input.ndim - 1
    loss = loss.sum(dim=dim) / input.shape[dim]
    return _reduce(loss, reduction)


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Multi-class hinge loss: ``sum over j != y of max(0, margin - x[y] + x[j]) ** p / C``,
    times ``weight[y]`` when given (``p`` is 1 or 2)."""
    name = "multi_margin_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    _check_input(name, input)
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 are supported, got p={p}")
    x = _class_scores(name, input)
    n, c = x.shape
    t = target.reshape(-1).long()
    if t.shape[0] != n:
        raise ShapeError(
            f"{name}: {n} samples in the input of shape {tuple(input.shape)} but "
            f"{t.shape[0]} targets (shape {tuple(target.shape)})."
        )
    picked = x.gather(1, t.unsqueeze(1))
    terms = (margin - picked + x).clamp(min=0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        w = _like(name, weight, input, "weight").detach()
        terms = terms * w[t].unsqueeze(1)
    xp = glassnet.backend.get_array_module(x._data)
    others = xp.ones((n, c), dtype=x._data.dtype)
    others[xp.arange(n), t._data] = 0  # the target class itself does not count
    loss = (terms * Tensor._make(others)).sum(dim=1) / c
    if input.ndim == 1:
        loss = loss.reshape(tuple(target.shape))  # (1,) or () as the target, as PyTorch
    return _reduce(loss, reduction)


def _triplet(name, anchor, positive, negative, distance, margin, swap, reduction):
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = glassnet.minimum(d_neg, distance(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with the p-norm
    distance; ``swap`` uses the smaller of d(a, n) and d(p, n)."""
    name = "triplet_margin_loss"
    reduction = _reduction(name, size_average, reduce, reduction)
    for what, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_input(name, t, what)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(
            f"{name}: anchor, positive and negative must have the same number of dims, got "
            f"shapes {tuple(anchor.shape)}, {tuple(positive.shape)}, {tuple(negative.shape)}."
        )

    def distance(a, b):
        return pairwise_distance(a, b, p, eps)

    return _triplet(name, anchor, positive, negative, distance, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """The triplet loss with any ``distance_function(x1, x2)`` (default: pairwise_distance)."""
    name = "triplet_margin_with_distance_loss"
    reduction = _reduction(name, None, None, reduction)
    distance = distance_function if distance_function is not None else pairwise_distance
    return _triplet(name, anchor, positive, negative, distance, margin, swap, reduction)
