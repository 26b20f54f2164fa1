"""Categorical features: OneHotEncoder (one 0/1 column per category, rare ones grouped) and
RareCategoryGrouper (rare categories renamed to one label), both fitted on the training split.

>>> import numpy as np
>>> x = np.array([["red"], ["red"], ["blue"], ["green"], ["red"]], dtype=object)
>>> enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2).fit(x)
>>> enc.get_feature_names_out(["colour"]).tolist()
['colour_red', 'colour_infrequent']
>>> enc.transform(np.array([["red"], ["pink"]], dtype=object)).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data._arrays import to_numpy

_UNKNOWN = ("error", "ignore", "infrequent_if_exist")


def _columns(x, who):
    a = np.asarray(to_numpy(x) if not isinstance(x, (list, tuple)) else x)
    if a.ndim != 2:
        raise ValueError(f"{who}: expected 2-d (n_samples, n_features) data, got shape {a.shape}")
    return a


def _key(value):
    """A hashable, JSON-able form of a category: numbers as floats, the rest as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _sorted(keys):
    keys = list(keys)
    numbers = sorted(k for k in keys if isinstance(k, float))
    return numbers + sorted(k for k in keys if not isinstance(k, float))


def _min_count(min_frequency, n):
    if min_frequency is None:
        return 0
    if isinstance(min_frequency, float) and 0 < min_frequency < 1:
        return min_frequency * n
    return min_frequency


def _count(column):
    counts = {}
    for v in column:
        k = _key(v)
        counts[k] = counts.get(k, 0) + 1
    return counts


class OneHotEncoder:
    """One 0/1 column per category of each feature, with scikit-learn's names and rules.

    ``min_frequency``: categories seen fewer times (or, as a float in (0, 1), in a smaller
    fraction of rows) are infrequent and share one column, the last of their feature.
    ``handle_unknown``: 'error' (unknown categories raise), 'ignore' (all zeros) or
    'infrequent_if_exist' (the infrequent column when there is one, else zeros).
    Categories are sorted (numbers first); ``state_dict()`` is JSON.
    """

    def __init__(self, handle_unknown="error", min_frequency=None, dtype=np.float64):
        if handle_unknown not in _UNKNOWN:
            raise ValueError(f"OneHotEncoder: handle_unknown must be one of {_UNKNOWN}")
        self.handle_unknown, self.min_frequency, self.dtype = handle_unknown, min_frequency, dtype
        self.categories_ = None
        self.infrequent_categories_ = None

    def fit(self, x, y=None):
        """Learn each feature's categories (and which are infrequent) from the training data."""
        a = _columns(x, "OneHotEncoder.fit")
        self.categories_, self.infrequent_categories_ = [], []
        threshold = _min_count(self.min_frequency, len(a))
        for j in range(a.shape[1]):
            counts = _count(a[:, j])
            cats = _sorted(counts)
            self.categories_.append(cats)
            self.infrequent_categories_.append([c for c in cats if counts[c] < threshold])
        self._index()
        return self

    def _index(self):
        self._maps, self._widths = [], []
        for cats, rare in zip(self.categories_, self.infrequent_categories_):
            frequent = [c for c in cats if c not in set(rare)]
            mapping = {c: i for i, c in enumerate(frequent)}
            for c in rare:
                mapping[c] = len(frequent)
            self._maps.append(mapping)
            self._widths.append(len(frequent) + (1 if rare else 0))

    def transform(self, x):
        """The one-hot matrix of ``x``: sum over features of their widths columns."""
        if self.categories_ is None:
            raise RuntimeError("OneHotEncoder.transform: call fit(train_data) first")
        a = _columns(x, "OneHotEncoder.transform")
        if a.shape[1] != len(self.categories_):
            raise ValueError(
                f"OneHotEncoder.transform: fitted on {len(self.categories_)} features, got "
                f"{a.shape[1]}"
            )
        out = np.zeros((len(a), sum(self._widths)), dtype=self.dtype)
        start = 0
        for j, (mapping, width) in enumerate(zip(self._maps, self._widths)):
            has_rare = bool(self.infrequent_categories_[j])
            for i, v in enumerate(a[:, j]):
                k = mapping.get(_key(v))
                if k is None:
                    if self.handle_unknown == "error":
                        raise ValueError(
                            f"OneHotEncoder.transform: feature {j} has category {v!r}, not seen "
                            "in fit; use handle_unknown='ignore' or 'infrequent_if_exist'"
                        )
                    if self.handle_unknown == "infrequent_if_exist" and has_rare:
                        k = width - 1
                    else:
                        continue
                out[i, start + k] = 1
            start += width
        return out

    def fit_transform(self, x, y=None):
        return self.fit(x).transform(x)

    def get_feature_names_out(self, input_features=None):
        """Output column names: ``feature_category`` and ``feature_infrequent``."""
        names = input_features or [f"x{j}" for j in range(len(self.categories_))]
        out = []
        for name, cats, rare in zip(names, self.categories_, self.infrequent_categories_):
            shown = [c for c in cats if c not in set(rare)]
            out += [f"{name}_{_show(c)}" for c in shown]
            if rare:
                out.append(f"{name}_infrequent")
        return np.array(out, dtype=object)

    def state_dict(self) -> dict:
        return {
            "handle_unknown": self.handle_unknown,
            "min_frequency": self.min_frequency,
            "categories_": self.categories_,
            "infrequent_categories_": self.infrequent_categories_,
        }

    def load_state_dict(self, state: dict):
        self.handle_unknown = state["handle_unknown"]
        self.min_frequency = state["min_frequency"]
        self.categories_ = [list(c) for c in state["categories_"]]
        self.infrequent_categories_ = [list(c) for c in state["infrequent_categories_"]]
        self._index()
        return self

    def __repr__(self):
        return (
            f"OneHotEncoder(handle_unknown={self.handle_unknown!r}, "
            f"min_frequency={self.min_frequency!r})"
        )


