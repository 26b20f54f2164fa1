"""A trained run, loaded once and read-only, that turns checked raw inputs into answers.

``Predictor.parse(inputs)`` checks a request's ``inputs`` (a list of rows: raw features, nested
lists shaped like one sample, or base64 PNG images for image recipes) and returns the float32
model inputs after the recipe's fitted preprocessing; anything wrong raises ``InputError`` with
the HTTP status and a message that says what. ``Predictor.predict(x)`` runs the model on a batch
and ``answer(probs)`` shapes the JSON reply.

>>> import tempfile
>>> from glassnet.recipes import get
>>> from glassnet.recipes.runner import train
>>> run = train(get("iris-mlp").replace(epochs=1), tempfile.mkdtemp(), progress=False)
>>> p = Predictor(run.run_dir)
>>> x = p.parse([[5.1, 3.5, 1.4, 0.2]])
>>> sorted(p.answer(p.predict(x)))
['classes', 'predictions', 'probabilities']
>>> p.parse([[1, 2]])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
glassnet.serve.predictor.InputError: inputs[0] has 2 values; this model takes 4 (features: ...)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import os

import numpy as np

import glassnet

MAX_IMAGE_PIXELS = 4096 * 4096  # a decoded image larger than this is refused (a PNG bomb)


class InputError(ValueError):
    """A request that cannot be answered: ``status`` is the HTTP code (4xx), ``code`` a short
    machine-readable name, the message says what was wrong and what is expected."""

    def __init__(self, message, status=422, code="invalid_input"):
        super().__init__(message)
        self.status, self.code = status, code


class Predictor:
    """The run in ``run_dir``: its recipe, preprocessing and model (eval mode, weights made
    read-only), with a SHA-256 of the weights file for ``/metadata``."""

    def __init__(self, run_dir, max_rows: int = 1024):
        from glassnet import report
        from glassnet.recipes.runner import load_run

        self.run = load_run(run_dir)  # safetensors weights + JSON config: no pickle anywhere
        self.recipe, self.pre, self.model = self.run.recipe, self.run.preprocessing, self.run.model
        for t in list(self.model.parameters()) + list(self.model.buffers()):
            if isinstance(t._data, np.ndarray):
                t._data.flags.writeable = False  # read-only: a request can never change them
        self.input_shape = tuple(int(s) for s in self.pre.input_shape)
        self.size = math.prod(self.input_shape)
        self.images = len(self.input_shape) == 3
        self.max_rows = max_rows
        self.owndata = None
        if self.pre.source:  # trained with --data: raw rows, checked against the training data
            from glassnet.serve.owndata import OwnDataInputs

            self.owndata = OwnDataInputs(self.run)
        with open(os.path.join(run_dir, report.MODEL), "rb") as f:
            self.model_sha256 = hashlib.sha256(f.read()).hexdigest()
        # compiled inference: one plan per batch shape, eager (with the reason logged) where
        # the model cannot be recorded
        from glassnet.serve.compiled import CompiledInference

        self.infer = CompiledInference(self.model, name=f"{self.recipe.name} model")
        task = self.recipe.task
        self.classes = None
        if self.recipe.is_classifier:
            k = 2 if task == "binary" else self.run.config["num_outputs"]
            names = self.pre.class_names or [str(i) for i in range(k)]
            self.classes = [str(n) for n in names]

    # ---- checking a request ----
    def parse(self, inputs) -> np.ndarray:
        """The model inputs (n, *input_shape), float32, preprocessed, from a request's rows."""
        if not isinstance(inputs, list):
            raise InputError(
                f"'inputs' must be a list of samples (even for one: [[...]]), got {_kind(inputs)}"
            )
        if not inputs:
            raise InputError("'inputs' is empty; send at least one sample")
        if len(inputs) > self.max_rows:
            raise InputError(
                f"'inputs' has {len(inputs)} samples; at most {self.max_rows} per request",
                status=413,
                code="too_many_samples",
            )
        if self.owndata is not None:
            return self.owndata.parse(inputs)
        rows = np.empty((len(inputs), self.size), dtype=np.float64)
        for i, row in enumerate(inputs):
            rows[i] = self._row(i, row)
        with np.errstate(over="ignore"):  # too large for float32 becomes inf: refused below
            single = rows.astype(np.float32)
        if not np.isfinite(single).all():
            bad = int(np.argwhere(~np.isfinite(single))[0][0])
            raise InputError(
                f"inputs[{bad}] has a value that is not a finite float32 number (too large); "
                "every value must be finite"
            )
        try:
            return self.pre.inputs(rows)
        except Exception as exc:  # the reshape/scaler refuses: still the input's fault
            raise InputError(f"inputs could not be preprocessed: {exc}") from None

    def _row(self, i, row):
        if isinstance(row, str):
            if not self.images:
                raise InputError(
                    f"inputs[{i}] is a string; this model takes {self._expected()}, not images"
                )
            return self._image(i, row)
        if not isinstance(row, list):
            raise InputError(f"inputs[{i}] must be a list of numbers, got {_kind(row)}")
        flat = []
        _flatten(row, flat, f"inputs[{i}]")
        if len(flat) != self.size:
            raise InputError(
                f"inputs[{i}] has {len(flat)} values; this model takes {self._expected()}"
            )
        if not (_exact(row, (self.size,)) or _exact(row, self.input_shape)):
            nested = f" or nested as {list(self.input_shape)}" if len(self.input_shape) > 1 else ""
            raise InputError(
                f"inputs[{i}] is nested as {_nested_shape(row)}; give {self.size} values in "
                f"one flat list{nested}"
            )
        try:
            return np.array(flat, dtype=np.float64)
        except OverflowError:  # an integer too large for a float
            raise InputError(f"inputs[{i}] has a number too large for a float") from None

    def _image(self, i, text):
        from glassnet._optional import require
        from glassnet.recipes.inputs import read_image

        image_module = require("PIL.Image", "data")
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(
                f"inputs[{i}] is not valid base64 (a PNG file, base64-encoded)"
            ) from None
        try:
            with image_module.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise InputError(
                        f"inputs[{i}] is a {width}x{height} image; at most "
                        f"{MAX_IMAGE_PIXELS} pixels",
                        status=413,
                        code="image_too_large",
                    )
                img.verify()
            image = read_image(io.BytesIO(data), self.input_shape)
        except InputError:
            raise
        except Exception:
            raise InputError(
                f"inputs[{i}] decodes from base64 but is not a readable image"
            ) from None
        return image.reshape(-1).astype(np.float64)

    def _expected(self):
        if self.images:
            c, h, w = self.input_shape
            return f"{self.size} values (an image {c}x{h}x{w}) or a base64 PNG"
        names = self.pre.feature_names
        if names and len(names) == self.size:
            return f"{self.size} (features: {', '.join(map(str, names))})"
        return f"{self.size} values (samples shaped {list(self.input_shape)})"

    # ---- answering ----
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions in target units (class probabilities for classifiers) for model inputs."""
        out = self.infer(glassnet.from_numpy(x))
        return self.pre.outputs(out)

    def answer(self, preds: np.ndarray) -> dict:
        """The JSON reply for predictions of some rows."""
        task = self.recipe.task
        if task == "binary":
            p = preds.reshape(-1)
            probs = np.stack([1 - p, p], axis=1)
        elif task == "classification":
            probs = preds
        else:
            values = preds.reshape(len(preds), -1)
            return {"predictions": [v[0] if len(v) == 1 else list(v) for v in values.tolist()]}
        labels = probs.argmax(axis=1) if task == "classification" else (p >= 0.5).astype(int)
        return {
            "predictions": [self.classes[k] for k in labels.tolist()],
            "probabilities": probs.tolist(),
            "classes": self.classes,
        }

    def metadata(self) -> dict:
        info = self._metadata()
        if self.owndata is not None:
            info.update(self.owndata.describe())
            info["preprocessing"]["source"] = self.pre.source
            info["preprocessing"]["images"] = None
        return info

    def _metadata(self) -> dict:
        pre = self.pre
        return {
            "recipe": self.recipe.name,
            "task": self.recipe.task,
            "input_shape": list(self.input_shape),
            "input_format": "image" if self.images else "features",
            "features": pre.feature_names,
            "classes": self.classes,
            "preprocessing": {
                "reshape_to": list(self.input_shape),
                "scale_inputs": pre.scale_inputs,
                "input_scaler": pre.input_scaler,
                "scale_targets": pre.scale_targets,
                "target_scaler": pre.target_scaler,
                "images": "base64 PNG -> grey/RGB, resized, scaled to [0, 1], light "
                "backgrounds inverted"
                if self.images
                else None,
            },
            "model_sha256": self.model_sha256,
            "glassnet_version": glassnet.__version__,
        }


def _kind(value):
    return {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}" if not isinstance(value, list) else "a list"
    )


def _flatten(value, out, where):
    for j, v in enumerate(value):
        t = type(v)
        if t is float or t is int:
            out.append(v)
        elif t is list:
            _flatten(v, out, f"{where}[{j}]")
        else:
            raise InputError(f"{where}[{j}] is {_kind(v)}; every value must be a number")


def _exact(value, shape):
    """Whether nested lists ``value`` have exactly ``shape`` (numbers at the last level)."""
    if not shape:
        return not isinstance(value, list)
    if not isinstance(value, list) or len(value) != shape[0]:
        return False
    return all(_exact(v, shape[1:]) for v in value)


def _nested_shape(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(shape)
