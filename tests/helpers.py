"""The checkers every op and layer test uses, with PyTorch as the oracle.

``check_op``: the same seeded inputs through glassnet and PyTorch; the forward compared; then the
gradients of a randomly weighted sum of the output compared (so a wrong but symmetric gradient
cannot pass); float64 tight, float32 looser; and a float64 finite-difference check as a second,
independent oracle.

``check_layer``: a PyTorch module's weights copied into the glassnet twin through ``state_dict``
(the keys must match exactly), then outputs and the gradients of the input and of every parameter
compared.
"""

from __future__ import annotations

import numpy as np
import torch

import glassnet

# Default tolerances of the op and layer checkers, from the float formats: the checked ops sum
# up to about a thousand terms (reductions, matrix products, convolutions over channels and
# kernels) in an order that differs between glassnet's NumPy/BLAS and PyTorch's kernels, and the
# gradients pass through a few such ops. A sum of n terms of size |t| carries rounding errors
# of random sign, about sqrt(n) * eps * |t| (n * eps * |t| at worst): with n <= 1000, inputs in
# [-2, 2] and float32's eps 2^-23 = 1.2e-7 that is 4e-6 typically, and rtol 2e-4 covers the
# worst case relative to results of the terms' size; atol 2e-5 is five times the typical
# absolute error where results cancel to near zero. float64: eps 2.2e-16 with the same n, so
# 1e-7 / 1e-9 leave a wide margin on any CPU; finite differences are a separate check below.
TOL = {
    "float64": dict(rtol=1e-7, atol=1e-9),
    "float32": dict(rtol=2e-4, atol=2e-5),
}


