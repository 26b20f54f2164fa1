"""The ONNX graph under construction: value names, initializers and nodes.

Converters (``glassnet/onnx/converters*.py``) read one traced op and call ``Graph.add`` to emit
its ONNX nodes. A tensor or array the forward made from the graph's inputs has a value name; any
other tensor an op reads (a parameter, a buffer, a mask built from constants) becomes an
initializer holding its value, named after its state_dict key where it has one.
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require
from glassnet.tensor import Tensor


class Graph:
    """Names, nodes and initializers of one export; ``values`` maps ``id`` of a traced tensor
    (and of its array) to its ONNX value name."""

    def __init__(self, opset: int, param_names: dict):
        self.onnx = require("onnx", "onnx")
        self.helper = self.onnx.helper
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.values = {}
        self.param_names = param_names  # id(parameter or buffer) -> state_dict key
        self._constants = {}  # id(tensor or array) -> initializer name
        self._keep = []  # objects whose id is a key above: keep them alive so ids stay unique
        self._used = set()
        self.inputs = []  # (name, array) of the graph inputs, for _input_copy
        self.batch = None  # (input name, example size) when axis 0 of an input is dynamic
        self.parts = {}  # fused recurrent ops: handle -> ONNX values of their parts
        self.path = ""  # the layer path of the op being converted, for node names

    # ---- names ----
    def fresh(self, hint: str) -> str:
        base = hint.replace(".", "_") or "v"
        name, i = base, 1
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._used.add(name)
        return name

    def bind(self, obj, name: str, fn=None) -> None:
        """Make ``obj`` (a Tensor: also its array) and the graph node ``fn`` that made it the
        value ``name``."""
        self._keep.append(obj)
        self.values[id(obj)] = name
        if isinstance(obj, Tensor):
            self._keep.append(obj._data)
            self.values.setdefault(id(obj._data), name)
        if fn is not None:
            self._keep.append(fn)
            self.values[id(fn)] = name

    def lookup(self, obj):
        """The value name of a traced tensor or array, or None. A tensor is found by its graph
        node first: an in-place op (``ReLU(inplace=True)``) leaves the same Tensor object
        holding a new value, made by a new node."""
        if isinstance(obj, Tensor):
            fn = obj.grad_fn
            if fn is not None and id(fn) in self.values:
                return self.values[id(fn)]
            name = self.values.get(id(obj)) or self.values.get(id(obj._data))
            return name or self._view_of(obj._data) or self._input_copy(obj._data)
        if isinstance(obj, np.ndarray):
            return self.values.get(id(obj)) or self._view_of(obj) or self._input_copy(obj)
        return None

    def _view_of(self, array):
        """A Reshape of the traced value that ``array`` is a reshaped view of, or None: a
        forward may reshape a value that needs no gradient outside any op (a padding mask's
        ``reshape`` or ``unsqueeze``), and the view must still follow the value. Only a view
        of all of it, in the same order (same start, size, C order); a leading dim equal to
        the value's own batch dim stays dynamic."""
        base = getattr(array, "base", None)
        if not isinstance(base, np.ndarray) or id(base) not in self.values:
            return None
        same = (
            array.size == base.size
            and array.flags.c_contiguous
            and base.flags.c_contiguous
            and array.__array_interface__["data"][0] == base.__array_interface__["data"][0]
        )
        if not same:
            return None
        source = self.values[id(base)]
        if array.shape == base.shape:
            return source
        shape = list(array.shape)
        if array.ndim and base.ndim and self.batch is not None:
            if array.shape[0] == base.shape[0] == self.batch[1]:
                shape[0] = 0  # ONNX Reshape: 0 copies the input's dim, the batch
        name = self.add("Reshape", [source, self.ints(shape)])
        self.bind(array, name)
        return name

    def _input_copy(self, array):
        """The graph input that ``array`` is a copy of, or None: a forward may copy an input
        outside any op (``glassnet.as_tensor(ids)``), and the copy must still follow the input.
        Recognised by equal shape, dtype and values (random example inputs make a chance match
        with a true constant vanishingly unlikely)."""
        for name, data in self.inputs:
            if (
                array.shape == data.shape
                and array.dtype == data.dtype
                and array.size
                and np.array_equal(array, data)
            ):
                return name
        return None

    def is_traced(self, obj) -> bool:
        """Whether ``obj`` (or anything inside a list/tuple) comes from the graph's inputs."""
        if isinstance(obj, (list, tuple)):
            return any(self.is_traced(o) for o in obj)
        return self.lookup(obj) is not None

    def value(self, obj, dtype=None) -> str:
        """The value name of ``obj``: a traced tensor's, or an initializer with its value (a
        Python number becomes a scalar of ``dtype``)."""
        name = self.lookup(obj)
        if name is not None:
            return name
        if isinstance(obj, Tensor):
            return self._constant(obj, obj._data)
        if isinstance(obj, np.ndarray):
            return self._constant(obj, obj)
        return self.const(np.asarray(obj, dtype=dtype), "scalar")

    def _constant(self, key, array):
        name = self._constants.get(id(key))
        if name is None:
            hint = self.param_names.get(id(key))
            array = np.asarray(array)
            if hint is None and self._batch_shaped(array):
                name = self.batch_expand(self.const(array[:1], "per_sample"), array.shape[1:])
            else:
                name = self.const(array, hint or "const")
            self._constants[id(key)] = name
            self._keep.append(key)
        return name

    def _batch_shaped(self, array):
        """Whether a constant the forward computed (not a weight) is one sample's value
        repeated over the batch (``zeros_like(ids)``, a class token expanded to the batch): its
        leading dim is the dynamic batch's example size and every row along it is the same.
        Such a constant is exported as that row expanded to the batch, so other batch sizes
        work."""
        if self.batch is None or self.batch[1] < 2 or array.ndim < 2:
            return False
        if array.shape[0] != self.batch[1]:
            return False
        return bool((array == array[:1]).all())

    def batch_expand(self, row, rest):
        """``row`` (leading dim 1) expanded to (batch, *rest), the batch read from the input."""
        batch = self.add(
            "Slice", [self.add("Shape", [self.batch[0]]), self.ints([0]), self.ints([1])]
        )
        shape = self.add("Concat", [batch, self.ints(rest)], axis=0) if len(rest) else batch
        return self.add("Expand", [row, shape])

    def const(self, array, hint: str = "const") -> str:
        """A new initializer holding ``array``."""
        array = np.array(array, order="C", copy=True)  # (ascontiguousarray makes 0-d 1-d)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint="shape") -> str:
        """An int64 1-D initializer (shapes, axes, starts of Slice)."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1), hint)

    # ---- nodes ----
    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """ReduceMean/ReduceMax/...: from opset 18 on their axes are an input, before that an
        attribute (ReduceSum's are an input from 13)."""
        axes = [int(a) for a in axes]
        if self.opset >= 18 or op_type == "ReduceSum":
            return self.add(op_type, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.add(op_type, [x], axes=axes, keepdims=int(keepdims))

    def add(self, op_type: str, inputs, n_out: int = 1, **attrs):
        """Append one node; returns its output name (a list when ``n_out`` > 1). An input of
        ``""`` is an omitted optional input."""
        outs = [self.fresh(f"{self.path or 'graph'}_{op_type}") for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        node = self.helper.make_node(
            op_type, list(inputs), outs, name=self.fresh(f"{self.path}/{op_type}"), **attrs
        )
        self.nodes.append(node)
        return outs[0] if n_out == 1 else outs
