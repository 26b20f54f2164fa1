"""The ``resnet`` workload in the channels-last memory format, in both frameworks: the model
and the input batch ``.to(memory_format=channels_last)`` (glassnet/memory_formats.py; PyTorch
then runs its NHWC convolution kernels). Peers: glassnet, PyTorch."""

from __future__ import annotations

from benchmarks.workloads import resnet

NAME = "resnet_cl"
TITLE = "ResNet as `resnet`, channels-last memory format, batch 32"


def build(batch=None, depth=1, peers=None):
    out = resnet.build(
        batch,
        depth,
        [p for p in (peers or ("glassnet", "PyTorch")) if p in ("glassnet", "PyTorch")],
    )
    for peer in out:
        fmt = peer.lib.channels_last
        peer.model.to(memory_format=fmt)
        peer.x = peer.x.to(memory_format=fmt)
    return out
