"""glassnet.compile: a replayed plan gives what eager mode gives, bit for bit on the CPU.

The oracle is glassnet's eager mode itself (checked against PyTorch in the op and layer tests):
the replay calls the very same forward/backward formulas on the same arrays in the same order,
and draws dropout masks from the same seeded generator in the same order, so the comparisons
below are exact (np.array_equal), not within a tolerance.
"""

import linecache

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.compile import CompileError
from glassnet.models import MLP, DigitsCNN, LeNet5, LSTMLanguageModel


def _train(make_model, make_opt, batches, loss_fn, compiled, seed=0):
    glassnet.manual_seed(seed)
    model = make_model()
    opt = make_opt(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = glassnet.compile(step) if compiled else step
    glassnet.manual_seed(seed + 1)  # the dropout draws start from the same state in both runs
    losses = [run(x, y)._data.copy() for x, y in batches]
    state = {k: v._data.copy() for k, v in model.state_dict().items()}
    return losses, state, run


def _assert_same(eager, compiled):
    losses_e, state_e, _ = eager
    losses_c, state_c, _ = compiled
    for a, b in zip(losses_e, losses_c):
        assert np.array_equal(a, b)
    assert state_e.keys() == state_c.keys()
    for k in state_e:
        assert np.array_equal(state_e[k], state_c[k]), k


def _batches(n, shape, classes=None, seed=0, out=1):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n):
        x = glassnet.tensor(rng.standard_normal(shape).astype(np.float32))
        if classes is None:
            y = glassnet.tensor(rng.standard_normal((shape[0], out)).astype(np.float32))
        else:
            y = glassnet.tensor(rng.integers(0, classes, shape[0]))
        batches.append((x, y))
    return batches


def test_mlp_dropout_adam_50_steps_bit_identical():
    batches = _batches(50, (16, 4))

    def make():
        return MLP(4, hidden=(32, 16), out_features=1, dropout=0.3)

    def opt(p):
        return glassnet.optim.Adam(p, lr=1e-2)

    eager = _train(make, opt, batches, nn.MSELoss(), compiled=False)
    comp = _train(make, opt, batches, nn.MSELoss(), compiled=True)
    _assert_same(eager, comp)
    assert comp[2].recordings == 1 and comp[2].replays == 49
    # and training did something: the weights moved and differ between steps
    assert not np.array_equal(eager[0][0], eager[0][-1])


def test_digits_cnn_batchnorm_dropout_bit_identical():
    batches = _batches(6, (8, 1, 8, 8), classes=10)

    def opt(p):
        return glassnet.optim.SGD(p, lr=0.05, momentum=0.9)

    eager = _train(DigitsCNN, opt, batches, nn.CrossEntropyLoss(), compiled=False)
    comp = _train(DigitsCNN, opt, batches, nn.CrossEntropyLoss(), compiled=True)
    _assert_same(eager, comp)  # running_mean/var and num_batches_tracked included
    assert comp[1]["features.1.num_batches_tracked"] == 6


def test_lenet5_bit_identical():
    batches = _batches(3, (2, 1, 28, 28), classes=10)

    def opt(p):
        return glassnet.optim.AdamW(p, lr=1e-3)

    eager = _train(LeNet5, opt, batches, nn.CrossEntropyLoss(), compiled=False)
    comp = _train(LeNet5, opt, batches, nn.CrossEntropyLoss(), compiled=True)
    _assert_same(eager, comp)


def test_lstm_language_model_bit_identical():
    rng = np.random.default_rng(0)
    batches = [
        (glassnet.tensor(rng.integers(0, 11, (3, 7))), glassnet.tensor(rng.integers(0, 11, 21)))
        for _ in range(4)
    ]

    def make():
        return LSTMLanguageModel(11, embed_size=6, hidden_size=8, num_layers=2, dropout=0.2)

    def loss(logits, y):
        return nn.functional.cross_entropy(logits.reshape(-1, 11), y)

    def opt(p):
        return glassnet.optim.Adam(p, lr=1e-2)

    eager = _train(make, opt, batches, loss, compiled=False)
    comp = _train(make, opt, batches, loss, compiled=True)
    _assert_same(eager, comp)


