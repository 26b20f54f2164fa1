"""A 784-512-512-10 ReLU MLP (MNIST-sized) in glassnet, PyTorch and hand-written NumPy: one
training step at batch 128 (nn.Linear + ReLU + F.cross_entropy + optim.SGD with momentum, and
optim.Adam) and batch-1 inference, from identical initial weights.

Here the matrix products are real work, so this measures what glassnet adds around them: the
target is glassnet within 10% of hand-written NumPy (forward and backward written out by hand)
and faster than PyTorch. The three run interleaved (A B C A B C ...), so a busy machine slows
all of them alike; medians over the rounds are printed with the ratios.

BLAS threads are set explicitly for both peers (threadpoolctl for NumPy's BLAS,
``torch.set_num_threads`` for PyTorch): on a small shared machine an unset thread count can
oversubscribe the cores and make small matrix products 10-100x slower.

Run: ``python -m benchmarks.mlp`` (``--threads 2 --rounds 7``), or ``--profile`` to see where
glassnet's training step spends its time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import glassnet
import glassnet.nn.functional as F
from glassnet import nn, optim

SIZES = (784, 512, 512, 10)
BATCH = 128
LR_SGD, MOMENTUM = 0.01, 0.9
LR_ADAM = 1e-3


def initial_weights(seed=0):
    """[(W, b), ...] in PyTorch's layout (W is (out, in)), float32, the same for all three."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        w = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(n_out,)).astype(np.float32)
        layers.append((w, b))
    return layers


def batch(n=BATCH, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=n).astype(np.int64)
    return x, y


# ---- glassnet ------------------------------------------------------------------------------
class GlassnetMLP:
    name = "glassnet"

    def __init__(self, weights, optimizer):
        layers = []
        for w, b in weights:
            linear = nn.Linear(w.shape[1], w.shape[0])
            linear.weight.data[...] = w
            linear.bias.data[...] = b
            layers += [linear, nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])
        params = list(self.model.parameters())
        if optimizer == "sgd":
            self.opt = optim.SGD(params, lr=LR_SGD, momentum=MOMENTUM)
        else:
            self.opt = optim.Adam(params, lr=LR_ADAM)
        x, y = batch()
        self.x, self.y = glassnet.tensor(x), glassnet.tensor(y)
        self.x1 = glassnet.tensor(x[:1])

    def step(self):
        self.opt.zero_grad()
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def loss(self):
        return self.step().item()

    def infer(self):
        with glassnet.no_grad():
            return self.model(self.x1)


# ---- PyTorch -------------------------------------------------------------------------------
class TorchMLP:
    name = "PyTorch"

    def __init__(self, weights, optimizer):
        import torch

        self.torch = torch
        layers = []
        for w, b in weights:
            linear = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        params = list(self.model.parameters())
        if optimizer == "sgd":
            self.opt = torch.optim.SGD(params, lr=LR_SGD, momentum=MOMENTUM)
        else:
            self.opt = torch.optim.Adam(params, lr=LR_ADAM)
        x, y = batch()
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.x1 = torch.from_numpy(x[:1].copy())

    def step(self):
        self.opt.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def loss(self):
        return self.step().item()

    def infer(self):
        with self.torch.no_grad():
            return self.model(self.x1)


# ---- NumPy, by hand ------------------------------------------------------------------------
class NumpyMLP:
    """Forward, softmax cross entropy, backward and the optimizer written out in NumPy."""

    name = "NumPy"

    def __init__(self, weights, optimizer):
        self.params = [a.copy() for wb in weights for a in wb]
        self.optimizer = optimizer
        self.state = [np.zeros_like(p) for p in self.params]
        self.state2 = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.x, self.y = batch()
        self.x1 = self.x[:1].copy()
        self.rows = np.arange(BATCH)

    def forward(self, x):
        w1, b1, w2, b2, w3, b3 = self.params
        a1 = np.maximum(x @ w1.T + b1, 0)
        a2 = np.maximum(a1 @ w2.T + b2, 0)
        return a1, a2, a2 @ w3.T + b3

    def step(self):
        x, y, rows = self.x, self.y, self.rows
        w1, b1, w2, b2, w3, b3 = self.params
        a1, a2, logits = self.forward(x)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s[:, 0]).mean() - np.log(e[rows, y]).mean()
        g = e / s
        g[rows, y] -= 1
        g /= len(y)
        grads = [None] * 6
        grads[4], grads[5] = g.T @ a2, g.sum(axis=0)
        g = (g @ w3) * (a2 > 0)
        grads[2], grads[3] = g.T @ a1, g.sum(axis=0)
        g = (g @ w2) * (a1 > 0)
        grads[0], grads[1] = g.T @ x, g.sum(axis=0)
        if self.optimizer == "sgd":
            for p, gp, buf in zip(self.params, grads, self.state):
                buf *= MOMENTUM
                buf += gp
                p -= LR_SGD * buf
        else:
            self.t += 1
            bias1 = 1 - 0.9**self.t
            bias2_sqrt = np.sqrt(1 - 0.999**self.t)
            for p, gp, m, v in zip(self.params, grads, self.state, self.state2):
                m *= 0.9
                m += 0.1 * gp
                v *= 0.999
                v += 0.001 * gp * gp
                p -= (LR_ADAM / bias1) * m / (np.sqrt(v) / bias2_sqrt + 1e-8)
        return loss

    def loss(self):
        return float(self.step())

    def infer(self):
        return self.forward(self.x1)[2]


