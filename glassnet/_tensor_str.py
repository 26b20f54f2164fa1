"""How a tensor prints: the same layout as PyTorch, so printed output reads the same in both.

Floats print with 4 decimals (``1.5000``), or as ``1.`` when every value is whole, or in
scientific notation when the magnitudes span more than 1000x (or always/never, after
``glassnet.set_printoptions(sci_mode=True/False)``); long tensors are summarised with
``...``; the dtype is shown unless it is a default one.

>>> import glassnet
>>> glassnet.tensor([[1.5, 2.0], [3.0, 4.0]])
tensor([[1.5000, 2.0000],
        [3.0000, 4.0000]])
>>> glassnet.tensor([1.0, 2.0], dtype=glassnet.float64)
tensor([1., 2.], dtype=glassnet.float64)
>>> glassnet.zeros(2, 0)
tensor([], size=(2, 0))
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend, dtypes

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE = None  # None: chosen from the values; True/False: forced (set_printoptions)


class _Formatter:
    """Chooses one width and one style (integer, fixed or scientific) for every element."""

    def __init__(self, values: np.ndarray):
        # bfloat16 (from ml_dtypes) is a float that NumPy files under kind "V"
        self.floating = values.dtype.kind == "f" or values.dtype.name == "bfloat16"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        absolute = np.abs(finite)
        lo, hi = float(absolute.min()), float(absolute.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if SCI_MODE is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(SCI_MODE)
        if self.sci_mode:
            strings = [f"{v:.{PRECISION}e}" for v in finite.tolist()]
        elif self.int_mode:
            strings = [f"{v:.0f}." for v in finite.tolist()]
        else:
            strings = [f"{v:.{PRECISION}f}" for v in finite.tolist()]
        self.max_width = max(len(s) for s in strings)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summary(values: np.ndarray) -> np.ndarray:
    """The corners PyTorch shows of a big tensor (what the formatter must fit)."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * EDGEITEMS:
        parts = [_summary(v) for v in values[:EDGEITEMS]] + [
            _summary(v) for v in values[-EDGEITEMS:]
        ]
    else:
        parts = [_summary(v) for v in values]
    if values.ndim == 1:
        return np.array([p for p in parts], dtype=values.dtype).reshape(-1)
    return np.concatenate([p.reshape(-1) for p in parts]) if parts else values.reshape(-1)


def _vector(values, indent, summarize, fmt) -> str:
    per_line = max(1, math.floor((LINEWIDTH - indent) / (fmt.max_width + 2)))
    items = values.tolist()
    if summarize and len(items) > 2 * EDGEITEMS:
        data = [fmt.format(v) for v in items[:EDGEITEMS]] + [" ..."]
        data += [fmt.format(v) for v in items[-EDGEITEMS:]]
    else:
        data = [fmt.format(v) for v in items]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(values, indent, summarize, fmt) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt)
    n = values.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = [_body(values[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
        rows += ["..."]
        rows += [_body(values[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)]
    else:
        rows = [_body(values[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_tensor(values: np.ndarray, prefix: str = "tensor(", indent: int = 7) -> str:
    """The text between ``tensor(`` and the suffixes, as PyTorch lays it out."""
    if values.size == 0:
        return "[]"
    summarize = values.size > THRESHOLD
    fmt = _Formatter(_summary(values) if summarize else values)
    return _body(values, indent, summarize, fmt)


def tensor_repr(t):
    """``repr(tensor)``: the values, then what differs from the defaults (device, dtype, grad)."""
    data = t._data
    body = format_tensor(backend.to_numpy(data))
    extras = []
    if backend.is_cuda_array(data):
        extras.append("device='cuda:0'")
    dtype = data.dtype
    if data.size == 0:
        if data.shape != (0,):
            extras.append(f"size={tuple(data.shape)}")
        if dtype != dtypes.get_default_dtype():
            extras.append(f"dtype=glassnet.{_dtype_name(dtype)}")
    elif dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
        extras.append(f"dtype=glassnet.{_dtype_name(dtype)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def tensor_format(t, format_spec):
    """``format(tensor, spec)``, as PyTorch: a 0-d tensor formats as its Python number
    (``f"{loss:.4f}"``); any other tensor only with an empty spec (its str), else TypeError."""
    from glassnet.tensor import Tensor  # (tensor.py imports this module)

    if t._data.ndim == 0 and type(t) is Tensor:
        return backend.to_numpy(t._data).item().__format__(format_spec)
    if format_spec:
        raise TypeError(
            f"unsupported format string passed to Tensor.__format__: {format_spec!r} on a "
            f"tensor of shape {tuple(t._data.shape)}; a format spec needs a 0-d tensor "
            "(loss.item() or t.sum()), or format the elements: [f'{v:.4f}' for v in "
            "t.tolist()]"
        )
    return str(t)


def _dtype_name(dtype):
    return "bool" if dtype == dtypes.bool_ else str(dtype)
