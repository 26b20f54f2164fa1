"""One playground run as plain glassnet code: data, features, model, optimizer, training steps.

The playground's sessions train through ``PlaygroundRun``, and "Export as code" copies this
file's source into the script it writes, so the exported script repeats the session's run
operation for operation (same seed, same data, same batches) and reaches the same loss.
Only NumPy and glassnet are imported here, on purpose: the script must stand alone.

>>> run = PlaygroundRun(dict(DEFAULTS, dataset="xor", hidden=[4], n_samples=100))
>>> run.steps(5)
>>> run.step_count, run.model[-1].out_features
(5, 2)
"""

import math

import numpy as np

import glassnet
from glassnet import nn, optim

DEFAULTS = {
    "dataset": "circle",
    "problem": "classification",
    "n_samples": 400,
    "noise": 0.0,
    "train_ratio": 0.5,
    "batch_size": 10,
    "features": ["x1", "x2"],
    "hidden": [4, 2],
    "activation": "tanh",
    "learning_rate": 0.03,
    "optimizer": "SGD",
    "regularization": "none",
    "reg_rate": 0.0,
    "batch_norm": False,
    "dropout": 0.0,
    "seed": 0,
    "points": None,  # a user's CSV: [[x1, x2, label], ...] (already scaled to the view)
}

# The view and the toy data sets live on the square [-VIEW, VIEW]^2, like TensorFlow Playground.
VIEW = 6.0

FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}

OPTIMIZERS = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Adam": lambda p, lr: optim.Adam(p, lr=lr),
    "AdamW": lambda p, lr: optim.AdamW(p, lr=lr),
    "RMSprop": lambda p, lr: optim.RMSprop(p, lr=lr),
}

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "iris", "wine", "breast_cancer")
REGRESSION = ("plane", "multi_gauss")
REAL = ("iris", "wine", "breast_cancer")


