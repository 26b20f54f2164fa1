"""``export``: a model's forward as an ONNX file, built from the ops one forward runs.

The forward runs once on the example inputs while every op is recorded (``trace.py``); the ops
the outputs depend on, and that depend on the inputs, are converted through the table in
``converters*.py``; every other tensor they read (weights, buffers, constant masks) becomes an
initializer. Dropout is absent because the export runs the model in eval mode (PyTorch's
default), where dropout layers pass their input through.
"""

from __future__ import annotations

import io
import os

import numpy as np

from glassnet._optional import require
from glassnet.onnx import converters, converters_nn, converters_rnn  # noqa: F401 - the table
from glassnet.onnx.errors import ExportError
from glassnet.onnx.graph import Graph
from glassnet.onnx.trace import trace, traced_inputs
from glassnet.tensor import Tensor

DEFAULT_OPSET = 17
MIN_OPSET = 17  # LayerNormalization is an ONNX op from opset 17 on


def export(
    model,
    args,
    f,
    *,
    input_names=None,
    output_names=None,
    dynamic_axes=None,
    opset_version=None,
    do_constant_folding=True,
    verbose=False,
    metadata=None,
):
    """Export ``model(*args)`` to the ONNX file ``f`` (a path or a binary file object), with
        ``torch.onnx.export``'s argument names. Returns the ``onnx.ModelProto`` (checked with
        ``onnx.checker``). ``dynamic_axes`` such as ``{"input": {0: "batch"}, "output": [0]}``
        names the axes left free, so the file runs at other batch sizes. ``metadata`` (glassnet's
    own): a dict of strings stored in the file's ``metadata_props``.

        >>> import tempfile, os, glassnet
        >>> from glassnet import nn
        >>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
        >>> proto = export(nn.Linear(3, 2), glassnet.ones(1, 3), path,
        ...                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        >>> [n.op_type for n in proto.graph.node]
        ['Gemm', 'Identity']
    """
    onnx = require("onnx", "onnx")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < MIN_OPSET:
        raise ValueError(
            f"glassnet.onnx.export: opset_version {opset} is too old; use {MIN_OPSET} or later"
        )
    inputs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    was_training = model.training
    model.eval()
    try:
        nodes, out = trace(model, traced_inputs(inputs))
        proto = _build(
            onnx,
            model,
            nodes,
            inputs,
            out,
            input_names,
            output_names,
            dynamic_axes or {},
            opset,
            _params(model),
        )
    finally:
        model.train(was_training)
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        from glassnet.serialization import atomic_write

        atomic_write(f, [data])
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"glassnet.onnx.export: f must be a path or a file, got {type(f)}")
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    return proto


def _params(model):
    names = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is not None:
            names.setdefault(id(t), name)
            names.setdefault(id(t._data), name)
    return names


def _flat_outputs(out, prefix="output"):
    """The output tensors, in order, with a default name each: a dict's (or Hugging Face
    ModelOutput's) keys name its entries."""
    if isinstance(out, Tensor):
        return [(out, prefix)]
    if isinstance(out, dict):
        flat = []
        for key, value in out.items():
            flat.extend(_flat_outputs(value, str(key)))
        return flat
    if isinstance(out, (tuple, list)):
        flat = []
        for i, o in enumerate(out):
            flat.extend(_flat_outputs(o, f"{prefix}_{i}"))
        return flat
    if out is None:
        return []
    raise ExportError(f"the model returned {type(out).__name__}; export needs tensors")


def _names(given, defaults, what):
    given = list(given or [])
    if len(given) > len(defaults):
        raise ValueError(f"glassnet.onnx.export: {len(given)} names for {len(defaults)} {what}s")
    return given + list(defaults[len(given) :])


