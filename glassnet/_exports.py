"""Gather the public names of a package's topic files into the package itself.

Each topic file lists what it exports in ``__all__``; a package such as ``glassnet.nn`` calls
``gather`` so that ``glassnet.nn.Linear`` works as in PyTorch while the code lives in
``glassnet/nn/linear.py``.

>>> namespace = {}
>>> modules = gather("glassnet.nn", ["padding"], namespace)
>>> "ZeroPad2d" in namespace, modules[0].__name__
(True, 'glassnet.nn.padding')
"""

from __future__ import annotations

import importlib


def gather(package, module_names, namespace):
    """Import ``package.<name>`` for each name and copy its ``__all__`` into ``namespace``."""
    modules = [importlib.import_module(f"{package}.{name}") for name in module_names]
    for module in modules:
        for public in getattr(module, "__all__", ()):
            namespace[public] = getattr(module, public)
    return modules
