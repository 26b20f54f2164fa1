"""Preprocessing fitted on the training split and applied to every split: scalers, an imputer,
label encoding. Each has ``fit``, ``transform``, ``fit_transform`` and a JSON-able
``state_dict()`` to save with a checkpoint.

>>> import numpy as np
>>> from glassnet.data.preprocessing import MinMaxScaler
>>> MinMaxScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
[0.0, 1.0]
"""

from glassnet.data.preprocessing.encoding import LabelEncoder, one_hot
from glassnet.data.preprocessing.impute import SimpleImputer
from glassnet.data.preprocessing.scalers import MinMaxScaler, StandardScaler

__all__ = ["LabelEncoder", "MinMaxScaler", "SimpleImputer", "StandardScaler", "one_hot"]
