"""Shared pieces of the Hugging Face parity tests: weights from a transformers twin into a
glassnet model, and comparisons of outputs and of every parameter's gradient."""

import numpy as np
import torch

import glassnet


def load_twin(model, twin):
    """Copy the twin's state_dict into ``model`` with strict keys, after checking that both
    have exactly the same keys (names and shapes)."""
    theirs = {k: v.detach().numpy() for k, v in twin.state_dict().items()}
    ours = model.state_dict()
    assert sorted(ours) == sorted(theirs)
    for k, v in theirs.items():
        assert tuple(ours[k].shape) == v.shape, k
    model.load_state_dict(theirs, strict=True)
    return model


def to_np(x):
    """A glassnet or torch tensor (or array) as a float64 NumPy array."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x, dtype=np.float64)


def rel_err(a, b):
    """Largest absolute difference relative to the largest entry of the reference ``b``."""
    a, b = to_np(a), to_np(b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def compare_grads(model, twin, tol):
    """Every parameter's gradient, relative to the largest entry of that gradient, or of all
    gradients for one that is zero in exact arithmetic (the attention keys' bias: a constant
    added to every score of a query cancels in the softmax) and so only rounding noise."""
    theirs = dict(twin.named_parameters())
    scale = max(float(t.grad.abs().max()) for t in theirs.values() if t.grad is not None)
    checked = 0
    for name, p in model.named_parameters():
        t = theirs[name]
        if t.grad is None:
            assert p.grad is None or np.abs(p.grad.numpy()).max() == 0, name
            continue
        assert p.grad is not None, name
        err = np.abs(to_np(p.grad) - to_np(t.grad)).max()
        assert err <= tol * max(float(t.grad.abs().max()), 1e-3 * scale), name
        checked += 1
    return checked


def as_torch(x):
    return torch.from_numpy(np.asarray(x))


def as_glass(x):
    return glassnet.tensor(np.asarray(x))
