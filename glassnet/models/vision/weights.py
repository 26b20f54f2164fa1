"""``weights=`` for the zoo's constructors: None (random initialisation), a path to a
safetensors file (written by glassnet.save, by the safetensors library or by any other tool;
read with ``glassnet.load``, never pickle), or a state_dict. A file whose keys or shapes do
not fit gets an error listing them and naming the zoo architecture the file looks like.

>>> from glassnet.models.vision.resnet import resnet18
>>> model = resnet18(num_classes=2)
>>> again = resnet18(num_classes=2, weights=model.state_dict())
>>> bool((again.fc.weight == model.fc.weight).all())
True
"""

from __future__ import annotations

import os

import glassnet
from glassnet.errors import ShapeError

_SIGNATURES: dict = {}  # architecture -> {key: shape}, built on first need (VGG takes seconds)


class WeightsMismatchError(ShapeError, KeyError):
    """A state_dict that does not fit a zoo model: its missing, unexpected and mismatched keys,
    and the architecture its keys look like."""

    def __str__(self):  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


def signature(arch: str) -> dict:
    """{state_dict key: shape} of the zoo architecture ``arch`` at 1000 classes."""
    if arch not in _SIGNATURES:
        from glassnet.models.vision import ZOO

        kwargs = {"init_weights": False} if arch.startswith("vgg") else {}
        model = ZOO[arch](**kwargs)
        _SIGNATURES[arch] = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    return _SIGNATURES[arch]


def _shape(value):
    return tuple(getattr(value, "shape", ()))


def guess_architecture(state: dict):
    """The zoo architecture whose key set is closest to ``state``'s: (name, missing,
    unexpected), where the two lists say how the file's keys differ from that architecture's.
    Only architectures with the same top-level module names are built and compared.

    >>> from glassnet.models.vision import resnet18
    >>> guess_architecture(resnet18(num_classes=3).state_dict())[0]
    'resnet18'
    """
    from glassnet.models.vision import ZOO

    keys = set(state)
    tops = {k.split(".")[0] for k in keys}
    resnet_tops = {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"}
    best = None
    # VGG's signatures take seconds to build (its 100M-parameter classifier): tried last, and
    # the search stops at the first exact match.
    for arch in sorted(ZOO, key=lambda a: a.startswith("vgg")):
        expected_tops = resnet_tops if arch.startswith("resnet") else {"features", "classifier"}
        if not tops & expected_tops:
            continue
        theirs = signature(arch)
        score = len(keys & set(theirs)) / len(keys | set(theirs))
        if best is None or score > best[0]:
            missing = [k for k in theirs if k not in keys]
            best = (score, arch, missing, [k for k in state if k not in theirs])
        if score == 1.0:
            break
    if best is None or best[0] < 0.5:
        return None, [], []
    return best[1], best[2], best[3]


def _head_classes(arch: str, shapes: dict):
    """The number of classes of the output layer in {key: shape} with ``arch``'s keys."""
    keys = [k for k, s in signature(arch).items() if k.endswith(".weight") and len(s) == 2]
    last = keys[-1] if keys else None
    return shapes[last][0] if last in shapes and len(shapes[last]) == 2 else None


def check_fits(model, state: dict, arch: str, source: str = "the weights") -> None:
    """Raise WeightsMismatchError naming every missing, unexpected and mismatched key of
    ``state`` for ``model`` (the zoo architecture ``arch``) and what the file looks like."""
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    shapes = {k: _shape(v) for k, v in state.items()}
    missing = [k for k in own if k not in shapes]
    unexpected = [k for k in shapes if k not in own]
    mismatched = [
        f"{k}: {shapes[k]} in the file, {own[k]} in the model"
        for k in own
        if k in shapes and shapes[k] != own[k]
    ]
    if not (missing or unexpected or mismatched):
        return
    lines = [f"{arch}: {source} do not fit the model."]

    def listed(title, items):
        if items:
            more = f" (and {len(items) - 20} more)" if len(items) > 20 else ""
            lines.append(f"{title} ({len(items)}): " + ", ".join(items[:20]) + more)

    listed("missing keys", missing)
    listed("unexpected keys", unexpected)
    listed("shape mismatches", mismatched)
    like, _, _ = guess_architecture(state)
    if like is None:
        lines.append("The keys look like none of the zoo's architectures.")
    elif like != arch:
        lines.append(f"The keys look like {like}: build glassnet.models.{like}(...) instead.")
    elif not missing and not unexpected:
        classes = _head_classes(arch, shapes)
        if classes is not None and classes != _head_classes(arch, own):
            lines.append(
                f"Only the output layer differs: the file has {classes} classes; build "
                f"glassnet.models.{arch}(num_classes={classes}, weights=...) (then "
                "model.replace_head(n) for a new task)."
            )
    raise WeightsMismatchError("\n  ".join(lines))


def load_weights(model, weights, arch: str):
    """Load ``weights`` into ``model`` strictly (every key and shape must match) and return it."""
    if weights is None:
        return model
    source = "the weights"
    if isinstance(weights, (str, os.PathLike)):
        source = f"the weights in {os.fspath(weights)!r}"
        weights = glassnet.load(weights)
    if not isinstance(weights, dict):
        raise TypeError(
            f"{arch}: weights should be None, a file path or a state_dict, "
            f"got {type(weights).__name__}"
        )
    check_fits(model, weights, arch, source)
    model.load_state_dict(weights, strict=True)
    return model
