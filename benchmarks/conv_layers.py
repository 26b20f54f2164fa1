"""Where the convolution rows' time goes: each conv layer of the small CIFAR ResNet, LeNet-5 and
ResNet-18 (batch 8, 3x64x64) on its own, glassnet against PyTorch in the same process, beside
the floor of glassnet's method: the bare BLAS matrix products of the same sizes (the forward's
weight times an im2col block; the backward's two products) with no im2col, col2im or layout
copy around them. A layer whose glassnet time is near its floor is limited by the BLAS, not by
the copies around it.

Timing: process CPU time, 1 BLAS thread by default (``--threads``), glassnet, PyTorch and the
floor interleaved round by round; the table shows the minimum over the rounds (the least
disturbed one on a shared machine) of forward and forward+backward per layer, and the ratios
glassnet / PyTorch and glassnet / floor.

Run: ``python -m benchmarks.conv_layers`` (``--model resnet|lenet|resnet18``, ``--rounds 7``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# (C_in, C_out, side, kernel, stride, padding, how many such layers, batch, input needs grad)
MODELS = {
    "resnet": [
        (3, 16, 32, 3, 1, 1, 1, 32, False),
        (16, 16, 32, 3, 1, 1, 4, 32, True),
        (16, 32, 32, 3, 2, 1, 1, 32, True),
        (16, 32, 32, 1, 2, 0, 1, 32, True),
        (32, 32, 16, 3, 1, 1, 3, 32, True),
        (32, 64, 16, 3, 2, 1, 1, 32, True),
        (32, 64, 16, 1, 2, 0, 1, 32, True),
        (64, 64, 8, 3, 1, 1, 3, 32, True),
    ],
    "lenet": [(1, 6, 28, 5, 1, 2, 1, 64, False), (6, 16, 14, 5, 1, 0, 1, 64, True)],
    "resnet18": [
        (3, 64, 64, 7, 2, 3, 1, 8, False),
        (64, 64, 16, 3, 1, 1, 4, 8, True),
        (64, 128, 16, 3, 2, 1, 1, 8, True),
        (128, 128, 8, 3, 1, 1, 3, 8, True),
        (128, 256, 8, 3, 2, 1, 1, 8, True),
        (256, 256, 4, 3, 1, 1, 3, 8, True),
        (256, 512, 4, 3, 2, 1, 1, 8, True),
        (512, 512, 2, 3, 1, 1, 3, 8, True),
    ],
}


def _per_call(fn, repeat):
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def layer_rows(model, rounds):
    return [(spec[:8], _time_layer(*spec, rounds)) for spec in MODELS[model]]


def _time_layer(c, o, side, k, s, p, count, n, need_x, rounds):
    """The least time over ``rounds`` of each of: glassnet, PyTorch and the BLAS floor, forward
    and forward+backward, of one layer."""
    import numpy as np
    import torch

    import glassnet
    from glassnet.ops.convolution import Convolution

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, side, side)).astype(np.float32)
    w = (rng.standard_normal((o, c, k, k)) * 0.1).astype(np.float32)
    out = (side + 2 * p - k) // s + 1
    g = rng.standard_normal((n, o, out, out)).astype(np.float32)
    gx, gw = glassnet.tensor(x, requires_grad=need_x), glassnet.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=need_x), torch.tensor(w, requires_grad=True)
    gg, tg = glassnet.tensor(g), torch.tensor(g)
    # the floor: the products glassnet's kernels make, on ready operands
    kdim, cols = c * k * k, n * out * out
    wm, colm = w.reshape(o, kdim), rng.standard_normal((kdim, cols)).astype(np.float32)
    gm = g.transpose(1, 0, 2, 3).reshape(o, cols).copy()

    def g_fwd():
        Convolution.apply(gx, gw, None, stride=(s, s), padding=(p, p, p, p))

    def g_both():
        Convolution.apply(gx, gw, None, stride=(s, s), padding=(p, p, p, p)).backward(gg)

    def t_fwd():
        torch.nn.functional.conv2d(tx, tw, None, s, p)

    def t_both():
        torch.nn.functional.conv2d(tx, tw, None, s, p).backward(tg)

    def floor_fwd():
        wm @ colm

    def floor_both():
        wm @ colm
        gm @ colm.T  # dw
        if need_x:
            wm.T @ gm  # the input gradient's columns

    fns = dict(g_fwd=g_fwd, g_both=g_both, t_fwd=t_fwd, t_both=t_both)
    fns.update(f_fwd=floor_fwd, f_both=floor_both)
    for fn in fns.values():
        fn()  # warm-up
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], _per_call(fn, 3))
    return best


def table(model, rows):
    lines = [
        f"{model}: ms per layer call (min over rounds), forward and forward+backward",
        "",
        "| layer | count | fwd glassnet | fwd PyTorch | fwd BLAS floor | f+b glassnet | "
        "f+b PyTorch | f+b BLAS floor | f+b glassnet/PyTorch | f+b glassnet/floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = {"g": 0.0, "t": 0.0, "f": 0.0}
    for (c, o, side, k, s, p, count, n), b in rows:
        ms = {key: v * 1e3 for key, v in b.items()}
        name = f"{c}->{o}, {side}x{side}, k{k} s{s} p{p}, batch {n}"
        lines.append(
            f"| {name} | {count} | {ms['g_fwd']:.2f} | {ms['t_fwd']:.2f} | {ms['f_fwd']:.2f} | "
            f"{ms['g_both']:.2f} | {ms['t_both']:.2f} | {ms['f_both']:.2f} | "
            f"{ms['g_both'] / ms['t_both']:.2f} | {ms['g_both'] / ms['f_both']:.2f} |"
        )
        for key, name in (("g", "g_both"), ("t", "t_both"), ("f", "f_both")):
            total[key] += count * ms[name]
    lines.append(
        f"\nall layers (times their count), forward+backward: glassnet {total['g']:.1f} ms, "
        f"PyTorch {total['t']:.1f} ms ({total['g'] / total['t']:.2f}x), BLAS floor "
        f"{total['f']:.1f} ms (glassnet {total['g'] / total['f']:.2f}x of it)"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="resnet")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:
        print("note: NumPy was imported before the thread count was set", file=sys.stderr)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    print(table(args.model, layer_rows(args.model, args.rounds)))


if __name__ == "__main__":
    main()
