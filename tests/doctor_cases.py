"""The doctor's honest suite: deliberately broken training set-ups, each with the finding it
must trigger, and healthy ones that must trigger none. Shared by tests/test_doctor_cases.py and
benchmarks/doctor_confusion.py.

Each case is a function returning ``dict(model=, loss=, data=, optimizer=, steps=, val=)`` for
``glassnet.doctor.check``. Data are small and seeded; how each set-up is broken is derived in
its comment, not tuned on the doctor's output.
"""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet import nn, optim


def _t(a, dtype=np.float32):
    return glassnet.from_numpy(np.ascontiguousarray(a, dtype=dtype))


def moons(n=256, seed=0, noise=0.1):
    """Two interleaving half circles (as scikit-learn's make_moons), features in [-1, 2]."""
    rng = np.random.default_rng(seed)
    k = n // 2
    a = rng.uniform(0, np.pi, k)
    b = rng.uniform(0, np.pi, n - k)
    x = np.concatenate(
        [np.stack([np.cos(a), np.sin(a)], 1), np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)]
    )
    x += rng.normal(0, noise, x.shape)
    y = np.concatenate([np.zeros(k), np.ones(n - k)]).astype(np.int64)
    p = rng.permutation(n)
    return x[p].astype(np.float32), y[p]


