"""The check behind the validation tables: a row makes a layer (or calls a function) and runs it
on a fitting input, in PyTorch and in glassnet.

The claim for every row: PyTorch raises if and only if glassnet raises, and glassnet's exception
is an instance of PyTorch's class (so the ``except`` a PyTorch user writes catches it). PyTorch
often accepts a bad setting in the constructor and fails on the first call; glassnet fails in
the constructor, which the same ``except`` still catches. Rows where PyTorch succeeds make sure
the checks do not refuse what PyTorch allows.
"""

import torch
import torch.nn.functional as TF

import glassnet


def zeros_of(lib):
    """``zeros(*shape)`` of float32 in PyTorch or glassnet."""
    if lib is torch:
        return lambda *shape: torch.zeros(*shape)
    return lambda *shape: glassnet.zeros(*shape)


def outcome(run):
    """The exception ``run()`` raises, or None."""
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        return exc
    return None


def assert_raises_as_pytorch(label, run, nn, F):
    """``run(nn, F, zeros, lib)`` raises in glassnet exactly when it does in PyTorch, with a
    class PyTorch's ``except`` catches."""
    expected = outcome(lambda: run(torch.nn, TF, zeros_of(torch), torch))
    got = outcome(lambda: run(nn, F, zeros_of(glassnet), glassnet))
    if expected is None:
        assert got is None, f"{label}: PyTorch accepts it, glassnet raised {got!r}"
        return
    assert got is not None, f"{label}: PyTorch raises {expected!r}, glassnet did not"
    assert isinstance(got, type(expected)), (
        f"{label}: glassnet raised {type(got).__name__} ({got}), which an `except "
        f"{type(expected).__name__}` (PyTorch's class) does not catch"
    )