def _needed(nodes, outputs):
    """Indices of the nodes the outputs depend on (checks and other side computations that a
    forward runs are left out). A tensor is traced back through its graph node (grad_fn), so
    in-place ops are followed; a raw array through the node that made it."""
    by_fn, by_array = {}, {}
    for i, node in enumerate(nodes):
        by_fn[id(node.fn)] = i
        by_array.setdefault(id(node.out._data), i)

    def maker(x):
        if isinstance(x, Tensor):
            if x.grad_fn is not None and id(x.grad_fn) in by_fn:
                return by_fn[id(x.grad_fn)]
            x = x._data
        if id(x) in by_array:
            return by_array[id(x)]
        # a view made outside any op (a mask's reshape) depends on what it views
        base = getattr(x, "base", None)
        return by_array.get(id(base)) if isinstance(base, np.ndarray) else None

    keep, todo = set(), [maker(o) for o in outputs]
    while todo:
        i = todo.pop()
        if i is None or i in keep:
            continue
        keep.add(i)
        for arg in _leaves(nodes[i].args) + _leaves(list(nodes[i].kwargs.values())):
            j = maker(arg)
            if j is not None and j < i:
                todo.append(j)
    return keep


def _leaves(args):
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_leaves(a))
        elif isinstance(a, (Tensor, np.ndarray)):
            out.append(a)
    return out


def _dynamic(dynamic_axes, name):
    axes = dynamic_axes.get(name, {})
    if isinstance(axes, dict):
        return {int(k): str(v) for k, v in axes.items()}
    return {int(k): f"{name}_dim{int(k)}" for k in axes}


def _value_info(onnx, name, array, dynamic_axes):
    dims = list(array.shape)
    for axis, label in _dynamic(dynamic_axes, name).items():
        dims[axis] = label
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def _build(onnx, model, nodes, inputs, out, input_names, output_names, dynamic_axes, opset, params):
    helper = onnx.helper
    g = Graph(opset, params)
    named = _flat_outputs(out)
    if len(named) == 1 and isinstance(out, (tuple, list)):
        named = [(named[0][0], "output")]
    outputs = [t for t, _ in named]
    default_in = ["input"] if len(inputs) == 1 else [f"input_{i}" for i in range(len(inputs))]
    in_names = _names(input_names, default_in, "input")
    out_names = _names(output_names, [n for _, n in named], "output")
    for name in in_names + out_names:
        g._used.add(name)
    for unknown in set(dynamic_axes) - set(in_names) - set(out_names):
        raise ValueError(
            f"glassnet.onnx.export: dynamic_axes names {unknown!r}, which is neither an input "
            f"({in_names}) nor an output ({out_names})"
        )
    for x, name in zip(inputs, in_names):
        g.bind(x, name)  # trace() ran on detached copies that share each array
        g.inputs.append((name, x._data))
        if g.batch is None and 0 in _dynamic(dynamic_axes, name) and x._data.ndim:
            g.batch = (name, int(x._data.shape[0]))
    needed = _needed(nodes, outputs)
    for i, node in enumerate(nodes):
        if i not in needed:
            continue
        if not (g.is_traced(list(node.args)) or g.is_traced(list(node.kwargs.values()))):
            continue  # computed from constants only: its value is a constant
        convert = converters.CONVERTERS.get(type(node.fn))
        if convert is None:
            cls = type(node.fn)
            raise ExportError(
                f"there is no ONNX converter for {cls.__module__}.{cls.__qualname__}; replace "
                "that op in the model, or add a converter to glassnet/onnx/converters*.py",
                node,
            )
        g.path = node.path
        g.bind(node.out, convert(g, converters.arguments(node), node), node.fn)
    g.path = ""
    for o, name in zip(outputs, out_names):
        g.nodes.append(helper.make_node("Identity", [g.value(o)], [name], name=f"output/{name}"))
    graph = helper.make_graph(
        g.nodes,
        type(model).__name__,
        [_value_info(onnx, n, x._data, dynamic_axes) for x, n in zip(inputs, in_names)],
        [_value_info(onnx, n, o._data, dynamic_axes) for o, n in zip(outputs, out_names)],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="glassnet")
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto
