"""Requests for a run trained with ``glassnet train --data``: raw rows checked against what the
run was trained on, then turned into model inputs by the run's fitted preprocessing.

- table: a row is ``{column: value}`` or a list of values in the training column order;
  numbers (``null`` for missing), category strings, booleans (``true``/``false`` or the
  file's spelling, "yes"/"no"). Imputation, encoding and scaling run through
  ``glassnet.recipes.owndata.inputs_from_records``; a category never seen in training is
  treated as training treats one (grouped with the rare ones, or its own embedding).
- images: a row is a base64 PNG or JPEG of any size, resized and normalised as in training.
- text: a row is a string, or a list of token ids (``0 <= id < vocab_size``).
- lm (a language model on a plain text file): a row is a string of at least ``context``
  characters (its last ``context`` are read) or exactly ``context`` token ids; the answer is
  the next character's probabilities. ``POST /generate`` continues a prompt.

>>> _column_value("size", "numeric", 3)
3.0
>>> _column_value("size", "numeric", "3")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
glassnet.serve.predictor.InputError: column 'size' holds numbers; got a string ('3')...
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np

from glassnet.serve.predictor import MAX_IMAGE_PIXELS, InputError, _kind

_TRUE = ("true", "yes", "y", "t")
_FALSE = ("false", "no", "n", "f")


class OwnDataInputs:
    """Checks and preprocesses the rows of a request for the ``--data`` run ``run``."""

    def __init__(self, run):
        self.run = run
        self.source = run.preprocessing.source
        self.kind = self.source["kind"]
        if self.kind in ("text", "lm"):
            from glassnet.data import CharTokenizer, WordTokenizer

            cls = CharTokenizer if self.kind == "lm" else WordTokenizer
            self.tokenizer = cls().load_state_dict(self.source["tokenizer"])
            self.vocab_size = int(self.source["vocab_size"])

    # ---- the rows of a request -> model inputs ----
    def parse(self, inputs) -> np.ndarray:
        return getattr(self, f"_{self.kind}")(inputs)

    def _table(self, inputs):
        from glassnet.recipes.owndata import inputs_from_records

        features, kinds = self.source["features"], self.source["kinds"]
        target = self.source.get("target")
        records = []
        for i, row in enumerate(inputs):
            if isinstance(row, list):
                if len(row) != len(features):
                    raise InputError(
                        f"inputs[{i}] has {len(row)} values; this model takes {len(features)}, "
                        f"in the training column order: {', '.join(features)}"
                    )
                row = dict(zip(features, row))
            elif isinstance(row, dict):
                unknown = [c for c in row if c not in kinds and c != target]
                if unknown:
                    raise InputError(
                        f"inputs[{i}] has unknown column {unknown[0]!r}; the columns are "
                        f"{', '.join(features)}"
                    )
                missing = [c for c in features if c not in row]
                if missing:
                    raise InputError(
                        f"inputs[{i}] has no column {missing[0]!r}; give every column "
                        f"({', '.join(features)}), null for a missing value"
                    )
            else:
                raise InputError(
                    f"inputs[{i}] must be an object {{column: value}} or a list of "
                    f"{len(features)} values, got {_kind(row)}"
                )
            record = {}
            for c in features:
                try:
                    record[c] = _column_value(c, kinds[c], row[c])
                except InputError as exc:
                    raise InputError(f"inputs[{i}]: {exc}") from None
            records.append(record)
        try:
            with np.errstate(over="ignore"):  # too large for float32 becomes inf: refused below
                x = inputs_from_records(self.run, records)
        except Exception as exc:  # the fitted transformer refuses: still the rows' fault
            raise InputError(f"inputs could not be preprocessed: {exc}") from None
        if not np.isfinite(x).all():
            bad = int(np.argwhere(~np.isfinite(x))[0][0])
            raise InputError(
                f"inputs[{bad}] has a number too large for float32 once scaled; every value "
                "must be finite"
            )
        return x

    def _images(self, inputs):
        from glassnet.data.profile.images import load_image

        size, mode = self.source["size"], self.source["mode"]
        out = []
        for i, row in enumerate(inputs):
            if not isinstance(row, str):
                raise InputError(
                    f"inputs[{i}] is {_kind(row)}; this model takes images as base64 PNG or "
                    "JPEG strings"
                )
            data = _decode_image(i, row)
            try:
                out.append(load_image(io.BytesIO(data), size, mode))
            except Exception:
                raise InputError(
                    f"inputs[{i}] decodes from base64 but is not a readable image"
                ) from None
        x = np.stack(out).transpose(0, 3, 1, 2).astype(np.float32)
        # the training split's per-channel mean and standard deviation, as in training
        mean = np.asarray(self.source["mean"], np.float32).reshape(1, -1, 1, 1)
        std = np.asarray(self.source["std"], np.float32).reshape(1, -1, 1, 1)
        return np.ascontiguousarray((x - mean) / std, dtype=np.float32)

    def _text(self, inputs):
        from glassnet.data import pad_sequences

        ids = []
        for i, row in enumerate(inputs):
            if isinstance(row, str):
                ids.append(self.tokenizer.encode(row) or [1])  # as training: '' -> unknown
            else:
                ids.append(self._tokens(i, row))
        x = pad_sequences(ids, maxlen=self.source["max_len"], padding="pre", truncating="post")
        return x.astype(np.int64)

    def _lm(self, inputs):
        context = self.source["context"]
        rows = []
        for i, row in enumerate(inputs):
            if isinstance(row, str):
                ids = self.tokenizer.encode(row)
                if len(ids) < context:
                    raise InputError(
                        f"inputs[{i}] is {len(row)} characters; this language model reads "
                        f"{context} (the last {context} of a longer text); to continue a "
                        'shorter prompt, POST /generate {"prompt": ...}'
                    )
                rows.append(ids[-context:])
            else:
                ids = self._tokens(i, row)
                if len(ids) != context:
                    raise InputError(
                        f"inputs[{i}] has {len(ids)} token ids; this language model reads "
                        f"exactly {context}"
                    )
                rows.append(ids)
        return np.array(rows, dtype=np.int64)

    def _tokens(self, i, row):
        if not isinstance(row, list):
            raise InputError(
                f"inputs[{i}] is {_kind(row)}; this model takes a string or a list of token ids"
            )
        if not row:
            raise InputError(f"inputs[{i}] is an empty list; give at least one token id")
        for j, v in enumerate(row):
            if type(v) is not int:
                raise InputError(
                    f"inputs[{i}][{j}] is {_kind(v)}; token ids are whole numbers "
                    f"0..{self.vocab_size - 1}"
                )
            if not 0 <= v < self.vocab_size:
                raise InputError(
                    f"inputs[{i}][{j}] is token id {v}, outside the vocabulary "
                    f"(0..{self.vocab_size - 1})"
                )
        return row

    # ---- what /metadata shows ----
    def describe(self) -> dict:
        s = self.source
        if self.kind == "table":
            return {
                "input_format": "table",
                "columns": [{"name": c, "kind": s["kinds"][c]} for c in s["features"]],
                "target": s.get("target"),
                "row": "{column: value} or a list of values in the column order; null for a "
                "missing value",
            }
        if self.kind == "images":
            return {
                "input_format": "image",
                "image": {"size": s["size"], "mode": s["mode"], "mean": s["mean"], "std": s["std"]},
                "row": "a base64 PNG or JPEG of any size (resized as in training)",
            }
        info = {"vocab_size": self.vocab_size, "input_format": self.kind}
        if self.kind == "text":
            info["max_len"] = s["max_len"]
            info["row"] = "a string, or a list of token ids"
        else:
            info["context"] = s["context"]
            info["row"] = (
                f"a string of at least {s['context']} characters or {s['context']} token ids "
                "(the answer: the next character); POST /generate continues a prompt"
            )
        return info


def _column_value(name, kind, value):
    """A JSON value checked against the column's kind, as the table reader takes it."""
    if value is None:
        return None
    if kind == "numeric":
        if type(value) in (int, float):
            try:
                return float(value)
            except OverflowError:  # an integer beyond any float
                raise InputError(f"column {name!r} has a number too large for a float") from None
        raise InputError(
            f"column {name!r} holds numbers; got {_kind(value)} ({value!r}); send a number, "
            "or null for a missing value"
        )
    if kind == "boolean":
        if type(value) is bool:
            return "true" if value else "false"
        if type(value) is int and value in (0, 1):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value
        raise InputError(
            f"column {name!r} is yes/no; got {_kind(value)} ({value!r}); send true or false "
            "(or yes/no), or null for a missing value"
        )
    # a category: strings; a whole number is read as its digits, as in a file
    if isinstance(value, str):
        return value
    if type(value) is int:
        return str(value)
    raise InputError(
        f"column {name!r} holds categories; got {_kind(value)} ({value!r}); send a string, "
        "or null for a missing value"
    )


def _decode_image(i, text):
    from glassnet._optional import require

    image_module = require("PIL.Image", "data")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"inputs[{i}] is not valid base64 (a PNG or JPEG file)") from None
    try:
        with image_module.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise InputError(
                    f"inputs[{i}] is a {width}x{height} image; at most {MAX_IMAGE_PIXELS} pixels",
                    status=413,
                    code="image_too_large",
                )
            img.verify()
    except InputError:
        raise
    except Exception:
        raise InputError(f"inputs[{i}] decodes from base64 but is not a readable image") from None
    return data


def generate(run, prompt, length, temperature, seed):
    """The run's language model continuing ``prompt``: what ``glassnet predict RUN FILE``
    prints for a file holding ``prompt``."""
    import os
    import tempfile

    from glassnet.recipes.owndata_text import generate as generate_from_file

    # generate() reads its prompt from a file, as `glassnet predict` gives it; a private
    # temporary file keeps the two paths one and the same code.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "prompt.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(prompt)
        return generate_from_file(run, path, length=length, temperature=temperature, seed=seed)
