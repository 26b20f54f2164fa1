"""Training-step times on an NVIDIA GPU: glassnet (CuPy) against PyTorch (CUDA), same models,
same weights, same data, interleaved, medians. Needs CuPy and a CUDA build of PyTorch.

    python -m benchmarks.gpu [--rounds 7] [--steps 20]

Prints a Markdown table of median step times and the ratio glassnet/PyTorch. A GPU hides
glassnet's per-op Python cost only when each op has enough work: the larger models show it.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.workloads import gpt, lenet, lstm, mlp, resnet

WORKLOADS = [mlp, lenet, resnet, lstm, gpt]


def _to_cuda(peer):
    peer.model.to("cuda")
    peer.x, peer.y = peer.x.to("cuda"), peer.y.to("cuda")
    return peer


def _sync(lib):
    if lib.__name__ == "torch":
        lib.cuda.synchronize()
    else:
        import cupy

        cupy.cuda.Device().synchronize()


def _time(peer, steps):
    _sync(peer.lib)
    start = time.perf_counter()
    for _ in range(steps):
        peer.step()
    _sync(peer.lib)
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    import torch

    print(f"GPU: {torch.cuda.get_device_name()}")
    print("| workload | glassnet ms | PyTorch ms | glassnet/PyTorch | losses after warm-up |")
    print("|---|---:|---:|---:|---|")
    for workload in WORKLOADS:
        peers = {p.name: _to_cuda(p) for p in workload.build(peers=("glassnet", "PyTorch"))}
        g, t = peers["glassnet"], peers["PyTorch"]
        losses = (g.loss(), t.loss())  # also the warm-up (CuPy compiles its kernels here)
        for _ in range(3):
            g.step(), t.step()
        times = {"g": [], "t": []}
        for _ in range(args.rounds):
            times["g"].append(_time(g, args.steps))
            times["t"].append(_time(t, args.steps))
        gm, tm = statistics.median(times["g"]) * 1e3, statistics.median(times["t"]) * 1e3
        print(
            f"| {workload.TITLE} | {gm:.2f} | {tm:.2f} | {gm / tm:.2f} | "
            f"{losses[0]:.4f} / {losses[1]:.4f} |"
        )


if __name__ == "__main__":
    main()
