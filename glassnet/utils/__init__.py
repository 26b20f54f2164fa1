"""``glassnet.utils``: the module paths of ``torch.utils`` a PyTorch program imports.

``glassnet.utils.data`` is ``glassnet.data``'s datasets, samplers and DataLoader under
PyTorch's names and files (``torch.utils.data.dataloader.DataLoader`` and so on).

>>> import glassnet.utils.data as data
>>> data.DataLoader is __import__("glassnet").data.DataLoader
True
"""

from glassnet.utils import data

__all__ = ["data"]
