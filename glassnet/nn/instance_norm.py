"""InstanceNorm1d/2d/3d: normalise each (sample, channel) over its spatial dims (style transfer,
GAN generators). By default no affine parameters and no running statistics, as in PyTorch.

>>> import glassnet
>>> from glassnet import nn
>>> nn.InstanceNorm2d(3)(glassnet.randn(2, 3, 4, 4)).shape
glassnet.Size([2, 3, 4, 4])
>>> sorted(nn.InstanceNorm1d(4, affine=True, track_running_stats=True).state_dict())
['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
"""

from __future__ import annotations

from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn.functional.instance_normalization import instance_norm
from glassnet.nn.normalization import _TrackedNorm

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_TrackedNorm):
    _spatial = 1

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = arg.check_size(name, "num_features", num_features)
        self.eps = arg.check_at_least(name, "eps", eps, 0, error=ValueError)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._affine_parameters(self.num_features, affine, True, device, dtype)
        self._running_stats_buffers(track_running_stats, device, dtype)

    def forward(self, input):
        batched = self._spatial + 2
        if input.ndim not in (batched, batched - 1):
            raise ShapeError(
                f"{type(self).__name__} expects a {batched - 1}-D (unbatched) or {batched}-D "
                f"input (N, C, {'L' if self._spatial == 1 else 'spatial dims'}), got shape "
                f"{tuple(input.shape)}."
            )
        unbatched = input.ndim == batched - 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ShapeError(
                f"{type(self).__name__}: expected input with {self.num_features} channels "
                f"(dim {0 if unbatched else 1}) but got shape {tuple(input.shape)}; set "
                f"num_features to {x.shape[1]}."
            )
        out = instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L) inputs."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or (C, H, W) inputs."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) or (C, D, H, W) inputs."""

    _spatial = 3
