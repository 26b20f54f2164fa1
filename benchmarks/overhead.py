"""Per-step overhead on a tiny model: a 2-8-1 tanh MLP learning XOR, in glassnet, PyTorch and
hand-written NumPy (forward and backward by hand), from identical initial weights.

On a model this small the arithmetic is nothing and the framework's Python (or C++ dispatch) is
everything, so this measures what glassnet adds around each NumPy call. The three run interleaved
(A B C A B C ...) after a warm-up, so a busy machine slows all of them alike; medians over the
rounds are printed as a Markdown table with the ratios glassnet/PyTorch and glassnet/NumPy.

BLAS threads are set for NumPy (threadpoolctl) and PyTorch alike (``--threads``, 2 by default)
and printed. Run: ``python -m benchmarks.overhead`` (``--rounds 7 --steps 300`` by default), or
with ``--profile`` to see where glassnet's step spends its time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import glassnet

LR = 0.2
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def initial_weights(seed=0):
    """W1 (2, 8), b1 (8,), W2 (8, 1), b2 (1,): float32, the same for all three."""
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(-1.0, 1.0, size=(2, 8)).astype(np.float32)
    b1 = rng.uniform(-0.5, 0.5, size=(8,)).astype(np.float32)
    w2 = rng.uniform(-1.0, 1.0, size=(8, 1)).astype(np.float32)
    b2 = np.zeros((1,), dtype=np.float32)
    return [w1, b1, w2, b2]


class GlassnetMLP:
    """The model written with raw glassnet ops and a manual SGD step."""

    name = "glassnet"

    def __init__(self, weights):
        self.x, self.y = glassnet.tensor(X), glassnet.tensor(Y)
        self.params = [glassnet.tensor(w.copy(), requires_grad=True) for w in weights]

    def step(self):
        w1, b1, w2, b2 = self.params
        out = (self.x @ w1 + b1).tanh() @ w2 + b2
        loss = ((out - self.y) ** 2).mean()
        loss.backward()
        with glassnet.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad = None
        return loss

    def loss(self):
        return float(self.step().item())

    def reset(self, weights):
        for p, w in zip(self.params, weights):
            p.data[...] = w


class TorchMLP:
    """The same model in PyTorch, the same way."""

    name = "PyTorch"

    def __init__(self, weights):
        import torch

        self.torch = torch
        self.x, self.y = torch.tensor(X), torch.tensor(Y)
        self.params = [torch.tensor(w.copy(), requires_grad=True) for w in weights]

    def step(self):
        torch = self.torch
        w1, b1, w2, b2 = self.params
        out = torch.tanh(self.x @ w1 + b1) @ w2 + b2
        loss = ((out - self.y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad = None
        return loss

    def loss(self):
        return float(self.step().item())

    def reset(self, weights):
        with self.torch.no_grad():
            for p, w in zip(self.params, weights):
                p.copy_(self.torch.from_numpy(w))


class NumpyMLP:
    """Forward and backward written out by hand in NumPy: the floor any framework sits on."""

    name = "NumPy"

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]
        self.lr = np.float32(LR)

    def step(self):
        w1, b1, w2, b2 = self.params
        h = np.tanh(X @ w1 + b1)
        out = h @ w2 + b2
        diff = out - Y
        loss = (diff * diff).mean()
        g_out = diff * np.float32(2.0 / diff.size)
        g_w2 = h.T @ g_out
        g_b2 = g_out.sum(0)
        g_z = (g_out @ w2.T) * (1 - h * h)
        g_w1 = X.T @ g_z
        g_b1 = g_z.sum(0)
        lr = self.lr
        w1 -= lr * g_w1
        b1 -= lr * g_b1
        w2 -= lr * g_w2
        b2 -= lr * g_b2
        return loss

    def loss(self):
        return float(self.step())

    def reset(self, weights):
        for p, w in zip(self.params, weights):
            p[...] = w


def check_trajectories(steps=300, rtol=2e-3):
    """Train all three from the same start; check they follow the same loss trajectory.

    Compared while the loss is above 1e-5 (later it is float32 round-off), and the final losses
    must all be tiny.
    """
    weights = initial_weights()
    models = [GlassnetMLP(weights), TorchMLP(weights), NumpyMLP(weights)]
    trajectories = [np.array([m.loss() for _ in range(steps)]) for m in models]
    reference = trajectories[1]
    compared = reference > 1e-5
    assert compared.sum() >= 50, "the loss fell too fast to compare trajectories"
    for model, trajectory in zip(models, trajectories):
        np.testing.assert_allclose(
            trajectory[compared], reference[compared], rtol=rtol, err_msg=f"{model.name} vs PyTorch"
        )
        assert trajectory[-1] < 1e-4, f"{model.name} did not learn XOR: loss {trajectory[-1]}"
    return trajectories, int(compared.sum())


def time_steps(model, steps):
    step = model.step
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e6


def run(rounds=7, steps=300, warmup=300, threads=2):
    from benchmarks.mlp import set_threads

    print(set_threads(threads))
    trajectories, compared = check_trajectories()
    weights = initial_weights()
    models = [GlassnetMLP(weights), TorchMLP(weights), NumpyMLP(weights)]
    for model in models:
        time_steps(model, warmup)
    times = {m.name: [] for m in models}
    for _ in range(rounds):
        for model in models:  # interleaved, each round from the same weights: the same work
            model.reset(weights)
            times[model.name].append(time_steps(model, steps))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    g = median["glassnet"]
    print(f"XOR 2-8-1 tanh MLP, {rounds} rounds x {steps} steps, median µs per step\n")
    print("| implementation | µs / step | glassnet / this |")
    print("|---|---:|---:|")
    for name in ("glassnet", "PyTorch", "NumPy"):
        print(f"| {name} | {median[name]:.1f} | {g / median[name]:.2f} |")
    at = [1, 50, 100, len(trajectories[0])]
    print("\nloss at step " + ", ".join(str(i) for i in at) + ":")
    for name, t in zip(("glassnet", "PyTorch", "NumPy"), trajectories):
        print(f"  {name:8s} " + ", ".join(f"{t[i - 1]:.4e}" for i in at))
    print(f"(the three agree within 0.2% over the first {compared} steps)")
    ratio_torch, ratio_numpy = g / median["PyTorch"], g / median["NumPy"]
    print(
        f"targets: glassnet/PyTorch {ratio_torch:.2f} (<= 0.25: "
        f"{'met' if ratio_torch <= 0.25 else 'NOT met'}), glassnet/NumPy {ratio_numpy:.2f} "
        f"(<= 4: {'met' if ratio_numpy <= 4 else 'NOT met'})"
    )
    return median


def profile(steps=2000, top=25):
    """Where glassnet's step spends its time (cProfile, sorted by time inside each function)."""
    import cProfile
    import pstats

    model = GlassnetMLP(initial_weights())
    time_steps(model, 200)
    profiler = cProfile.Profile()
    profiler.runcall(time_steps, model, steps)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for all peers")
    parser.add_argument("--profile", action="store_true", help="cProfile glassnet's step instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile()
    else:
        run(args.rounds, args.steps, threads=args.threads)


if __name__ == "__main__":
    main()