def test_gradients_and_outputs_match_eager():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))

    def grads(x):
        model.zero_grad()
        out = model(x)
        (out * out).sum().backward()
        return out

    compiled = glassnet.compile(grads)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = glassnet.tensor(rng.standard_normal((4, 3)).astype(np.float32))
        out_c = compiled(x)
        grads_c = [p.grad._data.copy() for p in model.parameters()]
        out_e = grads(x)
        grads_e = [p.grad._data.copy() for p in model.parameters()]
        assert np.array_equal(out_c._data, out_e._data)
        for a, b in zip(grads_c, grads_e):
            assert np.array_equal(a, b)
    assert compiled.recordings == 1 and compiled.replays == 2


def test_input_gradient_and_shared_use():
    # x used twice (x * x and x + ...): gradients meet and are summed as the engine sums them
    def f(x, w):
        y = (x * x + x * w).sum()
        y.backward()
        return y

    compiled = glassnet.compile(f)
    for k in range(3):
        x = glassnet.tensor([1.0, 2.0, 3.0 + k], requires_grad=True)
        w = glassnet.tensor([0.5, -1.0, 2.0])
        y = compiled(x, w)
        # by hand: d/dx (x^2 + x w) = 2x + w
        assert np.array_equal(x.grad._data, 2 * x._data + w._data)
        assert y.item() == float((x._data**2 + x._data * w._data).sum())


def test_signature_change_records_new_plan_and_cache_limit():
    f = glassnet.compile(lambda x: x * 2 + 1, cache_size=2)
    for n in (1, 2, 1, 2):
        out = f(glassnet.ones(n))
        assert np.array_equal(out._data, np.full(n, 3.0, dtype=np.float32))
    assert f.recordings == 2 and f.replays == 2
    f(glassnet.ones(1, dtype=glassnet.float64))  # a new dtype: a third plan, the oldest dropped
    assert f.recordings == 3 and len(f.plans) == 2
    f(glassnet.ones(1))  # float32 (1,) was the least recently used: dropped, so recorded again
    assert f.recordings == 4
    with glassnet.no_grad():  # grad mode is part of the signature
        f(glassnet.ones(1))
    assert f.recordings == 5


def test_train_eval_mode_is_part_of_the_signature():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    f = glassnet.compile(model)
    x = glassnet.ones(2, 4)
    with glassnet.no_grad():
        f(x)
        model.eval()
        out = f(x)  # eval: no dropout, so a new plan, equal to the plain layer
        assert f.recordings == 2
        assert np.array_equal(out._data, model[0](x)._data)
        out = f(x)
        assert f.replays == 1 and np.array_equal(out._data, model[0](x)._data)


@pytest.mark.parametrize(
    "body, needle",
    [
        ("if loss.item() > 0:\n        loss = loss * 2", "loss.item() > 0"),
        ("if loss > 0:\n        loss = loss * 2", "if loss > 0"),
        ("_ = loss.tolist()", "loss.tolist()"),
        ("_ = loss.detach().numpy()", "loss.detach().numpy()"),
    ],
)
def test_value_dependent_control_flow_is_caught_naming_the_line(body, needle):
    namespace = {"glassnet": glassnet}
    source = f"def step(x):\n    loss = (x * 3).sum()\n    {body}\n    return loss\n"
    # the source is registered in linecache as an imported file's would be, so the error can
    # quote the line
    linecache.cache["user_step.py"] = (len(source), None, source.splitlines(True), "user_step.py")
    exec(compile(source, "user_step.py", "exec"), namespace)
    f = glassnet.compile(namespace["step"])
    with pytest.raises(CompileError) as info:
        f(glassnet.ones(2))
    assert "user_step.py:3" in str(info.value)
    assert needle in str(info.value)
    # recording ended cleanly: the patched methods are back, eager reads work
    assert glassnet.ones(1).item() == 1.0


