"""``torch.backends.cuda`` for glassnet: ``matmul.allow_tf32`` and friends, and the
scaled-dot-product attention switches, settable with PyTorch's defaults.

They record what a program asks for: glassnet's float32 products on the GPU are full float32
(CuPy does not use TF32 unless told at start-up) and its attention is one formula.

>>> from glassnet.backends import cuda
>>> cuda.matmul.allow_tf32
False
>>> cuda.matmul.allow_tf32 = True
>>> cuda.matmul.allow_tf32
True
>>> cuda.matmul.allow_tf32 = False
"""

from __future__ import annotations

from glassnet import backend


class _MatmulSettings:
    """``torch.backends.cuda.matmul``: only PyTorch's attribute names may be set."""

    _names = {
        "allow_tf32": False,
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "fp32_precision": "none",
    }

    def __init__(self):
        for name, value in self._names.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._names:
            raise AttributeError(
                f"Unknown attribute {name}; torch.backends.cuda.matmul has "
                f"{', '.join(sorted(self._names))}"
            )
        object.__setattr__(self, name, value)


matmul = _MatmulSettings()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """Whether glassnet can use a GPU here (CuPy imports and sees one)."""
    return backend.cuda_available()


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]
