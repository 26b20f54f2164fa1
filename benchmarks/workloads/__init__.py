"""Benchmark workloads: one module per model, each with the same model in every framework.

Every module defines ``NAME``, ``TITLE`` and ``build(batch=None, depth=1, peers=None)`` returning
a list of peers (objects with ``name`` and ``step()``), built from identical initial weights (the
PyTorch model's ``state_dict``) and identical data.
"""

import os

# tinygrad reads this when imported: its optimizers refuse to step without it.
os.environ.setdefault("TRAINING", "1")

WORKLOADS = (
    "xor",
    "mlp",
    "lenet",
    "resnet",
    "resnet_cl",
    "lstm",
    "gpt",
    "mlp_infer",
    "lenet_infer",
)


def load(name):
    """The workload module called ``name``."""
    import importlib

    return importlib.import_module(f"benchmarks.workloads.{name}")
