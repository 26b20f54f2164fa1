"""The compiled kernels (glassnet.kernels) against the NumPy paths they replace and PyTorch.

Rows, on a 1024x512 float32 activation (a GPT-sized MLP hidden layer: 512K elements, 2 MiB):
exp alone (``kernels.exp32`` against ``np.exp`` into a preallocated output, and ``torch.exp``),
GELU's forward with its slope (kernel against the NumPy blocks; PyTorch's forward for scale),
and ``F.gelu`` forward + backward on tensors with kernels on and off, against PyTorch's; then
the ``resnet``, ``lstm`` and ``gpt`` workloads' training steps (benchmarks/workloads/) with
kernels on and off, against PyTorch's.
Interleaved rounds (A B C A B C ...) after a warm-up, 1 thread, process CPU clock; medians.
Freed memory is kept for reuse (``glassnet.backend.keep_freed_memory``, as ``glassnet train``
does), so that the rows time arithmetic rather than the page faults of fresh 2 MiB outputs.

Run: ``python -m benchmarks.kernels`` (``--rounds 9 --calls 40``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

import glassnet  # noqa: E402
import glassnet.kernels as kernels  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402
from glassnet.ops import erf  # noqa: E402


def _timed(fn, calls):
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


def _table(title, peers, rounds, calls):
    for fn in peers.values():  # warm-up (and the kernels' compilation)
        fn()
    times = {name: [] for name in peers}
    for _ in range(rounds):
        for name, fn in peers.items():
            times[name].append(_timed(fn, calls))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[next(iter(peers))]
    print(f"\n{title}")
    for name, t in medians.items():
        print(f"  {name:32s} {t * 1e3:8.3f} ms   {t / base:5.2f}x the first row")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    glassnet.backend.keep_freed_memory()
    if not kernels.enabled():
        raise SystemExit("kernels are off: install the [jit] extra (numba), unset GLASSNET_KERNELS")
    from glassnet.kernels.exp32 import exp32

    x = np.random.default_rng(0).standard_normal((1024, 512)).astype(np.float32)
    out = np.empty_like(x)
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(exp32(x), np.exp(x), rtol=4 * 2.0**-24)
    _table(
        "exp, 1024x512 float32",
        {
            "NumPy np.exp(out=)": lambda: np.exp(x, out=out),
            "kernels.exp32 (new array)": lambda: exp32(x),
            "PyTorch torch.exp": lambda: torch.exp(tx),
        },
        args.rounds,
        args.calls,
    )

    def numpy_gelu():
        with kernels.disabled():
            return erf.gelu_and_slope_array(x)

    for a, b in zip(numpy_gelu(), erf.gelu_and_slope_array(x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    _table(
        "GELU forward with its slope, 1024x512 float32",
        {
            "NumPy blocks": numpy_gelu,
            "kernel": lambda: erf.gelu_and_slope_array(x),
            "PyTorch forward only": lambda: torch.nn.functional.gelu(tx),
        },
        args.rounds,
        args.calls,
    )

    gx = glassnet.tensor(x, requires_grad=True)
    grad_out = glassnet.ones_like(gx)
    tgx = tx.clone().requires_grad_(True)
    tgrad = torch.ones_like(tgx)

    def step(kernels_on):
        gx.grad = None
        if kernels_on:
            F.gelu(gx).backward(grad_out)
        else:
            with kernels.disabled():
                F.gelu(gx).backward(grad_out)

    def torch_step():
        tgx.grad = None
        torch.nn.functional.gelu(tgx).backward(tgrad)

    _table(
        "F.gelu forward + backward, 1024x512 float32",
        {
            "PyTorch": torch_step,
            "glassnet, kernels off": lambda: step(False),
            "glassnet, kernels on": lambda: step(True),
        },
        args.rounds,
        args.calls,
    )

    for name in ("resnet", "lstm", "gpt"):
        _workload_table(name, args.rounds, max(1, args.calls // 10))


def _workload_table(name, rounds, calls):
    """One benchmark workload's training step: PyTorch, glassnet without and with kernels."""
    from benchmarks.workloads import load

    module = load(name)
    peers = {p.name: p for p in module.build(peers=["glassnet", "PyTorch"])}
    glassnet_step = peers["glassnet"].step

    def kernels_off():
        with kernels.disabled():
            glassnet_step()

    _table(
        f"{module.TITLE}: training step",
        {
            "PyTorch": peers["PyTorch"].step,
            "glassnet, kernels off": kernels_off,
            "glassnet, kernels on": glassnet_step,
        },
        rounds,
        calls,
    )


if __name__ == "__main__":
    main()
