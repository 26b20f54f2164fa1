"""``torch.backends.cudnn`` for glassnet: settable flags with PyTorch's defaults.

glassnet does not use cuDNN (its GPU convolutions are CuPy matrix products), so
``is_available()`` is False and the flags only record what a program sets. ``deterministic``
holds anyway: glassnet's kernels give the same result on every run.

>>> from glassnet.backends import cudnn
>>> cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32
(True, False, False, True)
>>> with cudnn.flags(enabled=False):
...     cudnn.enabled
False
>>> cudnn.enabled
True
"""

from __future__ import annotations

import contextlib
import sys

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """False: glassnet never calls cuDNN."""
    return False


def version():
    """None, as PyTorch answers when cuDNN is not there."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=True, **_):
    """Set the flags inside a ``with`` block and restore them after, as PyTorch's does."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = {n: getattr(module, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, deterministic, allow_tf32)):
        setattr(module, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(module, n, v)
