"""The ``torch.<name>`` spellings of functional ops whose arguments differ from their
``torch.nn.functional`` namesakes: the losses take the reduction as an integer code (0 'none',
1 'mean', 2 'sum'), batch_norm and instance_norm take weight and bias first, embedding takes the
weight first, and the dropout_ variants work in place. Installed into ``glassnet`` by
``install``.

>>> import glassnet
>>> glassnet.hinge_embedding_loss(glassnet.tensor([0.5]), glassnet.tensor([-1.0]), 1.0, 0)
tensor([0.5000])
"""

from __future__ import annotations

import importlib

from glassnet.nn.functional import channel_shuffling as _shuffle
from glassnet.nn.functional import classification_loss as _classification
from glassnet.nn.functional import conv as _conv
from glassnet.nn.functional import embedding_bags as _bag
from glassnet.nn.functional import instance_normalization as _instance
from glassnet.nn.functional import loss as _loss
from glassnet.nn.functional import loss_margin as _margin
from glassnet.nn.functional import normalization as _norm
from glassnet.nn.functional import pooling as _pooling
from glassnet.nn.functional import sparse as _sparse

_dropout = importlib.import_module("glassnet.nn.functional.dropout")

__all__: list = []  # installed into glassnet, not gathered into F

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(name, code):
    if isinstance(code, str):
        return code
    if code not in _REDUCTIONS:
        raise ValueError(
            f"torch.{name}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {code}"
        )
    return _REDUCTIONS[code]


def batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True
):
    """``torch.batch_norm``: ``F.batch_norm`` with weight and bias first."""
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input,
    weight,
    bias,
    running_mean,
    running_var,
    use_input_stats,
    momentum,
    eps,
    cudnn_enabled=True,
):
    """``torch.instance_norm``: ``F.instance_norm`` with weight and bias first."""
    return _instance.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding``: ``F.embedding`` with the weight first (padding_idx -1: none)."""
    return _sparse.embedding(
        indices,
        weight,
        None if padding_idx is None or padding_idx < 0 else padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )


def kl_div(input, target, reduction=1, *, log_target=False):
    """``torch.kl_div`` (reduction 1 is the mean over elements)."""
    return _loss.kl_div(
        input, target, reduction=_reduction("kl_div", reduction), log_target=log_target
    )


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """``torch.binary_cross_entropy_with_logits``."""
    return _loss.binary_cross_entropy_with_logits(
        input,
        target,
        weight,
        reduction=_reduction("binary_cross_entropy_with_logits", reduction),
        pos_weight=pos_weight,
    )


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.cosine_embedding_loss``."""
    return _loss.cosine_embedding_loss(
        input1, input2, target, margin, reduction=_reduction("cosine_embedding_loss", reduction)
    )


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.margin_ranking_loss``."""
    return _loss.margin_ranking_loss(
        input1, input2, target, margin, reduction=_reduction("margin_ranking_loss", reduction)
    )


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """``torch.hinge_embedding_loss``."""
    return _margin.hinge_embedding_loss(
        input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction)
    )


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss`` (every argument required, as in PyTorch)."""
    return _margin.poisson_nll_loss(
        input, target, log_input, full, eps=eps, reduction=_reduction("poisson_nll_loss", reduction)
    )


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=1
):
    """``torch.triplet_margin_loss``."""
    return _margin.triplet_margin_loss(
        anchor,
        positive,
        negative,
        margin,
        p,
        eps,
        swap,
        reduction=_reduction("triplet_margin_loss", reduction),
    )


def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False
):
    """``torch.ctc_loss``."""
    return _classification.ctc_loss(
        log_probs,
        targets,
        input_lengths,
        target_lengths,
        blank,
        _reduction("ctc_loss", reduction),
        zero_infinity,
    )


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d`` (stride empty: the kernel size)."""
    stride = (
        None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride
    )
    return _pooling.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def _inplace_dropout(fn):
    def inplace(input, p, train):
        return fn(input, p, train, True)

    inplace.__name__ = fn.__name__ + "_"
    inplace.__doc__ = f"``torch.{inplace.__name__}``: {fn.__name__} in place."
    return inplace


def _feature_dropout_(input, p, train):
    """``torch.feature_dropout_``: feature_dropout in place."""
    _dropout._check("feature_dropout_", input, p)
    return _dropout._feature_dropout("feature_dropout_", input, p, train, True, True)


FUNCTIONS = {
    "batch_norm": batch_norm,
    "instance_norm": instance_norm,
    "embedding": embedding,
    "embedding_bag": _bag.torch_embedding_bag,
    "rms_norm": _norm.rms_norm,
    "kl_div": kl_div,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cosine_embedding_loss": cosine_embedding_loss,
    "margin_ranking_loss": margin_ranking_loss,
    "hinge_embedding_loss": hinge_embedding_loss,
    "poisson_nll_loss": poisson_nll_loss,
    "triplet_margin_loss": triplet_margin_loss,
    "ctc_loss": ctc_loss,
    "conv3d": _conv.conv3d,
    "conv_transpose3d": _conv.conv_transpose3d,
    "max_pool3d": max_pool3d,
    "channel_shuffle": _shuffle.channel_shuffle,
    "dropout_": _inplace_dropout(_dropout.dropout),
    "alpha_dropout_": _inplace_dropout(_dropout.alpha_dropout),
    "feature_alpha_dropout_": _inplace_dropout(_dropout.feature_alpha_dropout),
    "feature_dropout_": _feature_dropout_,
}


def install(namespace):
    """Add the functions to ``namespace`` (the ``glassnet`` package), leaving defined names."""
    from glassnet.nn.functional import rnn_functional

    for name, fn in {**FUNCTIONS, **rnn_functional.FUNCTIONS}.items():
        namespace.setdefault(name, fn)
