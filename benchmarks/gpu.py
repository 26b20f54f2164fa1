"""Training-step times on an NVIDIA GPU: glassnet (CuPy) against PyTorch (CUDA eager), same
models, same weights, same data, interleaved, medians; each with and without autocast (float16
with a GradScaler on both sides). Needs CuPy and a CUDA build of PyTorch.

    python -m benchmarks.gpu [--rounds 7] [--steps 20] [--json results.json]
    python -m benchmarks.gpu --device cpu --small --rounds 1 --steps 1   # check the script

Cases: the CPU workloads (MLP, LeNet, small ResNet, LSTM, GPT) at their batch sizes, and
ResNet-18 (3x224x224) and BERT-mini (4 layers, d 256, sequence 128) at batch sizes meant to
fill a GPU. ``--device cpu`` runs the same code on the CPU (bfloat16 autocast) so the script
can be checked on a machine without a GPU; its times mean nothing. A case that fails is
reported in the table and the run exits 1 at the end, so one broken model loses no figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback

WORKLOAD_CASES = ("mlp", "lenet", "resnet", "lstm", "gpt")
CASES = (*WORKLOAD_CASES, "resnet18", "bert-mini")


class Side:
    """One framework's training step: ``loss_of()`` gives the loss of the fixed batch; the
    step zeroes the gradients, runs backward and steps the optimizer, under autocast and a
    GradScaler when ``amp``."""

    def __init__(self, lib, model, opt, loss_of, device):
        self.lib, self.model, self.opt, self.loss_of, self.device = lib, model, opt, loss_of, device
        self.scaler = None

    def _amp(self):
        lib = self.lib
        low = lib.float16 if self.device == "cuda" else lib.bfloat16
        if lib.__name__ == "torch":
            return lib.amp.autocast(self.device, dtype=low), lib.amp.GradScaler(self.device)
        from glassnet.amp import GradScaler, autocast

        return autocast(self.device, dtype=low), GradScaler(self.device)

    def step(self, amp=False):
        self.opt.zero_grad()
        if not amp:
            loss = self.loss_of()
            loss.backward()
            self.opt.step()
            return loss
        context, scaler = self._amp()
        if self.scaler is None:
            self.scaler = scaler
        with context:
            loss = self.loss_of()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        return loss

    def sync(self):
        if self.device != "cuda":
            return
        if self.lib.__name__ == "torch":
            self.lib.cuda.synchronize()
        else:
            import cupy

            cupy.cuda.Device().synchronize()


# ---- the cases ---------------------------------------------------------------------------------
def _workload(name, device, small):
    """A CPU workload's two peers (benchmarks/workloads), moved to ``device``."""
    from benchmarks.workloads import load

    workload = load(name)
    peers = {
        p.name: p for p in workload.build(batch=2 if small else None, peers=("glassnet", "PyTorch"))
    }
    sides = []
    for key in ("glassnet", "PyTorch"):
        p = peers[key]
        p.model.to(device)
        p.x, p.y = p.x.to(device), p.y.to(device)

        def loss_of(p=p):
            # looked up at each call: autocast swaps the functional losses while it is on
            loss_fn = getattr(p.lib.nn.functional, p.loss_fn.__name__)
            out = p.model(p.x)
            if p.flat:
                return loss_fn(out.reshape(-1, out.shape[-1]), p.y.reshape(-1))
            return loss_fn(out, p.y)

        sides.append(Side(p.lib, p.model, p.opt, loss_of, device))
    return workload.TITLE, sides


def _resnet18(device, small, batch):
    import numpy as np
    import torch

    import glassnet
    from glassnet.interop.torch import to_torch

    side = 64 if small else 224
    batch = 2 if small else batch
    glassnet.manual_seed(0)
    model = glassnet.models.resnet18(num_classes=10)
    twin = to_torch(model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, side, side)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    sides = []
    for lib, m in ((glassnet, model), (torch, twin)):
        m.to(device).train()
        bx, by = lib.tensor(x).to(device), lib.tensor(y).to(device)
        opt = lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)

        def loss_of(lib=lib, m=m, bx=bx, by=by):
            return lib.nn.functional.cross_entropy(m(bx), by)

        sides.append(Side(lib, m, opt, loss_of, device))
    return f"ResNet-18 on 3x{side}x{side}, batch {batch}, SGD", sides


