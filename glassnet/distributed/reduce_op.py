"""``ReduceOp``: how a collective combines the ranks' tensors (PyTorch's names).

>>> ReduceOp.SUM
<ReduceOp.SUM: 'sum'>
>>> ReduceOp("avg") is ReduceOp.AVG
True
"""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """SUM, AVG (sum divided by the world size), MAX, MIN and PRODUCT, as in
    ``torch.distributed.ReduceOp``."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


def as_reduce_op(op) -> ReduceOp:
    """Accept a ReduceOp or its lower-case name; raise a ValueError that lists the choices."""
    if isinstance(op, ReduceOp):
        return op
    try:
        return ReduceOp(str(op).lower())
    except ValueError:
        choices = ", ".join(o.name for o in ReduceOp)
        raise ValueError(f"unknown reduce op {op!r}; use one of ReduceOp.{{{choices}}}") from None
