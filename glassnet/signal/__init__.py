"""``glassnet.signal``: signal processing helpers, as ``torch.signal`` (its window functions).

>>> import glassnet
>>> glassnet.signal.windows.bartlett(3).tolist()
[0.0, 1.0, 0.0]
"""

from glassnet.signal import windows  # noqa: F401
