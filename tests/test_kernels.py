"""The compiled kernels (glassnet.kernels, the [jit] extra) against float64 and NumPy, and the
switches that turn them off. The ops that use kernels are tested on both paths through the
``kernel_path`` fixture (tests/conftest.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet.kernels as kernels

needs_numba = pytest.mark.skipif(
    not kernels.numba_installed(), reason="numba is not installed: pip install 'glassnet[jit]'"
)


def _float32_grid(low, high, count):
    """``count`` float32 values spread evenly over the bit patterns between ``low`` and ``high``
    (so every binade gets its share), with both ends."""
    bits = np.array([low, high], dtype=np.float32).view(np.int32).astype(np.int64)
    grid = np.empty(0, np.float32)
    # negative floats' bit patterns run backwards: walk each sign on its own
    if low < 0:
        top = np.float32(-0.0).view(np.int32).astype(np.int64)
        neg = np.linspace(top, bits[0], count // 2).astype(np.int32).view(np.float32)
        grid = np.concatenate([grid, neg])
    if high > 0:
        pos = np.linspace(0, bits[1], count // 2).astype(np.int32).view(np.float32)
        grid = np.concatenate([grid, pos])
    return grid


@needs_numba
def test_exp32_within_two_ulps_of_float64():
    """exp32 against float64 exp over float32's whole range. The bound from the algorithm:
    the reduction r = x - n ln2 is exact in its high part (n * ln2_high has 8 + 9 bits) and
    rounds once in its low part (under 2^-24 * 0.03 of r), Cephes' polynomial fits exp(r) to
    about 2^-24 relative, its Horner steps on terms below 0.5 and the final r + 1 round to half
    an ulp each of the result, and the scaling by 2^n is exact for normal results: under 2 ulp.
    Subnormal results round once more, to the nearest multiple of 2^-149."""
    from glassnet.kernels.exp32 import exp32

    x = _float32_grid(-104.0, 89.0, 2_000_000)
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(np.float64))
    got = exp32(x).astype(np.float64)
    finite = exact < np.finfo(np.float32).max
    normal = finite & (exact >= 2.0**-126)
    ulp = np.spacing(exact[normal].astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[normal] - exact[normal]) / ulp) < 2
    small = ~normal & finite
    assert np.all(np.abs(got[small] - exact[small]) <= 2.0**-149)
    assert np.all(np.isinf(got[~finite]))


@needs_numba
def test_exp32_special_values_and_shapes():
    """NaN passes through, +inf gives inf and -inf 0 as in NumPy; any shape; float32 only."""
    from glassnet.kernels.exp32 import exp32

    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30], np.float32)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(exp32(specials), np.exp(specials))
    cube = np.linspace(-3, 3, 5000, dtype=np.float32).reshape(10, 25, 20)
    got = exp32(cube[:, ::2])  # a strided view too
    assert got.shape == (10, 13, 20)
    np.testing.assert_allclose(got, np.exp(cube[:, ::2].astype(np.float64)), rtol=2 * 2.0**-23)
    with pytest.raises(TypeError, match="float32"):
        exp32(np.zeros(3))


@needs_numba
def test_tanh32_within_two_ulps_of_float64():
    """tanh32 against float64 tanh. Below |x| = 0.625, Cephes' polynomial (fit error about
    2^-24 relative, Horner's rounding on a correction under a third of x): under 2 ulp. Above,
    1 - 2 / (exp(2|x|) + 1): exp32's error under 2 ulp of e = exp(2|x|) becomes at most
    2 * 2^-23 * 2e / (e + 1)^2 absolute, below 2^-23 * 0.5 for e > 3.5 (|x| > 0.625), and the
    division, subtraction and doubling add half an ulp each: under 2 ulp of the result (whose
    ulp is 2^-24 or 2^-23 there). Zeros keep their sign; NaN and +-inf as NumPy's tanh."""
    from glassnet.kernels.tanh32 import tanh32

    x = _float32_grid(-20.0, 20.0, 2_000_000)
    exact = np.tanh(x.astype(np.float64))
    got = tanh32(x).astype(np.float64)
    nonzero = exact != 0
    ulp = np.spacing(np.abs(exact[nonzero]).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[nonzero] - exact[nonzero]) / ulp) < 2
    specials = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-40, -1e-40], np.float32)
    got, want = tanh32(specials), np.tanh(specials)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@needs_numba
