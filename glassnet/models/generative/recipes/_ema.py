"""An exponential moving average of a model's weights (the weights diffusion models sample
with: the average of the last few hundred steps is smoother than the last step's)."""

from __future__ import annotations

import numpy as np

import glassnet


class EMA:
    """``shadow = decay * shadow + (1 - decay) * weight`` after each step; ``copy_to(model)``."""

    def __init__(self, model, decay=0.995):
        self.decay = decay
        self.shadow = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    def update(self, model):
        for k, v in model.state_dict().items():
            a = v.numpy()
            if a.dtype.kind == "f":
                self.shadow[k] *= self.decay
                self.shadow[k] += (1 - self.decay) * a
            else:
                self.shadow[k] = a.copy()

    def copy_to(self, model):
        model.load_state_dict({k: glassnet.tensor(np.array(v)) for k, v in self.shadow.items()})
        return model
