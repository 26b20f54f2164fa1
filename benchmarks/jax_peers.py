"""The ``jax.jit`` peers of ``benchmarks.compile``: the same three rows, the same weights, CPU.

JAX runs on one thread where it allows: XLA's CPU flags below are set before jax is imported
(an ``XLA_FLAGS`` the user set wins). Each call waits for its result (``block_until_ready``),
since JAX dispatches asynchronously and a timing without it would measure only the dispatch.

>>> peers = available()  # None when jax is installed, else the reason it is skipped
"""

from __future__ import annotations

import os

import numpy as np

_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _jax():
    os.environ.setdefault("XLA_FLAGS", _FLAGS)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    return jax, jnp


def available():
    """None when the JAX rows can run, otherwise the reason (printed by the benchmark)."""
    try:
        _jax()
    except ImportError as error:
        return f"jax is not installed ({error}); pip install -r benchmarks/requirements.txt"
    return None


class JaxInfer:
    """A jitted inference function of the weights and one input."""

    name = "jax.jit"

    def __init__(self, fn, params, x):
        jax, jnp = _jax()
        self.fn = jax.jit(fn)
        self.params = [jax.device_put(jnp.asarray(p)) for p in params]
        self.x = jax.device_put(jnp.asarray(x))

    def call(self):
        return self.fn(self.params, self.x).block_until_ready()

    def value(self):
        return np.asarray(self.call(), dtype=np.float64)


class JaxXor:
    """The XOR 2-8-1 tanh step as one jitted function: loss, gradients and the SGD update."""

    name = "jax.jit"

    def __init__(self, weights, x, y, lr):
        jax, jnp = _jax()

        def loss_of(params, x, y):
            w1, b1, w2, b2 = params
            out = jnp.tanh(x @ w1 + b1) @ w2 + b2
            return jnp.mean((out - y) ** 2)

        def step(params, x, y):
            loss, grads = jax.value_and_grad(loss_of)(params, x, y)
            return [p - lr * g for p, g in zip(params, grads)], loss

        self._step = jax.jit(step)
        self.params = [jax.device_put(jnp.asarray(w.copy())) for w in weights]
        self.x, self.y = jax.device_put(jnp.asarray(x)), jax.device_put(jnp.asarray(y))

    def call(self):
        self.params, loss = self._step(self.params, self.x, self.y)
        return loss.block_until_ready()

    def value(self):
        return float(self.call())


def mlp(weights, x):
    """``weights`` as glassnet stores them: (out, in) matrices and their biases. The matrices
    are handed over transposed once, as the NumPy row has them (XLA's CPU matrix-vector
    product measured faster on that layout than on a transpose inside the jitted function)."""
    _, jnp = _jax()

    def forward(p, v):
        h = jnp.maximum(v @ p[0] + p[1], 0)
        h = jnp.maximum(h @ p[2] + p[3], 0)
        return h @ p[4] + p[5]

    return JaxInfer(forward, [w.T.copy() if w.ndim == 2 else w for w in weights], x)


def lenet(p, x):
    """``p``: LeNet5's state dict as arrays (features.0/3 convolutions, classifier.1/3/5)."""
    jax, jnp = _jax()
    names = [
        "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
        "classifier.1.weight", "classifier.1.bias", "classifier.3.weight", "classifier.3.bias",
        "classifier.5.weight", "classifier.5.bias",
    ]  # fmt: skip

    def conv(v, w, b, pad):
        y = jax.lax.conv_general_dilated(
            v, w, (1, 1), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW")
        )
        return y + b[None, :, None, None]

    def pool(v):
        return jax.lax.reduce_window(v, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def forward(q, v):
        h = pool(jnp.maximum(conv(v, q[0], q[1], 2), 0))
        h = pool(jnp.maximum(conv(h, q[2], q[3], 0), 0))
        h = h.reshape(h.shape[0], -1)
        h = jnp.maximum(h @ q[4].T + q[5], 0)
        h = jnp.maximum(h @ q[6].T + q[7], 0)
        return h @ q[8].T + q[9]

    return JaxInfer(forward, [p[n] for n in names], x)