def test_other_random_draws_are_refused():
    f = glassnet.compile(lambda x: x + glassnet.randn(3))
    with pytest.raises(CompileError, match="random draw"):
        f(glassnet.ones(3))


def test_explain_lists_linear_forward_and_backward_with_shapes(capsys):
    glassnet.manual_seed(0)
    layer = nn.Linear(3, 4)

    @glassnet.compile
    def step(x):
        loss = layer(x).sum()
        loss.backward()
        return loss

    step(glassnet.ones(5, 3))
    text = step.explain()
    assert capsys.readouterr().out.strip() == text
    lines = text.splitlines()
    # forward: x (5,3) @ W.T (4,3) + b (4,) -> (5,4); backward: (5,4) -> dx, dW, db
    fwd = [line for line in lines if "Linear.forward" in line]
    bwd = [line for line in lines if "Linear.backward" in line]
    assert len(fwd) == 1 and "(5, 3)" in fwd[0] and "(4, 3)" in fwd[0] and "-> %" in fwd[0]
    assert fwd[0].endswith("(5, 4)")
    assert len(bwd) == 1 and bwd[0].count("(4, 3)") == 1 and "(4,)" in bwd[0]
    assert sum(".grad +=" in line for line in lines) == 2  # weight and bias


def test_inplace_ops_are_replayed():
    def f(x):
        y = x * 1.0
        y.mul_(3)
        y.add_(x)
        return y

    compiled = glassnet.compile(f)
    for k in range(3):
        x = glassnet.tensor([1.0, float(k)])
        assert np.array_equal(compiled(x)._data, np.array([4.0, 4.0 * k], dtype=np.float32))
    assert compiled.replays == 2


def _sgd_run(compiled, zero_first, changes):
    """Plain SGD steps on a small MLP, with ``changes[k](opt, params)`` applied before call k
    (a hyperparameter changed, a .grad set by hand): the plan's lowered SGD update must follow
    each change exactly as eager does, or fall back to the recorded calls."""
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    params = list(model.parameters())
    opt = glassnet.optim.SGD(params, lr=0.1)

    def step(x, y):
        if zero_first:
            opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if not zero_first:
            opt.zero_grad()
        return loss

    run = glassnet.compile(step) if compiled else step
    losses = []
    for k, (x, y) in enumerate(_batches(12, (5, 3))):
        if k in changes:
            changes[k](opt, params)
        losses.append(run(x, y)._data.copy())
    grads = [None if p.grad is None else p.grad._data.copy() for p in params]
    return losses, [p._data.copy() for p in params], grads, run


@pytest.mark.parametrize("zero_first", [False, True])
def test_plain_sgd_lowered_update_bit_identical(zero_first):
    def set_lr(opt, params):
        opt.param_groups[0]["lr"] = 0.03  # as a scheduler does: read on every replay

    def set_momentum(opt, params):
        opt.param_groups[0]["momentum"] = 0.9  # the lowered formula no longer applies

    def set_grad(opt, params):
        params[0].grad = glassnet.ones(*params[0].shape)  # step() would add to it

    changes = {4: set_lr, 7: set_grad, 9: set_momentum}
    eager = _sgd_run(False, zero_first, changes)
    comp = _sgd_run(True, zero_first, changes)
    for a, b in zip(eager[0], comp[0]):
        assert np.array_equal(a, b)
    for a, b in zip(eager[1], comp[1]):
        assert np.array_equal(a, b)
    for a, b in zip(eager[2], comp[2]):
        assert (a is None and b is None) or np.array_equal(a, b)
    assert comp[3].replays == 11
    # the plan does hold the lowered update (one step in place of step()'s Python walk)
    assert "SGD update in place" in comp[3].explain(print_=False)
    assert not np.array_equal(eager[1][0], _sgd_run(False, zero_first, {})[1][0])
