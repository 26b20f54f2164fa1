"""Turning a recipe's names into objects: the model, the loss, the optimizer, the scheduler.

Models are built from the shape of the data, so a recipe never repeats what the data already
says (the number of input features, the number of classes).

>>> model = build_model("mlp", input_shape=(4,), num_outputs=3, options={"hidden": [8]})
>>> type(model).__name__, build_loss("cross_entropy").__class__.__name__
('MLP', 'CrossEntropyLoss')
>>> build_optimizer("adam", model.parameters(), lr=0.01).__class__.__name__
'Adam'
"""

from __future__ import annotations

import math

from glassnet import nn, optim


def _mlp(input_shape, num_outputs, hidden=(64,), activation="relu", dropout=0.0, batch_norm=False):
    from glassnet.models import MLP

    return MLP(
        math.prod(input_shape),
        list(hidden),
        num_outputs,
        activation_name=activation,
        dropout=dropout,
        batch_norm=batch_norm,
    )


def _digits_cnn(input_shape, num_outputs, width=32, dropout=0.25):
    from glassnet.models import DigitsCNN

    _expect_image(input_shape, "digits_cnn", 8)
    return DigitsCNN(input_shape[0], num_outputs, width=width, dropout=dropout)


def _lenet5(input_shape, num_outputs):
    from glassnet.models import LeNet5

    _expect_image(input_shape, "lenet5", 28)
    return LeNet5(input_shape[0], num_outputs)


def _lstm_forecaster(input_shape, num_outputs, hidden_size=32, num_layers=1):
    from glassnet.models import LSTMForecaster

    if len(input_shape) != 2:
        raise ValueError(
            f"model 'lstm_forecaster' reads windows shaped (steps, features), got "
            f"samples shaped {tuple(input_shape)}"
        )
    return LSTMForecaster(input_shape[1], hidden_size, num_layers, num_outputs)


def _small_cnn(input_shape, num_outputs, width=32, dropout=0.2):
    from glassnet.recipes.data_models import SmallCNN

    if len(input_shape) != 3:
        raise ValueError(
            f"model 'small_cnn' reads images (channels, height, width), got samples shaped "
            f"{tuple(input_shape)}"
        )
    return SmallCNN(input_shape[0], num_outputs, width=width, dropout=dropout)


def _need_vocab(name, vocab_size):
    # vocab_size comes from the tokenizer a --data run fitted (Preprocessing.model_options)
    if vocab_size is None:
        raise ValueError(f"model {name!r} reads token ids: train it with --data on a text file")


def _text_lstm(
    input_shape, num_outputs, vocab_size=None, embed_size=64, hidden_size=64, num_layers=1
):
    from glassnet.recipes.data_models import TextClassifier

    _need_vocab("text_lstm", vocab_size)
    return TextClassifier(
        vocab_size,
        num_outputs,
        "lstm",
        embed_size,
        hidden_size,
        num_layers,
        max_len=input_shape[0],
    )


def _text_transformer(
    input_shape, num_outputs, vocab_size=None, embed_size=64, num_layers=2, heads=4
):
    from glassnet.recipes.data_models import TextClassifier

    _need_vocab("text_transformer", vocab_size)
    return TextClassifier(
        vocab_size,
        num_outputs,
        "transformer",
        embed_size,
        num_layers=num_layers,
        heads=heads,
        max_len=input_shape[0],
    )


def _next_token_lstm(
    input_shape, num_outputs, vocab_size=None, embed_size=32, hidden_size=128, num_layers=1
):
    from glassnet.recipes.data_models import NextTokenModel

    _need_vocab("next_token_lstm", vocab_size)
    return NextTokenModel(vocab_size, embed_size, hidden_size, num_layers)


def _tabular_embed(input_shape, num_outputs, cardinalities=None, hidden=(64, 64), embed_dim=None):
    from glassnet.recipes.data_models import TabularEmbeddingMLP

    if cardinalities is None:
        raise ValueError("model 'tabular_embed' reads a table: train it with --data FILE.csv")
    return TabularEmbeddingMLP(
        math.prod(input_shape), list(cardinalities), num_outputs, list(hidden), embed_dim
    )


def _expect_image(input_shape, name, side):
    if len(input_shape) != 3 or tuple(input_shape[1:]) != (side, side):
        raise ValueError(
            f"model {name!r} expects images shaped (channels, {side}, {side}), got "
            f"samples shaped {tuple(input_shape)}; pick a model that fits the data"
        )


MODELS = {
    "mlp": _mlp,
    "digits_cnn": _digits_cnn,
    "lenet5": _lenet5,
    "lstm_forecaster": _lstm_forecaster,
    "small_cnn": _small_cnn,
    "tabular_embed": _tabular_embed,
    "text_lstm": _text_lstm,
    "text_transformer": _text_transformer,
    "next_token_lstm": _next_token_lstm,
}

LOSSES = {
    "cross_entropy": "CrossEntropyLoss",
    "bce_with_logits": "BCEWithLogitsLoss",
    "mse": "MSELoss",
    "l1": "L1Loss",
    "smooth_l1": "SmoothL1Loss",
    "huber": "HuberLoss",
}

OPTIMIZERS = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "nadam": "NAdam",
}

SCHEDULERS = ("onecycle", "cosine")


def _lookup(table, name, what):
    try:
        return table[name.lower().replace("-", "_")]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(sorted(table))}") from None


def build_model(name: str, input_shape, num_outputs: int, options=None) -> nn.Module:
    """The model ``name`` for samples shaped ``input_shape`` with ``num_outputs`` outputs."""
    builder = _lookup(MODELS, name, "model")
    try:
        return builder(tuple(input_shape), num_outputs, **(options or {}))
    except TypeError as exc:
        raise ValueError(f"model {name!r}: bad model options {options!r} ({exc})") from None


def build_loss(name: str) -> nn.Module:
    """A loss module by its snake_case name ('cross_entropy', 'mse', ...)."""
    return getattr(nn, _lookup(LOSSES, name, "loss"))()


def build_optimizer(name: str, params, lr: float, weight_decay: float = 0.0):
    """An optimizer by its lower-case name ('adam', 'sgd', ...)."""
    cls = getattr(optim, _lookup(OPTIMIZERS, name, "optimizer"))
    if cls is optim.SGD:
        return cls(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    return cls(params, lr=lr, weight_decay=weight_decay)


def build_scheduler(name, optimizer, epochs: int, steps_per_epoch: int):
    """A per-batch learning-rate schedule ('onecycle', 'cosine'), or None."""
    if not name:
        return None
    key = _lookup({s: s for s in SCHEDULERS}, name, "scheduler")
    total = epochs * steps_per_epoch
    if key == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total)
    return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
