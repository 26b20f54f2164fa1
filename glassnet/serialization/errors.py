"""The one error a damaged, foreign or malformed file raises: ``CheckpointError``."""

from glassnet.errors import GlassnetError


class CheckpointError(GlassnetError, ValueError):
    """A file that is not a valid glassnet/safetensors file; the message names file and fault.

    It is a ``ValueError``, so ``except ValueError`` still catches it.

    >>> import io, glassnet
    >>> try:
    ...     glassnet.load(io.BytesIO(b"hello"))
    ... except ValueError as err:
    ...     print(type(err).__name__, str(err)[:29])
    CheckpointError <BytesIO>: file is truncated
    """

    # Shown (and importable) as glassnet.serialization.CheckpointError, its public home.
    __module__ = "glassnet.serialization"


def short(value, limit=60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting untrusted values in messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