def _as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def make_inputs(shapes, seed=0, low=-2.0, high=2.0, positive=False, dtype="float64"):
    """Seeded NumPy inputs: one array per shape; ``positive`` keeps them in [0.5, high]."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if positive:
            a = rng.uniform(0.5, max(high, 1.0), size=shape)
        else:
            a = rng.uniform(low, high, size=shape)
        arrays.append(a.astype(dtype))
    return arrays


def to_glassnet(arrays, device="cpu", requires_grad=True):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = glassnet.tensor(a, device=device)
            if requires_grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def to_torch(arrays, requires_grad=True):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = torch.tensor(a)
            if requires_grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def numpy_of(t):
    if isinstance(t, glassnet.Tensor):
        return glassnet.backend.to_numpy(t.detach()._data)
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def assert_close(actual, expected, dtype="float64", what="", rtol=None, atol=None):
    tol = dict(TOL[str(dtype)] if str(dtype) in TOL else TOL["float32"])
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    a, e = numpy_of(actual), numpy_of(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, err_msg=what, **tol)


def check_op(
    shapes,
    glassnet_fn,
    torch_fn=None,
    *,
    inputs=None,
    device="cpu",
    dtypes=("float64", "float32"),
    grad=True,
    finite_diff=True,
    positive=False,
    low=-2.0,
    high=2.0,
    seed=0,
    rtol=None,
    atol=None,
    fd_eps=1e-6,
    fd_atol=1e-5,
):
    """Compare ``glassnet_fn(*inputs)`` with ``torch_fn(*inputs)`` forward and backward.

    ``torch_fn`` defaults to ``glassnet_fn`` (works when both libraries share the method name,
    e.g. ``lambda x: x.exp()``). ``inputs`` (NumPy arrays or other constants) replaces the
    generated ones when given. Returns the glassnet output of the float64 run.
    """
    torch_fn = torch_fn or glassnet_fn
    result = None
    for dtype in dtypes:
        if inputs is None:
            arrays = make_inputs(shapes, seed, low, high, positive, dtype)
        else:
            arrays = [
                a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in inputs
            ]
        g_in = to_glassnet(arrays, device, requires_grad=grad)
        t_in = to_torch(arrays, requires_grad=grad)
        g_out = _as_list(glassnet_fn(*g_in))
        t_out = _as_list(torch_fn(*t_in))
        assert len(g_out) == len(t_out)
        for i, (go, to) in enumerate(zip(g_out, t_out)):
            assert_close(go, to, dtype, f"forward output {i} ({dtype})", rtol, atol)
            if isinstance(go, glassnet.Tensor) and isinstance(to, torch.Tensor):
                assert go.dtype == glassnet.dtypes.as_dtype(str(to.dtype).replace("torch.", "")), (
                    f"output {i} dtype {go.dtype} != torch {to.dtype}"
                )
        if result is None:
            result = g_out[0]
        if not grad:
            continue
        rng = np.random.default_rng(seed + 1)
        g_loss, t_loss = 0, 0
        for go, to in zip(g_out, t_out):
            if isinstance(to, torch.Tensor) and to.requires_grad:
                w = rng.uniform(0.5, 1.5, size=tuple(to.shape)).astype(dtype)
                g_loss = g_loss + (go * glassnet.tensor(w, device=device)).sum()
                t_loss = t_loss + (to * torch.tensor(w)).sum()
        if not isinstance(t_loss, torch.Tensor):
            continue
        g_loss.backward()
        t_loss.backward()
        for i, (gi, ti) in enumerate(zip(g_in, t_in)):
            if isinstance(ti, torch.Tensor) and ti.requires_grad:
                if ti.grad is None:
                    assert gi.grad is None or not np.any(numpy_of(gi.grad)), f"grad {i}"
                    continue
                assert gi.grad is not None, f"input {i} got no gradient ({dtype})"
                assert_close(
                    gi.grad, ti.grad, dtype, f"gradient of input {i} ({dtype})", rtol, atol
                )
    if grad and finite_diff:
        check_finite_differences(
            shapes,
            glassnet_fn,
            inputs=inputs,
            positive=positive,
            low=low,
            high=high,
            seed=seed,
            eps=fd_eps,
            atol=fd_atol,
        )
    return result


def check_finite_differences(
    shapes, fn, *, inputs=None, positive=False, low=-2.0, high=2.0, seed=0, eps=1e-6, atol=1e-5
):
    """Central differences in float64 against glassnet's own backward (independent of torch)."""
    if inputs is None:
        arrays = make_inputs(shapes, seed, low, high, positive, "float64")
    else:
        arrays = [
            a.astype("float64") if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in inputs
        ]
    rng = np.random.default_rng(seed + 2)
    g_in = to_glassnet(arrays)
    outs = _as_list(fn(*g_in))
    weights = [
        rng.uniform(0.5, 1.5, size=tuple(o.shape)) if _differentiable(o) else None for o in outs
    ]

    def scalar(arrs):
        with glassnet.no_grad():
            res = _as_list(fn(*to_glassnet(arrs, requires_grad=False)))
        return sum(float((numpy_of(o) * w).sum()) for o, w in zip(res, weights) if w is not None)

    loss = sum((o * glassnet.tensor(w)).sum() for o, w in zip(outs, weights) if w is not None)
    loss.backward()
    for i, a in enumerate(arrays):
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            continue
        numeric = np.zeros_like(a)
        flat = a.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            up = scalar(arrays)
            flat[j] = old - eps
            down = scalar(arrays)
            flat[j] = old
            numeric.reshape(-1)[j] = (up - down) / (2 * eps)
        analytic = numpy_of(g_in[i].grad) if g_in[i].grad is not None else np.zeros_like(a)
        np.testing.assert_allclose(
            analytic, numeric, rtol=1e-4, atol=atol, err_msg=f"finite differences, input {i}"
        )


def _differentiable(t):
    return isinstance(t, glassnet.Tensor) and t.requires_grad


