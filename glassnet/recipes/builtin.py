"""The built-in recipes: small, fast, known-good set-ups on the bundled data sets.

Each finishes in seconds to a minute on a laptop CPU; ``expected`` says what a run reaches.

>>> sorted(BUILTIN)[:3]
['breast-cancer-mlp', 'diabetes-mlp', 'digits-cnn']
>>> BUILTIN["digits-cnn"].model
'digits_cnn'
"""

from __future__ import annotations

from glassnet.recipes.recipe import Recipe

DEFAULT = "digits-cnn"

_RECIPES = [
    Recipe(
        name="xor-mlp",
        description="A 2-16-16-2 tanh MLP learns the XOR pattern of noisy 2-D points, which no "
        "linear model can separate.",
        dataset="xor",
        model="mlp",
        model_options={"hidden": [16, 16], "activation": "tanh"},
        lr=0.01,
        batch_size=32,
        epochs=40,
        metrics=("accuracy",),
        expected="about 95% test accuracy",
    ),
    Recipe(
        name="moons-mlp",
        description="A 2-32-32-2 ReLU MLP separates scikit-learn-style interleaving half moons.",
        dataset="moons",
        model="mlp",
        model_options={"hidden": [32, 32]},
        lr=0.01,
        batch_size=32,
        epochs=40,
        metrics=("accuracy",),
        expected="99-100% test accuracy",
    ),
    Recipe(
        name="iris-mlp",
        description="Fisher's iris flowers: 4 measurements -> 3 species, a 4-32-3 MLP on "
        "standardised features.",
        dataset="iris",
        model="mlp",
        model_options={"hidden": [32]},
        scale_inputs=True,
        lr=0.01,
        batch_size=16,
        epochs=60,
        metrics=("accuracy", "f1"),
        expected="90-97% test accuracy (30 test flowers: one mistake is 3.3%)",
    ),
    Recipe(
        name="breast-cancer-mlp",
        description="Wisconsin breast cancer: 30 features of a cell nucleus -> malignant or "
        "benign, one logit trained with BCEWithLogits on standardised features.",
        dataset="breast_cancer",
        task="binary",
        model="mlp",
        model_options={"hidden": [32], "dropout": 0.1},
        scale_inputs=True,
        lr=1e-3,
        batch_size=32,
        epochs=40,
        metrics=("accuracy", "f1"),
        expected="96-99% test accuracy",
    ),
    Recipe(
        name="diabetes-mlp",
        description="Diabetes progression one year on from 10 baseline measurements: regression "
        "with MSE; inputs and targets standardised with scalers fitted on the training split.",
        dataset="diabetes",
        task="regression",
        model="mlp",
        model_options={"hidden": [32], "dropout": 0.1},
        scale_inputs=True,
        scale_targets=True,
        lr=3e-3,
        weight_decay=1e-4,
        optimizer="adamw",
        batch_size=32,
        epochs=60,
        metrics=("mae", "r2"),
        expected="test R^2 about 0.45-0.5, MAE about 45 (a hard, noisy target)",
    ),
    Recipe(
        name="digits-mlp",
        description="scikit-learn's 8x8 handwritten digits, flattened to 64 pixels, a 64-128-10 "
        "MLP.",
        dataset="digits",
        model="mlp",
        model_options={"hidden": [128]},
        flatten=True,
        lr=2e-3,
        batch_size=32,
        epochs=30,
        metrics=("accuracy",),
        expected="about 96-97% test accuracy",
    ),
    Recipe(
        name="digits-cnn",
        description="scikit-learn's 8x8 handwritten digits with a small CNN (two conv-BN-ReLU "
        "layers, max-pool, dropout, two dense layers), images shifted by up to a pixel, one-cycle "
        "learning rate.",
        dataset="digits",
        model="digits_cnn",
        lr=3e-3,
        batch_size=64,
        epochs=12,
        scheduler="onecycle",
        augment="shift",
        metrics=("accuracy",),
        expected="98-99% test accuracy in well under a minute on a laptop CPU",
    ),
    Recipe(
        name="sine-lstm",
        description="Forecasting: an LSTM reads a window of a noisy sine wave and predicts the "
        "next value.",
        dataset="sine",
        task="forecasting",
        model="lstm_forecaster",
        model_options={"hidden_size": 32},
        lr=1e-2,
        batch_size=32,
        epochs=15,
        metrics=("mae", "r2"),
        expected="test R^2 above 0.98",
    ),
]

BUILTIN: dict[str, Recipe] = {r.name: r for r in _RECIPES}
