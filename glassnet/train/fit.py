"""glassnet.fit: train a model in one call (the Trainer, with the choices made for you).

>>> import glassnet
>>> from glassnet import nn
>>> _ = glassnet.manual_seed(0)
>>> x = glassnet.randn(128, 2)
>>> y = (x[:, 0] > x[:, 1]).long()
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
>>> history = fit(model, (x, y), loss="cross_entropy", lr=0.05, epochs=30, verbose=False)
>>> history.history["loss"][-1] < 0.2
True
"""

from __future__ import annotations

from glassnet import optim
from glassnet.tensor import Tensor
from glassnet.train.trainer import Trainer


def fit(
    model,
    data,
    loss=None,
    optimizer="adam",
    lr=1e-3,
    epochs=10,
    val=None,
    metrics=(),
    batch_size=32,
    shuffle=True,
    callbacks=(),
    device=None,
    verbose=True,
    validation_data=None,
    validation_split=None,
    **trainer_args,
):
    """Train ``model`` on ``data`` and return the History.

    ``data`` and ``val``: a DataLoader (or any iterable of ``(inputs, targets)`` batches), a
    Dataset, or a pair of tensors ``(x, y)``; datasets and tensors are batched with
    ``batch_size`` (training data shuffled). ``val`` may also be a fraction such as 0.2, held
    out from ``data`` at random. Keras's spellings work too: ``validation_data=`` for ``val``
    and ``validation_split=0.2`` for ``val=0.2``. ``loss``: a loss Module, function or name ('mse',
    'cross_entropy', ...). ``optimizer``: a name ('adam', 'sgd', 'adamw', ...; made with
    ``lr``) or an Optimizer. Other keyword arguments (``grad_clip``, ``accumulate``,
    ``scheduler``, ``terminate_on_nan``, ``checkpoint_dir``, ``resume``) go to the Trainer and
    its ``fit``; a run that diverges raises ``TrainingDivergedError`` (see the Trainer).
    """
    if loss is None:
        raise ValueError(
            "glassnet.fit: say which loss to minimise, e.g. loss='cross_entropy' "
            "for classification or loss='mse' for regression"
        )
    fit_args = {
        k: trainer_args.pop(k) for k in ("checkpoint_dir", "resume", "extras") if k in trainer_args
    }
    given = [v for v in (val, validation_data, validation_split) if v is not None]
    if len(given) > 1:
        raise ValueError(
            "glassnet.fit: give the validation data once (val=, validation_data= or "
            "validation_split=), not several"
        )
    val = given[0] if given else None
    if validation_split is not None and not isinstance(val, float):
        raise ValueError(f"glassnet.fit: validation_split must be a fraction, got {val!r}")
    if isinstance(val, float):
        data, val = _split(data, val)
    train_data = _loader(data, batch_size, shuffle)
    val_data = _loader(val, batch_size, False) if val is not None else None
    if isinstance(optimizer, str):
        optimizer = _make_optimizer(optimizer, model, lr)
    trainer = Trainer(
        model,
        loss,
        optimizer,
        metrics=metrics,
        callbacks=callbacks,
        device=device,
        progress=verbose,
        **trainer_args,
    )
    return trainer.fit(train_data, val=val_data, epochs=epochs, **fit_args)


def _as_dataset(data):
    from glassnet.data import Dataset, TensorDataset

    if isinstance(data, Dataset):
        return data
    if (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and all(isinstance(t, Tensor) or hasattr(t, "shape") for t in data)
    ):
        x, y = (t if isinstance(t, Tensor) else Tensor._make(t) for t in data)
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"glassnet.fit: inputs have {x.shape[0]} samples but targets have {y.shape[0]}"
            )
        return TensorDataset(x, y)
    return None


def _loader(data, batch_size, shuffle):
    from glassnet.data import DataLoader

    dataset = _as_dataset(data)
    if dataset is not None:
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    return data


def _split(data, fraction):
    from glassnet.data import random_split

    if not 0.0 < fraction < 1.0:
        raise ValueError(f"glassnet.fit: a val fraction must be between 0 and 1, got {fraction}")
    dataset = _as_dataset(data)
    if dataset is None:
        raise ValueError(
            "glassnet.fit: val=<fraction> needs data given as a Dataset or (x, y) "
            "tensors, not batches; pass val= a separate DataLoader instead"
        )
    n_val = max(1, int(round(len(dataset) * fraction)))
    return tuple(random_split(dataset, [len(dataset) - n_val, n_val]))


def _make_optimizer(name, model, lr):
    classes = {
        n.lower(): getattr(optim, n)
        for n in optim.__all__
        if isinstance(getattr(optim, n), type) and n != "Optimizer"
    }
    cls = classes.get(name.lower())
    if cls is None:
        raise ValueError(
            f"glassnet.fit: unknown optimizer {name!r}; choose from "
            f"{sorted(classes)} or pass an Optimizer object"
        )
    return cls(model.parameters(), lr=lr)
