"""``import torch`` resolved to glassnet: an import hook, and proxies that note what is missing.

``install()`` puts a finder first on ``sys.meta_path``. ``torch`` and every ``torch.X.Y`` then
import as a proxy of ``glassnet``/``glassnet.X.Y`` (``torchvision`` as glassnet's small stand-in
in :mod:`glassnet.as_torch.vision`). A proxy hands out the real glassnet objects, so
``isinstance(x, torch.Tensor)`` and ``torch.nn.Linear`` are glassnet's own; it only records each
torch name that glassnet lacks, for the report at the end of a run.

>>> import sys
>>> aliases = TorchAliases()
>>> aliases.install()
>>> import torch
>>> torch.nn.Linear is __import__("glassnet").nn.Linear
True
>>> hasattr(torch, "no_such_function")
False
>>> aliases.missing
['torch.no_such_function']
>>> aliases.uninstall()
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

# torch module paths whose glassnet home has another name
RENAMED = {
    "torchvision": "glassnet.as_torch.vision",
    "torch.onnx": "glassnet.as_torch.onnx",  # torch.onnx.export's signature over glassnet.onnx
}
# The top-level names this hook answers for.
ROOTS = ("torch", "torchvision")


def glassnet_name(torch_name: str) -> str:
    """The glassnet module that stands for a torch module path.

    >>> glassnet_name("torch.nn.functional"), glassnet_name("torchvision.transforms")
    ('glassnet.nn.functional', 'glassnet.as_torch.vision.transforms')
    >>> glassnet_name("torch.onnx")
    'glassnet.as_torch.onnx'
    """
    renamed = _renamed(torch_name)
    if renamed is not None:
        rest = torch_name[len(renamed) :]
        return RENAMED[renamed] + rest
    head, _, rest = torch_name.partition(".")
    return f"glassnet.{rest}" if rest else "glassnet"


def _renamed(torch_name):
    """The RENAMED path that ``torch_name`` is (or lies under), or None."""
    for old in sorted(RENAMED, key=len, reverse=True):
        if torch_name == old or torch_name.startswith(old + "."):
            return old
    return None


class TorchModule(types.ModuleType):
    """A torch module path backed by a glassnet module: reads and writes go to the real module;
    a name it lacks is recorded and raises AttributeError naming the torch path."""

    def __init__(self, torch_name, real, aliases):
        super().__init__(torch_name, real.__doc__)
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "_aliases", aliases)
        # Every proxy is a package, so ``import torch.a.b`` asks the finder for the child.
        object.__setattr__(self, "__path__", [])
        object.__setattr__(self, "__file__", getattr(real, "__file__", None))

    def __getattr__(self, name):
        real = object.__getattribute__(self, "_real")
        try:
            value = getattr(real, name)
        except AttributeError:
            if name.startswith("__") and name.endswith("__"):
                raise
            full = f"{self.__name__}.{name}"
            # Maybe a submodule not yet imported (torch.utils before ``import torch.utils``).
            child = self._aliases.proxy(full)
            if child is not None:
                return child
            self._aliases.note_missing(full)
            raise AttributeError(
                f"module '{self.__name__}' has no attribute '{name}': glassnet has no "
                f"{full} yet (run with `glassnet as-torch` to see every missing name)"
            ) from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith("glassnet"):
            return self._aliases.proxy(f"{self.__name__}.{name}", value) or value
        return value

    def __setattr__(self, name, value):
        if name.startswith("__") and name.endswith("__"):  # __spec__, __loader__: the import's own
            object.__setattr__(self, name, value)
        else:
            setattr(object.__getattribute__(self, "_real"), name, value)

    def __delattr__(self, name):
        delattr(object.__getattribute__(self, "_real"), name)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_real"))

    def __repr__(self):
        return f"<module '{self.__name__}' (glassnet's {self._real.__name__})>"


class TorchAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The finder and loader for torch module paths, and the record of missing names."""

    def __init__(self):
        self.missing: list[str] = []
        self._saved: dict[str, types.ModuleType] = {}

    # -- the record ---------------------------------------------------------------------------
    def note_missing(self, torch_name: str) -> None:
        if torch_name not in self.missing:
            self.missing.append(torch_name)

    # -- install and remove -------------------------------------------------------------------
    def install(self) -> None:
        """Resolve ``torch``/``torchvision`` to glassnet from now on (a real torch already
        imported is set aside until :meth:`uninstall`)."""
        for name in list(sys.modules):
            if name.split(".")[0] in ROOTS:
                self._saved[name] = sys.modules.pop(name)
        sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in [n for n in sys.modules if n.split(".")[0] in ROOTS]:
            del sys.modules[name]
        sys.modules.update(self._saved)
        self._saved.clear()

    # -- the proxies --------------------------------------------------------------------------
    def proxy(self, torch_name: str, real=None):
        """The proxy module for ``torch_name`` (made and registered once), or None when glassnet
        has no module there."""
        known = sys.modules.get(torch_name)
        if isinstance(known, TorchModule):
            return known
        if real is not None and _renamed(torch_name) and real.__name__ != glassnet_name(torch_name):
            real = None  # torch.onnx stands for its own module, not glassnet's attribute onnx
        if real is None:
            try:
                real = importlib.import_module(glassnet_name(torch_name))
            except ModuleNotFoundError as exc:
                if exc.name and glassnet_name(torch_name).startswith(exc.name):
                    return None
                raise
        module = TorchModule(torch_name, real, self)
        sys.modules[torch_name] = module
        return module

    # -- importlib's finder and loader protocol -----------------------------------------------
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in ROOTS:
            return None
        try:
            found = importlib.util.find_spec(glassnet_name(fullname)) is not None
        except ModuleNotFoundError:  # a parent package is missing too
            found = False
        if not found:
            self.note_missing(fullname)
            raise ModuleNotFoundError(
                f"No module named '{fullname}': glassnet has no {glassnet_name(fullname)} "
                f"standing in for it yet",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec):
        return TorchModule(spec.name, importlib.import_module(glassnet_name(spec.name)), self)

    def exec_module(self, module):
        pass  # the real glassnet module is already imported and running
