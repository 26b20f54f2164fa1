"""The kernels' doctests need numba (the [jit] extra): without it, pytest leaves the kernel
modules out instead of failing to import them; the NumPy paths they replace are tested
either way."""

import importlib.util
from pathlib import Path

_KERNEL_MODULES = [p.name for p in Path(__file__).parent.glob("*.py") if p.stem != "conftest"]
collect_ignore = (
    []
    if importlib.util.find_spec("numba")
    else [name for name in _KERNEL_MODULES if name != "__init__.py"]
)
