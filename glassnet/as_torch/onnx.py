"""``torch.onnx`` when ``import torch`` means glassnet: ``torch.onnx.export`` with PyTorch's
argument names, done by :func:`glassnet.onnx.export` (a trace of one forward, like PyTorch's
``dynamo=False`` exporter).

Accepted and ignored because they change nothing here: ``export_params=True`` (weights are
always initializers), ``do_constant_folding``, ``dynamo=False``, ``training`` (the export is
of eval mode), ``keep_initializers_as_inputs=False``, ``verbose`` (prints the graph),
``optimize``, ``external_data``, ``operator_export_type``, ``autograd_inlining``,
``custom_opsets=None``, ``export_modules_as_functions=False``, ``report``/``verify``/``profile``
left False. An explicit ``dynamo=True`` (PyTorch's torch.export path, which returns an
``ONNXProgram``) and ``dynamic_shapes`` are refused with the fix: leave ``dynamo`` out or pass
``dynamo=False`` and name the free axes with ``dynamic_axes``.

>>> import os, tempfile, glassnet
>>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
>>> export(glassnet.nn.Linear(3, 2), (glassnet.ones(1, 3),), path, export_params=True,
...        input_names=["x"], dynamic_axes={"x": {0: "batch"}}, dynamo=False)
>>> export(glassnet.nn.Linear(3, 2), (glassnet.ones(1, 3),), path, dynamo=True)
Traceback (most recent call last):
...
ValueError: torch.onnx.export(dynamo=True): ...
"""

from __future__ import annotations

from glassnet.onnx import ExportError

__all__ = ["export", "ExportError", "OnnxExporterError"]

OnnxExporterError = ExportError  # torch.onnx.OnnxExporterError: what a failed export raises

_UNSET = object()


def export(
    model,
    args=(),
    f=None,
    *,
    kwargs=None,
    verbose=None,
    input_names=None,
    output_names=None,
    opset_version=None,
    dynamo=_UNSET,
    external_data=True,
    dynamic_shapes=None,
    custom_translation_table=None,
    report=False,
    optimize=True,
    verify=False,
    profile=False,
    dump_exported_program=False,
    artifacts_dir=".",
    export_params=True,
    keep_initializers_as_inputs=False,
    dynamic_axes=None,
    training=None,
    operator_export_type=None,
    do_constant_folding=True,
    custom_opsets=None,
    export_modules_as_functions=False,
    autograd_inlining=True,
):
    """Write ``model(*args)`` as ONNX to ``f`` (see the module docstring); returns None, as
    PyTorch's TorchScript-style exporter does."""
    from glassnet.onnx import export as glassnet_export

    if dynamo is True:
        raise ValueError(
            "torch.onnx.export(dynamo=True): glassnet exports by tracing one forward, as "
            "PyTorch's dynamo=False exporter does; leave dynamo out or pass dynamo=False (and "
            "name free axes with dynamic_axes)"
        )
    refused = {
        "dynamic_shapes": dynamic_shapes is not None,
        "custom_translation_table": custom_translation_table is not None,
        "export_params=False": export_params is False,
        "keep_initializers_as_inputs=True": bool(keep_initializers_as_inputs),
        "custom_opsets": bool(custom_opsets),
        "export_modules_as_functions": bool(export_modules_as_functions),
        "report/verify/profile/dump_exported_program": bool(
            report or verify or profile or dump_exported_program
        ),
    }
    for name, given in refused.items():
        if given:
            raise ValueError(
                f"torch.onnx.export: glassnet does not support {name} (the file always holds "
                "the weights as initializers; free axes are named with dynamic_axes)"
            )
    if f is None:
        raise ValueError(
            "torch.onnx.export: give f, the path (or binary file) to write the model to"
        )
    inputs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if inputs and isinstance(inputs[-1], dict):  # PyTorch's old way to pass keyword inputs
        kwargs, inputs = {**inputs[-1], **(kwargs or {})}, inputs[:-1]
    if kwargs:
        raise ValueError(
            "torch.onnx.export: keyword inputs (kwargs) are not exported by glassnet; pass "
            "every input positionally in args"
        )
    glassnet_export(
        model,
        inputs,
        f,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=opset_version,
        do_constant_folding=do_constant_folding,
        verbose=bool(verbose),
    )
    return None
