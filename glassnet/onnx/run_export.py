"""Exporting a trained run folder: its model as ``model.onnx`` with a dynamic batch axis.

The file takes the model's inputs *after* the recipe's preprocessing (scaled features, images
as float arrays); that preprocessing is stored as JSON in the file's metadata
(``glassnet.preprocessing``), next to the recipe's name and task, so an application can apply it.
"""

from __future__ import annotations

import json
import os

import numpy as np

import glassnet

ONNX_FILE = "model.onnx"


def example_inputs(run, n, seed=0):
    """``n`` model inputs of the kind the run's model reads (random, seeded): token ids in
    the vocabulary for a text model, category codes in range for a table with embeddings,
    standard normal values otherwise."""
    pre = run.preprocessing
    rng = np.random.default_rng(seed)
    shape = (n, *pre.input_shape)
    source = pre.source or {}
    if np.dtype(pre.input_dtype).kind in "iu":
        vocab = int(source.get("vocab_size") or _vocabulary(run.model))
        return rng.integers(1, vocab, shape).astype(pre.input_dtype)
    dtype = next(iter(run.model.parameters()))._data.dtype
    x = rng.standard_normal(shape).astype(dtype)
    cards = source.get("cardinalities") or []
    if cards:  # the last columns are codes -1 (unseen) .. k-1, one per categorical column
        start = shape[1] - len(cards)
        for j, k in enumerate(cards):
            x[:, start + j] = rng.integers(-1, k, n)
    return x


def _vocabulary(model):
    from glassnet import nn

    for m in model.modules():
        if isinstance(m, nn.Embedding):
            return m.num_embeddings
    raise ValueError("the model reads integer inputs but has no Embedding to say their range")


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
    example = glassnet.from_numpy(example_inputs(run, 2))
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