def xor(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    return x, y


def blobs(n=400, d=8, k=2, seed=0, weights=None):
    """Gaussian classes with unit spread around centres 3 apart (separable but not trivially)."""
    rng = np.random.default_rng(seed)
    weights = np.full(k, 1 / k) if weights is None else np.asarray(weights)
    y = rng.choice(k, size=n, p=weights).astype(np.int64)
    centres = rng.normal(0, 1.5, (k, d))
    x = (centres[y] + rng.normal(0, 1, (n, d))).astype(np.float32)
    return x, y


def linreg(n=256, d=8, seed=0):
    """y = x w + noise with standard normal features; returns x, y (N, 1) and lambda_max of
    the MSE loss's Hessian 2/n X^T X, the curvature that sets SGD's stability limit
    (gradient descent on a quadratic diverges for lr > 2 / lambda_max)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, d)).astype(np.float32)
    w = rng.normal(0, 1, (d, 1))
    y = (x @ w + 0.1 * rng.normal(0, 1, (n, 1))).astype(np.float32)
    lam = float(np.linalg.eigvalsh(2 * x.T.astype(np.float64) @ x / n).max())
    return x, y, lam


def mlp(d_in, widths, d_out, act=nn.ReLU, final=None):
    layers, d = [], d_in
    for w in widths:
        layers += [nn.Linear(d, w), act()]
        d = w
    layers.append(nn.Linear(d, d_out))
    if final is not None:
        layers.append(final)
    return nn.Sequential(*layers)


def _case(model, loss, data, optimizer=None, steps=60, val=None, **kw):
    opt = optimizer if optimizer is not None else optim.Adam(model.parameters(), lr=1e-2)
    return dict(model=model, loss=loss, data=data, optimizer=opt, steps=steps, val=val, **kw)


# ---- broken set-ups: (name, expected code, builder) ----------------------------------------
def deep_sigmoid():
    # 10 sigmoid layers with the default init (uniform +-1/sqrt(fan_in)): each layer multiplies
    # the backward signal by about sigma' * |W| ~ 0.25 * 1/sqrt(3) ~ 0.14, so 0.14^10 ~ 1e-9.
    glassnet.manual_seed(0)
    x, y = moons()
    return _case(mlp(2, [32] * 10, 2, nn.Sigmoid), nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)))


def deep_sigmoid_xavier():
    # Xavier init does not save sigmoid: its slope is at most 1/4, so with Xavier's unit gain
    # each of the 8 layers still scales the backward signal by <= 1/4: 4^-8 ~ 1.5e-5.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [64] * 8, 2, nn.Sigmoid)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_normal_(m.weight)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.SGD(model.parameters(), lr=0.1),
    )


class _LastStep(nn.Module):
    """An RNN read at its last step through a linear head."""

    def __init__(self, rnn, hidden):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def exploding_rnn():
    # A ReLU RNN whose recurrent matrix is 1.3 * I: the hidden state and the gradient through
    # time grow like 1.3^T = 1.3^40 ~ 4e4; no clipping.
    glassnet.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 40, 1)).astype(np.float32)
    y = x.sum(1).astype(np.float32) / 40
    rnn = nn.RNN(1, 16, nonlinearity="relu", batch_first=True)
    with glassnet.no_grad():
        rnn.weight_hh_l0.copy_(glassnet.eye(16) * 1.3)
    model = _LastStep(rnn, 16)
    return _case(model, nn.MSELoss(), (_t(x), _t(y)), optim.SGD(model.parameters(), lr=1e-3))


def exploding_deep_init():
    # 8 ReLU layers with weights std 1 on fan-in 64: each layer multiplies the signal by
    # sqrt(64/2) ~ 5.7 (He's gain would be 1), so 5.7^8 ~ 1e6.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [64] * 8, 2)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 1.0)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.SGD(model.parameters(), lr=1e-3),
    )


def dead_relu_bias():
    # A bias of -100 on the first Linear puts every pre-activation (|x w| ~ 1) far below 0.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [64, 64], 2)
    with glassnet.no_grad():
        model[0].bias.fill_(-100.0)
    return _case(model, nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)))


def saturated_tanh():
    # Weights std 3 on inputs ~N(0, 1) give pre-activations std ~3*sqrt(8) ~ 8: tanh(8) is
    # 1 - 2e-7, so almost every output sits at +-1.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [64, 64], 2, nn.Tanh)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 3.0)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.SGD(model.parameters(), lr=1e-3),
    )


def lr_10x_high():
    # Linear regression: SGD is stable for lr < 2/lambda_max and fastest near 1/lambda_max;
    # 10/lambda_max is 10x that, where the loss grows by |1 - 10|^2 = 81 per step.
    glassnet.manual_seed(0)
    x, y, lam = linreg()
    model = nn.Linear(8, 1)
    return _case(
        model, nn.MSELoss(), (_t(x), _t(y)), optim.SGD(model.parameters(), lr=10 / lam), steps=30
    )


def lr_tiny():
    # The same problem with 1e-4 times the good lr 1/lambda_max: each step removes a
    # 1e-4 fraction of the error along the steepest direction, so 60 steps move it by <1%.
    glassnet.manual_seed(0)
    x, y, lam = linreg()
    model = nn.Linear(8, 1)
    return _case(model, nn.MSELoss(), (_t(x), _t(y)), optim.SGD(model.parameters(), lr=1e-4 / lam))


def adam_lr_tiny():
    # Adam's step is about lr per weight: 1e-7 against weights ~0.2 is a 5e-7 relative change.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [32], 2)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.Adam(model.parameters(), lr=1e-7),
    )


def sgd_lr_high_mlp():
    # Plain SGD at lr 50 on an MLP classifier: steps of 50 x a gradient ~0.1 throw weights of
    # size ~0.3 around by ~5 each step.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [32], 2)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.SGD(model.parameters(), lr=50.0),
        steps=40,
    )


def softmax_into_ce():
    glassnet.manual_seed(0)
    x, y = blobs(k=3)
    model = mlp(8, [32], 3, final=nn.Softmax(dim=1))
    return _case(model, nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)))


def softmax_into_nll():
    glassnet.manual_seed(0)
    x, y = blobs(k=3)
    model = mlp(8, [32], 3, final=nn.Softmax(dim=1))
    return _case(model, nn.NLLLoss(), (_t(x), _t(y, np.int64)))


def sigmoid_into_bce_logits():
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [32], 1, final=nn.Sigmoid())
    return _case(model, nn.BCEWithLogitsLoss(), (_t(x), _t(y[:, None])))


def mse_broadcast():
    # (N, 1) outputs against (N,) targets broadcast to an (N, N) comparison.
    glassnet.manual_seed(0)
    x, y, _ = linreg()
    model = mlp(8, [16], 1)
    return _case(model, nn.MSELoss(), (_t(x), _t(y[:, 0])))


def labels_into_mse():
    # Three class labels 0/1/2 (as an (N, 1) float column) regressed with MSE against 3 outputs
    # per sample: every output learns the label's number, nothing learns the classes.
    glassnet.manual_seed(0)
    x, y = blobs(k=3)
    model = mlp(8, [16], 3)
    return _case(model, nn.MSELoss(), (_t(x), _t(y[:, None].astype(np.float32))))


def bce_pm1_targets():
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [16], 1)
    return _case(model, nn.BCEWithLogitsLoss(), (_t(x), _t(2.0 * y[:, None] - 1)))


def imbalance_95_5():
    glassnet.manual_seed(0)
    x, y = blobs(n=600, weights=[0.95, 0.05])
    model = mlp(8, [32], 2)
    return _case(model, nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)))


def imbalance_bce():
    glassnet.manual_seed(0)
    x, y = blobs(n=600, weights=[0.95, 0.05], seed=1)
    model = mlp(8, [32], 1)
    return _case(model, nn.BCEWithLogitsLoss(), (_t(x), _t(y[:, None])))


def unscaled_features():
    # The blobs in thousands (a price in euros, a distance in metres).
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [32], 2)
    return _case(model, nn.CrossEntropyLoss(), (_t(x * 1000), _t(y, np.int64)))


def raw_pixels():
    # 8x8 images with pixel values 0..255 fed to a CNN as they are.
    glassnet.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 128)
    x = rng.uniform(0, 128, (128, 1, 8, 8)) + 127 * y[:, None, None, None]
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 2))
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.Adam(model.parameters(), lr=1e-3),
    )


class _LogLayer(nn.Module):
    """log of a ReLU's output: log(0) = -inf for every negative input."""

    def forward(self, x):
        return x.relu().log()


def nan_log_layer():
    glassnet.manual_seed(0)
    x, y = blobs()
    model = nn.Sequential(nn.Linear(8, 16), _LogLayer(), nn.Linear(16, 2))
    return _case(model, nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)))


