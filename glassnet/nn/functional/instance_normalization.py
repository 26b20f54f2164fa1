"""Instance normalisation as a function: each (sample, channel) plane normalised on its own.

Composed of existing ops (mean, var, sqrt), so its backward comes from theirs.

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.instance_norm(glassnet.tensor([[[1.0, 3.0], [0.0, 4.0]]])).round(decimals=3)
tensor([[[-1.,  1.],
         [-1.,  1.]]])
"""

from __future__ import annotations

from glassnet import grad_mode
from glassnet.errors import ShapeError
from glassnet.nn.functional.normalization import _check_channels, _check_float

__all__ = ["instance_norm"]


def _per_channel(t, ndim):
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Normalise every (sample, channel) of an (N, C, ...) input over its spatial dims.

    With ``use_input_stats`` the statistics of each instance are used, and ``running_mean``/
    ``running_var`` (when given) move by ``momentum`` towards their average over the batch (the
    variance unbiased, as PyTorch); otherwise the running statistics normalise the input.
    """
    _check_float("instance_norm", input)
    if input.ndim < 3:
        raise ShapeError(
            f"instance_norm: expected an input of shape (N, C, L...) with at least one spatial "
            f"dim, got shape {tuple(input.shape)}."
        )
    channels = input.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_channels("instance_norm", what, t, channels, input)
    dims = tuple(range(2, input.ndim))
    spatial = input.numel() // max(input.shape[0] * channels, 1)
    if use_input_stats:
        if spatial <= 1:
            raise ValueError(
                "instance_norm: expected more than 1 spatial element when training, got input "
                f"of shape {tuple(input.shape)}."
            )
        mean = input.mean(dim=dims, keepdim=True)
        var = input.var(dim=dims, keepdim=True, correction=0)
        out = (input - mean) / (var + eps).sqrt()
        if running_mean is not None and running_var is not None:
            with grad_mode.no_grad():
                batch_mean = mean.detach().reshape(input.shape[0], channels).mean(dim=0)
                unbiased = var.detach().reshape(input.shape[0], channels) * (
                    spatial / (spatial - 1)
                )
                m = float(momentum)
                running_mean._data[...] = (1 - m) * running_mean._data + m * batch_mean._data
                running_var._data[...] = (1 - m) * running_var._data + m * unbiased.mean(
                    dim=0
                )._data
                running_mean._version[0] += 1
                running_var._version[0] += 1
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var must be given when "
                "use_input_stats=False."
            )
        mean = _per_channel(running_mean, input.ndim)
        var = _per_channel(running_var, input.ndim)
        out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * _per_channel(weight, input.ndim)
    if bias is not None:
        out = out + _per_channel(bias, input.ndim)
    return out