def toy_points(name, n, noise, rng):
    """``(x (n, 2), y (n,))`` for a toy data set: labels 0/1, or values for regression."""
    if name == "circle":
        r = np.concatenate([rng.uniform(0, 2.5, n // 2), rng.uniform(3.5, 5.0, n - n // 2)])
        a = rng.uniform(0, 2 * math.pi, n)
        x = np.stack([r * np.sin(a), r * np.cos(a)], 1)
        y = (r < 3.0).astype(np.int64)
    elif name == "xor":
        x = rng.uniform(-5, 5, (n, 2))
        x = x + np.sign(x) * 0.3  # a small gap around the axes, as in TensorFlow Playground
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    elif name == "gauss":
        y = (np.arange(n) % 2).astype(np.int64)
        centres = np.where(y[:, None] == 1, 2.0, -2.0)
        x = centres + rng.normal(0, 1.0, (n, 2))
    elif name == "spiral":
        i = np.arange(n) // 2
        y = (np.arange(n) % 2).astype(np.int64)
        r = 5.0 * i / max(n // 2, 1)
        t = 1.75 * 2 * math.pi * i / max(n // 2, 1) + math.pi * y
        x = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    elif name == "plane":
        x = rng.uniform(-VIEW, VIEW, (n, 2))
        y = (x[:, 0] + x[:, 1]) / (2 * VIEW)
    elif name == "multi_gauss":
        x = rng.uniform(-VIEW, VIEW, (n, 2))
        centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
        signs = np.array([-1, 1, -1, 1, -1, 1])
        d2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
        y = (signs * np.exp(-d2 / 2.0)).sum(1)
    else:
        raise ValueError(f"unknown toy data set {name!r}")
    x = x + rng.normal(0, noise * 2.0, x.shape) if noise else x
    return x.astype(np.float32), y


def real_points(name):
    """A real data set from ``glassnet.datasets`` projected onto its 2 principal components,
    scaled so the points fill the view: ``(x (n, 2), y (n,), class names)``."""
    from glassnet import datasets

    b = datasets.load(name)
    x = np.concatenate([b.x_train, b.x_test]).astype(np.float64)
    y = np.concatenate([b.y_train, b.y_test]).astype(np.int64)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    comps = vt[:2] * np.sign(vt[:2, np.argmax(np.abs(vt[:2]), axis=1)].diagonal())[:, None]
    p = x @ comps.T
    p = p / np.abs(p).max() * (VIEW - 0.5)
    return p.astype(np.float32), y


def make_data(s):
    """``(x_train, y_train, x_test, y_test)`` (NumPy) for the settings ``s``."""
    rng = np.random.default_rng(s["seed"])
    if s["points"] is not None:
        pts = np.asarray(s["points"], dtype=np.float64)
        x, y = pts[:, :2].astype(np.float32), pts[:, 2]
    elif s["dataset"] in REAL:
        x, y = real_points(s["dataset"])
    else:
        x, y = toy_points(s["dataset"], s["n_samples"], s["noise"], rng)
    y = y.astype(np.int64) if s["problem"] == "classification" else y.astype(np.float32)
    order = rng.permutation(len(x))
    n_train = max(1, min(len(x) - 1, int(round(len(x) * s["train_ratio"]))))
    tr, te = order[:n_train], order[n_train:]
    return x[tr], y[tr], x[te], y[te]


def features(x, names):
    """The chosen input features of points ``x`` (n, 2), as float32 columns."""
    x1, x2 = x[:, 0].astype(np.float32), x[:, 1].astype(np.float32)
    return np.stack([FEATURES[f](x1, x2) for f in names], 1).astype(np.float32)


def build_model(n_in, s, n_out):
    layers, width = [], n_in
    for n in s["hidden"]:
        layers.append(nn.Linear(width, n))
        if s["batch_norm"]:
            layers.append(nn.BatchNorm1d(n))
        layers.append(ACTIVATIONS[s["activation"]]())
        if s["dropout"] > 0:
            layers.append(nn.Dropout(s["dropout"]))
        width = n
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class PlaygroundRun:
    """The model, data and optimizer of one run; ``steps(n)`` trains ``n`` mini-batches."""

    def __init__(self, settings):
        s = dict(DEFAULTS, **settings)
        self.settings = s
        glassnet.manual_seed(s["seed"])
        self.rng = np.random.default_rng(s["seed"] + 1)  # the order of the mini-batches
        self.points = make_data(s)
        x_tr, y_tr, x_te, y_te = self.points
        self.classification = s["problem"] == "classification"
        if self.classification:
            n_out = max(2, int(max(y_tr.max(), y_te.max() if len(y_te) else 0)) + 1)
            self.loss_fn = nn.CrossEntropyLoss()
        else:
            n_out = 1
            self.loss_fn = nn.MSELoss()
        self.x_train = glassnet.tensor(features(x_tr, s["features"]))
        self.x_test = glassnet.tensor(features(x_te, s["features"]))
        shape = (-1,) if self.classification else (-1, 1)
        self.y_train = glassnet.tensor(y_tr.reshape(shape))
        self.y_test = glassnet.tensor(y_te.reshape(shape))
        self.model = build_model(len(s["features"]), s, n_out)
        self.optimizer = OPTIMIZERS[s["optimizer"]](self.model.parameters(), s["learning_rate"])
        self.step_count = 0
        self.order, self.cursor = None, 0

    def _batch(self):
        n, b = len(self.x_train), min(self.settings["batch_size"], len(self.x_train))
        if self.order is None or self.cursor + b > n:
            self.order, self.cursor = self.rng.permutation(n), 0
        idx = self.order[self.cursor : self.cursor + b]
        self.cursor += b
        return self.x_train[idx], self.y_train[idx]

    def penalty(self):
        kind, rate = self.settings["regularization"], self.settings["reg_rate"]
        if kind == "none" or rate == 0:
            return None
        weights = [m.weight for m in self.model if isinstance(m, nn.Linear)]
        if kind == "L1":
            return rate * sum(w.abs().sum() for w in weights)
        return rate * sum((w * w).sum() for w in weights)

    def step(self):
        """One optimizer step on the next mini-batch; returns its (data) loss."""
        self.model.train()
        x, y = self._batch()
        loss = self.loss_fn(self.model(x), y)
        extra = self.penalty()
        total = loss + extra if extra is not None else loss
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        self.step_count += 1
        return float(loss.item())

    def steps(self, n):
        for _ in range(n):
            self.step()

    def losses(self):
        """``(train loss, test loss)`` of the whole splits, in eval mode (no dropout)."""
        self.model.eval()
        with glassnet.no_grad():
            train = float(self.loss_fn(self.model(self.x_train), self.y_train).item())
            test = (
                float(self.loss_fn(self.model(self.x_test), self.y_test).item())
                if len(self.x_test)
                else float("nan")
            )
        return train, test
