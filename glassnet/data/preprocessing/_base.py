"""What every preprocessor shares: fit on training data, transform any split, and a JSON-able
state_dict so the fitted statistics can be saved next to a model checkpoint.

>>> import numpy as np
>>> from glassnet.data import StandardScaler
>>> StandardScaler().fit(np.array([[1.0], [3.0]])).state_dict()["mean_"]
[2.0]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, dtypes
from glassnet.data._arrays import unwrap, wrap
from glassnet.errors import ShapeError


class Preprocessor:
    """Base class. Subclasses list their constructor arguments in ``_params`` and their fitted
    statistics (NumPy arrays, float64) in ``_fitted``, and implement ``fit`` and ``transform``."""

    _params: tuple = ()
    _fitted: tuple = ()

    def fit_transform(self, x, *args):
        """``fit(x)`` then ``transform(x)``: only ever call it on the training split."""
        return self.fit(x, *args).transform(x)

    @property
    def is_fitted(self) -> bool:
        return all(getattr(self, name, None) is not None for name in self._fitted)

    def _check_fitted(self, method):
        if not self.is_fitted:
            raise RuntimeError(
                f"{type(self).__name__}.{method}: this preprocessor is not fitted "
                "yet; call fit(train_data) first (on the training split only)"
            )

    # ---- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Constructor arguments and fitted statistics as plain JSON types (lists of floats)."""
        self._check_fitted("state_dict")
        state = {name: _jsonable(getattr(self, name)) for name in self._params}
        state.update({name: _jsonable(getattr(self, name)) for name in self._fitted})
        return state

    def load_state_dict(self, state: dict):
        """Restore what ``state_dict`` returned; the preprocessor is then fitted."""
        missing = [k for k in (*self._params, *self._fitted) if k not in state]
        if missing:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}")
        for name in self._params:
            value = state[name]
            setattr(self, name, tuple(value) if isinstance(value, list) else value)
        for name in self._fitted:
            setattr(self, name, self._from_json(name, state[name]))
        self._cache = {}
        return self

    def _from_json(self, name, value):
        return np.asarray(value, dtype=np.float64)

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._params)
        return f"{type(self).__name__}({args})"

    # ---- arrays -----------------------------------------------------------------------------
    def _fit_array(self, x, method="fit"):
        """The training data as a float64 NumPy array of 2 or more dimensions."""
        a = backend.to_numpy(unwrap(x)[0])
        if a.ndim < 2:
            raise ShapeError(
                f"{type(self).__name__}.{method}: expected (n_samples, n_features) "
                f"data, got shape {a.shape}; reshape a single feature with "
                "x.reshape(-1, 1)"
            )
        self._cache = {}
        return a.astype(np.float64)

    def _input(self, x, method, keep_ints=False):
        """``(array, was_tensor)`` in a floating dtype (unless ``keep_ints``), checked against
        the fitted features."""
        self._check_fitted(method)
        a, was_tensor = unwrap(x)
        expected = self._feature_shape()
        if tuple(a.shape[1:]) != expected or a.ndim < 2:
            raise ShapeError(
                f"{type(self).__name__}.{method}: fitted on samples of shape "
                f"{expected}, got data of shape {tuple(a.shape)}; pass "
                f"(n_samples, {', '.join(map(str, expected))}) data"
            )
        if a.dtype.kind != "f" and not (keep_ints and a.dtype.kind in "iu"):
            a = a.astype(dtypes.get_default_dtype())
        return a, was_tensor

    def _feature_shape(self):
        return tuple(getattr(self, self._fitted[0]).shape)

    def _stat(self, name, like):
        """Fitted statistic ``name`` on ``like``'s device and in its dtype (cached), so float32
        data stays float32."""
        xp = backend.get_array_module(like)
        key = (name, xp.__name__, like.dtype)
        cache = self.__dict__.setdefault("_cache", {})
        value = cache.get(key)
        if value is None:
            value = cache[key] = xp.asarray(getattr(self, name), dtype=like.dtype)
        return value

    @staticmethod
    def _output(array, was_tensor):
        return wrap(array, was_tensor)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def handle_zero_scale(scale):
    """Constant features would divide by zero: scale them by 1 (as scikit-learn does)."""
    scale = scale.copy()
    scale[~(scale >= 10 * np.finfo(np.float64).eps)] = 1.0
    return scale
