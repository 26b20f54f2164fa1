"""Losses as Modules, with PyTorch's names, constructor arguments and reprs.

Each holds its options (``reduction`` and the loss's own) and calls the function of the same
name in ``glassnet.nn.functional``. Class weights are buffers, so ``.to(device)`` moves them and
``state_dict()`` saves them, as in PyTorch.

>>> import glassnet
>>> from glassnet import nn
>>> loss_fn = nn.CrossEntropyLoss()
>>> loss_fn(glassnet.tensor([[0.0, 0.0]]), glassnet.tensor([1]))
tensor(0.6931)
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn import functional as F
from glassnet.nn.functional._loss_util import _reduction
from glassnet.nn.module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CTCLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
]


class _Loss(Module):
    """Base of the losses: the reduction ('none', 'mean' or 'sum'), from the deprecated
    size_average/reduce flags when those are given."""

    allowed = ("none", "mean", "sum")

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _reduction(
            type(self).__name__, size_average, reduce, reduction, self.allowed
        )


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error between prediction and target (regression).

    >>> import glassnet
    >>> MSELoss()(glassnet.tensor([1.0, 3.0]), glassnet.tensor([1.0, 1.0]))
    tensor(2.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error between prediction and target.

    >>> import glassnet
    >>> L1Loss(reduction="sum")(glassnet.tensor([1.0, 3.0]), glassnet.tensor([0.0, 1.0]))
    tensor(3.)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above (less sensitive to outliers).

    >>> import glassnet
    >>> SmoothL1Loss(beta=2.0)(glassnet.tensor([1.0]), glassnet.tensor([0.0]))
    tensor(0.2500)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        # PyTorch refuses a negative beta on the first call (RuntimeError): refuse it here
        self.beta = arg.check_at_least("SmoothL1Loss", "beta", beta, 0)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below ``delta``, delta-scaled absolute error above.

    >>> import glassnet
    >>> HuberLoss(delta=0.5)(glassnet.tensor([2.0]), glassnet.tensor([0.0]))
    tensor(0.8750)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = arg.check_at_least("HuberLoss", "delta", delta, 0, strict=True)

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross entropy for classification: raw scores (N, C, ...) against class indices
    (N, ...) or class probabilities. Do not put a softmax before it.

    >>> import glassnet
    >>> CrossEntropyLoss(label_smoothing=0.1)
    CrossEntropyLoss()
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index=-100,
        reduce=None,
        reduction="mean",
        label_smoothing=0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = arg.check_int(
            "CrossEntropyLoss", "ignore_index", ignore_index, minimum=None
        )
        # PyTorch refuses label_smoothing > 1 on the first call (RuntimeError) and silently
        # accepts a negative one, which would reward confident wrong answers
        arg.check_probability(
            "CrossEntropyLoss", "label_smoothing", label_smoothing, error=arg.InvalidArgumentError
        )
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (after LogSoftmax).

    >>> import glassnet
    >>> NLLLoss()(glassnet.tensor([[-0.5, -1.0]]), glassnet.tensor([1]))
    tensor(1.)
    """

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities in [0, 1] (after a sigmoid). BCEWithLogitsLoss on
    raw scores is the stable choice.

    >>> import glassnet
    >>> BCELoss()(glassnet.tensor([0.5]), glassnet.tensor([1.0]))
    tensor(0.6931)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy on raw scores, stable for any logit. ``pos_weight``
    weighs positives (for example negatives / positives for an imbalanced label).

    >>> import glassnet
    >>> BCEWithLogitsLoss()(glassnet.tensor([0.0]), glassnet.tensor([0.0]))
    tensor(0.6931)
    """

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class KLDivLoss(_Loss):
    """KL divergence between a target distribution and log-probabilities ``input``; use
    reduction='batchmean' for the per-sample KL divergence.

    >>> import glassnet
    >>> KLDivLoss(reduction="sum")(glassnet.tensor([0.0]), glassnet.tensor([1.0]))
    tensor(0.)
    """

    allowed = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss for unaligned sequences (speech, handwriting):
    ``log_probs`` (T, N, C) from log_softmax, targets, and the lengths of both.

    >>> import glassnet
    >>> lp = glassnet.zeros(2, 1, 2).log_softmax(2)
    >>> round(CTCLoss()(lp, glassnet.tensor([[1]]), [2], [1]).item(), 4)
    0.2877
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        # PyTorch refuses a negative blank on the first call (RuntimeError): refuse it here
        self.blank = arg.check_int("CTCLoss", "blank", blank)
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )


class CosineEmbeddingLoss(_Loss):
    """Learn embeddings whose cosine similarity is high for target 1 and at most ``margin`` for
    target -1.

    >>> import glassnet
    >>> x = glassnet.tensor([[1.0, 0.0]])
    >>> CosineEmbeddingLoss()(x, x, glassnet.tensor([1]))
    tensor(0.)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class MarginRankingLoss(_Loss):
    """Learn to rank: target 1 wants input1 above input2 by ``margin``, -1 the reverse.

    >>> import glassnet
    >>> MarginRankingLoss(margin=1.0)(glassnet.tensor([1.0]), glassnet.tensor([0.5]),
    ...                               glassnet.tensor([1.0]))
    tensor(0.5000)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )
