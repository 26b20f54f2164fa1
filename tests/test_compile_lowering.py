"""The array-call lowering (glassnet/compile/lower_ops.py, array_calls.py): each lowered op
family gives what eager mode gives, bit for bit, in float32 and float64, and a case the
table does not know runs its recorded step instead, with the same result.

The oracle is eager glassnet (checked against PyTorch in the op and layer tests): a lowered
step makes the same ufunc/BLAS calls in the same order on arrays of the same layout, so the
comparisons are exact (np.array_equal). Each case also checks that the step it is about was
lowered (its line in explain() is followed by its array calls), or, for a fallback case,
that it was not.
"""

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.nn import functional as F

DTYPES = [np.float32, np.float64]


def _lowered_ops(compiled):
    """The op names of the plan's lowered steps ("Tanh.forward", "linear_array", ...)."""
    return {s.text.split("(")[0] for s in compiled.last_plan.steps if s.kind == "lowered"}


# (name, function of (x, y), ops that must be lowered); x is (4, 3), y is (3, 5) for the
# products and (4, 3) otherwise; each function returns a scalar loss.
W = np.linspace(-1.0, 1.0, 20).reshape(4, 5)


def _weighted(t):
    """A randomly weighted sum (not lowered-dependent: Mul and Sum are in the table too)."""
    return (t * glassnet.tensor(W[: t.shape[0], : t.shape[1]].astype(t._data.dtype))).sum()


CASES = [
    ("add", lambda x, y: _weighted(x + y), {"Add.forward", "Add.backward"}),
    ("add scalar", lambda x, y: _weighted(x + 0.5), {"Add.forward"}),
    ("sub", lambda x, y: _weighted(x - y), {"Sub.forward", "Sub.backward"}),
    ("sub target", lambda x, y: _weighted(x - y.detach()), {"Sub.forward", "Sub.backward"}),
    ("mul", lambda x, y: _weighted(x * y), {"Mul.forward", "Mul.backward"}),
    ("square", lambda x, y: _weighted(x**2), {"Pow.forward", "Pow.backward"}),
    ("tanh", lambda x, y: _weighted(x.tanh()), {"Tanh.forward", "Tanh.backward"}),
    ("sigmoid", lambda x, y: _weighted(x.sigmoid()), {"Sigmoid.forward", "Sigmoid.backward"}),
    # exp(-x) overflows to inf for x < -88 (float32): the result's limit, 0, without a warning
    ("sigmoid wide", lambda x, y: _weighted((x * 100).sigmoid()), {"Sigmoid.backward"}),
    ("relu", lambda x, y: _weighted(x.relu()), {"Relu.forward", "Relu.backward"}),
    ("matmul", lambda x, y: _weighted(x @ y), {"MatMul2D.forward", "MatMul2D.backward"}),
    ("outer", lambda x, y: _weighted(x[:, :1] @ y[:1]), {"MatMul2D.backward"}),
    ("linear", lambda x, y: _weighted(F.linear(x, y.T, y[0, :5])), {"Linear.backward"}),
    ("mean", lambda x, y: (x * y).mean(), {"Mean.forward", "Mean.backward"}),
    ("mean dim", lambda x, y: _weighted((x * y).mean(dim=1, keepdim=True)), {"Mean.forward"}),
    ("sum dim", lambda x, y: _weighted((x - y).sum(dim=0)[None]), {"Sum.forward"}),
    ("sum inside", lambda x, y: _weighted(x * (x * y).sum()), {"Sum.forward", "Sum.backward"}),
    ("mse", lambda x, y: ((x.tanh() - y) ** 2).mean(), {"Pow.backward", "Mean.backward"}),
    ("mse_loss", lambda x, y: F.mse_loss(x.tanh(), y), {"MSE.forward", "MSE.backward"}),
    ("mse_loss sum", lambda x, y: F.mse_loss(x, y, reduction="sum"), {"MSE.backward"}),
    ("mse_loss target", lambda x, y: F.mse_loss(x, y.detach()), {"MSE.backward"}),
    (
        "bce with logits",
        lambda x, y: F.binary_cross_entropy_with_logits(x * 4, y.sigmoid()),
        {"BCEWithLogits.forward", "BCEWithLogits.backward"},
    ),
    (
        "bce with logits sum",
        lambda x, y: F.binary_cross_entropy_with_logits(x, y.detach(), reduction="sum"),
        {"BCEWithLogits.backward"},
    ),
]


def _inputs(name, dtype, seed):
    rng = np.random.default_rng(seed)
    product = name in ("matmul", "outer", "linear")
    x = rng.standard_normal((4, 3)).astype(dtype)
    y = rng.standard_normal((3, 5) if product else (4, 3)).astype(dtype)
    return glassnet.tensor(x, requires_grad=True), glassnet.tensor(y, requires_grad=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,ops", CASES, ids=[c[0] for c in CASES])
def test_lowered_op_is_bit_identical_to_eager(name, fn, ops, dtype):
    def step(x, y):
        loss = fn(x, y)
        loss.backward()
        return loss

    compiled = glassnet.compile(step)
    for seed in range(4):  # the first call records, the next ones replay the lowered plan
        xe, ye = _inputs(name, dtype, seed)
        xc, yc = _inputs(name, dtype, seed)
        expected, got = step(xe, ye), compiled(xc, yc)
        assert got._data.dtype == expected._data.dtype == dtype
        assert np.array_equal(got._data, expected._data)
        for e, c in ((xe, xc), (ye, yc)):
            if e.grad is None:
                assert c.grad is None
            else:
                assert c.grad._data.dtype == e.grad._data.dtype
                assert np.array_equal(c.grad._data, e.grad._data)
    assert compiled.replays == 3
    assert ops <= _lowered_ops(compiled), compiled.explain(print_=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_is_bit_identical_and_checks_ignored_targets_on_every_replay(
    dtype, reduction
):
    """Recorded with every target valid; a later batch with an ignored target (value-dependent
    in eager: another formula) runs the recorded Function for that replay, then the lowered
    calls again."""
    w = np.linspace(-1.0, 1.0, 15).reshape(5, 3).astype(dtype)

    def step(x, target, wt):
        loss = F.cross_entropy(x @ wt, target, reduction=reduction, ignore_index=-1)
        loss.backward()
        return loss

    compiled = glassnet.compile(step)
    rng = np.random.default_rng(0)
    targets = [[0, 1, 2, 0], [2, 2, 1, 0], [0, -1, 2, 1], [1, 0, 0, 2]]
    for labels in targets:
        x = rng.standard_normal((4, 5)).astype(dtype) * 3
        runs = []
        for run in (step, compiled):
            wt = glassnet.tensor(w, requires_grad=True)
            loss = run(glassnet.tensor(x), glassnet.tensor(np.array(labels)), wt)
            runs.append((loss._data, wt.grad._data))
        assert runs[0][0].dtype == runs[1][0].dtype == dtype
        assert np.array_equal(runs[0][0], runs[1][0])
        assert np.array_equal(runs[0][1], runs[1][1])
    assert compiled.replays == 3
    assert {"ClassLoss.forward", "ClassLoss.backward"} <= _lowered_ops(compiled)


def test_the_plan_replays_as_one_generated_function_of_its_lowered_calls():
    """Plan.source: one line per lowered call (into a buffer with out=, or a fresh array where
    a recorded step reads the result), a closure call for every other step; explain() lists
    the same calls under each op's line."""
    w = glassnet.tensor(np.ones((3, 2), np.float32), requires_grad=True)

    @glassnet.compile
    def step(x):
        loss = (x @ w).tanh().cumsum(1).sum()  # cumsum: not in the table
        loss.backward()
        return loss

    for k in range(2):
        step(glassnet.tensor(np.full((4, 3), 0.5 * k, np.float32)))
    source = step.last_plan.source.splitlines()
    assert source[0] == "def replay(env, inputs):"
    assert any(line.strip().startswith("matmul_") and "out=buf_" in line for line in source)
    # tanh's result is read by cumsum's recorded forward: a fresh array, no buffer
    assert any(line.strip().startswith("env[3] = tanh_") for line in source)
    assert any(line.strip().startswith("r_") for line in source)  # Cumsum's recorded calls
    text = step.explain(print_=False)
    assert "| matmul(%0(4, 3), %1(3, 2)) -> %2(4, 2) into its buffer (out=)" in text


def test_unknown_case_falls_back_to_the_recorded_step():
    """alpha= (not mirrored), a float16 op and an op outside the table (cumsum) stay recorded
    steps between lowered ones; the results still match eager exactly."""

    def step(x, y):
        a = x.add(y, alpha=2.0)  # Add with alpha: the recorded call
        b = (a.tanh() * 3).cumsum(1)  # Tanh, Mul lowered; CumSum recorded
        c = x.half().sigmoid().float()  # float16 sigmoid: recorded
        loss = (b + c).sum()
        loss.backward()
        return loss

    compiled = glassnet.compile(step)
    for seed in range(3):
        xe, ye = _inputs("add", np.float32, seed)
        xc, yc = _inputs("add", np.float32, seed)
        assert np.array_equal(compiled(xc, yc)._data, step(xe, ye)._data)
        assert np.array_equal(xc.grad._data, xe.grad._data)
        assert np.array_equal(yc.grad._data, ye.grad._data)
    steps = compiled.last_plan.steps
    assert {"Tanh.forward", "Mul.forward", "Add.forward"} <= _lowered_ops(compiled)
    kept = [s.text for s in steps if s.kind == "forward"]  # recorded calls, not lowered
    assert any(t.startswith("Add.forward") and ", 2.0)" in t for t in kept)
    assert any(t.startswith("Sigmoid.forward") for t in kept)
    assert any(t.startswith("Cumsum.forward") for t in kept)


def test_results_the_caller_holds_are_not_overwritten_by_the_next_call():
    """Outputs and .grad arrays are fresh arrays every call (only slots the plan alone reads
    get a buffer), so a value kept from one call is unchanged by the next."""
    w = glassnet.tensor(np.ones((3, 2), np.float32), requires_grad=True)

    @glassnet.compile
    def step(x):
        h = (x @ w).tanh()
        loss = (h * h).mean()
        loss.backward()
        return loss, h

    kept = []
    for k in range(3):
        w.grad = None
        x = glassnet.tensor(np.full((4, 3), 0.1 * (k + 1), np.float32))
        loss, h = step(x)
        kept.append((loss._data.copy(), loss._data, h._data.copy(), h._data, w.grad._data))
        kept[-1] += (w.grad._data.copy(),)
    for loss_copy, loss, h_copy, h, grad, grad_copy in kept:
        assert np.array_equal(loss, loss_copy) and np.array_equal(h, h_copy)
        assert np.array_equal(grad, grad_copy)
    assert len({float(k[0]) for k in kept}) == 3  # the calls did see different inputs


def test_in_place_ops_on_lowered_results_replay_as_in_eager():
    """An in-place op on the result of a lowered call (``y.add_(x)``, ``y.mul_(3)``) changes
    that array in place on every replay, as in eager mode, whatever home the slot got."""

    def step(x):
        y = x * 2.0
        y.add_(x)
        z = y.tanh()
        z.mul_(3)
        return (z * y).sum()

    compiled = glassnet.compile(step)
    for k in range(4):
        x = glassnet.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3) * (k + 1))
        assert np.array_equal(compiled(x)._data, step(x)._data)
    assert compiled.replays == 3
    assert {"Mul.forward", "Tanh.forward"} <= _lowered_ops(compiled)


def _mlp(dtype):
    glassnet.manual_seed(0)
    return nn.Sequential(
        nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3)
    ).to(dtype=glassnet.float64 if dtype == np.float64 else glassnet.float32)


class _SmallCNN(nn.Module):
    """Two convolutions (padded, then strided and dilated), ReLUs, max pools, a flatten and
    a linear layer: each inference kernel of the table once."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, stride=2, dilation=2), nn.ReLU(), nn.MaxPool2d(2, stride=1),
        )  # fmt: skip
        self.head = nn.Linear(6, 5)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_lowered_inference_kernels_are_bit_identical(model, dtype):
    """linear_array, ReLU in place, relu_array, the batch-1 convolution and max pooling."""
    glassnet.manual_seed(0)
    net = (_mlp(dtype) if model == "mlp" else _SmallCNN()).eval()
    if model == "cnn" and dtype == np.float64:
        net = net.double()
    shape = (1, 20) if model == "mlp" else (1, 2, 16, 16)
    compiled = glassnet.compile(net)
    rng = np.random.default_rng(1)
    with glassnet.no_grad():
        for _ in range(4):
            x = glassnet.tensor(rng.standard_normal(shape).astype(dtype))
            expected, got = net(x), compiled(x)
            assert got._data.dtype == expected._data.dtype == dtype
            assert np.array_equal(got._data, expected._data)
    lowered = _lowered_ops(compiled)
    if model == "mlp":
        # (Sequential hands a Linear's output to ReLU in place unless hooks were registered
        # in this process, by an earlier test say: then ReLU calls relu_array)
        assert "linear_array" in lowered
        assert {"ReLU._apply_in_place", "relu_array"} & lowered
    else:
        assert {"_Conv._infer", "relu_array", "_MaxPoolNd._infer", "linear_array"} <= lowered


def test_inference_kernel_fallbacks():
    """A batch of 2 (the convolution's batch-1 lowering does not apply) and a padded max pool
    (not in the table) run their recorded kernels; the results match eager exactly."""
    glassnet.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1)).eval()
    compiled = glassnet.compile(net)
    rng = np.random.default_rng(2)
    with glassnet.no_grad():
        for _ in range(3):
            x = glassnet.tensor(rng.standard_normal((2, 1, 9, 9)).astype(np.float32))
            assert np.array_equal(compiled(x)._data, net(x)._data)
    lowered = _lowered_ops(compiled)
    assert "_Conv._infer" not in lowered and "_MaxPoolNd._infer" not in lowered
    assert "relu_array" in lowered or "ReLU._apply_in_place" in lowered


def test_a_parameter_given_a_new_dtype_records_a_new_plan():
    """Lowered calls write into buffers of the recorded dtype: a parameter array replaced by
    one of another dtype (model.double()) must not be cast into them, so a new plan is
    recorded; a new array of the same kind (load_state_dict) keeps the plan."""
    net = _mlp(np.float32).eval()

    @glassnet.compile
    def predict(x):  # the input follows the weights' dtype (read in Python: a constant)
        return net(x.to(dtype=net[0].weight.dtype))

    x = glassnet.tensor(np.linspace(-1, 1, 20, dtype=np.float32)[None])
    with glassnet.no_grad():
        predict(x)
        net.load_state_dict({k: v.clone() for k, v in net.state_dict().items()})
        assert np.array_equal(predict(x)._data, net(x)._data)
        assert predict.recordings == 1 and predict.replays == 1
        net.double()
        expected = net(x.double())
        got = predict(x)
        assert predict.recordings == 2
        assert got._data.dtype == expected._data.dtype == np.float64
        assert np.array_equal(got._data, expected._data)