def _log_of_relu_loss(out, target):
    # a hand-written "likelihood" loss: -log of a clipped score, log(0) once a score is <= 0
    return -(out.relu().log() * target).mean()


def nan_log_in_loss():
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [16], 2)
    onehot = np.eye(2, dtype=np.float32)[y]
    return _case(model, _log_of_relu_loss, (_t(x), _t(onehot)))


def overfit_tiny_train():
    # 16 training samples with 25% of labels flipped, a 2-256-256-2 net, Adam lr 1e-2 for
    # 240 steps: it memorises the 16 (train loss -> 0) and the flipped ones hurt validation.
    glassnet.manual_seed(0)
    x, y = moons(n=216, noise=0.3)
    y = y.copy()
    y[:4] = 1 - y[:4]
    model = mlp(2, [256, 256], 2)
    train = (_t(x[:16]), _t(y[:16], np.int64))
    val = (_t(x[16:]), _t(y[16:], np.int64))
    return _case(model, nn.CrossEntropyLoss(), train, steps=240, val=val, batch_size=16)


def linear_on_xor():
    # XOR is not linearly separable: the best linear classifier is no better than chance, so
    # the loss stays near log 2, the loss of predicting 50/50.
    glassnet.manual_seed(0)
    x, y = xor()
    model = nn.Linear(2, 2)
    return _case(model, nn.CrossEntropyLoss(), (_t(x), _t(y, np.int64)), steps=80)


def leaky_duplicates():
    # The validation set is 100 rows copied from the training set.
    glassnet.manual_seed(0)
    x, y = blobs()
    model = mlp(8, [32], 2)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        val=(_t(x[:100]), _t(y[:100], np.int64)),
    )


def scaler_fitted_on_all():
    # Standardised with the mean and std of all 500 rows, then split 400/100.
    glassnet.manual_seed(0)
    x, y = blobs(n=500)
    x = 50 + 10 * x
    x = (x - x.mean(0)) / x.std(0)
    model = mlp(8, [32], 2)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x[:400]), _t(y[:400], np.int64)),
        val=(_t(x[400:]), _t(y[400:], np.int64)),
    )


