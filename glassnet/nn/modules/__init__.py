"""``glassnet.nn.modules``: PyTorch's ``torch.nn.modules`` paths for glassnet's layers.

``from torch.nn.modules.batchnorm import _BatchNorm`` or ``torch.nn.modules.conv.Conv2d``
name the same classes as ``glassnet.nn``; each file re-exports the layers PyTorch keeps there.

>>> import glassnet
>>> from glassnet.nn.modules.linear import Linear
>>> Linear is glassnet.nn.Linear is glassnet.nn.modules.Linear
True
>>> isinstance(glassnet.nn.BatchNorm2d(3), glassnet.nn.modules.batchnorm._BatchNorm)
True
"""

import importlib as _importlib

from glassnet.nn.modules._paths import TORCH_FILES as _FILES

__all__ = []
for _file in [*_FILES, "utils"]:
    _module = _importlib.import_module(f"glassnet.nn.modules.{_file}")
    globals()[_file] = _module
    if _file != "utils":
        for _name in _module.__all__:
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
del _file, _module, _name
