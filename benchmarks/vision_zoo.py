"""The vision zoo against PyTorch in the same run: ResNet-18 and EfficientNet-B0 training steps
(batch 8, 3x64x64: forward, cross-entropy, backward, SGD step) and batch-1 inference (eval,
no_grad), from identical weights (``glassnet.interop.torch.to_torch``), plus peak memory.

Timing: the two frameworks alternate (A B A B ...) after a warm-up, so a busy machine slows both
alike; the medians and the ratio glassnet / PyTorch are printed. ``--clock cpu`` times process
CPU time instead of wall time (fair on a shared machine with ``--threads 1``, the default).

Memory: each (framework, model, mode) runs in a fresh subprocess; the peak resident set during
three steps above the resident set before them (VmHWM, reset through /proc/self/clear_refs,
minus VmRSS; Linux) is what the steps needed: activations, gradients, workspace; both models
are built in each subprocess (the same weights), so their parameters count on both sides.
tracemalloc's peak (NumPy reports its arrays to it; PyTorch's allocator does not) is printed
for glassnet alone.

Run: ``python -m benchmarks.vision_zoo`` (``--rounds 5``; ``--no-memory`` to skip the
subprocesses).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODELS = ("resnet18", "efficientnet_b0")
BATCH, SIDE, CLASSES = 8, 64, 10


def _set_threads(n):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def _peers(name, threads):
    """(glassnet step, torch step, glassnet infer, torch infer) closures with equal weights."""
    import numpy as np
    import torch

    import glassnet
    from glassnet.interop.torch import to_torch

    torch.set_num_threads(threads)
    glassnet.manual_seed(0)
    model = getattr(glassnet.models, name)(num_classes=CLASSES)
    twin = to_torch(model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 3, SIDE, SIDE)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    x1 = x[:1].copy()
    gx, gy, gx1 = glassnet.tensor(x), glassnet.tensor(y), glassnet.tensor(x1)
    tx, ty, tx1 = torch.tensor(x), torch.tensor(y), torch.tensor(x1)
    g_opt = glassnet.optim.SGD(model.parameters(), lr=0.01)
    t_opt = torch.optim.SGD(twin.parameters(), lr=0.01)

    def g_step():
        model.train()
        g_opt.zero_grad()
        glassnet.nn.functional.cross_entropy(model(gx), gy).backward()
        g_opt.step()

    def t_step():
        twin.train()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(tx), ty).backward()
        t_opt.step()

    def g_infer():
        model.eval()
        with glassnet.no_grad():
            model(gx1)

    def t_infer():
        twin.eval()
        with torch.no_grad():
            twin(tx1)

    return {"train": (g_step, t_step), "infer": (g_infer, t_infer)}


def _clock(kind):
    return time.process_time if kind == "cpu" else time.perf_counter


def _time(fn, clock, repeat):
    start = clock()
    for _ in range(repeat):
        fn()
    return (clock() - start) / repeat


def timings(rounds, threads, clock_kind):
    clock = _clock(clock_kind)
    rows = []
    for name in MODELS:
        peers = _peers(name, threads)
        for mode, (g, t) in peers.items():
            repeat = 2 if mode == "train" else 5
            g(), t(), g(), t()  # warm-up: caches, plans, allocator
            ours, theirs = [], []
            for _ in range(rounds):
                ours.append(_time(g, clock, repeat))
                theirs.append(_time(t, clock, repeat))
            rows.append((name, mode, statistics.median(ours), statistics.median(theirs)))
    return rows


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def child(framework, name, mode, threads):
    """Run one (framework, model, mode) three times and print its memory as JSON."""
    import tracemalloc

    peers = _peers(name, threads)
    fn = peers[mode][0 if framework == "glassnet" else 1]
    # the first step's allocations count too: an allocator's pools are memory the step needed
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current resident set (Linux 4.0+)
    before = _rss_kib("VmRSS")
    tracemalloc.start()
    for _ in range(3):
        fn()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        json.dumps({"rss_mib": (_rss_kib("VmHWM") - before) / 1024, "traced_mib": traced / 2**20})
    )


def memory(threads):
    rows = []
    for name in MODELS:
        for mode in ("train", "infer"):
            got = {}
            for framework in ("glassnet", "torch"):
                cmd = [sys.executable, "-m", "benchmarks.vision_zoo", "--child", framework, name]
                cmd += [mode, "--threads", str(threads)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                got[framework] = json.loads(out.strip().splitlines()[-1])
            rows.append((name, mode, got["glassnet"], got["torch"]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "MODEL", "MODE"))
    args = parser.parse_args(argv)
    _set_threads(args.threads)
    if args.child:
        child(*args.child, args.threads)
        return
    print(f"threads {args.threads}, clock {args.clock}, batch {BATCH} x 3x{SIDE}x{SIDE} (train)")
    print("\n| model | step | glassnet ms | PyTorch ms | glassnet / PyTorch |")
    print("|---|---|---|---|---|")
    rows = [] if args.no_timing else timings(args.rounds, args.threads, args.clock)
    for name, mode, ours, theirs in rows:
        what = f"train, batch {BATCH}" if mode == "train" else "inference, batch 1"
        print(f"| {name} | {what} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | {ours / theirs:.2f}x |")
    if args.no_memory:
        return
    print("\n| model | step | glassnet peak MiB | PyTorch peak MiB | ratio | glassnet traced |")
    print("|---|---|---|---|---|---|")
    for name, mode, ours, theirs in memory(args.threads):
        ratio = ours["rss_mib"] / max(theirs["rss_mib"], 1.0)
        print(
            f"| {name} | {mode} | {ours['rss_mib']:.0f} | {theirs['rss_mib']:.0f} | "
            f"{ratio:.2f}x | {ours['traced_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