BROKEN = [
    ("deep_sigmoid", "vanishing_gradients", deep_sigmoid),
    ("deep_sigmoid_xavier", "vanishing_gradients", deep_sigmoid_xavier),
    ("exploding_rnn", "exploding_gradients", exploding_rnn),
    ("exploding_deep_init", "exploding_gradients", exploding_deep_init),
    ("dead_relu_bias", "dead_relu", dead_relu_bias),
    ("saturated_tanh", "saturated_activation", saturated_tanh),
    ("lr_10x_high", "lr_too_high", lr_10x_high),
    ("sgd_lr_high_mlp", "lr_too_high", sgd_lr_high_mlp),
    ("lr_1e-4x", "lr_too_low", lr_tiny),
    ("adam_lr_1e-7", "lr_too_low", adam_lr_tiny),
    ("softmax_into_ce", "logits_expected", softmax_into_ce),
    ("softmax_into_nll", "logits_expected", softmax_into_nll),
    ("sigmoid_into_bce_logits", "logits_expected", sigmoid_into_bce_logits),
    ("mse_broadcast", "target_mismatch", mse_broadcast),
    ("labels_into_mse", "target_mismatch", labels_into_mse),
    ("bce_pm1_targets", "target_mismatch", bce_pm1_targets),
    ("imbalance_95_5", "class_imbalance", imbalance_95_5),
    ("imbalance_bce", "class_imbalance", imbalance_bce),
    ("unscaled_features", "unscaled_inputs", unscaled_features),
    ("raw_pixels", "unscaled_inputs", raw_pixels),
    ("nan_log_layer", "nan", nan_log_layer),
    ("nan_log_in_loss", "nan", nan_log_in_loss),
    ("overfit_tiny_train", "overfitting", overfit_tiny_train),
    ("linear_on_xor", "underfitting", linear_on_xor),
    ("leaky_duplicates", "data_leakage", leaky_duplicates),
    ("scaler_fitted_on_all", "data_leakage", scaler_fitted_on_all),
]


# ---- healthy set-ups ------------------------------------------------------------------------
def recipe_case(name, steps=60):
    """A bundled recipe's own data, model, loss and optimizer (its training split and val)."""
    from glassnet.recipes import get
    from glassnet.recipes.builders import build_loss, build_optimizer
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import build

    r = get(name)
    glassnet.manual_seed(r.seed)
    data = prepare(r, warn=False)
    model = build(r, data.preprocessing, data.num_outputs)
    opt = build_optimizer(r.optimizer, model.parameters(), r.lr, r.weight_decay)
    return dict(
        model=model,
        loss=build_loss(r.resolved_loss()),
        data=data.train,
        optimizer=opt,
        steps=steps,
        val=data.val,
        grad_clip=r.grad_clip,
    )


def healthy_linreg():
    glassnet.manual_seed(0)
    x, y, lam = linreg()
    model = nn.Linear(8, 1)
    return _case(model, nn.MSELoss(), (_t(x), _t(y)), optim.SGD(model.parameters(), lr=0.5 / lam))


def healthy_bn_mlp():
    glassnet.manual_seed(0)
    x, y = moons()
    model = nn.Sequential(
        nn.Linear(2, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 2),
    )
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        val=(_t(moons(seed=1)[0]), _t(moons(seed=1)[1], np.int64)),
    )


def healthy_logistic():
    glassnet.manual_seed(0)
    x, y = blobs(seed=3)
    model = nn.Linear(8, 1)
    return _case(model, nn.BCEWithLogitsLoss(), (_t(x), _t(y[:, None])))


def healthy_deep_relu_kaiming():
    glassnet.manual_seed(0)
    x, y = blobs(k=3, seed=4)
    model = mlp(8, [64] * 6, 3)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return _case(
        model,
        nn.CrossEntropyLoss(),
        (_t(x), _t(y, np.int64)),
        optim.Adam(model.parameters(), lr=1e-3),
    )


HEALTHY = [
    ("recipe xor-mlp", lambda: recipe_case("xor-mlp")),
    ("recipe moons-mlp", lambda: recipe_case("moons-mlp")),
    ("recipe iris-mlp", lambda: recipe_case("iris-mlp")),
    ("recipe breast-cancer-mlp", lambda: recipe_case("breast-cancer-mlp")),
    ("recipe diabetes-mlp", lambda: recipe_case("diabetes-mlp")),
    ("recipe digits-mlp", lambda: recipe_case("digits-mlp")),
    ("recipe digits-cnn", lambda: recipe_case("digits-cnn", steps=30)),
    ("recipe sine-lstm", lambda: recipe_case("sine-lstm", steps=30)),
    ("linreg sgd 0.5/lambda", healthy_linreg),
    ("batchnorm mlp", healthy_bn_mlp),
    ("logistic regression", healthy_logistic),
    ("deep relu kaiming", healthy_deep_relu_kaiming),
]


def run_case(builder):
    """The Report of ``glassnet.doctor.check`` on one case."""
    from glassnet.doctor import check

    c = builder()
    return check(
        c["model"],
        c["loss"],
        c["data"],
        optimizer=c["optimizer"],
        steps=c["steps"],
        val=c["val"],
        batch_size=c.get("batch_size", 32),
        grad_clip=c.get("grad_clip"),
    )
