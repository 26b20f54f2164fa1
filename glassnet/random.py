"""One source of randomness for everything glassnet draws, seeded by ``manual_seed``.

>>> import glassnet
>>> _ = glassnet.manual_seed(0); a = glassnet.rand(2)
>>> _ = glassnet.manual_seed(0); b = glassnet.rand(2)
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import numpy as np

from glassnet import backend


class Generator:
    """A seeded NumPy generator (and, once used, a CuPy one for GPU draws)."""

    def __init__(self, seed: int | None = None):
        self.manual_seed(seed if seed is not None else np.random.SeedSequence().entropy % 2**63)

    def manual_seed(self, seed: int):
        self.seed = int(seed)
        self.numpy = np.random.default_rng(self.seed)
        self._cupy = None
        return self

    def initial_seed(self) -> int:
        return self.seed

    def for_device(self, device: str):
        """The generator that draws on ``device`` ('cpu' or 'cuda')."""
        if device == "cpu":
            return self.numpy
        if self._cupy is None:
            cp = backend.cupy_module()
            self._cupy = cp.random.default_rng(self.seed)
        return self._cupy

    def get_state(self) -> dict:
        """A JSON-serialisable snapshot of the CPU generator (for checkpoints)."""
        return {"seed": self.seed, "bit_generator": _jsonable(self.numpy.bit_generator.state)}

    def set_state(self, state: dict) -> None:
        self.seed = int(state["seed"])
        self.numpy = np.random.default_rng(self.seed)
        self.numpy.bit_generator.state = state["bit_generator"]
        self._cupy = None


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed every random draw glassnet makes: initialisers, dropout, shuffling, augmentation."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(device: str = "cpu", generator: Generator | None = None):
    """The array-module generator to draw from on ``device``."""
    return (generator or default_generator).for_device(device)
