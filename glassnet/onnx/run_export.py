"""Exporting a trained run folder: its model as ``model.onnx`` with a dynamic batch axis.

The file takes the model's inputs *after* the recipe's preprocessing (scaled features, images
as float arrays); that preprocessing is stored as JSON in the file's metadata
(``glassnet.preprocessing``), next to the recipe's name and task, so an application can apply it.
"""

from __future__ import annotations

import json
import os

import glassnet

ONNX_FILE = "model.onnx"


def export_run(run_dir, out=None, opset_version=None) -> str:
    """Write the run's model to ``out`` (default ``RUN_DIR/model.onnx``); returns the path.

    >>> import tempfile
    >>> from glassnet.recipes import get
    >>> from glassnet.recipes.runner import train
    >>> run = train(get("xor-mlp").replace(epochs=1), tempfile.mkdtemp(), progress=False)
    >>> os.path.basename(export_run(run.run_dir))
    'model.onnx'
    """
    from glassnet.onnx.exporter import export
    from glassnet.recipes.runner import load_run

    run = load_run(run_dir)
    pre = run.preprocessing
    dtype = next(iter(run.model.parameters()))._data.dtype
    example = glassnet.from_numpy(
        glassnet.randn(2, *pre.input_shape).numpy().astype(dtype, copy=False)
    )
    path = os.fspath(out) if out is not None else os.path.join(os.fspath(run_dir), ONNX_FILE)
    metadata = {
        "glassnet.recipe": run.recipe.name,
        "glassnet.task": run.recipe.task,
        "glassnet.preprocessing": json.dumps(pre.state_dict()),
    }
    export(
        run.model,
        example,
        path,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        opset_version=opset_version,
        metadata=metadata,
    )
    return path
