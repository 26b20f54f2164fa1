"""Optional dependencies, imported only when a feature needs them.

>>> require("json", "data").__name__
'json'
"""

from __future__ import annotations

import importlib


def require(module: str, extra: str):
    """Import ``module`` or raise an ImportError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"this feature needs the optional package '{module.split('.')[0]}', which is not "
            f"installed ({exc}). Install it with: pip install 'glassnet[{extra}]'"
        ) from None
