"""glassnet.compile in use: layers' inference fast paths, Trainer(compile=True), memory.

As in tests/test_compile.py the oracle is glassnet's eager mode, and the comparisons are exact:
the replay runs the same array calls on the same arrays in the same order.
"""

import tracemalloc

import numpy as np

import glassnet
from glassnet import nn
from glassnet.models import MLP, DigitsCNN, LeNet5
from glassnet.train import Trainer


def _check_inference(model, shape, n=3):
    compiled = glassnet.compile(model)
    rng = np.random.default_rng(0)
    model.eval()
    with glassnet.no_grad():
        for _ in range(n):
            x = glassnet.tensor(rng.standard_normal(shape).astype(np.float32))
            assert np.array_equal(compiled(x)._data, model(x)._data)
    assert compiled.recordings == 1 and compiled.replays == n - 1
    return compiled


def test_batch1_inference_fast_paths_lenet_mlp_digits():
    glassnet.manual_seed(0)
    c = _check_inference(LeNet5(), (1, 1, 28, 28))
    # without a graph the layers run their array kernels directly; those are in the plan
    assert "_infer" in c.explain(print_=False)
    _check_inference(MLP(784, hidden=(128, 64), out_features=10), (1, 784))
    _check_inference(DigitsCNN(), (2, 1, 8, 8))
    _check_inference(MLP(8, hidden=(16,), out_features=2, batch_norm=True), (4, 8))


def test_trainer_compile_matches_eager_history_and_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    data = [(glassnet.tensor(x[i : i + 8]), glassnet.tensor(y[i : i + 8])) for i in range(0, 40, 8)]
    results = []
    for compiled in (False, True):
        glassnet.manual_seed(0)
        model = MLP(6, hidden=(16,), out_features=3, dropout=0.2)
        opt = glassnet.optim.Adam(model.parameters(), lr=1e-2)
        trainer = Trainer(
            model,
            "cross_entropy",
            opt,
            metrics=["accuracy"],
            progress=False,
            compile=compiled,
            accumulate=2,
        )
        history = trainer.fit(data, val=data[:2], epochs=3)
        state = {k: v._data.copy() for k, v in model.state_dict().items()}
        results.append((history, state, trainer))
    (h_e, s_e, _), (h_c, s_c, t_c) = results
    assert h_e.history == h_c.history and len(h_e.history["loss"]) == 3
    assert "val_loss" in h_c.history and h_e.history["loss"][0] != h_e.history["loss"][-1]
    for k in s_e:
        assert np.array_equal(s_e[k], s_c[k]), k
    assert t_c._compiled_batch.recordings == 1 and t_c._compiled_batch.replays == 14


def test_memory_does_not_grow_over_1000_replays():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 1))
    opt = glassnet.optim.Adam(model.parameters(), lr=1e-3)

    @glassnet.compile
    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    x, y = glassnet.randn(4, 2), glassnet.randn(4, 1)
    tracemalloc.start()
    try:
        # Warm-up: the plan is recorded, and CPython's free lists of small tuples (up to 2,000
        # per size, which tracemalloc counts as allocated) fill up.
        for _ in range(3000):
            step(x, y)
        before = tracemalloc.take_snapshot()
        for _ in range(1000):
            step(x, y)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    # A leak of one small array or tuple per replay would be >= 1000 * 56 bytes = 56 kB;
    # what a replay holds at once (a few (4, 8) float32 arrays) is well under 20 kB.
    assert grown < 20_000, grown
    assert step.recordings == 1
