"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2017): a softmax over a large vocabulary split into
a frequent head and rarer clusters, each cluster behind a smaller projection. The same modules
and ``state_dict`` keys as PyTorch (``head.weight``, ``tail.0.0.weight``, ``tail.0.1.weight``,
...), so weights move between the two.

>>> import glassnet
>>> from glassnet import nn
>>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs=[5, 12])
>>> out = asm(glassnet.randn(4, 8), glassnet.tensor([0, 6, 13, 19]))
>>> out.output.shape, out.loss.shape
(glassnet.Size([4]), glassnet.Size([]))
>>> asm.log_prob(glassnet.randn(2, 8)).exp().sum(dim=1).round(decimals=4).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import glassnet
from glassnet import backend
from glassnet.errors import ShapeError
from glassnet.nn.containers import ModuleList, Sequential
from glassnet.nn.linear import Linear
from glassnet.nn.module import Module
from glassnet.ops.shape_join import cat
from glassnet.tensor import Tensor

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """``forward(input (N, in_features), target (N,))`` -> ``(output, loss)``: each target's
    log-probability and the mean negative log-likelihood. ``cutoffs`` (increasing, below
    ``n_classes``) split the classes; cluster i's projection has
    ``in_features // div_value ** (i + 1)`` features."""

    def __init__(
        self,
        in_features,
        n_classes,
        cutoffs,
        div_value=4.0,
        head_bias=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        cutoffs = list(cutoffs)
        if (
            len(cutoffs) == 0
            or cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of unique, positive "
                f"integers sorted in an increasing order, where each value is between 1 and "
                f"n_classes-1 ({n_classes - 1}); got {cutoffs}"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = dict(device=device, dtype=dtype)
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, **kw), Linear(hsz, osz, bias=False, **kw)
                )
            )

    def reset_parameters(self):
        """Fresh weights for the head and every cluster, as nn.Linear draws them."""
        self.head.reset_parameters()
        for seq in self.tail:
            for layer in seq:
                layer.reset_parameters()

    def forward(self, input, target):
        batched = input.ndim == 2
        if input.ndim not in (1, 2) or target.ndim != input.ndim - 1:
            raise ShapeError(
                "AdaptiveLogSoftmaxWithLoss: expected input (N, in_features) with target (N,), "
                f"or input (in_features,) with a 0-D target; got {tuple(input.shape)} and "
                f"{tuple(target.shape)}"
            )
        x = input if batched else input.unsqueeze(0)
        t = np.asarray(backend.to_numpy(target._data)).reshape(-1).astype(np.int64)
        if x.shape[0] != t.size:
            raise ShapeError(
                f"AdaptiveLogSoftmaxWithLoss: input and target should have the same size in the "
                f"batch dimension, got {x.shape[0]} and {t.size}"
            )
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise IndexError(
                "AdaptiveLogSoftmaxWithLoss: target values should be in "
                f"[0, {self.n_classes - 1}], "
                f"got values from {t.min()} to {t.max()}"
            )
        n = t.size
        xp = backend.get_array_module(x._data)
        gather = t.copy()
        output = None
        bounds = [0] + self.cutoffs
        for i in range(1, len(bounds) - 1):
            rows = np.nonzero((t >= bounds[i]) & (t < bounds[i + 1]))[0]
            if rows.size == 0:
                continue
            gather[rows] = self.shortlist_size + i - 1
            sub = x[glassnet.tensor(rows, device=x.device)]
            logp = self.tail[i - 1](sub).log_softmax(dim=1)
            rel = glassnet.tensor(t[rows] - bounds[i], device=x.device).unsqueeze(1)
            local = logp.gather(1, rel).squeeze(1)
            # put the cluster's log-probabilities back at their rows (a constant 0/1 matrix)
            place = np.zeros((n, rows.size), dtype=x._data.dtype)
            place[rows, np.arange(rows.size)] = 1
            part = Tensor._make(xp.asarray(place)) @ local
            output = part if output is None else output + part
        head = self.head(x).log_softmax(dim=1)
        index = glassnet.tensor(gather, device=x.device).unsqueeze(1)
        head_part = head.gather(1, index).squeeze(1)
        output = head_part if output is None else head_part + output
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, x, head):
        parts = [head[:, : self.shortlist_size]]
        for i, seq in enumerate(self.tail):
            cluster = seq(x).log_softmax(dim=1)
            parts.append(cluster + head[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input):
        """The log-probabilities of every class: (N, n_classes) (or (n_classes,))."""
        x = input if input.ndim == 2 else input.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x).log_softmax(dim=1))
        return out if input.ndim == 2 else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each row (N,) (or a 0-D tensor)."""
        return self.log_prob(input).argmax(dim=-1)

    def extra_repr(self):
        return ""
