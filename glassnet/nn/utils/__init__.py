"""glassnet.nn.utils: gradient clipping, parameter vectors, sequence padding, weight penalties.

>>> from glassnet.nn import utils
>>> sorted(n for n in utils.__all__ if n.startswith("clip"))
['clip_grad_norm_', 'clip_grad_value_', 'clip_grads_with_norm_']
"""

from glassnet.nn.regularization import l1_penalty, l2_penalty, max_norm_
from glassnet.nn.utils import rnn
from glassnet.nn.utils.clip_grad import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from glassnet.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from glassnet.nn.utils.freeze import freeze, is_frozen, unfreeze

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
    "l1_penalty",
    "l2_penalty",
    "max_norm_",
    "rnn",
    "freeze",
    "unfreeze",
    "is_frozen",
]
