"""Inference latency of LeNet-5 at batch 1 (forward only, no autograd)."""

from __future__ import annotations

from benchmarks.workloads import lenet
from benchmarks.workloads.common import glassnet_and_torch, images

NAME = "lenet_infer"
TITLE = "LeNet-5 inference, batch 1"


def build(batch=None, depth=1, peers=None):
    x, y = images(batch or 1, (1, 28, 28))
    out, _ = glassnet_and_torch(lenet.make_glassnet_or_torch(depth), x, y, peers, infer=True)
    return out
