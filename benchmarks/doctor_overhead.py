"""What the training doctor costs: Trainer steps with and without ``Doctor()`` (its defaults:
3 warm-up steps, then one sampled step in 20), on an MLP and on a small ResNet.

The runs alternate (plain, Doctor(), Doctor(every=1), plain, ...) over several rounds, so a
busy machine slows all alike; the fastest round of each is printed as a Markdown table, with
the overhead that the cost of a watched step predicts for the default sampling. The budget
is 10%.

    PYTHONPATH=. python benchmarks/doctor_overhead.py [--rounds 5] [--steps 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import glassnet
from glassnet import nn, optim
from glassnet.doctor import Doctor
from glassnet.train import Trainer


def mlp_case(batch=128):
    rng = np.random.default_rng(0)
    x = glassnet.from_numpy(rng.normal(size=(batch, 784)).astype(np.float32))
    y = glassnet.from_numpy(rng.integers(0, 10, batch))
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    return model, (x, y)


def resnet_case(batch=16):
    from glassnet.models.vision.resnet import BasicBlock, ResNet

    rng = np.random.default_rng(0)
    x = glassnet.from_numpy(rng.normal(size=(batch, 3, 32, 32)).astype(np.float32))
    y = glassnet.from_numpy(rng.integers(0, 10, batch))
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10), (x, y)


def time_fit(model, batch, steps, doctor):
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    callbacks = [Doctor(verbose=False, every=doctor)] if doctor else []
    t = Trainer(model, nn.CrossEntropyLoss(), opt, callbacks=callbacks, progress=False)
    data = [batch] * steps
    start = time.perf_counter()
    t.fit(data, epochs=1)
    return (time.perf_counter() - start) / steps


def measure(name, make, rounds, steps):
    glassnet.manual_seed(0)
    model, batch = make()
    time_fit(model, batch, 3, False)  # warm-up
    plain, doc, every = [], [], []
    for _ in range(rounds):
        plain.append(time_fit(model, batch, steps, False))
        doc.append(time_fit(model, batch, steps, 20))
        every.append(time_fit(model, batch, steps, 1))
    # the fastest round of each: the one least disturbed by other work on the machine
    p, d, e = min(plain), min(doc), min(every)
    return name, p, d, (d - p) / p, e


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args(argv)
    rows = [
        measure("MLP 784-256-256-10, batch 128", mlp_case, args.rounds, args.steps),
        measure(
            "ResNet (BasicBlock x [1,1,1,1]), 3x32x32, batch 16",
            resnet_case,
            args.rounds,
            args.steps,
        ),
    ]
    print(
        "| model | step without | with Doctor() | overhead | every step watched (every=1) "
        "| expected overhead at every=20 |\n|---|---|---|---|---|---|"
    )
    for name, p, d, o, e in rows:
        # 3 warm-up steps plus one in 20 pay the watched cost e - p; the rest pay ~nothing
        share = (3 + args.steps / 20) / args.steps
        print(
            f"| {name} | {1e3 * p:.2f} ms | {1e3 * d:.2f} ms | {100 * o:+.1f}% | "
            f"{1e3 * e:.2f} ms ({100 * (e - p) / p:+.0f}%) | {100 * share * (e - p) / p:+.1f}% |"
        )


if __name__ == "__main__":
    main()
