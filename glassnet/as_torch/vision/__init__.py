"""What ``import torchvision`` means under ``glassnet as-torch``: local-file datasets,
transforms and image utilities on glassnet (no downloads: nothing outside is reached).

>>> from glassnet.as_torch.vision import transforms
>>> transforms.ToTensor.__module__
'glassnet.data.transforms.to_tensor'
"""

from glassnet.as_torch.vision import datasets, transforms, utils

__version__ = "0.0+glassnet"
