"""``glassnet.amp``: mixed precision with PyTorch's names (``torch.amp``): ``autocast`` runs
matmuls and convolutions in bfloat16 (CPU) or float16 (CUDA) and keeps losses in float32;
``GradScaler`` scales the loss so float16 gradients do not underflow. bfloat16 on the CPU comes
from ``ml_dtypes`` (the ``[amp]`` extra). The op lists: ``glassnet.amp.policy``.

>>> from glassnet.amp import GradScaler, autocast
>>> GradScaler("cpu").get_scale()
65536.0
"""

from glassnet.amp.autocast_mode import (
    autocast,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
)
from glassnet.amp.grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "is_autocast_enabled",
    "is_autocast_cpu_enabled",
    "get_autocast_dtype",
    "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype",
]
