"""Grad-CAM (Selvaraju et al. 2017): where in the image a CNN layer's evidence for a class
sits. The layer's feature maps are weighted by the spatial mean of the class score's
gradient with respect to them, summed over channels and passed through a ReLU.

>>> import glassnet
>>> from glassnet import nn
>>> _ = glassnet.manual_seed(0)
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
...                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
>>> grad_cam(net, glassnet.randn(2, 1, 8, 8), net[0], target=1).shape
(2, 8, 8)
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import to_numpy
from glassnet.explain.gradients import _score


def grad_cam(model, x, layer, target=None, upsample=True):
    """Grad-CAM maps, one per sample: ``(N, H, W)`` at the input's size with ``upsample``
    (bilinear), else at ``layer``'s resolution (as Captum's LayerGradCam)."""
    import glassnet
    from glassnet.nn import functional as F

    kept = {}

    def hook(module, inputs, output):
        kept["a"] = output

    handle = layer.register_forward_hook(hook)
    was = model.training
    model.eval()
    try:
        with glassnet.enable_grad():
            out = model(x.detach())
            acts = kept["a"]
            (grads,) = glassnet.autograd.grad(_score(out, target), acts)
    finally:
        handle.remove()
        model.train(was)
    a, g = to_numpy(acts._data), to_numpy(grads._data)
    weights = g.mean(axis=(2, 3), keepdims=True)
    cam = np.maximum((weights * a).sum(axis=1, keepdims=True), 0)
    if upsample and cam.shape[2:] != tuple(x.shape[2:]):
        cam = to_numpy(
            F.interpolate(
                glassnet.tensor(cam),
                size=tuple(x.shape[2:]),
                mode="bilinear",
                align_corners=False,
            )._data
        )
    return cam[:, 0]
