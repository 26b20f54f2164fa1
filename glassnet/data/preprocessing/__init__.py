"""Preprocessing fitted on the training split and applied to every split: imputation,
scalers, outlier clipping, categorical encoding, cleaning helpers, and their composition
(``Pipeline``, ``ColumnTransformer``) with scikit-learn's names. Each fitted step has
``fit``, ``transform``, ``fit_transform`` and a JSON-able ``state_dict()`` to save with a run.

>>> import numpy as np
>>> from glassnet.data.preprocessing import MinMaxScaler
>>> MinMaxScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
[0.0, 1.0]
"""

from glassnet.data.preprocessing.categories import (
    OneHotEncoder,
    OrdinalEncoder,
    RareCategoryGrouper,
)
from glassnet.data.preprocessing.cleaning import (
    ToNumeric,
    coerce_numeric,
    drop_duplicates,
    duplicate_rows,
)
from glassnet.data.preprocessing.compose import ColumnTransformer, Pipeline
from glassnet.data.preprocessing.encoding import LabelEncoder, one_hot
from glassnet.data.preprocessing.impute import SimpleImputer
from glassnet.data.preprocessing.missing import MissingIndicator, is_missing
from glassnet.data.preprocessing.outliers import OutlierClipper, robust_zscore
from glassnet.data.preprocessing.scalers import MinMaxScaler, RobustScaler, StandardScaler

__all__ = [
    "ColumnTransformer",
    "LabelEncoder",
    "MinMaxScaler",
    "MissingIndicator",
    "OneHotEncoder",
    "OrdinalEncoder",
    "OutlierClipper",
    "Pipeline",
    "RareCategoryGrouper",
    "RobustScaler",
    "SimpleImputer",
    "StandardScaler",
    "ToNumeric",
    "coerce_numeric",
    "drop_duplicates",
    "duplicate_rows",
    "is_missing",
    "one_hot",
    "robust_zscore",
]
