"""check: train a copy of a model for a few steps with the Doctor watching every step.

>>> import glassnet
>>> from glassnet import nn
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.randn(128, 3) * 1000  # features in the thousands
>>> y = (x[:, 0] > 0).long()
>>> model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
>>> report = check(model, nn.CrossEntropyLoss(), (x, y), steps=20)
>>> "unscaled_inputs" in report.codes
True
"""

from __future__ import annotations

import copy
import math
import warnings

from glassnet.doctor.watch import Doctor


def _as_loader(data, batch_size, shuffle):
    if data is None:
        return None
    from glassnet.data import DataLoader, Dataset, TensorDataset

    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "shape"):
        data = TensorDataset(*data)
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    return data


def _clone_optimizer(optimizer, original, model):
    from glassnet import optim

    params = list(model.parameters())
    if optimizer is None:
        return optim.Adam(params, lr=1e-3)
    index = {id(p): i for i, p in enumerate(original.parameters())}
    groups = []
    for g in optimizer.param_groups:
        group = {k: v for k, v in g.items() if k != "params"}
        group["params"] = [params[index[id(p)]] for p in g["params"] if id(p) in index]
        groups.append(group)
    return type(optimizer)(groups, **optimizer.defaults)


def check(
    model,
    loss_fn,
    data,
    optimizer=None,
    steps=100,
    val=None,
    *,
    batch_size=32,
    grad_clip=None,
    seed=0,
):
    """Train a deep copy of ``model`` for ``steps`` optimizer steps on ``data`` (a DataLoader,
    a Dataset, an iterable of batches or a pair of tensors ``(x, y)``) with ``loss_fn`` and a
    fresh copy of ``optimizer`` (same class and settings; Adam(lr=1e-3) when None), watching
    every step; ``val`` adds the validation checks (overfitting, leakage). Returns the Report.
    The model and optimizer passed in are not changed."""
    import glassnet
    from glassnet.train import Trainer

    glassnet.manual_seed(seed)
    copy_ = copy.deepcopy(model)
    opt = _clone_optimizer(optimizer, model, copy_)
    train = _as_loader(data, batch_size, True)
    val = _as_loader(val, batch_size, False)
    doctor = Doctor(every=1, val=val, max_steps=steps, verbose=False, stop_on_nan=True)
    trainer = Trainer(
        copy_,
        loss_fn,
        opt,
        callbacks=[doctor],
        terminate_on_nan=False,
        progress=False,
        grad_clip=grad_clip,
    )
    per_epoch = len(train) if hasattr(train, "__len__") else steps
    epochs = max(1, math.ceil(steps / max(per_epoch, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            trainer.fit(train, val=val, epochs=epochs)
        except Exception:
            if doctor.report is None or not doctor.report.findings:
                raise
    doctor.report.model = copy_
    return doctor.report
