"""PyTorch interop for the vision zoo: read ``.pt``/``.pth`` checkpoints safely, and move a model's
weights between glassnet and torchvision in both directions.

- ``load_torch_checkpoint(path)``: ``torch.load(path, weights_only=True)`` (PyTorch's restricted
  unpickler: tensors and plain containers only, never arbitrary objects), then the state_dict
  inside as glassnet tensors. Common wrappers are unpacked: ``{"state_dict": ...}``,
  ``{"model": ...}``, ``{"model_state_dict": ...}``, and the ``module.`` prefix DataParallel adds.
- ``from_torch(module)``: the glassnet twin of a torchvision zoo model, with its weights.
- ``to_torch(model)``: the torchvision twin of a glassnet zoo model, with its weights.

The twin is built by name: the architecture is the zoo model whose state_dict keys are the
model's (so a resnet34 is told from a resnet18), and ``num_classes`` is read from the output
layer. A file that fits no model gets an error listing the missing, unexpected and mismatched
keys and naming the architecture it looks like (see ``glassnet.models.vision.weights``).

torch is imported only inside these functions; glassnet itself never needs it.

>>> import glassnet.interop.torch as gt
>>> sorted(gt.__all__)
['from_torch', 'load_torch_checkpoint', 'to_torch', 'torch_state_dict']
"""

from __future__ import annotations

import os

import numpy as np

import glassnet
from glassnet._optional import require
from glassnet.models.vision import ZOO
from glassnet.models.vision.weights import check_fits, guess_architecture, signature

__all__ = ["load_torch_checkpoint", "from_torch", "to_torch", "torch_state_dict"]

# Where training scripts commonly put the state_dict inside a checkpoint dict.
_WRAPPERS = ("state_dict", "model_state_dict", "model", "net", "module")


def _torch():
    return require("torch", "torch")


def _torchvision():
    """Import torchvision. Some wheels of it are linked against another torch build, and their
    C++ operators (nms, roi_align) fail to register their fake kernels at import; the model
    definitions are pure Python, so the import is retried with that registration skipped."""
    try:
        return require("torchvision", "torch")
    except (RuntimeError, ImportError) as first:
        torch = _torch()
        real = torch.library.register_fake
        torch.library.register_fake = lambda *args, **kwargs: lambda fn=None, /, *a, **k: fn
        try:
            import torchvision
        except Exception:
            raise first from None
        finally:
            torch.library.register_fake = real
        return torchvision


def _to_glassnet(value, key):
    torch = _torch()
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"load_torch_checkpoint: entry {key!r} is a {type(value).__name__}, not a tensor; "
            "pass the state_dict (a dict of tensor names to tensors)"
        )
    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:  # NumPy has no bfloat16: widen it exactly
        value = value.float()
    return glassnet.tensor(np.array(value.numpy(), copy=True))  # 0-d stays 0-d


def _unwrap(obj, label):
    """The state_dict inside a checkpoint: a dict whose values are all tensors."""
    torch = _torch()
    for _ in range(3):  # {"model": {"state_dict": ...}} at most
        if not isinstance(obj, dict):
            break
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
        inner = next((obj[k] for k in _WRAPPERS if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = inner
    found = type(obj).__name__
    keys = f" with keys {sorted(map(str, obj))[:10]}" if isinstance(obj, dict) else ""
    raise TypeError(
        f"load_torch_checkpoint: {label} holds a {found}{keys}, not a state_dict; save the "
        f"model's state_dict (torch.save(model.state_dict(), path)), or a dict with it under "
        f"one of {list(_WRAPPERS)}"
    )


def load_torch_checkpoint(path, *, map_location="cpu") -> dict:
    """The state_dict of a PyTorch checkpoint as ``{name: glassnet.Tensor}``, read with
    ``torch.load(path, map_location=..., weights_only=True)``: a file that holds anything but
    tensors and plain containers is refused by PyTorch itself, so loading it runs no code.

    ``model.load_state_dict(load_torch_checkpoint(path))``, or
    ``glassnet.models.resnet18(weights=load_torch_checkpoint(path))`` for an error that lists
    the keys and names the architecture the file looks like when they do not fit.
    """
    torch = _torch()
    label = repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else "the file"
    obj = torch.load(path, map_location=map_location, weights_only=True)
    state = _unwrap(obj, label)
    if state and all(k.startswith("module.") for k in state):  # saved from DataParallel/DDP
        state = {k[len("module.") :]: v for k, v in state.items()}
    return {k: _to_glassnet(v, k) for k, v in state.items()}


def _architecture(state: dict, what: str) -> str:
    """The zoo architecture with exactly ``state``'s keys, or an error naming the closest."""
    arch, missing, unexpected = guess_architecture(state)
    if arch is not None and not missing and not unexpected:
        return arch
    if arch is None:
        raise ValueError(f"{what}: its state_dict keys match none of {sorted(ZOO)}")
    raise ValueError(
        f"{what}: its state_dict keys are closest to {arch} but differ: "
        f"{len(missing)} missing ({missing[:5]}), {len(unexpected)} unexpected "
        f"({unexpected[:5]}); pass arch= to say which architecture it is"
    )


def _num_classes(arch: str, shapes: dict) -> int:
    keys = [k for k, s in signature(arch).items() if k.endswith(".weight") and len(s) == 2]
    return int(shapes[keys[-1]][0])


def from_torch(module, *, arch: str | None = None):
    """The glassnet twin of a torchvision zoo model (same architecture, classes, dtype,
    weights and train/eval mode).

    ``arch`` (``"resnet18"``...) skips recognising the architecture from the keys.
    """
    torch = _torch()
    state = module.state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    arch = arch or _architecture(shapes, type(module).__name__)
    model = ZOO[arch](num_classes=_num_classes(arch, shapes))
    floats = [v.dtype for v in state.values() if v.is_floating_point()]
    if floats and floats[0] == torch.float64:
        model = model.to("float64")
    weights = {k: _to_glassnet(v, k) for k, v in state.items()}
    check_fits(model, weights, arch, f"the weights of the torch {type(module).__name__}")
    model.load_state_dict(weights, strict=True)
    return model.train(module.training)


def torch_state_dict(model) -> dict:
    """A glassnet model's state_dict as ``{name: torch.Tensor}`` (copies), ready for
    ``torch_module.load_state_dict`` or ``torch.save``."""
    torch = _torch()
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}


def to_torch(model, *, arch: str | None = None):
    """The torchvision twin of a glassnet zoo model (same architecture, classes, dtype, weights
    and train/eval mode), built with torchvision's constructor of the same name."""
    torch, torchvision = _torch(), _torchvision()
    state = torch_state_dict(model)
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    arch = arch or _architecture(shapes, type(model).__name__)
    twin = getattr(torchvision.models, arch)(weights=None, num_classes=_num_classes(arch, shapes))
    floats = [v.dtype for v in state.values() if v.is_floating_point()]
    if floats and floats[0] == torch.float64:
        twin = twin.double()
    twin.load_state_dict(state, strict=True)
    return twin.train(model.training)
