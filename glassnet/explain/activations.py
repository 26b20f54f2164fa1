"""What layers see: feature maps (a layer's outputs), first-layer filters (its weights), and
attention maps (the weights of each nn.MultiheadAttention).

>>> import glassnet
>>> from glassnet import nn
>>> conv = nn.Conv2d(3, 8, 5)
>>> first_layer_filters(nn.Sequential(conv, nn.ReLU())).shape
(8, 3, 5, 5)
"""

from __future__ import annotations

from glassnet.backend import to_numpy


def feature_maps(model, x, layers):
    """``{name: output array}`` of the given layers (modules or their paths) for input x."""
    import glassnet

    named = dict(model.named_modules())
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    found = {}
    handles = []
    for layer in layers:
        name = layer if isinstance(layer, str) else next(k for k, m in named.items() if m is layer)
        module = named[name]

        def hook(m, inputs, output, name=name):
            found[name] = to_numpy(output._data).copy()

        handles.append(module.register_forward_hook(hook))
    try:
        with glassnet.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return found


def first_layer_filters(model):
    """The weights of the model's first convolution (or Linear) layer as an array."""
    from glassnet import nn

    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            return to_numpy(m.weight._data).copy()
    raise ValueError("first_layer_filters: the model has no Conv or Linear layer")


def attention_maps(model, *inputs, **kwargs):
    """``{path: weights}`` of every nn.MultiheadAttention in the model for one forward pass
    (the weights averaged over heads, shape (N, L, S)), computed by calling each one again
    with ``need_weights=True`` on the inputs it received."""
    import glassnet
    from glassnet import nn

    found, handles = {}, []
    for path, m in model.named_modules():
        if isinstance(m, nn.MultiheadAttention):

            def hook(mod, args, output, path=path):
                if path not in found and len(args) >= 3:
                    _, w = nn.MultiheadAttention.forward(mod, *args[:3], need_weights=True)
                    found[path] = to_numpy(w._data).copy()

            handles.append(m.register_forward_hook(hook))
    try:
        with glassnet.no_grad():
            model(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return found
