"""``torch.nn.modules.normalization``: the glassnet layers PyTorch keeps in that file."""

from glassnet.nn.modules._paths import export

__all__ = export(__name__, globals())
