"""The kernels' doctests need numba (the [jit] extra): without it, pytest leaves them out
instead of failing to import them; the NumPy paths they replace are tested either way."""

import importlib.util

collect_ignore = (
    []
    if importlib.util.find_spec("numba")
    else ["exp32.py", "gelu.py", "tanh32.py", "lstm_cell.py", "layer_norm.py", "batch_norm.py"]
)
