"""glassnet.nn.functional: the layers as functions (``import glassnet.nn.functional as F``).

One file per topic; each lists its functions in ``__all__`` and they are gathered here.
"""

import importlib as _importlib

_FUNCTIONAL_MODULES = [
    "activation",
    "linear",
    "conv",
    "pooling",
    "normalization",
    "dropout",
    "sparse",
    "vision",
    "distance",
    "attention",
    "loss",
]

for _name in _FUNCTIONAL_MODULES:
    _module = _importlib.import_module(f"glassnet.nn.functional.{_name}")
    for _public in getattr(_module, "__all__", ()):
        globals()[_public] = getattr(_module, _public)
