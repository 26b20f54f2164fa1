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