def _show(category):
    if isinstance(category, float) and category == int(category):
        return str(int(category))
    return str(category)


class RareCategoryGrouper:
    """Rename categories seen fewer than ``min_frequency`` times in training (a float in (0, 1):
    a fraction of the rows) to ``other``; categories not seen in training become ``other``
    too. Works column by column on text data.

    >>> g = RareCategoryGrouper(min_frequency=2).fit([["a"], ["a"], ["b"]])
    >>> g.transform([["a"], ["b"], ["z"]]).ravel().tolist()
    ['a', 'other', 'other']
    """

    def __init__(self, min_frequency=0.05, other="other"):
        self.min_frequency, self.other = min_frequency, other
        self.kept_ = None

    def fit(self, x, y=None):
        a = _columns(x, "RareCategoryGrouper.fit")
        threshold = _min_count(self.min_frequency, len(a))
        self.kept_ = []
        for j in range(a.shape[1]):
            counts = _count(a[:, j])
            self.kept_.append(_sorted(c for c, n in counts.items() if n >= threshold))
        return self

    def transform(self, x):
        if self.kept_ is None:
            raise RuntimeError("RareCategoryGrouper.transform: call fit(train_data) first")
        a = _columns(x, "RareCategoryGrouper.transform").astype(object)
        out = a.copy()
        for j, kept in enumerate(self.kept_):
            keep = set(kept)
            for i, v in enumerate(a[:, j]):
                if _key(v) not in keep:
                    out[i, j] = self.other
        return out

    def fit_transform(self, x, y=None):
        return self.fit(x).transform(x)

    def state_dict(self) -> dict:
        return {"min_frequency": self.min_frequency, "other": self.other, "kept_": self.kept_}

    def load_state_dict(self, state: dict):
        self.min_frequency, self.other = state["min_frequency"], state["other"]
        self.kept_ = [list(k) for k in state["kept_"]]
        return self


class OrdinalEncoder(OneHotEncoder):
    """Each category as one integer code (sorted order, as scikit-learn): for embeddings.
    Infrequent categories (``min_frequency``) share the last code of their feature; unknown
    ones get ``unknown_value`` (scikit-learn's ``handle_unknown='use_encoded_value'``).

    >>> import numpy as np
    >>> enc = OrdinalEncoder().fit(np.array([["b"], ["a"], ["b"]], dtype=object))
    >>> enc.transform(np.array([["a"], ["b"], ["z"]], dtype=object)).ravel().tolist()
    [0.0, 1.0, -1.0]
    """

    def __init__(self, min_frequency=None, unknown_value=-1, dtype=np.float64):
        super().__init__(handle_unknown="ignore", min_frequency=min_frequency, dtype=dtype)
        self.unknown_value = unknown_value

    def transform(self, x):
        """The (n_samples, n_features) codes of ``x``."""
        if self.categories_ is None:
            raise RuntimeError("OrdinalEncoder.transform: call fit(train_data) first")
        a = _columns(x, "OrdinalEncoder.transform")
        if a.shape[1] != len(self.categories_):
            raise ValueError(
                f"OrdinalEncoder.transform: fitted on {len(self.categories_)} features, got "
                f"{a.shape[1]}"
            )
        out = np.empty(a.shape, dtype=self.dtype)
        for j, mapping in enumerate(self._maps):
            out[:, j] = [mapping.get(_key(v), self.unknown_value) for v in a[:, j]]
        return out

    @property
    def cardinalities(self) -> list:
        """How many codes each feature uses (frequent categories, plus one for the rest)."""
        return list(self._widths)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "unknown_value": self.unknown_value}

    def load_state_dict(self, state: dict):
        self.unknown_value = state["unknown_value"]
        return super().load_state_dict(state)

    def __repr__(self):
        return f"OrdinalEncoder(min_frequency={self.min_frequency!r})"
