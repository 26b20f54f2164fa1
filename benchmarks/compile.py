"""glassnet.compile against eager glassnet, PyTorch eager and hand-written NumPy, in one run.

Three rows: the XOR 2-8-1 tanh training step (forward, backward, SGD), MLP 784-256-128-10
batch-1 inference and LeNet-5 batch-1 inference. For each row the implementations (glassnet
eager and compiled, PyTorch eager, NumPy by hand, and ``jax.jit`` on the CPU where jax is
installed: see ``benchmarks/jax_peers.py``) start from the same weights, are checked to agree,
then timed interleaved (A B C D E A B C D E ...) with 1 BLAS thread after a warm-up, on the
process CPU clock; the medians over the rounds are printed with the ratios.

Run: ``python -m benchmarks.compile`` (``--rounds 7 --calls 300`` by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import glassnet
from benchmarks import jax_peers
from benchmarks.overhead import LR, NumpyMLP, TorchMLP, X, Y, initial_weights

_NO_JAX = jax_peers.available()  # None, or why the jax.jit rows are left out


# ---- row 1: the XOR training step -----------------------------------------------------------
class XorGlassnet:
    """glassnet with its SGD optimizer (the compiled step needs its effects to be calls)."""

    def __init__(self, weights, compiled):
        self.name = "glassnet compiled" if compiled else "glassnet eager"
        self.x, self.y = glassnet.tensor(X), glassnet.tensor(Y)
        self.params = [glassnet.tensor(w.copy(), requires_grad=True) for w in weights]
        params, opt = self.params, glassnet.optim.SGD(self.params, lr=LR)

        def step(x, y):
            w1, b1, w2, b2 = params
            out = (x @ w1 + b1).tanh() @ w2 + b2
            loss = ((out - y) ** 2).mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss

        self._step = glassnet.compile(step) if compiled else step

    def call(self):
        return self._step(self.x, self.y)

    def value(self):
        return float(self.call().item())


class XorTorch(TorchMLP):
    name = "PyTorch eager"

    def call(self):
        return self.step()

    def value(self):
        return self.loss()


class XorNumpy(NumpyMLP):
    name = "NumPy by hand"

    def call(self):
        return self.step()

    def value(self):
        return self.loss()


def xor_row():
    weights = initial_weights()
    impls = [
        XorGlassnet(weights, False),
        XorGlassnet(weights, True),
        XorTorch(weights),
        XorNumpy(weights),
    ]
    if _NO_JAX is None:
        impls.append(jax_peers.JaxXor(weights, X, Y, np.float32(LR)))
    return impls


# ---- rows 2 and 3: batch-1 inference --------------------------------------------------------
def _torch_twin(model, build):
    import torch

    twin = build(torch.nn)
    twin.load_state_dict(
        {k: torch.from_numpy(v._data.copy()) for k, v in model.state_dict().items()}
    )
    return twin.eval()


class Infer:
    def __init__(self, name, fn, x, convert=lambda out: out):
        self.name, self.fn, self.x, self.convert = name, fn, x, convert

    def call(self):
        return self.fn(self.x)

    def value(self):
        return np.asarray(self.convert(self.call()), dtype=np.float64)


def _no_grad(fn):
    def run(inp):
        with glassnet.no_grad():
            return fn(inp)

    return run


def _glassnet_infer(model, x):
    """Both under no_grad, as PyTorch's row: eager then takes the layers' graph-free paths."""
    eager = Infer("glassnet eager", _no_grad(model), glassnet.tensor(x), lambda t: t._data)
    compiled = glassnet.compile(model)
    compiled = Infer("glassnet compiled", _no_grad(compiled), glassnet.tensor(x), lambda t: t._data)
    return eager, compiled


def _torch_infer(twin, x):
    import torch

    tx = torch.from_numpy(x)

    def run(inp):
        with torch.no_grad():
            return twin(inp)

    return Infer("PyTorch eager", run, tx, lambda t: t.numpy())


def mlp_row():
    glassnet.manual_seed(0)
    model = glassnet.models.MLP(784, hidden=(256, 128), out_features=10).eval()
    twin = _torch_twin(
        model,
        lambda tnn: tnn.Sequential(
            tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10)
        ),
    )
    x = np.random.default_rng(0).standard_normal((1, 784)).astype(np.float32)
    w = [p._data.copy() for p in model.parameters()]
    wt = [a.T.copy() if a.ndim == 2 else a for a in w]

    def numpy_mlp(v):
        h = np.maximum(v @ wt[0] + wt[1], 0)
        h = np.maximum(h @ wt[2] + wt[3], 0)
        return h @ wt[4] + wt[5]

    impls = [
        *_glassnet_infer(model, x),
        _torch_infer(twin, x),
        Infer("NumPy by hand", numpy_mlp, x),
    ]
    if _NO_JAX is None:
        impls.append(jax_peers.mlp(w, x))
    return impls


def _numpy_conv(x, w, b, pad):
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    # (N, C, H, W, k, k) x (O, C, k, k) -> (N, O, H, W)
    n, c, h, wd = windows.shape[:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * k * k)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2)


def _numpy_pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def lenet_row():
    glassnet.manual_seed(0)
    model = glassnet.models.LeNet5().eval()

    def build(tnn):
        class LeNet(tnn.Module):
            def __init__(self):
                super().__init__()
                self.features = tnn.Sequential(
                    tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                    tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                )  # fmt: skip
                self.classifier = tnn.Sequential(
                    tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84),
                    tnn.ReLU(), tnn.Linear(84, 10),
                )  # fmt: skip

            def forward(self, x):
                return self.classifier(self.features(x))

        return LeNet()

    twin = _torch_twin(model, build)
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    p = {k: v._data.copy() for k, v in model.state_dict().items()}
    fc = [(p[f"classifier.{i}.weight"].T.copy(), p[f"classifier.{i}.bias"]) for i in (1, 3, 5)]

    def numpy_lenet(v):
        h = _numpy_pool(
            np.maximum(_numpy_conv(v, p["features.0.weight"], p["features.0.bias"], 2), 0)
        )
        h = _numpy_pool(
            np.maximum(_numpy_conv(h, p["features.3.weight"], p["features.3.bias"], 0), 0)
        )
        h = h.reshape(h.shape[0], -1)
        h = np.maximum(h @ fc[0][0] + fc[0][1], 0)
        h = np.maximum(h @ fc[1][0] + fc[1][1], 0)
        return h @ fc[2][0] + fc[2][1]

    impls = [
        *_glassnet_infer(model, x),
        _torch_infer(twin, x),
        Infer("NumPy by hand", numpy_lenet, x),
    ]
    if _NO_JAX is None:
        impls.append(jax_peers.lenet(p, x))
    return impls


# ---- timing ---------------------------------------------------------------------------------
def _time(impl, calls):
    """Process CPU time per call: on a shared machine, other processes' load stays out of it
    (JAX's compute runs on this process's threads, so it is counted too)."""
    call = impl.call
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls * 1e6


def check(impls, rtol):
    """Every implementation gives the reference's first values (float32 round-off apart);
    compiled and eager glassnet give identical ones."""
    values = [np.array([impl.value() for _ in range(3)]) for impl in impls]
    for impl, v in zip(impls, values):
        np.testing.assert_allclose(v, values[2], rtol=rtol, atol=1e-6, err_msg=impl.name)
    assert np.array_equal(values[0], values[1]), "compiled differs from eager"


def measure(title, impls, rounds, calls, warmup):
    for impl in impls:
        _time(impl, warmup)
    times = {impl.name: [] for impl in impls}
    for _ in range(rounds):
        for impl in impls:  # interleaved: a busy machine slows all of them alike
            times[impl.name].append(_time(impl, calls))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    torch_us, numpy_us = median["PyTorch eager"], median["NumPy by hand"]
    jax_us = median.get("jax.jit")
    print(f"\n{title}: median µs (process CPU) per call over {rounds} rounds x {calls} calls\n")
    print("| implementation | µs / call | spread (min-max) | / PyTorch | / NumPy | / JAX |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, us in median.items():
        spread = f"{min(times[name]):.1f}-{max(times[name]):.1f}"
        vs_jax = f"{us / jax_us:.2f}" if jax_us else "-"
        print(
            f"| {name} | {us:.1f} | {spread} | {us / torch_us:.2f} | {us / numpy_us:.2f} "
            f"| {vs_jax} |"
        )
    return median


def run(rounds=7, calls=300, warmup=200):
    from benchmarks.mlp import set_threads

    print(set_threads(1))
    if _NO_JAX is not None:
        print(f"jax.jit rows skipped: {_NO_JAX}")
    else:
        print(f"jax.jit on the CPU with XLA_FLAGS={os.environ.get('XLA_FLAGS')!r}")
    results = {}
    rows = (
        ("XOR 2-8-1 training step", xor_row, 2e-3),
        ("MLP 784-256-128-10 batch-1 inference", mlp_row, 1e-4),
        ("LeNet-5 batch-1 inference", lenet_row, 1e-4),
    )
    for title, make, rtol in rows:
        check(make(), rtol)  # fresh weights for the check, then for the timing
        results[title] = measure(title, make(), rounds, calls, warmup)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    run(args.rounds, args.calls)


if __name__ == "__main__":
    main()