def test_lstm_step_kernels_match_the_cell_equations_in_float64():
    """One LSTM step through the compiled kernels against the cell's equations evaluated in
    float64 from the same float32 inputs (gate sums negated, the cell gate's doubled, as the op
    stores them), on row and column offsets of bigger state arrays as the op passes them. Each
    value passes through at most a few float32 operations of condition number below 4 (the
    sigmoid's and tanh's relative condition is under 1 where their values are not tiny, and
    f c' + i g is a sum of two terms): within 16 float32 ulps of the terms involved."""
    from glassnet.kernels import lstm_cell

    rng = np.random.default_rng(0)
    N, B, H, DH, n, r0, prev, out, col = 10, 4, 32, 64, 3, 5, 2, 8, 32
    f32 = np.float32
    G = rng.uniform(-6, 6, (4, N, H)).astype(f32)
    hh = rng.uniform(-3, 3, (4, n, H)).astype(f32)
    ext = rng.standard_normal((B + N, DH)).astype(f32)
    cext = rng.standard_normal((B + N, DH)).astype(f32)
    TC = np.zeros((N, H), f32)
    sums = G[:, r0 : r0 + n].astype(np.float64) + hh
    sig = 1 / (1 + np.exp(sums))
    i, f, o = sig[0], sig[1], sig[3]
    g = np.tanh(-sums[2] / 2)
    c_prev = cext[prev : prev + n, col : col + H].astype(np.float64)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    eps = 16 * 2.0**-24
    lstm_cell.lstm_step_forward(G, r0, hh, ext, cext, prev, out, col, TC)
    for got, want in zip(G[:, r0 : r0 + n], (i, f, g, o)):
        np.testing.assert_allclose(got, want, rtol=eps, atol=eps)
    scale = np.abs(f * c_prev) + np.abs(i * g)
    assert np.all(np.abs(cext[out : out + n, col : col + H] - c) <= eps * (scale + 1))
    np.testing.assert_allclose(
        TC[r0 : r0 + n], np.tanh(cext[out : out + n, col : col + H]), atol=eps
    )
    assert np.all(np.abs(ext[out : out + n, col : col + H] - h) <= eps * (np.abs(o) + 1))
    # the backward from the stored gates: dc, the gate gradients and dc_prev
    dext = rng.standard_normal((B + N, DH)).astype(f32)
    dcext = rng.standard_normal((B + N, DH)).astype(f32)
    dG = np.zeros((N, 4 * H), f32)
    gates = G[:, r0 : r0 + n].astype(np.float64)
    gi, gf, gg, go = gates
    tc = TC[r0 : r0 + n].astype(np.float64)
    dh = dext[out : out + n, col : col + H].astype(np.float64)
    dc = dcext[out : out + n, col : col + H] + (1 - tc**2) * go * dh
    dc_prev = dcext[prev : prev + n, col : col + H] + dc * gf
    want = np.concatenate(
        [
            (1 - gi) * gi * gg * dc,
            (1 - gf) * gf * c_prev * dc,
            (1 - gg**2) * gi * dc,
            (1 - go) * go * tc * dh,
        ],
        axis=1,
    )
    lstm_cell.lstm_step_backward(G, r0, n, TC, dext, dcext, cext, prev, out, col, dG)
    np.testing.assert_allclose(dcext[out : out + n, col : col + H], dc, rtol=eps, atol=eps * 4)
    np.testing.assert_allclose(dG[r0 : r0 + n], want, rtol=eps, atol=eps * 4)
    np.testing.assert_allclose(
        dcext[prev : prev + n, col : col + H], dc_prev, rtol=eps, atol=eps * 8
    )
    assert not dG[:r0].any() and not dG[r0 + n :].any()


@needs_numba
def test_preload_compiles_the_signatures_the_ops_use(monkeypatch):
    """After preload(), the ops' own calls (GELU, layer norm, batch norm in both layouts,
    attention's softmax backward, the LSTM step) find their kernels compiled: no dispatcher
    gains a second signature, so preload really spares them the first call's compile."""
    import numba

    import glassnet
    import glassnet.nn.functional as F
    from glassnet import nn
    from glassnet.kernels import batch_norm, gelu, layer_norm, lstm_cell, softmax

    assert kernels.preload()
    monkeypatch.setattr(kernels, "MIN_SIZE", 1)
    x = glassnet.randn(4, 16, 5, 5, requires_grad=True)
    for inp in (x, x.to(memory_format=glassnet.channels_last)):
        nn.BatchNorm2d(16)(inp).sum().backward()
    F.gelu(x).sum().backward()
    nn.LayerNorm(5)(x).sum().backward()
    q = glassnet.randn(2, 2, 6, 4, requires_grad=True)
    F.scaled_dot_product_attention(q, q, q, is_causal=True).sum().backward()
    nn.LSTM(3, 4)(glassnet.randn(5, 2, 3))[0].sum().backward()
    for module in (gelu, layer_norm, batch_norm, lstm_cell, softmax):
        for name in dir(module):
            fn = getattr(module, name)
            if (
                isinstance(fn, numba.core.registry.CPUDispatcher)
                and fn.__module__ == module.__name__
            ):
                assert len(fn.signatures) == 1, (module.__name__, name, fn.signatures)


def test_kernels_switch_off_in_a_block_and_for_small_arrays():
    """disabled() turns kernels off inside its block only; wanted() never hands over arrays
    below MIN_SIZE or non-arrays."""
    on_before = kernels.enabled()
    assert on_before == kernels.numba_installed() or os.environ.get("GLASSNET_KERNELS") == "0"
    with kernels.disabled():
        assert not kernels.enabled()
        assert not kernels.wanted(np.zeros(kernels.MIN_SIZE, np.float32))
    assert kernels.enabled() == on_before
    assert not kernels.wanted(np.zeros(kernels.MIN_SIZE - 1, np.float32))
    assert not kernels.wanted([0.0] * kernels.MIN_SIZE)
    assert kernels.wanted(np.zeros(kernels.MIN_SIZE, np.float32)) == on_before


def test_environment_variable_turns_kernels_off():
    """GLASSNET_KERNELS=0 in a process's environment keeps every op on its NumPy path."""
    code = "import glassnet.kernels as k; print(k.enabled())"
    env = dict(os.environ, GLASSNET_KERNELS="0")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
