"""``torch.backends.mps`` for glassnet: there is no Apple GPU backend, so both answers are False.

>>> from glassnet.backends import mps
>>> mps.is_available(), mps.is_built()
(False, False)
"""


def is_available() -> bool:
    """False: glassnet runs on the CPU (NumPy) and NVIDIA GPUs (CuPy) only."""
    return False


def is_built() -> bool:
    """False: glassnet has no Metal backend."""
    return False