def _bert_mini(device, small, batch):
    import glassnet
    from benchmarks.transformers import _import_torch, bert_twins

    torch, transformers = _import_torch()
    seq, batch = (16, 2) if small else (128, batch)
    ours, twin, (ids, mask, y) = bert_twins(torch, transformers, seq, batch)
    sides = []
    for lib, m in ((glassnet, ours), (torch, twin)):
        m.to(device)
        inputs = [lib.tensor(a).to(device) for a in (ids, mask, y)]
        opt = lib.optim.AdamW(m.parameters(), lr=1e-4)

        def loss_of(m=m, inputs=inputs):
            return m(input_ids=inputs[0], attention_mask=inputs[1], labels=inputs[2]).loss

        sides.append(Side(lib, m, opt, loss_of, device))
    return f"BERT-mini (4 x d256), sequence {seq}, batch {batch}, AdamW", sides


def build(case, device, small=False, resnet18_batch=64, bert_batch=64):
    """``(title, [glassnet Side, PyTorch Side])`` for one case."""
    if case in WORKLOAD_CASES:
        return _workload(case, device, small)
    if case == "resnet18":
        return _resnet18(device, small, resnet18_batch)
    if case == "bert-mini":
        return _bert_mini(device, small, bert_batch)
    raise ValueError(f"benchmarks.gpu: unknown case {case!r}; known: {', '.join(CASES)}")


# ---- measuring -----------------------------------------------------------------------------------
def _time(side, steps, amp):
    side.sync()
    start = time.perf_counter()
    for _ in range(steps):
        side.step(amp)
    side.sync()
    return (time.perf_counter() - start) / steps


def measure(sides, rounds, steps, amp):
    """Median step times (ms) of the two sides, interleaved, after a warm-up (CuPy compiles
    its kernels then), and each side's loss on its first step."""
    g, t = sides
    losses = (float(g.step(amp).item()), float(t.step(amp).item()))
    for _ in range(2):
        g.step(amp), t.step(amp)
    times = ([], [])
    for _ in range(rounds):
        times[0].append(_time(g, steps, amp))
        times[1].append(_time(t, steps, amp))
    return [statistics.median(ts) * 1e3 for ts in times], losses


def check_device(device):
    """A clear error (and exit 2) where the GPU path cannot run."""
    if device != "cuda":
        return
    problems = []
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            problems.append("CuPy sees no CUDA device")
    except ImportError:
        problems.append("CuPy is not installed (pip install cupy-cuda12x, or cupy-cuda13x)")
    except Exception as exc:  # a CuPy without a driver raises its own runtime errors
        problems.append(f"CuPy cannot reach a GPU ({type(exc).__name__}: {exc})")
    import torch

    if not torch.cuda.is_available():
        problems.append(f"this PyTorch ({torch.__version__}) has no CUDA device to use")
    if problems:
        print("benchmarks.gpu: cannot run on cuda: " + "; ".join(problems), file=sys.stderr)
        print(
            "  (python -m benchmarks.gpu --device cpu --small checks the script itself)",
            file=sys.stderr,
        )
        raise SystemExit(2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated: " + ",".join(CASES)
    )
    parser.add_argument("--amp", default="both", choices=("off", "on", "both"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--resnet18-batch", type=int, default=64)
    parser.add_argument("--bert-batch", type=int, default=64)
    parser.add_argument("--small", action="store_true", help="tiny batches (to check the script)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    check_device(args.device)
    import torch

    where = torch.cuda.get_device_name() if args.device == "cuda" else "CPU (script check)"
    print(f"Device: {where}")
    print("| workload | autocast | glassnet ms | PyTorch ms | glassnet/PyTorch | first losses |")
    print("|---|---|---:|---:|---:|---|")
    modes = {"off": (False,), "on": (True,), "both": (False, True)}[args.amp]
    rows, failed = [], False
    for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
        for amp in modes:
            row = {"case": case, "autocast": amp, "device": where}
            try:
                title, sides = build(
                    case, args.device, args.small, args.resnet18_batch, args.bert_batch
                )
                (gm, tm), losses = measure(sides, args.rounds, args.steps, amp)
                row.update(title=title, glassnet_ms=gm, torch_ms=tm, ratio=gm / tm, losses=losses)
                low = ("fp16" if args.device == "cuda" else "bf16") if amp else "-"
                print(
                    f"| {title} | {low} | {gm:.2f} | {tm:.2f} | {gm / tm:.2f} "
                    f"| {losses[0]:.4f} / {losses[1]:.4f} |",
                    flush=True,
                )
            except Exception as exc:
                failed = True
                row["error"] = f"{type(exc).__name__}: {exc}"
                print(f"| {case} | {amp} | failed: {row['error'][:200]} | | | |", flush=True)
                traceback.print_exc()
            rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
