"""Losses over classes: cross_entropy and nll_loss over class dim 1 (any number of spatial dims),
and ctc_loss, which scores per-frame class log-probabilities against unaligned label sequences.

The checks here catch the classic mistakes (a target of shape (N, 1), float class indices,
labels beyond the model's output size, a single-output model) with the fix in the message.

>>> import glassnet
>>> from glassnet.nn.functional import cross_entropy
>>> cross_entropy(glassnet.tensor([[0.0, 0.0, 0.0]]), glassnet.tensor([2])).item() > 1.09
True
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.errors import DTypeError, ShapeError
from glassnet.nn.functional._loss_util import (
    _check_input,
    _constant,
    _like,
    _reduction,
    _same_device,
)
from glassnet.ops import ctc as _ctc
from glassnet.ops import loss as ops
from glassnet.ops.low_precision import bfloat16_in_float32
from glassnet.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "ctc_loss"]


def _class_args(name, input, target, weight, ignore_index, allow_probs):
    """Check a (N, C, d1, ...) input against its target; return (target, weight array)."""
    _check_input(name, input)
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected a Tensor as target, got {type(target).__name__}")
    _same_device(name, target, input, "target")
    shape, tshape = input._data.shape, target._data.shape
    if not shape:
        raise ShapeError(
            f"{name}: the input is a 0-d tensor; expected scores of shape (N, C) "
            "(or (C,) for one sample, or (N, C, d1, ...))."
        )
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    kind = target._data.dtype.kind
    if kind == "f":
        if not allow_probs:
            raise DTypeError(
                f"{name}: target must hold class indices (an integer tensor of shape "
                f"{expected}), got dtype {target.dtype}. Convert it with target.long(); for "
                "class-probability targets use cross_entropy(logits, probs)."
            )
        if tshape != shape:
            if tshape == expected:
                raise DTypeError(
                    f"{name}: target of shape {tshape} has float dtype {target.dtype}: class "
                    "indices must be integers, so convert with target.long(). (A float target "
                    f"is read as class probabilities and must have the input's shape {shape}.)"
                )
            raise ShapeError(
                f"{name}: a float target is read as class probabilities and must have the "
                f"input's shape {shape}, got {tshape}. For class indices pass an integer "
                f"tensor of shape {expected}."
            )
        target = _like(name, target, input)
    elif kind in "iu":
        if tshape != expected:
            raise ShapeError(
                f"{name}: for an input of shape {shape} (N, C, d1, ...) the "
                f"class-index target must have shape {expected}, got "
                f"{tshape}. " + _target_hint(tshape, expected, shape)
            )
        _check_class_range(name, target._data, n_classes, ignore_index, shape)
    else:
        raise DTypeError(
            f"{name}: target must be integer class indices (or float "
            f"probabilities), got dtype {target.dtype}; use target.long()."
        )
    if weight is not None and weight._data.shape != (n_classes,):
        raise ShapeError(
            f"{name}: weight must have one entry per class, shape ({n_classes},), "
            f"got {tuple(weight.shape)}."
        )
    return target, _constant(name, weight, input, "weight")


def _target_hint(tshape, expected, shape):
    for i, n in enumerate(tshape):
        if n == 1 and tshape[:i] + tshape[i + 1 :] == expected:
            return (
                f"It has an extra dim of size 1: use target.squeeze({i}) (or "
                f"target.view(-1) for 2-d) to get shape {expected}."
            )
    if tshape == shape:
        return (
            "It has the input's shape, so it looks one-hot encoded: pass class indices "
            "with target.argmax(1), or class probabilities with target.float()."
        )
    return "Check that the target lines up with the batch (and spatial) dims of the input."


def _check_class_range(name, t, n_classes, ignore_index, shape):
    if t.size == 0:
        return
    # Viewed as unsigned, a negative label is huge: one reduction checks both ends.
    unsigned = t if t.dtype.kind == "u" else t.view(t.dtype.str.replace("i", "u"))
    if int(unsigned.max()) < n_classes:
        return
    bad = ((t < 0) | (t >= n_classes)) & (t != ignore_index)
    if not bool(bad.any()):
        return
    value = int(t[bad].ravel()[0])
    top = int(t.max())
    raise ShapeError(
        f"{name}: target contains class {value} but the input of shape {shape} has "
        f"{n_classes} classes (dim 1), so classes must be in 0..{n_classes - 1}. "
        + (
            f"Make the model output {top + 1} units, or renumber the labels to start at 0."
            if value >= n_classes
            else "Labels must be >= 0 (or equal to ignore_index)."
        )
    )


@bfloat16_in_float32
def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Softmax cross entropy between raw scores (logits) ``input`` (N, C, d1, ...) and class
    indices (N, d1, ...) or class probabilities (input's shape), in one stable fused op.

    ``weight`` (C,) rescales classes, ``ignore_index`` skips targets, ``label_smoothing`` mixes
    the target with the uniform distribution.

    >>> import glassnet
    >>> logits = glassnet.tensor([[0.0, 0.0], [0.0, 0.0]])
    >>> cross_entropy(logits, glassnet.tensor([0, 1]))
    tensor(0.6931)
    """
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}."
        )
    if isinstance(input, Tensor) and input.ndim and input.shape[1 if input.ndim > 1 else 0] == 1:
        raise ShapeError(
            f"cross_entropy: the input of shape {tuple(input.shape)} has a single class (dim "
            "1), so softmax is always 1 and the loss is always 0: nothing would be learned. "
            "For a yes/no problem use binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss) "
            "with float 0/1 targets of the input's shape; for C classes make the model output "
            "C units."
        )
    target, w = _class_args("cross_entropy", input, target, weight, ignore_index, True)
    return ops.ClassLoss.apply(
        input, target, w, reduction, ignore_index, float(label_smoothing), True
    )


