"""glassnet.summary: a table of a model's layers with each one's output shape and parameter
count, found by running one example input through the model with forward hooks.

>>> import glassnet
>>> from glassnet import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> s = summary(model, (1, 4))
>>> [(r.path, r.output_shape, r.params) for r in s.rows]
[('0', '[1, 8]', 40), ('1', '[1, 8]', 0), ('2', '[1, 2]', 18)]
>>> s.total_params, s.trainable_params
(58, 58)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet import backend, dtypes
from glassnet.grad_mode import no_grad
from glassnet.tensor import Tensor


@dataclass
class LayerRow:
    """One call of one layer: its path in the model, its type, output shape and the number of
    parameters in it (its sublayers' included)."""

    path: str
    type: str
    depth: int
    params: int
    output_shape: str = "?"


class ModelSummary:
    """What ``summary`` returns: ``rows`` (LayerRow per layer call, in call order), the
    parameter totals, and, printed, the table."""

    def __init__(self, model, rows, input_shapes, failed=None):
        self.model_name = type(model).__name__
        self.rows = rows
        self.input_shapes = input_shapes
        self.failed = failed
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.non_trainable_params = self.total_params - self.trainable_params
        self.params_bytes = sum(p.numel() * p.element_size() for p in params)

    def __str__(self):
        header = ("Layer (path)", "Type", "Output shape", "Params")
        body = [
            ("  " * (r.depth - 1) + r.path, r.type, r.output_shape, f"{r.params:,}")
            for r in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(4)]

        def fmt(line):
            left = "  ".join(cell.ljust(w) for cell, w in zip(line[:3], widths))
            return f"{left}  {line[3].rjust(widths[3])}"

        rule = "=" * len(fmt(header))
        inputs = ", ".join(str(s) for s in self.input_shapes)
        lines = [f"{self.model_name} (input: {inputs})", rule, fmt(header), rule]
        lines += [fmt(line) for line in body]
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Params size: {_size(self.params_bytes)}",
            rule,
        ]
        if self.failed is not None:
            lines.append(f"(the table stops at '{self.failed}', which failed on this input)")
        return "\n".join(lines)

    __repr__ = __str__


def summary(model, input_size=None, dtype=None, device=None, *, input_data=None):
    """Run an example input through ``model`` and tabulate its layers.

    ``input_size``: the input's full shape, batch included, e.g. ``(1, 3, 32, 32)``; a list of
    shapes for a model with several inputs. ``dtype``: the input dtype (float32 by default; give
    an integer dtype for embedding models, whose example input is then all zeros), one per input
    if several. ``device``: where to run (the model is moved there). ``input_data``: real
    tensors to use instead of a made-up input. The model runs in eval mode without gradients and
    its mode is restored. If a layer fails, the error shows the table up to that layer and the
    layer's own message.
    """
    device = backend.normalize_device(device) if device is not None else _model_device(model)
    if device is not None:
        model.to(device)
    device = device or "cpu"
    inputs = _example_inputs(input_size, dtype, device, input_data)
    counts = {id(m): sum(p.numel() for p in m.parameters()) for m in model.modules()}
    rows: list[LayerRow] = []
    open_rows: list[LayerRow] = []
    handles = []
    for path, module in model.named_modules():
        if module is model:
            continue

        def before(mod, args, path=path):
            row = LayerRow(path, type(mod).__name__, path.count(".") + 1, counts[id(mod)])
            rows.append(row)
            open_rows.append(row)

        def after(mod, args, output):
            open_rows.pop().output_shape = _shape_text(output)

        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    except Exception as exc:
        failing = open_rows[-1] if open_rows else None
        if failing is not None:
            failing.output_shape = "FAILED"
        where = f"layer '{failing.path}' ({failing.type})" if failing else "the model"
        table = ModelSummary(
            model, rows, [tuple(t.shape) for t in inputs], failing.path if failing else None
        )
        message = str(exc.args[0]) if exc.args else repr(exc)
        exc.args = (
            f"glassnet.summary: {where} failed on the example input "
            f"{[tuple(t.shape) for t in inputs]}. The layers up to it:\n{table}\n"
            f"The error from {where}: {message}",
            *exc.args[1:],
        )
        raise
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    return ModelSummary(model, rows, [tuple(t.shape) for t in inputs])


def _model_device(model):
    for p in model.parameters():
        return backend.device_of(p._data)
    return None


def _example_inputs(input_size, dtype, device, input_data):
    if input_data is not None:
        data = input_data if isinstance(input_data, (tuple, list)) else (input_data,)
        return [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t)) for t in data]
    if input_size is None:
        raise ValueError(
            "glassnet.summary: give input_size (the input's shape, batch "
            "included, e.g. (1, 3, 32, 32)) or input_data"
        )
    shapes = input_size if input_size and isinstance(input_size[0], (tuple, list)) else [input_size]
    kinds = dtype if isinstance(dtype, (tuple, list)) else [dtype] * len(shapes)
    if len(kinds) != len(shapes):
        raise ValueError(f"glassnet.summary: {len(shapes)} input shapes but {len(kinds)} dtypes")
    # A generator of its own, so that a summary never changes what glassnet.manual_seed gives.
    rng = np.random.default_rng(0)
    out = []
    for shape, kind in zip(shapes, kinds):
        kind = dtypes.as_dtype(kind) if kind is not None else dtypes.get_default_dtype()
        shape = tuple(int(s) for s in shape)
        array = (
            rng.standard_normal(shape).astype(kind)
            if kind.kind == "f"
            else np.zeros(shape, dtype=kind)
        )
        out.append(Tensor._make(backend.to_device(array, device)))
    return out


def _shape_text(output):
    if isinstance(output, Tensor):
        return str(list(output.shape))
    if isinstance(output, (tuple, list)):
        parts = [_shape_text(o) for o in output]
        return "(" + ", ".join(parts) + ")"
    if isinstance(output, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in output.items()) + "}"
    return type(output).__name__


def _size(nbytes):
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{nbytes} B"
        nbytes /= 1024
    return f"{nbytes:.1f} GB"
