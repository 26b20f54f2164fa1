"""The dtypes glassnet exposes, and PyTorch's rules for mixing them.

glassnet dtypes are NumPy dtypes, so ``glassnet.float32 == numpy.float32``. The defaults follow
PyTorch: Python floats become float32 and Python ints int64.

>>> promote(float32, int64) == float32      # NumPy would say float64
True
>>> scalar_result(int64, 2.5) == float32    # int tensor * python float
True
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")  # noqa: A001 - PyTorch's alias
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")  # noqa: A001
int64 = long = np.dtype("int64")
bool_ = np.dtype("bool")

# The names float and int are rebound above to dtypes (PyTorch's aliases), so keep the builtins.
_pyfloat = builtins.float
_pyint = builtins.int
_pybool = builtins.bool

_by_name = {
    "float16": float16,
    "half": float16,
    "float32": float32,
    "float": float32,
    "float64": float64,
    "double": float64,
    "int8": int8,
    "uint8": uint8,
    "int16": int16,
    "int32": int32,
    "int": int32,
    "int64": int64,
    "long": int64,
    "bool": bool_,
}

_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(dtype) -> None:
    """Choose the dtype Python floats become (float32 unless changed, as in PyTorch)."""
    global _default_float
    d = as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float = d


def as_dtype(dtype) -> np.dtype:
    """Accept a glassnet/NumPy dtype, a Python type or a name; return a NumPy dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        name = dtype.replace("glassnet.", "").replace("torch.", "")
        if name == "bfloat16":  # from ml_dtypes (the [amp] extra), imported on first use
            from glassnet.amp.bfloat16 import bfloat16

            return bfloat16
        try:
            return _by_name[name]
        except KeyError:
            raise TypeError(f"unknown dtype {dtype!r}; known: {sorted(_by_name)}") from None
    if dtype is _pyfloat:
        return _default_float
    if dtype is _pyint:
        return int64
    if dtype is _pybool:
        return bool_
    return np.dtype(dtype)


def is_floating(dtype) -> bool:
    return dtype.kind == "f" or dtype.name == "bfloat16"  # ml_dtypes' bfloat16 has kind "V"


def _category(dtype) -> int:
    # bool < integer < floating < complex, as in PyTorch's promotion lattice
    kind = "f" if dtype.name == "bfloat16" else dtype.kind
    return 2 if kind == "f" else (0 if kind == "b" else (3 if kind == "c" else 1))


def promote(a, b):
    """Result dtype of an op between two tensors, by PyTorch's rule.

    Within one category the wider type wins; across categories the higher category's type
    wins unchanged (int64 with float32 gives float32, not NumPy's float64).
    """
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def scalar_result(dtype, scalar):
    """Result dtype of tensor (dtype) combined with a Python scalar."""
    if isinstance(scalar, _pybool):
        return dtype
    if isinstance(scalar, _pyfloat):
        return dtype if dtype.kind in "fc" or dtype.name == "bfloat16" else _default_float
    if isinstance(scalar, _pyint):
        return int64 if dtype.kind == "b" else dtype
    if isinstance(scalar, complex):  # complex results come only from glassnet.fft's ops
        if dtype.kind == "c":
            return dtype
        return np.dtype("complex128" if dtype == float64 else "complex64")
    return dtype


def infer_dtype(data):
    """The dtype glassnet.tensor gives to Python data: float32 for floats, int64 for ints."""
    arr = np.asarray(data)
    k = arr.dtype.kind
    # NumPy arrays and scalars keep their dtype; Python numbers get PyTorch's defaults.
    numpy_typed = isinstance(data, (np.ndarray, np.generic))
    if k == "f":
        return arr.dtype if numpy_typed else _default_float
    if k in "iu":
        return arr.dtype if numpy_typed else int64
    if k == "b":
        return bool_
    raise TypeError(f"glassnet.tensor: cannot make a tensor from data of NumPy dtype {arr.dtype}")