def copy_torch_weights(torch_module, glassnet_module):
    """Load a PyTorch module's state_dict into the glassnet twin; the keys must match exactly."""
    state = {k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()}
    g_keys = set(glassnet_module.state_dict().keys())
    assert g_keys == set(state), (
        f"state_dict keys differ: only torch {sorted(set(state) - g_keys)}, "
        f"only glassnet {sorted(g_keys - set(state))}"
    )
    glassnet_module.load_state_dict({k: glassnet.tensor(v) for k, v in state.items()})


def check_layer(
    glassnet_layer,
    torch_layer,
    input_shapes,
    *,
    inputs=None,
    dtype="float64",
    device="cpu",
    train=True,
    forward=None,
    input_grad=True,
    rtol=None,
    atol=None,
    seed=0,
):
    """Copy weights torch -> glassnet, then compare outputs and all gradients.

    ``forward(layer, *inputs)`` customises the call (default ``layer(*inputs)``); it may return a
    tuple (e.g. an LSTM's output and states). Also checks the parameter count.
    """
    torch_layer = torch_layer.to(getattr(torch, dtype))
    glassnet_layer.to(dtype)
    copy_torch_weights(torch_layer, glassnet_layer)
    glassnet_layer.to(device)
    glassnet_layer.train(train)
    torch_layer.train(train)
    forward = forward or (lambda layer, *xs: layer(*xs))
    arrays = inputs if inputs is not None else make_inputs(input_shapes, seed, dtype=dtype)
    arrays = [
        a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays
    ]
    g_in = to_glassnet(arrays, device, requires_grad=input_grad)
    t_in = to_torch(arrays, requires_grad=input_grad)
    g_out = _as_list(forward(glassnet_layer, *g_in))
    t_out = _as_list(forward(torch_layer, *t_in))
    g_flat, t_flat = _flatten(g_out), _flatten(t_out)
    assert len(g_flat) == len(t_flat), f"{len(g_flat)} outputs vs torch's {len(t_flat)}"
    for i, (go, to) in enumerate(zip(g_flat, t_flat)):
        assert_close(go, to, dtype, f"output {i}", rtol, atol)
    n_g = sum(p.numel() for p in glassnet_layer.parameters())
    n_t = sum(p.numel() for p in torch_layer.parameters())
    assert n_g == n_t, f"parameter count {n_g} != torch {n_t}"
    rng = np.random.default_rng(seed + 1)
    g_loss, t_loss = 0, 0
    for go, to in zip(g_flat, t_flat):
        if isinstance(to, torch.Tensor) and to.requires_grad:
            w = rng.uniform(0.5, 1.5, size=tuple(to.shape)).astype(dtype)
            g_loss = g_loss + (go * glassnet.tensor(w, device=device)).sum()
            t_loss = t_loss + (to * torch.tensor(w)).sum()
    g_loss.backward()
    t_loss.backward()
    for i, (gi, ti) in enumerate(zip(g_in, t_in)):
        if isinstance(ti, torch.Tensor) and ti.grad is not None:
            assert_close(gi.grad, ti.grad, dtype, f"gradient of input {i}", rtol, atol)
    t_params = dict(torch_layer.named_parameters())
    for name, p in glassnet_layer.named_parameters():
        tp = t_params[name]
        if tp.grad is None:
            assert p.grad is None or not np.any(numpy_of(p.grad)), f"{name} should get no grad"
            continue
        assert p.grad is not None, f"parameter {name} got no gradient"
        assert_close(p.grad, tp.grad, dtype, f"gradient of {name}", rtol, atol)
    for name, b in torch_layer.named_buffers():
        gb = dict(glassnet_layer.named_buffers())[name]
        assert_close(
            gb, b, dtype if b.dtype.is_floating_point else "float64", f"buffer {name}", rtol, atol
        )
    return g_out


def _flatten(outs):
    flat = []
    for o in outs:
        if isinstance(o, (tuple, list)):
            flat.extend(_flatten(o))
        elif o is not None:
            flat.append(o)
    return flat