# ---- measuring ------------------------------------------------------------------------------
def set_threads(threads):
    """Pin the BLAS thread count of both peers; return a line saying what is in use."""
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads, user_api="blas")
    blas = ", ".join(
        f"{i['internal_api']} {i.get('version', '')} x{i['num_threads']}"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    return f"threads: NumPy BLAS [{blas}], PyTorch intra-op x{torch.get_num_threads()}"


def check_agreement(optimizer, steps=5):
    """All three take the same first steps (losses equal to float32 accuracy)."""
    weights = initial_weights()
    models = [cls(weights, optimizer) for cls in (GlassnetMLP, TorchMLP, NumpyMLP)]
    losses = np.array([[m.loss() for _ in range(steps)] for m in models])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-3, err_msg="glassnet vs PyTorch")
    np.testing.assert_allclose(losses[2], losses[1], rtol=1e-3, err_msg="NumPy vs PyTorch")
    outs = [np.asarray(m.infer().detach() if m.name == "PyTorch" else m.infer()) for m in models]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[2], outs[1], rtol=1e-4, atol=1e-5)
    return losses


def time_calls(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def measure(models, method, rounds, calls):
    for m in models:  # warm-up
        time_calls(getattr(m, method), max(2, calls // 5))
    times = {m.name: [] for m in models}
    for _ in range(rounds):
        for m in models:
            times[m.name].append(time_calls(getattr(m, method), calls))
    return {name: statistics.median(ts) for name, ts in times.items()}


def run(threads=2, rounds=7, steps=10, infer_calls=300):
    print(set_threads(threads))
    rows = []
    for optimizer in ("sgd", "adam"):
        check_agreement(optimizer)
        weights = initial_weights()
        models = [cls(weights, optimizer) for cls in (GlassnetMLP, TorchMLP, NumpyMLP)]
        label = f"train step, batch {BATCH}, {'SGD momentum' if optimizer == 'sgd' else 'Adam'}"
        rows.append((label, measure(models, "step", rounds, steps), (0.85, 1.10)))
    models = [cls(initial_weights(), "sgd") for cls in (GlassnetMLP, TorchMLP, NumpyMLP)]
    rows.append(("inference, batch 1", measure(models, "infer", rounds, infer_calls), (0.5, None)))

    print(f"\n784-512-512-10 ReLU MLP, {rounds} rounds, median µs per call\n")
    print("| case | glassnet | PyTorch | NumPy | glassnet/PyTorch | glassnet/NumPy |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, t, _ in rows:
        g, p, n = t["glassnet"], t["PyTorch"], t["NumPy"]
        print(f"| {label} | {g:.0f} | {p:.0f} | {n:.0f} | {g / p:.2f} | {g / n:.2f} |")
    print("\ntargets:")
    for label, t, (to_torch, to_numpy) in rows:
        r_t = t["glassnet"] / t["PyTorch"]
        line = f"  {label}: glassnet/PyTorch {r_t:.2f} (<= {to_torch}: "
        line += "met)" if r_t <= to_torch else "NOT met)"
        if to_numpy is not None:
            r_n = t["glassnet"] / t["NumPy"]
            line += f", glassnet/NumPy {r_n:.2f} (<= {to_numpy}: "
            line += "met)" if r_n <= to_numpy else "NOT met)"
        print(line)
    return rows


def profile(threads=2, optimizer="sgd", calls=50, top=25):
    """Where glassnet's training step spends its time (cProfile, by time inside functions)."""
    import cProfile
    import pstats

    print(set_threads(threads))
    model = GlassnetMLP(initial_weights(), optimizer)
    time_calls(model.step, 5)
    profiler = cProfile.Profile()
    profiler.runcall(time_calls, model.step, calls)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for both peers")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--infer-calls", type=int, default=300, help="inferences per round")
    parser.add_argument("--profile", choices=("sgd", "adam"), help="cProfile glassnet's step")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.threads, args.profile)
    else:
        run(args.threads, args.rounds, args.steps, args.infer_calls)


if __name__ == "__main__":
    main()
