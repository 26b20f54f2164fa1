"""F.linear and F.bilinear: the functional forms of nn.Linear and nn.Bilinear (fused ops in
glassnet.ops.linear).

>>> import glassnet
>>> import glassnet.nn.functional as F
>>> F.linear(glassnet.ones(2, 3), glassnet.ones(4, 3), glassnet.zeros(4))
tensor([[3., 3., 3., 3.],
        [3., 3., 3., 3.]])
"""

from __future__ import annotations

from glassnet.ops.linear import bilinear, linear

__all__ = ["linear", "bilinear"]
