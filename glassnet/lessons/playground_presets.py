"""The playground set-ups of the lessons that have one: ``glassnet learn NAME --open`` starts
the playground on these settings (names as in ``glassnet.playground.recipe.DEFAULTS``), so the
lesson's experiment is one click away.

>>> PRESETS["xor"]["dataset"]
'xor'
>>> playground_url("xor").startswith("http://127.0.0.1:8765/?dataset=xor")
True
"""

from __future__ import annotations

_SPIRAL = {"dataset": "spiral", "hidden": [8, 8], "features": ["x1", "x2"]}

PRESETS: dict[str, dict] = {
    "neuron": {"dataset": "gauss", "hidden": [], "activation": "sigmoid"},
    "perceptron": {"dataset": "gauss", "hidden": [], "activation": "linear"},
    "layers": {"dataset": "circle", "hidden": [4, 4], "activation": "tanh"},
    "xor": {"dataset": "xor", "hidden": [4], "activation": "tanh"},
    # Linear layers stacked collapse to one linear map: the circle stays unsolved.
    "stacked-linear": {"dataset": "circle", "hidden": [8, 8, 8], "activation": "linear"},
    "relu": {**_SPIRAL, "activation": "relu"},
    "tanh": {**_SPIRAL, "activation": "tanh"},
    "sigmoid": {**_SPIRAL, "activation": "sigmoid"},
    "leaky-relu": {**_SPIRAL, "activation": "leaky_relu"},
    "elu": {**_SPIRAL, "activation": "elu"},
    "vanishing-gradients": {
        "dataset": "spiral",
        "hidden": [8, 8, 8, 8, 8, 8],
        "activation": "sigmoid",
    },
    "dead-relu": {"dataset": "spiral", "hidden": [8, 8], "activation": "relu", "learning_rate": 3},
    "overfitting": {
        "dataset": "spiral",
        "noise": 0.5,
        "train_ratio": 0.1,
        "hidden": [8, 8, 8],
        "activation": "relu",
        "optimizer": "Adam",
    },
    "l1-l2-regularisation": {
        "dataset": "spiral",
        "noise": 0.5,
        "train_ratio": 0.1,
        "hidden": [8, 8, 8],
        "regularization": "L2",
        "reg_rate": 0.01,
    },
    "dropout": {"dataset": "spiral", "noise": 0.5, "hidden": [8, 8, 8], "dropout": 0.3},
    "batch-normalisation": {**_SPIRAL, "activation": "relu", "batch_norm": True},
    "gradient-descent": {"dataset": "circle", "optimizer": "SGD", "learning_rate": 0.03},
    "optimizers": {**_SPIRAL, "activation": "relu", "optimizer": "Adam", "learning_rate": 0.01},
    "hyperparameters": {"dataset": "spiral", "hidden": [8, 8], "batch_size": 10},
    "epochs-and-batches": {"dataset": "circle", "batch_size": 1},
    "mlp": {"dataset": "spiral", "hidden": [8, 8, 4], "activation": "relu"},
}


def playground_url(name: str, host: str = "127.0.0.1", port: int = 8765) -> str:
    """The playground address that opens lesson ``name``'s set-up (KeyError: it has none)."""
    from glassnet.playground.presets import preset_url

    return preset_url(host=host, port=port, **PRESETS[name])