@bfloat16_in_float32
def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """Negative log-likelihood of class indices, given log-probabilities ``input`` (N, C, ...)
    (for example from log_softmax); cross_entropy = log_softmax + nll_loss.

    >>> import glassnet
    >>> nll_loss(glassnet.tensor([[-1.0, -2.0], [-3.0, -4.0]]), glassnet.tensor([0, 1]))
    tensor(2.5000)
    """
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    target, w = _class_args("nll_loss", input, target, weight, ignore_index, False)
    return ops.ClassLoss.apply(input, target, w, reduction, ignore_index, 0.0, False)


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    """Connectionist Temporal Classification: the negative log-likelihood of ``targets`` summed
    over every alignment to the frames of ``log_probs`` (T, N, C) (log_softmax outputs).

    ``targets`` is padded (N, S) or all targets concatenated (sum(target_lengths),); the lengths
    are tensors or lists. 'mean' divides each loss by its target length, then averages.

    >>> import glassnet
    >>> lp = glassnet.zeros(3, 1, 2).log_softmax(2)
    >>> round(ctc_loss(lp, glassnet.tensor([[1]]), [3], [1], reduction="sum").item(), 4)
    0.2877
    """
    name = "ctc_loss"
    reduction = _reduction(name, None, None, reduction)
    _check_input(name, log_probs, "log_probs")
    if log_probs.ndim not in (2, 3):
        raise ShapeError(
            f"{name}: log_probs must have shape (T, N, C) (or (T, C) for one "
            f"sequence), got {tuple(log_probs.shape)}."
        )
    xp = backend.get_array_module(log_probs._data)
    device = backend.device_of(log_probs._data)
    batched = log_probs.ndim == 3
    n_time, n_classes = log_probs.shape[0], log_probs.shape[-1]
    batch = log_probs.shape[1] if batched else 1
    lengths = [
        _lengths(name, what, v, batch, batched, device)
        for what, v in (("input_lengths", input_lengths), ("target_lengths", target_lengths))
    ]
    il, tl = lengths
    if not 0 <= blank < n_classes:
        raise ValueError(f"{name}: blank must be a class in 0..{n_classes - 1}, got {blank}.")
    if batch and (int(il.max()) > n_time or int(il.min()) < 0):
        raise ShapeError(
            f"{name}: input_lengths must be in 0..{n_time} (log_probs has T = "
            f"{n_time} frames), got {backend.to_numpy(il).tolist()}."
        )
    if batch and int(tl.min()) < 0:
        raise ShapeError(
            f"{name}: target_lengths must be >= 0, got {backend.to_numpy(tl).tolist()}."
        )
    if not isinstance(targets, Tensor) or targets._data.dtype.kind not in "iu":
        raise DTypeError(
            f"{name}: targets must be an integer tensor of class indices, got "
            f"{getattr(targets, 'dtype', type(targets).__name__)}; use .long()."
        )
    t = backend.to_device(targets._data, device).astype(xp.int64, copy=False)
    padded_ndim = 2 if batched else 1
    if t.ndim == padded_ndim and (not batched or t.shape[0] == batch):
        width = t.shape[-1]
        if batch and int(tl.max()) > width:
            raise ShapeError(
                f"{name}: target_lengths {backend.to_numpy(tl).tolist()} exceed the "
                f"padded targets' length {width} (targets shape {tuple(t.shape)})."
            )
        padded = t if batched else t[None]
    elif t.ndim == 1 and batched:
        total = int(tl.sum())
        if t.shape[0] < total:
            raise ShapeError(
                f"{name}: concatenated targets have {t.shape[0]} labels but "
                f"target_lengths sum to {total}."
            )
        width = int(tl.max()) if batch else 0
        starts = xp.cumsum(tl) - tl
        pos = xp.arange(width)[None]
        index = xp.minimum(starts[:, None] + pos, max(t.shape[0] - 1, 0))
        padded = xp.where(pos < tl[:, None], t[index] if t.size else blank, blank)
    else:
        raise ShapeError(
            f"{name}: targets of shape {tuple(t.shape)} do not fit log_probs of "
            f"shape {tuple(log_probs.shape)}: expected padded (N, S) = ({batch}, S) "
            "targets or all targets concatenated in one 1-d tensor."
        )
    if not batched:
        padded, il, tl = padded[0], il.reshape(()), tl.reshape(())
    return _ctc.CTC.apply(log_probs, padded, il, tl, int(blank), reduction, bool(zero_infinity))


def _lengths(name, what, value, batch, batched, device):
    array = value._data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "iu":
        raise DTypeError(f"{name}: {what} must be integers, got dtype {array.dtype}.")
    array = backend.to_device(array.astype(np.int64, copy=False).reshape(-1), device)
    if array.shape[0] != batch:
        raise ShapeError(
            f"{name}: {what} must have one entry per sequence ({batch}"
            f"{'' if batched else ', unbatched'}), got {array.shape[0]}."
        )
    return array
