"""lr_find: the learning-rate range test (Smith 2015, as fastai runs it). Train for a short
while with a learning rate that grows exponentially from ``start_lr`` to ``end_lr``, record a
smoothed loss, stop once it blows up, and suggest a learning rate: where the loss falls
fastest ('steepest') and the middle of the longest stretch where it keeps falling
('valley'). The model's weights and the optimizer's state are put back afterwards.

>>> import glassnet
>>> from glassnet import nn, optim
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.randn(256, 4); y = x @ glassnet.tensor([[1.0], [-2.0], [0.5], [3.0]])
>>> model = nn.Linear(4, 1)
>>> result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
...                  [(x[i:i + 32], y[i:i + 32]) for i in range(0, 256, 32)])
>>> 1e-3 < result.suggestion < 1.0
True
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from glassnet.train.batches import call_model, split_batch, to_device


@dataclass
class LRFindResult:
    """The sweep: ``lrs``, ``losses`` (smoothed) and ``raw_losses``; ``steepest`` and
    ``valley`` suggestions; ``suggestion`` is the valley (the safer of the two)."""

    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    raw_losses: list = field(default_factory=list)
    steepest: float = float("nan")
    valley: float = float("nan")

    @property
    def suggestion(self) -> float:
        return self.valley if math.isfinite(self.valley) else self.steepest

    def plot(self, path=None):
        """A matplotlib Figure of loss against learning rate (log scale) with the two
        suggestions marked; written as a PNG to ``path`` when given."""
        from glassnet._optional import require

        figure = require("matplotlib.figure", "viz")
        fig = figure.Figure(figsize=(6, 4))
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        for value, name, style in ((self.steepest, "steepest", "--"), (self.valley, "valley", ":")):
            if math.isfinite(value):
                ax.axvline(value, linestyle=style, color="k", label=f"{name} {value:.2g}")
        ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def _steepest(lrs, losses):
    """The learning rate where the smoothed loss falls fastest against log(lr), looked for
    before the loss's minimum (after it the curve is the blow-up)."""
    end = int(np.argmin(losses)) + 1
    if end < 3:
        return float("nan")
    slope = np.gradient(np.asarray(losses[:end]), np.log(np.asarray(lrs[:end])))
    return float(lrs[int(np.argmin(slope))])


def _valley(lrs, losses):
    """The longest run of (not necessarily adjacent) points with falling loss; the learning
    rate a bit past its middle, where the loss still falls but well before the blow-up."""
    n = len(losses)
    if n < 3:
        return float("nan")
    length = [1] * n
    best_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
        if length[i] > length[best_end]:
            best_end = i
    start = best_end - length[best_end] + 1
    span = best_end - start
    return float(lrs[start + span // 2 + span // 6])


def lr_find(
    model,
    loss_fn,
    optimizer,
    data,
    start_lr=1e-7,
    end_lr=10.0,
    num_iter=100,
    smooth=0.98,
    diverge=4.0,
    device=None,
):
    """Run the range test and return an ``LRFindResult``. ``data``: batches (cycled when
    shorter than ``num_iter``); ``smooth``: the exponential moving average's weight;
    ``diverge``: stop when the smoothed loss exceeds this multiple of its best. Weights,
    buffers, the optimizer's state and its learning rates are restored afterwards."""
    from glassnet.train.trainer import resolve_loss

    loss_fn = resolve_loss(loss_fn)
    tensors = dict(model.named_parameters())
    tensors.update({f"buffer:{k}": v for k, v in model.named_buffers()})
    saved_model = {k: t._data.copy() for k, t in tensors.items()}
    saved_opt = copy.deepcopy(optimizer.state_dict())
    training = model.training
    result = LRFindResult()
    if device is None:
        device = next(iter(tensors.values())).device if tensors else "cpu"
    ratio = (end_lr / start_lr) ** (1.0 / max(num_iter - 1, 1))
    try:
        model.train()
        avg, best = 0.0, math.inf
        for i, batch in enumerate(_cycle(data, num_iter)):
            lr = start_lr * ratio**i
            for g in optimizer.param_groups:
                g["lr"] = lr
            inputs, targets = split_batch(batch)
            inputs, targets = to_device(inputs, device), to_device(targets, device)
            optimizer.zero_grad()
            loss = loss_fn(call_model(model, inputs), targets)
            loss.backward()
            optimizer.step()
            value = loss.item()
            if not math.isfinite(value):
                break
            avg = smooth * avg + (1 - smooth) * value
            smoothed = avg / (1 - smooth ** (i + 1))  # the moving average without its bias
            result.lrs.append(lr)
            result.raw_losses.append(value)
            result.losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge * best:
                break
    finally:
        for k, t in tensors.items():
            t._data[...] = saved_model[k]  # in place: every reference sees the old values
        optimizer.load_state_dict(saved_opt)
        optimizer.zero_grad()
        model.train(training)
    if not result.lrs:
        raise ValueError("lr_find: the data gave no batches (or the first loss was not finite)")
    result.steepest = _steepest(result.lrs, result.losses)
    result.valley = _valley(result.lrs, result.losses)
    return result


def _cycle(data, n):
    """``n`` batches from ``data``, starting it again when it runs out."""
    given = 0
    while given < n:
        empty = True
        for batch in data:
            empty = False
            yield batch
            given += 1
            if given >= n:
                return
        if empty:
            return
