"""``torch.nn.modules.utils``: the helpers custom layers import from there.

>>> _pair(3), _pair((1, 2)), _triple(2)
((3, 3), (1, 2), (2, 2, 2))
>>> sd = {"module.fc.weight": 1, "module.fc.bias": 2}
>>> consume_prefix_in_state_dict_if_present(sd, "module.")
>>> sd
{'fc.weight': 1, 'fc.bias': 2}
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys that start with it, in place (e.g. the ``module.`` a
    data-parallel wrapper adds); as in PyTorch, the renamed keys move to the end."""
    for key in list(state_dict):
        if key.startswith(prefix):
            state_dict[key[len(prefix) :]] = state_dict.pop(key)


__all__ = ["consume_prefix_in_state_dict_if_present"]
