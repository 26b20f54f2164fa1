"""Inference latency of the 784-512-512-10 MLP at batch 1 (forward only, no autograd)."""

from __future__ import annotations

from benchmarks.workloads import mlp
from benchmarks.workloads.common import glassnet_and_torch, images

NAME = "mlp_infer"
TITLE = "MLP inference, batch 1"


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or 1, (784,))
    out, _ = glassnet_and_torch(lambda nn: mlp.make(nn, depth), x, y, peers, infer=True)
    return out
