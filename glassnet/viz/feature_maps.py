"""What a CNN's layers see: ``feature_maps(model, x)`` records the output of chosen layers for
an input (forward hooks, removed afterwards), ``feature_map_grid`` draws one layer's channels
as a PNG grid, and ``filters(conv)`` draws a first-layer convolution's kernels, where a
trained network shows edge and colour detectors; deeper layers' maps respond to parts.

>>> import glassnet
>>> from glassnet import nn
>>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3))
>>> maps = feature_maps(model, glassnet.randn(1, 1, 8, 8))
>>> {name: a.shape for name, a in maps.items()}
{'0': (1, 4, 6, 6), '1': (1, 4, 6, 6), '2': (1, 2, 4, 4)}
"""

from __future__ import annotations

import math

import numpy as np

import glassnet
from glassnet import nn
from glassnet._optional import require

__all__ = ["feature_maps", "feature_map_grid", "filters"]


def _default_layers(model):
    """Every leaf module whose output is an image-like map: convolutions, norms, activations
    and pools, in the order they were registered."""
    kinds = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.SiLU, nn.ReLU6)
    return [name for name, m in model.named_modules() if name and isinstance(m, kinds)]


def feature_maps(model, x, layers=None) -> dict:
    """Run ``model`` on ``x`` (no gradients, the model's current mode) and return
    ``{layer name: output array}`` for each layer in ``layers`` (dotted names such as
    ``"layer1.0.conv1"``; default: every conv, norm, activation and pool whose output is an
    (N, C, H, W) map). Layers the input
    does not pass through are left out. A layer called twice keeps its last output.
    """
    names = list(_default_layers(model) if layers is None else layers)
    modules = dict(model.named_modules())
    unknown = [n for n in names if n not in modules]
    if unknown:
        raise KeyError(
            f"feature_maps: no layer named {unknown} in {type(model).__name__}; layers look "
            f"like {[n for n in modules if n][:8]}"
        )
    found = {}

    def recorder(name):
        def hook(module, inputs, output):
            found[name] = np.array(output.detach().numpy(), copy=True)

        return hook

    handles = [modules[n].register_forward_hook(recorder(n)) for n in names]
    try:
        with glassnet.no_grad():
            model(x if isinstance(x, glassnet.Tensor) else glassnet.tensor(x))
    finally:
        for h in handles:
            h.remove()
    if layers is None:  # the default: maps only (not a classifier's flat activations)
        names = [n for n in names if n in found and found[n].ndim == 4]
    return {n: found[n] for n in names if n in found}


def _grid(images, path, title, cmap, columns=None):
    """Draw (K, H, W) or (K, H, W, 3) images in a grid and save a PNG to ``path``."""
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    k = len(images)
    columns = columns or int(math.ceil(math.sqrt(k)))
    rows = int(math.ceil(k / columns))
    fig = Figure(figsize=(1.2 * columns + 0.4, 1.2 * rows + 0.6))
    for i in range(rows * columns):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.set_axis_off()
        if i < k:
            ax.imshow(images[i], cmap=None if images[i].ndim == 3 else cmap)
    fig.suptitle(title)
    fig.savefig(path, dpi=80)
    return path


def feature_map_grid(maps, path, *, index=0, max_channels=64, title="feature maps"):
    """Draw the channels of one layer's maps (an array (N, C, H, W) from ``feature_maps``),
    example ``index``, at most ``max_channels`` of them, as a grid PNG at ``path``."""
    maps = np.asarray(maps)
    if maps.ndim != 4:
        raise ValueError(
            f"feature_map_grid: expected maps of shape (N, C, H, W), got {maps.shape}; pass "
            "one layer's entry of feature_maps(...)"
        )
    return _grid(maps[index, :max_channels], path, title, "viridis")


def filters(conv, path=None, *, max_filters=64, title=None):
    """The kernels of a convolution as images: ``(K, kh, kw, 3)`` in [0, 1] for a layer on RGB
    input (each filter scaled to its own range), ``(K, kh, kw)`` otherwise (channel 0). With
    ``path`` the grid is also saved as a PNG there.

    >>> from glassnet import nn
    >>> filters(nn.Conv2d(3, 8, 5)).shape
    (8, 5, 5, 3)
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(
            f"filters: expected an nn.Conv2d (for example model.conv1 or model.features[0]), "
            f"got {type(conv).__name__}"
        )
    w = conv.weight.detach().numpy()[:max_filters]
    if w.shape[1] == 3:
        images = w.transpose(0, 2, 3, 1)
        low = images.min(axis=(1, 2, 3), keepdims=True)
        span = images.max(axis=(1, 2, 3), keepdims=True) - low
        images = (images - low) / np.where(span > 0, span, 1.0)
    else:
        images = w[:, 0]
    if path is not None:
        _grid(images, path, title or f"{w.shape[0]} filters, {w.shape[2]}x{w.shape[3]}", "gray")
    return images
